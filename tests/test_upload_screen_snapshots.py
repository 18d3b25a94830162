"""Snapshot of the upload progress rows: fixed events and no speed/time left (those
come from the wall clock), so every frame is a function of the bytes alone. Update with
`pytest tests/test_upload_screen_snapshots.py --snapshot-update` after a deliberate
change, and look at the SVG before committing."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Footer

from taskwizard.hub.upload import FileProgress
from taskwizard.tui.widgets.upload_progress import UploadProgressList

MIB = 1024 * 1024
EVENTS = [
    FileProgress(
        "model:Retina",
        "Retina.py",
        "model",
        "new_version",
        "done",
        900,
        900,
        speed=1e6,
        detail="version 3",
    ),
    FileProgress(
        "weights:Retina",
        "Retina.pt",
        "weights",
        "new",
        "uploading",
        45 * MIB,
        120 * MIB,
        speed=30e6,
    ),
    FileProgress(
        "template:retina-screening",
        "retina-screening",
        "template",
        "new_version",
        "waiting",
        0,
        2048,
    ),
    FileProgress(
        "template:old-screening",
        "old-screening",
        "template",
        "tags_only",
        "failed",
        0,
        1500,
        error="the hub answered 500 (internal error)",
    ),
    FileProgress(
        "template:fundus",
        "fundus",
        "template",
        "unchanged",
        "unchanged",
        0,
        1800,
        detail="template, description and tags equal the hub's",
    ),
    FileProgress(
        "deprecated:legacy",
        "legacy",
        "deprecated",
        "archive",
        "cancelled",
        0,
        0,
        error="cancelled before it started",
    ),
]


class ProgressApp(App[None]):
    CSS_PATH = "../taskwizard/tui/screens/upload.tcss"

    def compose(self) -> ComposeResult:
        yield UploadProgressList(show_rates=False, id="progress-list")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(UploadProgressList).set_files(EVENTS)


def test_progress_rows(snap_compare: Any) -> None:
    assert snap_compare(ProgressApp(), terminal_size=(80, 24))
