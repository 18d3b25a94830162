"""A small modal file picker: a folder tree plus a path you can type.

Keyboard first: the path input has focus, Enter chooses the typed file (or
opens a typed folder in the tree), Tab moves to the tree, Enter on a file in
the tree chooses it, Escape cancels. Returns the chosen :class:`Path` or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Static


class FilteredDirectoryTree(DirectoryTree):
    """Folders and the files worth choosing: no hidden files, only the wanted suffixes."""

    def __init__(self, path: Path, suffixes: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(path, id=id)
        self.suffixes = suffixes

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        wanted = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                is_dir = path.is_dir()
            except OSError:
                continue
            if is_dir or not self.suffixes or path.suffix.lower() in self.suffixes:
                wanted.append(path)
        return wanted


class FilePickerDialog(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    FilePickerDialog { align: center middle; }
    FilePickerDialog > Vertical {
        width: 90%; max-width: 100; height: 90%; border: round $accent; background: $surface;
        padding: 0 1;
    }
    FilePickerDialog #picker-title { text-style: bold; }
    FilePickerDialog #picker-hint { color: $text-muted; }
    FilePickerDialog DirectoryTree { height: 1fr; border: round $primary-background; }
    FilePickerDialog DirectoryTree:focus { border: round $accent; }
    FilePickerDialog #picker-error { color: $error; height: auto; }
    FilePickerDialog #picker-buttons { height: 3; align-horizontal: right; }
    FilePickerDialog Button { margin: 0 1; }
    """

    def __init__(
        self,
        title: str,
        start: Path,
        *,
        suffixes: tuple[str, ...] = (),
        initial: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.start = start if start.is_dir() else Path.cwd()
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.initial = initial

    def compose(self) -> ComposeResult:
        kinds = ", ".join(self.suffixes) if self.suffixes else "any file"
        with Vertical():
            yield Static(self.title_text, id="picker-title")
            yield Input(self.initial, placeholder=f"path of the file ({kinds})", id="picker-path")
            yield Static(
                "Type a path and press Enter, or Tab to the tree and press Enter on a file. "
                "A typed folder opens in the tree.",
                id="picker-hint",
            )
            yield FilteredDirectoryTree(self.start, self.suffixes, id="picker-tree")
            yield Static("", id="picker-error")
            with Horizontal(id="picker-buttons"):
                yield Button("Cancel", id="picker-cancel")
                yield Button("Choose", id="picker-choose", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#picker-path", Input).focus()

    def _resolve(self, text: str) -> Path:
        path = Path(text.strip()).expanduser()
        return path if path.is_absolute() else self.start / path

    @on(Input.Submitted, "#picker-path")
    @on(Button.Pressed, "#picker-choose")
    def _choose_typed(self) -> None:
        text = self.query_one("#picker-path", Input).value
        error = self.query_one("#picker-error", Static)
        if not text.strip():
            error.update("Type a path, or pick a file in the tree.")
            return
        path = self._resolve(text)
        if path.is_dir():
            self.query_one(FilteredDirectoryTree).path = path
            error.update("")
            return
        self.dismiss(path)

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(Path(event.path))

    @on(DirectoryTree.DirectorySelected)
    def _folder_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.query_one("#picker-path", Input).value = str(event.path) + "/"

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
