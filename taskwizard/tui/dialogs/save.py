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
    #: The file list scrolls with PageDown/arrows at once, without a Tab into it first.
    AUTO_FOCUS = "#save-body"
    DEFAULT_CSS = """
    SaveDialog { align: center middle; }
    SaveDialog > Vertical {
        width: 95%; max-width: 120; height: 90%; border: round $accent; background: $surface;
    }
    SaveDialog #save-title { padding: 0 1; text-style: bold; }
    SaveDialog #save-warnings { padding: 0 1; height: auto; max-height: 8; }
    SaveDialog VerticalScroll { height: 1fr; padding: 0 1; }
    SaveDialog VerticalScroll:focus { background-tint: $foreground 3%; }
    SaveDialog .save--file { margin: 1 0 0 0; }
    SaveDialog .save--warn { color: $warning; }
    SaveDialog .save--note { color: $text-muted; }
    SaveDialog #save-buttons { height: 3; align-horizontal: right; }
    SaveDialog Button { margin: 0 1; min-width: 8; }
    """

    def __init__(self, plan: SavePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical():
            yield Static(self._title(), id="save-title")
            # Warnings first: at 80x24 what is below the fold is not read.
            warnings = [line for change in plan.changes for line in self._warnings(change)]
            if warnings:
                with VerticalScroll(id="save-warnings", can_focus=False):
                    for line in warnings:
                        yield Static(line, classes="save--warn")
            with VerticalScroll(id="save-body"):
                for change in plan.changes:
                    yield from self._describe(change)
            with Horizontal(id="save-buttons"):
                if not plan.to_write and not plan.blocked:
                    yield Button("Close", id="cancel", variant="primary")
                    return
                yield Button("Cancel", id="cancel")
                conflict = any(c.changed_on_disk for c in plan.changes)
                if conflict:
                    yield Button("Reload theirs", id="reload")
                if self._can_replace():
                    yield Button("Replace the file instead", id="replace", variant="warning")
                yield Button(
                    "Overwrite theirs (Ctrl+S)" if conflict else "Write (Ctrl+S)",
                    id="write",
                    variant="error" if conflict else "primary",
                    disabled=not self._can_write(),
                )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write":
            if not self.plan.to_write:
                return False  # nothing to write: no Write key at all
            return True if self._can_write() else None
        return True

    def _title(self) -> str:
        plan = self.plan
        if plan.blocked:
            return "Cannot save"
        if not plan.to_write:
            return "Nothing to save: the files already hold exactly this"
        return f"Save {len(plan.to_write)} file{'s' * (len(plan.to_write) != 1)}?"

    def _can_write(self) -> bool:
        plan = self.plan
        if not plan.to_write or plan.blocked:
            return False
        # Replacing a file this session did not open is never what Ctrl+S does by default.
        return plan.replacing or not plan.replaces_other_file

    def _can_replace(self) -> bool:
        plan = self.plan
        return not plan.replacing and any(
            c.joined is not None or c.overwrites_other_file for c in plan.to_write
        )

    def _warnings(self, change: FileChange) -> list[str]:
        name = change.path.name
        if change.blocked:
            return [f"✗ {change.blocked}"]
        if change.changed_on_disk:
            return [
                f"! {name} changed on disk since you opened it. Writing replaces those edits "
                "(its diff below is against what is on disk now)."
            ]
        if change.joined is not None:
            kept = ", ".join(change.kept_templates) or "none"
            return [
                f"! {name} exists already: this template is added to it; "
                f"the templates in it stay ({kept}). "
                '"Replace the file instead" writes only this one.'
            ]
        if change.overwrites_other_file and change.kind != "unchanged":
            if self.plan.replacing:
                return [f"! {name} exists already and will be replaced (you chose Replace)."]
            return [
                f"! {name} exists already and is not a config this template can be added to: "
                '"Replace the file instead" replaces it; Cancel and rename it otherwise.'
            ]
        return [f"! {name}: formatting: {note}" for note in change.reformatted]

    def _describe(self, change: FileChange) -> ComposeResult:
        what = {"new": "new file", "changed": "changes", "unchanged": "unchanged"}[change.kind]
        if change.joined is not None:
            what = "this template added"
        yield Static(f"[b]{change.path}[/b] — {what}", classes="save--file")
        if change.blocked:
            return
        if change.kind == "changed":
            yield Static(Syntax(change.diff(), "diff", theme="ansi_dark"))
        elif change.kind == "new":
            yield Static(Syntax(change.new_text, "yaml", theme="ansi_dark", line_numbers=True))

    @on(Button.Pressed, "#replace")
    async def _replace(self) -> None:
        """The deliberate choice: replace the existing files instead of adding to them."""
        from taskwizard.saving import plan_save

        self.plan = plan_save(
            self.app.state,  # type: ignore[attr-defined]
            self.plan.folder,
            replace_existing=True,
        )
        await self.recompose()
        self.query_one("#save-body").focus()
        self.refresh_bindings()

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

        if not self._can_write():
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
        if any(c.joined is not None for c in self.plan.changes):
            # The wizard now edits the whole config it was added to: its forms follow.
            from taskwizard.tui.screens.wizard import WizardScreen

            for screen in app.screen_stack:
                if isinstance(screen, WizardScreen):
                    screen.restart()
        self.dismiss(written)
