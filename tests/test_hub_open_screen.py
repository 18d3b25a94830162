"""Home → Open from the Hub: list and search the user's templates on a real local hub,
Enter pulls one and opens it in the wizard; after saving, Upload shows the tags-only or
"new version"."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from upload_project import config_text, make_project

from taskwizard.hub.auth import Credentials
from taskwizard.hub.client import HubClient
from taskwizard.hub.localhub import LocalHub
from taskwizard.hub.plan import ACTION_WORDS, build_plan
from taskwizard.hub.upload import execute_plan
from taskwizard.saving import apply_save, plan_save
from taskwizard.settings import Settings, save_settings
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.screens.hub_open import HubOpenScreen, matches
from taskwizard.tui.screens.upload import UploadScreen
from taskwizard.tui.screens.wizard import WizardScreen

USER = "alice"
SIZE = (80, 24)
pytestmark = pytest.mark.anyio


@pytest.fixture
def hub(local_hub_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalHub:
    server: LocalHub = local_hub_factory(username=USER)
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", server.api_key_id)
    monkeypatch.setenv("BITFOUNT_API_KEY", server.api_key)
    creds = Credentials.from_api_key(server.api_key_id, server.api_key, "test")
    with HubClient(server.url, creds) as client:
        for slug, title in (("My Template", "My template"), ("Eye check", "Checks eyes")):
            text = config_text().replace("My Template", slug).replace("My template", title)
            config = make_project(tmp_path / "src" / slug.replace(" ", "-"), config=text)
            plan = build_plan(config, client, USER, cwd=config.parent)
            assert execute_plan(plan, client, on_progress=lambda e: None).ok
    return server


@pytest.fixture
def folder(hub: LocalHub, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    save_settings(Settings(username=USER, hub="local", hub_url=hub.url, default_folder=str(work)))
    return work


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.02)


def rows(screen: HubOpenScreen) -> list[str]:
    table = screen.query_one("#hub-templates", DataTable)
    return [str(key.value) for key in table.rows]


def test_search_matches_slug_or_title_in_any_case() -> None:
    template = {"slug": "eye-check", "title": "Checks eyes"}
    assert matches(template, "EYE") and matches(template, "checks ey")
    assert matches(template, "") and not matches(template, "mnist")


async def open_hub_screen(pilot: Pilot[Any], app: TaskWizardApp) -> HubOpenScreen:
    await pilot.press("h")
    screen = app.screen
    assert isinstance(screen, HubOpenScreen)
    await wait_for(pilot, lambda: len(rows(screen)) == 2, "the hub's templates")
    return screen


async def test_list_search_and_pull_into_the_wizard(hub: LocalHub, folder: Path) -> None:
    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hub_screen(pilot, app)
        assert rows(screen) == ["eye-check", "my-template"]
        status = str(screen.query_one("#hub-status", Static).render())
        assert "2 of 2 templates" in status
        await pilot.press(*"EYES")  # search by title
        assert rows(screen) == ["eye-check"]
        await pilot.press(*["backspace"] * 4, *"my-t")  # by slug
        assert rows(screen) == ["my-template"]
        await pilot.press(*["backspace"] * 4, *"zzz")
        assert rows(screen) == []
        assert "No template's slug or title matches 'zzz'" in str(
            screen.query_one("#hub-status", Static).render()
        )
        await pilot.press(*["backspace"] * 3, *"my", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), "the wizard")
        assert app.state.entry["slug"] == "my-template"
        assert app.state.config_path == str(folder / "task-templates.yaml")
        assert (folder / "my-template.yaml").is_file()
        assert app.state.task["task"]["algorithm"][0]["model"]["bitfount_model"]["username"] == USER


async def pull_open_save(
    pilot: Pilot[Any], app: TaskWizardApp, change: Callable[[TaskWizardApp], None]
) -> UploadScreen:
    screen = await open_hub_screen(pilot, app)
    await pilot.press(*"my-t", "enter", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), "the wizard")
    wizard = app.screen
    # The wizard loads its validators on a thread after the first frame: change the
    # state once it is settled, as a user's edit would come after it.
    await wait_for(pilot, lambda: bool(getattr(wizard, "_ready", True)), "the wizard's validators")
    await pilot.pause(0.1)
    change(app)
    apply_save(plan_save(app.state, app.default_folder()), app.state)  # what Save writes
    app.open_upload(Path(str(app.state.config_path)))
    await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen), "the upload screen")
    upload = app.screen
    assert isinstance(upload, UploadScreen)
    await wait_for(pilot, lambda: upload.phase == "planned", "the plan")
    del screen
    return upload


def template_action(upload: UploadScreen) -> str:
    table = upload.query_one("#plan-table", DataTable)
    found = {str(k.value): [str(c) for c in table.get_row(k)] for k in table.rows}
    status = str(upload.query_one("#upload-status", Static).render())
    assert "template:my-template" in found, (found, status)
    return found["template:my-template"][2]


async def test_after_saving_new_tags_upload_shows_tags_only(hub: LocalHub, folder: Path) -> None:
    def new_tags(app: TaskWizardApp) -> None:
        app.state.entry["tags"] = ["Prediction", "Ophthalmology"]

    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        upload = await pull_open_save(pilot, app, new_tags)
        assert template_action(upload) == ACTION_WORDS["tags_only"]


async def test_after_saving_a_task_change_upload_shows_new_version(
    hub: LocalHub, folder: Path
) -> None:
    def new_batch_size(app: TaskWizardApp) -> None:
        app.state.task["task"]["algorithm"][0]["model"]["hyperparameters"]["batch_size"] = 8

    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        upload = await pull_open_save(pilot, app, new_batch_size)
        assert template_action(upload) == ACTION_WORDS["new_version"]


async def test_without_credentials_the_screen_says_why(
    hub: LocalHub, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BITFOUNT_API_KEY_ID")
    monkeypatch.delenv("BITFOUNT_API_KEY")
    save_settings(Settings(username="bob", hub="custom", hub_url="http://127.0.0.1:9"))
    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HubOpenScreen)
        status = screen.query_one("#hub-status", Static)
        await wait_for(pilot, lambda: "Cannot list" in str(status.render()), "the message")
        assert "no credentials for http://127.0.0.1:9" in str(status.render())
        await pilot.press("escape")
        assert not isinstance(app.screen, HubOpenScreen)


async def test_every_column_fits_80_columns(hub: LocalHub, folder: Path) -> None:
    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hub_screen(pilot, app)
        table = screen.query_one("#hub-templates", DataTable)
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= 78
        assert [str(c) for c in table.get_row("my-template")] == [
            "my-template",
            "My template",
            "1",
            "published",
        ]  # the type is left out below 100 columns, to give the slug room
    wide = TaskWizardApp("home")
    async with wide.run_test(size=(120, 30)) as pilot:
        screen = await open_hub_screen(pilot, wide)
        table = screen.query_one("#hub-templates", DataTable)
        assert [str(c) for c in table.get_row("my-template")][2] == "image-classification"


async def test_a_hub_listing_versions_or_odd_entries_shows_one_row_per_slug(
    hub: LocalHub, folder: Path
) -> None:
    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hub_screen(pilot, app)
        listing: list[dict[str, Any]] = [
            {"slug": "a", "title": "A", "version": 1},
            {"slug": "a", "title": "A2", "version": 2},
            {"title": "no slug"},
            {"slug": "b", "version": "x"},
        ]
        screen._show_templates(USER, hub.url, listing)
        await pilot.pause()
        assert rows(screen) == ["a", "b"]
        table = screen.query_one("#hub-templates", DataTable)
        assert str(table.get_row("a")[1]) == "A2"


async def test_pulling_into_a_config_that_spells_the_slug_its_own_way_opens_that_entry(
    hub: LocalHub, folder: Path
) -> None:
    (folder / "task-templates.yaml").write_text(
        "task-templates:\n"
        "  - slug: Other\n    title: Other\n    type: image-classification\n"
        "    description: x\n    template: other.yaml\n    tags: []\n"
        "  - slug: My Template  # as I wrote it\n    title: Old\n    type: image-classification\n"
        "    description: old\n    template: mine.yaml\n    tags: []\n"
    )
    app = TaskWizardApp("home")
    async with app.run_test(size=SIZE) as pilot:
        await open_hub_screen(pilot, app)
        await pilot.press(*"my-t", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen), "the wizard")
        assert app.state.template_index == 1
        assert app.state.entry["slug"] == "My Template"
        assert app.state.entry["title"] == "My template"
        assert len(app.state.config["task-templates"]) == 2
