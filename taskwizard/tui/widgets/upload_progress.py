"""One row per file of an upload: its state, a progress bar in bytes, speed and time left.

The rows only show :class:`~taskwizard.hub.upload.FileProgress` events; they decide
nothing. Speed and time left come from the wall clock, so ``show_rates`` can be turned
off (snapshots) to keep every frame a function of the bytes alone.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from taskwizard.hub.plan import ItemKind
from taskwizard.hub.upload import FileProgress, format_bytes

KIND_LABELS: dict[ItemKind, str] = {
    "model": "model code",
    "weights": "weights",
    "template": "template",
    "deprecated": "deprecated",
}

STATE_MARKS: dict[str, tuple[str, str]] = {
    "waiting": ("·", "dim"),
    "uploading": ("↑", "bold $accent"),
    "done": ("✓", "bold $success"),
    "unchanged": ("=", "dim"),
    "failed": ("✗", "bold $error"),
    "cancelled": ("⊘", "bold $warning"),
}


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def state_text(event: FileProgress) -> str:
    """What happened to the file, in words (markup-free; the row adds colour)."""
    if event.state == "failed":
        return f"failed: {event.error or 'no reason given'}"
    if event.state == "cancelled":
        return event.error or "cancelled"
    if event.state in ("done", "unchanged") and event.detail:
        return f"{event.state} — {event.detail}"
    return event.state


class FileProgressRow(Widget):
    """A file's progress. ``file_id`` is the plan item's id."""

    def __init__(self, event: FileProgress, *, show_rates: bool = True) -> None:
        super().__init__(classes="file-row")
        self.event = event
        self.show_rates = show_rates

    @property
    def file_id(self) -> str:
        return self.event.file_id

    def compose(self) -> ComposeResult:
        yield Static("", classes="file-row--title")
        with Horizontal(classes="file-row--bar"):
            yield ProgressBar(total=1, show_eta=False, show_percentage=True)
            yield Static("", classes="file-row--stats")

    def on_mount(self) -> None:
        self.update_progress(self.event)

    def update_progress(self, event: FileProgress) -> None:
        self.event = event
        mark, style = STATE_MARKS.get(event.state, ("?", ""))
        title = self.query_one(".file-row--title", Static)
        title.update(
            f"[{style}]{mark}[/] {KIND_LABELS.get(event.kind, event.kind):<10} "
            f"[b]{_escape(event.name)}[/b]  [{style}]{_escape(state_text(event))}[/]"
        )
        for state in STATE_MARKS:
            self.set_class(event.state == state, f"-{state}")
        # Nothing to send (unchanged, or an archive request): no bar to watch.
        self.query_one(".file-row--bar").display = (
            event.state != "unchanged" and event.bytes_total > 0
        )
        bar = self.query_one(ProgressBar)
        total = max(event.bytes_total, 1)
        done = total if event.state in ("done", "unchanged") else min(event.bytes_done, total)
        bar.update(total=total, progress=done)
        self.query_one(".file-row--stats", Static).update(self.stats_text(event))

    def stats_text(self, event: FileProgress) -> str:
        if event.bytes_total <= 0:
            return ""
        shown = event.bytes_total if event.state in ("done", "unchanged") else event.bytes_done
        text = f"{format_bytes(shown)} of {format_bytes(event.bytes_total)}"
        if self.show_rates and event.state == "uploading" and event.speed > 0:
            text += f"  {format_bytes(event.speed)}/s"
            left = event.seconds_left
            if left is not None:
                text += f"  {seconds_text(left)} left"
        return text


class UploadProgressList(VerticalScroll):
    """The rows of one upload, in plan order; ``update_file`` routes an event to its row."""

    def __init__(self, *, show_rates: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_rates = show_rates
        self._rows: dict[str, FileProgressRow] = {}

    def set_files(self, events: list[FileProgress]) -> None:
        """Start over with these files (in this order)."""
        self.remove_children()
        self._rows = {e.file_id: FileProgressRow(e, show_rates=self.show_rates) for e in events}
        self.mount_all(self._rows.values())

    def update_file(self, event: FileProgress) -> None:
        row = self._rows.get(event.file_id)
        if row is None:
            row = self._rows[event.file_id] = FileProgressRow(event, show_rates=self.show_rates)
            self.mount(row)
            return
        if row.is_mounted:
            row.update_progress(event)
        else:
            row.event = event  # on_mount shows it

    def row(self, file_id: str) -> FileProgressRow:
        return self._rows[file_id]

    @property
    def events(self) -> dict[str, FileProgress]:
        """The last event shown for every file."""
        return {file_id: row.event for file_id, row in self._rows.items()}


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
