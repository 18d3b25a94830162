"""Template variables: the ``template:`` block of a task template and its placeholders.

A task *template* declares variables under a top-level ``template:`` mapping and
refers to them in the task body with ``"{{ name }}"`` placeholders. Bitfount's
schema accepts ``{{`` optional spaces, an identifier, optional spaces ``}}`` as a
whole value, but substitution (``replace_templated_variables``) replaces only
values that are *exactly* ``"{{ name }}"`` — so a mis-spaced placeholder validates
and then silently stays in the task. This module knows both rules, checks the
declarations the way Bitfount's schema does (unknown keys rejected, ``model_slug``
without ``default``), substitutes like Bitfount, and gives the wizard the small
operations it needs to bind a field to a variable and back.

Everything works on plain data (dicts and lists as read from YAML) and reports
path-based :class:`~taskwizard.model.problems.Problem` s; it runs on every
keystroke of the wizard, so it walks the task once and validates twice at most.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from taskwizard.model.catalog import FILTER_TYPES
from taskwizard.model.kinds import KINDS
from taskwizard.model.placeholders import (
    PLACEHOLDER_RE,
    canonical_placeholder,
    is_placeholder,
    placeholder_name,
)
from taskwizard.model.problems import DocPath, Problem, error, path_text, warning
from taskwizard.model.vocabulary import VARIABLE_TYPES

__all__ = [
    "FIELD_KINDS",
    "PLACEHOLDER_RE",
    "SEMANTIC_TYPES",
    "VARIABLE_TYPES",
    "VariableSpec",
    "bind_field",
    "canonical_placeholder",
    "check_template_variables",
    "compatible_variables",
    "declaration_to_yaml",
    "declared_variables",
    "find_placeholders",
    "is_placeholder",
    "new_variable_from_field",
    "parse_declaration",
    "placeholder_name",
    "put_variable",
    "remove_variable",
    "substitute",
    "unbind_field",
]

TEMPLATE_KEY: Final = "template"

# A placeholder-looking piece anywhere in a string or key (never substituted there).
_EMBEDDED_RE: Final = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_IDENTIFIER_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


SEMANTIC_TYPES: Final[tuple[str, ...]] = ("categorical", "continuous", "image", "text")


# `type:` values that are a plain string, and the nested-type keys (`type: {file_path: ...}`).
_SCALAR_TYPES: Final = ("string", "boolean", "number", "array", "object")
_NESTED_TYPES: Final = (
    "file_path",
    "model_slug",
    "schema_column_name",
    "schema_column_name_array",
    "task_filters",
)
_ARRAY_KEYS: Final = {
    "string": "array of strings",
    "array": "array of string arrays",
    "object": "array of objects",
}

_COMMON_KEYS: Final = ("label", "tooltip", "type")
# Keys each declaration type takes besides label/tooltip/type (Bitfount rejects any other).
_EXTRA_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "string": ("default", "pattern", "minLength", "enum"),
    "boolean": ("default",),
    "number": ("default", "minimum"),
    "array of strings": ("items", "default", "minItems"),
    "array of string arrays": ("items", "default", "minItems"),
    "array of objects": ("items", "default", "minItems"),
    "object": ("default",),
    "file_path": ("default",),
    "model_slug": (),
    "schema_column_name": ("default",),
    "schema_column_name_array": ("default",),
    "task_filters": ("default",),
}
# Keys inside `type: {<nested>: {...}}`.
_NESTED_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "file_path": ("extension",),
    "model_slug": ("provider", "library", "pipeline_tag", "author"),
    "schema_column_name": ("semantic_type",),
    "schema_column_name_array": ("semantic_type",),
    "task_filters": ("filter_types",),
}

# marshmallow's Boolean field accepts these; Bitfount's schema therefore does too.
_TRUTHY: Final = frozenset({"t", "true", "on", "y", "yes", "1"})
_FALSY: Final = frozenset({"f", "false", "off", "n", "no", "0"})

# Field kinds → declaration types whose values can fill such a field, best first:
# every catalog argument kind (from its spec in kinds.py), plus the wizard's own fields.
_WIZARD_FIELD_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "model_id": ("model_slug", "string"),
    "column": ("schema_column_name", "string"),
    "number": ("number",),
    "column_list": ("schema_column_name_array", "array of strings"),
    "str_list_list": ("array of string arrays",),
    "filter_list": ("task_filters", "array of objects"),
    "task_filters": ("task_filters", "array of objects"),
}
FIELD_KINDS: Final[dict[str, tuple[str, ...]]] = {
    **{kind: spec.variable_types for kind, spec in KINDS.items()},
    **_WIZARD_FIELD_KINDS,
}


# --------------------------------------------------------------------------- placeholders


def _is_identifier(name: Any) -> bool:
    return isinstance(name, str) and _IDENTIFIER_RE.fullmatch(name) is not None


def _key_part(key: Any) -> str | int:
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


@dataclass(frozen=True, slots=True)
class _Mention:
    """One place in the task body that looks like a placeholder."""

    path: DocPath
    text: str
    name: str | None  # whole-value placeholder name, else None
    kind: str  # "value" (whole value), "embedded" (part of a string), "key" (mapping key)


def _walk_mentions(task_data: Any) -> list[_Mention]:
    """Every placeholder-looking string in the task body (outside ``template:``)."""
    found: list[_Mention] = []

    def visit(node: Any, path: DocPath) -> None:
        if isinstance(node, str):
            if "{{" not in node:
                return
            name = placeholder_name(node)
            if name is not None:
                found.append(_Mention(path, node, name, "value"))
            elif _EMBEDDED_RE.search(node):
                found.append(_Mention(path, node, None, "embedded"))
        elif isinstance(node, Mapping):
            for key, value in node.items():
                if not path and key == TEMPLATE_KEY:
                    continue
                child = (*path, _key_part(key))
                if isinstance(key, str) and "{{" in key and _EMBEDDED_RE.search(key):
                    found.append(_Mention(child, key, placeholder_name(key), "key"))
                visit(value, child)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, (*path, index))

    visit(task_data, ())
    return found


def find_placeholders(task_data: Any) -> list[tuple[DocPath, str, bool]]:
    """``(path, name, canonical_spacing)`` for each whole-value placeholder in the body.

    ``canonical_spacing`` is True only for exactly ``"{{ name }}"``, the spelling
    Bitfount substitutes. The ``template:`` block itself is skipped.
    """
    return [
        (m.path, m.name, m.text == canonical_placeholder(m.name))
        for m in _walk_mentions(task_data)
        if m.kind == "value" and m.name is not None
    ]


# --------------------------------------------------------------------------- declarations


@dataclass(slots=True)
class VariableSpec:
    """A parsed declaration, in the terms the wizard's form uses.

    ``type_key`` is one of :data:`VARIABLE_TYPES`. ``has_default`` separates
    ``default: null`` (a default, substituted as null) from no ``default`` at all.
    Only the fields of ``type_key`` are meaningful; None means "not given".
    """

    name: str
    type_key: str
    label: str = ""
    tooltip: str | None = None
    default: Any = None
    has_default: bool = False
    # string
    pattern: str | None = None
    min_length: int | None = None
    enum: list[str] | None = None
    # number
    minimum: int | float | None = None
    # arrays
    min_items: int | None = None
    # file_path
    extension: str | None = None
    # model_slug
    provider: str | None = None
    library: str | None = None
    pipeline_tag: str | None = None
    author: str | None = None
    # schema_column_name(_array)
    semantic_type: str | None = None
    # task_filters
    filter_types: list[str] = field(default_factory=list)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_string(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _declared_type_key(decl_type: Any) -> tuple[str | None, str | None]:
    """(type key, problem message) for the raw ``type:`` value (items are checked later)."""
    if isinstance(decl_type, str):
        if decl_type in ("string", "boolean", "number", "object"):
            return decl_type, None
        if decl_type == "array":
            return "array", None
        if decl_type in _NESTED_TYPES:
            return None, (
                f"type: {decl_type!r} is written as a mapping: "
                f"'type: {{{decl_type}: {{...}}}}' (see the declaration types)"
            )
        return None, (
            f"type: unknown variable type {decl_type!r}; use one of "
            f"{', '.join(_SCALAR_TYPES)} or a mapping with one of {', '.join(_NESTED_TYPES)}"
        )
    if isinstance(decl_type, Mapping):
        keys = list(decl_type.keys())
        if len(keys) != 1 or keys[0] not in _NESTED_TYPES:
            return None, (
                "type: a mapping type must have exactly one key, one of "
                f"{', '.join(_NESTED_TYPES)} (got {', '.join(map(str, keys)) or 'none'})"
            )
        return str(keys[0]), None
    if decl_type is None:
        return None, "type: required; say what kind of value the variable takes"
    return None, f"type: must be a type name or a mapping, not {_type_name(decl_type)}"


def parse_declaration(name: str, decl: Any) -> tuple[VariableSpec | None, list[Problem]]:
    """Check one declaration as Bitfount's schema does and parse it for the wizard.

    Problems are at ``("template", name, ...)``. The spec is None only when the
    declaration's type cannot be told; otherwise it is returned with whatever
    fields were usable, so a form can show it next to its problems.
    """
    base: DocPath = (TEMPLATE_KEY, name)
    problems: list[Problem] = []
    if not _is_identifier(name):
        problems.append(
            error(
                f"variable name {name!r} is not an identifier: use letters, digits and _, "
                "not starting with a digit (placeholders can only name identifiers)",
                base,
            )
        )
    if not isinstance(decl, Mapping):
        problems.append(
            error(
                f"declaration of {name!r} must be a mapping with label and type, "
                f"not {_type_name(decl)}",
                base,
            )
        )
        return None, problems

    if "type" not in decl:
        problems.append(error("type: required; say what kind of value the variable takes", base))
        _check_label_tooltip(decl, base, problems)
        return None, problems
    key, message = _declared_type_key(decl["type"])
    if key is None:
        problems.append(error(message or "type: invalid", (*base, "type")))
        _check_label_tooltip(decl, base, problems)
        return None, problems

    if key == "array":
        key = _array_type_key(decl, base, problems)
        if key is None:
            _check_label_tooltip(decl, base, problems)
            return None, problems

    spec = VariableSpec(name=name, type_key=key)
    _check_label_tooltip(decl, base, problems, spec)

    allowed = _COMMON_KEYS + _EXTRA_KEYS[key]
    for k in decl:
        if k in allowed:
            continue
        if k == "default" and key == "model_slug":
            problems.append(
                error(
                    "a model_slug variable cannot have a default: Bitfount's schema rejects "
                    "it; remove 'default' (whoever runs the template picks the model)",
                    (*base, "default"),
                )
            )
        else:
            problems.append(
                error(
                    f"unknown key {k!r} in a {key} declaration (Bitfount rejects it); "
                    f"allowed: {', '.join(allowed)}",
                    (*base, _key_part(k)),
                )
            )

    if "default" in decl and key != "model_slug":
        spec.default = decl["default"]
        spec.has_default = True

    checker = _TYPE_CHECKERS[key]
    checker(decl, spec, base, problems)
    return spec, problems


def _check_label_tooltip(
    decl: Mapping[str, Any],
    base: DocPath,
    problems: list[Problem],
    spec: VariableSpec | None = None,
) -> None:
    label = decl.get("label")
    if "label" not in decl:
        problems.append(error("label: required; the question shown to whoever runs it", base))
    elif not isinstance(label, str):
        problems.append(
            error(f"label: must be a string, not {_type_name(label)}", (*base, "label"))
        )
    elif spec is not None:
        spec.label = label
    tooltip = decl.get("tooltip")
    if tooltip is not None and not isinstance(tooltip, str):
        problems.append(
            error(f"tooltip: must be a string, not {_type_name(tooltip)}", (*base, "tooltip"))
        )
    elif spec is not None:
        spec.tooltip = tooltip


def _array_type_key(decl: Mapping[str, Any], base: DocPath, problems: list[Problem]) -> str | None:
    path = (*base, "items")
    if "items" not in decl:
        problems.append(error("items: required for an array; e.g. 'items: {type: string}'", base))
        return None
    items = decl["items"]
    if not isinstance(items, Mapping):
        problems.append(error(f"items: must be a mapping, not {_type_name(items)}", path))
        return None
    for k in items:
        if k not in ("type", "items"):
            problems.append(
                error(f"unknown key {k!r} in items (Bitfount rejects it)", (*path, _key_part(k)))
            )
    item_type = items.get("type")
    if not isinstance(item_type, str) or item_type not in _ARRAY_KEYS:
        problems.append(
            error(
                f"items.type: must be string, array or object, not {item_type!r}",
                (*path, "type"),
            )
        )
        return None
    if item_type == "array":
        inner = items.get("items")
        if not (isinstance(inner, Mapping) and dict(inner) == {"type": "string"}):
            problems.append(
                error(
                    "items.items: an array of arrays holds strings: 'items: {type: string}'",
                    (*path, "items") if "items" in items else path,
                )
            )
            return None
    elif "items" in items:
        problems.append(
            error(f"unknown key 'items' in items of type {item_type}", (*path, "items"))
        )
    return _ARRAY_KEYS[str(item_type)]


def _nested(decl: Mapping[str, Any], key: str, base: DocPath, problems: list[Problem]) -> Any:
    """The mapping under ``type: {key: ...}``, after rejecting unknown keys in it."""
    details = decl["type"][key]
    path = (*base, "type", key)
    if not isinstance(details, Mapping):
        problems.append(
            error(
                f"type.{key}: must be a mapping (may be empty: '{{}}'), not {_type_name(details)}",
                path,
            )
        )
        return {}
    for k in details:
        if k not in _NESTED_FIELDS[key]:
            problems.append(
                error(
                    f"unknown key {k!r} in type.{key} (Bitfount rejects it); allowed: "
                    f"{', '.join(_NESTED_FIELDS[key])}",
                    (*path, _key_part(k)),
                )
            )
    return details


def _optional_str(value: Any, label: str, path: DocPath, problems: list[Problem]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.append(error(f"{label}: must be a string, not {_type_name(value)}", path))
    return None


def _number_field(
    decl: Mapping[str, Any], key: str, base: DocPath, problems: list[Problem]
) -> int | float | None:
    if key not in decl or decl[key] is None:
        return None
    value = decl[key]
    if _is_number(value):
        return value
    if _numeric_string(value):
        problems.append(
            warning(
                f"{key}: is the string {value!r}; Bitfount reads it as a number, "
                f"but write it unquoted ({value})",
                (*base, key),
            )
        )
        return float(value)
    problems.append(error(f"{key}: must be a number, not {_type_name(value)}", (*base, key)))
    return None


def _count_field(
    decl: Mapping[str, Any], key: str, base: DocPath, problems: list[Problem], nullable: bool
) -> int | None:
    if key not in decl:
        return None
    value = decl[key]
    if value is None:
        if not nullable:
            problems.append(error(f"{key}: must be a whole number, not null", (*base, key)))
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            problems.append(error(f"{key}: must be 0 or more, not {value}", (*base, key)))
            return None
        return value
    problems.append(error(f"{key}: must be a whole number, not {_type_name(value)}", (*base, key)))
    return None


def _check_string(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    spec.pattern = _optional_str(decl.get("pattern"), "pattern", (*base, "pattern"), problems)
    compiled: re.Pattern[str] | None = None
    if spec.pattern is not None:
        try:
            compiled = re.compile(spec.pattern)
        except re.error as exc:
            problems.append(
                warning(f"pattern: not a valid regular expression ({exc})", (*base, "pattern"))
            )
    spec.min_length = _count_field(decl, "minLength", base, problems, nullable=False)
    if "enum" in decl and decl["enum"] is not None:
        enum = decl["enum"]
        if not _is_str_list(enum):
            problems.append(error("enum: must be a list of strings", (*base, "enum")))
        elif not enum:
            problems.append(error("enum: must list at least one value", (*base, "enum")))
        else:
            spec.enum = list(enum)
    if not spec.has_default or spec.default is None:
        return
    default = spec.default
    path = (*base, "default")
    if not isinstance(default, str):
        problems.append(error(f"default: must be a string, not {_type_name(default)}", path))
        return
    if spec.enum is not None and default not in spec.enum:
        problems.append(
            error(f"default: {default!r} is not one of enum: {', '.join(spec.enum)}", path)
        )
    min_length = 1 if spec.min_length is None else spec.min_length
    if len(default) < min_length:
        problems.append(
            error(
                f"default: {default!r} is shorter than minLength {min_length}"
                + (" (the default minLength)" if spec.min_length is None else ""),
                path,
            )
        )
    if compiled is not None and compiled.search(default) is None:
        problems.append(
            error(f"default: {default!r} does not match pattern {spec.pattern!r}", path)
        )


def _check_boolean(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    if not spec.has_default or spec.default is None or isinstance(spec.default, bool):
        return
    default = spec.default
    path = (*base, "default")
    text = str(default).lower() if isinstance(default, str | int) else None
    if text is not None and (text in _TRUTHY or text in _FALSY):
        problems.append(
            warning(
                f"default: {default!r} is read as {'true' if text in _TRUTHY else 'false'} "
                "by Bitfount's schema but substituted as written; write true or false",
                path,
            )
        )
        return
    problems.append(error(f"default: must be true or false, not {_type_name(default)}", path))


def _check_number(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    spec.minimum = _number_field(decl, "minimum", base, problems)
    default = _number_field(decl, "default", base, problems) if spec.has_default else None
    if default is not None and spec.minimum is not None and default < spec.minimum:
        problems.append(
            error(f"default: {default} is below minimum {spec.minimum}", (*base, "default"))
        )


def _check_array(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    spec.min_items = _count_field(decl, "minItems", base, problems, nullable=True)
    if not spec.has_default or spec.default is None:
        return
    default = spec.default
    path = (*base, "default")
    if not isinstance(default, list):
        problems.append(error(f"default: must be a list, not {_type_name(default)}", path))
        return
    for index, item in enumerate(default):
        item_path = (*path, index)
        if spec.type_key == "array of strings" and not isinstance(item, str):
            problems.append(error(f"must be a string, not {_type_name(item)}", item_path))
        elif spec.type_key == "array of string arrays" and not (_is_str_list(item) and item):
            problems.append(
                error(f"must be a non-empty list of strings, not {_type_name(item)}", item_path)
            )
        elif spec.type_key == "array of objects" and not isinstance(item, Mapping):
            problems.append(error(f"must be a mapping, not {_type_name(item)}", item_path))
    if spec.min_items is not None and len(default) < spec.min_items:
        problems.append(
            error(
                f"default: has {len(default)} item(s), fewer than minItems {spec.min_items}",
                path,
            )
        )


def _check_object(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    if spec.has_default and spec.default is not None and not isinstance(spec.default, Mapping):
        problems.append(
            error(
                f"default: must be a mapping or null, not {_type_name(spec.default)}",
                (*base, "default"),
            )
        )


def _check_str_default(spec: VariableSpec, base: DocPath, problems: list[Problem]) -> None:
    if spec.has_default and spec.default is not None and not isinstance(spec.default, str):
        problems.append(
            error(f"default: must be a string, not {_type_name(spec.default)}", (*base, "default"))
        )


def _check_file_path(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    details = _nested(decl, "file_path", base, problems)
    path = (*base, "type", "file_path", "extension")
    extension = _optional_str(details.get("extension"), "extension", path, problems)
    if extension is not None and extension.startswith("."):
        problems.append(
            error(
                f"extension: write it without the leading dot: {extension[1:]!r}, "
                f"not {extension!r}",
                path,
            )
        )
    else:
        spec.extension = extension
    _check_str_default(spec, base, problems)
    if (
        spec.extension
        and isinstance(spec.default, str)
        and spec.default
        and not spec.default.lower().endswith("." + spec.extension.lower())
    ):
        problems.append(
            warning(
                f"default: {spec.default!r} does not end with .{spec.extension}",
                (*base, "default"),
            )
        )


def _check_model_slug(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    details = _nested(decl, "model_slug", base, problems)
    path = (*base, "type", "model_slug")
    if not isinstance(decl["type"]["model_slug"], Mapping):
        return
    for key, example in (("provider", "huggingface"), ("library", "transformers")):
        value = details.get(key)
        if key not in details:
            problems.append(error(f"type.model_slug.{key}: required (e.g. {key}: {example})", path))
        elif not isinstance(value, str):
            problems.append(
                error(f"{key}: must be a string, not {_type_name(value)}", (*path, key))
            )
        else:
            setattr(spec, key, value)
    for key in ("pipeline_tag", "author"):
        setattr(spec, key, _optional_str(details.get(key), key, (*path, key), problems))


def _check_semantic_type(
    details: Mapping[str, Any], path: DocPath, spec: VariableSpec, problems: list[Problem]
) -> None:
    value = details.get("semantic_type")
    if value is None:
        return
    if value in SEMANTIC_TYPES:
        spec.semantic_type = value
    else:
        problems.append(
            error(
                f"semantic_type: must be one of {', '.join(SEMANTIC_TYPES)}, not {value!r}",
                (*path, "semantic_type"),
            )
        )


def _check_column(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    details = _nested(decl, "schema_column_name", base, problems)
    _check_semantic_type(details, (*base, "type", "schema_column_name"), spec, problems)
    _check_str_default(spec, base, problems)


def _check_column_array(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    details = _nested(decl, "schema_column_name_array", base, problems)
    _check_semantic_type(details, (*base, "type", "schema_column_name_array"), spec, problems)
    if spec.has_default and spec.default is not None and not _is_str_list(spec.default):
        problems.append(
            error(
                f"default: must be a list of column names (strings), not "
                f"{_type_name(spec.default)}",
                (*base, "default"),
            )
        )


def _check_task_filters(
    decl: Mapping[str, Any], spec: VariableSpec, base: DocPath, problems: list[Problem]
) -> None:
    details = _nested(decl, "task_filters", base, problems)
    path = (*base, "type", "task_filters")
    if isinstance(decl["type"]["task_filters"], Mapping):
        if "filter_types" not in details:
            problems.append(
                error("type.task_filters.filter_types: required; list the filters offered", path)
            )
        else:
            types = details["filter_types"]
            types_path = (*path, "filter_types")
            if not isinstance(types, list):
                problems.append(
                    error(f"filter_types: must be a list, not {_type_name(types)}", types_path)
                )
            else:
                for index, item in enumerate(types):
                    if item in FILTER_TYPES:
                        spec.filter_types.append(item)
                    else:
                        close = difflib.get_close_matches(str(item), FILTER_TYPES, n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else ""
                        problems.append(
                            error(f"unknown filter type {item!r}{hint}", (*types_path, index))
                        )
                if not types:
                    problems.append(
                        warning("filter_types: empty; no filter is offered", types_path)
                    )
    if not spec.has_default or spec.default is None:
        return
    default = spec.default
    dpath = (*base, "default")
    if not isinstance(default, list):
        problems.append(
            error(f"default: must be a list of filters, not {_type_name(default)}", dpath)
        )
        return
    for index, item in enumerate(default):
        if not isinstance(item, Mapping):
            problems.append(
                error(
                    f"must be a filter mapping {{filter_type, value}}, not {_type_name(item)}",
                    (*dpath, index),
                )
            )
            continue
        ftype = item.get("filter_type")
        if ftype not in FILTER_TYPES:
            problems.append(
                error(f"filter_type: unknown filter type {ftype!r}", (*dpath, index, "filter_type"))
            )
        elif spec.filter_types and ftype not in spec.filter_types:
            problems.append(
                warning(
                    f"filter_type: {ftype!r} is not among this variable's filter_types",
                    (*dpath, index, "filter_type"),
                )
            )


_TYPE_CHECKERS: Final = {
    "string": _check_string,
    "boolean": _check_boolean,
    "number": _check_number,
    "array of strings": _check_array,
    "array of string arrays": _check_array,
    "array of objects": _check_array,
    "object": _check_object,
    "file_path": _check_file_path,
    "model_slug": _check_model_slug,
    "schema_column_name": _check_column,
    "schema_column_name_array": _check_column_array,
    "task_filters": _check_task_filters,
}


def declaration_to_yaml(spec: VariableSpec) -> dict[str, Any]:
    """The declaration as Bitfount expects it in ``template:`` (only given fields)."""
    out: dict[str, Any] = {"label": spec.label}
    if spec.tooltip is not None:
        out["tooltip"] = spec.tooltip
    key = spec.type_key
    if key in ("string", "boolean", "number", "object"):
        out["type"] = key
    elif key.startswith("array of"):
        out.update(_array_type_yaml(spec))
    elif key in _NESTED_TYPES:
        out["type"] = {key: _nested_type_details(spec)}
    else:
        raise ValueError(f"unknown variable type {key!r}; use one of {', '.join(VARIABLE_TYPES)}")
    out.update(_constraints_yaml(spec))
    if spec.has_default and key != "model_slug":
        out["default"] = copy.deepcopy(spec.default)
    return out


_ARRAY_ITEMS: Final[dict[str, dict[str, Any]]] = {
    "array of strings": {"type": "string"},
    "array of string arrays": {"type": "array", "items": {"type": "string"}},
    "array of objects": {"type": "object"},
}


def _array_type_yaml(spec: VariableSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "array",
        "items": copy.deepcopy(_ARRAY_ITEMS.get(spec.type_key, {"type": "object"})),
    }
    if spec.min_items is not None:
        out["minItems"] = spec.min_items
    return out


def _nested_type_details(spec: VariableSpec) -> dict[str, Any]:
    """``type: {<nested type>: {...}}``: the details each nested type takes."""
    key = spec.type_key
    if key == "task_filters":
        return {"filter_types": list(spec.filter_types)}
    if key == "model_slug":
        details = {"provider": spec.provider or "", "library": spec.library or ""}
        optional = {"pipeline_tag": spec.pipeline_tag, "author": spec.author}
    elif key == "file_path":
        details, optional = {}, {"extension": spec.extension}
    else:  # schema_column_name(_array)
        details, optional = {}, {"semantic_type": spec.semantic_type}
    details.update({k: v for k, v in optional.items() if v is not None})
    return details


def _constraints_yaml(spec: VariableSpec) -> dict[str, Any]:
    if spec.type_key == "number":
        return {"minimum": spec.minimum} if spec.minimum is not None else {}
    if spec.type_key != "string":
        return {}
    given = {"pattern": spec.pattern, "minLength": spec.min_length}
    out: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if spec.enum is not None:
        out["enum"] = list(spec.enum)
    return out


def _declarations(task_data: Any) -> Mapping[Any, Any]:
    if isinstance(task_data, Mapping):
        block = task_data.get(TEMPLATE_KEY)
        if isinstance(block, Mapping):
            return block
    return {}


def _parse_all(task_data: Any) -> tuple[dict[str, VariableSpec], list[Problem], set[str]]:
    """Specs by name, all declaration problems, and names whose declarations have errors."""
    specs: dict[str, VariableSpec] = {}
    problems: list[Problem] = []
    broken: set[str] = set()
    for name, decl in _declarations(task_data).items():
        if not isinstance(name, str):
            problems.append(
                error(
                    f"variable name {name!r} must be text (an identifier); quote it or rename it",
                    (TEMPLATE_KEY, _key_part(name)),
                )
            )
            broken.add(str(name))
            continue
        spec, found = parse_declaration(name, decl)
        problems.extend(found)
        if any(p.is_error for p in found):
            broken.add(name)
        if spec is not None:
            specs[name] = spec
    return specs, problems, broken


# --------------------------------------------------------------------------- checking


TaskValidator = Callable[[Any], list[Problem]]


def check_template_variables(
    task_data: Any, validate_task: TaskValidator | None = None
) -> list[Problem]:
    """Every problem with the template's variables and placeholders, path-based.

    ``validate_task``: the task validator, re-run with the declared defaults filled
    in (``validate.validate_task`` passes itself; this module does not import it,
    so the two do not import each other). Without it that check is skipped.

    Not reported here: a placeholder in a field that cannot take one
    (``validate_task`` knows which fields are templatable).
    """
    if not isinstance(task_data, Mapping):
        return []
    problems = _template_block_problems(task_data)
    specs, declaration_problems, broken = _parse_all(task_data)
    problems.extend(declaration_problems)
    declared = [n for n in _declarations(task_data) if isinstance(n, str)]

    mentioned: set[str] = set()
    for m in _walk_mentions(task_data):
        problems.extend(_mention_problems(m, declared, mentioned))
    for name in declared:
        if name not in mentioned:
            problems.append(
                warning(
                    f"variable {name!r} is declared but no placeholder uses it; "
                    f"put {canonical_placeholder(name)!r} in a field or remove the variable",
                    (TEMPLATE_KEY, name),
                )
            )

    defaults = {
        name: spec.default
        for name, spec in specs.items()
        if spec.has_default and name not in broken and name in mentioned
    }
    if defaults and validate_task is not None:
        problems.extend(_check_with_defaults(task_data, defaults, validate_task))
    return problems


def _template_block_problems(task_data: Mapping[str, Any]) -> list[Problem]:
    if TEMPLATE_KEY not in task_data:
        return []
    block = task_data[TEMPLATE_KEY]
    if block is None:
        return [
            warning(
                "template: is empty (null); Bitfount's schema accepts that but its "
                "substitution cannot read it; remove the line or declare a variable",
                (TEMPLATE_KEY,),
            )
        ]
    if isinstance(block, Mapping) and not block:
        return [
            warning(
                "template: declares no variables; remove it or add a variable",
                (TEMPLATE_KEY,),
            )
        ]
    if not isinstance(block, Mapping):
        return [
            error(
                f"template: must be a mapping of variable name to declaration, not "
                f"{_type_name(block)}",
                (TEMPLATE_KEY,),
            )
        ]
    return []


def _mention_problems(m: _Mention, declared: list[str], mentioned: set[str]) -> list[Problem]:
    """The problems of one placeholder mention; the names it mentions go into ``mentioned``."""
    if m.kind != "value":
        mentioned.update(match.group(1) for match in _EMBEDDED_RE.finditer(m.text))
        where = (
            "only a whole value is substituted, never a placeholder inside a longer string; "
            "make the whole value the placeholder"
            if m.kind == "embedded"
            else "a placeholder in a mapping key is never substituted; only values are"
        )
        return [warning(f"{m.text!r}: {where}", m.path)]
    if m.name is None:
        return []
    mentioned.add(m.name)
    problems: list[Problem] = []
    if m.name not in declared:
        close = difflib.get_close_matches(m.name, declared, n=1)
        hint = (
            f"did you mean {canonical_placeholder(close[0])!r}?"
            if close
            else "declare it under template: or use a declared variable"
        )
        problems.append(error(f"{m.text!r} names no declared template variable; {hint}", m.path))
    if m.text != canonical_placeholder(m.name):
        problems.append(
            warning(
                f"{m.text!r}: Bitfount accepts this but never substitutes it; "
                f"write {canonical_placeholder(m.name)!r}",
                m.path,
            )
        )
    return problems


def _check_with_defaults(
    task_data: Mapping[str, Any], defaults: dict[str, Any], validate_task: TaskValidator
) -> list[Problem]:
    """Errors ``validate_task`` finds only once the defaults are filled in."""
    body = {k: v for k, v in task_data.items() if k != TEMPLATE_KEY}
    substituted, filled = _replace(body, defaults)
    if not filled:
        return []
    after = [p for p in validate_task(substituted) if p.is_error]
    if not after:
        return []
    before = {(p.path, p.message) for p in validate_task(body) if p.is_error}
    problems: list[Problem] = []
    seen: set[tuple[DocPath, str]] = set()
    for p in after:
        if (p.path, p.message) in before:
            continue
        at, name = _blame(p.path, filled)
        text = "with the defaults filled in"
        if name is not None:
            text += f" ({name} = {_short(defaults[name])})"
        if at != p.path:
            text += f", {path_text(p.path) or 'the task'}"
        problem = error(f"{text}: {p.message}", at)
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            problems.append(problem)
    return problems


def _blame(path: DocPath, filled: list[tuple[DocPath, str]]) -> tuple[DocPath, str | None]:
    """The placeholder whose value an error at ``path`` is about, if one can be told."""
    for where, name in filled:
        if path[: len(where)] == where:
            return where, name
    for where, name in filled:
        if where[: len(path)] == path:
            return where, name
    return path, None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- substitution


def _replace(body: Any, values: Mapping[str, Any]) -> tuple[Any, list[tuple[DocPath, str]]]:
    """Replace exact canonical placeholders of ``values``' names; new containers throughout."""
    wanted = {canonical_placeholder(name): name for name in values}
    filled: list[tuple[DocPath, str]] = []

    def visit(node: Any, path: DocPath) -> Any:
        if isinstance(node, str):
            name = wanted.get(node)
            if name is None:
                return node
            filled.append((path, name))
            return copy.deepcopy(values[name])
        if isinstance(node, Mapping):
            return {k: visit(v, (*path, _key_part(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [visit(v, (*path, i)) for i, v in enumerate(node)]
        return node

    return visit(body, ()), filled


def substitute(
    task_data: Any, values: Mapping[str, Any] | None = None
) -> tuple[Any, list[Problem]]:
    """The task as it runs: Bitfount's ``replace_templated_variables``, with problems.

    For each declared variable: the supplied value, else its ``default``
    (``default: null`` counts), replaces every value exactly ``"{{ name }}"``,
    keeping its type; keys and parts of strings are never touched. A string
    variable with ``enum`` rejects other values. A variable with neither value nor
    default is an error (its placeholders stay). ``template`` is removed. A task
    without ``template`` is returned as it is.
    """
    if not isinstance(task_data, Mapping) or TEMPLATE_KEY not in task_data:
        return task_data, []
    problems: list[Problem] = []
    block = task_data[TEMPLATE_KEY]
    body = {k: v for k, v in task_data.items() if k != TEMPLATE_KEY}
    if not isinstance(block, Mapping):
        if block is not None:
            problems.append(
                error(
                    "template: must be a mapping of variable name to declaration", (TEMPLATE_KEY,)
                )
            )
        return copy.deepcopy(body), problems
    supplied = dict(values or {})
    chosen: dict[str, Any] = {}
    for raw_name, decl in block.items():
        name = str(raw_name)
        info: Mapping[str, Any] = decl if isinstance(decl, Mapping) else {}
        problem = _choose_value(name, info, supplied, chosen)
        if problem is not None:
            problems.append(problem)
    declared = {str(n) for n in block}
    problems.extend(
        warning(
            f"a value was given for {name!r}, but no template variable has that name",
            (TEMPLATE_KEY,),
        )
        for name in supplied
        if name not in chosen and name not in declared
    )
    # One pass per variable in declaration order, as Bitfount does: a value that is
    # itself a later variable's placeholder gets replaced by that later pass.
    result: Any = body if chosen else copy.deepcopy(body)
    for name, value in chosen.items():
        result, _ = _replace(result, {name: value})
    return result, problems


def _choose_value(
    name: str, info: Mapping[str, Any], supplied: Mapping[str, Any], chosen: dict[str, Any]
) -> Problem | None:
    """Put the variable's value (supplied, else its default) into ``chosen``, or say why not."""
    path = (TEMPLATE_KEY, name)
    if name not in supplied:
        if "default" in info:
            chosen[name] = info["default"]
            return None
        return error(
            f"Template variable {name!r} has no default value and no template "
            "parameter was provided; give it a value (or a default)",
            path,
        )
    value = supplied[name]
    enum = info.get("enum")
    if info.get("type") == "string" and isinstance(enum, list) and value not in enum:
        return error(
            f"value {value!r} for template variable {name!r} is not one of "
            f"{', '.join(map(str, enum))}",
            path,
        )
    chosen[name] = value
    return None


# --------------------------------------------------------------------------- wizard operations


def compatible_variables(task_data: Any, field_kind: str) -> list[str]:
    """Declared variables (in declaration order) whose type can fill a field of this kind.

    Field kinds: the keys of :data:`FIELD_KINDS` (``str``, ``int``, ``float``,
    ``bool``, ``str_list``, ``mapping_list``, ...); an unknown kind matches nothing.
    """
    types = FIELD_KINDS.get(field_kind, ())
    names: list[str] = []
    for raw_name, decl in _declarations(task_data).items():
        name = str(raw_name)
        spec, _ = parse_declaration(name, decl)
        if spec is None or spec.type_key not in types or not _is_identifier(name):
            continue
        if (
            field_kind == "int"
            and spec.has_default
            and _is_number(spec.default)
            and not float(spec.default).is_integer()
        ):
            continue
        names.append(name)
    return names


_MISSING: Final = object()


def _index(node: list[Any], part: str | int) -> int | None:
    if isinstance(part, int) and -len(node) <= part < len(node):
        return part
    return None


def _get(data: Any, path: DocPath) -> Any:
    node = data
    for part in path:
        if isinstance(node, Mapping):
            if part not in node:
                return _MISSING
            node = node[part]
        elif isinstance(node, list) and (index := _index(node, part)) is not None:
            node = node[index]
        else:
            return _MISSING
    return node


def _set(task_data: Any, path: DocPath, value: Any) -> Any:
    """A deep copy of ``task_data`` with ``path`` set (its parent must exist)."""
    if not path:
        raise ValueError("cannot bind the whole document; give the path of a field")
    if path[0] == TEMPLATE_KEY:
        raise ValueError("fields of the template: block cannot be bound to variables")
    data = copy.deepcopy(task_data)
    parent = _get(data, path[:-1])
    last = path[-1]
    if isinstance(parent, MutableMapping):
        parent[last] = value
    elif isinstance(parent, list) and (index := _index(parent, last)) is not None:
        parent[index] = value
    else:
        raise ValueError(f"no field at {path_text(path)}: its parent does not exist")
    return data


def bind_field(task_data: Any, path: DocPath, variable: str) -> Any:
    """New task data with the field at ``path`` holding ``"{{ variable }}"``."""
    if not _is_identifier(variable):
        raise ValueError(f"{variable!r} is not a variable name (an identifier)")
    return _set(task_data, path, canonical_placeholder(variable))


def unbind_field(task_data: Any, path: DocPath, value: Any) -> Any:
    """New task data with a fixed ``value`` at ``path`` instead of a placeholder."""
    return _set(task_data, path, copy.deepcopy(value))


def new_variable_from_field(
    task_data: Any, path: DocPath, name: str, label: str, type_key: str
) -> Any:
    """Declare ``name`` with the field's current value as its default, and bind the field.

    No default is written when the field has no value yet, holds a placeholder,
    or the type is ``model_slug`` (which cannot have one). A new ``template:``
    block goes first in the document, where readers expect it.
    """
    if not _is_identifier(name):
        raise ValueError(
            f"{name!r} is not a valid variable name: use letters, digits and _, "
            "not starting with a digit"
        )
    if type_key not in VARIABLE_TYPES:
        raise ValueError(
            f"unknown variable type {type_key!r}; use one of {', '.join(VARIABLE_TYPES)}"
        )
    if not isinstance(task_data, Mapping):
        raise ValueError("the task must be a mapping")
    if name in {str(n) for n in _declarations(task_data)}:
        raise ValueError(f"a variable named {name!r} is already declared")
    current = _get(task_data, path)
    spec = VariableSpec(name=name, type_key=type_key, label=label)
    if current is not _MISSING and not is_placeholder(current) and type_key != "model_slug":
        spec.default = copy.deepcopy(current)
        spec.has_default = True
    if type_key == "task_filters" and isinstance(current, list):
        spec.filter_types = sorted(
            {
                str(f["filter_type"])
                for f in current
                if isinstance(f, Mapping) and f.get("filter_type") in FILTER_TYPES
            },
            key=FILTER_TYPES.index,
        )
    if type_key == "file_path" and isinstance(current, str) and "." in current.rsplit("/", 1)[-1]:
        spec.extension = current.rsplit(".", 1)[-1] or None
    bound = _with_template_block(bind_field(task_data, path, name))
    bound[TEMPLATE_KEY][name] = declaration_to_yaml(spec)
    return bound


def _with_template_block(data: Any) -> Any:
    """``data`` (already a copy) with a mutable ``template:`` mapping, first if it is new."""
    if isinstance(data.get(TEMPLATE_KEY), MutableMapping):
        return data
    rest = {k: v for k, v in data.items() if k != TEMPLATE_KEY}
    return {TEMPLATE_KEY: {}, **rest}


def declared_variables(task_data: Any) -> list[VariableSpec]:
    """The declarations the Variables step lists, in file order (unreadable ones left out)."""
    specs: list[VariableSpec] = []
    for name, decl in _declarations(task_data).items():
        if isinstance(name, str):
            spec, _ = parse_declaration(name, decl)
            if spec is not None:
                specs.append(spec)
    return specs


def put_variable(task_data: Any, spec: VariableSpec, old_name: str | None = None) -> Any:
    """New task data with ``spec`` declared: added at the end, or in place of ``old_name``.

    Renaming (``old_name`` differs from ``spec.name``) also rewrites every
    whole-value placeholder of the old name, in any spacing, to the new
    canonical one. A declaration whose meaning did not change is kept exactly
    as written (key order, explicit nulls), so editing a template and saving it
    does not rewrite declarations nobody touched.
    """
    if not _is_identifier(spec.name):
        raise ValueError(
            f"{spec.name!r} is not a valid variable name: use letters, digits and _, "
            "not starting with a digit"
        )
    if not isinstance(task_data, Mapping):
        raise ValueError("the task must be a mapping")
    declared = _declarations(task_data)
    old = spec.name if old_name is None else old_name
    if old not in declared and old_name is not None:
        raise ValueError(f"no variable named {old_name!r} is declared")
    if spec.name != old and spec.name in declared:
        raise ValueError(f"a variable named {spec.name!r} is already declared")
    new_decl: Any = declaration_to_yaml(spec)
    if old in declared:
        before, _ = parse_declaration(old, declared[old])
        if before is not None and declaration_to_yaml(before) == new_decl:
            new_decl = copy.deepcopy(declared[old])
    data = _with_template_block(copy.deepcopy(dict(task_data)))
    block = data[TEMPLATE_KEY]
    if old in block and old != spec.name:
        data[TEMPLATE_KEY] = {
            (spec.name if k == old else k): (new_decl if k == old else v) for k, v in block.items()
        }
        return _rename_placeholders(data, old, spec.name)
    block[spec.name] = new_decl
    return data


def _rename_placeholders(data: Any, old: str, new: str) -> Any:
    def visit(node: Any, top: bool) -> Any:
        if isinstance(node, str):
            return canonical_placeholder(new) if placeholder_name(node) == old else node
        if isinstance(node, Mapping):
            return {
                k: (v if top and k == TEMPLATE_KEY else visit(v, False)) for k, v in node.items()
            }
        if isinstance(node, list):
            return [visit(v, False) for v in node]
        return node

    return visit(data, True)


def remove_variable(task_data: Any, name: str) -> Any:
    """New task data without the variable ``name``.

    Its placeholders get its default when it has one (so the task keeps running
    as before); without a default they stay, and the check reports them. An
    emptied ``template:`` block is removed.
    """
    if not isinstance(task_data, Mapping) or name not in _declarations(task_data):
        raise ValueError(f"no variable named {name!r} is declared")
    decl = _declarations(task_data)[name]
    block = {k: copy.deepcopy(v) for k, v in _declarations(task_data).items() if k != name}
    body = {k: v for k, v in task_data.items() if k != TEMPLATE_KEY}
    if isinstance(decl, Mapping) and "default" in decl:
        body, _ = _replace(body, {name: decl["default"]})
    else:
        body = copy.deepcopy(body)
    data: dict[Any, Any] = {}
    for key in task_data:
        if key != TEMPLATE_KEY:
            data[key] = body[key]
        elif block:
            data[key] = block
    return data
