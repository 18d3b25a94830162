"""The Save dialog at 80x24: it scrolls at once, and "Nothing to save" offers no dead Write."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_edit_flow import TASK
from test_wizard_session import _new_template_ready_to_save
from textual.containers import VerticalScroll
from textual.widgets import Button
from tui_helpers import new_app, settle

from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.save import SaveDialog

pytestmark = pytest.mark.anyio


async def test_save_dialog_scrolls_with_pagedown_and_arrows_without_tab(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_template_ready_to_save(pilot, "scrolling")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        body = dialog.query_one("#save-body", VerticalScroll)
        assert body.max_scroll_y > 0  # the two new files do not fit at 80x24
        await pilot.press("down")
        await pilot.wait_for_scheduled_animations()
        assert body.scroll_y == 1
        await pilot.press("pagedown")
        await pilot.wait_for_scheduled_animations()
        assert body.scroll_y > 1


async def test_nothing_to_save_offers_close_and_no_write(tmp_path: Path) -> None:
    (tmp_path / "retina.yaml").write_text(TASK)
    app = TaskWizardApp("edit", path=tmp_path / "retina.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 5)
        await pilot.pause(0.3)  # the validators load on a thread
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        assert not dialog.plan.to_write
        assert [b.id for b in dialog.query(Button)] == ["cancel"]
        assert str(dialog.query_one("#cancel", Button).label) == "Close"
        assert dialog.check_action("write", ()) is False
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, SaveDialog)
