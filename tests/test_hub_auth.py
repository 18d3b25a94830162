"""Credentials, the device-code login and the hub environments (httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
import stat
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from taskwizard import paths
from taskwizard.hub.auth import (
    AuthError,
    Credentials,
    DeviceCodeError,
    DeviceCodeLogin,
    HubAuth,
    TokenSet,
    credentials_from_environment,
    credentials_from_settings,
)
from taskwizard.hub.client import HubAuthRejected, HubClient
from taskwizard.hub.environments import ENVIRONMENTS, HubConfigError, resolve_hub

SECRET = "s3cr3t-key-value-xyz"


def _jwt(claims: dict[str, Any]) -> str:
    def seg(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'none'})}.{seg(claims)}.sig"


# ----------------------------------------------------------- environments
def test_resolve_hub_defaults_to_production_and_knows_every_environment() -> None:
    assert resolve_hub(None, None).hub_url == "https://hub.bitfount.com"
    assert resolve_hub("staging", None).auth_domain == "auth.staging.bitfount.com"
    assert resolve_hub("dev", None).hub_url == "http://localhost:3000"
    assert resolve_hub("dev", None).client_id == "nPU5aIZIOYqqYhUNX84j9OjKpUOnqfRB"
    assert resolve_hub("local", None).hub_url == "http://127.0.0.1:3000"
    assert resolve_hub("local", None).auth_url == "http://127.0.0.1:3000"
    assert not resolve_hub(None, "http://10.0.0.1:3000").supports_device_code


def test_resolve_hub_url_matches_known_environment_or_is_custom() -> None:
    assert resolve_hub(None, "https://hub.sandbox.bitfount.com/").name == "sandbox"
    custom = resolve_hub(None, " https://hub.example.org:8443/ ")
    assert (custom.name, custom.hub_url) == ("custom", "https://hub.example.org:8443")
    assert not custom.supports_device_code
    local = resolve_hub(None, "http://127.0.0.1:8123/")
    assert (local.name, local.auth_url) == ("local", "http://127.0.0.1:8123")
    assert resolve_hub(None, "http://[::1]:8123").name == "local"
    assert resolve_hub(None, "http://127.0.0.2.example.com").name == "custom"
    assert resolve_hub("local", "http://127.0.0.1:9999").name == "local"


@pytest.mark.parametrize(("env", "url"), [("prod", None), (None, "ftp://x"), ("custom", None)])
def test_resolve_hub_refuses_unknown_environment_and_bad_urls(
    env: str | None, url: str | None
) -> None:
    with pytest.raises(HubConfigError):
        resolve_hub(env, url)


# ------------------------------------------------------------ credentials
def test_credentials_from_environment_needs_both_variables() -> None:
    assert credentials_from_environment({}) is None
    creds = credentials_from_environment({"BITFOUNT_API_KEY_ID": "kid", "BITFOUNT_API_KEY": SECRET})
    assert creds is not None and creds.kind == "api_key"
    assert "BITFOUNT_API_KEY_ID" in creds.source
    with pytest.raises(AuthError, match="BITFOUNT_API_KEY is not"):
        credentials_from_environment({"BITFOUNT_API_KEY_ID": "kid"})


def test_secret_never_appears_in_repr_or_str() -> None:
    creds = Credentials.from_api_key("kid", SECRET, "API key from somewhere")
    tokens = TokenSet.from_dict({"access_token": SECRET, "refresh_token": SECRET})
    bearer = Credentials.from_bearer(SECRET, "a token")
    for text in (repr(creds), str(creds), repr(tokens), str(bearer), repr([creds, bearer])):
        assert SECRET not in text
    assert "API key from somewhere" in repr(creds)


def test_credentials_from_settings_prefers_saved_api_key_then_tokens() -> None:
    from taskwizard.settings import Secrets, Settings

    secrets = Secrets(api_key_id="kid", api_key=SECRET)  # type: ignore[arg-type]
    creds = credentials_from_settings(
        "https://hub.bitfount.com", settings=Settings(), secrets=secrets
    )
    assert creds is not None and creds.kind == "api_key" and "taskwizard setup" in creds.source

    token = _jwt({"https://www.bitfount.com/username": "alice"})
    secrets = Secrets(
        tokens={"https://hub.bitfount.com": {"access_token": token, "id_token": token}}
    )
    creds = credentials_from_settings(
        "https://hub.bitfount.com",
        settings=Settings(auth_method="device_code"),
        secrets=secrets,
    )
    assert creds is not None and creds.kind == "device_code" and creds.username == "alice"
    assert creds.environment == ENVIRONMENTS["production"]
    assert (
        credentials_from_settings(
            "https://hub.staging.bitfount.com", settings=Settings(), secrets=secrets
        )
        is None
    )


def test_api_key_headers_and_401_message_names_the_source_not_the_secret() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"message": "bad key"})

    creds = credentials_from_environment({"BITFOUNT_API_KEY_ID": "kid", "BITFOUNT_API_KEY": SECRET})
    assert creds is not None
    client = HubClient("http://hub.test", creds, transport=httpx.MockTransport(handler))
    with pytest.raises(HubAuthRejected) as info:
        client.get_task_template("alice", "my-slug")
    assert seen[0].headers["x-api-key-id"] == "kid"
    assert seen[0].headers["x-api-key"] == SECRET
    message = str(info.value)
    assert "BITFOUNT_API_KEY_ID/BITFOUNT_API_KEY" in message and "401" in message
    assert SECRET not in message
    assert len(seen) == 1  # a 401 is not retried


def test_403_says_credentials_work_but_may_not_change_the_item() -> None:
    creds = Credentials.from_api_key("kid", SECRET, "API key saved by `taskwizard setup` (id kid)")
    client = HubClient(
        "http://hub.test", creds, transport=httpx.MockTransport(lambda r: httpx.Response(403))
    )
    with pytest.raises(HubAuthRejected, match=r"403.*saved by `taskwizard setup`.*--username"):
        client.patch_task_template_state("bob", "x", "archived")


# ------------------------------------------------------------ device code
class FakeAuthServer:
    def __init__(self, pending: int = 1) -> None:
        self.pending = pending
        self.requests: list[dict[str, str]] = []
        self.refreshes = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(urllib.parse.parse_qsl(request.content.decode()))
        self.requests.append({"path": request.url.path, **form})
        if request.url.path == "/oauth/device/code":
            return httpx.Response(
                200,
                json={
                    "device_code": "dev-code",
                    "user_code": "ABCD-EFGH",
                    "verification_uri_complete": "https://auth/activate?user_code=ABCD-EFGH",
                    "interval": 5,
                    "expires_in": 900,
                },
            )
        if form.get("grant_type") == "refresh_token":
            self.refreshes += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"fresh-{self.refreshes}",
                    "refresh_token": f"rot-{self.refreshes}",
                    "expires_in": 3600,
                },
            )
        if self.pending > 0:
            self.pending -= 1
            return httpx.Response(403, json={"error": "authorization_pending"})
        return httpx.Response(
            200,
            json={
                "access_token": "acc",
                "refresh_token": "ref",
                "id_token": _jwt({"https://www.bitfount.com/username": "alice"}),
                "expires_in": 86400,
            },
        )


def _clock(start: float = 1000.0) -> tuple[Callable[[], float], list[float]]:
    now = [start]
    return (lambda: now[0]), now


def test_device_code_login_polls_until_confirmed_and_saves_tokens_0600() -> None:
    server = FakeAuthServer(pending=2)
    clock, _ = _clock()
    sleeps: list[float] = []
    login = DeviceCodeLogin(
        ENVIRONMENTS["sandbox"],
        transport=httpx.MockTransport(server),
        clock=clock,
        sleep=sleeps.append,
    )
    started = login.start()
    user_code, url, interval, expires_in = started
    assert (user_code, interval, expires_in) == ("ABCD-EFGH", 5.0, 900.0)
    assert url.endswith("ABCD-EFGH")
    tokens = login.poll()
    assert tokens.username == "alice" and sleeps == [5.0, 5.0]
    first = server.requests[0]
    assert first["client_id"] == "nPU5aIZIOYqqYhUNX84j9OjKpUOnqfRB"
    assert first["scope"] == "profile openid offline_access"
    assert first["audience"] == "https://hub.bitfount.com/api"
    assert server.requests[1]["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert server.requests[1]["device_code"] == "dev-code"

    login.save(tokens)
    path = paths.secrets_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())["tokens"]["https://hub.sandbox.bitfount.com"]
    assert saved["access_token"] == "acc" and saved["access_token_expires_at"] == 1000.0 + 86400


def test_device_code_slow_down_and_denial() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/device/code":
            return httpx.Response(
                200,
                json={"device_code": "d", "user_code": "u", "verification_uri_complete": "v"},
            )
        form = dict(urllib.parse.parse_qsl(request.content.decode()))
        assert form["device_code"] == "d"
        handler.calls += 1  # type: ignore[attr-defined]
        if handler.calls == 1:  # type: ignore[attr-defined]
            return httpx.Response(429, json={"error": "slow_down"})
        return httpx.Response(403, json={"error": "access_denied", "error_description": "denied"})

    handler.calls = 0  # type: ignore[attr-defined]
    login = DeviceCodeLogin(
        ENVIRONMENTS["production"], transport=httpx.MockTransport(handler), sleep=lambda s: None
    )
    login.start()
    assert login.poll_once() is None and login.interval == 10.0
    with pytest.raises(DeviceCodeError, match="denied"):
        login.poll_once()


def test_device_code_refuses_hub_without_login() -> None:
    with pytest.raises(DeviceCodeError, match="API key"):
        DeviceCodeLogin(resolve_hub(None, "https://hub.example.org"))


def test_hub_auth_refreshes_when_less_than_ten_minutes_remain() -> None:
    server = FakeAuthServer()
    clock, now = _clock()
    login = DeviceCodeLogin(
        ENVIRONMENTS["production"], transport=httpx.MockTransport(server), clock=clock
    )
    tokens = TokenSet.from_dict(
        {"access_token": "old", "refresh_token": "ref0", "access_token_expires_at": 1000.0 + 1200}
    )
    creds = Credentials(
        "device_code",
        "Bitfount login saved by `taskwizard setup`",
        tokens=tokens,
        environment=ENVIRONMENTS["production"],
        hub_url="https://hub.bitfount.com",
    )
    auth = HubAuth(creds, refresher=login, clock=clock)
    seen: list[str] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(404)

    client = HubClient("https://hub.bitfount.com", auth, transport=httpx.MockTransport(hub))
    client.get_task_template("alice", "a")
    now[0] += 700  # 500 s left: renew first
    client.get_task_template("alice", "a")
    assert seen == ["Bearer old", "Bearer fresh-1"]
    assert server.requests[-1]["refresh_token"] == "ref0"
    saved = json.loads(paths.secrets_file().read_text())["tokens"]["https://hub.bitfount.com"]
    assert saved["refresh_token"] == "rot-1"  # the refresh token rotates
    assert stat.S_IMODE(paths.secrets_file().stat().st_mode) == 0o600


def test_expired_bearer_token_is_refused_before_sending() -> None:
    clock, _ = _clock(5000.0)
    creds = Credentials.from_bearer("jwt", "token from --token", expires_at=5010.0)
    sent: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    client = HubClient(
        "http://hub.test", HubAuth(creds, clock=clock), transport=httpx.MockTransport(hub)
    )
    with pytest.raises(AuthError, match="expired"):
        client.get_task_template("a", "b")
    assert sent == []


# ---------------------------------------------------------- resolve_target
def test_resolve_target_uses_flags_then_bitfount_environment_then_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from taskwizard.hub.targets import resolve_target
    from taskwizard.settings import Secrets, Settings, save_secrets, save_settings

    save_settings(Settings(username="carol", hub="local", hub_url="http://127.0.0.1:4000"))
    save_secrets(Secrets(api_key_id="kid", api_key=SECRET))  # type: ignore[arg-type]
    target = resolve_target()
    assert (target.environment.name, target.hub_url, target.username) == (
        "local",
        "http://127.0.0.1:4000",
        "carol",
    )
    assert target.credentials is not None and "taskwizard setup" in target.credentials.source

    monkeypatch.setenv("BITFOUNT_ENVIRONMENT", "staging")
    assert resolve_target().hub_url == "https://hub.staging.bitfount.com"
    target = resolve_target(env="sandbox", username="dave")
    assert (target.hub_url, target.username) == ("https://hub.sandbox.bitfount.com", "dave")
    assert target.credentials is None  # the saved key is the local hub's: never sent elsewhere
    monkeypatch.setenv("BITFOUNT_ENVIRONMENT", "prod")
    with pytest.raises(HubConfigError, match="unknown hub environment 'prod'"):
        resolve_target()

    monkeypatch.delenv("BITFOUNT_ENVIRONMENT")
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", "env-id")
    monkeypatch.setenv("BITFOUNT_API_KEY", "env-key")
    target = resolve_target()
    assert target.credentials is not None and target.credentials.api_key_id == "env-id"


def test_resolve_target_refuses_missing_username_and_another_users_login() -> None:
    from taskwizard.hub.targets import resolve_target
    from taskwizard.settings import Secrets, Settings, save_secrets, save_settings

    with pytest.raises(HubConfigError, match="--username USER"):
        resolve_target()
    token = _jwt({"https://www.bitfount.com/username": "alice"})
    save_settings(Settings(username="bob", auth_method="device_code"))
    save_secrets(
        Secrets(tokens={"https://hub.bitfount.com": {"access_token": token, "id_token": token}})
    )
    with pytest.raises(AuthError, match="belongs to 'alice', not 'bob'"):
        resolve_target()
    assert resolve_target(username="alice").credentials is not None
    assert resolve_target(env="staging", username="bob").credentials is None
