"""A searchable pick list in a modal dialog.

``push_screen(PickDialog("Protocol", options), callback)`` gets the chosen
option's id, or ``None`` when cancelled (Escape). Typing filters the list;
Up/Down move in it from the search box; Enter picks the highlighted option.
With ``allow_custom`` the typed text itself can be chosen (a name the list
does not know, kept as written).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

#: Prefix of the option id that stands for the text typed in the search box.
CUSTOM_PREFIX = "\0custom:"


@dataclass(frozen=True)
class PickOption:
    """One choice: ``id`` is returned, ``label`` shown, ``note`` dimmed after it."""

    id: str
    label: str
    note: str = ""
    group: str = ""


class PickDialog(ModalScreen[str | None]):
    CSS_PATH = "dialog.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = """
    PickDialog #pick-list { height: auto; max-height: 14; }
    PickDialog #pick-hint { color: $text-muted; }
    """

    def __init__(
        self,
        title: str,
        options: Sequence[PickOption],
        *,
        message: str | None = None,
        current: str | None = None,
        allow_custom: bool = False,
        custom_label: str = "Use “{text}” as written",
    ) -> None:
        super().__init__(classes="tw-dialog")
        self.title_text = title
        self.options = tuple(options)
        self.prompt_message = message
        self.current = current
        self.allow_custom = allow_custom
        self.custom_label = custom_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static(self.title_text, classes="tw-dialog-title")
            if self.prompt_message:
                yield Static(self.prompt_message, classes="tw-dialog-message", markup=False)
            yield Input(placeholder="Type to search…", id="pick-search")
            yield OptionList(id="pick-list")
            yield Static("Enter picks · ↑/↓ move · Escape cancels", id="pick-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#pick-search", Input).focus()

    def visible_options(self, text: str) -> list[PickOption]:
        words = text.lower().split()
        return [
            o
            for o in self.options
            if all(w in f"{o.label} {o.note} {o.group}".lower() for w in words)
        ]

    def _fill(self, text: str) -> None:
        option_list = self.query_one("#pick-list", OptionList)
        shown: list[Option | None] = []
        group = None
        highlight = 0
        count = 0
        for option in self.visible_options(text):
            if option.group and option.group != group:
                if group is not None:
                    shown.append(None)
                group = option.group
            label = Text(option.label)
            if option.note:
                label.append(f"  {option.note}", style="dim")
            if option.id == self.current:
                highlight = count
            shown.append(Option(label, id=option.id))
            count += 1
        typed = text.strip()
        if self.allow_custom and typed and not any(o.id == typed for o in self.options):
            shown.append(Option(self.custom_label.format(text=typed), id=CUSTOM_PREFIX + typed))
            count += 1
        option_list.clear_options()
        option_list.add_options(shown)
        if count:
            option_list.highlighted = min(highlight, count - 1) if not typed else 0

    @on(Input.Changed, "#pick-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        option_list = self.query_one("#pick-list", OptionList)
        if step > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    @on(Input.Submitted, "#pick-search")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        option_list = self.query_one("#pick-list", OptionList)
        if option_list.highlighted is None:
            return
        self._choose(option_list.get_option_at_index(option_list.highlighted).id)

    @on(OptionList.OptionSelected, "#pick-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        if option_id.startswith(CUSTOM_PREFIX):
            option_id = option_id[len(CUSTOM_PREFIX) :]
        self.dismiss(option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
