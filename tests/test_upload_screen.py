"""The upload screen, driven with the Pilot, against a real local hub on 127.0.0.1.

Retries use a no-op sleep (through the screen's client factory), so the fault tests
are fast. Waiting for a worker uses a generous bound, never a timing assertion.
"""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Static
from upload_project import MODEL_CODE, config_text, make_project, weights_bytes

from taskwizard import paths
from taskwizard.hub.auth import Credentials
from taskwizard.hub.client import HubClient
from taskwizard.hub.localhub import LocalHub
from taskwizard.hub.targets import find_identity, settings_environment
from taskwizard.settings import Settings, load_secrets, load_settings, save_settings
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.file_picker import FilePickerDialog
from taskwizard.tui.screens.upload import UploadScreen
from taskwizard.tui.widgets.upload_progress import UploadProgressList

USER = "alice"
SIZE = (80, 24)
pytestmark = pytest.mark.anyio


@pytest.fixture
def hub(local_hub_factory: Any) -> LocalHub:
    # Small parts, so a 200 kB weights file goes up as a multipart upload.
    server: LocalHub = local_hub_factory(
        username=USER, multipart_threshold=64 * 1024, chunk_size=64 * 1024
    )
    return server


@pytest.fixture
def local_settings(hub: LocalHub) -> Settings:
    """Set up for the local hub (settings in the test's folders), with no credentials."""
    settings = Settings(username=USER, hub="local", hub_url=hub.url)
    save_settings(settings)
    return settings


@pytest.fixture
def keys_in_env(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", hub.api_key_id)
    monkeypatch.setenv("BITFOUNT_API_KEY", hub.api_key)


def fast_client(chunk_size: int = 64 * 1024) -> Callable[[str, Credentials], HubClient]:
    def make(url: str, credentials: Credentials) -> HubClient:
        return HubClient(url, credentials, sleep=lambda s: None, chunk_size=chunk_size)

    return make


def free_port() -> int:
    """A port nothing listens on, for a local hub URL in the settings."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def home_app() -> TaskWizardApp:
    return TaskWizardApp("home")


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.02)


def upload_screen(app: TaskWizardApp) -> UploadScreen:
    screen = app.screen
    assert isinstance(screen, UploadScreen), f"on {type(screen).__name__}"
    return screen


def plan_rows(screen: UploadScreen) -> dict[str, list[str]]:
    table = screen.query_one("#plan-table", DataTable)
    out = {}
    for row_key in table.rows:
        assert row_key.value is not None
        out[row_key.value] = [str(cell) for cell in table.get_row(row_key)]
    return out


def shown(screen: UploadScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def states(screen: UploadScreen) -> dict[str, str]:
    progress = screen.query_one("#progress-list", UploadProgressList)
    return {file_id: event.state for file_id, event in progress.events.items()}


# ------------------------------------------------------------------ tests
@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_plan_then_upload_creates_everything_on_the_local_hub(
    tmp_path: Path, hub: LocalHub
) -> None:
    config = make_project(tmp_path / "p")
    app = TaskWizardApp("upload", path=config)
    async with app.run_test(size=SIZE) as pilot:
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        assert f"as {USER}" in shown(screen, "#upload-identity")
        assert "BITFOUNT_API_KEY_ID" in shown(screen, "#upload-identity")
        rows = plan_rows(screen)
        code_size = f"{len(MODEL_CODE.encode())} B"
        assert rows == {
            "model:MyModel": ["model code", "MyModel.py", "new", code_size, "not on the hub yet"],
            "weights:MyModel": [
                *["weights", "MyModel.pt", "new", "195.3 KiB"],
                "uploaded with the new model",
            ],
            "template:my-template": ["template", "my-template", "new", "", "not on the hub yet"],
        }
        assert "3 changes to upload" in shown(screen, "#upload-status")
        # Everything needed fits 80x24: the whole plan and the Upload button.
        upload_button = screen.query_one("#upload-button")
        assert screen.region.contains_region(upload_button.region)
        assert upload_button.region.area > 0 and not upload_button.disabled
        table = screen.query_one("#plan-table", DataTable)
        assert table.region.height >= len(rows) + 3  # header, rows and border
        assert hub.templates(USER) == []  # planning changes nothing

        await pilot.press("u")
        await wait_for(pilot, lambda: screen.phase == "finished", "the upload")
        assert states(screen) == {
            "model:MyModel": "done",
            "weights:MyModel": "done",
            "template:my-template": "done",
        }
        progress = screen.query_one("#progress-list", UploadProgressList)
        for file_id in ("model:MyModel", "weights:MyModel"):
            event = progress.events[file_id]
            assert event.bytes_done == event.bytes_total > 0
        summary = shown(screen, "#upload-summary")
        assert f"{hub.url}/api/task-templates/{USER}/my-template" in summary
        assert "3 done" in summary

        # Plan again: the hub has it all now, so there is nothing to upload.
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.phase == "planned", "the second plan")
        assert {row[2] for row in plan_rows(screen).values()} == {"unchanged"}
        assert "nothing to upload" in shown(screen, "#upload-status")
        assert screen.check_action("upload", ()) is None

    (template,) = hub.templates(USER)
    assert template["slug"] == "my-template"
    ref = template["template"]["task"]["algorithm"][0]["model"]["bitfount_model"]
    assert ref["model_version"] == 1
    assert hub.model_code(USER, "MyModel", 1) == MODEL_CODE.encode()
    assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(200_000)


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_an_invalid_config_lists_its_problems_and_cannot_be_uploaded(
    tmp_path: Path, hub: LocalHub
) -> None:
    config = make_project(
        tmp_path / "p",
        config=config_text(sample_url=None).replace(
            "template: task.yaml", "template: missing.yaml"
        ),
    )
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        assert screen.plan is not None and screen.plan.refused
        problems = shown(screen, "#plan-problems")
        assert f"{config}:6:15: error:" in problems
        assert "nothing can be uploaded" in shown(screen, "#upload-status")
        assert screen.check_action("upload", ()) is None  # greyed out
        await pilot.press("u")
        await pilot.pause()
        assert screen.phase == "planned"
    assert hub.request_log == [] or all(r.method == "GET" for r in hub.request_log)


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_a_failed_file_shows_its_reason_and_retry_finishes_the_upload(
    tmp_path: Path, hub: LocalHub
) -> None:
    config = make_project(tmp_path / "p")
    # Every attempt (1 + 3 retries) at the first weights part fails.
    hub.faults.fail("PUT", r"^/storage/part/", status=500, times=4)
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.phase == "finished", "the upload")
        assert states(screen) == {
            "model:MyModel": "done",
            "weights:MyModel": "failed",
            "template:my-template": "failed",
        }
        progress = screen.query_one("#progress-list", UploadProgressList)
        weights_row = progress.row("weights:MyModel")
        weights_error = progress.events["weights:MyModel"].error or ""
        assert "part 1 of MyModel.pt (500" in weights_error
        assert f"failed: {weights_error}" in str(
            weights_row.query_one(".file-row--title", Static).render()
        )
        assert "because model MyModel's weights failed" in (
            progress.events["template:my-template"].error or ""
        )
        assert "2 file(s) not uploaded" in shown(screen, "#upload-status")
        assert hub.model_weights(USER, "MyModel", 1) is None
        assert hub.templates(USER) == []

        await pilot.press("r")
        await wait_for(pilot, lambda: screen.phase == "finished", "the retry")
        assert set(states(screen).values()) == {"done"}
        assert screen.result is not None and screen.result.ok
    assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(200_000)
    assert len(hub.template_versions(USER, "my-template")) == 1
    assert [m["modelVersion"] for m in hub.models()] == [1]  # the retry made no new version


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_cancel_stops_between_chunks_and_the_rest_can_be_uploaded_later(
    tmp_path: Path, hub: LocalHub
) -> None:
    size = 2 * 1024 * 1024
    config = make_project(tmp_path / "p", weights_size=size)
    reached, release = threading.Event(), threading.Event()
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client(chunk_size=16 * 1024)))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        forward = screen.forward_progress

        def paused_mid_weights(event: Any) -> None:
            forward(event)
            if event.file_id == "weights:MyModel" and event.bytes_done > 0 and not release.is_set():
                reached.set()
                release.wait(30)  # the worker holds here, mid-file, until the test has pressed c

        screen.forward_progress = paused_mid_weights  # type: ignore[method-assign]
        await pilot.press("u")
        await wait_for(pilot, reached.is_set, "the weights upload to start")
        assert screen.phase == "uploading"
        await pilot.press("c")
        release.set()
        await wait_for(pilot, lambda: screen.phase == "finished", "the cancelled upload")
        assert states(screen) == {
            "model:MyModel": "done",
            "weights:MyModel": "cancelled",
            "template:my-template": "cancelled",
        }
        assert screen.result is not None and screen.result.cancelled
        weights = screen.query_one("#progress-list", UploadProgressList).events["weights:MyModel"]
        assert 0 < weights.bytes_done < size
        assert "Cancelled" in shown(screen, "#upload-summary")
        assert hub.model_weights(USER, "MyModel", 1) is None

        await pilot.press("r")
        await wait_for(pilot, lambda: screen.phase == "finished", "the rest of the upload")
        assert set(states(screen).values()) == {"done"}
    assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(size)
    assert len(hub.templates(USER)) == 1


@pytest.mark.usefixtures("local_settings")
async def test_missing_credentials_are_asked_for_saved_0600_and_never_shown(
    tmp_path: Path, hub: LocalHub
) -> None:
    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await pilot.pause()
        assert screen.phase == "identity"
        assert "no credentials" in shown(screen, "#upload-identity")
        assert app.focused is screen.query_one("#key-id-input", Input)
        assert screen.region.contains_region(screen.query_one("#identity-continue").region)
        screen.query_one("#key-id-input", Input).value = hub.api_key_id
        await pilot.press("enter")
        assert app.focused is screen.query_one("#key-input", Input)
        await pilot.press(*hub.api_key[:3])  # typed like any Input; the rest set at once
        screen.query_one("#key-input", Input).value = hub.api_key
        screen.query_one("#remember", Checkbox).value = True
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        assert "API key saved in taskwizard's settings" in shown(screen, "#upload-identity")
        assert len(plan_rows(screen)) == 3
        assert hub.api_key not in app.export_screenshot()
        assert screen.query_one("#key-input", Input).value == ""
    secrets = load_secrets()
    assert secrets.api_key_id == hub.api_key_id
    assert secrets.api_key is not None and secrets.api_key.get_secret_value() == hub.api_key
    assert stat.S_IMODE(os.stat(paths.secrets_file()).st_mode) == 0o600


def test_the_local_hubs_own_key_pair_is_found_for_the_local_hub(tw_dirs: dict[str, Path]) -> None:
    settings = Settings(username=USER, hub="local")
    save_settings(settings)
    with LocalHub(paths.local_hub_dir(), username=USER, port=0) as server:
        identity = find_identity(settings_environment(settings), USER)
        assert identity.complete
        assert identity.credentials is not None
        assert identity.credentials.api_key_id == server.api_key_id
        assert "local hub" in identity.credentials.source
        assert server.api_key not in identity.credentials.source
    assert find_identity(settings_environment(settings), "bob").credentials is None


async def test_the_username_is_checked_and_alone_is_enough_when_the_local_hub_knows_it(
    tmp_path: Path, local_hub_factory: Any
) -> None:
    """Set up offline without a username: typing it finds `taskwizard hub`'s key pair."""
    server = local_hub_factory(username=USER, data_dir=paths.local_hub_dir())
    save_settings(Settings(hub="local", hub_url=server.url))
    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await pilot.pause()
        assert screen.phase == "identity"
        username = screen.query_one("#username-input", Input)
        assert app.focused is username
        await pilot.press(*"Alice")
        assert "lowercase" in shown(screen, "#username-check")  # checked as it is typed
        await pilot.press("enter", "enter", "enter")  # through the empty key fields: submit
        assert screen.phase == "identity" and app.focused is username
        username.value = USER
        screen.query_one("#remember", Checkbox).value = True
        await pilot.press("enter", "enter", "enter")  # no key typed: look again with the name
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        assert "the local hub's API key for alice" in shown(screen, "#upload-identity")
    assert load_settings().username == USER


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_a_hub_that_is_not_running_is_reported_planned_again_and_started_here(
    tmp_path: Path,
) -> None:
    config = make_project(tmp_path / "p")
    port = free_port()
    save_settings(Settings(username=USER, hub="local", hub_url=f"http://127.0.0.1:{port}"))
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "plan-failed", "the plan to fail")
        status = shown(screen, "#upload-status")
        assert "Cannot make the plan" in status and "taskwizard hub" in status
        assert "l starts it here" in status
        assert screen.query_one("#start-local-button").display
        assert "Traceback" not in app.export_screenshot()
        await pilot.press("r")
        assert screen.phase in ("planning", "plan-failed")
        await wait_for(pilot, lambda: screen.phase == "plan-failed", "the plan to fail again")
        await pilot.press("l")
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan on the started hub")
        assert screen.local_hub is not None and screen.local_hub.port == port
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, UploadScreen)
        assert screen.local_hub is None


async def test_a_new_offline_user_starts_the_local_hub_from_the_screen_and_uploads(
    tmp_path: Path,
) -> None:
    port = free_port()
    save_settings(Settings(username=USER, hub="local", hub_url=f"http://127.0.0.1:{port}"))
    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await pilot.pause()
        assert screen.phase == "identity"
        for _ in range(12):  # keyboard only: Tab to the button
            if app.focused is not None and app.focused.id == "start-local-button":
                break
            await pilot.press("tab")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        hub = screen.local_hub
        assert hub is not None and hub.url == f"http://127.0.0.1:{port}"
        assert hub.data_dir == paths.local_hub_dir()
        assert "the local hub started here" in shown(screen, "#upload-identity")
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.phase == "finished", "the upload")
        assert set(states(screen).values()) == {"done"}
        assert [t["slug"] for t in hub.templates(USER)] == ["my-template"]
        await pilot.press("escape")
        await pilot.pause()
        assert screen.local_hub is None
    # Stopped with the screen: the folder is free for `taskwizard hub` again.
    with LocalHub(paths.local_hub_dir(), username=USER, port=0) as again:
        assert [t["slug"] for t in again.templates(USER)] == ["my-template"]


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_reached_from_home_and_after_saving(tmp_path: Path, hub: LocalHub) -> None:
    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("u")  # Upload, on the home screen: which config?
        await pilot.pause()
        assert isinstance(app.screen, FilePickerDialog)
        app.screen.query_one("#picker-path", Input).value = str(tmp_path / "nope.yaml")
        await pilot.press("enter")
        await pilot.pause()
        # A path that does not exist: said so, and the picker asks again.
        assert isinstance(app.screen, FilePickerDialog)
        app.screen.query_one("#picker-path", Input).value = str(config)
        await pilot.press("enter")
        screen = upload_screen(app)
        assert screen.config_path == config
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, UploadScreen)

        app.state.config_path = str(config)
        app._after_saved("upload")  # what SavedDialog's "Upload this config to the Hub" returns
        await pilot.pause()
        screen = upload_screen(app)
        assert screen.config_path == config
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")


@pytest.mark.usefixtures("local_settings")
async def test_refused_credentials_are_named_and_others_can_be_typed(
    tmp_path: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", hub.api_key_id)
    monkeypatch.setenv("BITFOUNT_API_KEY", "not-the-key")
    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.identity.problem is not None, "the refusal")
        assert screen.phase == "identity"
        intro = shown(screen, "#identity-intro")
        assert "401" in intro and "BITFOUNT_API_KEY_ID" in intro
        assert "not-the-key" not in app.export_screenshot()
        screen.query_one("#key-id-input", Input).value = hub.api_key_id
        screen.query_one("#key-input", Input).value = hub.api_key
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        assert "typed here, for this session" in shown(screen, "#upload-identity")


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_a_file_changed_after_the_plan_fails_until_planned_again(
    tmp_path: Path, hub: LocalHub
) -> None:
    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        (config.parent / "MyModel.pt").write_bytes(weights_bytes(300_000))  # edited meanwhile
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.phase == "finished", "the upload")
        weights = screen.query_one("#progress-list", UploadProgressList).events["weights:MyModel"]
        assert weights.state == "failed"
        assert "changed after the plan was made" in (weights.error or "")
        assert "p[/b] makes a new plan" in screen._status_text()
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.phase == "planned", "the new plan")
        assert plan_rows(screen)["weights:MyModel"][3] == "293.0 KiB"
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.phase == "finished", "the second upload")
        assert screen.result is not None and screen.result.ok
    latest = max(m["modelVersion"] for m in hub.models())
    assert hub.model_weights(USER, "MyModel", latest) == weights_bytes(300_000)


@pytest.mark.usefixtures("local_settings", "keys_in_env")
async def test_the_hub_selector_and_upload_button_work_from_the_keyboard(tmp_path: Path) -> None:
    from textual.widgets import Button, Select

    config = make_project(tmp_path / "p")
    app = home_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = upload_screen(app)
        await wait_for(pilot, lambda: screen.phase == "planned", "the plan")
        reached: set[str] = set()
        for _ in range(10):
            await pilot.press("tab")
            if app.focused is not None and app.focused.id:
                reached.add(app.focused.id)
        assert {"hub-select", "upload-button"} <= reached
        hub_select = screen.query_one("#hub-select", Select)
        hub_select.focus()
        await pilot.pause()
        before = hub_select.value
        # Open, the last hub (dev: keys from the environment, so it plans at once), choose.
        await pilot.press("enter", "up", "enter")
        await wait_for(pilot, lambda: screen.phase not in ("planned", "planning"), "the new plan")
        assert hub_select.value != before
        assert app.focused is not None  # not left on nothing after the choice
        assert isinstance(screen.query_one("#upload-button"), Button)
