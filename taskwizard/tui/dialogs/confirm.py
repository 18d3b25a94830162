"""A yes/no question in a modal dialog: ``push_screen(ConfirmDialog(...), callback)``
gets ``True`` (confirmed) or ``False`` (cancelled, Escape)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool]):
    CSS_PATH = "dialog.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Yes", show=False),
        Binding("n", "cancel", "No", show=False),
        Binding("left,right", "switch_button", "Switch", show=False),
    ]

    def __init__(
        self,
        message: str,
        *,
        title: str = "Are you sure?",
        yes: str = "Yes",
        no: str = "Cancel",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="tw-dialog")
        self.question = message
        self.title_text = title
        self.yes_label = yes
        self.no_label = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static(self.title_text, classes="tw-dialog-title")
            yield Static(self.question, classes="tw-dialog-message", markup=False)
            with Horizontal(classes="tw-dialog-buttons"):
                yield Button(self.no_label, id="no")
                yield Button(
                    self.yes_label, id="yes", variant="error" if self.danger else "primary"
                )

    def on_mount(self) -> None:
        # A destructive answer must be chosen on purpose: Enter alone cancels it.
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch_button(self) -> None:
        target = "#yes" if self.focused is not None and self.focused.id == "no" else "#no"
        self.query_one(target, Button).focus()
