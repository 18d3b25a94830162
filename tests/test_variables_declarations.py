"""Template variable declarations: every type Bitfount offers, valid and each invalid form."""

from __future__ import annotations

from typing import Any

import pytest

from taskwizard.model.variables import (
    VARIABLE_TYPES,
    VariableSpec,
    declaration_to_yaml,
    parse_declaration,
)

# One valid declaration per type, written the way Bitfount expects it.
VALID: dict[str, dict[str, Any]] = {
    "string": {
        "label": "Trial name",
        "tooltip": "Shown in the report",
        "type": "string",
        "pattern": "^[A-Z]",
        "minLength": 2,
        "enum": ["Alpha", "Beta"],
        "default": "Alpha",
    },
    "boolean": {"label": "Test run?", "type": "boolean", "default": False},
    "number": {"label": "Top k", "type": "number", "minimum": 1, "default": 5},
    "array of strings": {
        "label": "Classes",
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "default": ["cat", "dog"],
    },
    "array of string arrays": {
        "label": "Groups",
        "type": "array",
        "items": {"type": "array", "items": {"type": "string"}},
        "default": [["a", "b"], ["c"]],
    },
    "array of objects": {
        "label": "Postprocessors",
        "type": "array",
        "items": {"type": "object"},
        "default": [{"type": "rename", "mapping": {"a": "b"}}],
    },
    "object": {"label": "Renames", "type": "object", "default": {"a": "b"}},
    "file_path": {
        "label": "Patient list",
        "type": {"file_path": {"extension": "csv"}},
        "default": "patients.csv",
    },
    "model_slug": {
        "label": "Model",
        "type": {
            "model_slug": {
                "provider": "huggingface",
                "library": "transformers",
                "pipeline_tag": "image-classification",
                "author": "google",
            }
        },
    },
    "schema_column_name": {
        "label": "Image column",
        "type": {"schema_column_name": {"semantic_type": "image"}},
        "default": "image",
    },
    "schema_column_name_array": {
        "label": "Text columns",
        "type": {"schema_column_name_array": {"semantic_type": "text"}},
        "default": ["notes", "summary"],
    },
    "task_filters": {
        "label": "Filters",
        "type": {"task_filters": {"filter_types": ["min-dob", "modality"]}},
        "default": [{"filter_type": "modality", "value": "OCT"}],
    },
}


def test_every_variable_type_has_a_valid_example() -> None:
    assert set(VALID) == set(VARIABLE_TYPES)


@pytest.mark.parametrize("type_key", VARIABLE_TYPES)
def test_valid_declaration_parses_without_problems_and_round_trips(type_key: str) -> None:
    decl = VALID[type_key]
    spec, problems = parse_declaration("v", decl)
    assert problems == []
    assert spec is not None
    assert spec.type_key == type_key
    assert spec.label == decl["label"]
    assert spec.has_default == ("default" in decl)
    assert declaration_to_yaml(spec) == decl


def test_parsed_fields_reach_the_spec() -> None:
    spec, _ = parse_declaration("v", VALID["string"])
    assert spec is not None
    assert (spec.pattern, spec.min_length, spec.enum, spec.tooltip) == (
        "^[A-Z]",
        2,
        ["Alpha", "Beta"],
        "Shown in the report",
    )
    spec, _ = parse_declaration("v", VALID["model_slug"])
    assert spec is not None
    assert (spec.provider, spec.library, spec.pipeline_tag, spec.author) == (
        "huggingface",
        "transformers",
        "image-classification",
        "google",
    )
    spec, _ = parse_declaration("v", VALID["task_filters"])
    assert spec is not None
    assert spec.filter_types == ["min-dob", "modality"]
    spec, _ = parse_declaration("v", VALID["file_path"])
    assert spec is not None and spec.extension == "csv"
    spec, _ = parse_declaration("v", VALID["schema_column_name"])
    assert spec is not None and spec.semantic_type == "image"
    spec, _ = parse_declaration("v", VALID["number"])
    assert spec is not None and spec.minimum == 1


@pytest.mark.parametrize(
    "decl",
    [
        {"label": "x", "type": "object", "default": None},
        {"label": "x", "type": "string", "default": None},
        {"label": "x", "type": "number", "default": None},
        {"label": "x", "type": "boolean", "default": None},
        {"label": "x", "type": {"schema_column_name": {}}, "default": None},
    ],
)
def test_explicit_null_default_counts_as_a_default(decl: dict[str, Any]) -> None:
    spec, problems = parse_declaration("v", decl)
    assert problems == []
    assert spec is not None and spec.has_default and spec.default is None
    assert "default" in declaration_to_yaml(spec)


@pytest.mark.parametrize(
    "decl",
    [
        {"label": "x", "type": {"file_path": {}}},
        {"label": "x", "type": {"file_path": {"extension": None}}},
        {"label": "x", "type": {"schema_column_name": {}}},
        {"label": "x", "type": {"schema_column_name_array": {}}},
        {"label": "x", "type": {"model_slug": {"provider": "p", "library": "l"}}},
        {"label": "x", "tooltip": None, "type": "string"},
        {"label": "x", "type": "array", "items": {"type": "string"}, "minItems": None},
        {"label": "x", "type": "number", "default": 0.5, "minimum": 0},
        {"label": "x", "type": "string", "minLength": 0, "default": ""},
    ],
)
def test_optional_fields_may_be_left_out(decl: dict[str, Any]) -> None:
    spec, problems = parse_declaration("v", decl)
    assert problems == [], [p.message for p in problems]
    assert spec is not None


# (declaration, path under ("template", "v"), words the message must contain, severity)
INVALID: list[tuple[dict[str, Any] | Any, tuple[Any, ...], str, str]] = [
    # common fields
    ("not a mapping", (), "must be a mapping", "error"),
    ({"type": "string"}, (), "label: required", "error"),
    ({"label": 3, "type": "string"}, ("label",), "label: must be a string", "error"),
    ({"label": None, "type": "string"}, ("label",), "label: must be a string", "error"),
    ({"label": "x", "tooltip": 4, "type": "string"}, ("tooltip",), "tooltip: must be", "error"),
    ({"label": "x"}, (), "type: required", "error"),
    ({"label": "x", "type": "text"}, ("type",), "unknown variable type 'text'", "error"),
    ({"label": "x", "type": "file_path"}, ("type",), "written as a mapping", "error"),
    ({"label": "x", "type": {"colour": {}}}, ("type",), "exactly one key", "error"),
    (
        {"label": "x", "type": {"file_path": {}, "model_slug": {}}},
        ("type",),
        "exactly one key",
        "error",
    ),
    ({"label": "x", "type": 3}, ("type",), "must be a type name or a mapping", "error"),
    ({"label": "x", "type": "string", "deflt": "a"}, ("deflt",), "unknown key 'deflt'", "error"),
    ({"label": "x", "type": "boolean", "minimum": 1}, ("minimum",), "unknown key", "error"),
    ({"label": "x", "type": "number", "enum": [1]}, ("enum",), "unknown key", "error"),
    # string
    ({"label": "x", "type": "string", "default": 3}, ("default",), "must be a string", "error"),
    (
        {"label": "x", "type": "string", "enum": ["a", "b"], "default": "c"},
        ("default",),
        "not one of enum",
        "error",
    ),
    ({"label": "x", "type": "string", "enum": "a"}, ("enum",), "list of strings", "error"),
    ({"label": "x", "type": "string", "enum": [1, 2]}, ("enum",), "list of strings", "error"),
    ({"label": "x", "type": "string", "enum": []}, ("enum",), "at least one", "error"),
    (
        {"label": "x", "type": "string", "pattern": "^[0-9]+$", "default": "abc"},
        ("default",),
        "does not match pattern",
        "error",
    ),
    ({"label": "x", "type": "string", "pattern": 5}, ("pattern",), "must be a string", "error"),
    (
        {"label": "x", "type": "string", "pattern": "("},
        ("pattern",),
        "regular expression",
        "warning",
    ),
    (
        {"label": "x", "type": "string", "minLength": 4, "default": "abc"},
        ("default",),
        "shorter than minLength 4",
        "error",
    ),
    ({"label": "x", "type": "string", "default": ""}, ("default",), "minLength 1", "error"),
    ({"label": "x", "type": "string", "minLength": "2"}, ("minLength",), "whole number", "error"),
    ({"label": "x", "type": "string", "minLength": -1}, ("minLength",), "0 or more", "error"),
    ({"label": "x", "type": "string", "minLength": True}, ("minLength",), "whole number", "error"),
    ({"label": "x", "type": "string", "minLength": None}, ("minLength",), "not null", "error"),
    # boolean
    ({"label": "x", "type": "boolean", "default": 2}, ("default",), "true or false", "error"),
    ({"label": "x", "type": "boolean", "default": [True]}, ("default",), "true or false", "error"),
    (
        {"label": "x", "type": "boolean", "default": "yes"},
        ("default",),
        "write true or false",
        "warning",
    ),
    # number
    ({"label": "x", "type": "number", "default": True}, ("default",), "must be a number", "error"),
    (
        {"label": "x", "type": "number", "default": "many"},
        ("default",),
        "must be a number",
        "error",
    ),
    (
        {"label": "x", "type": "number", "default": "5"},
        ("default",),
        "write it unquoted",
        "warning",
    ),
    ({"label": "x", "type": "number", "minimum": "low"}, ("minimum",), "must be a number", "error"),
    (
        {"label": "x", "type": "number", "minimum": 1, "default": 0},
        ("default",),
        "below minimum 1",
        "error",
    ),
    # arrays
    ({"label": "x", "type": "array"}, (), "items: required", "error"),
    ({"label": "x", "type": "array", "items": "string"}, ("items",), "must be a mapping", "error"),
    (
        {"label": "x", "type": "array", "items": {"type": "number"}},
        ("items", "type"),
        "string, array or object",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "string", "max": 3}},
        ("items", "max"),
        "unknown key 'max'",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "array"}},
        ("items",),
        "array of arrays holds strings",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "array", "items": {"type": "object"}}},
        ("items", "items"),
        "array of arrays holds strings",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "string", "items": {"type": "string"}}},
        ("items", "items"),
        "unknown key 'items'",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "string"}, "default": "a"},
        ("default",),
        "must be a list",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "string"}, "default": ["a", 1]},
        ("default", 1),
        "must be a string",
        "error",
    ),
    (
        {
            "label": "x",
            "type": "array",
            "items": {"type": "string"},
            "minItems": 2,
            "default": ["a"],
        },
        ("default",),
        "fewer than minItems 2",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "string"}, "minItems": 1.5},
        ("minItems",),
        "whole number",
        "error",
    ),
    (
        {
            "label": "x",
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}},
            "default": [["a"], []],
        },
        ("default", 1),
        "non-empty list of strings",
        "error",
    ),
    (
        {
            "label": "x",
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}},
            "default": ["a"],
        },
        ("default", 0),
        "non-empty list of strings",
        "error",
    ),
    (
        {"label": "x", "type": "array", "items": {"type": "object"}, "default": [{"a": 1}, "b"]},
        ("default", 1),
        "must be a mapping",
        "error",
    ),
    # object
    ({"label": "x", "type": "object", "default": [1]}, ("default",), "mapping or null", "error"),
    ({"label": "x", "type": "object", "default": "a"}, ("default",), "mapping or null", "error"),
    # file_path
    (
        {"label": "x", "type": {"file_path": {"extension": ".csv"}}},
        ("type", "file_path", "extension"),
        "without the leading dot",
        "error",
    ),
    (
        {"label": "x", "type": {"file_path": {"extension": 3}}},
        ("type", "file_path", "extension"),
        "must be a string",
        "error",
    ),
    (
        {"label": "x", "type": {"file_path": {"ext": "csv"}}},
        ("type", "file_path", "ext"),
        "unknown key 'ext'",
        "error",
    ),
    (
        {"label": "x", "type": {"file_path": None}},
        ("type", "file_path"),
        "must be a mapping",
        "error",
    ),
    (
        {"label": "x", "type": {"file_path": {}}, "default": 3},
        ("default",),
        "must be a string",
        "error",
    ),
    (
        {"label": "x", "type": {"file_path": {"extension": "csv"}}, "default": "a.txt"},
        ("default",),
        "does not end with .csv",
        "warning",
    ),
    # model_slug
    (
        {
            "label": "x",
            "type": {"model_slug": {"provider": "huggingface", "library": "transformers"}},
            "default": "google/vit",
        },
        ("default",),
        "model_slug variable cannot have a default",
        "error",
    ),
    (
        {
            "label": "x",
            "type": {"model_slug": {"provider": "huggingface", "library": "transformers"}},
            "default": None,
        },
        ("default",),
        "model_slug variable cannot have a default",
        "error",
    ),
    (
        {"label": "x", "type": {"model_slug": {"library": "transformers"}}},
        ("type", "model_slug"),
        "provider: required",
        "error",
    ),
    (
        {"label": "x", "type": {"model_slug": {"provider": "huggingface"}}},
        ("type", "model_slug"),
        "library: required",
        "error",
    ),
    (
        {"label": "x", "type": {"model_slug": {"provider": 1, "library": "l"}}},
        ("type", "model_slug", "provider"),
        "must be a string",
        "error",
    ),
    (
        {"label": "x", "type": {"model_slug": {"provider": "p", "library": "l", "author": 2}}},
        ("type", "model_slug", "author"),
        "must be a string",
        "error",
    ),
    (
        {"label": "x", "type": {"model_slug": {"provider": "p", "library": "l", "task": "t"}}},
        ("type", "model_slug", "task"),
        "unknown key 'task'",
        "error",
    ),
    # schema columns
    (
        {"label": "x", "type": {"schema_column_name": {"semantic_type": "numeric"}}},
        ("type", "schema_column_name", "semantic_type"),
        "categorical, continuous, image, text",
        "error",
    ),
    (
        {"label": "x", "type": {"schema_column_name_array": {"semantic_type": "Image"}}},
        ("type", "schema_column_name_array", "semantic_type"),
        "must be one of",
        "error",
    ),
    (
        {"label": "x", "type": {"schema_column_name": {}}, "default": ["a"]},
        ("default",),
        "must be a string",
        "error",
    ),
    (
        {"label": "x", "type": {"schema_column_name_array": {}}, "default": "a"},
        ("default",),
        "list of column names",
        "error",
    ),
    (
        {"label": "x", "type": {"schema_column_name": {"kind": "image"}}},
        ("type", "schema_column_name", "kind"),
        "unknown key",
        "error",
    ),
    # task_filters
    (
        {"label": "x", "type": {"task_filters": {}}},
        ("type", "task_filters"),
        "filter_types: required",
        "error",
    ),
    (
        {"label": "x", "type": {"task_filters": {"filter_types": "modality"}}},
        ("type", "task_filters", "filter_types"),
        "must be a list",
        "error",
    ),
    (
        {"label": "x", "type": {"task_filters": {"filter_types": ["modality", "min-dobb"]}}},
        ("type", "task_filters", "filter_types", 1),
        "did you mean 'min-dob'",
        "error",
    ),
    (
        {"label": "x", "type": {"task_filters": {"filter_types": []}}},
        ("type", "task_filters", "filter_types"),
        "no filter is offered",
        "warning",
    ),
    (
        {"label": "x", "type": {"task_filters": {"filter_types": ["modality"]}}, "default": {}},
        ("default",),
        "list of filters",
        "error",
    ),
    (
        {
            "label": "x",
            "type": {"task_filters": {"filter_types": ["modality"]}},
            "default": ["OCT"],
        },
        ("default", 0),
        "filter mapping",
        "error",
    ),
    (
        {
            "label": "x",
            "type": {"task_filters": {"filter_types": ["modality"]}},
            "default": [{"filter_type": "colour", "value": 1}],
        },
        ("default", 0, "filter_type"),
        "unknown filter type 'colour'",
        "error",
    ),
    (
        {
            "label": "x",
            "type": {"task_filters": {"filter_types": ["modality"]}},
            "default": [{"filter_type": "min-dob", "value": {"year": 1950}}],
        },
        ("default", 0, "filter_type"),
        "not among this variable's filter_types",
        "warning",
    ),
]


@pytest.mark.parametrize(
    ("decl", "where", "words", "severity"),
    INVALID,
    ids=[f"{i}-{w[:30]}" for i, (_, _, w, _) in enumerate(INVALID)],
)
def test_invalid_declaration_is_reported_at_its_path(
    decl: Any, where: tuple[Any, ...], words: str, severity: str
) -> None:
    _, problems = parse_declaration("v", decl)
    matching = [p for p in problems if words in p.message]
    assert matching, [p.message for p in problems]
    assert matching[0].path == ("template", "v", *where)
    assert matching[0].severity == severity


@pytest.mark.parametrize("name", ["1st", "my-var", "my var", "", "é"])
def test_variable_name_must_be_an_identifier(name: str) -> None:
    spec, problems = parse_declaration(name, {"label": "x", "type": "string"})
    assert [p.path for p in problems if p.is_error] == [("template", name)]
    assert "not an identifier" in problems[0].message
    assert spec is not None  # still usable by a form next to its problem


def test_unknown_type_gives_no_spec() -> None:
    spec, problems = parse_declaration("v", {"label": "x", "type": "text"})
    assert spec is None
    assert problems


def test_declaration_to_yaml_writes_only_given_fields_and_never_a_model_slug_default() -> None:
    spec = VariableSpec(
        name="m",
        type_key="model_slug",
        label="Model",
        provider="hf",
        library="transformers",
        default="x",
        has_default=True,
    )
    assert declaration_to_yaml(spec) == {
        "label": "Model",
        "type": {"model_slug": {"provider": "hf", "library": "transformers"}},
    }
    spec = VariableSpec(name="c", type_key="schema_column_name", label="Column")
    assert declaration_to_yaml(spec) == {"label": "Column", "type": {"schema_column_name": {}}}
    spec = VariableSpec(name="o", type_key="object", label="O", default=None, has_default=True)
    assert declaration_to_yaml(spec) == {"label": "O", "type": "object", "default": None}
    with pytest.raises(ValueError, match="unknown variable type"):
        declaration_to_yaml(VariableSpec(name="x", type_key="colour", label="x"))


@pytest.mark.parametrize("type_key", VARIABLE_TYPES)
def test_a_spec_built_by_a_form_produces_a_declaration_bitfount_accepts(type_key: str) -> None:
    # What the wizard's form does: start from the type and a label, then write YAML.
    spec = VariableSpec(name="v", type_key=type_key, label="Question")
    if type_key == "model_slug":
        spec.provider, spec.library = "huggingface", "transformers"
    if type_key == "task_filters":
        spec.filter_types = ["modality"]
    parsed, problems = parse_declaration("v", declaration_to_yaml(spec))
    assert problems == []
    assert parsed is not None and parsed.type_key == type_key
