"""Which task template of an opened config to edit."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.editing import OpenedFile, TemplateChoice

NEW_TEMPLATE = "__new__"
#: More templates than this: a filter field above the list, and only the first matches listed.
FILTER_FROM = 20
#: Most templates listed at once (a 5 MiB config has ~30,000: building an option, with its
#: markup and wrapping, for each took seconds before the first frame).
MAX_LISTED = 50


class TemplatePickDialog(ModalScreen[int | None | str]):
    """Which template of the config to edit; returns its index, NEW_TEMPLATE, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # With the filter field focused, the arrows still move in the list.
        Binding("up", "move('cursor_up')", show=False),
        Binding("down", "move('cursor_down')", show=False),
        Binding("pageup", "move('page_up')", show=False),
        Binding("pagedown", "move('page_down')", show=False),
    ]
    DEFAULT_CSS = """
    TemplatePickDialog { align: center middle; }
    TemplatePickDialog > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    TemplatePickDialog OptionList { height: auto; max-height: 20; margin: 1 0 0 0; }
    TemplatePickDialog #template-filter { margin: 1 0 0 0; }
    TemplatePickDialog #template-more { color: $text-muted; }
    """

    def __init__(self, opened: OpenedFile) -> None:
        super().__init__()
        self.opened = opened
        self.choices: list[TemplateChoice] = opened.templates()
        #: What the filter matches, per template (lower case).
        self._haystacks: list[str] = []

    def compose(self) -> ComposeResult:
        count = len(self.choices)
        with Vertical():
            yield Static(
                f"[b]{self.opened.path}[/b]\n{count} task template"
                f"{'s' * (count != 1)} in this config. Which one do you want to edit?"
            )
            if count > FILTER_FROM:
                yield Input(
                    placeholder="Type to filter by slug, title or file", id="template-filter"
                )
                # Above the list: below it, a short terminal cuts it off.
                yield Static(self._more_text(count), id="template-more", markup=False)
            choices_list = OptionList(*self._options(self.choices), id="template-choices")
            if count > FILTER_FROM:
                # A fixed height: with `height: auto` every layout measured every option.
                choices_list.styles.height = _list_height(count)
                choices_list.styles.max_height = 20
            yield choices_list

    def on_mount(self) -> None:
        if len(self.choices) > FILTER_FROM:  # the filter has the focus; Enter picks this one
            self.query_one("#template-choices", OptionList).highlighted = 0

    def _options(self, matches: list[TemplateChoice]) -> list[Option]:
        """The first MAX_LISTED matches (all of them for a small config), then "add a new one"."""
        listed = matches if len(self.choices) <= FILTER_FROM else matches[:MAX_LISTED]
        options = [
            Option(
                f"{c.slug or '(no slug)'} — {c.title or '(no title)'}   [dim]{c.template}[/dim]",
                id=str(c.index),
            )
            for c in listed
        ]
        options.append(Option("＋ Add a new task template to this config", id=NEW_TEMPLATE))
        return options

    @staticmethod
    def _more_text(matching: int) -> str:
        hidden = matching - MAX_LISTED
        if hidden <= 0:
            return ""
        return f"{hidden:,} more — type to filter"

    @on(Input.Changed, "#template-filter")
    def _filter(self, event: Input.Changed) -> None:
        if not self._haystacks:
            self._haystacks = [f"{c.slug}\n{c.title}\n{c.template}".lower() for c in self.choices]
        words = event.value.lower().split()
        matches = [
            choice
            for choice, haystack in zip(self.choices, self._haystacks, strict=True)
            if all(word in haystack for word in words)
        ]
        choices_list = self.query_one("#template-choices", OptionList)
        choices_list.set_options(self._options(matches))
        choices_list.highlighted = 0
        choices_list.styles.height = _list_height(len(matches))
        text = self._more_text(len(matches))
        if not matches:
            text = "No template matches — Enter adds a new one."
        more = self.query_one("#template-more", Static)
        more.update(text)
        more.display = bool(text)

    @on(Input.Submitted, "#template-filter")
    def _submitted(self) -> None:
        choices_list = self.query_one("#template-choices", OptionList)
        if choices_list.highlighted is None:
            choices_list.highlighted = 0
        choices_list.action_select()

    def action_move(self, action: str) -> None:
        getattr(self.query_one("#template-choices", OptionList), f"action_{action}")()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The arrows are the list's own while it has the focus.
        if action == "move":
            return isinstance(self.focused, Input)
        return True

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        self.dismiss(NEW_TEMPLATE if choice == NEW_TEMPLATE else int(choice or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _list_height(matches: int) -> int:
    """Rows for the listed matches, "add a new one" and the list's two border lines."""
    return min(matches, MAX_LISTED) + 3
