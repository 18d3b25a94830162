"""substitute(): the task as Bitfount runs it, from a template and the values given."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from taskwizard.model.variables import substitute

DECLS = {
    "top_k": {"label": "Top k", "type": "number", "default": 5},
    "test": {"label": "Test?", "type": "boolean", "default": True},
    "cols": {"label": "Cols", "type": "array", "items": {"type": "string"}, "default": ["a", "b"]},
    "renames": {"label": "Renames", "type": "object", "default": {"a": "A"}},
    "name": {"label": "Name", "type": "string", "default": "x"},
}


def test_defaults_replace_placeholders_keeping_their_yaml_types_and_template_is_removed() -> None:
    data = {
        "template": DECLS,
        "test_run": "{{ test }}",
        "task": {
            "arguments": {"top_k": "{{ top_k }}", "renames": "{{ renames }}", "n": "{{ name }}"},
            "include": "{{ cols }}",
            "list": ["{{ top_k }}", "{{ name }}", 7],
        },
    }
    result, problems = substitute(data)
    assert problems == []
    assert result == {
        "test_run": True,
        "task": {
            "arguments": {"top_k": 5, "renames": {"a": "A"}, "n": "x"},
            "include": ["a", "b"],
            "list": [5, "x", 7],
        },
    }


def test_supplied_values_win_over_defaults() -> None:
    data = {"template": DECLS, "task": {"k": "{{ top_k }}", "c": "{{ cols }}"}}
    result, problems = substitute(data, {"top_k": 10, "cols": ["z"]})
    assert problems == []
    assert result == {"task": {"k": 10, "c": ["z"]}}


def test_explicit_null_default_is_substituted_as_null() -> None:
    data = {
        "template": {"o": {"label": "O", "type": "object", "default": None}},
        "task": {"o": "{{ o }}"},
    }
    assert substitute(data) == ({"task": {"o": None}}, [])


def test_supplied_null_is_a_value_too() -> None:
    data = {"template": {"k": DECLS["top_k"]}, "task": {"k": "{{ k }}"}}
    assert substitute(data, {"k": None}) == ({"task": {"k": None}}, [])


def test_variable_without_default_or_value_is_an_error_and_its_placeholder_stays() -> None:
    data = {
        "template": {
            "model": {"label": "M", "type": {"model_slug": {"provider": "hf", "library": "t"}}},
            "k": DECLS["top_k"],
        },
        "task": {"model_id": "{{ model }}", "k": "{{ k }}"},
    }
    result, problems = substitute(data)
    assert result == {"task": {"model_id": "{{ model }}", "k": 5}}
    assert [(p.severity, p.path) for p in problems] == [("error", ("template", "model"))]
    assert problems[0].message.startswith(
        "Template variable 'model' has no default value and no template parameter was provided"
    )
    result, problems = substitute(data, {"model": "google/vit-base-patch16-224"})
    assert problems == []
    assert result["task"]["model_id"] == "google/vit-base-patch16-224"


def test_only_exact_canonical_whole_values_are_replaced() -> None:
    data = {
        "template": {"n": DECLS["name"]},
        "task": {
            "exact": "{{ n }}",
            "tight": "{{n}}",
            "wide": "{{  n }}",
            "part": "pre {{ n }}",
            "{{ n }}": "key stays",
        },
    }
    result, _ = substitute(data)
    assert result == {
        "task": {
            "exact": "x",
            "tight": "{{n}}",
            "wide": "{{  n }}",
            "part": "pre {{ n }}",
            "{{ n }}": "key stays",
        }
    }


def test_string_enum_rejects_other_values() -> None:
    decl = {"label": "L", "type": "string", "enum": ["OCT", "SLO"], "default": "OCT"}
    data = {"template": {"m": decl}, "task": {"m": "{{ m }}"}}
    assert substitute(data, {"m": "SLO"}) == ({"task": {"m": "SLO"}}, [])
    result, problems = substitute(data, {"m": "MRI"})
    assert [(p.severity, p.path) for p in problems] == [("error", ("template", "m"))]
    assert "'MRI'" in problems[0].message and "OCT, SLO" in problems[0].message
    assert result == {"task": {"m": "{{ m }}"}}


def test_value_for_an_undeclared_name_is_a_warning() -> None:
    data = {"template": {"k": DECLS["top_k"]}, "task": {"k": "{{ k }}"}}
    result, problems = substitute(data, {"kk": 3})
    assert result == {"task": {"k": 5}}
    assert [(p.severity, p.path) for p in problems] == [("warning", ("template",))]
    assert "'kk'" in problems[0].message


def test_each_placeholder_gets_its_own_copy_and_the_input_is_not_changed() -> None:
    data = {"template": {"c": DECLS["cols"]}, "task": {"a": "{{ c }}", "b": ["{{ c }}"]}}
    before = copy.deepcopy(data)
    result, _ = substitute(data)
    result["task"]["a"].append("mutated")
    assert result["task"]["b"] == [["a", "b"]]
    assert data == before


def test_variables_are_replaced_one_after_another_in_declaration_order() -> None:
    # Bitfount makes one pass per variable: a value that is a later variable's
    # placeholder is replaced by the later pass, an earlier one's is not.
    data = {
        "template": {
            "first": {"label": "F", "type": "string", "default": "{{ second }}"},
            "second": {"label": "S", "type": "string", "default": "{{ first }}"},
        },
        "task": {"a": "{{ first }}", "b": "{{ second }}"},
    }
    result, _ = substitute(data)
    assert result == {"task": {"a": "{{ first }}", "b": "{{ first }}"}}


def test_a_task_without_template_comes_back_unchanged() -> None:
    data = {"task": {"a": "{{ x }}"}}
    assert substitute(data) == (data, [])
    assert substitute(None) == (None, [])


@pytest.mark.parametrize("block", [None, [], "x"])
def test_a_template_block_that_is_not_a_mapping_is_removed(block: Any) -> None:
    result, problems = substitute({"template": block, "task": {"a": 1}})
    assert result == {"task": {"a": 1}}
    assert [p.severity for p in problems] == ([] if block is None else ["error"])
