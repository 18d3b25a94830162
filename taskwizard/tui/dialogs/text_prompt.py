"""A one-line text prompt in a modal dialog (rename a draft, name a thing).

``push_screen(TextPromptDialog("Rename draft", value=old), callback)`` gets the
entered text (stripped) or ``None`` when cancelled. An optional ``validate``
function returns an error message to show instead of accepting the text.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


def _not_empty(text: str) -> str | None:
    return "Enter a name." if not text else None


class TextPromptDialog(ModalScreen[str | None]):
    CSS_PATH = "dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        *,
        message: str | None = None,
        placeholder: str = "",
        ok: str = "OK",
        validate: Callable[[str], str | None] | None = _not_empty,
    ) -> None:
        super().__init__(classes="tw-dialog")
        self.title_text = title
        self.value = value
        self.prompt_message = message
        self.placeholder = placeholder
        self.ok_label = ok
        self.check = validate

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static(self.title_text, classes="tw-dialog-title")
            if self.prompt_message:
                yield Static(self.prompt_message, classes="tw-dialog-message", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error", classes="tw-dialog-error", markup=False)
            with Horizontal(classes="tw-dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.ok_label, id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _clear_error(self) -> None:
        self.query_one("#prompt-error", Static).update("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        text = self.query_one(Input).value.strip()
        error = self.check(text) if self.check is not None else None
        if error:
            self.query_one("#prompt-error", Static).update(error)
            self.query_one(Input).focus()
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
