"""Ask for a new template variable's name, label and type (Ctrl+B, "New variable…")."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from taskwizard.model import variables


class NewVariableDialog(ModalScreen[tuple[str, str, str] | None]):
    """Asks a variable's name, label and (when several fit) type; returns them or None."""

    CSS_PATH = "dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        types: tuple[str, ...],
        *,
        taken: set[str],
        name: str = "",
        label: str = "",
    ) -> None:
        super().__init__(classes="tw-dialog")
        self.title_text = title
        self.types = types
        self.taken = taken
        self.initial_name = name
        self.initial_label = label

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static(self.title_text, classes="tw-dialog-title")
            yield Static("Name (letters, digits, _)")
            yield Input(self.initial_name, placeholder="e.g. model_name", id="variable-name")
            yield Static("Label (the question shown to whoever runs the template)")
            yield Input(self.initial_label, placeholder="e.g. Which model?", id="variable-label")
            if len(self.types) > 1:
                yield Static("Type")
                yield Select(
                    [(t, t) for t in self.types],
                    value=self.types[0],
                    allow_blank=False,
                    id="variable-type",
                )
            yield Static("", id="variable-error", classes="tw-dialog-error")
            with Horizontal(classes="tw-dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#variable-name", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "variable-name":
            from taskwizard.tui.keys import focus_now

            focus_now(self.query_one("#variable-label", Input))  # before the keys typed next
        else:
            self.action_submit()

    @on(Button.Pressed, "#ok")
    def action_submit(self) -> None:
        name = self.query_one("#variable-name", Input).value.strip()
        label = self.query_one("#variable-label", Input).value.strip()
        selects = self.query("#variable-type")
        type_key = str(selects.first(Select).value) if selects else self.types[0]
        problem = None
        if not variables.PLACEHOLDER_RE.fullmatch("{{ " + name + " }}"):
            problem = "The name must be letters, digits and _, not starting with a digit."
        elif name in self.taken:
            problem = f"A variable named {name!r} already exists."
        elif not label:
            problem = "Give a label: it is the question people running the template see."
        if problem:
            self.query_one("#variable-error", Static).update(problem)
            return
        self.dismiss((name, label, type_key))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
