"""Which task template of an opened config to edit."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.editing import OpenedFile, TemplateChoice

NEW_TEMPLATE = "__new__"


class TemplatePickDialog(ModalScreen[int | None | str]):
    """Which template of the config to edit; returns its index, NEW_TEMPLATE, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TemplatePickDialog { align: center middle; }
    TemplatePickDialog > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    TemplatePickDialog OptionList { height: auto; max-height: 20; margin: 1 0 0 0; }
    """

    def __init__(self, opened: OpenedFile) -> None:
        super().__init__()
        self.opened = opened

    def compose(self) -> ComposeResult:
        choices: list[TemplateChoice] = self.opened.templates()
        options = [
            Option(
                f"{c.slug or '(no slug)'} — {c.title or '(no title)'}   [dim]{c.template}[/dim]",
                id=str(c.index),
            )
            for c in choices
        ]
        options.append(Option("＋ Add a new task template to this config", id=NEW_TEMPLATE))
        with Vertical():
            yield Static(
                f"[b]{self.opened.path}[/b]\n{len(choices)} task template"
                f"{'s' * (len(choices) != 1)} in this config. Which one do you want to edit?"
            )
            choices_list = OptionList(*options, id="template-choices")
            if len(options) > 20:
                # A fixed height: with `height: auto` every layout measured every option
                # (seconds for the ~30,000 templates of a 5 MiB config).
                choices_list.styles.height = 20
            yield choices_list

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        self.dismiss(NEW_TEMPLATE if choice == NEW_TEMPLATE else int(choice or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
