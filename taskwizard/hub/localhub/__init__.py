"""A local, Bitfount-compatible hub on 127.0.0.1: what ``taskwizard hub``
runs, the ``local`` environment of ``taskwizard upload``, and what the tests
upload to.

It speaks the Hub API subset Bitfount's uploader uses (task templates,
models, weights, presigned single and multipart storage uploads, downloads),
keeps templates and models in SQLite and files on disk, and streams upload
bodies to disk. Served by uvicorn (httptools) and Starlette: ``server.py``
wires them; the routes are in ``routes/``, one module per resource.

    with LocalHub(tmp_path / "hub", username="alice") as hub:
        httpx.get(f"{hub.url}/api/health")
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from taskwizard.hub.localhub.core import HubApp, HubConfig, HubKeyPair, RequestRecord
from taskwizard.hub.localhub.faults import FaultPlan, FaultRule, FiredFault
from taskwizard.hub.localhub.signing import Signer
from taskwizard.hub.localhub.store import (
    DEFAULT_UPLOAD_EXPIRY,
    HubStore,
    code_hash,
    private_dir,
)

if TYPE_CHECKING:  # uvicorn and Starlette load when a hub starts, not on import
    from taskwizard.hub.localhub.server import HubServer

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MULTIPART_THRESHOLD",
    "DEFAULT_PORT",
    "DEFAULT_UPLOAD_EXPIRY",
    "FaultPlan",
    "FaultRule",
    "FiredFault",
    "LocalHub",
    "LocalHubError",
    "LocalHubLocked",
    "RequestRecord",
    "code_hash",
]

DEFAULT_PORT = 3000  # the SDK's dev hub is http://localhost:3000
# Bitfount's hub answers multipart from 5 MiB up; parts of 5 MiB like S3's minimum.
DEFAULT_MULTIPART_THRESHOLD = 5 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 5 * 1024 * 1024

LOCK_NAME = "hub.lock"
CREDENTIALS_NAME = "credentials.json"
SIGNING_KEY_NAME = "signing.key"


class LocalHubError(Exception):
    """The local hub cannot start; the message says why and what to do."""


class LocalHubLocked(LocalHubError):
    """Another local hub already serves this data folder."""


def local_hub_key_pair(data_dir: Path, username: str) -> tuple[str, str, str]:
    """``username``'s API key pair for the local hub kept in ``data_dir``, made on first use.

    Returns (key id, key, "stored" or "generated"). The file is mode 0600. ``taskwizard
    setup`` calls this too, so the key that uploads use exists before the hub first runs.
    """
    path = Path(data_dir).expanduser() / CREDENTIALS_NAME
    stored: dict[str, Any] = {}
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            stored = {}
    users = stored.get("users") if isinstance(stored.get("users"), dict) else {}
    assert isinstance(users, dict)
    entry = users.get(username)
    if isinstance(entry, dict) and isinstance(entry.get("api_key_id"), str):
        return entry["api_key_id"], str(entry.get("api_key", "")), "stored"
    key_id = "lh" + secrets.token_hex(12)
    key = secrets.token_hex(24)
    users[username] = {"api_key_id": key_id, "api_key": key}
    from taskwizard.atomic import atomic_write_text

    private_dir(Path(data_dir).expanduser())
    atomic_write_text(path, json.dumps({"users": users}, indent=2) + "\n", mode=0o600)
    return key_id, key, "generated"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalHub:
    """The local hub server. ``start()`` serves in a background thread."""

    def __init__(
        self,
        data_dir: Path,
        *,
        username: str,
        api_key_id: str | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        faults: FaultPlan | None = None,
        log: Callable[[str], None] | None = None,
        device_interval: int = 5,
        upload_expiry: float = DEFAULT_UPLOAD_EXPIRY,
    ) -> None:
        if not _is_loopback(host):
            raise LocalHubError(
                f"the local hub only listens on loopback (127.0.0.1), not on {host!r}"
            )
        if chunk_size < 1 or multipart_threshold < 0:
            raise ValueError("chunk_size must be positive and multipart_threshold not negative")
        if upload_expiry <= 0:
            raise ValueError("upload_expiry must be positive (seconds)")
        from taskwizard.model.names import username_problem

        problem = username_problem(username)  # Bitfount's own rule, as the setup checks it
        if problem is not None:
            raise LocalHubError(f"{username!r} is not a Bitfount username: {problem}")
        self.data_dir = Path(data_dir).expanduser()
        self.username = username
        self.host = host
        self.requested_port = port
        self.faults = faults if faults is not None else FaultPlan()
        self.config = HubConfig(
            multipart_threshold=multipart_threshold,
            chunk_size=chunk_size,
            device_interval=device_interval,
            host=host,
            upload_expiry=upload_expiry,
        )
        self._log = log
        if (api_key_id is None) != (api_key is None):
            raise ValueError("give both api_key_id and api_key, or neither")
        self.credentials_source: str
        if api_key_id is not None and api_key is not None:
            self.api_key_id, self.api_key = api_key_id, api_key
            self.credentials_source = "arguments"
        else:
            self.api_key_id, self.api_key, self.credentials_source = self._load_credentials()
        self._lock_file: IO[str] | None = None
        self._server: HubServer | None = None
        self._sweeper: threading.Thread | None = None
        self._stopping = threading.Event()
        self._store: HubStore | None = None
        self._app: HubApp | None = None
        self.url = ""
        self.port = 0

    # ------------------------------------------------------------- credentials

    def _load_credentials(self) -> tuple[str, str, str]:
        env_id = os.environ.get("BITFOUNT_API_KEY_ID")
        env_key = os.environ.get("BITFOUNT_API_KEY")
        if env_id and env_key:
            return env_id, env_key, "environment"
        return local_hub_key_pair(self.data_dir, self.username)

    def _signing_secret(self) -> bytes:
        path = self.data_dir / SIGNING_KEY_NAME
        if path.is_file():
            data = path.read_bytes()
            if len(data) >= 32:
                return data
        from taskwizard.atomic import atomic_write_bytes

        data = secrets.token_bytes(32)
        atomic_write_bytes(path, data, mode=0o600)
        return data

    # -------------------------------------------------------------- lifecycle

    def _acquire_lock(self) -> None:
        private_dir(self.data_dir)
        path = self.data_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip()
            handle.close()
            try:
                info = json.loads(holder)
                who = f"process {info.get('pid')} serving {info.get('url')}"
            except ValueError:
                who = "another process"
            raise LocalHubLocked(
                f"another local hub ({who}) is already using {self.data_dir}; "
                "stop it, or pass a different --data folder"
            ) from None
        self._lock_file = handle

    def _write_lock_info(self) -> None:
        if self._lock_file is None:
            return
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(json.dumps({"pid": os.getpid(), "url": self.url}))
        self._lock_file.flush()

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                self._lock_file.seek(0)
                self._lock_file.truncate()
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def start(self) -> None:
        """Bind, then serve in a background thread. Raises LocalHubError if the
        folder is in use by another hub or the port is taken."""
        from taskwizard.hub.localhub.server import HubServer, build_app

        if self._server is not None:
            raise RuntimeError("the local hub is already running")
        self._acquire_lock()
        try:
            self._store = HubStore(self.data_dir, upload_expiry=self.config.upload_expiry)
            app = HubApp(
                self._store,
                Signer(self._signing_secret()),
                HubKeyPair(self.username, self.api_key_id, self.api_key),
                self.config,
                self.faults,
                self._log,
            )
            try:
                server = HubServer(build_app(app), self.host, self.requested_port)
            except OSError as err:
                raise LocalHubError(
                    f"cannot listen on {self.host}:{self.requested_port} ({err.strerror}); "
                    "is something else using that port? Pass --port to choose another"
                ) from None
            self.port = server.port
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"http://{host}:{self.port}"
            app.base_url = self.url
            self._app = app
            server.start()
            self._server = server
            self._write_lock_info()
        except BaseException:
            if self._store is not None:
                self._store.close()
                self._store = None
            self._release_lock()
            raise
        self._stopping.clear()
        self._sweeper = threading.Thread(
            target=self._sweep_abandoned_uploads, name=f"localhub-sweep-{self.port}", daemon=True
        )
        self._sweeper.start()

    def _sweep_abandoned_uploads(self) -> None:
        interval = min(60.0, max(0.05, self.config.upload_expiry / 4))
        while not self._stopping.wait(interval):
            store = self._store
            if store is None:
                return
            with contextlib.suppress(Exception):  # a failed sweep is retried next time
                store.sweep_abandoned()

    def stop(self) -> None:
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
            self._sweeper = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._app is not None:
            self._app.close()
        if self._store is not None:
            self._store.close()
            self._store = None
        self._release_lock()

    def __enter__(self) -> LocalHub:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until the server thread ends (``taskwizard hub`` runs this)."""
        while self._server is not None and self._server.running:
            time.sleep(0.5)

    # ------------------------------------------------------ inspection (tests)

    @property
    def store(self) -> HubStore:
        if self._store is None:
            raise RuntimeError("the local hub is not running")
        return self._store

    @property
    def app(self) -> HubApp:
        if self._app is None:
            raise RuntimeError("the local hub is not running")
        return self._app

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers a client sends to authenticate as ``username``."""
        return {"x-api-key-id": self.api_key_id, "x-api-key": self.api_key}

    @property
    def pending_device_codes(self) -> int:
        return self.app.pending_device_codes

    @property
    def request_log(self) -> list[RequestRecord]:
        with self.app._log_lock:
            return list(self.app.request_log)

    def clear_request_log(self) -> None:
        with self.app._log_lock:
            self.app.request_log.clear()

    def templates(self, username: str | None = None) -> list[dict[str, Any]]:
        """Every task template (latest version), as GET returns it."""
        return self.store.list_templates(username)

    def template_versions(self, username: str, slug: str) -> list[dict[str, Any]]:
        return self.store.template_versions(username, slug)

    def models(self) -> list[dict[str, Any]]:
        """Every model version, pending and failed ones included, with
        ``codeStatus`` (pending|complete|failed) and ``weightsStatus``."""
        return self.store.list_model_versions()

    def model_code(self, username: str, name: str, version: int) -> bytes:
        found = self.store.get_model_version(username, name, version)
        return self.store.object_path(found["codeKey"]).read_bytes()

    def model_weights(self, username: str, name: str, version: int) -> bytes | None:
        found = self.store.get_model_version(username, name, version)
        if found["weightsStatus"] != "complete":
            return None
        return self.store.object_path(found["weightsKey"]).read_bytes()

    def issue_token(self, lifetime: int = 3600) -> dict[str, Any]:
        """A bearer token set for ``username``, as the device-code flow would give."""
        return self.app.issue_tokens(self.username, "tests", lifetime)

    def approve_device_code(self, user_code: str) -> bool:
        """Approve a pending device login (what the /activate page does)."""
        return self.app.approve_device_code(user_code)
