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
from collections.abc import Mapping, MutableMapping
from typing import Any, Final

from taskwizard.model.catalog import FILTER_TYPES
from taskwizard.model.kinds import KINDS
from taskwizard.model.placeholders import (
    PLACEHOLDER_RE,
    canonical_placeholder,
    is_placeholder,
    placeholder_name,
)
from taskwizard.model.problems import DocPath, path_text
from taskwizard.model.variable_checks import (
    _replace,
    check_template_variables,
    find_placeholders,
    substitute,
)
from taskwizard.model.variable_specs import (
    SEMANTIC_TYPES,
    TEMPLATE_KEY,
    VariableSpec,
    _declarations,
    _is_identifier,
    _is_number,
    declaration_to_yaml,
    parse_declaration,
)
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
