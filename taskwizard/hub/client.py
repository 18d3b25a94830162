"""An httpx client for the parts of the Bitfount Hub API that uploading uses.

Wire format exactly as Bitfount's SDK 13 (see bitfount-hub.md), with its flaws
fixed: request bodies are streamed from disk, and a *create* (new template, new
template version, new model version) is never blindly retried: after a failure
that may have reached the server, the client first asks the hub whether the create
took effect, so a flaky network cannot make duplicate versions. Idempotent requests
(GET, PATCH, the weights registration PUT, storage uploads) are retried with
backoff on connection errors, timeouts, 408/425/429 and 5xx.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from taskwizard.hub.auth import (
    AuthError,
    Credentials,
    HubAuth,
    rejected_message,
)
from taskwizard.hub.environments import is_loopback_http

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0)
MAX_RETRY_AFTER_S = 60.0
STORAGE_OK = frozenset({200, 201, 203, 204})
CHUNK_SIZE = 1024 * 1024
#: Where the hub says whose credentials a request carries (see ``HubClient.whoami``).
WHOAMI_PATH = "/api/users/me"
#: Transport errors that prove the request never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Presigned storage URLs carry their own authorisation: never send hub credentials there.
_NO_AUTH = httpx.Auth()

JSON = dict[str, Any]
ByteProgress = Callable[[int], None]


class HubError(Exception):
    """The hub (or its storage) answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HubAuthRejected(HubError, AuthError):
    """401/403 from the hub; the message names the credentials' source and the fix."""


class WrongUser(AuthError):
    """The credentials belong to another user than the one uploading."""


class HubUnavailable(HubError):
    """Still failing after every retry (connection errors, timeouts, 429/5xx)."""


def _refused_on_loopback(exc: Exception) -> bool:
    """Nothing listens on this machine's port: asking again in 1, 2, 4 s will not change
    that (retries are for timeouts and 5xx). The request never reached a server."""
    if not isinstance(exc, httpx.ConnectError):
        return False
    try:
        url = str(exc.request.url)
    except RuntimeError:  # no request attached
        return False
    return is_loopback_http(url)


def _refused_message(what: str, exc: Exception) -> str:
    url = ""
    try:
        request = exc.request  # type: ignore[attr-defined]
        url = f"{request.url.scheme}://{request.url.netloc.decode()}"
    except (AttributeError, RuntimeError):
        pass
    return (
        f"{what}: connection refused — nothing is listening at {url or 'the hub address'}. "
        "Start the local hub (`taskwizard hub`, or 'Start the local hub here'), "
        "or check the hub URL in Settings."
    )


class ReadOnlyViolation(HubError):
    """A request that changes something was attempted on a read-only (dry-run) client."""


class CreateOutcomeUnknown(HubError):
    """A model version was registered but its answer (the upload URLs) was lost.

    ``version`` is the version the hub now has; its code was never uploaded.
    """

    def __init__(self, message: str, *, version: int) -> None:
        super().__init__(message)
        self.version = version


class UploadCancelled(Exception):
    """The caller's cancel event was set; raised between two chunks."""


@dataclass(frozen=True, slots=True)
class StorageTarget:
    """Where to put a file: a presigned single POST or a set of multipart PUT URLs."""

    version: int | None = None
    upload_url: str | None = None
    upload_fields: dict[str, str] = field(default_factory=dict)
    upload_urls: tuple[str, ...] = ()
    chunk_size: int | None = None
    upload_id: str | None = None
    key: str | None = None

    @property
    def multipart(self) -> bool:
        return bool(self.upload_urls)

    @classmethod
    def from_response(cls, data: JSON) -> StorageTarget:
        version = data.get("version")
        urls = data.get("uploadUrls") or ()
        fields = data.get("uploadFields") or {}
        chunk = data.get("chunkSize")
        if not isinstance(fields, dict):
            fields = {}
        target = cls(
            version=_int_or_none(version),
            upload_url=data.get("uploadUrl"),
            upload_fields={str(k): str(v) for k, v in fields.items()},
            upload_urls=tuple(str(u) for u in urls) if isinstance(urls, list) else (),
            chunk_size=_int_or_none(chunk),
            upload_id=data.get("uploadId"),
            key=data.get("key"),
        )
        if not target.multipart and not target.upload_url:
            raise HubError("the hub's answer has neither uploadUrl nor uploadUrls")
        if target.multipart and not (target.chunk_size and target.upload_id and target.key):
            raise HubError("the hub's multipart answer lacks chunkSize, uploadId or key")
        return target


class HubClient:
    """One hub, one set of credentials. Not thread-safe: one upload at a time."""

    def __init__(
        self,
        base_url: str,
        auth: Credentials | httpx.Auth | None,
        *,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 3,
        read_only: bool = False,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if isinstance(auth, Credentials):
            self.credentials: Credentials | None = auth
            self._auth: httpx.Auth = HubAuth(auth)
        elif isinstance(auth, HubAuth):
            self.credentials = auth.credentials
            self._auth = auth
        else:
            self.credentials = None
            self._auth = auth if auth is not None else httpx.Auth()
        self.read_only = read_only
        self.max_retries = max_retries
        self.chunk_size = chunk_size
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- identity
    def whoami(self) -> str | None:
        """Whose credentials these are, as the hub knows them; None when it does not say.

        Bitfount's SDK learns the user of a device-code login from the id token's
        ``https://www.bitfount.com/username`` claim (used here without a request); for an
        API key it never asks, and SDK 13 names no endpoint for it. So the hub is asked
        ``GET /api/users/me`` (``{"username": ...}``, which the local hub answers); any other
        answer leaves it unknown.
        """
        if self.credentials is not None and self.credentials.username:
            return self.credentials.username
        # Not ``_hub``: a hub that does not know the route may answer anything (404, 405,
        # even 401/403 or a web page) — that means "unknown", never a failed upload.
        response = self._retrying(lambda: self._hub_once("GET", WHOAMI_PATH), f"GET {WHOAMI_PATH}")
        if response.status_code != 200:
            return None
        name = _json(response).get("username")
        return name if isinstance(name, str) and name else None

    def confirm_user(self, username: str) -> bool:
        """Raise :class:`WrongUser` when the credentials are another user's; True when the hub
        confirmed they are ``username``'s, False when it could not say. Call it before writing
        anything: the hub files every create under the credentials' owner, whatever the
        username in the URL (so bob's plan with alice's key made duplicates under alice)."""
        owner = self.whoami()
        if owner is None:
            return False
        if owner != username:
            source = self.credentials.source if self.credentials else "these credentials"
            raise WrongUser(
                f"{source} belongs to {owner!r} on {self.base_url}, not {username!r}: nothing "
                f"was uploaded. Upload as {owner} (--username {owner}), or use {username}'s "
                "credentials"
            )
        return True

    # ------------------------------------------------------------ templates
    def get_task_template(self, user: str, slug: str, version: int | None = None) -> JSON | None:
        """The hub's latest version of the template (or ``version``), None when it doesn't exist.

        The SDK reads a specific version only by the version's id; ``?version=N`` is what
        the local hub serves, so a caller asking for a version checks the answer's
        ``version``.
        """
        params = {"version": str(version)} if version is not None else None
        response = self._hub("GET", f"/api/task-templates/{_seg(user)}/{_seg(slug)}", params=params)
        if response.status_code == 404:
            return None
        self._raise_for(response, f"reading task template {user}/{slug}")
        return _json(response)

    def list_task_templates(self, user: str) -> list[JSON]:
        """The latest version of each of ``user``'s templates.

        ``GET /api/task-templates?username=USER``; a plain list or a paginated
        ``{"results": [...]}`` answer are both read.
        """
        response = self._hub("GET", "/api/task-templates", params={"username": user})
        self._raise_for(response, f"listing the task templates of {user}")
        try:
            data = response.json()
        except ValueError:
            raise HubError(
                f"listing the task templates of {user}: the answer is not JSON"
            ) from None
        if isinstance(data, dict):
            data = data.get("results")
        if not isinstance(data, list):
            raise HubError(f"listing the task templates of {user}: the answer is not a list")
        return [item for item in data if isinstance(item, dict)]

    def create_task_template(self, body: JSON, *, owner: str) -> JSON:
        """POST a new template. ``owner`` is whom to ask whether a lost create took effect."""
        slug = str(body["slug"])
        return self._create(
            lambda: self._hub_once("POST", "/api/task-templates", json=body),
            lambda: self._template_matches(owner, slug, body),
            f"creating task template {owner}/{slug}",
        )

    def new_task_template_version(self, user: str, slug: str, body: JSON) -> JSON:
        return self._create(
            lambda: self._hub_once(
                "POST", f"/api/task-templates/{_seg(user)}/{_seg(slug)}", json=body
            ),
            lambda: self._template_matches(user, slug, body),
            f"creating a new version of task template {user}/{slug}",
        )

    def patch_task_template_tags(self, user: str, slug: str, tags: Sequence[str]) -> None:
        self._patch(user, slug, json={"tags": list(tags)}, what="tags")

    def patch_task_template_sample_url(self, user: str, slug: str, url: str | None) -> None:
        self._patch(user, slug, json={"sampleDatasetDownloadUrl": url}, what="sample dataset URL")

    def patch_task_template_state(self, user: str, slug: str, state: str) -> None:
        """``published`` or ``archived``; form-encoded, as the SDK sends it."""
        self._patch(user, slug, data={"state": state}, what=f"state ({state})")

    def _patch(self, user: str, slug: str, *, what: str, **kwargs: Any) -> None:
        response = self._hub("PATCH", f"/api/task-templates/{_seg(user)}/{_seg(slug)}", **kwargs)
        self._raise_for(response, f"updating the {what} of task template {user}/{slug}")

    def _template_matches(self, user: str, slug: str, body: JSON) -> JSON | None:
        """The hub's template when its latest version is ``body`` (the create happened)."""
        hub = self.get_task_template(user, slug)
        if hub is None or hub.get("template") != body.get("template"):
            return None
        if "description" in hub and hub["description"] != body.get("description"):
            return None
        return hub

    # --------------------------------------------------------------- models
    def get_model(self, user: str, name: str, version: int | None = None) -> JSON | None:
        """``modelVersion``, ``modelHash`` (and for a version ``weightsDownloadUrl``), or None."""
        params: dict[str, str | int] = {"modellerName": user, "modelName": name}
        if version is not None:
            params["modelVersion"] = version
        response = self._hub("GET", "/api/models", params=params)
        if response.status_code == 404:
            return None
        self._raise_for(response, f"reading model {user}/{name}")
        data = _json(response)
        return data if data.get("modelVersion") is not None else None

    def register_model_code(
        self,
        user: str,
        name: str,
        *,
        size: int,
        code_hash: str,
        private: bool = True,
        description: str = "",
        known_version: int | None = None,
    ) -> StorageTarget:
        """Register a new model version; the answer says where to upload the code.

        ``known_version`` is the hub's latest version before this call (fetched here
        when not given): after a failure that may have reached the server, a newer
        version with our hash means the create took effect.
        """
        if known_version is None:
            current = self.get_model(user, name)
            known_version = int(current["modelVersion"]) if current else 0
        body = {
            "modelName": name,
            "modelSize": size,
            "modelHash": code_hash,
            "privateModel": private,
            "modelDescription": description,
        }

        def took_effect() -> StorageTarget | None:
            # A hub may list only versions whose code has arrived: ask for the version a
            # successful create would have made, as well as for the latest one.
            for found in (
                self.get_model(user, name, known_version + 1),
                self.get_model(user, name),
            ):
                if found and found.get("modelHash") == code_hash:
                    version = int(found["modelVersion"])
                    if version > known_version:
                        raise CreateOutcomeUnknown(
                            f"the hub registered version {version} of model {name}, but its "
                            "answer was lost on the way back, so the code could not be "
                            "uploaded; run the upload again to make a complete new version",
                            version=version,
                        )
            return None

        return self._create(
            lambda: self._hub_once(
                "POST", "/api/models", params={"multipartUpload": "true"}, json=body
            ),
            took_effect,
            f"registering a new version of model {name}",
            parse=_storage_target,
        )

    def register_model_weights(self, name: str, version: int, size: int) -> StorageTarget:
        """Ask where to upload weights for an existing version (idempotent: same version)."""
        response = self._hub(
            "PUT",
            "/api/models",
            params={"multipartUpload": "true"},
            json={"modelName": name, "modelVersion": version, "weightSize": size},
        )
        self._raise_for(response, f"registering weights for model {name} v{version}")
        return _storage_target(response)

    # -------------------------------------------------------------- storage
    def upload_file(
        self,
        target: StorageTarget,
        path: Path,
        *,
        on_bytes: ByteProgress | None = None,
        cancel: threading.Event | None = None,
        object_type: str = "Model",
    ) -> None:
        """Stream ``path`` to the storage target (single POST or multipart PUTs + complete)."""
        if target.multipart:
            self.upload_multipart(
                target, path, on_bytes=on_bytes, cancel=cancel, object_type=object_type
            )
        else:
            assert target.upload_url is not None
            self.upload_single(
                target.upload_url, target.upload_fields, path, on_bytes=on_bytes, cancel=cancel
            )

    def upload_single(
        self,
        url: str,
        fields: dict[str, str],
        path: Path,
        *,
        on_bytes: ByteProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """multipart/form-data POST: the fields, then ``file``; streamed with a known length."""
        self._check_writable("POST", url)
        size = path.stat().st_size
        boundary = uuid.uuid4().hex
        disposition = '--{b}\r\nContent-Disposition: form-data; name="{n}"'
        head = (
            b"".join(
                (disposition.format(b=boundary, n=_quote(k)) + "\r\n\r\n" + v + "\r\n").encode()
                for k, v in fields.items()
            )
            + (
                disposition.format(b=boundary, n="file")
                + f'; filename="{_quote(path.name)}"\r\n'
                + "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
        )
        tail = f"\r\n--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        }

        def body() -> Iterator[bytes]:
            yield head
            yield from self._file_chunks(path, 0, size, 0, on_bytes, cancel)
            yield tail

        response = self._retrying(
            lambda: self._http.post(url, content=body(), headers=headers, auth=_NO_AUTH),
            "uploading to storage",
        )
        if response.status_code not in STORAGE_OK:
            raise HubError(
                f"storage refused {path.name} ({response.status_code}: {_message(response)})"
                + _storage_hint(response.status_code),
                status=response.status_code,
            )

    def upload_multipart(
        self,
        target: StorageTarget,
        path: Path,
        *,
        on_bytes: ByteProgress | None = None,
        cancel: threading.Event | None = None,
        object_type: str = "Model",
    ) -> None:
        size = path.stat().st_size
        chunk = target.chunk_size or size
        parts: list[JSON] = []
        count = len(target.upload_urls)
        for number, url in enumerate(target.upload_urls, start=1):
            self._check_writable("PUT", url)
            offset = (number - 1) * chunk
            length = size - offset if number == count else min(chunk, max(size - offset, 0))

            def put(url: str = url, offset: int = offset, length: int = length) -> httpx.Response:
                return self._http.put(
                    url,
                    content=self._file_chunks(path, offset, length, offset, on_bytes, cancel),
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(length),
                    },
                    auth=_NO_AUTH,
                )

            response = self._retrying(put, f"uploading part {number} of {path.name}")
            if response.status_code not in STORAGE_OK:
                raise HubError(
                    f"storage refused part {number} of {path.name} "
                    f"({response.status_code}: {_message(response)})"
                    + _storage_hint(response.status_code),
                    status=response.status_code,
                )
            etag = response.headers.get("ETag", "").strip('"')
            parts.append({"ETag": etag, "PartNumber": number})
        response = self._hub(
            "POST",
            "/api/upload",
            json={
                "objectType": object_type,
                "key": target.key,
                "uploadId": target.upload_id,
                "parts": parts,
            },
        )
        self._raise_for(response, f"completing the upload of {path.name}")

    @contextlib.contextmanager
    def download(self, url: str) -> Iterator[Iterator[bytes]]:
        """Stream a presigned download (no hub credentials), in chunks."""
        with self._http.stream("GET", url, auth=_NO_AUTH) as response:
            if response.status_code != 200:
                status = response.status_code
                raise HubError(f"download failed ({status})", status=status)
            yield response.iter_bytes(self.chunk_size)

    def _file_chunks(
        self,
        path: Path,
        offset: int,
        length: int,
        base: int,
        on_bytes: ByteProgress | None,
        cancel: threading.Event | None,
    ) -> Iterator[bytes]:
        """``length`` bytes of ``path`` from ``offset``; reports ``base + sent`` per chunk."""
        sent = 0
        if on_bytes is not None:
            on_bytes(base)
        with path.open("rb") as handle:
            handle.seek(offset)
            while sent < length:
                if cancel is not None and cancel.is_set():
                    raise UploadCancelled()
                data = handle.read(min(self.chunk_size, length - sent))
                if not data:
                    raise HubError(f"{path.name} got shorter while it was being uploaded")
                yield data
                sent += len(data)
                if on_bytes is not None:
                    on_bytes(base + sent)

    # ------------------------------------------------------------ machinery
    def _check_writable(self, method: str, url: str) -> None:
        if self.read_only and method not in ("GET", "HEAD"):
            raise ReadOnlyViolation(f"dry run: refusing to send {method} {url}")

    def _hub_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._check_writable(method, path)
        return self._http.request(method, self.base_url + path, auth=self._auth, **kwargs)

    def _hub(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An idempotent hub request, retried; 401/403 raise :class:`HubAuthRejected`."""
        self._check_writable(method, path)
        response = self._retrying(
            lambda: self._hub_once(method, path, **kwargs), f"{method} {path}"
        )
        self._raise_if_rejected(response)
        return response

    def _retrying(self, send: Callable[[], httpx.Response], what: str) -> httpx.Response:
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            try:
                response = send()
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.UnsupportedProtocol):
                    raise HubError(f"{what}: {exc}") from None
                if _refused_on_loopback(exc):
                    raise HubUnavailable(_refused_message(what, exc)) from None
                last = exc
            else:
                if response.status_code not in RETRY_STATUSES or attempt == self.max_retries:
                    return response
                last = None
            self._sleep(self._backoff(attempt, None if last else response))
        raise HubUnavailable(
            f"{what}: no answer after {self.max_retries + 1} attempts ({_describe(last)})"
        )

    def _create(
        self,
        send: Callable[[], httpx.Response],
        took_effect: Callable[[], T | None],
        what: str,
        parse: Callable[[httpx.Response], T] | None = None,
    ) -> T:
        """Send a create; on a failure that may have reached the hub, check before resending."""
        last: str = ""
        for attempt in range(self.max_retries + 1):
            answer: httpx.Response | None = None
            try:
                answer = send()
            except _NOT_SENT as exc:
                if _refused_on_loopback(exc):
                    raise HubUnavailable(_refused_message(what, exc)) from None
                reached, last = False, _describe(exc)
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.UnsupportedProtocol):
                    raise HubError(f"{what}: {exc}") from None
                reached, last = True, _describe(exc)
            else:
                self._raise_if_rejected(answer)
                if answer.is_success:
                    return parse(answer) if parse else _json(answer)  # type: ignore[return-value]
                if answer.status_code not in RETRY_STATUSES:
                    self._raise_for(answer, what)
                reached, last = True, f"{answer.status_code} {_message(answer)}"
            if not reached and attempt == self.max_retries:
                break
            self._sleep(self._backoff(attempt, answer))
            if reached:
                # The create may have happened although we got no good answer: ask first.
                done = took_effect()
                if done is not None:
                    return done
        raise HubUnavailable(f"{what}: failed after {self.max_retries + 1} attempts ({last})")

    def _backoff(self, attempt: int, response: httpx.Response | None = None) -> float:
        """1, 2, 4 s; longer when a 429/503 says ``Retry-After`` (up to a minute)."""
        delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
        retry_after = response.headers.get("Retry-After", "") if response is not None else ""
        if retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_S))
        return delay

    def _raise_if_rejected(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise HubAuthRejected(
                rejected_message(self.credentials, response.status_code, self.base_url),
                status=response.status_code,
            )

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        self._raise_if_rejected(response)
        if response.is_success:
            return
        cls = HubUnavailable if response.status_code in RETRY_STATUSES else HubError
        raise cls(
            f"{what}: the hub answered {response.status_code} ({_message(response)})",
            status=response.status_code,
        )


# ------------------------------------------------------------------ helpers
def _storage_target(response: httpx.Response) -> StorageTarget:
    data = _json(response)
    if data.get("success") is False:
        raise HubError(f"the hub refused: {data.get('errorMessage') or 'no reason given'}")
    return StorageTarget.from_response(data)


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _json(response: httpx.Response) -> JSON:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"value": data}


_S3_FIELD = re.compile(r"<(Code|Message)>([^<]{0,300})</\1>")


def _s3_error(text: str) -> str | None:
    """An S3-style XML error body (``<Error><Code>AccessDenied</Code><Message>Access
    Denied</Message>...``) in words: "AccessDenied: Access Denied"; None if it is not one."""
    if not text.lstrip().startswith("<"):
        return None
    found = dict(_S3_FIELD.findall(text))
    if not found:
        return "an error page from storage"
    code, message = found.get("Code", ""), html.unescape(found.get("Message", "")).strip()
    return f"{code}: {message}" if code and message else (code or message)


def _storage_hint(status: int) -> str:
    if status == 403:
        return (
            " — the storage did not accept the upload link (expired, or not for this file); "
            "run the upload again"
        )
    return ""


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        s3 = _s3_error(text)
        if s3 is not None:
            return s3
        return text[:200] if text else (response.reason_phrase or "no details")
    if isinstance(data, dict):
        for key in ("errorMessage", "message", "error", "detail"):
            if data.get(key):
                return str(data[key])[:200]
    return str(data)[:200]


def _describe(exc: Exception | None) -> str:
    if exc is None:
        return "the server kept answering with a temporary error"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _seg(value: str) -> str:
    return quote(value, safe="")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
