"""Credentials for a Bitfount Hub, and the OAuth device-code login.

Bitfount accepts an API key pair (headers ``x-api-key-id`` / ``x-api-key``) or an
OAuth access token (``authorization: Bearer``). A :class:`Credentials` knows where it
came from (its ``source``), which is what every error message names: a secret value
never appears in a ``repr``, a log line or an exception.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

import httpx
from pydantic import SecretStr

from taskwizard.hub.environments import (
    ENVIRONMENTS,
    Environment,
    is_loopback_http,
    local_environment,
)
from taskwizard.settings import ENV_API_KEY, ENV_API_KEY_ID

CredentialKind = Literal["api_key", "bearer", "device_code"]

USERNAME_CLAIM = "https://www.bitfount.com/username"
AUDIENCE = "https://hub.bitfount.com/api"
SCOPES = "profile openid offline_access"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: Refresh an OAuth access token when less than this many seconds remain (as the SDK).
REFRESH_MARGIN_S = 600.0
#: An explicit JWT is treated as expired this early (as the SDK).
BEARER_EARLY_EXPIRY_S = 20.0


class AuthError(Exception):
    """Credentials are missing, unusable or refused; the message says what to do."""


class DeviceCodeError(AuthError):
    """The device-code login failed (denied, expired, or the auth server refused it)."""


@dataclass(frozen=True, slots=True)
class TokenSet:
    """OAuth tokens; the values are :class:`SecretStr` so they never print."""

    access_token: SecretStr
    expires_at: float  # epoch seconds
    refresh_token: SecretStr | None = None
    id_token: SecretStr | None = None

    @property
    def username(self) -> str | None:
        """The Bitfount username claim of the id token (not verified: only for messages)."""
        if self.id_token is None:
            return None
        claim = _jwt_claims(self.id_token.get_secret_value()).get(USERNAME_CLAIM)
        return claim if isinstance(claim, str) else None

    def to_dict(self, environment: Environment | None = None) -> dict[str, Any]:
        """The SDK's ``.token`` file shape, stored per hub URL in taskwizard's secrets."""
        return {
            "access_token": self.access_token.get_secret_value(),
            "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
            "id_token": self.id_token.get_secret_value() if self.id_token else None,
            "access_token_expires_at": self.expires_at,
            "auth_domain": environment.auth_domain if environment else None,
            "client_id": environment.client_id if environment else None,
            "scopes": SCOPES,
            "audience": AUDIENCE,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenSet:
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise AuthError("the saved login has no access token: log in again (taskwizard setup)")
        refresh = data.get("refresh_token")
        id_token = data.get("id_token")
        expires = data.get("access_token_expires_at")
        return cls(
            access_token=SecretStr(access),
            expires_at=float(expires) if isinstance(expires, int | float) else 0.0,
            refresh_token=SecretStr(refresh) if isinstance(refresh, str) and refresh else None,
            id_token=SecretStr(id_token) if isinstance(id_token, str) and id_token else None,
        )

    @classmethod
    def from_token_response(cls, data: dict[str, Any], now: float) -> TokenSet:
        merged = dict(data)
        expires_in = data.get("expires_in")
        merged["access_token_expires_at"] = now + (
            float(expires_in) if isinstance(expires_in, int | float) else 0.0
        )
        return cls.from_dict(merged)


@dataclass(slots=True)
class Credentials:
    """What taskwizard authenticates with, and a human ``source`` for messages."""

    kind: CredentialKind
    source: str
    api_key_id: str | None = field(default=None, repr=False)
    api_key: SecretStr | None = field(default=None, repr=False)
    tokens: TokenSet | None = field(default=None, repr=False)
    #: For ``device_code``: where to refresh the tokens, and under which hub URL to save them.
    environment: Environment | None = field(default=None, repr=False)
    hub_url: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r}, source={self.source!r})"

    __str__ = __repr__

    @property
    def username(self) -> str | None:
        """The username the tokens belong to, when known (API keys don't say)."""
        return self.tokens.username if self.tokens else None

    @classmethod
    def from_api_key(cls, key_id: str, key: str, source: str) -> Credentials:
        return cls("api_key", source, api_key_id=key_id, api_key=SecretStr(key))

    @classmethod
    def from_bearer(
        cls, token: str, source: str, *, expires_at: float | None = None
    ) -> Credentials:
        if expires_at is None:
            exp = _jwt_claims(token).get("exp")
            expires_at = float(exp) if isinstance(exp, int | float) else float("inf")
        return cls("bearer", source, tokens=TokenSet(SecretStr(token), expires_at))

    def how_to_fix(self) -> str:
        if self.kind == "api_key" and ENV_API_KEY_ID in self.source:
            return (
                f"check {ENV_API_KEY_ID} and {ENV_API_KEY} (create a new API key on the "
                "Hub if this one was revoked), or unset them to use the credentials "
                "saved by `taskwizard setup`"
            )
        if self.kind == "api_key":
            return "run `taskwizard setup` and enter a valid API key for this hub"
        if self.kind == "device_code":
            return "run `taskwizard setup` and log in again"
        return "get a fresh token and try again"


def rejected_message(credentials: Credentials | None, status: int, hub_url: str) -> str:
    """The message for a 401/403 from the hub: which credentials, and how to fix them."""
    used = credentials.source if credentials else "no credentials"
    if status == 403:
        return (
            f"The hub at {hub_url} refused this request (403 Forbidden) for {used}: "
            "the credentials work but may not change this item. Upload as the user the "
            "credentials belong to (--username), or " + _fix(credentials) + "."
        )
    return (
        f"The hub at {hub_url} did not accept {used} (401 Unauthorized): " + _fix(credentials) + "."
    )


def _fix(credentials: Credentials | None) -> str:
    if credentials is None:
        return f"set {ENV_API_KEY_ID} and {ENV_API_KEY}, or run `taskwizard setup`"
    return credentials.how_to_fix()


# ------------------------------------------------------------------ sources
def credentials_from_environment(environ: dict[str, str] | None = None) -> Credentials | None:
    """The API key pair in ``BITFOUNT_API_KEY_ID``/``BITFOUNT_API_KEY``, if set."""
    env = os.environ if environ is None else environ
    key_id = env.get(ENV_API_KEY_ID, "").strip()
    key = env.get(ENV_API_KEY, "").strip()
    if not key_id and not key:
        return None
    if not key_id or not key:
        missing = ENV_API_KEY_ID if not key_id else ENV_API_KEY
        present = ENV_API_KEY if not key_id else ENV_API_KEY_ID
        raise AuthError(f"{present} is set but {missing} is not: set both, or neither")
    return Credentials.from_api_key(
        key_id, key, f"API key from {ENV_API_KEY_ID}/{ENV_API_KEY} (id {key_id})"
    )


class _SettingsLike(Protocol):
    @property
    def auth_method(self) -> str | None: ...
    def resolved_hub_url(self) -> str | None: ...


class _SecretsLike(Protocol):
    @property
    def api_key_id(self) -> str | None: ...
    @property
    def api_key(self) -> SecretStr | None: ...
    @property
    def tokens(self) -> dict[str, dict[str, Any]]: ...


def credentials_from_settings(
    hub_url: str,
    *,
    settings: _SettingsLike | None = None,
    secrets: _SecretsLike | None = None,
) -> Credentials | None:
    """The credentials ``taskwizard setup`` saved for ``hub_url``, if any.

    ``auth_method`` decides; when it is unset, a saved API key wins over saved tokens.
    The saved API key belongs to the settings' hub, so it is never sent to another one;
    tokens are saved per hub URL.
    """
    if settings is None or secrets is None:
        from taskwizard import settings as settings_module

        if settings is None:
            settings = settings_module.load_settings()
        if secrets is None:
            secrets = settings_module.load_secrets()
    method = settings.auth_method
    if method == "environment":
        return credentials_from_environment()
    key_id, key = secrets.api_key_id, secrets.api_key
    settings_hub = (settings.resolved_hub_url() or "").rstrip("/")
    if (
        method in ("api_key", None)
        and key_id
        and key is not None
        and settings_hub == hub_url.rstrip("/")
    ):
        return Credentials(
            "api_key",
            f"API key saved by `taskwizard setup` (id {key_id})",
            api_key_id=key_id,
            api_key=key,
        )
    saved = secrets.tokens.get(hub_url.rstrip("/"))
    if method in ("device_code", None) and saved:
        environment = _environment_for(hub_url)
        tokens = TokenSet.from_dict(saved)
        who = f" for {tokens.username}" if tokens.username else ""
        return Credentials(
            "device_code",
            f"Bitfount login{who} saved by `taskwizard setup`",
            tokens=tokens,
            environment=environment,
            hub_url=hub_url.rstrip("/"),
        )
    return None


def local_hub_credentials(username: str) -> Credentials | None:
    """The key pair ``taskwizard hub`` generated for ``username`` in its default folder."""
    from taskwizard import paths
    from taskwizard.hub.localhub import CREDENTIALS_NAME

    path = paths.local_hub_dir() / CREDENTIALS_NAME
    try:
        users = json.loads(path.read_text(encoding="utf-8")).get("users")
    except (OSError, ValueError, AttributeError):
        return None
    entry = users.get(username) if isinstance(users, dict) else None
    key_id = entry.get("api_key_id") if isinstance(entry, dict) else None
    key = entry.get("api_key") if isinstance(entry, dict) else None
    if not isinstance(key_id, str) or not isinstance(key, str) or not key_id or not key:
        return None
    return Credentials.from_api_key(
        key_id, key, f"the local hub's API key for {username} in {path} (id {key_id})"
    )


def _environment_for(hub_url: str) -> Environment | None:
    """Where tokens for ``hub_url`` are renewed: a known hub, or a local hub on loopback."""
    url = hub_url.rstrip("/")
    for env in ENVIRONMENTS.values():
        if env.hub_url == url and env.supports_device_code:
            return env
    return local_environment(url) if is_loopback_http(url) else None


def save_tokens(hub_url: str, tokens: TokenSet, environment: Environment | None) -> None:
    """Keep the tokens for ``hub_url`` in taskwizard's secrets file (mode 0600)."""
    from taskwizard import settings as settings_module

    secrets = settings_module.load_secrets()
    secrets.tokens[hub_url.rstrip("/")] = tokens.to_dict(environment)
    settings_module.save_secrets(secrets)


# ------------------------------------------------------------ device code
class DeviceCodeStart(NamedTuple):
    user_code: str
    verification_uri_complete: str
    interval: float
    expires_in: float


class DeviceCodeLogin:
    """RFC 8628 device-code login against the environment's auth domain.

    ``start()`` gives the code and URL to show; ``poll()`` waits for the user (or call
    ``poll_once()`` from a timer); ``refresh()`` renews tokens (the refresh token rotates).
    """

    def __init__(
        self,
        environment: Environment,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 20.0,
    ) -> None:
        if not environment.supports_device_code:
            raise DeviceCodeError(
                f"the {environment.name} hub ({environment.hub_url}) has no Bitfount login: "
                "use an API key"
            )
        self.environment = environment
        assert environment.auth_url is not None
        self._http = httpx.Client(
            base_url=environment.auth_url, transport=transport, timeout=timeout
        )
        self._clock = clock
        self._sleep = sleep
        self._device_code: str | None = None
        self._interval = 5.0
        self._deadline = 0.0

    def close(self) -> None:
        self._http.close()

    def start(self) -> DeviceCodeStart:
        data = self._post(
            "/oauth/device/code",
            {"client_id": self._client_id, "scope": SCOPES, "audience": AUDIENCE},
        )
        try:
            self._device_code = str(data["device_code"])
            started = DeviceCodeStart(
                str(data["user_code"]),
                str(data["verification_uri_complete"]),
                float(data.get("interval", 5)),
                float(data.get("expires_in", 900)),
            )
        except (KeyError, TypeError, ValueError):
            raise DeviceCodeError("the login server's answer was incomplete; try again") from None
        self._interval = started.interval
        self._deadline = self._clock() + started.expires_in
        return started

    def poll_once(self) -> TokenSet | None:
        """Tokens when the user has confirmed, None while pending; raises otherwise."""
        if self._device_code is None:
            raise DeviceCodeError("start() the login first")
        if self._clock() > self._deadline:
            raise DeviceCodeError("the login code expired before it was confirmed: start again")
        response = self._http.post(
            "/oauth/token",
            data={
                "client_id": self._client_id,
                "grant_type": DEVICE_CODE_GRANT,
                "device_code": self._device_code,
            },
        )
        body = _json_object(response)
        if response.status_code == 200:
            return TokenSet.from_token_response(body, self._clock())
        error = body.get("error")
        if error == "authorization_pending":
            return None
        if error == "slow_down":
            self._interval += 5.0
            return None
        message = body.get("error_description") or error or f"HTTP {response.status_code}"
        raise DeviceCodeError(f"login failed: {message}")

    @property
    def interval(self) -> float:
        return self._interval

    def poll(self, cancel: threading.Event | None = None) -> TokenSet:
        while True:
            tokens = self.poll_once()
            if tokens is not None:
                return tokens
            if cancel is not None and cancel.is_set():
                raise DeviceCodeError("login cancelled")
            self._sleep(self._interval)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if tokens.refresh_token is None:
            raise DeviceCodeError("the saved login cannot be renewed: log in again")
        data = self._post(
            "/oauth/token",
            {
                "client_id": self._client_id,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token.get_secret_value(),
            },
        )
        fresh = TokenSet.from_token_response(data, self._clock())
        # Some servers don't rotate the refresh token or resend the id token: keep ours.
        return TokenSet(
            fresh.access_token,
            fresh.expires_at,
            fresh.refresh_token or tokens.refresh_token,
            fresh.id_token or tokens.id_token,
        )

    def save(self, tokens: TokenSet, hub_url: str | None = None) -> None:
        save_tokens(hub_url or self.environment.hub_url, tokens, self.environment)

    @property
    def _client_id(self) -> str:
        assert self.environment.client_id is not None
        return self.environment.client_id

    def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._http.post(path, data=form)
        except httpx.HTTPError as exc:
            raise DeviceCodeError(
                f"cannot reach {self.environment.auth_domain}: {type(exc).__name__}"
            ) from None
        body = _json_object(response)
        if response.status_code != 200:
            message = body.get("error_description") or body.get("error")
            raise DeviceCodeError(
                f"{self.environment.auth_domain} refused the login ({response.status_code}"
                + (f": {message}" if message else "")
                + ")"
            )
        return body


# -------------------------------------------------------------- httpx auth
class HubAuth(httpx.Auth):
    """Adds the credentials' headers; renews device-code tokens before they run out.

    ``refresher`` is built lazily from the credentials' environment unless given
    (tests pass one backed by a mock transport); renewed tokens are saved when
    ``save`` is true.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        refresher: DeviceCodeLogin | None = None,
        clock: Callable[[], float] = time.time,
        save: bool = True,
    ) -> None:
        self.credentials = credentials
        self._refresher = refresher
        self._clock = clock
        self._save = save
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        creds = self.credentials
        if creds.kind == "api_key":
            assert creds.api_key_id is not None and creds.api_key is not None
            request.headers["x-api-key-id"] = creds.api_key_id
            request.headers["x-api-key"] = creds.api_key.get_secret_value()
            yield request
            return
        tokens = self._current_tokens()
        request.headers["authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
        response = yield request
        if response.status_code == 401 and creds.kind == "device_code" and tokens.refresh_token:
            tokens = self._refresh(tokens)
            request.headers["authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
            yield request

    def _current_tokens(self) -> TokenSet:
        creds = self.credentials
        tokens = creds.tokens
        if tokens is None:
            raise AuthError(f"{creds.source} holds no token: {creds.how_to_fix()}")
        remaining = tokens.expires_at - self._clock()
        if creds.kind == "bearer":
            if remaining < BEARER_EARLY_EXPIRY_S:
                raise AuthError(f"the token ({creds.source}) has expired: {creds.how_to_fix()}")
            return tokens
        if remaining < REFRESH_MARGIN_S:
            return self._refresh(tokens)
        return tokens

    def _refresh(self, tokens: TokenSet) -> TokenSet:
        creds = self.credentials
        with self._lock:
            if creds.tokens is not None and creds.tokens is not tokens:
                return creds.tokens  # another thread already renewed them
            refresher = self._refresher
            if refresher is None:
                if creds.environment is None:
                    raise AuthError(f"{creds.source} cannot be renewed: {creds.how_to_fix()}")
                refresher = self._refresher = DeviceCodeLogin(creds.environment, clock=self._clock)
            try:
                fresh = refresher.refresh(tokens)
            except DeviceCodeError as exc:
                raise AuthError(
                    f"{creds.source} could not be renewed ({exc}): {creds.how_to_fix()}"
                ) from None
            creds.tokens = fresh
            if self._save and creds.hub_url:
                save_tokens(creds.hub_url, fresh, creds.environment)
            return fresh


# ----------------------------------------------------------------- helpers
def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) < 2:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
