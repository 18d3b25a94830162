from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from taskwizard import paths, settings
from taskwizard.settings import Secrets, Settings

SECRET = "sk-planted-9f8e7d6c5b4a"
TOKEN = "tok-planted-0a1b2c3d"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _fresh_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "_problems", [])


def test_needs_setup_until_settings_saved() -> None:
    assert settings.needs_setup()
    settings.save_settings(Settings(username="alice", hub="staging", auth_method="api_key"))
    assert not settings.needs_setup()
    loaded = settings.load_settings()
    assert loaded.username == "alice"
    assert loaded.hub == "staging"
    assert loaded.resolved_hub_url() == "https://hub.staging.bitfount.com"


def test_custom_and_local_hub_url() -> None:
    assert Settings(hub="custom", hub_url="https://hub.example.org").resolved_hub_url() == (
        "https://hub.example.org"
    )
    assert Settings(hub="local").resolved_hub_url() == "http://127.0.0.1:3000"
    assert Settings(hub="custom").resolved_hub_url() is None
    with pytest.raises(ValueError):
        Settings(hub="moon")


def test_secrets_file_is_0600_in_0700_folder_and_round_trips() -> None:
    secrets = Secrets(
        api_key_id="kid", api_key=SecretStr(SECRET), tokens={"https://h": {"access_token": TOKEN}}
    )
    settings.save_secrets(secrets)
    path = paths.secrets_file()
    assert mode(path) == 0o600
    assert mode(paths.config_dir()) == 0o700
    loaded = settings.load_secrets()
    assert loaded.api_key is not None
    assert loaded.api_key.get_secret_value() == SECRET
    assert loaded.tokens["https://h"]["access_token"] == TOKEN


def test_secrets_mode_is_repaired_on_save_and_load() -> None:
    path = paths.secrets_file()
    path.write_text(json.dumps({"api_key_id": "kid", "api_key": SECRET}))
    os.chmod(path, 0o644)
    assert settings.load_secrets().api_key_id == "kid"
    assert mode(path) == 0o600
    os.chmod(path, 0o666)
    settings.save_secrets(Secrets(api_key_id="kid2"))
    assert mode(path) == 0o600


def test_secrets_never_shown_by_repr_or_str() -> None:
    secrets = Secrets(
        api_key_id="kid", api_key=SecretStr(SECRET), tokens={"https://h": {"access_token": TOKEN}}
    )
    for text in (repr(secrets), str(secrets), f"{secrets}"):
        assert SECRET not in text
        assert TOKEN not in text
    assert "https://h" in repr(secrets)


def test_settings_file_never_holds_secrets() -> None:
    settings.save_secrets(
        Secrets(api_key_id="kid", api_key=SECRET, tokens={"h": {"refresh_token": TOKEN}})  # type: ignore[arg-type]
    )
    settings.save_settings(Settings(username="alice", auth_method="api_key"))
    text = paths.settings_file().read_text()
    assert SECRET not in text and TOKEN not in text
    assert "alice" in text


def test_writes_are_atomic_no_temp_files_left() -> None:
    settings.save_settings(Settings(username="a"))
    settings.save_secrets(Secrets(api_key_id="b"))
    settings.save_settings(Settings(username="c"))
    assert sorted(p.name for p in paths.config_dir().iterdir()) == [
        "secrets.json",
        "settings.json",
    ]


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"username": "alice",', ["not valid JSON", ":1:"]),
        ("[1, 2]", ["expected a JSON object"]),
        ('{"hub": "moon"}', ["hub"]),
        ('{"format_version": 99}', ["newer taskwizard"]),
        (b"\xff\xfe\x00garbage", ["cannot be read"]),
    ],
)
def test_corrupt_settings_moved_aside_and_setup_again(
    content: str | bytes, words: list[str]
) -> None:
    path = paths.settings_file()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert settings.needs_setup()
    assert not path.exists()
    aside = path.with_name("settings.json.corrupt")
    assert aside.exists()
    problem = settings.settings_problem()
    assert problem is not None
    assert "settings.json" in problem and "settings.json.corrupt" in problem
    for word in words:
        assert word in problem
    # load after that gives defaults, not a crash
    assert settings.load_settings() == Settings()


def test_load_settings_on_corrupt_file_returns_defaults() -> None:
    paths.settings_file().write_text("{nope")
    assert settings.load_settings() == Settings()
    assert settings.settings_problem() is not None


def test_corrupt_secrets_moved_aside_keeps_0600() -> None:
    path = paths.secrets_file()
    path.write_text('{"api_key": ')
    os.chmod(path, 0o600)
    assert settings.load_secrets() == Secrets()
    aside = path.with_name("secrets.json.corrupt")
    assert mode(aside) == 0o600
    problem = settings.settings_problem()
    assert problem is not None and "secrets.json" in problem


def test_environment_keys_set_reports_presence_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.environment_keys_set() == (False, False)
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", "x")
    assert settings.environment_keys_set() == (True, False)
    monkeypatch.setenv("BITFOUNT_API_KEY", "y")
    assert settings.environment_keys_set() == (True, True)


@pytest.mark.parametrize("name", ["alice", "a", "a1", "a-b", "a_b", "a-b_c9", "x" * 39, "123"])
def test_valid_usernames(name: str) -> None:
    assert settings.validate_username(name) is None


@pytest.mark.parametrize(
    "name, word",
    [
        ("", "Enter"),
        ("x" * 40, "39"),
        ("Alice", "lowercase"),
        ("al ice", "' '"),
        ("al!ce", "'!'"),
        ("-alice", "between"),
        ("alice_", "between"),
        ("al--ice", "between"),
        ("al-_ice", "between"),
        ("élise", "'é'"),
    ],
)
def test_invalid_usernames(name: str, word: str) -> None:
    message = settings.validate_username(name)
    assert message is not None and word in message
