"""Which task template of an opened config to edit.

Of a big config, the picker may open from a quick look at it (:class:`QuickRead`) and read
the file in full meanwhile: a template chosen before that is done opens when it is, and
only if the full read agrees on it; when the full read finds the file is not a config to
pick from (an error, a file that is not YAML), the picker answers :data:`FULL_READ` and
the caller goes on with :attr:`TemplatePickDialog.full` as without the quick look.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.editing import CannotOpen, OpenedFile, QuickRead, TemplateChoice

NEW_TEMPLATE = "__new__"
#: The picker's answer when its full read says the file is not a config to pick from.
FULL_READ = "__full_read__"
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

    def __init__(self, opened: OpenedFile | None = None, quick: QuickRead | None = None) -> None:
        super().__init__()
        assert (opened is None) != (quick is None), "an opened file or a quick look"
        #: The file read in full: given, or (from a quick look) once the full read is done.
        self.opened = opened
        self.quick = quick
        #: What the full read of a quick look gave; None while it runs.
        self.full: OpenedFile | CannotOpen | None = opened
        self.path: Path = opened.path if opened is not None else quick.path  # type: ignore[union-attr]
        self.choices: list[TemplateChoice] = (
            opened.templates() if opened is not None else list(quick.choices)  # type: ignore[union-attr]
        )
        #: What the filter matches, per template (lower case).
        self._haystacks: list[str] = []
        #: A template chosen before the full read was done.
        self._waiting: int | str | None = None

    def compose(self) -> ComposeResult:
        count = len(self.choices)
        with Vertical():
            yield Static(self._heading(count), id="template-heading")
            if self.full is None:
                yield Static(
                    "Reading the whole file meanwhile (a template opens when it is read).",
                    id="template-reading",
                    markup=False,
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

    def _heading(self, count: int) -> str:
        return (
            f"[b]{self.path}[/b]\n{count} task template"
            f"{'s' * (count != 1)} in this config. Which one do you want to edit?"
        )

    def on_mount(self) -> None:
        if len(self.choices) > FILTER_FROM:  # the filter has the focus; Enter picks this one
            self.query_one("#template-choices", OptionList).highlighted = 0
        if self.full is None:
            # After this frame: the read holds the interpreter most of the time.
            self.app.call_after_refresh(self._read_in_full)

    @work(exclusive=True, group="read-for-edit")
    async def _read_in_full(self) -> None:
        # Not a thread worker: Ctrl+Q must not wait for the read (tui/daemon_thread.py).
        from taskwizard.tui.daemon_thread import in_daemon_thread
        from taskwizard.tui.dialogs import reading

        assert self.quick is not None
        work = partial(reading.read_in_full, self.quick.path, self.quick.raw)
        self._read_done(await in_daemon_thread(work, name="read-for-edit"))

    def _read_done(self, result: OpenedFile | CannotOpen) -> None:
        self.full = result
        if self not in self.app.screen_stack:
            return  # cancelled meanwhile
        if isinstance(result, CannotOpen) or not (result.parsed and result.kind == "config"):
            self.dismiss(FULL_READ)  # the caller shows why, or opens the file as it is
            return
        self.opened = result
        reading = self.query_one("#template-reading", Static)
        shown, full = self.choices, result.templates()
        if full != shown:  # never seen: tests/test_quick_read.py
            self.choices, self._haystacks = full, []
            self.query_one("#template-heading", Static).update(self._heading(len(full)))
            if self.query("#template-filter"):
                self._show(self.query_one("#template-filter", Input).value)
            else:
                self.query_one("#template-choices", OptionList).set_options(self._options(full))
            reading.update(
                "The whole file lists other templates than the first look showed: "
                "the list is updated."
            )
        else:
            reading.display = False
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return
        if isinstance(waiting, int):
            before = shown[waiting] if waiting < len(shown) else None
            now = full[waiting] if waiting < len(full) else None
            if before != now:
                reading.display = True
                reading.update(
                    f"Template {waiting + 1} is “{now.slug if now else 'not there'}” in the "
                    f"whole file, not “{before.slug if before else '?'}” as the first look "
                    "showed: choose again."
                )
                return
        self.dismiss(waiting)

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
        self._show(event.value)

    def _show(self, typed: str) -> None:
        """The templates matching the filter text ``typed``."""
        if not self._haystacks:
            self._haystacks = [f"{c.slug}\n{c.title}\n{c.template}".lower() for c in self.choices]
        words = typed.lower().split()
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
        answer = NEW_TEMPLATE if choice == NEW_TEMPLATE else int(choice or 0)
        if self.opened is None:  # still reading in full: it opens when that is done
            self._waiting = answer
            what = "A new template" if isinstance(answer, str) else f"“{self._slug(answer)}”"
            self.query_one("#template-reading", Static).update(
                f"Still reading the whole file… {what} opens when it is read "
                "(Escape goes back, Ctrl+Q quits)."
            )
            return
        self.dismiss(answer)

    def _slug(self, index: int) -> str:
        choice = self.choices[index] if 0 <= index < len(self.choices) else None
        return (choice.slug or "(no slug)") if choice is not None else f"template {index + 1}"

    def action_cancel(self) -> None:
        self.dismiss(None)


def _list_height(matches: int) -> int:
    """Rows for the listed matches, "add a new one" and the list's two border lines."""
    return min(matches, MAX_LISTED) + 3
