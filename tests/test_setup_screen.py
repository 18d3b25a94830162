"""Pilot tests: the first-time setup, walked with the keyboard in the real app."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui_helpers import tw_app

import taskwizard.tui.app as app_module
from taskwizard import paths, settings
from taskwizard.settings import Secrets, Settings
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.screens.home import HomeScreen
from taskwizard.tui.screens.setup import SetupScreen

KEY_ID = "kid-Q7"
KEY = "sk-Z9w4"
SIZE = (80, 24)
pytestmark = pytest.mark.anyio


class RecordingApp(TaskWizardApp):
    """The real app; routes that would leave the home screen are recorded instead."""

    CSS_PATH = [str(Path(app_module.__file__).with_name("app.tcss"))]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[tuple[str, Any]] = []

    def start_new(self, state: Any = None) -> None:
        self.calls.append(("start_new", None))

    def resume_draft(self, draft_id: str | None = None) -> None:
        self.calls.append(("resume_draft", draft_id))

    def open_file(self, path: Path | None = None) -> None:
        self.calls.append(("open_file", path))

    def open_upload(self, config_path: Path | None = None) -> None:
        self.calls.append(("open_upload", config_path))


@pytest.fixture(autouse=True)
def _fresh_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "_problems", [])


def screen_text(app: TaskWizardApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


def setup_screen(app: TaskWizardApp) -> SetupScreen:
    assert isinstance(app.screen, SetupScreen), type(app.screen)
    return app.screen


def all_files_text(tw_dirs: dict[str, Path], *, skip: Path | None = None) -> dict[Path, str]:
    out = {}
    for root in tw_dirs.values():
        for file in root.rglob("*"):
            if file.is_file() and file != skip:
                out[file] = file.read_text(errors="replace")
    return out


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


async def walk_username_and_hub(pilot: Pilot[None], username: str = "alice") -> None:
    app = pilot.app
    assert isinstance(app, TaskWizardApp)
    screen = setup_screen(app)
    assert screen.step == "username"
    assert screen.focused is screen.query_one("#username")
    await type_text(pilot, username)
    await pilot.press("enter")
    assert screen.step == "hub"
    await pilot.press("enter")  # Production is highlighted: choose it
    await pilot.pause()
    assert screen.step == "auth"


async def set_folder(pilot: Pilot[None], folder: Path) -> None:
    screen = setup_screen(tw_app(pilot))
    assert screen.step == "folder"
    # typing a long temporary path key by key only slows the test down
    screen.query_one("#default-folder", Input).value = str(folder)
    await pilot.pause()


async def test_first_run_with_api_key(tw_dirs: dict[str, Path], tmp_path: Path) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await walk_username_and_hub(pilot)
        screen = setup_screen(app)
        await pilot.press("enter")  # API key is highlighted: choose it, focus the key id
        assert screen.focused is screen.query_one("#api-key-id")
        await type_text(pilot, KEY_ID)
        await pilot.press("enter")
        key_input = screen.query_one("#api-key", Input)
        assert screen.focused is key_input and key_input.password
        await type_text(pilot, KEY)
        await pilot.pause()
        assert KEY not in screen_text(app)  # hidden as typed
        assert str(paths.secrets_file()) in screen_text(app).replace("\n", "")  # where it goes
        await pilot.press("enter")
        await set_folder(pilot, tmp_path / "templates" / "new")
        assert "will be created" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    saved = json.loads(paths.settings_file().read_text())
    assert saved == {
        "username": "alice",
        "hub": "production",
        "hub_url": None,
        "auth_method": "api_key",
        "default_folder": str(tmp_path / "templates" / "new"),
        "format_version": 1,
    }
    assert (tmp_path / "templates" / "new").is_dir()
    secrets_file = paths.secrets_file()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.config_dir().stat().st_mode) == 0o700
    secrets = settings.load_secrets()
    assert secrets.api_key_id == KEY_ID
    assert secrets.api_key is not None and secrets.api_key.get_secret_value() == KEY
    for file, text in all_files_text(tw_dirs, skip=secrets_file).items():
        assert KEY not in text, f"the API key leaked into {file}"
        assert KEY_ID not in text, f"the API key id leaked into {file}"


async def test_first_run_with_device_code(tw_dirs: dict[str, Path], tmp_path: Path) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await walk_username_and_hub(pilot, "bob_2")
        screen = setup_screen(app)
        await pilot.press("down")
        await pilot.pause()
        assert not screen.query_one("#api-key-fields").display
        assert "first time you upload" in screen_text(app)
        await pilot.press("enter")  # choose the browser login: next step
        await set_folder(pilot, tmp_path)
        assert "exists" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    saved = settings.load_settings()
    assert (saved.username, saved.auth_method, saved.hub) == ("bob_2", "device_code", "production")
    assert not paths.secrets_file().exists()  # nothing secret yet: tokens come at upload


async def test_first_run_with_environment_variables(
    tw_dirs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", KEY_ID)
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await walk_username_and_hub(pilot)
        await pilot.press("down", "down")
        await pilot.pause()
        text = screen_text(app)
        assert "BITFOUNT_API_KEY_ID: set" in text
        assert "BITFOUNT_API_KEY: not set" in text
        assert KEY_ID not in text  # presence only, never the value
        await pilot.press("enter")
        await set_folder(pilot, tmp_path)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert settings.load_settings().auth_method == "environment"
    for file, text in all_files_text(tw_dirs).items():
        assert KEY_ID not in text, f"an environment value leaked into {file}"


async def test_skip_offline_with_local_hub(tw_dirs: dict[str, Path]) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")  # from the username to the skip button
        assert app.focused is not None and app.focused.id == "skip-offline"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    saved = settings.load_settings()
    assert (saved.hub, saved.username, saved.auth_method) == ("local", "local-user", None)
    assert saved.resolved_hub_url() == "http://127.0.0.1:3000"
    assert not settings.needs_setup()


async def test_username_checked_live_and_blocks_next(tw_dirs: dict[str, Path]) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await type_text(pilot, "Alice")
        await pilot.pause()
        check = screen.query_one("#username-check", Static)
        assert "lowercase" in screen_text(app)
        assert check.has_class("error")
        await pilot.press("enter")
        assert screen.step == "username"  # not accepted
        await pilot.press("ctrl+u", *"al--ice", "enter")
        assert screen.step == "username"
        assert "between two letters" in screen_text(app)
        await pilot.press("ctrl+u", *"alice", "enter")
        assert screen.step == "hub"


async def test_custom_hub_url_checked(tw_dirs: dict[str, Path], tmp_path: Path) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await pilot.press(*"carol", "enter")
        await pilot.press("end", "enter")  # Custom URL…
        await pilot.pause()
        url = screen.query_one("#hub-url", Input)
        assert url.display and screen.focused is url
        await pilot.press(*"hub.x", "enter")
        await pilot.pause()
        assert screen.step == "hub"
        assert "http://" in screen_text(app)
        url.value = "https://hub.example.org"
        await pilot.press("end", "/", "enter")
        await pilot.pause()
        assert screen.step == "auth"
        # a custom hub has no browser login: choosing it is refused with a reason
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.step == "auth"
        assert "API key" in screen.query_one("#auth-check", Static).render().plain  # type: ignore[union-attr]
        await pilot.press("up", "enter", *KEY_ID, "enter", *KEY, "enter")
        await set_folder(pilot, tmp_path)
        await pilot.press("enter")
        await pilot.pause()
    saved = settings.load_settings()
    assert (saved.hub, saved.hub_url) == ("custom", "https://hub.example.org")
    assert saved.resolved_hub_url() == "https://hub.example.org"


async def test_escape_goes_back_then_leaves_without_saving(tw_dirs: dict[str, Path]) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await walk_username_and_hub(pilot)
        screen = setup_screen(app)
        await pilot.press("escape")
        assert screen.step == "hub"
        await pilot.press("escape")
        assert screen.step == "username"
        assert screen.query_one("#username", Input).value == "alice"  # kept while going back
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "press s for Settings" in screen_text(app)
    assert settings.needs_setup()
    assert list(paths.config_dir().iterdir()) == []


async def test_settings_mode_keeps_saved_key_and_drops_it_when_unused(
    tw_dirs: dict[str, Path], tmp_path: Path
) -> None:
    settings.save_settings(
        Settings(
            username="dave", hub="staging", auth_method="api_key", default_folder=str(tmp_path)
        )
    )
    settings.save_secrets(Secrets(api_key_id=KEY_ID, api_key=KEY))  # type: ignore[arg-type]
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("s")
        await pilot.pause()
        screen = setup_screen(app)
        assert screen.mode == "settings"
        assert screen.query_one("#username", Input).value == "dave"
        await pilot.press("enter")  # username as it was
        await pilot.press("enter")  # staging is highlighted
        await pilot.press("enter")  # API key highlighted; key id prefilled
        assert screen.query_one("#api-key-id", Input).value == KEY_ID
        assert screen.query_one("#api-key", Input).value == ""  # never shown again
        await pilot.press("enter", "enter")  # keep the saved key
        await pilot.press("enter")  # folder as it was
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    secrets = settings.load_secrets()
    assert secrets.api_key is not None and secrets.api_key.get_secret_value() == KEY
    assert settings.load_settings().hub == "staging"

    app = RecordingApp(mode="setup")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", "enter", "down", "down", "enter", "enter")
        await pilot.pause()
    assert settings.load_settings().auth_method == "environment"
    assert settings.load_secrets().api_key is None
    assert KEY not in paths.secrets_file().read_text()
    assert stat.S_IMODE(paths.secrets_file().stat().st_mode) == 0o600


async def test_corrupt_settings_file_runs_setup_with_message(tw_dirs: dict[str, Path]) -> None:
    paths.settings_file().write_text('{"username": "eve", "hub": ')
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        setup_screen(app)
        text = screen_text(app).replace("\n", " ")
        assert "settings.json" in text and "moved to settings.json.corrupt" in text
    assert paths.settings_file().with_name("settings.json.corrupt").exists()


async def test_every_step_fits_80x24(tw_dirs: dict[str, Path]) -> None:
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await pilot.press(*"alice")
        for step in ("username", "hub", "auth", "folder"):
            assert screen.step == step
            await pilot.pause()
            visible = [
                w
                for w in screen.query(f"#step-{step} *, #setup-buttons Button")
                if w.display and (w.parent is None or w.parent.display)
            ]
            for widget in visible:
                region = widget.region
                assert region.height > 0, f"{widget} is squeezed out on step {step}"
                assert region.bottom <= SIZE[1] - 1, f"{widget} is below the footer on {step}"
            if step == "hub":
                await pilot.press("enter")
            elif step == "auth":
                await pilot.press("down", "enter")
            elif step == "username":
                await pilot.press("enter")


async def test_device_code_login_now_against_the_local_hub(
    tw_dirs: dict[str, Path], tmp_path: Path, local_hub_factory: Any
) -> None:
    import re

    hub = local_hub_factory(username="testuser", device_interval=1)
    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await pilot.press(*"testuser", "enter")
        # A custom URL on loopback is a local hub too; the "Local hub" choice itself
        # skips the sign-in step (setup makes its key pair).
        await pilot.press("down", "down", "down", "down", "down")
        await pilot.pause()
        screen.query_one("#hub-url", Input).value = hub.url  # where this test's hub runs
        await pilot.press("enter", "enter")  # choose Custom (to its URL), then next
        await pilot.pause()
        assert screen.step == "auth"
        await pilot.press("down")  # browser login
        await pilot.pause()
        login = screen.query_one("#device-login")
        assert login.display
        await pilot.press("tab")
        assert screen.focused is login
        await pilot.press("enter")
        code = None
        for _ in range(200):
            await pilot.pause(0.05)
            found = re.search(r"confirm the code (\S+)\.", screen_text(app))
            if found:
                code = found.group(1)
                break
        assert code is not None, screen_text(app)
        assert hub.approve_device_code(code)
        for _ in range(400):
            await pilot.pause(0.05)
            if "Logged in as testuser" in screen_text(app):
                break
        assert "Logged in as testuser" in screen_text(app), screen_text(app)
        assert not paths.secrets_file().exists()  # nothing is written before Finish
        await pilot.press("shift+tab", "enter")  # back to the list: choose, next step
        await set_folder(pilot, tmp_path)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    saved = settings.load_settings()
    assert (saved.hub, saved.hub_url, saved.auth_method) == ("custom", hub.url, "device_code")
    secrets_file = paths.secrets_file()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    tokens = settings.load_secrets().tokens[hub.url]
    access = tokens["access_token"]
    assert access and tokens["refresh_token"]
    for file, text in all_files_text(tw_dirs, skip=secrets_file).items():
        assert access not in text, f"the access token leaked into {file}"
        assert tokens["refresh_token"] not in text, f"the refresh token leaked into {file}"


async def test_first_run_with_the_local_hub_asks_no_key_and_makes_its_key_pair(
    tw_dirs: dict[str, Path], tmp_path: Path
) -> None:
    from taskwizard.hub.auth import local_hub_credentials
    from taskwizard.hub.localhub import CREDENTIALS_NAME, LocalHub

    app = RecordingApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = setup_screen(app)
        await type_text(pilot, "alice")
        await pilot.press("enter")
        assert screen.step == "hub"
        await pilot.press("down", "down", "down", "down")  # production … dev, local
        await pilot.pause()
        assert "No key to type" in " ".join(screen_text(app).split())
        await pilot.press("enter")
        await pilot.pause()
        assert screen.step == "folder"  # no "How to sign in" step for the local hub
        await pilot.press("escape")
        await pilot.pause()
        assert screen.step == "hub"  # and none on the way back
        await pilot.press("enter")
        await pilot.pause()
        await set_folder(pilot, tmp_path)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    saved = settings.load_settings()
    assert (saved.hub, saved.username, saved.auth_method) == ("local", "alice", None)
    key_file = paths.local_hub_dir() / CREDENTIALS_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    made = local_hub_credentials("alice")
    assert made is not None  # what an upload uses…
    hub = LocalHub(paths.local_hub_dir(), username="alice")  # …is what the hub accepts
    assert (hub.api_key_id, hub.credentials_source) == (made.api_key_id, "stored")
