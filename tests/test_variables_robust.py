"""Odd input never raises: every declaration field and placeholder spot with odd values."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest

from taskwizard.model.problems import Problem
from taskwizard.model.variables import (
    VARIABLE_TYPES,
    VariableSpec,
    check_template_variables,
    compatible_variables,
    declaration_to_yaml,
    declared_variables,
    find_placeholders,
    parse_declaration,
    substitute,
)

ODD: list[Any] = [
    None,
    True,
    0,
    -3,
    1.5,
    float("nan"),
    float("inf"),
    "",
    "{{ v }}",
    "x",
    [],
    [None],
    [[1]],
    {},
    {"a": None},
    {"filter_type": []},
    datetime.date(2020, 1, 1),
]
FIELDS = [
    "label",
    "tooltip",
    "type",
    "default",
    "pattern",
    "minLength",
    "enum",
    "minimum",
    "items",
    "minItems",
]
NESTED = [
    "extension",
    "provider",
    "library",
    "pipeline_tag",
    "author",
    "semantic_type",
    "filter_types",
]


def base_declarations() -> list[dict[str, Any]]:
    out = []
    for type_key in VARIABLE_TYPES:
        spec = VariableSpec(name="v", type_key=type_key, label="L")
        if type_key == "model_slug":
            spec.provider, spec.library = "p", "l"
        out.append(declaration_to_yaml(spec))
    return out


def run_everything(data: Any) -> None:
    problems = check_template_variables(data)
    assert all(isinstance(p, Problem) for p in problems)
    substitute(data)
    substitute(data, {"v": ["x"]})
    find_placeholders(data)
    declared_variables(data)
    for kind in ("str", "int", "any", "str_list"):
        compatible_variables(data, kind)


@pytest.mark.parametrize("decl", base_declarations(), ids=list(VARIABLE_TYPES))
def test_odd_values_in_every_declaration_field_are_reported_not_raised(
    decl: dict[str, Any],
) -> None:
    for field, value in itertools.product(FIELDS, ODD):
        changed = dict(decl)
        changed[field] = value
        spec, problems = parse_declaration("v", changed)
        if spec is not None:
            declaration_to_yaml(spec)
        run_everything({"template": {"v": changed}, "task": {"a": "{{ v }}"}})
    if isinstance(decl["type"], dict):
        (key,) = decl["type"]
        for field, value in itertools.product(NESTED, ODD):
            changed = dict(decl)
            changed["type"] = {key: {**decl["type"][key], field: value}}
            parse_declaration("v", changed)
            run_everything({"template": {"v": changed}, "task": {"a": "{{ v }}"}})
        for value in ODD:
            changed = dict(decl)
            changed["type"] = {key: value}
            parse_declaration("v", changed)
            run_everything({"template": {"v": changed}, "task": {"a": "{{ v }}"}})


@pytest.mark.parametrize("value", ODD, ids=[repr(v)[:20] for v in ODD])
def test_odd_array_items_are_reported_not_raised(value: Any) -> None:
    for items in (
        {"type": value},
        {"type": "array", "items": value},
        {"type": "object", "items": value},
    ):
        decl = {"label": "L", "type": "array", "items": items, "default": [value]}
        spec, problems = parse_declaration("v", decl)
        assert spec is None or spec.type_key.startswith("array of")
        run_everything({"template": {"v": decl}, "task": {"a": "{{ v }}"}})


@pytest.mark.parametrize("value", ODD, ids=[repr(v)[:20] for v in ODD])
def test_odd_task_shapes_are_reported_not_raised(value: Any) -> None:
    run_everything(value)
    run_everything({"template": value, "task": value})
    run_everything({"template": {"v": value}, "task": {"a": "{{ v }}", 3: value, None: [value]}})
