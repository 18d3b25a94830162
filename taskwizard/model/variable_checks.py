"""Placeholders in a task template: found, checked against the declarations (also
with the defaults filled in), and substituted as Bitfount does. Part of
:mod:`taskwizard.model.variables`, which re-exports the public names."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from taskwizard.model.placeholders import (
    canonical_placeholder,
    placeholder_name,
)
from taskwizard.model.problems import DocPath, Problem, error, path_text, warning
from taskwizard.model.variable_specs import (
    _EMBEDDED_RE,
    TEMPLATE_KEY,
    _declarations,
    _key_part,
    _parse_all,
    _type_name,
)


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
