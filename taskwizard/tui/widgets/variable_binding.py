"""Bind a field to a template variable (Ctrl+B on any field that can take a placeholder).

The pick list offers the declared variables whose type fits the field
(``variables.compatible_variables``) and "New variable from this field…",
which declares one with the field's current value as its default
(``variables.new_variable_from_field``). On a bound field Ctrl+B offers
Unbind, which puts the variable's default (or nothing) back as a fixed value.
All document changes go through :mod:`taskwizard.model.variables`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskwizard.model import variables
from taskwizard.model.problems import DocPath
from taskwizard.tui.dialogs.new_variable import NewVariableDialog
from taskwizard.tui.dialogs.pick import PickDialog, PickOption
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.widgets.fields import Field

if TYPE_CHECKING:
    from taskwizard.state import WizardState
    from taskwizard.tui.screens.wizard import WizardScreen

NEW_VARIABLE = "\0new"
UNBIND = "\0unbind"


def replace_task(state: WizardState, task: dict[str, Any], path: DocPath) -> None:
    """Put new task data (from a ``variables`` operation) into the state in place."""
    state.task.clear()
    state.task.update(task)
    state.saved = False
    state.mark_touched("task", path)


def declared_variables(state: WizardState) -> dict[str, variables.VariableSpec]:
    block = state.task.get("template")
    specs: dict[str, variables.VariableSpec] = {}
    if isinstance(block, dict):
        for name, decl in block.items():
            spec, _ = variables.parse_declaration(str(name), decl)
            if spec is not None:
                specs[str(name)] = spec
    return specs


def bind(state: WizardState, path: DocPath, name: str) -> None:
    """Make the field at ``path`` hold ``"{{ name }}"`` (its parent mappings are created)."""
    parent = state.get("task", path[:-1])
    if parent is None:
        state.set("task", path[:-1], {})
    replace_task(state, variables.bind_field(state.task, path, name), path)


def unbind(state: WizardState, path: DocPath) -> None:
    """A fixed value again: the variable's default if it has one, else no value."""
    name = variables.placeholder_name(state.get("task", path))
    spec = declared_variables(state).get(name or "")
    if spec is not None and spec.has_default and spec.default is not None:
        replace_task(state, variables.unbind_field(state.task, path, spec.default), path)
    else:
        state.set("task", path, None)


def new_variable(state: WizardState, path: DocPath, name: str, label: str, type_key: str) -> None:
    """Declare ``name`` from the field's current value and bind the field to it."""
    parent = state.get("task", path[:-1])
    if parent is None:
        state.set("task", path[:-1], {})
    replace_task(
        state, variables.new_variable_from_field(state.task, path, name, label, type_key), path
    )
    state.mark_touched("task", ("template", name))


def focused_field(screen: WizardScreen) -> Field | None:
    focused = screen.focused
    if focused is None:
        return None
    for node in focused.ancestors_with_self:
        if isinstance(node, Field):
            return node
    return None


def _after_change(field: Field) -> None:
    """The field's editor may change shape (bound fields show the placeholder): rebuild it."""

    async def rebuild() -> None:
        await field.recompose()
        field.focus_editor()
        field.post_message(StateEdited(field.doc, field.path))

    field.call_later(rebuild)


def bind_focused_field(screen: WizardScreen) -> None:
    """Ctrl+B: offer the bind/unbind choices for the focused field."""
    field = focused_field(screen)
    if field is None or not field.templatable or field.doc != "task":
        screen.notify(
            "This field cannot take a template variable (only string fields and fields "
            "Bitfount marks templatable can).",
            severity="warning",
            timeout=4,
        )
        return
    state = screen.tw_app.state
    bound = field.bound_variable
    names = variables.compatible_variables(state.task, field.variable_kind)
    options: list[PickOption] = []
    if bound is not None:
        options.append(PickOption(UNBIND, f"Unbind from {{{{ {bound} }}}}", "use a fixed value"))
    specs = declared_variables(state)
    for name in names:
        if name == bound:
            continue
        spec = specs.get(name)
        note = spec.type_key + (f" · {spec.label}" if spec and spec.label else "") if spec else ""
        options.append(PickOption(name, f"{{{{ {name} }}}}", note, "Variables that fit"))
    options.append(PickOption(NEW_VARIABLE, "New variable from this field…", "", "New"))

    def chosen(choice: str | None) -> None:
        if choice is None:
            return
        if choice == UNBIND:
            unbind(state, field.path)
            _after_change(field)
        elif choice == NEW_VARIABLE:
            _ask_new_variable(screen, field)
        else:
            bind(state, field.path, choice)
            _after_change(field)

    screen.app.push_screen(
        PickDialog(
            f"Bind “{field.label}” to a template variable",
            options,
            message="Its value then comes from whoever runs the template.",
        ),
        chosen,
    )


def _ask_new_variable(screen: WizardScreen, field: Field) -> None:
    state = screen.tw_app.state
    types = tuple(
        t
        for t in variables.FIELD_KINDS.get(field.variable_kind, ())
        if t in variables.VARIABLE_TYPES
    )
    if not types:
        screen.notify("No variable type fits this field.", severity="warning")
        return
    suggested = str(field.path[-1]) if isinstance(field.path[-1], str) else ""

    def created(answer: tuple[str, str, str] | None) -> None:
        if answer is None:
            return
        name, label, type_key = answer
        try:
            new_variable(state, field.path, name, label, type_key)
        except ValueError as exc:
            screen.notify(str(exc), severity="error", timeout=6)
            return
        _after_change(field)

    screen.app.push_screen(
        NewVariableDialog(
            f"New variable from “{field.label}”",
            types,
            taken=set(declared_variables(state))
            | {str(n) for n in (state.task.get("template") or {})},
            name=suggested if variables.PLACEHOLDER_RE.fullmatch("{{ " + suggested + " }}") else "",
            label=field.label,
        ),
        created,
    )
