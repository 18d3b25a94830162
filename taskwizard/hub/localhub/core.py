"""What every route of the local hub shares: the store, the signer, the hub's
credentials, the bearer tokens and device logins it issued, and the request log.

No HTTP here: the routes (``routes/``) read requests and call into this; the
server (``server.py``) wires them to uvicorn and Starlette.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from taskwizard.hub.localhub.faults import FaultPlan
from taskwizard.hub.localhub.signing import Signer
from taskwizard.hub.localhub.store import HubStore

# Device logins waiting for approval: bounded, and each expires, so unauthenticated
# POST /oauth/device/code cannot grow the hub's memory.
MAX_PENDING_DEVICE_CODES = 64
DEVICE_CODE_LIFETIME = 600
# The request log keeps the latest requests only (a long-running hub must not grow).
MAX_REQUEST_LOG = 10_000


@dataclass(frozen=True)
class RequestRecord:
    """One line of the request log (no credentials, no signatures)."""

    method: str
    path: str
    query: str
    status: int | None  # None: the connection was dropped
    username: str | None
    bytes_in: int
    fault: str | None
    duration_ms: float


@dataclass
class HubKeyPair:
    username: str
    api_key_id: str
    api_key: str

    def matches(self, key_id: str, key: str) -> bool:
        # Bitfount's SDK sends only the part before ':' of each key to the hub.
        return hmac.compare_digest(
            key_id.encode(), self.api_key_id.split(":")[0].encode()
        ) & hmac.compare_digest(key.encode(), self.api_key.split(":")[0].encode())


@dataclass
class HubConfig:
    multipart_threshold: int
    chunk_size: int
    device_interval: int = 5
    host: str = "127.0.0.1"
    upload_expiry: float = 2 * 3600  # seconds an upload may stay incomplete


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    interval: int
    approved: bool = False
    last_poll: float = 0.0


class ApiError(Exception):
    """A request the hub refuses; answered as ``{"statusCode", "message"}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class TooManyDeviceLogins(Exception):
    """The device-code table is full of pending logins."""


class HubApp:
    """Everything a request needs; shared by the routes (one per hub)."""

    def __init__(
        self,
        store: HubStore,
        signer: Signer,
        credentials: HubKeyPair,
        config: HubConfig,
        faults: FaultPlan | None,
        log: Callable[[str], None] | None,
    ) -> None:
        self.store = store
        self.signer = signer
        self.credentials = credentials
        self.config = config
        self.faults = faults
        self.log = log
        self.base_url = ""
        self.request_log: deque[RequestRecord] = deque(maxlen=MAX_REQUEST_LOG)
        self._log_lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # access token -> (user, expires)
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> user
        self._device_codes: dict[str, DeviceCode] = {}
        self._auth_lock = threading.Lock()
        # Hashing and writing multipart parts, off the event loop. Two threads: the
        # machine's cores do the hashing; more threads would only add memory.
        self.write_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="localhub-write")

    def close(self) -> None:
        self.write_pool.shutdown(wait=True)

    # ------------------------------------------------------------------ logging

    def record(self, entry: RequestRecord) -> None:
        with self._log_lock:
            self.request_log.append(entry)
        if self.log is not None:
            shown = entry.path + (f"?{entry.query}" if entry.query else "")
            status = "dropped" if entry.status is None else str(entry.status)
            fault = f" [fault: {entry.fault}]" if entry.fault else ""
            user = f" user={entry.username}" if entry.username else ""
            self.log(
                f"{entry.method} {shown} -> {status} "
                f"({entry.bytes_in} B in, {entry.duration_ms:.0f} ms){user}{fault}"
            )

    # --------------------------------------------------------------------- auth

    def authenticate(self, headers: Any) -> str:
        """The user the request's credentials name; ApiError(401) if they name none."""
        key_id = headers.get("x-api-key-id")
        key = headers.get("x-api-key")
        authorization = headers.get("authorization")
        if key_id is not None or key is not None:
            if key_id and key and self.credentials.matches(key_id, key):
                return self.credentials.username
            raise ApiError(
                401,
                "the API key pair (x-api-key-id, x-api-key) is not valid for this hub; use the "
                "pair `taskwizard hub` printed at start (BITFOUNT_API_KEY_ID / BITFOUNT_API_KEY)",
            )
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise ApiError(401, "the authorization header must be 'Bearer <token>'")
            with self._auth_lock:
                found = self._tokens.get(token.strip())
            if found is None:
                raise ApiError(401, "the bearer token is not one this hub issued")
            user, expires = found
            if expires < time.time():
                raise ApiError(401, "the bearer token has expired; refresh it or log in again")
            return user
        raise ApiError(
            401,
            "no credentials: send x-api-key-id and x-api-key headers, or 'authorization: Bearer'",
        )

    # ---------------------------------------------------------- device logins

    def new_device_code(self, client_id: str) -> DeviceCode:
        """A pending device login; TooManyDeviceLogins when the table is full."""
        now = time.time()
        code = DeviceCode(
            device_code=secrets.token_urlsafe(32),
            user_code=_user_code(),
            client_id=client_id[:200],
            expires_at=now + DEVICE_CODE_LIFETIME,
            interval=self.config.device_interval,
        )
        with self._auth_lock:
            for stale in [c for c, d in self._device_codes.items() if d.expires_at < now]:
                del self._device_codes[stale]
            if len(self._device_codes) >= MAX_PENDING_DEVICE_CODES:
                raise TooManyDeviceLogins
            self._device_codes[code.device_code] = code
        return code

    @property
    def pending_device_codes(self) -> int:
        with self._auth_lock:
            return len(self._device_codes)

    def poll_device_code(self, device_code: str) -> tuple[str, str] | DeviceCode:
        """``(error, description)`` while the login is not approved, else the code
        (removed from the table: a device code gives tokens once)."""
        with self._auth_lock:
            code = self._device_codes.get(device_code)
            if code is None:
                return "invalid_grant", "unknown device code"
            now = time.time()
            if code.expires_at < now:
                del self._device_codes[code.device_code]
                return "expired_token", "the device code has expired"
            if not code.approved:
                too_fast = now - code.last_poll < code.interval * 0.8
                code.last_poll = now
                if too_fast:
                    return "slow_down", "polling too fast"
                return "authorization_pending", "waiting for the user to approve"
            del self._device_codes[code.device_code]
            return code

    def approve_device_code(self, user_code: str) -> bool:
        with self._auth_lock:
            for code in self._device_codes.values():
                if code.user_code == user_code.strip().upper() and code.expires_at > time.time():
                    code.approved = True
                    return True
        return False

    def use_refresh_token(self, token: str) -> str | None:
        with self._auth_lock:
            return self._refresh_tokens.pop(token, None)

    def issue_tokens(self, user: str, client_id: str, lifetime: int = 3600) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        now_exact = time.time()
        with self._auth_lock:
            for stale in [t for t, (_, exp) in self._tokens.items() if exp < now_exact - 3600]:
                del self._tokens[stale]
            self._tokens[access] = (user, now_exact + lifetime)
            self._refresh_tokens[refresh] = user
        now = int(now_exact)
        claims = {
            "iss": self.base_url + "/",
            "sub": f"localhub|{user}",
            "aud": client_id,
            "iat": now,
            "exp": now + lifetime,
            "https://www.bitfount.com/username": user,
        }
        return {
            "access_token": access,
            "refresh_token": refresh,
            "id_token": _unsigned_jwt(claims),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": "profile openid offline_access",
        }


def _user_code() -> str:
    alphabet = "BCDFGHJKLMNPQRSTVWXZ"
    raw = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    import base64
    import json

    def encode(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."
