"""The Variables step's operations: list, add, edit, rename and remove declarations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from taskwizard.model.variables import (
    VariableSpec,
    check_template_variables,
    declared_variables,
    put_variable,
    remove_variable,
    substitute,
)
from taskwizard.model.yamlio import load_yaml_text

TEXT = """\
template:
  top_k:
    type: number
    label: Top k
    tooltip: null
    default: 5
  column:
    label: Column
    type: {schema_column_name: {}}
    default: image
  broken:
    label: Broken
    type: colour
task:
  arguments:
    top_k: "{{ top_k }}"
    again: "{{top_k}}"
    title: "k is {{ top_k }}"
  include: ["{{ column }}"]
"""


def data() -> Any:
    loaded = load_yaml_text(TEXT, "t.yaml")
    assert loaded.ok
    return loaded.data


def test_declared_variables_lists_readable_declarations_in_file_order() -> None:
    specs = declared_variables(data())
    assert [(s.name, s.type_key) for s in specs] == [
        ("top_k", "number"),
        ("column", "schema_column_name"),
    ]
    assert specs[0].default == 5 and specs[0].has_default


def test_an_untouched_declaration_is_kept_exactly_as_written() -> None:
    original = data()
    spec = declared_variables(original)[0]
    result = put_variable(original, spec)
    assert list(result["template"]["top_k"]) == ["type", "label", "tooltip", "default"]
    assert result == original


def test_an_edited_declaration_is_rewritten_in_its_place() -> None:
    original = data()
    spec = declared_variables(original)[0]
    spec.minimum = 1
    spec.default = 3
    result = put_variable(original, spec)
    assert list(result["template"]) == ["top_k", "column", "broken"]
    assert result["template"]["top_k"] == {
        "label": "Top k",
        "type": "number",
        "minimum": 1,
        "default": 3,
    }
    assert result["task"] == original["task"]
    assert original["template"]["top_k"]["default"] == 5  # input untouched


def test_a_new_variable_is_appended_and_a_template_block_created_when_missing() -> None:
    spec = VariableSpec(
        name="flag", type_key="boolean", label="Flag", default=True, has_default=True
    )
    result = put_variable(data(), spec)
    assert list(result["template"])[-1] == "flag"
    result = put_variable({"pods": {}, "task": {}}, spec)
    assert list(result) == ["template", "pods", "task"]
    assert result["template"] == {"flag": {"label": "Flag", "type": "boolean", "default": True}}


def test_renaming_rewrites_whole_value_placeholders_in_any_spacing() -> None:
    original = data()
    spec = declared_variables(original)[0]
    spec.name = "how_many"
    result = put_variable(original, spec, old_name="top_k")
    assert list(result["template"]) == ["how_many", "column", "broken"]
    assert result["task"]["arguments"] == {
        "top_k": "{{ how_many }}",
        "again": "{{ how_many }}",
        "title": "k is {{ top_k }}",  # never substituted anyway: left for the warning
    }
    assert result["template"]["how_many"] == original["template"]["top_k"]


@pytest.mark.parametrize(
    ("name", "old_name", "words"),
    [
        ("column", "top_k", "already declared"),
        ("x", "nope", "no variable named 'nope'"),
        ("2x", None, "not a valid variable name"),
    ],
)
def test_put_variable_refuses_clashes(name: str, old_name: str | None, words: str) -> None:
    spec = VariableSpec(name=name, type_key="string", label="S")
    with pytest.raises(ValueError, match=words):
        put_variable(data(), spec, old_name=old_name)


def test_removing_a_variable_fills_its_placeholders_with_its_default() -> None:
    original = data()
    result = remove_variable(original, "top_k")
    assert list(result["template"]) == ["column", "broken"]
    assert result["task"]["arguments"] == {
        "top_k": 5,
        "again": "{{top_k}}",  # not a placeholder Bitfount replaces, so not replaced
        "title": "k is {{ top_k }}",
    }
    assert original["task"]["arguments"]["top_k"] == "{{ top_k }}"


def test_removing_a_variable_without_default_leaves_its_placeholders_for_the_check() -> None:
    start = {
        "template": {
            "m": {"label": "M", "type": {"model_slug": {"provider": "p", "library": "l"}}}
        },
        "task": {"model_id": "{{ m }}"},
    }
    result = remove_variable(start, "m")
    assert result == {"task": {"model_id": "{{ m }}"}}  # the emptied template block goes
    assert [p.path for p in check_template_variables(result)] == [("task", "model_id")]


def test_removing_keeps_the_task_running_as_before() -> None:
    original = data()
    del original["template"]["broken"]
    ran_before, _ = substitute(original)
    ran_after, _ = substitute(remove_variable(original, "column"))
    assert ran_after == ran_before


def test_removing_an_unknown_variable_is_refused() -> None:
    with pytest.raises(ValueError, match="no variable named 'zz'"):
        remove_variable(data(), "zz")
    with pytest.raises(ValueError):
        remove_variable({"task": {}}, "zz")


def test_put_then_remove_round_trip_restores_the_task() -> None:
    original = {"task": {"k": 1}}
    spec = VariableSpec(name="k", type_key="number", label="K", default=1, has_default=True)
    declared = put_variable(original, spec)
    declared["task"]["k"] = "{{ k }}"
    assert remove_variable(copy.deepcopy(declared), "k") == original
