"""While a key is typed, the wizard reuses what the disk said at its last full look
(the model and weights files exist, the template's path follows the slug); once the
typing pauses, and before any action decides, it looks again.

A key's validation does not stat files (0.3 ms a key); these tests pin that the
answer is never stale past the pause, nor for Next, Save or Review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_keystroke_frame import idle, typing_at_end, until
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import (
    SIZE,
    field,
    focus_field,
    new_app,
    paste,
    problem_text,
    settle,
    wizard,
    write_model_files,
)

from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.screens import wizard as wizard_module

pytestmark = pytest.mark.anyio

MISSING = "model file not found"


@pytest.fixture(autouse=True)
def slow_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause of 1 s before the indicators settle: the checks right after a key see
    the key's own validation on a slow machine too."""
    monkeypatch.setattr(wizard_module, "SETTLE_DELAY", 1.0)


async def paused(app: TaskWizardApp) -> None:
    """Wait, with the event loop's sleep, until the typing's pause has settled."""
    await until(lambda: wizard(app).indicators_settled)


def missing(app: TaskWizardApp) -> bool:
    """Whether the wizard's last validation says the model file is not there."""
    return any(MISSING in problem.message for _, problem in wizard(app).problems)


async def typing_title_with_model_file_missing(pilot: Pilot[Any], app: TaskWizardApp) -> Input:
    """A new template whose model file (typed on the Models step) is not there yet;
    back on the Template step, the cursor at the end of the title."""
    app.state.config["models"] = [{"model_file": "", "private": True}]
    await settle(pilot)
    await pilot.pause(0.3)  # the validators
    wizard(app).show_step("models")
    await settle(pilot)
    await focus_field(pilot, "model-0-file")
    await paste(pilot, "models/RetinaClassifier.py")
    assert MISSING in problem_text(field(app, "model-0-file"))
    wizard(app).show_step("template")
    await settle(pilot)
    editor = field(app, "field-title").editor
    assert isinstance(editor, Input)
    return await typing_at_end(pilot, editor)


async def key_typed_after_the_model_file_is_made(
    pilot: Pilot[Any], app: TaskWizardApp, folder: Path
) -> None:
    """On the title (the model file missing), make the model file, then type a key."""
    await typing_title_with_model_file_missing(pilot, app)
    write_model_files(folder / "models")
    await pilot.press("R")
    await idle(pilot)


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TaskWizardApp:
    """``taskwizard new`` run in tmp_path: the config's relative paths resolve there."""
    monkeypatch.chdir(tmp_path)
    return new_app(tmp_path)


async def test_a_model_file_made_while_typing_shows_once_the_typing_pauses(
    tmp_path: Path, app: TaskWizardApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await key_typed_after_the_model_file_is_made(pilot, app, tmp_path)
        assert wizard(app).step_id == "template"
        # The key reused the last look at the disk: files are not looked for per key.
        assert missing(app)
        await paused(app)
        assert not missing(app)
        # And the other way: removed while typing, missed once the typing pauses.
        (tmp_path / "models" / "RetinaClassifier.py").unlink()
        await pilot.press("backspace")
        await idle(pilot)
        assert not missing(app)
        await paused(app)
        assert missing(app)
        wizard(app).show_step("models")
        await settle(pilot)
        assert MISSING in problem_text(field(app, "model-0-file"))


async def test_an_action_right_after_a_key_decides_on_the_disk_as_it_is(
    tmp_path: Path, app: TaskWizardApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await key_typed_after_the_model_file_is_made(pilot, app, tmp_path)
        screen = wizard(app)
        assert missing(app)
        screen.flush_validation()  # what Next, Save and Review call before they decide
        assert not missing(app)
        assert screen.indicators_settled
