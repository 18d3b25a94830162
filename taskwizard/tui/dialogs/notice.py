"""A message the user must see, in a modal dialog with one OK button:
``push_screen(NoticeDialog(message, title=...), callback)``; Enter or Escape closes it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class NoticeDialog(ModalScreen[None]):
    CSS_PATH = "dialog.tcss"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, message: str, *, title: str) -> None:
        super().__init__(classes="tw-dialog")
        self.message = message
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static(self.title_text, classes="tw-dialog-title")
            yield Static(self.message, classes="tw-dialog-message", markup=False)
            with Horizontal(classes="tw-dialog-buttons"):
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)
