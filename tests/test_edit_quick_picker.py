"""`taskwizard edit` of a big config: the template picker shows what a quick look at the file
found while the file is read in full; a choice made before that is done waits for it (and
says so), opens only what the full read agrees on, and never a wizard built from the quick
look when the full read finds an error."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static
from tui_helpers import SIZE, settle

import taskwizard.editing
import taskwizard.tui.dialogs.reading
from taskwizard.editing import CannotOpen, OpenedFile, QuickRead
from taskwizard.state import RAW_DOC_PREFIX
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.template_pick import TemplatePickDialog
from taskwizard.tui.screens.home import HomeScreen
from taskwizard.tui.screens.wizard import WizardScreen

pytestmark = pytest.mark.anyio

TEMPLATES = 12_000  # ~560 KiB: read behind "Reading…", with a quick look


def big_config(folder: Path, tail: str = "") -> Path:
    lines = ["task-templates:\n"]
    lines += [
        f"  - slug: t-{i}\n    title: Template {i}\n    template: task-{i}.yaml\n"
        f"    type: image-classification\n"
        for i in range(TEMPLATES)
    ]
    path = folder / "task-templates.yaml"
    path.write_text("".join(lines) + tail)
    assert path.stat().st_size >= 512 * 1024
    return path


class GatedFullRead:
    """``read_in_full`` that waits until the test lets it finish."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        self.real = taskwizard.tui.dialogs.reading.read_in_full

    def __call__(self, path: Path, raw: bytes) -> OpenedFile | CannotOpen:
        self.started.set()
        self.release.wait(20)
        try:
            return self.real(path, raw)
        finally:
            self.done.set()


@pytest.fixture()
def gate(monkeypatch: pytest.MonkeyPatch) -> GatedFullRead:
    gated = GatedFullRead()
    monkeypatch.setattr(taskwizard.tui.dialogs.reading, "read_in_full", gated)
    return gated


def reading_line(app: TaskWizardApp) -> str:
    line = app.screen.query_one("#template-reading", Static)
    return str(line.render()) if line.display else ""


async def until(pilot: Any, condition: Any, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there")


async def test_the_picker_shows_before_the_full_read_and_a_choice_waits_for_it(
    tmp_path: Path, gate: GatedFullRead
) -> None:
    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TemplatePickDialog))
        dialog = app.screen
        assert isinstance(dialog, TemplatePickDialog)
        assert dialog.opened is None and dialog.quick is not None  # from the quick look
        assert f"{TEMPLATES} task templates" in str(dialog.query_one("#template-heading").render())
        await until(pilot, gate.started.is_set)
        assert "Reading the whole file meanwhile" in reading_line(app)
        await pilot.press(*"t-11")
        await pilot.press("enter")  # t-11, chosen before the full read is done
        await settle(pilot)
        assert app.screen is dialog  # waits, and says so
        assert "Still reading the whole file… “t-11” opens when it is read" in reading_line(app)
        gate.release.set()
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        assert app.state.template_index == 11
        assert app.state.entry["slug"] == "t-11"
        assert len(app.state.config["task-templates"]) == TEMPLATES


async def test_after_the_full_read_a_choice_opens_at_once(
    tmp_path: Path, gate: GatedFullRead
) -> None:
    gate.release.set()
    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TemplatePickDialog))
        dialog = app.screen
        assert isinstance(dialog, TemplatePickDialog)
        await until(pilot, lambda: dialog.opened is not None)
        await settle(pilot)
        assert reading_line(app) == ""  # the line is gone
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        assert app.state.entry["slug"] == "t-1"


async def test_escape_while_the_full_read_runs_goes_home_and_stays(
    tmp_path: Path, gate: GatedFullRead
) -> None:
    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TemplatePickDialog))
        await pilot.press("enter")  # waiting for the full read…
        await settle(pilot)
        await pilot.press("escape")  # …and changed their mind
        await settle(pilot)
        stack = list(app.screen_stack)
        assert any(isinstance(s, HomeScreen) for s in stack)
        assert not any(isinstance(s, TemplatePickDialog) for s in stack)
        gate.release.set()  # the read finishing later opens nothing
        assert gate.done.wait(20)
        await pilot.pause(0.2)
        await settle(pilot)
        assert list(app.screen_stack) == stack


async def test_ctrl_q_while_the_full_read_runs_quits(tmp_path: Path, gate: GatedFullRead) -> None:
    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TemplatePickDialog))
        await pilot.press("ctrl+q")
        await settle(pilot)
        gate.release.set()
    assert app.return_code == 0


async def test_an_error_only_the_full_read_finds_is_shown_not_a_wizard_of_the_quick_look(
    tmp_path: Path, gate: GatedFullRead
) -> None:
    # An alias to no anchor, in a value the quick look skips: only the full read sees it.
    path = big_config(tmp_path, tail="  - slug: last\n    x: *nowhere\n")
    app = TaskWizardApp("edit", path=path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TemplatePickDialog))
        await pilot.press("enter")
        await settle(pilot)
        gate.release.set()
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        # The config opens as raw text at its error, as without the quick look; no template
        # of the quick look's list was opened.
        assert app.state.raw_text[RAW_DOC_PREFIX + "config"] == path.read_text()
        slugs = [e.get("slug") for e in app.state.config.get("task-templates", [])]
        assert not any(slugs)  # none of the quick look's templates
        assert app.state.config_only
        await settle(pilot)
        shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
        assert "*nowhere" in shown, shown[-2000:]  # the error is on screen
    full = taskwizard.editing.open_file(path)  # the error the wizard shows, where it is
    assert not full.parsed
    problem = full.problems[0]
    assert "*nowhere" in problem.message and problem.line == 4 * TEMPLATES + 3
    assert problem.file == str(path) and problem.column is not None


async def test_a_file_the_full_read_refuses_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_config(tmp_path)

    def refused(path_: Path, raw: bytes) -> CannotOpen:
        return CannotOpen(f"{path_}: is gone — nothing was changed")

    monkeypatch.setattr(taskwizard.tui.dialogs.reading, "read_in_full", refused)
    app = TaskWizardApp("edit", path=path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "NoticeDialog")
        assert "is gone" in "\n".join(str(s.render()) for s in app.screen.query(Static))


async def test_a_template_the_full_read_reads_otherwise_is_not_opened(
    tmp_path: Path, gate: GatedFullRead, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never seen (``test_quick_read.py``), so a quick look that disagrees is faked here."""
    real = taskwizard.editing.quick_read

    def wrong(path: Path, raw: bytes) -> QuickRead | None:
        quick = real(path, raw)
        assert quick is not None
        quick.choices[0].slug = "wrong-slug"
        return quick

    monkeypatch.setattr(taskwizard.editing, "quick_read", wrong)
    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TemplatePickDialog))
        dialog = app.screen
        assert isinstance(dialog, TemplatePickDialog)
        await pilot.press("enter")  # "wrong-slug", the first one listed
        await settle(pilot)
        gate.release.set()
        await until(pilot, lambda: dialog.opened is not None)
        await settle(pilot)
        assert app.screen is dialog  # not opened
        line = reading_line(app)
        assert "Template 1 is “t-0” in the whole file, not “wrong-slug”" in line
        assert "choose again" in line
        assert isinstance(dialog, TemplatePickDialog)
        assert dialog.choices[0].slug == "t-0"  # the list is the full read's now
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WizardScreen))
        assert app.state.entry["slug"] == "t-0"
