"""Binding wizard fields to variables: pick lists, bind, unbind, new variable from a field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from taskwizard.model.variables import (
    FIELD_KINDS,
    VARIABLE_TYPES,
    bind_field,
    check_template_variables,
    compatible_variables,
    new_variable_from_field,
    substitute,
    unbind_field,
)

DECLS: dict[str, Any] = {
    "name": {"label": "N", "type": "string", "default": "x"},
    "flag": {"label": "F", "type": "boolean", "default": True},
    "count": {"label": "C", "type": "number", "default": 3},
    "ratio": {"label": "R", "type": "number", "default": 0.5},
    "cols": {"label": "Cs", "type": "array", "items": {"type": "string"}},
    "groups": {
        "label": "G",
        "type": "array",
        "items": {"type": "array", "items": {"type": "string"}},
    },
    "objs": {"label": "O", "type": "array", "items": {"type": "object"}},
    "obj": {"label": "Ob", "type": "object"},
    "file": {"label": "Fi", "type": {"file_path": {"extension": "csv"}}},
    "model": {"label": "M", "type": {"model_slug": {"provider": "hf", "library": "t"}}},
    "col": {"label": "Col", "type": {"schema_column_name": {}}},
    "colarr": {"label": "Cols", "type": {"schema_column_name_array": {}}},
    "filters": {"label": "Fl", "type": {"task_filters": {"filter_types": ["modality"]}}},
    "broken": {"label": "B", "type": "colour"},
}

TASK: dict[str, Any] = {
    "template": DECLS,
    "pods": {"identifiers": ["bitfount/pod"]},
    "test_run": False,
    "task": {
        "algorithm": [
            {
                "name": "bitfount.HuggingFaceImageClassificationInference",
                "arguments": {"model_id": "google/vit", "top_k": 5},
            },
        ],
        "data_structure": {"select": {"include": ["image"]}},
    },
}


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("str", ["name", "file", "model", "col"]),
        ("path", ["name", "file"]),
        ("int", ["count"]),
        ("float", ["count", "ratio"]),
        ("bool", ["flag"]),
        ("str_list", ["cols", "colarr"]),
        ("str_list_list", ["groups"]),
        ("mapping_list", ["objs", "filters"]),
        ("mapping", ["obj"]),
        ("any", [n for n in DECLS if n != "broken"]),
        ("no-such-kind", []),
    ],
)
def test_compatible_variables_by_field_kind_in_declaration_order(
    kind: str, names: list[str]
) -> None:
    assert compatible_variables(TASK, kind) == names


def test_every_variable_type_fits_some_field_kind() -> None:
    kinds = {t for kind, types in FIELD_KINDS.items() if kind != "any" for t in types}
    assert kinds == set(VARIABLE_TYPES)


def test_an_int_field_is_not_offered_a_number_whose_default_is_a_fraction() -> None:
    assert "ratio" not in compatible_variables(TASK, "int")
    assert "ratio" in compatible_variables(TASK, "float")


def test_compatible_variables_without_template() -> None:
    assert compatible_variables({"task": {}}, "str") == []
    assert compatible_variables(None, "str") == []


def test_bind_field_puts_the_canonical_placeholder_and_leaves_the_input_alone() -> None:
    before = copy.deepcopy(TASK)
    path = ("task", "algorithm", 0, "arguments", "top_k")
    bound = bind_field(TASK, path, "count")
    assert bound["task"]["algorithm"][0]["arguments"]["top_k"] == "{{ count }}"
    assert before == TASK
    bound = bind_field(TASK, ("task", "data_structure", "select", "include", 0), "col")
    assert bound["task"]["data_structure"]["select"]["include"] == ["{{ col }}"]


def test_bind_field_can_bind_an_absent_optional_field_of_an_existing_mapping() -> None:
    bound = bind_field(TASK, ("task", "data_structure", "filter"), "filters")
    assert bound["task"]["data_structure"]["filter"] == "{{ filters }}"


@pytest.mark.parametrize(
    ("path", "variable", "words"),
    [
        (("task", "nowhere", "x"), "count", "parent does not exist"),
        (("task", "algorithm", 3, "name"), "count", "parent does not exist"),
        (("test_run", "x"), "flag", "parent does not exist"),
        ((), "count", "whole document"),
        (("template", "count", "default"), "count", "template: block"),
        (("test_run",), "not-a-name", "not a variable name"),
    ],
)
def test_bind_field_refuses_what_it_cannot_do(
    path: tuple[Any, ...], variable: str, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        bind_field(TASK, path, variable)


def test_unbind_field_restores_a_fixed_value() -> None:
    path = ("task", "algorithm", 0, "arguments", "top_k")
    bound = bind_field(TASK, path, "count")
    assert unbind_field(bound, path, 5) == TASK
    value = ["a"]
    unbound = unbind_field(bound, ("task", "data_structure", "select", "include"), value)
    value.append("b")
    assert unbound["task"]["data_structure"]["select"]["include"] == ["a"]


def test_new_variable_from_field_declares_the_current_value_as_default_and_binds() -> None:
    data = {"pods": TASK["pods"], "task": copy.deepcopy(TASK["task"])}
    path = ("task", "algorithm", 0, "arguments", "top_k")
    result = new_variable_from_field(data, path, "top_k", "How many classes", "number")
    assert list(result) == ["template", "pods", "task"]  # the template block goes first
    assert result["template"] == {
        "top_k": {"label": "How many classes", "type": "number", "default": 5}
    }
    assert result["task"]["algorithm"][0]["arguments"]["top_k"] == "{{ top_k }}"
    assert check_template_variables(result) == []
    substituted, problems = substitute(result)
    assert problems == [] and substituted == data


def test_new_variable_from_a_list_field_keeps_the_list_as_default() -> None:
    path = ("task", "data_structure", "select", "include")
    result = new_variable_from_field(TASK, path, "columns", "Columns", "schema_column_name_array")
    assert result["template"]["columns"] == {
        "label": "Columns",
        "type": {"schema_column_name_array": {}},
        "default": ["image"],
    }
    assert list(result["template"])[:-1] == list(DECLS)  # appended to the existing block
    assert substitute(result, {"model": "m"})[0]["task"]["data_structure"]["select"]["include"] == [
        "image"
    ]


def test_new_model_slug_variable_never_gets_a_default() -> None:
    path = ("task", "algorithm", 0, "arguments", "model_id")
    data = {"task": copy.deepcopy(TASK["task"])}
    result = new_variable_from_field(data, path, "vit", "Model", "model_slug")
    decl = result["template"]["vit"]
    assert "default" not in decl
    assert set(decl["type"]["model_slug"]) == {"provider", "library"}
    assert result["task"]["algorithm"][0]["arguments"]["model_id"] == "{{ vit }}"


def test_new_variable_from_an_empty_or_already_bound_field_has_no_default() -> None:
    data = {"task": {"arguments": {"bound": "{{ other }}"}}}
    result = new_variable_from_field(data, ("task", "arguments", "absent"), "a", "A", "string")
    assert "default" not in result["template"]["a"]
    assert result["task"]["arguments"]["absent"] == "{{ a }}"
    result = new_variable_from_field(data, ("task", "arguments", "bound"), "b", "B", "string")
    assert "default" not in result["template"]["b"]


def test_new_file_path_variable_takes_its_extension_from_the_value() -> None:
    data = {"task": {"arguments": {"matched_csv_path": "out/matched.csv"}}}
    result = new_variable_from_field(
        data, ("task", "arguments", "matched_csv_path"), "out", "Output", "file_path"
    )
    assert result["template"]["out"]["type"] == {"file_path": {"extension": "csv"}}
    assert result["template"]["out"]["default"] == "out/matched.csv"


def test_new_task_filters_variable_offers_the_filter_types_in_use() -> None:
    filters = [
        {"filter_type": "modality", "value": "OCT"},
        {"filter_type": "min-dob", "value": {"year": 1950}},
    ]
    data = {"task": {"data_structure": {"filter": filters}}}
    result = new_variable_from_field(
        data, ("task", "data_structure", "filter"), "filters", "Filters", "task_filters"
    )
    assert result["template"]["filters"]["type"] == {
        "task_filters": {"filter_types": ["min-dob", "modality"]}
    }
    assert result["template"]["filters"]["default"] == filters
    assert check_template_variables(result) == []


@pytest.mark.parametrize(
    ("name", "type_key", "words"),
    [
        ("count", "number", "already declared"),
        ("2nd", "number", "not a valid variable name"),
        ("x", "integer", "unknown variable type"),
    ],
)
def test_new_variable_from_field_refuses_bad_requests(name: str, type_key: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        new_variable_from_field(TASK, ("test_run",), name, "L", type_key)


def test_every_catalog_argument_kind_has_a_pick_list() -> None:
    from taskwizard.model.catalog import ARGUMENT_KINDS

    assert set(ARGUMENT_KINDS) <= set(FIELD_KINDS)
