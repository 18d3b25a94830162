"""Confirm what Save will write: every file, new or changed, with its diff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from taskwizard.saving import FileChange, SavePlan


@dataclass(frozen=True)
class ReloadFromDisk:
    """The user chose to open the file as it is on disk now instead of overwriting it."""

    path: Path


class SaveDialog(ModalScreen["list[Path] | ReloadFromDisk | None"]):
    """Returns the written paths, a reload request, or None when the user cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "write", "Write", priority=True),
    ]
    DEFAULT_CSS = """
    SaveDialog { align: center middle; }
    SaveDialog > Vertical {
        width: 95%; max-width: 120; height: 90%; border: round $accent; background: $surface;
    }
    SaveDialog #save-title { padding: 0 1; text-style: bold; }
    SaveDialog VerticalScroll { height: 1fr; padding: 0 1; }
    SaveDialog .save--file { margin: 1 0 0 0; }
    SaveDialog .save--warn { color: $warning; }
    SaveDialog #save-buttons { height: 3; align-horizontal: right; }
    SaveDialog Button { margin: 0 1; }
    """

    def __init__(self, plan: SavePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical():
            if plan.blocked:
                title = "Cannot save"
            elif not plan.to_write:
                title = "Nothing to save: the files already hold exactly this"
            else:
                title = f"Save {len(plan.to_write)} file{'s' * (len(plan.to_write) != 1)}?"
            yield Static(title, id="save-title")
            with VerticalScroll():
                for change in plan.changes:
                    yield from self._describe(change)
            with Horizontal(id="save-buttons"):
                yield Button("Cancel", id="cancel")
                can_write = bool(plan.to_write) and not plan.blocked
                conflict = any(c.changed_on_disk for c in plan.changes)
                if conflict:
                    yield Button("Reload theirs", id="reload")
                yield Button(
                    "Overwrite theirs (Ctrl+S)" if conflict else "Write (Ctrl+S)",
                    id="write",
                    variant="error" if conflict else "primary",
                    disabled=not can_write,
                )

    def _describe(self, change: FileChange) -> ComposeResult:
        what = {"new": "new file", "changed": "changes", "unchanged": "unchanged"}[change.kind]
        yield Static(f"[b]{change.path}[/b] — {what}", classes="save--file")
        if change.blocked:
            yield Static(f"✗ {change.blocked}", classes="save--warn")
            return
        if change.changed_on_disk:
            yield Static(
                "! This file changed on disk since you opened it. Writing replaces those edits "
                "(the diff below is against what is on disk now).",
                classes="save--warn",
            )
        elif change.overwrites_other_file and change.kind != "unchanged":
            yield Static(
                "! This file already exists and will be overwritten.", classes="save--warn"
            )
        for note in change.reformatted:
            yield Static(f"! Formatting: {note}", classes="save--warn")
        if change.kind == "changed":
            yield Static(Syntax(change.diff(), "diff", theme="ansi_dark"))
        elif change.kind == "new":
            yield Static(Syntax(change.new_text, "yaml", theme="ansi_dark", line_numbers=True))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        """Open the file as it is on disk now; this session stays a draft, nothing is lost."""
        changed = next(c for c in self.plan.changes if c.changed_on_disk)
        self.dismiss(ReloadFromDisk(changed.path))

    @on(Button.Pressed, "#write")
    def action_write(self) -> None:
        from taskwizard.saving import apply_save

        if not self.plan.to_write or self.plan.blocked:
            return
        app = self.app
        try:
            written = apply_save(self.plan, app.state)  # type: ignore[attr-defined]
        except OSError as exc:
            kept = (
                "your work is still in this window (drafts are off)"
                if getattr(app, "drafts_off", None)
                else "the draft keeps your work"
            )
            self.notify(
                f"Could not write: {exc}. Nothing was lost: {kept}.",
                severity="error",
                timeout=10,
            )
            return
        self.dismiss(written)
