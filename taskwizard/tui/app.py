"""The Textual app: owns the wizard state and the draft, routes between screens."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from taskwizard.state import WizardState

if TYPE_CHECKING:
    from taskwizard.drafts import Autosaver, DraftStore
    from taskwizard.tui.dialogs.save import ReloadFromDisk

StartMode = Literal["home", "new", "resume", "edit", "setup", "upload"]


class TaskWizardApp(App[None]):
    TITLE = "taskwizard"
    # The wizard's styles load with the app: `taskwizard new` makes the wizard the
    # first (default) screen, whose own CSS_PATH Textual would not load.
    CSS_PATH = ["app.tcss", "screens/wizard.tcss"]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Tab and Shift+Tab move the focus as soon as they arrive. As Textual's
        # usual (bubbling) bindings, keys that came in the same read as the Tab
        # (a paste, tmux send-keys, a fast typist over SSH) had already been
        # handed to the field being left, and were typed into it.
        Binding("tab", "focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        mode: StartMode = "home",
        *,
        draft_id: str | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__()
        self.start_mode: StartMode = mode
        self.start_draft = draft_id
        self.start_path = path
        self.state = WizardState()
        self.draft_id: str | None = None
        self._autosaver: Autosaver | None = None
        self._store: DraftStore | None = None
        self._draft_wanted = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("focus_next", "focus_previous"):
            # An editor that indents with Tab (the raw YAML view) keeps its Tab.
            return getattr(self.focused, "tab_behavior", None) != "indent"
        return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from taskwizard.tui.commands import wizard_commands

        yield from wizard_commands(self, screen)

    # ------------------------------------------------------------ start-up
    def get_default_screen(self) -> Screen[Any]:
        if self.start_mode == "new":
            # `taskwizard new`: the wizard is the first screen, drawn in one frame.
            from taskwizard.tui.screens.wizard import WizardScreen

            self._begin_session(None)
            return WizardScreen()
        return super().get_default_screen()

    def on_mount(self) -> None:
        # `taskwizard` turns the garbage collector off for start-up (commands/wizard.py).
        self.call_after_refresh(gc.enable)
        mode = self.start_mode
        if mode == "new":
            pass  # the default screen is the wizard already
        elif mode == "resume":
            self.resume_draft(self.start_draft)
        elif mode == "edit":
            self.open_file(self.start_path)
        elif mode == "upload":
            self.open_upload(self.start_path)
        elif mode == "setup":
            from taskwizard.tui.screens.home import HomeScreen
            from taskwizard.tui.screens.setup import SetupScreen

            self.push_screen(HomeScreen())  # where setup leads when it is done
            self.push_screen(SetupScreen(mode="first-run"))
        else:
            self.show_home()

    def show_home(self) -> None:
        from taskwizard.settings import needs_setup
        from taskwizard.tui.screens.home import HomeScreen

        if not any(isinstance(s, HomeScreen) for s in self.screen_stack):
            self.push_screen(HomeScreen())
        if needs_setup():
            from taskwizard.tui.screens.setup import SetupScreen

            self.push_screen(SetupScreen(mode="first-run"))

    # --------------------------------------------------------------- drafts
    @property
    def drafts(self) -> DraftStore:
        if self._store is None:
            from taskwizard.drafts import DraftStore

            self._store = DraftStore()
        return self._store

    def _attach_draft(self, draft_id: str) -> None:
        from taskwizard.drafts import Autosaver

        if self._autosaver is not None:
            self._autosaver.close()
        self.draft_id = draft_id
        self._autosaver = Autosaver(
            self.drafts,
            draft_id,
            on_error=lambda exc: self.call_from_thread(self._draft_error, exc),
        )

    def _draft_error(self, exc: Exception) -> None:
        self.notify(
            f"Could not save the draft ({exc}); your work is still here — keep the app open.",
            severity="error",
            timeout=10,
        )

    def autosave(self) -> None:
        """Called after every change; the draft is on disk within a second.

        A new session's draft is created at its first change, so merely
        opening the wizard leaves no empty draft behind (and starts faster).
        """
        if self._autosaver is None and self._draft_wanted:
            self._draft_wanted = False
            self._attach_draft(self.drafts.create(self.state))
            return
        if self._autosaver is not None:
            self._autosaver.note_change(self.state)

    def flush_draft(self) -> None:
        if self._autosaver is not None:
            self._autosaver.flush()

    # ------------------------------------------------------------- routes
    def start_new(self, state: WizardState | None = None) -> None:
        self._begin_session(state)
        self._push_wizard()

    def _begin_session(self, state: WizardState | None) -> None:
        self.state = state or WizardState()
        if self._autosaver is not None:
            self._autosaver.close()
        self._autosaver = None
        self.draft_id = None
        self._draft_wanted = True
        if state is not None:
            # Opened files and added templates are work already: keep a draft now.
            self.autosave()

    def resume_draft(self, draft_id: str | None = None) -> None:
        from taskwizard.drafts import DraftError

        try:
            draft_id = draft_id or self.drafts.newest()
            if draft_id is None:
                self.notify("There is no draft to resume; starting a new template.")
                self.start_new()
                return
            draft_id = self.drafts.find(draft_id)
            self.state = self.drafts.load(draft_id)
        except DraftError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            self.show_home()
            return
        for note in self.drafts.load_notes():
            self.notify(note, severity="warning", timeout=15)
        self._attach_draft(draft_id)
        self._push_wizard()

    def _push_wizard(self) -> None:
        from taskwizard.tui.screens.wizard import WizardScreen

        if isinstance(self.screen, WizardScreen):
            self.screen.restart()  # one wizard at a time: it shows the new session
        else:
            self.push_screen(WizardScreen())

    def leave_wizard(self) -> None:
        """Escape on the first step: back home; the draft keeps the work."""
        from taskwizard.tui.screens.home import HomeScreen
        from taskwizard.tui.screens.wizard import WizardScreen

        self.flush_draft()
        if isinstance(self.screen, WizardScreen):
            if any(isinstance(s, HomeScreen) for s in self.screen_stack):
                self.pop_screen()
            elif len(self.screen_stack) == 1:
                self.push_screen(HomeScreen())  # the wizard is the app's first screen
            else:
                self.switch_screen(HomeScreen())
            self.notify("Your work is kept as a draft: Resume continues it.", timeout=4)

    def open_file(self, path: Path | None = None) -> None:
        from taskwizard.tui.screens.open_file import start_edit

        start_edit(self, path)

    def open_upload(self, config_path: Path | None = None) -> None:
        from taskwizard.tui.screens.upload import start_upload

        start_upload(self, config_path)

    def open_settings(self) -> None:
        from taskwizard.tui.screens.setup import SetupScreen

        self.push_screen(SetupScreen(mode="settings"))

    def default_folder(self) -> Path:
        from taskwizard.settings import load_settings

        try:
            folder = load_settings().default_folder
        except Exception:
            folder = None
        return Path(folder).expanduser() if folder else Path.cwd()

    # --------------------------------------------------------------- save
    def save_documents(self) -> None:
        from taskwizard.saving import plan_save
        from taskwizard.tui.dialogs.save import SaveDialog

        plan = plan_save(self.state, self.default_folder())
        self.autosave()
        self.push_screen(SaveDialog(plan), self._saved)

    def _saved(self, written: list[Path] | ReloadFromDisk | None) -> None:
        from taskwizard.tui.dialogs.save import ReloadFromDisk

        if written is None:
            return
        if isinstance(written, ReloadFromDisk):
            self.notify("Your version stays in its draft (Resume on the home screen).", timeout=6)
            self.open_file(written.path)
            return
        if self._autosaver is not None:
            self._autosaver.mark_saved(self.state)
        from taskwizard.tui.dialogs.saved import SavedDialog

        self.push_screen(SavedDialog(written, self.state), self._after_saved)

    def _after_saved(self, choice: str | None) -> None:
        from taskwizard.tui.screens.wizard import WizardScreen

        if choice == "another":
            self.add_template()
        elif choice == "upload" and self.state.config_path:
            self.open_upload(Path(self.state.config_path))
        elif choice == "home" and isinstance(self.screen, WizardScreen):
            self.leave_wizard()

    def add_template(self) -> None:
        """A new template in the same config: same config file, a fresh task YAML."""
        from taskwizard.state import new_config_entry, new_task

        old = self.state
        entries = old.config.setdefault("task-templates", [])
        entries.append(new_config_entry())
        state = WizardState(
            config=old.config,
            template_index=len(entries) - 1,
            task=new_task(),
            config_path=old.config_path,
            config_source=old.config_source,
        )
        self.start_new(state)  # replaces the wizard on the stack

    async def action_quit(self) -> None:
        self.flush_draft()
        self.exit()

    def on_unmount(self) -> None:
        if self._autosaver is not None:
            self._autosaver.close()
