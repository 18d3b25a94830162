"""The Textual app: owns the wizard state and the draft, routes between screens."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from taskwizard.state import WizardState
from taskwizard.tui.keys import deliver_key

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
        from taskwizard.tui.parsed_styles import load_parsed_styles

        #: How many parsed CSS sources came from the last run (saved again if more are parsed).
        self._styles_loaded = load_parsed_styles(self.stylesheet)
        self.start_mode: StartMode = mode
        self.start_draft = draft_id
        self.start_path = path
        self.state = WizardState()
        self.draft_id: str | None = None
        self._autosaver: Autosaver | None = None
        self._store: DraftStore | None = None
        self._draft_wanted = False
        self._drafts_pruned = False
        #: Why drafts cannot be written (None while they can): the wizard goes on
        #: without them, says so in the status line, and asks before quitting.
        self.drafts_off: str | None = None
        #: The state whose changes the user chose to discard (QuitDialog): not asked again.
        self._discarded: WizardState | None = None
        #: time.monotonic() of the last key or paste.
        self._last_key_at = 0.0
        #: The draft was made by this session (not resumed): removed on quit if unchanged.
        self._draft_is_new = False
        #: Set after an unhandled exception: what the CLI prints (no secret in it).
        self.crash_message: str | None = None
        #: The loop SIGTERM is handled on, while the app handles it (_quit_on_sigterm).
        self._sigterm_loop: asyncio.AbstractEventLoop | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste):
            self._last_key_at = time.monotonic()  # the draft is written between keys
        # A key the focused field binds (Backspace, Ctrl+U…) acts in the order typed.
        if isinstance(event, events.Key) and await deliver_key(self, event):
            return
        await super().on_event(event)

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
        self._quit_on_sigterm()
        if self.start_mode != "new":  # `new`'s wizard calls it once its first step is complete
            self.call_after_refresh(self.keep_parsed_styles)
        if self.start_mode not in ("home", "setup", "new", "edit", "resume"):
            # The home screen prunes itself; the wizard calls prune_drafts once its whole
            # first step is drawn (the import and the thread would slow that down): `new`,
            # and `edit` and `resume`, whose reads it would compete with (an edit session
            # that goes home instead is pruned there). A draft of a 5 MiB config rebuilt
            # by the prune next to the file's quick look drew the picker at 1.1-1.4 s, not 0.6.
            self.call_after_refresh(self.prune_drafts)
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

    def keep_parsed_styles(self) -> None:
        """After the first frame, on a thread: its parsed CSS, for the next start
        (again later only if more was parsed since)."""
        from taskwizard.tui.parsed_styles import parsed_styles, save_parsed_styles

        if len(self.stylesheet._parse_cache) > self._styles_loaded:
            fingerprint, entries = parsed_styles(self.stylesheet)
            self._styles_loaded = len(entries)
            self.run_worker(
                lambda: save_parsed_styles(fingerprint, entries),
                thread=True,
                group="parsed-styles",
                exit_on_error=False,
            )

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

    def prune_drafts(self) -> None:
        """At start: drafts that hold no work go (saved long ago, or a file opened and left
        unchanged by a session that did not quit normally). On a thread: it reads files.
        Once per run: later calls do nothing."""
        if self._drafts_pruned:
            return
        self._drafts_pruned = True
        folder = self._store.folder if self._store is not None else None  # else the default

        def prune() -> None:
            keep = [self.draft_id] if self.draft_id else []
            with contextlib.suppress(Exception):  # never worth a crash or a message
                # Imported here, off the UI thread: its import is on no screen's way.
                from taskwizard.drafts import DraftStore

                DraftStore(folder).prune(keep=keep)  # its own: the app's is used on the UI thread

        self.run_worker(prune, thread=True, group="prune-drafts", exit_on_error=False)

    def _attach_draft(self, draft_id: str) -> None:
        from taskwizard.drafts import Autosaver

        if self._autosaver is not None:
            self._autosaver.close()
        self.draft_id = draft_id
        self._autosaver = Autosaver(
            self.drafts,
            draft_id,
            on_error=self._draft_error_any_thread,
            run_on_owner=self.call_from_thread,  # a slow snapshot, taken when the write is due
            idle_for=self._idle_for,
        )

    def _idle_for(self) -> float:
        """Seconds since the last key or paste (the autosaver writes between keys)."""
        return time.monotonic() - self._last_key_at

    def _draft_error_any_thread(self, exc: Exception) -> None:
        """The autosaver's error hook: its timer thread, or this thread (a flush)."""
        if threading.get_ident() == getattr(self, "_thread_id", None):
            self._draft_error(exc)
            return
        with contextlib.suppress(RuntimeError):  # the app has stopped: quitting asked already
            self.call_from_thread(self._draft_error, exc)

    def _draft_error(self, exc: Exception) -> None:
        """Drafts cannot be written (full disk, read-only or missing cache folder):
        keep working without them; say so once; quitting asks to save or discard."""
        first = self.drafts_off is None
        self.drafts_off = _describe_os_error(exc)
        if self._autosaver is not None:
            self._autosaver.stop()
            self._autosaver = None
        if first:
            self.notify(
                f"Drafts are off: {self.drafts_off}. Your work stays in this window; "
                "Ctrl+S saves your files, and quitting asks first.",
                severity="error",
                timeout=12,
            )
            self._refresh_status()

    def _refresh_status(self) -> None:
        from taskwizard.tui.screens.wizard import WizardScreen

        for screen in self.screen_stack:
            if isinstance(screen, WizardScreen) and screen.is_mounted:
                screen.refresh_status()

    def autosave(self) -> None:
        """Called after every change; the draft is on disk within a second.

        A new session's draft is created at its first change, so merely
        opening the wizard leaves no empty draft behind (and starts faster).
        """
        if self.drafts_off is not None:
            return
        if self._autosaver is None and self._draft_wanted:
            self._draft_wanted = False
            try:
                draft_id = self.drafts.create(self.state)
            except Exception as exc:  # OSError, a draft folder that is a file, ...
                self._draft_error(exc)
                return
            self._attach_draft(draft_id)
            self._draft_is_new = True
            return
        if self._autosaver is not None:
            self._autosaver.note_change(self.state)

    def flush_draft(self) -> None:
        if self._autosaver is not None:
            self._autosaver.flush()

    # ------------------------------------------------------------- routes
    def guard_work(self, then: Callable[[], object], *, leaving: bool = True) -> None:
        """Run ``then`` (which quits, leaves or replaces the session) once its work is safe.

        Every route that ends the current session comes through here. With drafts on,
        ``then`` runs at once: the draft keeps the work. With drafts off and changes
        only in this window, :class:`QuitDialog` asks first: save the files (then
        ``then``), discard them (then ``then``), or keep editing (nothing happens).
        """
        from taskwizard.drafts import has_unsaved_work
        from taskwizard.tui.dialogs.quit import QuitDialog

        self.flush_draft()  # a failure here turns drafts off (and is reported)
        saver = self._autosaver
        if saver is not None and saver.last_error is not None and self.drafts_off is None:
            self._draft_error(saver.last_error)  # however the error hook was called
        if (
            self.drafts_off is None
            or self.state is self._discarded
            or not has_unsaved_work(self.state)
        ):
            then()
            return
        if any(isinstance(s, QuitDialog) for s in self.screen_stack):
            return  # asking already

        def answer(choice: str | None) -> None:
            if choice == "discard":
                self._discarded = self.state  # left for home: not asked again there
                then()
            elif choice == "save":
                self._save_then(then)

        self.push_screen(QuitDialog(self.drafts_off, leaving=leaving), answer)

    def start_new(self, state: WizardState | None = None) -> None:
        """A new session (a fresh template, an opened file, a pulled entry)."""
        self.guard_work(lambda: self._start_new_now(state))

    def _start_new_now(self, state: WizardState | None) -> None:
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
        self.guard_work(lambda: self._resume_draft_now(draft_id))

    def _resume_draft_now(self, draft_id: str | None) -> None:
        from taskwizard.drafts import DraftError

        try:
            draft_id = draft_id or self.drafts.newest()
            if draft_id is None:
                self.notify("There is no draft to resume; starting a new template.")
                self._start_new_now(None)
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
        self._draft_is_new = False
        self._push_wizard()

    def _push_wizard(self) -> None:
        from taskwizard.tui.screens.wizard import WizardScreen

        if isinstance(self.screen, WizardScreen):
            self.screen.restart()  # one wizard at a time: it shows the new session
        else:
            self.push_screen(WizardScreen())

    def leave_wizard(self) -> None:
        """Escape on the first step: back home; the draft keeps the work.

        Without drafts, leaving asks first (as quitting does): the next session
        would replace the work that is only in this window.
        """
        from taskwizard.tui.screens.wizard import WizardScreen

        if not isinstance(self.screen, WizardScreen):
            self.flush_draft()
            return
        self.guard_work(self._leave_wizard_now)

    def _leave_wizard_now(self) -> None:
        from taskwizard.tui.screens.home import HomeScreen
        from taskwizard.tui.screens.wizard import WizardScreen

        if isinstance(self.screen, WizardScreen):
            if any(isinstance(s, HomeScreen) for s in self.screen_stack):
                self.pop_screen()
            elif len(self.screen_stack) == 1:
                self.push_screen(HomeScreen())  # the wizard is the app's first screen
            else:
                self.switch_screen(HomeScreen())
            if self.drafts_off is None:
                self.notify("Your work is kept as a draft: Resume continues it.", timeout=4)

    def open_file(self, path: Path | None = None) -> None:
        """Open (or Reload from disk): without drafts, asks before the file picker, not
        after it (``start_new`` asks again only if there is still work to lose)."""
        from taskwizard.tui.edit_session import start_edit

        self.guard_work(lambda: start_edit(self, path))

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
            if self.drafts_off is None:
                self.notify(
                    "Your version stays in its draft (Resume on the home screen).", timeout=6
                )
            self.open_file(written.path)  # without drafts, asks before it replaces the work
            return
        if self._autosaver is not None:
            try:
                self._autosaver.mark_saved(self.state)
            except Exception as exc:  # the files are written; only the draft is not
                self._draft_error(exc)
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
        self.guard_work(self._add_template_now)

    def _add_template_now(self) -> None:
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
        self._start_new_now(state)  # replaces the wizard on the stack

    async def action_quit(self) -> None:
        self.guard_work(self._quit_now, leaving=False)

    def _quit_now(self) -> None:
        self._drop_unchanged_draft()
        self.exit()

    def _save_then(self, then: Callable[[], object]) -> None:
        """The Save dialog; ``then`` once the files are written (cancelled: keep editing)."""
        from taskwizard.saving import plan_save
        from taskwizard.tui.dialogs.save import SaveDialog

        def done(written: list[Path] | ReloadFromDisk | None) -> None:
            if isinstance(written, list):
                then()

        self.push_screen(SaveDialog(plan_save(self.state, self.default_folder())), done)

    def _drop_unchanged_draft(self) -> None:
        """Quitting a session that changed nothing leaves no draft behind."""
        from taskwizard.drafts import DraftError, has_unsaved_work

        if self.draft_id is None or self._autosaver is None:
            return
        if not self._draft_is_new or self._autosaver.saved_in_session:
            return  # a resumed draft, or one whose files were saved, is kept (pruned later)
        if has_unsaved_work(self.state):
            return
        self._autosaver.stop()
        try:
            self.drafts.delete(self.draft_id)
        except (DraftError, OSError):
            return
        self._autosaver = None
        self.draft_id = None

    # ------------------------------------------------------------- crashes
    def _handle_exception(self, error: Exception) -> None:
        """An unhandled exception: Textual exits with return code 1 (the CLI passes it on)."""
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Instead of Textual's traceback with every frame's local variables (which may
        hold a secret): the draft is written if it can be, the traceback goes to a 0600
        file with secrets hidden, and the message says where both are."""
        from taskwizard.crash import write_crash_report

        error = getattr(self, "_crash", None)
        if getattr(self, "_crash_reported", False):
            self._close_messages_no_wait()  # one report: the first error is the cause
            return
        self._crash_reported = True
        with contextlib.suppress(Exception):
            self.flush_draft()
        report = write_crash_report(error) if error is not None else None
        lines = [f"taskwizard stopped on an unexpected error ({type(error).__name__})."]
        if self.draft_id is not None and self.drafts_off is None:
            lines.append(
                f"Your work is in draft {self.draft_id}: taskwizard resume {self.draft_id}"
            )
        if report is not None:
            lines.append(f"Details (no secrets in it): {report}")
        self.bell()
        # printed by the CLI once the terminal is restored, as plain lines (a path
        # folded at the terminal's width cannot be copied)
        self.crash_message = "\n".join(lines)
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        if self._sigterm_loop is not None:
            self._sigterm_loop.remove_signal_handler(signal.SIGTERM)  # back to the default
            self._sigterm_loop = None
        if self._autosaver is not None:
            self._autosaver.close()

    # ------------------------------------------------------------- signals
    def _quit_on_sigterm(self) -> None:
        """SIGTERM (``kill``, ``timeout``, a service manager) quits as Ctrl+Q does, without
        asking: the draft is written, the terminal given back. By default it killed the
        process with the terminal left as the app had set it (alternate screen, mouse
        reporting, no echo). Only where it would kill: a host that handles SIGTERM keeps its
        handler; and only on the main thread, where signals are handled."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._terminated)
        self._sigterm_loop = loop

    def _terminated(self) -> None:
        self._drop_unchanged_draft()  # as _quit_now; a changed draft is written on unmount
        # 128 + 15, as a shell reports a process SIGTERM ended: the work did not finish.
        self.exit(return_code=128 + signal.SIGTERM)


def _describe_os_error(exc: Exception) -> str:
    """A short reason for the status line; never a secret (no draft content in it)."""
    from taskwizard.model.reading import printable

    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({printable(str(exc.filename))})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return printable(f"{type(exc).__name__}: {exc}")
