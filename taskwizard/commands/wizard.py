"""The full-screen commands: home (no command), new, edit, resume, setup."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "edit":
        parser.add_argument("path", type=Path, help="a task-templates config or a task YAML")
    elif name == "resume":
        parser.add_argument(
            "draft", nargs="?", help="draft ID (or a unique prefix); default: the newest"
        )


def run(name: str, args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        print(
            f"taskwizard {name if name != 'home' else ''}".rstrip()
            + ": the wizard needs a terminal. "
            "For scripts use `taskwizard validate` or `taskwizard upload`.",
            file=sys.stderr,
        )
        return 2
    if name == "edit":
        from taskwizard.model.reading import Unreadable, read_text_file

        try:  # the one reading rule: a pipe, a device, a binary or non-UTF-8 file → exit 2
            read_text_file(args.path)
        except Unreadable as exc:
            print(f"taskwizard edit: {exc}; nothing was changed", file=sys.stderr)
            return 2
    # Start-up allocates hundreds of thousands of objects that all stay alive
    # (modules, classes, the first screen's widgets): collecting garbage
    # meanwhile finds none and cost ~15% of the time to the first frame.
    # The collector stays off until that frame is drawn (TaskWizardApp.on_mount),
    # and what the imports made is frozen so later collections skip it.
    gc.disable()
    from taskwizard.tui.app import TaskWizardApp

    gc.freeze()
    mode = {"home": "home", "new": "new", "edit": "edit", "resume": "resume", "setup": "setup"}[
        name
    ]
    app = TaskWizardApp(
        mode,  # type: ignore[arg-type]
        draft_id=getattr(args, "draft", None),
        path=getattr(args, "path", None),
    )
    app.run()
    # The process ends now. A read that Ctrl+Q abandoned (tui/daemon_thread.py) leaves up to a
    # million objects the collector has not seen, and the interpreter's exit walked them all
    # (0.7 s after the terminal was given back): out of its sight, as at start-up.
    gc.freeze()
    if app.crash_message:
        print(app.crash_message, file=sys.stderr)
    # An unhandled exception in the app exits 1 (Textual sets it; TaskWizardApp writes
    # the crash report): a crash never exits 0.
    return app.return_code or 0
