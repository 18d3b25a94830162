"""Template variables end to end: real YAML files through yamlio and validate_task."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from taskwizard.model.problems import Problem
from taskwizard.model.validate import validate_task
from taskwizard.model.variables import (
    VariableSpec,
    bind_field,
    declaration_to_yaml,
    new_variable_from_field,
    substitute,
    unbind_field,
)
from taskwizard.model.yamlio import load_yaml_file, load_yaml_text

FIXTURES = Path(__file__).parent / "fixtures" / "variables"


def load(name: str) -> Any:
    loaded = load_yaml_file(FIXTURES / name)
    assert loaded.ok, loaded.problems
    return loaded


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def test_template_with_model_slug_column_and_number_variables_is_valid() -> None:
    loaded = load("image-classification-template.yaml")
    assert validate_task(loaded.data) == []


def test_it_runs_once_the_model_is_given_and_not_before() -> None:
    data = load("image-classification-template.yaml").data
    task, problems = substitute(data, {"model": "google/vit-base-patch16-224"})
    assert problems == []
    assert "template" not in task
    arguments = task["task"]["algorithm"][0]["arguments"]
    assert arguments == {"model_id": "google/vit-base-patch16-224", "top_k": 3}
    assert task["task"]["data_structure"]["select"]["include"] == ["image"]
    assert validate_task(task) == []
    _, problems = substitute(data)
    assert [p.path for p in problems] == [("template", "model")]


def test_a_default_that_breaks_the_task_is_an_error_at_the_placeholder_line() -> None:
    loaded = load("image-classification-template.yaml")
    # Bitfount truncates 2.5 to 2 (marshmallow Integer), but cannot read infinity at all.
    text = loaded.text.replace("    default: 3\n", "    default: .inf\n")
    changed = load_yaml_text(text, "t.yaml")
    problems = changed.resolve(validate_task(changed.data))
    assert [(p.severity, p.path) for p in problems] == [
        ("error", ("task", "algorithm", 0, "arguments", "top_k"))
    ]
    assert problems[0].message.startswith("with the defaults filled in (top_k = inf): ")
    line = text.splitlines().index('        top_k: "{{ top_k }}"') + 1
    assert (problems[0].line, problems[0].column) == (line, len("        top_k: ") + 1)


def test_a_column_list_default_with_two_columns_breaks_the_huggingface_single_column_rule() -> None:
    data = copy.deepcopy(load("image-classification-template.yaml").data)
    data["template"]["image_column"] = {
        "label": "Image columns",
        "type": {"schema_column_name_array": {"semantic_type": "image"}},
        "default": ["left_eye", "right_eye"],
    }
    data["task"]["data_structure"]["select"]["include"] = "{{ image_column }}"
    problems = validate_task(data)
    assert [(p.severity, p.path) for p in problems] == [
        ("error", ("task", "data_structure", "select", "include"))
    ]
    assert "with the defaults filled in (image_column = ['left_eye', 'right_eye'])" in (
        problems[0].message
    )
    data["template"]["image_column"]["default"] = ["left_eye"]
    assert validate_task(data) == []


def test_the_slips_are_reported_once_each_by_validate_task() -> None:
    loaded = load("placeholder-slips.yaml")
    problems = validate_task(loaded.data)
    texts = [p.message for p in problems]
    assert len(texts) == len(set(texts))
    assert sum("names no declared template variable" in t for t in texts) == 2
    assert sum("never substitutes it" in t for t in texts) == 2
    assert sum("no placeholder uses it" in t for t in texts) == 1


def test_a_template_can_be_built_from_a_plain_task_field_by_field() -> None:
    # What the wizard does: start from a plain valid task, then turn fields into variables.
    task = copy.deepcopy(load("image-classification-template.yaml").data)
    del task["template"]
    arguments = ("task", "algorithm", 0, "arguments")
    task = unbind_field(task, (*arguments, "model_id"), "google/vit-base-patch16-224")
    task = unbind_field(task, (*arguments, "top_k"), 3)
    task = unbind_field(task, ("task", "data_structure", "select", "include", 0), "image")
    assert validate_task(task) == []

    task = new_variable_from_field(task, (*arguments, "top_k"), "top_k", "Top k", "number")
    task = new_variable_from_field(
        task,
        ("task", "data_structure", "select", "include", 0),
        "column",
        "Image column",
        "schema_column_name",
    )
    model = VariableSpec(
        name="model",
        type_key="model_slug",
        label="Model",
        provider="huggingface",
        library="transformers",
    )
    task["template"]["model"] = declaration_to_yaml(model)
    task = bind_field(task, (*arguments, "model_id"), "model")
    assert list(task["template"]) == ["top_k", "column", "model"]
    assert validate_task(task) == []
    ran, problems = substitute(task, {"model": "google/vit-base-patch16-224"})
    assert problems == [] and validate_task(ran) == []


def test_a_placeholder_in_a_non_templatable_field_is_reported_once_not_again_with_defaults() -> (
    None
):
    text = """\
version: "8.43.0"
template:
  v:
    label: Model version
    type: number
    default: 1
pods: {identifiers: [a]}
task:
  protocol: {name: bitfount.InferenceAndCSVReport}
  algorithm:
    - name: bitfount.ModelInference
      model:
        bitfount_model: {model_ref: M, model_version: "{{ v }}"}
  data_structure: {}
"""
    loaded = load_yaml_text(text, "t.yaml")
    problems = loaded.resolve(validate_task(loaded.data))
    assert [(p.severity, p.path, p.line) for p in problems] == [
        ("error", ("task", "algorithm", 0, "model", "bitfount_model", "model_version"), 13)
    ]
    assert "with the defaults filled in" not in problems[0].message
