"""A big file being read for editing: ``Reading FILE…`` is drawn at once and the file is read
on a worker thread (a 5 MiB config takes seconds to read with positions); the dialog returns
the :class:`OpenedFile`, the :class:`CannotOpen` that refused it, or None when cancelled."""

from __future__ import annotations

import gc
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from taskwizard.editing import CannotOpen, OpenedFile


def remember_for_drafts(opened: OpenedFile) -> None:
    """Hand what was read to the drafts (:func:`drafts.remember_opened`): the session's first
    draft then compares with it instead of reading and parsing the file again."""
    from taskwizard.drafts import remember_opened

    remember_opened(opened.source, opened.raw, opened.text, opened.data if opened.parsed else None)


#: Files at least this big are read on a worker thread behind this dialog; smaller ones are
#: read at once (half a MiB of YAML reads in about 0.15 s).
READ_IN_BACKGROUND_FROM: int = 512 * 1024


class ReadingDialog(ModalScreen[OpenedFile | CannotOpen | None]):
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
        # first frame (TaskWizardApp.on_mount), which would undo the pause in _read.
        self.app.call_after_refresh(self._read)

    @work(thread=True, exclusive=True, group="read-for-edit")
    def _read(self) -> None:
        from taskwizard.editing import open_file

        # The read makes a few million objects that all stay alive: collecting garbage
        # meanwhile finds none and made the read 2-2.5x slower (as at start-up, commands/wizard.py).
        collecting = gc.isenabled()
        gc.disable()
        try:
            opened = open_file(self.path)
            remember_for_drafts(opened)
            result: OpenedFile | CannotOpen = opened
            # They stay alive for the session: no collection need look at them again (each
            # full one took 0.2-0.3 s, in the wizard too, between keys).
            gc.freeze()
        except CannotOpen as exc:
            result = exc
        finally:
            if collecting:
                gc.enable()
        self.app.call_from_thread(self._read_done, result)

    def _read_done(self, result: OpenedFile | CannotOpen) -> None:
        if self.is_active:  # not cancelled meanwhile
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
