"""Typed key/value rows for a free-form mapping (hyperparameters, rename_columns, ...).

Each row is a key and a value; the value text is read as YAML, the way
Bitfount will read the file, so ``4`` is a whole number, ``0.1`` a float,
``true`` a boolean and anything else a string (``typed=False`` keeps every
value a string). The whole mapping is written to the state on every change;
an empty mapping removes the key, so the YAML stays clean.
"""

from __future__ import annotations

import datetime
import textwrap
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input

from taskwizard.model.problems import DocPath
from taskwizard.state import DocName
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.widgets.fields import Field, FieldInput


def parse_yaml_value(text: str) -> tuple[bool, Any, str]:
    """``(ok, value, message)`` for YAML text standing for one value (scalar, list or mapping)."""
    from taskwizard.model.yamlio import load_yaml_text

    loaded = load_yaml_text("value:\n" + textwrap.indent(text, "  "), filename="value")
    if not loaded.ok or not isinstance(loaded.data, dict):
        message = next((p.message for p in loaded.problems if p.is_error), "not valid YAML")
        return False, None, message
    value = loaded.data.get("value")
    if isinstance(value, datetime.date):
        # A date object would not survive as typed; keep the text (Bitfount reads strings).
        value = text.strip()
    return True, value, ""


def format_scalar(value: Any) -> str:
    """The text that :func:`parse_yaml_value` reads back as ``value``."""
    from taskwizard.model.yamlio import dump_yaml

    if value is None:
        return ""
    if isinstance(value, str):
        ok, back, _ = parse_yaml_value(value)
        if ok and back == value:
            return value
    dumped = dump_yaml({"v": value})
    text = dumped.split(":", 1)[1].strip()
    if isinstance(value, list | dict) and "\n" in text:
        import json

        return json.dumps(value)
    return text


class KeyValueRow(Horizontal):
    DEFAULT_CSS = """
    KeyValueRow { height: auto; }
    KeyValueRow > .kv--key { width: 2fr; }
    KeyValueRow > .kv--value { width: 3fr; }
    KeyValueRow > Button { min-width: 5; width: 5; }
    """

    def __init__(self, key: str, value: str) -> None:
        super().__init__(classes="kv--row")
        self._key = key
        self._value = value

    #: The row's inputs, kept when composed, not queried: every key in the editor reads
    #: every row (0.3 ms a key in queries).
    _key_input: Input | None = None
    _value_input: Input | None = None

    def compose(self) -> ComposeResult:
        # FieldInputs: a key's edit is written and validated in its own frame (write_field_now).
        self._key_input = FieldInput(self._key, placeholder="key", classes="kv--key")
        self._value_input = FieldInput(self._value, placeholder="value", classes="kv--value")
        yield self._key_input
        yield self._value_input
        yield Button("✕", classes="kv--remove", tooltip="Remove this row")

    @property
    def key_text(self) -> str:
        """The key as typed, stripped (before the row is composed: the key it was made with)."""
        return (self._key if self._key_input is None else self._key_input.value).strip()

    @property
    def value_text(self) -> str:
        return self._value if self._value_input is None else self._value_input.value


class KeyValueEditor(Field):
    """A :class:`Field` whose editor is a list of key/value rows plus an Add button."""

    DEFAULT_CSS = """
    KeyValueEditor #editor { height: auto; }
    KeyValueEditor .kv--add { margin: 0; }
    """

    def __init__(
        self,
        doc: DocName,
        path: DocPath,
        label: str,
        *,
        typed: bool = True,
        hint: str = "",
        help: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(
            doc,
            path,
            label,
            kind="str",
            hint=hint,
            help=help,
            keep_empty=False,
            templatable=False,
            id=id,
        )
        self.typed = typed

    def _rows_for(self, value: Any) -> list[KeyValueRow]:
        if not isinstance(value, dict):
            return []
        return [
            KeyValueRow(str(k), format_scalar(v) if self.typed else ("" if v is None else str(v)))
            for k, v in value.items()
        ]

    #: The box the rows are in (the editor): rows() reads its children, no query per key.
    _rows_box: Vertical | None = None

    def _make_editor(self) -> Widget:
        self._rows_box = Vertical(*self._rows_for(self.shown_value()), id="editor")
        return self._rows_box

    def on_mount(self) -> None:
        editor = self.query_one("#editor", Vertical)
        editor.mount(Button("+ Add row", classes="kv--add"))

    def rows(self) -> list[KeyValueRow]:
        box = self._rows_box
        if box is None or box.parent is not self:
            return list(self.query(KeyValueRow))
        return [child for child in box.children if isinstance(child, KeyValueRow)]

    def value_from_rows(self, without: KeyValueRow | None = None) -> dict[str, Any] | None:
        mapping: dict[str, Any] = {}
        for row in self.rows():
            if row is without or not row.key_text:
                continue
            text = row.value_text
            if self.typed:
                ok, value, _ = parse_yaml_value(text)
                mapping[row.key_text] = value if ok else text
            else:
                mapping[row.key_text] = text
        return mapping or None

    def _value_from_editor(self) -> Any:
        return self.value_from_rows()

    def _editor_state(self) -> object:
        return tuple((row.key_text, row.value_text) for row in self.rows())

    def reload(self) -> None:
        if self.value_from_rows() == self.shown_value():
            return
        for row in self.rows():
            row.remove()
        editor = self.query_one("#editor", Vertical)
        add = self.query_one(".kv--add", Button)
        for row in self._rows_for(self.shown_value()):
            editor.mount(row, before=add)

    def focus_editor(self) -> None:
        rows = self.rows()
        if rows:
            rows[0].query_one(".kv--key", Input).focus()
        else:
            self.query_one(".kv--add", Button).focus()

    def add_row(self) -> KeyValueRow:
        row = KeyValueRow("", "")
        self.query_one("#editor", Vertical).mount(row, before=self.query_one(".kv--add", Button))
        self.call_after_refresh(lambda: row.query_one(".kv--key", Input).focus())
        return row

    @on(Button.Pressed, ".kv--add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_row()

    @on(Button.Pressed, ".kv--remove")
    async def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        row = next(a for a in event.button.ancestors if isinstance(a, KeyValueRow))
        index = self.rows().index(row)
        self._write(without=row)
        await row.remove()
        rows = self.rows()
        if rows:
            rows[min(index, len(rows) - 1)].query_one(".kv--key", Input).focus()
        else:
            self.query_one(".kv--add", Button).focus()

    def _write(self, without: KeyValueRow | None = None) -> None:
        value = self.value_from_rows(without)
        state = self.tw_app.state
        if state.get(self.doc, self.path) == value:
            return
        state.set(self.doc, self.path, value)
        self.post_edit(StateEdited(self.doc, self.path))


class YamlScalarField(Field):
    """One value typed as YAML (``4``, ``0.5``, ``true``, ``[a, b]``); empty removes the key."""

    def __init__(
        self,
        doc: DocName,
        path: DocPath,
        label: str,
        *,
        hint: str = "",
        help: str = "",
        placeholder: str = "",
        variable_kind: str = "any",
        templatable: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(
            doc,
            path,
            label,
            kind="str",
            hint=hint,
            help=help,
            placeholder=placeholder,
            keep_empty=False,
            templatable=templatable,
            variable_kind=variable_kind,
            id=id,
        )

    def _make_editor(self) -> Widget:
        return FieldInput(
            format_scalar(self.shown_value()), placeholder=self.placeholder, id="editor"
        )

    def _value_from_editor(self) -> Any:
        text = self.query_one("#editor", Input).value
        if not text.strip():
            return None
        ok, value, _ = parse_yaml_value(text)
        return value if ok else text

    def reload(self) -> None:
        editor = self.query_one("#editor", Input)
        if self._value_from_editor() != self.shown_value():
            editor.value = format_scalar(self.shown_value())
        self.show_binding()
