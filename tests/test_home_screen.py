"""Pilot tests: the home screen's menu and draft list actions in the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from textual.widgets import DataTable, Input

import taskwizard.tui.app as app_module
from taskwizard import paths, settings
from taskwizard.drafts import DraftStore, DraftSummary
from taskwizard.state import WizardState
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.confirm import ConfirmDialog
from taskwizard.tui.dialogs.text_prompt import TextPromptDialog
from taskwizard.tui.screens.home import HomeScreen, column_widths, when
from taskwizard.tui.screens.setup import SetupScreen

SIZE = (80, 24)
pytestmark = pytest.mark.anyio


class RecordingApp(TaskWizardApp):
    """The real app; routes that leave the home screen are recorded instead."""

    CSS_PATH = [str(Path(app_module.__file__).with_name("app.tcss"))]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[tuple[str, Any]] = []
        self.notes: list[str] = []

    def start_new(self, state: Any = None) -> None:
        self.calls.append(("start_new", None))

    def resume_draft(self, draft_id: str | None = None) -> None:
        self.calls.append(("resume_draft", draft_id))

    def open_file(self, path: Path | None = None) -> None:
        self.calls.append(("open_file", path))

    def open_upload(self, config_path: Path | None = None) -> None:
        self.calls.append(("open_upload", config_path))

    def notify(self, message: str, **kwargs: Any) -> None:
        self.notes.append(message)
        super().notify(message, **kwargs)


@pytest.fixture(autouse=True)
def _set_up() -> None:
    settings.save_settings(settings.Settings(username="alice", auth_method="device_code"))


def make_drafts(*titles: str) -> list[str]:
    """Drafts named after ``titles``; the last one is the newest."""
    store = DraftStore()
    ids = []
    for title in titles:
        state = WizardState()
        state.set("config", ("task-templates", 0, "title"), title)
        state.set("config", ("task-templates", 0, "slug"), title.lower())
        ids.append(store.create(state, name=f"draft {title}"))
    return ids


def table(app: TaskWizardApp) -> DataTable[Any]:
    return app.screen.query_one("#drafts-table", DataTable)


def names(app: TaskWizardApp) -> list[str]:
    t = table(app)
    return [str(t.get_row_at(i)[0]) for i in range(t.row_count)]


async def test_lists_drafts_newest_first_and_enter_resumes() -> None:
    first, second = make_drafts("Alpha", "Beta")
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert names(app) == ["draft Beta", "draft Alpha"]
        row = [str(c) for c in table(app).get_row_at(0)]
        assert row[1] == "Beta (beta)"
        assert row[2].startswith("today ")
        assert row[3] == "Template"
        assert app.focused is table(app)  # drafts exist: Enter resumes the newest
        await pilot.press("enter")
        await pilot.press("down", "r")
        await pilot.pause()
    assert app.calls == [("resume_draft", second), ("resume_draft", first)]


async def test_menu_keys_and_menu_list_call_the_app() -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "home-menu"  # no drafts
        await pilot.press("n", "o", "u")
        await pilot.press("down", "enter")  # "Open existing file" from the list
        await pilot.pause()
        assert app.calls == [
            ("start_new", None),
            ("open_file", None),
            ("open_upload", None),
            ("open_file", None),
        ]
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen) and app.screen.mode == "settings"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None
    assert not app.is_running


async def test_rename_with_prompt_and_cancel() -> None:
    (draft_id,) = make_drafts("Alpha")
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, TextPromptDialog)
        assert app.screen.query_one(Input).value == "draft Alpha"
        await pilot.press("ctrl+u", *"mine", "enter")
        await pilot.pause()
        assert names(app) == ["mine"]
        await pilot.press("f2", "ctrl+u", "enter")  # empty: refused, dialog stays
        await pilot.pause()
        assert isinstance(app.screen, TextPromptDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert names(app) == ["mine"]
    assert DraftStore().list()[0].name == "mine"
    assert DraftStore().list()[0].id == draft_id


async def test_duplicate() -> None:
    (draft_id,) = make_drafts("Alpha")
    app = RecordingApp()
    async with app.run_test(size=(120, 30)) as pilot:  # wide: names are not clipped
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert sorted(names(app)) == ["draft Alpha", "draft Alpha (copy)"]
    store = DraftStore()
    copy = next(d for d in store.list() if d.id != draft_id)
    assert store.load(copy.id) == store.load(draft_id)


async def test_delete_asks_first_and_enter_alone_cancels() -> None:
    keep, delete = make_drafts("Keep", "Gone")
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert names(app)[0] == "draft Gone"
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "never saved" in app.screen.question
        await pilot.press("enter")  # Cancel has the focus for a destructive question
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert len(names(app)) == 2
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("right", "enter")  # move to Delete, confirm
        await pilot.pause()
        assert names(app) == ["draft Keep"]
        await pilot.press("x", "y")  # y confirms too
        await pilot.pause()
        assert names(app) == []
        assert "No drafts yet" in str(app.screen.query_one("#drafts-empty").render())
    assert DraftStore().list() == []
    assert keep != delete


async def test_draft_actions_disabled_without_drafts() -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        for action in ("rename", "duplicate", "delete", "resume"):
            assert screen.check_action(action, ()) is None
        await pilot.press("e", "d", "x", "r")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.calls == []
    assert DraftStore().list() == []


async def test_corrupt_draft_reported_and_others_listed() -> None:
    (good,) = make_drafts("Good")
    bad = paths.drafts_dir() / "20250101-000000-dead00.json"
    bad.write_text('{"format": 1, "state": {')
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert names(app) == ["draft Good"]
        assert any("moved aside: 20250101-000000-dead00.json" in n for n in app.notes)
    assert (paths.corrupt_drafts_dir() / bad.name).exists()


async def test_first_start_without_settings_shows_setup_over_home() -> None:
    paths.settings_file().unlink()
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert any(isinstance(s, HomeScreen) for s in app.screen_stack)


async def test_old_saved_drafts_pruned_on_start_unsaved_kept() -> None:
    store = DraftStore()
    saved_id, unsaved_id = make_drafts("Saved", "Unsaved")
    store.mark_saved(saved_id, store.load(saved_id))
    import json

    data = json.loads(store.path(saved_id).read_text())
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    data["saved_at"] = data["updated"] = old
    store.path(saved_id).write_text(json.dumps(data))
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert names(app) == ["draft Unsaved"]


def test_column_widths_fit_80_columns_and_grow() -> None:
    narrow = column_widths(76)
    assert sum(narrow) + 2 * len(narrow) <= 76
    wide = column_widths(140)
    assert wide[0] > narrow[0] and wide[1] > narrow[1]
    assert sum(wide) + 2 * len(wide) == 140


def test_when_formats() -> None:
    now = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert when(now - timedelta(minutes=5), now).startswith("today ")
    assert when(now - timedelta(days=3), now).startswith(
        f"{(now - timedelta(days=3)).astimezone():%d}"
    )
    assert (
        when(now - timedelta(days=400), now)
        == f"{(now - timedelta(days=400)).astimezone():%Y-%m-%d}"
    )


def test_summary_type_is_what_the_table_shows() -> None:
    # the table is built from DraftSummary; a field rename there must fail here
    fields = set(DraftSummary.__dataclass_fields__)
    assert {"name", "title", "slug", "updated", "step", "problems", "status"} <= fields


@pytest.mark.parametrize(
    ("problems", "status", "text"),
    [
        (0, "saved", "✓ saved"),
        (0, "editing", "✓ valid"),
        (3, "saved", "3 problems"),
        (1, "editing", "1 problem"),
        (None, "saved", "not checked"),
    ],
)
def test_the_check_column_fits_80_columns_uncut(
    problems: int | None, status: Literal["editing", "saved"], text: str
) -> None:
    from taskwizard.tui.screens.home import check_text

    draft = DraftSummary(
        "id",
        "n",
        "t",
        "s",
        datetime.now(UTC),
        "pods",
        problems,
        status,
        Path("x"),
    )
    shown = check_text(draft).plain
    assert shown == text
    assert len(shown) <= column_widths(76)[-1]
