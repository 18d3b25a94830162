"""A protocol's or algorithm's ``arguments`` as a form generated from the catalog.

One field per catalog :class:`~taskwizard.model.catalog.Argument`, chosen by
its kind; defaults are shown as placeholders, and a value set back to its
default (or emptied) removes the key, so the YAML holds only what the user
chose. Arguments the catalog does not know are kept exactly as written and
left to the raw YAML view. Nothing here decides validity: the wizard screen
validates the state and hands each field its problems.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Button, Static, TextArea

from taskwizard.model import rules
from taskwizard.model.catalog import Argument, Component
from taskwizard.model.kinds import KINDS
from taskwizard.model.problems import DocPath, Problem
from taskwizard.state import DocName
from taskwizard.tui.dialogs.pick import PickOption
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.widgets.fields import Field, FieldKind
from taskwizard.tui.widgets.keyvalue import KeyValueEditor, parse_yaml_value

_SIMPLE_FORMS: frozenset[str] = frozenset(typing.get_args(FieldKind))
#: Catalog argument kind -> the form field kind that edits it (from its spec in kinds.py).
FIELD_KIND_OF: dict[str, FieldKind] = {
    kind: typing.cast(FieldKind, spec.form)
    for kind, spec in KINDS.items()
    if spec.form in _SIMPLE_FORMS
}
#: Free mappings are edited as key/value rows (typed unless the values must be strings).
MAPPING_KINDS: dict[str, bool] = {
    kind: spec.form == "mapping"
    for kind, spec in KINDS.items()
    if spec.form in ("mapping", "str_mapping")
}


def prune_empty(state: Any, doc: DocName, path: DocPath) -> bool:
    """The model's rule (:func:`taskwizard.model.rules.prune_empty`) applied to the
    wizard state, which then counts as edited."""
    if not rules.prune_empty(state.doc(doc), path):
        return False
    state.saved = False
    state.mark_touched(doc, path)
    return True


def component_options(components: dict[str, Component]) -> list[PickOption]:
    """General-purpose components first (with their summary), then the rest."""
    general = [c for c in components.values() if c.general_purpose]
    other = [c for c in components.values() if not c.general_purpose]
    options = [PickOption(c.name, c.name, c.summary, "General-purpose") for c in general]
    for c in other:
        note = c.deprecated or c.summary
        options.append(PickOption(c.name, c.name, note, "Domain-specific"))
    return options


def _default_text(arg: Argument) -> str:
    if arg.default is None:
        return ""
    if isinstance(arg.default, list):
        return ", ".join(map(str, arg.default))
    if isinstance(arg.default, bool):
        return "true" if arg.default else "false"
    return str(arg.default)


class ArgumentField(Field):
    """A :class:`Field` for one catalog argument: default shown, default/empty removes the key."""

    def __init__(self, doc: DocName, arguments_path: DocPath, arg: Argument) -> None:
        kind = FIELD_KIND_OF[arg.kind]
        default = _default_text(arg)
        help_ = arg.help + (f" (default: {default})" if default else "")
        super().__init__(
            doc,
            (*arguments_path, arg.name),
            arg.name,
            kind=kind,
            help=help_,
            choices=arg.choices,
            placeholder=f"default: {default}" if default else ("required" if arg.required else ""),
            required=arg.required,
            keep_empty=False,
            templatable=doc == "task" and (arg.templatable or arg.kind in ("str", "path")),
            variable_kind=arg.kind,
            id=f"arg-{arg.name}",
        )
        self.argument = arg

    def shown_value(self) -> Any:
        value = super().shown_value()
        if value is None and self.kind in ("bool", "multi"):
            return self.argument.default
        return value

    def _value_from_editor(self) -> Any:
        value = super()._value_from_editor()
        if value == [] or (self.argument.default is not None and value == self.argument.default):
            return None
        return value


class YamlValueField(Field):
    """A small YAML editor for one value the form has no widget for (lists of mappings, ...).

    Text that does not parse is not written; the reason shows under the field.
    """

    DEFAULT_CSS = """
    YamlValueField TextArea { height: 4; }
    """

    def __init__(
        self,
        doc: DocName,
        path: DocPath,
        label: str,
        *,
        help: str = "",
        hint: str = "",
        required: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(
            doc,
            path,
            label,
            kind="text",
            help=help,
            hint=hint,
            required=required,
            keep_empty=False,
            templatable=False,
            id=id,
        )
        self._parse_problem: str | None = None

    def shown_value(self) -> Any:
        from taskwizard.model.yamlio import dump_yaml

        value = super().shown_value()
        if value is None:
            return ""
        return dump_yaml(value).rstrip("\n")

    def _make_editor(self) -> Widget:
        from taskwizard.tui.widgets.editors import FieldTextArea

        area = FieldTextArea(str(self.shown_value()), id="editor")
        area.show_line_numbers = False
        area.indent_width = 2
        return area

    def _value_from_editor(self) -> Any:
        text = self.query_one("#editor", TextArea).text
        if not text.strip():
            return None
        ok, value, message = parse_yaml_value(text)
        if not ok:
            raise ValueError(message)
        return value

    def _write(self) -> None:
        try:
            value = self._value_from_editor()
        except ValueError as exc:
            self._parse_problem = str(exc)
            self.show_problems([])
            return
        self._parse_problem = None
        state = self.tw_app.state
        if state.get(self.doc, self.path) == value:
            self.show_problems([])
            return
        state.set(self.doc, self.path, value)
        self.post_edit(StateEdited(self.doc, self.path))

    def show_problems(self, problems: Sequence[Problem]) -> None:
        if self._parse_problem is not None:
            problems = [Problem("error", f"not valid YAML yet: {self._parse_problem}", self.path)]
        super().show_problems(problems)

    def reload(self) -> None:
        area = self.query_one("#editor", TextArea)
        try:
            current = self._value_from_editor()
        except ValueError:
            current = object()
        if current != self.tw_app.state.get(self.doc, self.path):
            area.text = str(self.shown_value())


class ComponentField(Field):
    """The ``name`` of a protocol or algorithm: a button that opens the catalog's pick list."""

    DEFAULT_CSS = """
    ComponentField > Button {
        width: 100%; content-align: left middle;
        /* A long name (bitfount.HuggingFaceImageClassificationInference) never wraps
           mid-word at 80 columns: one line, cut with an ellipsis if it must be. */
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(
        self,
        doc: DocName,
        path: DocPath,
        label: str,
        *,
        on_pick: Callable[[Field], None],
        help: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(
            doc, path, label, kind="str", help=help, required=True, templatable=False, id=id
        )
        self.on_pick = on_pick

    def _button_label(self) -> str:
        value = self.shown_value()
        return f"{value}  ▾" if value else "Choose…  ▾"

    def _make_editor(self) -> Widget:
        return Button(self._button_label(), id="editor", tooltip="Enter: choose from the catalog")

    def _value_from_editor(self) -> Any:
        return self.shown_value()

    def reload(self) -> None:
        self.query_one("#editor", Button).label = self._button_label()

    @on(Button.Pressed, "#editor")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.on_pick(self)


class ArgumentsForm(Vertical):
    """The generated form for ``<component path>.arguments``."""

    DEFAULT_CSS = """
    ArgumentsForm { height: auto; margin: 1 0 0 0; }
    ArgumentsForm > .arguments--note { color: $text-muted; margin: 0 0 1 0; }
    """

    def __init__(
        self,
        doc: DocName,
        component_path: DocPath,
        component: Component | None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="arguments-form")
        self.doc: DocName = doc
        self.component_path = component_path
        self.arguments_path: DocPath = (*component_path, "arguments")
        self.component = component

    def compose(self) -> ComposeResult:
        state = self.app.state  # type: ignore[attr-defined]
        current = state.get(self.doc, self.arguments_path)
        comp = self.component
        if comp is None:
            yield Static(
                "This name is not in taskwizard's catalog; its arguments are kept exactly as "
                "written. Edit them here as YAML "
                "(or with Ctrl+E).",
                classes="arguments--note",
            )
            yield YamlValueField(
                self.doc,
                self.arguments_path,
                "Arguments (YAML)",
                help="the component's arguments, kept as written",
                id="arg-yaml",
            )
            return
        shown = [
            a
            for a in comp.arguments
            if not a.deprecated or (isinstance(current, dict) and a.name in current)
        ]
        if not shown:
            yield Static("This one takes no arguments.", classes="arguments--note")
        for arg in shown:
            yield self._field_for(arg)
        if isinstance(current, dict):
            unknown = [str(k) for k in current if comp.argument(str(k)) is None]
            if unknown:
                yield Static(
                    "Also set, not known to taskwizard (kept as written; Ctrl+E edits them): "
                    + ", ".join(unknown),
                    classes="arguments--note",
                )

    def _field_for(self, arg: Argument) -> Field:
        if arg.kind in FIELD_KIND_OF:
            return ArgumentField(self.doc, self.arguments_path, arg)
        path = (*self.arguments_path, arg.name)
        label = arg.name + (" (deprecated)" if arg.deprecated else "")
        if arg.kind in MAPPING_KINDS:
            return KeyValueEditor(
                self.doc,
                path,
                label,
                typed=MAPPING_KINDS[arg.kind],
                help=arg.help,
                id=f"arg-{arg.name}",
            )
        return YamlValueField(
            self.doc,
            path,
            label,
            help=arg.help,
            required=arg.required,
            hint="YAML" + (f"; {arg.deprecated}" if arg.deprecated else ""),
            id=f"arg-{arg.name}",
        )

    def on_state_edited(self, event: StateEdited) -> None:
        # Not stopped: the wizard screen validates after this clean-up.
        prune_empty(self.app.state, self.doc, self.arguments_path)  # type: ignore[attr-defined]
