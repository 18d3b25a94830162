"""Quitting (or leaving the wizard) while the work is only in this window.

``push_screen(QuitDialog(reason), callback)`` gets ``"save"`` (write the files
first), ``"discard"`` (quit and lose the changes) or ``None`` (keep editing, Escape).
"""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

QuitChoice = Literal["save", "discard"]


class QuitDialog(ModalScreen["QuitChoice | None"]):
    CSS_PATH = "dialog.tcss"
    BINDINGS = [
        Binding("escape", "keep", "Keep editing"),
    ]

    def __init__(self, reason: str, *, leaving: bool = False) -> None:
        super().__init__(classes="tw-dialog")
        self.reason = reason
        #: Leaving the wizard for the home screen rather than quitting the app.
        self.leaving = leaving

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static(
                "Leave without a draft?" if self.leaving else "Quit without a draft?",
                classes="tw-dialog-title",
            )
            yield Static(
                f"Drafts cannot be written ({self.reason}), so your changes are only in "
                "this window. Save them to their files, or discard them?",
                classes="tw-dialog-message",
                markup=False,
            )
            with Horizontal(classes="tw-dialog-buttons"):
                yield Button("Keep editing", id="keep")
                yield Button("Discard changes", id="discard", variant="error")
                yield Button("Save files…", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.dismiss("save")

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        self.dismiss("discard")

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(None)
