"""Drafts that cannot be written (full disk, a cache folder that is a file, a file name
that is not UTF-8) never crash the wizard; quitting asks before work is lost; a session
that changed nothing leaves no draft behind."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from tui_helpers import SIZE, new_app, settle, wizard

from taskwizard import drafts, paths
from taskwizard.drafts import DraftStore
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.quit import QuitDialog
from taskwizard.tui.dialogs.save import SaveDialog
from taskwizard.tui.screens.wizard import WizardScreen

pytestmark = pytest.mark.anyio

TASK = (
    "pods:\n  identifiers: [alice/pod]\ntask:\n  protocol: {name: bitfount.InferenceAndCSVReport}\n"
)


def draft_files() -> list[Path]:
    folder = paths.drafts_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def status_text(app: TaskWizardApp) -> str:
    from textual.widgets import Static

    return str(wizard(app).query_one("#step-status", Static).render())


def full_disk(monkeypatch: pytest.MonkeyPatch, code: int = errno.ENOSPC) -> list[int]:
    """Every draft write fails (ENOSPC by default) from now on; returns the attempts."""
    attempts: list[int] = []

    def no_space(path: Path, data: bytes, *, mode: int | None = None) -> None:
        attempts.append(len(data))
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(drafts, "atomic_write_bytes", no_space)
    return attempts


async def type_slug(pilot: Any, text: str) -> None:
    await settle(pilot)
    assert isinstance(pilot.app.screen, WizardScreen)
    await pilot.press(*text)
    await settle(pilot)


async def test_cache_folder_that_is_a_file_keeps_the_wizard_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache-is-a-file"
    cache.write_text("not a folder")
    monkeypatch.setenv("TASKWIZARD_CACHE_DIR", str(cache))
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")  # the first key used to crash (OSError from create)
        assert app.drafts_off is not None
        assert app.state.entry["slug"] == "abc"  # typing goes on
        assert "Drafts off" in status_text(app)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1  # said once, not per key
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)  # asks before the typing is lost
        await pilot.click("#keep")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.click("#discard")
        await settle(pilot)
    assert app.return_code == 0


async def test_full_disk_mid_session_quit_asks_and_saves_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "ret")
        assert app.draft_id is not None
        attempts = full_disk(monkeypatch)
        await pilot.press("i", "n", "a")
        await pilot.pause(1.0)  # the autosave timer fires and fails
        await settle(pilot)
        assert attempts
        assert app.drafts_off is not None and "No space left" in app.drafts_off
        await pilot.press("ctrl+q")  # used to raise RuntimeError (call_from_thread)
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
    # the Save dialog was reached: the typing is there to be written
    assert app.state.entry["slug"] == "retina"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
async def test_full_disk_from_the_first_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    # a full disk, a read-only mount, a folder without write permission (as root, a real
    # read-only folder cannot be made here: root writes anyway)
    full_disk(monkeypatch, code)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "x")
        assert app.drafts_off is not None
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)


async def test_a_flush_that_fails_on_quit_asks_instead_of_crashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "a")
        full_disk(monkeypatch)
        await pilot.press("b")  # pending: the timer has not fired yet
        await pilot.press("ctrl+q")  # the flush on the app's thread fails
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)


def non_utf8_file(tmp_path: Path) -> Path:
    path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/bad-\xff\xfe-name.yaml"))
    path.write_text(TASK)
    return path


async def test_a_file_name_that_is_not_utf8_opens_and_quits(tmp_path: Path) -> None:
    path = non_utf8_file(tmp_path)
    app = TaskWizardApp("edit", path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.drafts_off is None and app.draft_id is not None
        app.state.set("task", ("pods", "identifiers"), ["alice/other"])
        app.autosave()
        app.flush_draft()
        assert DraftStore().list()[0].name == "Edit bad-\\xff\\xfe-name.yaml"
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code == 0
    assert len(draft_files()) == 1  # a change: kept


@pytest.mark.parametrize("change_and_undo", [False, True])
async def test_opening_and_quitting_leaves_no_draft(tmp_path: Path, change_and_undo: bool) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    app = TaskWizardApp("edit", path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.draft_id is not None and len(draft_files()) == 1
        if change_and_undo:
            app.state.set("task", ("pods", "identifiers"), ["alice/other"])
            app.autosave()
            app.state.set("task", ("pods", "identifiers"), ["alice/pod"])
            app.autosave()
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert draft_files() == []
    assert path.read_text() == TASK


async def test_a_changed_session_keeps_its_draft_on_quit(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    app = TaskWizardApp("edit", path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.set("task", ("pods", "identifiers"), ["alice/other"])
        app.autosave()
        await pilot.press("ctrl+q")
        await settle(pilot)
    files = draft_files()
    assert len(files) == 1
    assert json.loads(files[0].read_text())["status"] == "editing"


def _backdate(path: Path, minutes: int) -> None:
    from datetime import UTC, datetime, timedelta

    record = json.loads(path.read_text())
    record["updated"] = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
    path.write_text(json.dumps(record))


async def test_stale_unchanged_drafts_are_pruned_at_start(tmp_path: Path) -> None:
    from taskwizard.editing import open_file, state_for_task

    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    store = DraftStore()
    left_behind = store.create(state_for_task(open_file(path)))  # a session killed at once
    _backdate(store.path(left_behind), 60)
    just_opened = store.create(state_for_task(open_file(path)))  # another window, now
    changed = state_for_task(open_file(path))
    changed.set("task", ("pods", "identifiers"), ["alice/mine"])
    with_work = store.create(changed)
    _backdate(store.path(with_work), 60 * 24 * 90)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
    left = {p.stem for p in draft_files()}
    assert left == {just_opened, with_work}


async def test_leaving_the_wizard_without_drafts_asks_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskwizard.tui.screens.home import HomeScreen

    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        app.leave_wizard()  # what Escape on the first step does
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog) and app.screen.leaving
        await pilot.click("#discard")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


CONFIG = """\
# our templates
task-templates:
  - slug: retina
    title: Retina
    type: image-classification
    description: Classifies retina scans.
    template: retina.yaml
    tags: [Prediction]
models: []
"""


async def test_opening_a_config_entry_and_quitting_leaves_no_draft(tmp_path: Path) -> None:
    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog

    (tmp_path / "task-templates.yaml").write_text(CONFIG)
    (tmp_path / "retina.yaml").write_text(TASK)
    app = TaskWizardApp("edit", path=tmp_path / "task-templates.yaml")
    app.default_folder = lambda: tmp_path  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("enter")
        await settle(pilot, 5)
        assert isinstance(app.screen, WizardScreen)
        assert len(draft_files()) == 1
        for step in ("models", "pods", "review"):  # looking around changes nothing
            wizard(app).show_step(step)
            await settle(pilot)
        app.flush_draft()
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert draft_files() == []


async def test_a_disk_too_full_for_the_files_too_keeps_the_work_in_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskwizard import saving

    full_disk(monkeypatch)

    def no_space(path: Path, text: str, *, mode: int | None = None) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(saving, "atomic_write_text", no_space)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "kept")
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)  # not written, not quit
        messages = [n.message for n in app._notifications]
        assert any("still in this window" in m for m in messages), messages
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.state.entry["slug"] == "kept"
    assert list(tmp_path.glob("*.yaml")) == []


# -------------------------------------------------- routes that replace the session
# Without drafts, every route that would replace the work in this window (the command
# palette's New task template, opening a file, resuming a draft, adding a template) asks
# through the same QuitDialog as quitting; with drafts on, nothing asks.


async def run_palette_command(pilot: Any, name: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*name)
    await pilot.pause(0.5)  # the palette searches on a timer
    await pilot.press("enter")
    await settle(pilot)


async def test_palette_new_template_without_drafts_asks_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        assert app.drafts_off is not None
        await run_palette_command(pilot, "New task template")
        assert isinstance(app.screen, QuitDialog) and app.screen.leaving  # was replaced
        await pilot.click("#keep")
        await settle(pilot)
        assert app.state.entry["slug"] == "abc"  # nothing replaced
        await run_palette_command(pilot, "New task template")
        assert isinstance(app.screen, QuitDialog)
        await pilot.click("#discard")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.state.entry["slug"] == ""  # the new session, as asked


async def test_palette_new_template_with_drafts_on_does_not_ask(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(TASK)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        old = app.draft_id
        assert old is not None
        await run_palette_command(pilot, "New task template")
        assert isinstance(app.screen, WizardScreen)  # no dialog: the draft keeps the work
        assert app.state.entry["slug"] == ""
        assert not any(isinstance(s, QuitDialog) for s in app.screen_stack)
        assert json.loads((paths.drafts_dir() / f"{old}.json").read_text())
        await pilot.press(*"def")
        await settle(pilot)
        app.open_file(tmp_path / "other.yaml")  # opening a file does not ask either
        await settle(pilot, 5)
        assert isinstance(app.screen, WizardScreen)
        assert app.state.task.get("pods") == {"identifiers": ["alice/pod"]}


async def test_opening_a_file_without_drafts_asks_then_saves_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "other.yaml").write_text(TASK)
    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        app.open_file(tmp_path / "other.yaml")  # Open, or Reload from disk in Save
        await settle(pilot, 5)
        assert isinstance(app.screen, QuitDialog)  # the file used to replace the work
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("ctrl+s")
        await settle(pilot, 5)
        saved = "\n".join(p.read_text() for p in tmp_path.glob("*.yaml"))
        assert "slug: abc" in saved  # the work was written before the file replaced it
        assert isinstance(app.screen, WizardScreen)
        assert app.state.task.get("pods") == {"identifiers": ["alice/pod"]}  # then it opened


async def test_resuming_a_draft_without_drafts_asks_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskwizard.state import WizardState

    old = WizardState()
    old.entry["slug"] = "older"
    draft_id = DraftStore().create(old)
    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        app.resume_draft(draft_id)
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)  # the draft used to replace the work
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert app.state.entry["slug"] == "abc"
        app.resume_draft(draft_id)
        await settle(pilot)
        await pilot.click("#discard")
        await settle(pilot)
        assert app.state.entry["slug"] == "older"


async def test_adding_a_template_without_drafts_asks_and_changes_nothing_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        app.add_template()
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)  # used to start the next template
        await pilot.click("#keep")
        await settle(pilot)
        assert [e["slug"] for e in app.state.config["task-templates"]] == ["abc"]
        assert app.state.template_index == 0


async def test_after_leaving_without_drafts_home_does_not_ask_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskwizard.tui.screens.home import HomeScreen

    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        app.leave_wizard()
        await settle(pilot)
        await pilot.click("#discard")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("n")  # the home screen's New: the work was discarded already
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.state.entry["slug"] == ""


async def test_reload_from_disk_without_drafts_asks_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_edit_flow import CONFIG as VALID_CONFIG
    from test_edit_flow import TASK as VALID_TASK

    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog

    config = tmp_path / "task-templates.yaml"
    config.write_text(VALID_CONFIG)
    (tmp_path / "retina.yaml").write_text(VALID_TASK)
    full_disk(monkeypatch)
    app = TaskWizardApp("edit", path=config)
    app.default_folder = lambda: tmp_path  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, 5)
        assert app.drafts_off is not None
        app.state.set("config", ("task-templates", 0, "title"), "Mine")
        theirs = VALID_CONFIG.replace("Retina classification", "Theirs")
        config.write_text(theirs)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.click("#reload")
        await settle(pilot)
        assert isinstance(app.screen, QuitDialog)  # "Mine" was dropped without a word
        messages = [n.message for n in app._notifications]
        assert not any("stays in its draft" in m for m in messages)  # there is none
        await pilot.click("#discard")
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("enter")
        await settle(pilot, 5)
        assert app.state.config["task-templates"][0]["title"] == "Theirs"
    assert config.read_text() == theirs


async def test_add_another_template_after_saving_without_drafts_does_not_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_edit_flow import CONFIG as VALID_CONFIG
    from test_edit_flow import TASK as VALID_TASK

    from taskwizard.tui.dialogs.saved import SavedDialog

    config = tmp_path / "task-templates.yaml"
    config.write_text(VALID_CONFIG)
    (tmp_path / "retina.yaml").write_text(VALID_TASK)
    full_disk(monkeypatch)
    app = TaskWizardApp("edit", path=config)
    app.default_folder = lambda: tmp_path  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, 5)
        app.state.set("config", ("task-templates", 0, "title"), "Mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        await pilot.press("enter")  # Add another task template to this config
        await settle(pilot, 5)
        assert isinstance(app.screen, WizardScreen)  # saved: nothing to ask about
        assert len(app.state.config["task-templates"]) == 2
        assert app.state.template_index == 1
    assert "title: Mine" in config.read_text()


async def test_after_leaving_without_drafts_quit_does_not_ask_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskwizard.tui.screens.home import HomeScreen

    full_disk(monkeypatch)
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_slug(pilot, "abc")
        app.leave_wizard()
        await settle(pilot)
        await pilot.click("#discard")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+q")  # asked a second time about the discarded work
        await settle(pilot)
        assert not any(isinstance(s, QuitDialog) for s in app.screen_stack)
    assert app.return_code == 0
