"""After a save: what now? Another template in the same config, upload, or home."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.state import WizardState


class SavedDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "stay", "Keep editing")]
    DEFAULT_CSS = """
    SavedDialog { align: center middle; }
    SavedDialog > Vertical {
        width: 80%; max-width: 90; height: auto;
        border: round $success; background: $surface; padding: 0 1;
    }
    SavedDialog OptionList { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, written: list[Path], state: WizardState) -> None:
        super().__init__()
        self.written = written
        self.state = state

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.written:
                files = "\n".join(f"  ✓ {p}" for p in self.written)
                yield Static(f"[b green]Saved[/]\n{files}")
            else:
                yield Static("[b green]Nothing to write[/]: the files already match.")
            yield OptionList(
                Option("Add another task template to this config", id="another"),
                Option("Upload this config to the Hub", id="upload"),
                Option("Keep editing", id="stay"),
                Option("Back to the home screen", id="home"),
                id="saved-choices",
            )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_stay(self) -> None:
        self.dismiss("stay")
