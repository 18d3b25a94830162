"""Snapshot of Open from the Hub at 80×24 with a fixed list (no hub: the list is given
to the screen as the worker would, after its own attempt has failed for want of
credentials), so the frame does not depend on a port or the clock. Update with
`pytest tests/test_hub_open_snapshot.py --snapshot-update` after a deliberate change,
and look at the SVG before committing."""

from __future__ import annotations

import time
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from taskwizard.settings import Settings, save_settings
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.screens.hub_open import HubOpenScreen

TEMPLATES: list[dict[str, Any]] = [
    {
        "slug": "retina-image-classifier",
        "title": "Retina image classifier",
        "type": "image-classification",
        "version": 4,
        "state": "published",
    },
    {
        "slug": "oct-layer-segmentation",
        "title": "OCT layer segmentation",
        "type": "image-segmentation",
        "version": 1,
        "state": "published",
    },
    {
        "slug": "fundus-csv-report-with-a-very-long-slug-that-is-clipped",
        "title": "Fundus image report, with a title longer than its column",
        "type": "tabular-analytics",
        "version": 12,
        "state": "archived",
    },
]


async def show_list(pilot: Pilot[Any]) -> None:
    await pilot.press("h")
    screen = pilot.app.screen
    assert isinstance(screen, HubOpenScreen)
    status = screen.query_one("#hub-status", Static)
    deadline = time.monotonic() + 30
    while "Cannot list" not in str(status.render()):  # the worker's own attempt is over
        assert time.monotonic() < deadline, "the worker never finished"
        await pilot.pause(0.02)
    screen._show_templates("example-user", "https://hub.bitfount.com", TEMPLATES)
    await pilot.press("down")
    await pilot.pause()


def test_open_from_the_hub_at_80x24(snap_compare: Any) -> None:
    # The folder shown is a placeholder; nothing is written there.
    save_settings(
        Settings(username="example-user", hub="production", default_folder="/home/user/bitfount")
    )
    assert snap_compare(TaskWizardApp("home"), terminal_size=(80, 24), run_before=show_list)
