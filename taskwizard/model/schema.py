"""Shared pieces of the pydantic schemas: template placeholders, custom types,
and turning pydantic's errors into plain, path-based :class:`Problem` s.

The schemas validate in pydantic's lax mode, which matches Bitfount closely:
Bitfount's marshmallow/pydantic fields accept ``"yes"``/``"off"`` for booleans
and ``"8443"`` for integers, and refuse a number where a string is expected.

Placeholders: a task template (a task YAML with a top-level ``template:``
block) is checked by Bitfount *before* substitution. A ``"{{ name }}"`` string
is then accepted wherever a string is, and in a non-string field only where
the field is *templatable*. Templatable fields are wrapped with
:data:`TEMPLATABLE`; it accepts a placeholder when the validation context
says ``templated``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, WrapValidator
from pydantic_core import PydanticCustomError

from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.problems import DocPath, Problem, error, warning


# What Bitfount's templated schema accepts as a placeholder (the whole value).
def _templatable(value: Any, handler: Any, info: ValidationInfo) -> Any:
    templated = bool(info.context and info.context.get("templated"))
    if templated and is_placeholder(value):
        return value
    return handler(value)


TEMPLATABLE = WrapValidator(_templatable)
"""Annotate a non-string field with this to let it take a placeholder in a template."""


class Forbid(BaseModel):
    """Task YAML parts: Bitfount rejects every key it does not know."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


class Allow(BaseModel):
    """Task-templates config parts: Bitfount (pydantic default) ignores unknown keys."""

    model_config = ConfigDict(extra="allow", populate_by_name=False, frozen=True)


def fail(phrase: str) -> PydanticCustomError:
    """A custom error whose message is ``<field> <phrase>``."""
    return PydanticCustomError("tw_phrase", "{phrase}", {"phrase": phrase})


def warn(phrase: str) -> PydanticCustomError:
    """Not an error for Bitfount, but worth a warning: ``<field> <phrase>``.

    Raised inside a validator, it marks the value as invalid for pydantic; the
    validators only report problems (their output is never used), so
    :func:`convert_errors` turns it into a warning.
    """
    return PydanticCustomError("tw_warning", "{phrase}", {"phrase": phrase})


def fail_message(message: str) -> PydanticCustomError:
    """A custom error whose message is used as it is."""
    return PydanticCustomError("tw_message", "{message}", {"message": message})


# ------------------------------------------------------------------ describing values


def describe(value: Any) -> str:
    """A short, YAML-flavoured description of a value for messages."""
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return f"an unquoted date {value.isoformat()}"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def did_you_mean(word: Any, options: typing.Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    options = list(options)
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    norm = {re.sub(r"[^a-z0-9]", "", o.lower()): o for o in options}
    key = re.sub(r"[^a-z0-9]", "", word.lower())
    if key and key in norm:
        return norm[key]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def one_of(options: typing.Sequence[str], got: Any) -> str:
    """``must be one of: a, b (got 'x'; did you mean 'y'?)``"""
    text = f"must be one of: {', '.join(options)} (got {describe(got)}"
    suggestion = did_you_mean(got, options)
    if suggestion is not None and suggestion != got:
        text += f"; did you mean {suggestion!r}?"
    return text + ")"


def unknown_key_message(key: Any, allowed: typing.Iterable[str], *, ignored: bool) -> str:
    allowed = [a for a in allowed]
    suggestion = did_you_mean(key, allowed)
    hint = f"; did you mean {suggestion!r}?" if suggestion is not None else ""
    if ignored:
        return f"unknown key {key!r} (Bitfount silently ignores keys it does not know{hint})" + (
            "" if hint else f"; known keys: {', '.join(allowed)}"
        )
    return f"unknown key {key!r} (Bitfount rejects keys it does not know{hint})" + (
        "" if hint else f"; allowed here: {', '.join(allowed) or 'none'}"
    )


# ------------------------------------------------------------------ model introspection


def model_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _unwrap(tp: Any) -> Any:
    """Strip Annotated / Optional down to what a path step can walk into."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            structured = [
                m
                for m in members
                if (isinstance(m, type) and issubclass(m, BaseModel))
                or typing.get_origin(_strip_annotated(m)) in (list, dict)
            ]
            tp = (structured or members or [Any])[0]
            continue
        return tp


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def model_at(root: type[BaseModel], loc: DocPath) -> type[BaseModel] | None:
    """The model class whose fields apply at ``loc`` below ``root``."""
    tp: Any = root
    for step in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found = None
            for name, f in tp.model_fields.items():
                if (f.alias or name) == step:
                    found = f.annotation
                    break
            if found is None:
                return None
            tp = found
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0] if typing.get_args(tp) else Any
        elif typing.get_origin(tp) is dict:
            args = typing.get_args(tp)
            tp = args[1] if len(args) == 2 else Any
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None


# ------------------------------------------------------------------ pydantic errors -> Problems

_TYPE_PHRASES: dict[str, str] = {
    "string_type": "must be a string",
    "string_unicode": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "none_required": "must be empty",
}


_MISSING_HINTS: dict[str, str] = {
    "tags": " (write tags: [] for none)",
    "pods": " (e.g. pods: {identifiers: [owner/pod-name]})",
    "identifiers": " (the pods the task runs on, e.g. [owner/pod-name])",
    "model_ref": " (the model's name on the Hub, i.e. its file name without .py)",
    "secure": " (true or false)",
}


# A list where a mapping is expected: what was probably meant.
_LIST_GIVEN_HINTS: dict[str, str] = {
    "pods": "; the list of pods goes under identifiers: write pods: then, indented, "
    "identifiers: [owner/pod-name, ...]",
}


def field_label(loc: DocPath) -> str:
    """``tags[1]``, ``model_version``: the last key with any list indexes after it."""
    out = ""
    for part in reversed(loc):
        if isinstance(part, int):
            out = f"[{part}]" + out
        else:
            return str(part) + out
    return out or "the document"


def convert_errors(
    exc: ValidationError,
    root: type[BaseModel],
    *,
    prefix: DocPath = (),
    templated: bool = False,
    ignored_unknown: bool = False,
    data: Any = None,
) -> list[Problem]:
    """pydantic's errors as plain Problems, each at ``prefix + loc``.

    ``data`` (what was validated) lets a key that is not text (pydantic shows
    its repr in ``loc``) be given back its real path.
    """
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc: DocPath = tuple(err["loc"])
        if err["type"] == "invalid_key":
            if ignored_unknown:
                continue  # pydantic's default (ignore) drops such keys silently
            loc = _real_loc(data, loc)
            problems.append(
                error(
                    f"key {describe(err.get('input'))} is not text, and Bitfount knows no such "
                    "key here; quote it or remove it",
                    (*prefix, *loc),
                )
            )
            continue
        is_key = bool(loc) and loc[-1] == "[key]"
        if is_key:
            loc = loc[:-1]
        path = (*prefix, *loc)
        if is_key:
            owner = field_label(path[:-1])
            message = (
                f"the keys of {owner} must be text (got {describe(err.get('input'))}); quote it"
            )
            problems.append(error(message, path))
            continue
        if err["type"] == "tw_warning":
            ctx = err.get("ctx") or {}
            problems.append(warning(f"{field_label(path)} {ctx.get('phrase', err['msg'])}", path))
            continue
        problems.append(
            error(_error_message(err, root, loc, path, templated, ignored_unknown), path)
        )
    return problems


def _error_message(
    err: Any,
    root: type[BaseModel],
    loc: DocPath,
    path: DocPath,
    templated: bool,
    ignored_unknown: bool,
) -> str:
    """The message of one pydantic error (not about a key, not a warning)."""
    kind = err["type"]
    value = err.get("input")
    label = field_label(path)
    ctx = err.get("ctx") or {}
    if templated and kind in ("tw_phrase", "literal_error") and is_placeholder(value):
        return _cannot_take_placeholder(label)
    if kind == "missing":
        return f"{label} is required" + _MISSING_HINTS.get(label, "")
    if kind == "extra_forbidden":
        model = model_at(root, loc[:-1])
        allowed = model_keys(model) if model is not None else []
        return unknown_key_message(loc[-1], allowed, ignored=ignored_unknown)
    if kind == "tw_message":
        return str(ctx.get("message", err["msg"]))
    if kind == "tw_phrase":
        return f"{label} {ctx.get('phrase', err['msg'])}"
    if kind == "literal_error":
        options = re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", "")))
        return f"{label} {one_of(options, value)}"
    if kind == "greater_than_equal":
        return f"{label} must be at least {ctx.get('ge')} (got {describe(value)})"
    if kind == "greater_than":
        return f"{label} must be more than {ctx.get('gt')} (got {describe(value)})"
    if kind == "less_than_equal":
        return f"{label} must be at most {ctx.get('le')} (got {describe(value)})"
    if kind in _TYPE_PHRASES:
        return _type_message(label, _TYPE_PHRASES[kind], value, templated)
    return f"{label}: {err['msg']} (got {describe(value)})"


def _real_loc(data: Any, loc: DocPath) -> DocPath:
    out: list[str | int] = []
    node = data
    for step in loc:
        if isinstance(node, Mapping):
            if step not in node:
                for key in node:
                    if repr(key) == step or str(key) == step:
                        step = key
                        break
            out.append(step)
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            out.append(step)
            node = node[step]
        else:
            out.append(step)
            node = None
    return tuple(out)


def _cannot_take_placeholder(label: str) -> str:
    return (
        f"{label} cannot take a template variable (Bitfount checks a template "
        f'before substituting, and only accepts "{{{{ name }}}}" in string '
        f"fields and in the fields it marks templatable)"
    )


def _type_message(label: str, phrase: str, value: Any, templated: bool) -> str:
    if is_placeholder(value):
        if templated:
            return _cannot_take_placeholder(label)
        return (
            f"{label} {phrase} (got {describe(value)}: a template variable, but this file "
            f"has no top-level template: block declaring it)"
        )
    if isinstance(value, dt.date) and "string" in phrase:
        return (
            f"{label} {phrase} (got {describe(value)}: YAML reads it as a date; "
            f'quote it: "{value.isoformat()}")'
        )
    if isinstance(value, Mapping) and value and all(v is None for v in value.values()):
        braces = "{" + ", ".join(str(k) for k in value) + "}"
        return (
            f"{label} {phrase} (got {describe(value)}: unquoted braces make YAML read "
            f'{braces} as a mapping, e.g. when copied from a Python f-string; quote it: "{braces}"'
            f", or write the value itself)"
        )
    if isinstance(value, list) and label in _LIST_GIVEN_HINTS:
        return f"{label} {phrase} (got {describe(value)}){_LIST_GIVEN_HINTS[label]}"
    return f"{label} {phrase} (got {describe(value)})"
