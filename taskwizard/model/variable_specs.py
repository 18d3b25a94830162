"""Template-variable declarations (the ``template:`` block): parsed and checked the way
Bitfount's schema does, and written back. Part of :mod:`taskwizard.model.variables`,
which re-exports the public names."""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from taskwizard.model.catalog import FILTER_TYPES
from taskwizard.model.problems import DocPath, Problem, error, warning
from taskwizard.model.vocabulary import VARIABLE_TYPES

TEMPLATE_KEY: Final = "template"

# A placeholder-looking piece anywhere in a string or key (never substituted there).
_EMBEDDED_RE: Final = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_IDENTIFIER_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


SEMANTIC_TYPES: Final[tuple[str, ...]] = ("categorical", "continuous", "image", "text")


# `type:` values that are a plain string, and the nested-type keys (`type: {file_path: ...}`).
SCALAR_TYPES: Final = ("string", "boolean", "number", "array", "object")
NESTED_TYPES: Final = (
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

COMMON_KEYS: Final = ("label", "tooltip", "type")
# Keys each declaration type takes besides label/tooltip/type (Bitfount rejects any other).
EXTRA_KEYS: Final[dict[str, tuple[str, ...]]] = {
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


# --------------------------------------------------------------------------- placeholders


def _is_identifier(name: Any) -> bool:
    return isinstance(name, str) and _IDENTIFIER_RE.fullmatch(name) is not None


def _key_part(key: Any) -> str | int:
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


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
        if decl_type in NESTED_TYPES:
            return None, (
                f"type: {decl_type!r} is written as a mapping: "
                f"'type: {{{decl_type}: {{...}}}}' (see the declaration types)"
            )
        return None, (
            f"type: unknown variable type {decl_type!r}; use one of "
            f"{', '.join(SCALAR_TYPES)} or a mapping with one of {', '.join(NESTED_TYPES)}"
        )
    if isinstance(decl_type, Mapping):
        keys = list(decl_type.keys())
        if len(keys) != 1 or keys[0] not in NESTED_TYPES:
            return None, (
                "type: a mapping type must have exactly one key, one of "
                f"{', '.join(NESTED_TYPES)} (got {', '.join(map(str, keys)) or 'none'})"
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

    allowed = COMMON_KEYS + EXTRA_KEYS[key]
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
    elif key in NESTED_TYPES:
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
