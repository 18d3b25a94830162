"""A big file being read for editing: ``Reading FILE…`` is drawn at once and the file is read
on a worker thread (a 5 MiB config takes seconds to read with positions).

A config first gets a quick look (``model.quick_read``: its templates' slugs, titles and
files only, a quarter of the full read's time); when that is sure, the dialog returns it
(:class:`QuickRead`) and the template picker shows it while it reads the file in full
(:func:`read_in_full`). Otherwise the dialog reads in full itself and returns the
:class:`OpenedFile`, or the :class:`CannotOpen` that refused it; None when cancelled."""

from __future__ import annotations

import gc
from functools import partial
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from taskwizard.editing import CannotOpen, OpenedFile, QuickRead


def remember_for_drafts(opened: OpenedFile) -> None:
    """Hand what was read to the drafts (:func:`drafts.remember_opened`): the session's first
    draft then compares with it instead of reading and parsing the file again."""
    from taskwizard.drafts import remember_opened

    remember_opened(opened.source, opened.raw, opened.text, opened.data if opened.parsed else None)


def read_in_full(path: Path, raw: bytes) -> OpenedFile | CannotOpen:
    """The full read of ``raw`` (read from ``path``), for a worker thread; a config's own
    checks are run too, while the user is still choosing.

    The read makes a few million objects that all stay alive: collecting garbage meanwhile
    finds none and made the read 2-2.5x slower (as at start-up, commands/wizard.py); they
    stay alive for the session, so they are frozen out of the collector's sight (each full
    collection took 0.2-0.3 s, in the wizard too, between keys)."""
    from taskwizard.editing import open_bytes

    collecting = gc.isenabled()
    gc.disable()
    try:
        opened = open_bytes(path, raw)
        remember_for_drafts(opened)
        if opened.parsed and opened.kind == "config":
            # Checked now, before the wizard can have it: the wizard's first check then
            # finds each template's problems ready (check_config's memo), not 0.5 s of work.
            from taskwizard.model.validate import validate_config

            validate_config(opened.data)
        gc.freeze()
        return opened
    except CannotOpen as exc:
        return exc
    finally:
        if collecting:
            gc.enable()


def first_read(path: Path) -> OpenedFile | CannotOpen | QuickRead:
    """The dialog's read of ``path``, for a worker thread: a config's quick look when it is
    sure, else the full read (or why the file cannot be opened)."""
    from taskwizard.editing import quick_read, read_for_edit

    try:
        raw = read_for_edit(path)
    except CannotOpen as exc:
        return exc
    if b"task-templates" in raw:  # else not a config to pick from: no quick look
        collecting = gc.isenabled()
        gc.disable()  # ~500,000 short-lived events, 30,000 kept
        try:
            quick = quick_read(path, raw)
        finally:
            if collecting:
                gc.enable()
        if quick is not None:
            return quick
    return read_in_full(path, raw)


#: Files at least this big are read on a worker thread behind this dialog; smaller ones are
#: read at once (half a MiB of YAML reads in about 0.15 s).
READ_IN_BACKGROUND_FROM: int = 512 * 1024


class ReadingDialog(ModalScreen[OpenedFile | CannotOpen | QuickRead | None]):
    CSS_PATH = "dialog.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, path: Path, size: int) -> None:
        super().__init__(classes="tw-dialog")
        self.path = path
        self.file_size = size

    def compose(self) -> ComposeResult:
        with Vertical(classes="tw-dialog-box"):
            yield Static("Opening a big file", classes="tw-dialog-title")
            yield Static(
                f"Reading {self.path} ({self.file_size / 2**20:.1f} MiB)…\n"
                "This takes a few seconds; Escape cancels.",
                classes="tw-dialog-message",
                markup=False,
                id="reading-message",
            )

    def on_mount(self) -> None:
        # After this frame is drawn (the read holds the GIL most of the time), and after
        # the app's own start-up callbacks: it turns the garbage collector on after its
        # first frame (TaskWizardApp.on_mount), which would undo the pause in the read.
        self.app.call_after_refresh(self._read)

    @work(exclusive=True, group="read-for-edit")
    async def _read(self) -> None:
        # Not a thread worker: Ctrl+Q must not wait for the read (tui/daemon_thread.py).
        from taskwizard.tui.daemon_thread import in_daemon_thread

        result = await in_daemon_thread(partial(first_read, self.path), name="read-for-edit")
        if self.is_active:  # not cancelled meanwhile
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
