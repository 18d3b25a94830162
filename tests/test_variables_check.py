"""check_template_variables: placeholders against declarations, at the right file:line:col."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model.problems import Problem, error
from taskwizard.model.variables import (
    PLACEHOLDER_RE,
    canonical_placeholder,
    check_template_variables,
    find_placeholders,
    is_placeholder,
    placeholder_name,
)
from taskwizard.model.yamlio import load_yaml_text

FIXTURES = Path(__file__).parent / "fixtures" / "variables"

NUMBER = {"label": "N", "type": "number", "default": 3}
STRING = {"label": "S", "type": "string", "default": "x"}


def task(template: dict[str, Any] | None, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = {} if template is None else {"template": template}
    data.update(body)
    return data


def messages(problems: list[Problem], severity: str | None = None) -> list[str]:
    return [p.message for p in problems if severity is None or p.severity == severity]


def located(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


# ---------------------------------------------------------------- the placeholder syntax


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("{{ x }}", "x"),
        ("{{x}}", "x"),
        ("{{   top_k }}", "top_k"),
        ("{{ _private2 }}", "_private2"),
    ],
)
def test_whole_value_placeholders_are_recognised(value: str, name: str) -> None:
    assert is_placeholder(value)
    assert placeholder_name(value) == name
    assert PLACEHOLDER_RE.fullmatch(value)


@pytest.mark.parametrize(
    "value",
    [
        "{{ 1x }}",
        "{{ a-b }}",
        "{{ a b }}",
        "{{}}",
        "x {{ a }}",
        "{{ a }} y",
        "{ a }",
        "{{ a }",
        5,
        None,
        ["{{ a }}"],
    ],
)
def test_other_values_are_not_placeholders(value: Any) -> None:
    assert not is_placeholder(value)
    assert placeholder_name(value) is None
    if isinstance(value, str):  # anchored: `match` finds no prefix either
        assert PLACEHOLDER_RE.match(value) is None


def test_canonical_placeholder_has_one_space_inside_each_brace_pair() -> None:
    assert canonical_placeholder("top_k") == "{{ top_k }}"


def test_find_placeholders_reports_paths_names_and_spacing_but_skips_the_template_block() -> None:
    data = task(
        {"a": {"label": "{{ a }}", "type": "string", "default": "{{ b }}"}},
        pods={"identifiers": ["{{ a }}", "{{b}}"]},
        task={"protocol": {"name": "x", "arguments": {"k": "{{ c }}", "n": "pre {{ a }}"}}},
    )
    assert find_placeholders(data) == [
        (("pods", "identifiers", 0), "a", True),
        (("pods", "identifiers", 1), "b", False),
        (("task", "protocol", "arguments", "k"), "c", True),
    ]


# ---------------------------------------------------------------- the rules


def test_declared_and_used_variables_give_no_problems() -> None:
    data = task({"n": NUMBER, "s": STRING}, task={"a": "{{ n }}", "b": ["{{ s }}"]})
    assert check_template_variables(data) == []


def test_placeholder_naming_no_declared_variable_is_an_error_at_the_placeholder() -> None:
    data = task({"top_k": NUMBER}, task={"a": "{{ top_k }}", "b": "{{ topk }}"})
    problems = check_template_variables(data)
    assert [(p.severity, p.path) for p in problems] == [("error", ("task", "b"))]
    assert "did you mean '{{ top_k }}'" in problems[0].message


def test_placeholder_without_any_template_block_is_an_error() -> None:
    problems = check_template_variables({"task": {"x": "{{ a }}"}})
    assert [(p.severity, p.path) for p in problems] == [("error", ("task", "x"))]
    assert "declare it under template:" in problems[0].message


def test_a_task_without_template_or_placeholders_has_no_problems() -> None:
    assert check_template_variables({"task": {"x": "{{ not closed", "y": 1}}) == []


def test_declared_variable_that_no_placeholder_uses_is_a_warning_at_its_declaration() -> None:
    data = task({"n": NUMBER, "spare": STRING}, task={"a": "{{ n }}"})
    problems = check_template_variables(data)
    assert [(p.severity, p.path) for p in problems] == [("warning", ("template", "spare"))]
    assert "'{{ spare }}'" in problems[0].message


def test_placeholder_without_canonical_spacing_is_a_warning_with_the_fix() -> None:
    data = task({"n": NUMBER}, task={"a": "{{n}}"})
    problems = check_template_variables(data)
    assert [(p.severity, p.path) for p in problems] == [("warning", ("task", "a"))]
    assert problems[0].message == (
        "'{{n}}': Bitfount accepts this but never substitutes it; write '{{ n }}'"
    )


@pytest.mark.parametrize("spelt", ["{{  n }}", "{{ n  }}", "{{n }}", "{{\tn }}"])
def test_every_non_canonical_spacing_is_flagged(spelt: str) -> None:
    problems = check_template_variables(task({"n": NUMBER}, task={"a": spelt}))
    assert messages(problems) == [
        f"{spelt!r}: Bitfount accepts this but never substitutes it; write '{{{{ n }}}}'"
    ]


def test_placeholder_inside_a_longer_string_is_a_warning() -> None:
    data = task({"s": STRING}, task={"title": "Report for {{ s }}", "x": "{{ s }}"})
    problems = check_template_variables(data)
    assert [(p.severity, p.path) for p in problems] == [("warning", ("task", "title"))]
    assert "only a whole value is substituted" in problems[0].message


def test_placeholder_in_a_mapping_key_is_a_warning() -> None:
    data = task({"s": STRING}, task={"rename": {"{{ s }}": "Image"}, "x": "{{ s }}"})
    problems = check_template_variables(data)
    assert [(p.severity, p.path) for p in problems] == [("warning", ("task", "rename", "{{ s }}"))]
    assert "mapping key is never substituted" in problems[0].message


def test_a_variable_only_mentioned_in_a_slip_is_not_also_called_unused() -> None:
    data = task(
        {"a": STRING, "b": STRING, "c": STRING},
        task={"x": "{{a}}", "y": "pre {{ b }}", "z": {"{{ c }}": 1}},
    )
    found = messages(check_template_variables(data))
    assert len(found) == 3
    assert not any("no placeholder uses it" in m for m in found)


def test_declaration_problems_are_reported_under_template() -> None:
    data = task(
        {
            "model": {
                "label": "Model",
                "type": {"model_slug": {"provider": "huggingface", "library": "transformers"}},
                "default": "google/vit",
            },
            "bad-name": STRING,
        },
        task={"a": "{{ model }}", "b": "{{ bad-name }}"},
    )
    problems = check_template_variables(data)
    errors = [(p.path, p.message.split(":")[0]) for p in problems if p.is_error]
    assert (
        ("template", "model", "default"),
        "a model_slug variable cannot have a default",
    ) in errors
    assert any(path == ("template", "bad-name") for path, _ in errors)


@pytest.mark.parametrize(
    ("block", "severity"),
    [(None, "warning"), ({}, "warning"), ([], "error"), ("x", "error")],
)
def test_template_block_that_is_not_a_mapping_of_declarations(block: Any, severity: str) -> None:
    problems = check_template_variables({"template": block, "task": {}})
    assert [(p.severity, p.path) for p in problems] == [(severity, ("template",))]


def test_variable_name_that_is_not_text_is_an_error_at_its_key() -> None:
    problems = check_template_variables({"template": {1: STRING}, "task": {"a": 1}})
    assert [(p.severity, p.path) for p in problems] == [("error", ("template", 1))]


def test_non_mapping_task_data_gives_no_problems_and_no_crash() -> None:
    assert check_template_variables(None) == []
    assert check_template_variables(["{{ a }}"]) == []


# ---------------------------------------------------------------- positions, through yamlio


def test_problems_resolve_to_the_lines_and_columns_of_the_slips() -> None:
    text = (FIXTURES / "placeholder-slips.yaml").read_text()
    loaded = load_yaml_text(text, "placeholder-slips.yaml")
    assert loaded.ok, loaded.problems
    problems = loaded.resolve(check_template_variables(loaded.data))
    found = {(p.severity, p.line, p.column, p.message.split(";")[0]) for p in problems}
    pod = located(text, '"{{pod}}"')
    model = located(text, '"{{ model }}"')
    trial = located(text, '"trial {{ image_column }}"')
    include = located(text, '"{{image_column}}"')
    forgotten = located(text, "forgotten:")
    assert ("error", *pod, "'{{pod}}' names no declared template variable") in found
    assert ("warning", *pod, "'{{pod}}': Bitfount accepts this but never substitutes it") in found
    assert ("error", *model, "'{{ model }}' names no declared template variable") in found
    assert (
        "warning",
        *trial,
        "'trial {{ image_column }}': only a whole value is substituted, never a placeholder "
        "inside a longer string",
    ) in found
    assert (
        "warning",
        *include,
        "'{{image_column}}': Bitfount accepts this but never substitutes it",
    ) in found
    # the declaration of `forgotten`: its key's line, or the first line of its mapping
    unused = [p for p in problems if "no placeholder uses it" in p.message]
    assert [p.line for p in unused] in ([forgotten[0]], [forgotten[0] + 1])
    key = [p for p in problems if "mapping key" in p.message]
    assert len(key) == 1 and key[0].line == located(text, '"{{ image_column }}": Image')[0]
    assert all(p.file == "placeholder-slips.yaml" for p in problems)


def test_declaration_problem_resolves_to_its_line() -> None:
    text = """\
template:
  top_k:
    label: Top k
    type: number
    minimum: 1
    default: 0
task:
  k: "{{ top_k }}"
"""
    loaded = load_yaml_text(text, "t.yaml")
    problems = loaded.resolve(check_template_variables(loaded.data))
    assert [(p.severity, p.line, p.column) for p in problems] == [("error", 6, 14)]
    assert problems[0].format() == "t.yaml:6:14: error: default: 0 is below minimum 1"


def test_unknown_declaration_key_resolves_to_the_key() -> None:
    text = "template:\n  v:\n    label: V\n    type: string\n    defualt: x\ntask: {a: '{{ v }}'}\n"
    loaded = load_yaml_text(text, "t.yaml")
    problems = loaded.resolve(check_template_variables(loaded.data))
    assert [(p.line, p.column) for p in problems if p.is_error] == [(5, 5)]


# ---------------------------------------------------------------- defaults filled in


class FakeValidate(list[Any]):
    """The calls made to a stand-in validate_task, and that function."""

    validate: Callable[[Any], list[Problem]]


@pytest.fixture
def fake_validate() -> FakeValidate:
    """A stand-in validate_task: top_k must be a positive int, include exactly one column.
    check_template_variables is given it (variables does not import validate)."""
    calls = FakeValidate()

    def validate_task(data: Any) -> list[Problem]:
        calls.append(data)
        out: list[Problem] = []
        if "template" in data:
            out.extend(check_template_variables(data))
        args = data.get("task", {}).get("arguments", {})
        top_k = args.get("top_k")
        if not is_placeholder(top_k) and not (isinstance(top_k, int) and top_k > 0):
            out.append(
                error("top_k: must be a positive whole number", ("task", "arguments", "top_k"))
            )
        include = data.get("task", {}).get("include")
        if isinstance(include, list) and len(include) != 1:
            out.append(error("select exactly one column", ("task",)))
        options = data.get("task", {}).get("options")
        if isinstance(options, dict):
            out.extend(error("unknown option", ("task", "options", k)) for k in options)
        if data.get("task", {}).get("always_bad"):
            out.append(error("always bad", ("task", "always_bad")))
        return out

    calls.validate = validate_task
    return calls


def test_default_that_makes_the_task_invalid_is_an_error_at_the_placeholder(
    fake_validate: FakeValidate,
) -> None:
    data = task(
        {"k": {"label": "K", "type": "number", "default": 2.5}},
        task={"arguments": {"top_k": "{{ k }}"}},
    )
    problems = check_template_variables(data, validate_task=fake_validate.validate)
    assert [(p.severity, p.path, p.message) for p in problems] == [
        (
            "error",
            ("task", "arguments", "top_k"),
            "with the defaults filled in (k = 2.5): top_k: must be a positive whole number",
        )
    ]
    # validated without the template block (so no recursion), with and without defaults
    assert all("template" not in call for call in fake_validate)
    assert {"arguments": {"top_k": 2.5}} in [c["task"] for c in fake_validate]


def test_error_above_the_substituted_value_is_blamed_on_its_placeholder(
    fake_validate: FakeValidate,
) -> None:
    cols = {"label": "C", "type": "array", "items": {"type": "string"}, "default": ["a", "b"]}
    data = task({"cols": cols}, task={"include": "{{ cols }}", "arguments": {"top_k": 1}})
    problems = check_template_variables(data, validate_task=fake_validate.validate)
    assert [(p.path, p.message) for p in problems] == [
        (
            ("task", "include"),
            "with the defaults filled in (cols = ['a', 'b']), task: select exactly one column",
        )
    ]


def test_error_inside_the_substituted_value_is_blamed_on_its_placeholder(
    fake_validate: FakeValidate,
) -> None:
    options = {"label": "O", "type": "object", "default": {"colour": "red"}}
    data = task({"o": options}, task={"options": "{{ o }}", "arguments": {"top_k": 1}})
    problems = check_template_variables(data, validate_task=fake_validate.validate)
    assert [(p.path, p.message) for p in problems] == [
        (
            ("task", "options"),
            "with the defaults filled in (o = {'colour': 'red'}), task.options.colour: "
            "unknown option",
        )
    ]


def test_errors_the_task_has_anyway_are_not_repeated(fake_validate: FakeValidate) -> None:
    data = task(
        {"k": {"label": "K", "type": "number", "default": 3}},
        task={"arguments": {"top_k": "{{ k }}"}, "always_bad": True},
    )
    assert check_template_variables(data, validate_task=fake_validate.validate) == []


def test_good_defaults_give_no_problems_and_variables_without_default_stay_placeholders(
    fake_validate: FakeValidate,
) -> None:
    data = task(
        {
            "k": {"label": "K", "type": "number", "default": 3},
            "m": {"label": "M", "type": {"model_slug": {"provider": "hf", "library": "t"}}},
        },
        task={"arguments": {"top_k": "{{ k }}", "model_id": "{{ m }}"}},
    )
    assert check_template_variables(data, validate_task=fake_validate.validate) == []
    substituted = [c for c in fake_validate if c["task"]["arguments"]["top_k"] == 3]
    assert substituted and substituted[0]["task"]["arguments"]["model_id"] == "{{ m }}"


def test_broken_declarations_and_unsubstituted_spellings_are_not_validated_with_defaults(
    fake_validate: FakeValidate,
) -> None:
    data = task(
        {"k": {"label": "K", "type": "number", "default": -1, "minimum": 0}},
        task={"arguments": {"top_k": "{{ k }}"}},
    )
    problems = check_template_variables(data, validate_task=fake_validate.validate)
    assert [p.path for p in problems] == [("template", "k", "default")]
    assert fake_validate == []
    data = task(
        {"k": {"label": "K", "type": "number", "default": -1}},
        task={"arguments": {"top_k": "{{k}}"}},
    )
    assert [
        p.severity for p in check_template_variables(data, validate_task=fake_validate.validate)
    ] == ["warning"]


def test_explicit_null_default_is_filled_in_and_validated(fake_validate: FakeValidate) -> None:
    data = task(
        {"k": {"label": "K", "type": "number", "default": None}},
        task={"arguments": {"top_k": "{{ k }}"}},
    )
    problems = check_template_variables(data, validate_task=fake_validate.validate)
    assert [p.message for p in problems] == [
        "with the defaults filled in (k = None): top_k: must be a positive whole number"
    ]
