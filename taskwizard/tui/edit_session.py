"""Start an edit session: open an existing task-templates config or task YAML in the wizard.

Asks for the file (file picker), reads it (a big one on a worker thread behind
:class:`ReadingDialog`, so its first frame is drawn at once) and, for a config, which
template to edit (:class:`TemplatePickDialog`); then hands the state to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from taskwizard.editing import CannotOpen, QuickRead
from taskwizard.tui.dialogs.reading import READ_IN_BACKGROUND_FROM
from taskwizard.tui.dialogs.template_pick import FULL_READ, NEW_TEMPLATE, TemplatePickDialog

if TYPE_CHECKING:
    from taskwizard.editing import OpenedFile
    from taskwizard.state import WizardState
    from taskwizard.tui.app import TaskWizardApp


def start_edit(app: TaskWizardApp, path: Path | None) -> None:
    """Open ``path`` (or ask for one) and start an edit session on it."""
    if path is None:
        from taskwizard.tui.dialogs.file_picker import FilePickerDialog

        def picked(chosen: Path | None) -> None:
            if chosen is not None:
                start_edit(app, chosen)

        app.push_screen(
            FilePickerDialog(
                title="Open a task-templates config or task YAML",
                start=app.default_folder(),
                suffixes=(".yaml", ".yml"),
            ),
            picked,
        )
        return
    size = _size(path)
    if size >= READ_IN_BACKGROUND_FROM:
        # A big file: "Reading FILE…" is drawn at once, the read runs on a worker thread.
        from taskwizard.tui.dialogs.reading import ReadingDialog

        def read(result: OpenedFile | CannotOpen | QuickRead | None) -> None:
            if result is None:  # cancelled
                if len(app.screen_stack) <= 1:
                    app.show_home()
            elif isinstance(result, QuickRead):  # the picker reads the file in full meanwhile
                _pick(app, TemplatePickDialog(quick=result))
            else:
                _read(app, path, result)

        app.push_screen(ReadingDialog(path, size), read)
        return
    from taskwizard.editing import open_file
    from taskwizard.tui.dialogs.reading import remember_for_drafts

    try:
        opened = open_file(path)
    except CannotOpen as exc:
        _cannot_open(app, exc)
        return
    remember_for_drafts(opened)
    _opened(app, path, opened)


def _size(path: Path) -> int:
    """The file's size, 0 when it cannot be told (``open_file`` then says why)."""
    try:
        return path.stat().st_size
    except (OSError, ValueError):
        return 0


def _read(app: TaskWizardApp, path: Path, result: OpenedFile | CannotOpen) -> None:
    if isinstance(result, CannotOpen):
        _cannot_open(app, result)
    else:
        _opened(app, path, result)


def _pick(app: TaskWizardApp, dialog: TemplatePickDialog) -> None:
    """Ask which template of the config to edit, then start the wizard on it."""
    from taskwizard.editing import state_for_config

    def chosen(answer: int | None | str) -> None:
        if answer is None:
            if len(app.screen_stack) <= 1:
                app.show_home()
            return
        if answer == FULL_READ:  # read in full, it is not a config to pick from after all
            assert dialog.full is not None
            _read(app, dialog.path, dialog.full)
            return
        opened = dialog.opened
        assert opened is not None, "the picker answers once the file is read in full"
        index = None if answer == NEW_TEMPLATE else int(answer)
        try:  # the entry's task YAML may be a pipe, /dev/zero, binary, too big
            # The state takes the data read: nothing else uses it once the wizard starts.
            state, notes = state_for_config(opened, index, take=True)
        except CannotOpen as exc:
            # Say why, then back to the list: another entry may open fine.
            _cannot_open(app, exc, then=lambda: _pick(app, TemplatePickDialog(opened)))
            return
        for note in notes:
            app.notify(note, timeout=8)
        _begin(app, state, opened)

    app.push_screen(dialog, chosen)


def _opened(app: TaskWizardApp, path: Path, opened: OpenedFile) -> None:
    """The file is read: pick the template of a config, or start the wizard on it."""
    from taskwizard.editing import state_for_broken_config, state_for_task

    if opened.kind == "config" and opened.parsed:
        _pick(app, TemplatePickDialog(opened))
        return
    if opened.kind == "config":
        _begin(app, state_for_broken_config(opened), opened)
        return
    if opened.kind == "unknown" and opened.parsed:
        app.notify(
            f"{path}: this is neither a task-templates config (task-templates:/models:) nor a task "
            "YAML (pods:/task:). It opens as a task YAML so you can fix it.",
            severity="warning",
            timeout=10,
        )
    _begin(app, state_for_task(opened), opened)


def _cannot_open(
    app: TaskWizardApp, exc: CannotOpen, *, then: Callable[[], object] | None = None
) -> None:
    """Say why in a dialog; afterwards ``then``, or the user is where they were (home when
    nothing else)."""
    from taskwizard.tui.dialogs.notice import NoticeDialog

    def closed(_: None) -> None:
        if then is not None:
            then()
        elif len(app.screen_stack) <= 1:
            app.show_home()

    app.push_screen(NoticeDialog(str(exc), title="Cannot open this file"), closed)


def _begin(app: TaskWizardApp, state: WizardState, opened: OpenedFile) -> None:
    if opened.problems or not opened.parsed:
        state.touch_all()  # an opened file's problems show at once
    if len(opened.raw) >= READ_IN_BACKGROUND_FROM:
        # The session's copy of a big file stays alive as long as the wizard: out of the
        # collector's sight, as the read itself (ReadingDialog._read), or each full collection
        # walks its few hundred thousand objects again (0.1-0.3 s between two keys).
        import gc

        gc.freeze()
    app.start_new(state)
