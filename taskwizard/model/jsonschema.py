"""JSON Schemas (draft 2020-12) of the two formats, for editors and other tools.

Generated from the same pydantic models and catalog the validator uses
(:mod:`schema_config`, :mod:`schema_task`, :mod:`catalog`), so they cannot
drift apart. The rule: every file Bitfount accepts validates against the schema;
the schema may accept more (it cannot say everything the validator checks —
cross-field rules, slugs that collide, files that exist), never less. So the
scalar types are widened as Bitfount's lax parsing widens them (``"yes"`` is a
boolean, ``"8443"`` and ``2.0`` integers), and a ``"{{ name }}"`` placeholder is
allowed in every field Bitfount marks templatable.

The task's ``protocol`` and ``algorithm`` are typed by name: one ``if``/``then``
per known protocol and algorithm gives its ``arguments`` their own shape (types,
defaults, choices, required arguments) and its help as descriptions.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from taskwizard.model import catalog
from taskwizard.model.schema import TEMPLATABLE

DIALECT = "https://json-schema.org/draft/2020-12/schema"
PLACEHOLDER = {
    "type": "string",
    "pattern": r"^\s*\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}\s*$",
    "description": 'a template variable, "{{ name }}", declared in the template: block',
}
# pydantic's lax str -> bool (as Bitfount's marshmallow Boolean): these words, any case.
_BOOL_WORDS = ("0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes")


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


LAX_BOOL: JsonSchemaValue = {
    "anyOf": [
        {"type": "boolean"},
        {"enum": [0, 1]},
        {
            "type": "string",
            "pattern": "^(" + "|".join(_any_case(w) for w in _BOOL_WORDS) + ")$",
        },
    ]
}
_NUMBER_TEXT = r"^\s*[+-]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


class LaxJsonSchema(GenerateJsonSchema):
    """pydantic's generator, widened to what Bitfount's lax parsing accepts."""

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        return copy.deepcopy(LAX_BOOL)

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        # marshmallow truncates 1.5 to 1 (taskwizard warns), pydantic reads "8443".
        number = super().int_schema(schema)
        number["type"] = "number"
        return {"anyOf": [number, {"type": "string", "pattern": _NUMBER_TEXT}]}

    def float_schema(self, schema: core_schema.FloatSchema) -> JsonSchemaValue:
        number = super().float_schema(schema)
        return {"anyOf": [number, {"type": "string", "pattern": _NUMBER_TEXT}]}

    def function_wrap_schema(
        self, schema: core_schema.WrapValidatorFunctionSchema
    ) -> JsonSchemaValue:
        inner = super().function_wrap_schema(schema)
        function = schema["function"].get("function")
        if function is TEMPLATABLE.func:
            return {"anyOf": [inner, copy.deepcopy(PLACEHOLDER)]}
        return inner

    def function_plain_schema(
        self, schema: core_schema.PlainValidatorFunctionSchema
    ) -> JsonSchemaValue:
        return {}  # a hand-written check: the schema cannot say it, so it accepts anything

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if _unserialisable(out.get("default")):
            out.pop("default", None)
        return out


def _unserialisable(value: Any) -> bool:
    return value is not None and not isinstance(value, str | int | float | bool | list | dict)


def _generate(adapter_or_model: Any, *, by_alias: bool = True) -> dict[str, Any]:
    from pydantic import BaseModel

    if isinstance(adapter_or_model, type) and issubclass(adapter_or_model, BaseModel):
        return adapter_or_model.model_json_schema(
            by_alias=by_alias, schema_generator=LaxJsonSchema, mode="validation"
        )
    schema: dict[str, Any] = adapter_or_model.json_schema(
        by_alias=by_alias, schema_generator=LaxJsonSchema, mode="validation"
    )
    return schema


def _strip_titles(node: Any) -> Any:
    """pydantic's generated titles ("Model File") are noise in an editor's hover."""
    if isinstance(node, dict):
        if isinstance(node.get("title"), str):
            del node["title"]
        for value in node.values():
            _strip_titles(value)
    elif isinstance(node, list):
        for value in node:
            _strip_titles(value)
    return node


def _describe(node: Any, help_by_key: dict[str, str], trail: tuple[str, ...] = ()) -> None:
    """Attach the wizard's field help (Bitfount's words) as ``description``s."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for key, prop in properties.items():
                if not isinstance(prop, dict):
                    continue
                dotted = ".".join((*trail[-1:], key))
                text = help_by_key.get(dotted) or help_by_key.get(key)
                if text and "description" not in prop:
                    prop["description"] = text
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    _describe(prop, help_by_key, (*trail, name))
            elif isinstance(value, dict | list):
                _describe(value, help_by_key, trail)
    elif isinstance(node, list):
        for value in node:
            _describe(value, help_by_key, trail)


def _finish(schema: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "$schema": DIALECT,
        "title": title,
        "description": description,
    }
    out.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    _strip_titles(out.get("$defs", {}))
    _strip_titles(out.get("properties", {}))
    _describe(out, dict(catalog.FIELD_HELP))
    return out


# ------------------------------------------------------------------ config


def config_schema() -> dict[str, Any]:
    """The task-templates config (the upload config)."""
    from taskwizard.model.schema_config import CONFIG_ADAPTER

    schema = _generate(CONFIG_ADAPTER)
    entry = schema["$defs"]["TaskTemplateEntry"]["properties"]
    entry["type"]["description"] = "what kind of task this is: " + "; ".join(
        f"{name} ({help_})" for name, help_ in catalog.TEMPLATE_TYPE_HELP.items()
    )
    tags = entry["tags"]
    tags["description"] = "labels for the template on the Hub, from Bitfount's fixed list: " + (
        "; ".join(f"{name} ({help_})" for name, help_ in catalog.TAG_HELP.items())
    )
    return _finish(
        schema,
        "Bitfount task-templates config",
        "The config Bitfount's task template uploader reads: task-templates (one entry per "
        "template), models (custom model code and weights) and deprecated-task-templates. "
        "Bitfount ignores keys it does not know.",
    )


# ------------------------------------------------------------------ task


def _arguments_schema(component: catalog.Component) -> dict[str, Any]:
    from taskwizard.model.schema_task import argument_model

    schema = _generate(argument_model(component.name))
    defs = schema.pop("$defs", {})
    properties = schema.get("properties", {})
    for arg in component.arguments:
        prop = properties.get(arg.name)
        if prop is None:
            continue
        if arg.help:
            prop["description"] = arg.help + (
                f" (deprecated: {arg.deprecated})" if arg.deprecated else ""
            )
        if arg.choices and not arg.case_insensitive:
            choice: dict[str, Any] = {"enum": list(arg.choices)}
            if arg.kind == "choice_list":
                choice = {"type": "array", "items": choice}
            elif arg.kind == "choice_mapping":
                choice = {"type": "object", "additionalProperties": choice}
            elif arg.kind == "split_transformations":  # the choices are the keys
                choice = {"type": "object", "propertyNames": choice}
            elif arg.kind == "keyed_choice_int_mappings":  # the inner mappings' keys
                inner = {"type": "object", "propertyNames": choice}
                choice = {"type": "object", "additionalProperties": inner}
            alternatives = [choice]
            if arg.nullable:
                alternatives.append({"type": "null"})
            if arg.templatable:
                alternatives.append(copy.deepcopy(PLACEHOLDER))
            described = {k: v for k, v in prop.items() if k in ("description", "default")}
            properties[arg.name] = (
                {**described, "anyOf": alternatives}
                if len(alternatives) > 1
                else {**described, **choice}
            )
    _strip_titles(schema)
    schema.pop("title", None)
    if defs:
        schema["$defs"] = defs
    return schema


def _component_names(table: dict[str, catalog.Component]) -> list[str]:
    names = list(table)
    # A few domain-specific classes still accept their old name without the prefix.
    names += [c.short_name for c in table.values() if not c.general_purpose]
    return names


def _entry_schema(
    kind: str, table: dict[str, catalog.Component], defs: dict[str, Any]
) -> dict[str, Any]:
    names = _component_names(table)
    properties: dict[str, Any] = {
        "name": {
            "enum": names,
            "description": catalog.FIELD_HELP.get(kind, f"the Bitfount {kind}"),
        },
        "arguments": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    }
    if kind == "algorithm":
        properties["model"] = {"anyOf": [{"$ref": "#/$defs/ModelConfig"}, {"type": "null"}]}
        properties["pretrained_file"] = {"type": ["string", "null"]}
    branches: list[dict[str, Any]] = []
    for component in table.values():
        arguments = _arguments_schema(component)
        for name, sub in arguments.pop("$defs", {}).items():
            defs.setdefault(name, sub)
        then: dict[str, Any] = {
            "properties": {"arguments": {"anyOf": [arguments, {"type": "null"}]}},
        }
        if component.arguments_required:
            then["required"] = ["arguments"]
        if kind == "algorithm" and not component.takes_model:
            then["propertyNames"] = {"enum": ["name", "arguments"]}
        names_of = [component.name]
        if not component.general_purpose:
            names_of.append(component.short_name)
        branches.append(
            {
                "if": {"properties": {"name": {"enum": names_of}}, "required": ["name"]},
                "then": then,
                "$comment": f"{component.name}: {component.summary}",
            }
        )
    return {
        "type": "object",
        "required": ["name"],
        "properties": properties,
        "additionalProperties": False,
        "allOf": branches,
    }


def _hand_checked_shapes() -> dict[tuple[str, str], dict[str, Any]]:
    """Shapes of the fields schema_task checks with a function (pydantic shows ``{}``).

    Each is at least as wide as its check; the tests hold every accepted file to it.
    """
    strings = {"type": "array", "items": {"type": "string"}}
    levels = list(catalog.SCHEMA_REQUIREMENT_LEVELS)
    return {
        ("DataStructure", "schema_requirements"): {
            "anyOf": [
                {"enum": levels},
                {
                    "type": "object",
                    "propertyNames": {"enum": levels},
                    "additionalProperties": strings,
                },
            ]
        },
        ("HubConfig", "url"): {
            "type": "string",
            # As schema_task's check (Python's $ also allows one final newline).
            "pattern": r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+([/?#]\S*)?\n?$",
        },
        ("Modeller", "username"): {"type": "string"},
        ("TableConfig", "table"): {
            "anyOf": [
                {"type": "string"},
                {"type": "object", "additionalProperties": {"type": "string"}},
            ]
        },
        ("Assign", "target"): {"anyOf": [{"type": "string"}, strings, {"type": "null"}]},
        ("DPConfig", "max_grad_norm"): {
            "anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]
        },
        ("CsvFilter", "value"): {"type": ["string", "number"]},
        ("CsvFilter", "how"): {"enum": list(catalog.CSV_FILTER_HOW)},
        ("PatientVisitMatch", "how"): {"enum": list(catalog.MERGE_HOW)},
    }


def _template_block_schema() -> dict[str, Any]:
    """The ``template:`` block: variable name -> declaration, by the declaration rules of
    :mod:`taskwizard.model.variables` (each type's own keys are checked there, not here)."""
    from taskwizard.model import variable_specs as variables

    keys = set(variables.COMMON_KEYS)
    for extra in variables.EXTRA_KEYS.values():
        keys.update(extra)
    declaration = {
        "type": "object",
        "required": ["label", "type"],
        "properties": {
            **{key: {} for key in sorted(keys)},
            "label": {"type": "string", "description": "the question shown to whoever runs it"},
            "type": {
                "anyOf": [
                    {"enum": list(variables.SCALAR_TYPES)},
                    {
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": 1,
                        "propertyNames": {"enum": list(variables.NESTED_TYPES)},
                    },
                ],
                "description": "what kind of value the variable takes: "
                + ", ".join(variables.SCALAR_TYPES)
                + ", or a mapping with one of "
                + ", ".join(variables.NESTED_TYPES),
            },
        },
        "additionalProperties": False,
    }
    return {
        "type": ["object", "null"],
        "description": "the template's variables (name: {label, type, default, ...}); "
        'use them as "{{ name }}"',
        "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "additionalProperties": declaration,
    }


def task_schema() -> dict[str, Any]:
    """The task YAML (Bitfount's ``ModellerConfig``, or a template of one)."""
    from taskwizard.model.schema_task import TASK_ADAPTER, ModelConfig

    schema = _generate(TASK_ADAPTER)
    defs = schema.setdefault("$defs", {})
    model = _generate(ModelConfig)
    for name, sub in model.pop("$defs", {}).items():
        defs.setdefault(name, sub)
    defs["ModelConfig"] = model
    protocol = _entry_schema("protocol", catalog.PROTOCOLS, defs)
    algorithm = _entry_schema("algorithm", catalog.ALGORITHMS, defs)
    defs["ProtocolEntry"] = protocol
    defs["AlgorithmEntry"] = algorithm
    task = defs["Task"]["properties"]
    task["protocol"] = {"$ref": "#/$defs/ProtocolEntry"}
    task["algorithm"] = {
        "anyOf": [
            {"type": "array", "items": {"$ref": "#/$defs/AlgorithmEntry"}},
            {"$ref": "#/$defs/AlgorithmEntry"},
        ],
    }
    for (model_name, field), shape in _hand_checked_shapes().items():
        prop = defs.get(model_name, {}).get("properties", {}).get(field)
        if prop is not None:
            kept = {k: v for k, v in prop.items() if k in ("default", "description")}
            defs[model_name]["properties"][field] = {**kept, **shape}
    schema["properties"]["version"] = {
        "type": ["string", "null"],
        "examples": [catalog.LATEST_TASK_VERSION],
    }
    schema["properties"]["template"] = _template_block_schema()
    return _finish(
        schema,
        "Bitfount task YAML",
        "A Bitfount 13 task (pods, task: protocol, algorithm, data_structure, ...), or a task "
        "template: a task with a top-level template: block whose variables it uses as "
        '"{{ name }}". Bitfount rejects keys it does not know.',
    )


SCHEMAS = {"config": config_schema, "task": task_schema}
