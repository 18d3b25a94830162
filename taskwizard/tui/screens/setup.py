"""First-time setup (and Settings later): username, hub, authentication, folder.

Pushed as ``push_screen(SetupScreen(mode=...), callback)``; dismisses with
``True`` once settings (and secrets, mode 0600) are saved, ``False`` when
the user leaves without saving (Escape on the first step). Nothing is written
before the last step, so leaving half-way changes nothing.

Keyboard: Tab/Shift+Tab between fields, Enter = next (in a list: choose),
Escape = back, Ctrl+Q quits.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from taskwizard import paths
from taskwizard.hub.environments import (
    ENVIRONMENTS,
    LOCAL_HUB_URL,
    Environment,
    HubConfigError,
    normalise_hub_url,
    resolve_hub,
)
from taskwizard.settings import (
    ENV_API_KEY,
    ENV_API_KEY_ID,
    HUB_URLS,
    AuthMethod,
    Secrets,
    Settings,
    environment_keys_set,
    load_secrets,
    load_settings,
    save_secrets,
    save_settings,
    settings_problem,
    validate_username,
)

SetupMode = Literal["first-run", "settings"]
SETUP_STEPS: tuple[tuple[str, str], ...] = (
    ("username", "Your Bitfount username"),
    ("hub", "Which Hub"),
    ("auth", "How to sign in"),
    ("folder", "Default folder for new files"),
)
SETUP_STEP_IDS = tuple(step for step, _ in SETUP_STEPS)
OFFLINE_USERNAME = "local-user"

HUB_LABELS: dict[str, str] = {
    "production": f"Production   {HUB_URLS['production']}",
    "staging": f"Staging      {HUB_URLS['staging']}",
    "sandbox": f"Sandbox      {HUB_URLS['sandbox']}",
    "dev": f"Dev          {HUB_URLS['dev']}",
    # Its real address: Dev is on port 3000 of this machine too.
    "local": f"Local hub    {LOCAL_HUB_URL} (taskwizard hub), offline",
    "custom": "Custom URL…",
}
AUTH_LABELS: dict[str, str] = {
    "api_key": "API key (key id + key)",
    "device_code": "Browser login (device code)",
    "environment": f"Environment variables {ENV_API_KEY_ID} / {ENV_API_KEY}",
}
WELCOME = (
    "Welcome to taskwizard! Four short steps set it up for uploading to Bitfount; "
    "every answer can be changed later with Settings (s on the home screen)."
)
EXPLAIN: dict[str, str] = {
    "username": (
        "taskwizard uploads task templates under your Bitfount username, and fills it in "
        "where a task needs its owner. Lowercase letters, digits, '-' and '_'."
    ),
    "hub": (
        "The Bitfount Hub your templates are uploaded to. Most people use Production; "
        "the local hub runs on this computer, so you can try everything offline."
    ),
    "auth": (
        "How taskwizard proves who you are when it uploads. Nothing is sent now; "
        "you can change this later in Settings."
    ),
    "folder": (
        "Where new task-templates configs and task YAML files are saved unless you "
        "choose another place. It is created if it does not exist."
    ),
}


class SetupScreen(Screen[bool]):
    CSS_PATH = "setup.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "next", "Next"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self, mode: SetupMode = "first-run") -> None:
        super().__init__()
        self.mode: SetupMode = mode
        self.saved_settings = load_settings()
        self.saved_secrets = load_secrets()
        self.step_index = 0
        self.hub: str = self.saved_settings.hub
        self.auth: AuthMethod = self.saved_settings.auth_method or "api_key"
        #: Tokens from a "Log in now" device-code login, per hub URL; saved on Finish.
        self.new_tokens: dict[str, dict[str, Any]] = {}
        self.login_username: str | None = None
        self._login_cancel: threading.Event | None = None

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        settings, secrets = self.saved_settings, self.saved_secrets
        yield Static("", id="setup-title")
        problem = settings_problem()
        if problem:
            yield Static(problem, id="setup-problem", markup=False)
        with ContentSwitcher(initial="step-username", id="setup-steps"):
            with Vertical(id="step-username", classes="setup-step"):
                if self.mode == "first-run":
                    yield Static(WELCOME, id="setup-welcome")
                yield Static(EXPLAIN["username"], classes="explain")
                yield Input(
                    settings.username or "",
                    placeholder="your Bitfount username, e.g. alice-smith",
                    id="username",
                )
                yield Static("", id="username-check", classes="check")
                if self.mode == "first-run":
                    yield Static(
                        "No Bitfount account yet? Try taskwizard offline first:",
                        classes="explain",
                    )
                    yield Button("Skip — try it offline with the local hub", id="skip-offline")
            with Vertical(id="step-hub", classes="setup-step"):
                yield Static(EXPLAIN["hub"], classes="explain")
                yield OptionList(
                    *[Option(label, id=hub) for hub, label in HUB_LABELS.items()], id="hub-list"
                )
                hub_url = settings.hub_url or (LOCAL_HUB_URL if settings.hub == "local" else "")
                yield Input(hub_url, placeholder="https://hub.example.org", id="hub-url")
                yield Static("", id="hub-check", classes="check")
            with Vertical(id="step-auth", classes="setup-step"):
                yield Static(EXPLAIN["auth"], classes="explain")
                yield OptionList(
                    *[Option(label, id=auth) for auth, label in AUTH_LABELS.items()],
                    id="auth-list",
                )
                with Horizontal(id="api-key-fields"):
                    key_id = Input(
                        secrets.api_key_id or "", placeholder="API key id", id="api-key-id"
                    )
                    key_id.border_title = "API key id"
                    yield key_id
                    key = Input(
                        "",
                        password=True,
                        placeholder=(
                            "(saved — leave empty to keep it)"
                            if secrets.api_key
                            else "API key (hidden as you type)"
                        ),
                        id="api-key",
                    )
                    key.border_title = "API key"
                    yield key
                yield Static("", id="auth-detail", classes="explain", markup=False)
                yield Button("Log in now (optional)", id="device-login")
                yield Static("", id="auth-check", classes="check", markup=False)
            with Vertical(id="step-folder", classes="setup-step"):
                yield Static(EXPLAIN["folder"], classes="explain")
                yield Input(
                    settings.default_folder or str(Path.cwd()),
                    placeholder="a folder, e.g. ~/bitfount-templates",
                    id="default-folder",
                )
                yield Static("", id="folder-check", classes="check", markup=False)
        with Horizontal(id="setup-buttons"):
            yield Button("◀ Back", id="setup-back")
            yield Button("Next ▶", id="setup-next", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#hub-list", OptionList).highlighted = list(HUB_LABELS).index(self.hub)
        self.query_one("#auth-list", OptionList).highlighted = list(AUTH_LABELS).index(self.auth)
        self.show_step(0)

    # ------------------------------------------------------------------ steps
    @property
    def step(self) -> str:
        return SETUP_STEP_IDS[self.step_index]

    def show_step(self, index: int) -> None:
        if SETUP_STEP_IDS[index] != "auth":
            self._cancel_login()
        self.step_index = index
        step = self.step
        self.query_one("#setup-steps", ContentSwitcher).current = f"step-{step}"
        heading = "Set up taskwizard" if self.mode == "first-run" else "Settings"
        self.query_one("#setup-title", Static).update(
            f"{heading} · {index + 1}/{len(SETUP_STEPS)} {SETUP_STEPS[index][1]}"
            " · Enter next · Esc back"
        )
        last = index == len(SETUP_STEPS) - 1
        self.query_one("#setup-next", Button).label = "Finish ✔" if last else "Next ▶"
        self.query_one("#setup-back", Button).label = (
            "◀ Back" if index else ("Cancel" if self.mode == "settings" else "Later")
        )
        if step == "hub":
            self._show_hub(self.hub)
        elif step == "auth":
            self._show_auth(self.auth)
        elif step == "folder":
            self._check_folder(show_ok=True)
        self.query_one(f"#{self._first_field(step)}").focus()

    def _first_field(self, step: str) -> str:
        return {
            "username": "username",
            "hub": "hub-list",
            "auth": "auth-list",
            "folder": "default-folder",
        }[step]

    def action_next(self) -> None:
        error = self.check_step(self.step)
        if error is not None:
            return
        if self.step_index == len(SETUP_STEPS) - 1:
            self.finish()
        else:
            self.show_step(self._skip_auth(self.step_index + 1, +1))

    def _skip_auth(self, index: int, direction: int) -> int:
        """The local hub needs no sign-in step: setup makes or reads its key pair itself."""
        if SETUP_STEP_IDS[index] == "auth" and self.hub == "local":
            return index + direction
        return index

    def action_back(self) -> None:
        if self.step_index > 0:
            self.show_step(self._skip_auth(self.step_index - 1, -1))
            return
        if self.mode == "first-run":
            self.notify(
                "Setup not finished: it runs again next time, or press s for Settings.",
                timeout=5,
            )
        self.dismiss(False)

    @on(Button.Pressed, "#setup-next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#setup-back")
    def _back_pressed(self) -> None:
        self.action_back()

    # -------------------------------------------------------------- username
    @on(Input.Changed, "#username")
    def _username_changed(self, event: Input.Changed) -> None:
        value = event.value.strip()
        label = self.query_one("#username-check", Static)
        if not value:
            label.update("")
            return
        self._show_check(label, validate_username(value), "✓ a valid Bitfount username")

    @on(Input.Submitted, "#username")
    def _username_submitted(self) -> None:
        self.action_next()

    def _check_username(self) -> str | None:
        value = self.query_one("#username", Input).value.strip()
        error = validate_username(value)
        self._show_check(self.query_one("#username-check", Static), error, "✓")
        return error

    @on(Button.Pressed, "#skip-offline")
    def skip_offline(self) -> None:
        """Set up for the local hub without an account (the upload asks for the rest)."""
        typed = self.query_one("#username", Input).value.strip()
        username = typed if typed and validate_username(typed) is None else OFFLINE_USERNAME
        save_settings(
            Settings(
                username=username,
                hub="local",
                hub_url=LOCAL_HUB_URL,
                auth_method=None,
                default_folder=self.saved_settings.default_folder,
            )
        )
        try:
            self._ensure_local_hub_key(username)
        except OSError as exc:
            self.notify(f"Could not make the local hub's key: {exc}", severity="error")
        self.notify(
            f"Set up to try taskwizard offline as {username!r} with the local hub. "
            "Change it any time with Settings (s).",
            timeout=6,
        )
        self.dismiss(True)

    # ------------------------------------------------------------------- hub
    @on(OptionList.OptionHighlighted, "#hub-list")
    def _hub_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show_hub(event.option.id)

    @on(OptionList.OptionSelected, "#hub-list")
    def _hub_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._show_hub(event.option.id)
        if self.hub == "custom" or (self.hub == "local" and not self._hub_url()[0]):
            self.query_one("#hub-url", Input).focus()
        else:
            self.action_next()

    def _show_hub(self, hub: str) -> None:
        previous = self.hub
        self.hub = hub
        url = self.query_one("#hub-url", Input)
        url.display = hub in ("local", "custom")
        url.border_title = "Local hub URL" if hub == "local" else "Hub URL"
        if hub == "local" and (not url.value or previous == "custom"):
            url.value = LOCAL_HUB_URL
        elif hub == "custom" and previous == "local" and url.value == LOCAL_HUB_URL:
            url.value = ""
        check = self.query_one("#hub-check", Static)
        if hub == "local":
            check.update(
                "Start it with `taskwizard hub`; nothing leaves this computer. "
                "No key to type: setup makes the local hub's key pair for you."
            )
        elif hub == "custom":
            check.update("The address of your organisation's Bitfount Hub.")
        else:
            check.update("")
        check.remove_class("error")

    @on(Input.Submitted, "#hub-url")
    def _hub_url_submitted(self) -> None:
        self.action_next()

    def _hub_url(self) -> tuple[str | None, str | None]:
        """(normalised URL, error) for the local/custom hub."""
        text = self.query_one("#hub-url", Input).value
        try:
            return normalise_hub_url(text), None
        except HubConfigError as exc:
            return None, str(exc).capitalize()

    def _check_hub(self) -> str | None:
        if self.hub not in ("local", "custom"):
            return None
        _, error = self._hub_url()
        if error:
            self._show_check(self.query_one("#hub-check", Static), error, "")
            self.query_one("#hub-url", Input).focus()
        return error

    # ------------------------------------------------------------------ auth
    @on(OptionList.OptionHighlighted, "#auth-list")
    def _auth_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id in AUTH_LABELS:
            self._show_auth(event.option.id)  # type: ignore[arg-type]

    @on(OptionList.OptionSelected, "#auth-list")
    def _auth_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in AUTH_LABELS:
            self._show_auth(event.option.id)  # type: ignore[arg-type]
        if self.auth == "api_key":
            self.query_one("#api-key-id", Input).focus()
        else:
            self.action_next()

    def _show_auth(self, auth: AuthMethod) -> None:
        if auth != self.auth:
            self._cancel_login()
        self.auth = auth
        self.query_one("#api-key-fields").display = auth == "api_key"
        self.query_one("#device-login").display = (
            auth == "device_code" and self._device_code_possible()
        )
        detail = self.query_one("#auth-detail", Static)
        where = f"stored in {paths.secrets_file()}, readable only by you"
        if auth == "api_key":
            detail.update(
                f"Create a key on the Hub under your profile's API keys. It is {where} "
                "(mode 0600; no OS keyring is used)."
            )
        elif auth == "device_code":
            note = (
                ""
                if self._device_code_possible()
                else " This hub has no browser login: choose an API key instead."
            )
            if self._hub_url_key() in self.new_tokens:
                detail.update(self._logged_in_text())
            else:
                detail.update(
                    "The first time you upload (or now, with the button), taskwizard shows "
                    "a code and a link: you log in with your browser and the tokens are "
                    f"{where}.{note}"
                )
        else:
            id_set, key_set = environment_keys_set()
            detail.update(
                f"{ENV_API_KEY_ID}: {'set' if id_set else 'not set'}   "
                f"{ENV_API_KEY}: {'set' if key_set else 'not set'}\n"
                + (
                    "Both are set in this shell; taskwizard reads them at upload time."
                    if id_set and key_set
                    else "Set both in your shell (export …) before uploading."
                )
            )
        self.query_one("#auth-check", Static).update("")

    def _hub_environment(self) -> Environment | None:
        """The hub chosen on step 2 (with its login server, if it has one)."""
        if self.hub not in ("local", "custom"):
            return ENVIRONMENTS.get(self.hub)
        url = self._hub_url()[0]
        if url is None:
            return None
        try:
            return resolve_hub(self.hub, url)
        except HubConfigError:
            return None

    def _device_code_possible(self) -> bool:
        env = self._hub_environment()
        return env is not None and env.supports_device_code

    def _hub_url_key(self) -> str:
        env = self._hub_environment()
        return env.hub_url.rstrip("/") if env is not None else ""

    # ---------------------------------------------------- "Log in now" (optional)
    @on(Button.Pressed, "#device-login")
    def start_device_login(self) -> None:
        env = self._hub_environment()
        if env is None or not env.supports_device_code:
            return
        self._cancel_login()
        self._login_cancel = threading.Event()
        self.query_one("#auth-detail", Static).update(f"Asking {env.auth_url} for a login code…")
        self.query_one("#auth-check", Static).update("")
        self._device_login(env, self._login_cancel)

    @work(thread=True, exclusive=True, group="device-login", exit_on_error=False)
    def _device_login(self, env: Environment, cancel: threading.Event) -> None:
        """Runs the login in a thread: the code is shown at once, the poll waits for the user."""
        from taskwizard.hub.auth import DeviceCodeLogin

        try:
            login = DeviceCodeLogin(env)
        except Exception as exc:  # the message names the hub; no secret in it
            self.app.call_from_thread(self._login_failed, cancel, str(exc))
            return
        try:
            started = login.start()
            self.app.call_from_thread(
                self._login_started, cancel, started.user_code, started.verification_uri_complete
            )
            tokens = login.poll(cancel)
        except Exception as exc:  # DeviceCodeError and friends: shown, never raised
            self.app.call_from_thread(self._login_failed, cancel, str(exc))
            return
        finally:
            login.close()
        self.app.call_from_thread(
            self._login_done, cancel, env.hub_url.rstrip("/"), tokens.to_dict(env), tokens.username
        )

    def _login_started(self, cancel: threading.Event, user_code: str, url: str) -> None:
        if cancel.is_set():
            return
        self.query_one("#auth-detail", Static).update(
            f"Open {url}\nand confirm the code {user_code}. Waiting for you… (Esc cancels)"
        )

    def _login_failed(self, cancel: threading.Event, message: str) -> None:
        if cancel.is_set():
            return
        self._show_auth(self.auth)
        self._show_check(self.query_one("#auth-check", Static), f"Login failed: {message}", "")

    def _login_done(
        self, cancel: threading.Event, hub_url: str, tokens: dict[str, Any], who: str | None
    ) -> None:
        if cancel.is_set():
            return
        self.new_tokens = {hub_url: tokens}
        self.login_username = who
        self.query_one("#auth-detail", Static).update(self._logged_in_text())
        self._check_auth()

    def _logged_in_text(self) -> str:
        who = f" as {self.login_username}" if self.login_username else ""
        return (
            f"✓ Logged in{who}. The login is saved in {paths.secrets_file()} "
            "(readable only by you) when you finish."
        )

    def _cancel_login(self) -> None:
        if self._login_cancel is not None:
            self._login_cancel.set()
            self._login_cancel = None

    def on_unmount(self) -> None:
        self._cancel_login()

    @on(Input.Submitted, "#api-key-id")
    def _key_id_submitted(self) -> None:
        self.query_one("#api-key", Input).focus()

    @on(Input.Submitted, "#api-key")
    def _key_submitted(self) -> None:
        self.action_next()

    def _check_auth(self) -> str | None:
        label = self.query_one("#auth-check", Static)
        error: str | None = None
        if self.hub == "local":
            pass  # the local hub's own key pair (ensure_local_hub_key): nothing to type
        elif self.auth == "api_key":
            key_id = self.query_one("#api-key-id", Input).value.strip()
            key = self.query_one("#api-key", Input).value.strip()
            if not key_id:
                error = "Enter the API key id."
                self.query_one("#api-key-id", Input).focus()
            elif not key and self.saved_secrets.api_key is None:
                error = "Enter the API key."
                self.query_one("#api-key", Input).focus()
        elif self.auth == "device_code" and not self._device_code_possible():
            error = (
                "This hub has no browser login (only Bitfount's and the local hub do): "
                "choose an API key."
            )
        elif self.auth == "device_code" and self._hub_url_key() in self.new_tokens:
            username = self.query_one("#username", Input).value.strip()
            if self.login_username and username and self.login_username != username:
                error = (
                    f"You logged in as {self.login_username}, but step 1 says {username}: "
                    "go back (Esc) and use the same username, or log in again."
                )
        self._show_check(label, error, "")
        return error

    # ---------------------------------------------------------------- folder
    @on(Input.Changed, "#default-folder")
    def _folder_changed(self) -> None:
        self._check_folder(show_ok=True)

    @on(Input.Submitted, "#default-folder")
    def _folder_submitted(self) -> None:
        self.action_next()

    def _folder(self) -> Path:
        return Path(self.query_one("#default-folder", Input).value.strip()).expanduser()

    def _check_folder(self, *, show_ok: bool = False) -> str | None:
        text = self.query_one("#default-folder", Input).value.strip()
        label = self.query_one("#folder-check", Static)
        folder = self._folder()
        error: str | None = None
        ok = ""
        if not text:
            error = "Enter a folder."
        elif folder.exists() and not folder.is_dir():
            error = f"{folder} is a file, not a folder."
        elif folder.is_dir():
            if not os.access(folder, os.W_OK):
                error = f"You cannot write to {folder}."
            else:
                ok = f"✓ {folder.resolve()} exists."
        else:
            parent = next((p for p in folder.absolute().parents if p.exists()), None)
            if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
                error = f"{folder} cannot be created here (no permission in {parent})."
            else:
                ok = f"✓ {folder.absolute()} will be created."
        self._show_check(label, error, ok if show_ok else "")
        return error

    # ---------------------------------------------------------------- finish
    def check_step(self, step: str) -> str | None:
        if step == "username":
            return self._check_username()
        if step == "hub":
            return self._check_hub()
        if step == "auth":
            return self._check_auth()
        return self._check_folder(show_ok=True)

    def build_settings(self) -> Settings:
        hub_url = self._hub_url()[0] if self.hub in ("local", "custom") else None
        return Settings(
            username=self.query_one("#username", Input).value.strip(),
            hub=self.hub,
            hub_url=hub_url,
            auth_method=None if self.hub == "local" else self.auth,
            default_folder=str(self._folder().absolute()),
        )

    def build_secrets(self) -> Secrets:
        secrets = self.saved_secrets.model_copy(deep=True)
        if self.auth == "api_key" and self.hub != "local":
            secrets.api_key_id = self.query_one("#api-key-id", Input).value.strip()
            key = self.query_one("#api-key", Input).value.strip()
            if key:
                secrets.api_key = SecretStr(key)
        else:
            # a key the user no longer uses should not stay on disk
            secrets.api_key_id = None
            secrets.api_key = None
        if self.auth == "device_code":
            secrets.tokens.update(
                {url: t for url, t in self.new_tokens.items() if url == self._hub_url_key()}
            )
        return secrets

    def finish(self) -> None:
        for index, step in enumerate(SETUP_STEP_IDS):
            if self.check_step(step) is not None:
                self.show_step(index)
                self.check_step(step)
                return
        folder = self._folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            settings = self.build_settings()
            secrets = self.build_secrets()
            save_settings(settings)
            if secrets != self.saved_secrets or paths.secrets_file().exists():
                save_secrets(secrets)
            if settings.hub == "local":
                self._ensure_local_hub_key(settings.username or OFFLINE_USERNAME)
        except OSError as exc:
            self._show_check(
                self.query_one("#folder-check", Static),
                f"Could not save: {exc.strerror or exc} ({exc.filename or paths.config_dir()})",
                "",
            )
            return
        self.notify(f"Settings saved in {paths.settings_file()}.", timeout=4)
        self.dismiss(True)

    def _ensure_local_hub_key(self, username: str) -> None:
        """Make (or read) the local hub's key pair for ``username`` now, where
        ``taskwizard hub`` and uploads look for it: a key typed here would be refused."""
        from taskwizard.hub.localhub import local_hub_key_pair

        local_hub_key_pair(paths.local_hub_dir(), username)

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _show_check(label: Static, error: str | None, ok: str) -> None:
        label.update(error or ok)
        label.set_class(error is not None, "error")
        label.set_class(error is None and bool(ok), "ok")
