"""The user's settings (username, hub, how to authenticate) and their secrets.

Settings and secrets are two files in the config folder so that the settings
can be shown, copied or attached to a bug report without leaking anything:
``settings.json`` holds no secret; ``secrets.json`` (API key, OAuth tokens)
is always mode 0600 inside a 0700 folder. No OS keyring is used: taskwizard
adds no dependency for it, and the 0600 file is what Bitfount's own SDK does
for its token cache.

A settings or secrets file that cannot be read is never a crash: it is moved
aside (``<name>.corrupt``), :func:`settings_problem` says what happened, and
the app runs the setup again.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from taskwizard import paths
from taskwizard.atomic import atomic_write_text
from taskwizard.hub.environments import ENVIRONMENTS, LOCAL_HUB_URL
from taskwizard.model.names import username_problem

SETTINGS_FORMAT = 1
SECRETS_FORMAT = 1

HUB_CHOICES: tuple[str, ...] = ("production", "staging", "sandbox", "dev", "local", "custom")

#: The fixed hub URLs, as Bitfount's SDK maps ``BITFOUNT_ENVIRONMENT`` (from hub.environments).
HUB_URLS: dict[str, str] = {
    name: env.hub_url for name, env in ENVIRONMENTS.items() if name in HUB_CHOICES[:4]
}

AuthMethod = Literal["api_key", "device_code", "environment"]
ENV_API_KEY_ID = "BITFOUNT_API_KEY_ID"
ENV_API_KEY = "BITFOUNT_API_KEY"

#: Bitfount's username rule (as for pod ids): 1-39 lowercase letters/digits,
#: '-' or '_' only between two letters/digits.


class Settings(BaseModel):
    username: str | None = None
    hub: str = "production"
    #: The hub URL when ``hub`` is "custom", or the local hub's URL when "local".
    hub_url: str | None = None
    auth_method: AuthMethod | None = None
    default_folder: str | None = None
    format_version: int = SETTINGS_FORMAT

    @field_validator("hub")
    @classmethod
    def _known_hub(cls, value: str) -> str:
        if value not in HUB_CHOICES:
            raise ValueError(f"hub must be one of {', '.join(HUB_CHOICES)}")
        return value

    def resolved_hub_url(self) -> str | None:
        """The URL to talk to, or None when a custom hub has no URL yet."""
        if self.hub in HUB_URLS:
            return HUB_URLS[self.hub]
        if self.hub == "local":
            return self.hub_url or LOCAL_HUB_URL
        return self.hub_url or None


class Secrets(BaseModel):
    """API key and OAuth tokens. ``repr``/``str`` never show a secret value."""

    api_key_id: str | None = None
    api_key: SecretStr | None = None
    #: Per hub URL: access_token, refresh_token, id_token, access_token_expires_at, ...
    tokens: dict[str, dict[str, Any]] = Field(default_factory=dict, repr=False)
    format_version: int = SECRETS_FORMAT

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "tokens":
                continue
            yield name, value
        yield "tokens", f"<{len(self.tokens)} hub(s): {', '.join(sorted(self.tokens))}>"

    def to_json(self) -> str:
        """The file's text, with the secret values (only for ``save_secrets``)."""
        data = {
            "format_version": self.format_version,
            "api_key_id": self.api_key_id,
            "api_key": self.api_key.get_secret_value() if self.api_key else None,
            "tokens": self.tokens,
        }
        return json.dumps(data, indent=2, sort_keys=False) + "\n"


class SettingsError(Exception):
    """A settings/secrets file could not be used; the message says what to do."""


_problems: list[str] = []


def settings_problem() -> str | None:
    """What went wrong reading settings/secrets in this process (moved aside), if anything."""
    return "\n".join(_problems) or None


# ------------------------------------------------------------------ settings
def needs_setup() -> bool:
    """True when there are no usable settings (missing, or unreadable and moved aside)."""
    if not paths.settings_file().exists():
        return True
    try:
        _read_settings(paths.settings_file())
    except SettingsError as exc:
        _move_aside(paths.settings_file(), str(exc))
        return True
    return False


def load_settings() -> Settings:
    """The saved settings; defaults when there are none or the file was unreadable."""
    path = paths.settings_file()
    if not path.exists():
        return Settings()
    try:
        return _read_settings(path)
    except SettingsError as exc:
        _move_aside(path, str(exc))
        return Settings()


def save_settings(settings: Settings) -> None:
    _ensure_config_dir()
    text = json.dumps(settings.model_dump(mode="json"), indent=2) + "\n"
    atomic_write_text(paths.settings_file(), text)


def _read_settings(path: Path) -> Settings:
    data = _read_json(path)
    version = data.get("format_version", SETTINGS_FORMAT)
    if isinstance(version, int) and version > SETTINGS_FORMAT:
        raise SettingsError(f"{path}: written by a newer taskwizard (format {version})")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(f"{path}: {_first_error(exc)}") from None


# ------------------------------------------------------------------- secrets
def load_secrets() -> Secrets:
    """The saved secrets (empty when none); also repairs a too-open file mode."""
    path = paths.secrets_file()
    if not path.exists():
        return Secrets()
    _fix_mode(path, 0o600)
    try:
        data = _read_json(path)
        version = data.get("format_version", SECRETS_FORMAT)
        if isinstance(version, int) and version > SECRETS_FORMAT:
            raise SettingsError(f"{path}: written by a newer taskwizard (format {version})")
        return Secrets.model_validate(data)
    except ValidationError as exc:
        _move_aside(path, f"{path}: {_first_error(exc)}")
    except SettingsError as exc:
        _move_aside(path, str(exc))
    return Secrets()


def save_secrets(secrets: Secrets) -> None:
    _ensure_config_dir()
    atomic_write_text(paths.secrets_file(), secrets.to_json(), mode=0o600)


def environment_keys_set() -> tuple[bool, bool]:
    """Whether BITFOUNT_API_KEY_ID and BITFOUNT_API_KEY are set (never their values)."""
    return bool(os.environ.get(ENV_API_KEY_ID)), bool(os.environ.get(ENV_API_KEY))


# ------------------------------------------------------------------ username
def validate_username(name: str) -> str | None:
    """An error message if ``name`` breaks Bitfount's username rule, else None."""
    return username_problem(name)


# ------------------------------------------------------------------- helpers
def _ensure_config_dir() -> None:
    folder = paths.config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _fix_mode(folder, 0o700)


def _fix_mode(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except OSError:
        pass


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "file"
    return f"{where}: {err.get('msg', 'invalid')}"


def _move_aside(path: Path, reason: str) -> None:
    target = path.with_name(path.name + ".corrupt")
    try:
        os.replace(path, target)
    except OSError:
        return
    _problems.append(
        f"{reason}. It was moved to {target.name}; run the setup again "
        "(your old values are in that file)."
    )
