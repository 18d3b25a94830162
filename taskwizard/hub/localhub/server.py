"""The local hub's HTTP side: routing, authentication, the Hub API subset
Bitfount's uploader uses, and the presigned storage endpoints.

Wire format: ../shared/reference/bitfount-hub.md. Handlers return a
:class:`Reply`; the request handler writes it, so a fault can swap it for an
error after the work is done (a lost response).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import math
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from taskwizard.hub.localhub.bodies import (
    BodyError,
    BodyTooLarge,
    ClientGone,
    MultipartReader,
    RequestBody,
    parse_header_params,
)
from taskwizard.hub.localhub.faults import FaultPlan, FaultRule
from taskwizard.hub.localhub.signing import Signer, quote_key
from taskwizard.hub.localhub.store import HubStore, StoreError, Upload, open_private_file

MAX_CODE_SIZE = 3 * 1024 * 1024
MAX_WEIGHTS_SIZE = 524_288_000
MAX_API_BODY = 16 * 1024 * 1024
MAX_STORAGE_BODY = MAX_WEIGHTS_SIZE + 1024 * 1024
COPY_SIZE = 1024 * 1024

SLUG_RE = re.compile(r"[0-9a-z]+(?:-[0-9a-z]+)*")
MODEL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
HASH_RE = re.compile(r"[0-9a-f]{64}")
TEMPLATE_FIELDS = {"title", "slug", "type", "template", "description", "tags"}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # streamed instead of body


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


def error_reply(status: int, message: str, **extra: Any) -> Reply:
    return json_reply(status, {"statusCode": status, "message": message, **extra})


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
class Credentials:
    username: str
    api_key_id: str
    api_key: str

    def matches(self, key_id: str, key: str) -> bool:
        # Bitfount's SDK sends only the part before ':' of each key to the hub.
        import hmac

        return hmac.compare_digest(
            key_id.encode(), self.api_key_id.split(":")[0].encode()
        ) & hmac.compare_digest(key.encode(), self.api_key.split(":")[0].encode())


@dataclass
class HubConfig:
    multipart_threshold: int
    chunk_size: int
    device_interval: int = 5


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    interval: int
    approved: bool = False
    last_poll: float = 0.0


@dataclass
class RequestContext:
    user: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class HubApp:
    """Everything a request needs, shared by the server's threads."""

    def __init__(
        self,
        store: HubStore,
        signer: Signer,
        credentials: Credentials,
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
        self.request_log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # access token -> (user, expires)
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> user
        self._device_codes: dict[str, DeviceCode] = {}
        self._auth_lock = threading.Lock()

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

    # ------------------------------------------------------------------ routing

    def route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Any,
        body: RequestBody,
        context: RequestContext,
    ) -> Reply:
        """The reply; ``context.user`` is set once the request is authenticated."""
        if path == "/" and method in ("GET", "HEAD"):
            return self.index_page()
        if path == "/api/health" and method in ("GET", "HEAD"):
            return json_reply(200, {"status": "ok", "service": "taskwizard local hub"})
        if path.startswith("/storage/"):
            return self.storage(method, path, query, headers, body)
        if path.startswith("/oauth/") or path == "/activate":
            return self.oauth(method, path, query, body)
        if not path.startswith("/api/"):
            return error_reply(404, f"no such endpoint: {method} {path}")
        user = context.user = self.authenticate(headers)
        parts = [unquote(p) for p in path.split("/")[2:]]
        if parts and parts[-1] == "":
            parts.pop()
        if parts[:1] == ["task-templates"]:
            return self.task_templates(method, parts[1:], query, headers, body, user)
        if parts == ["models"]:
            return self.models(method, query, headers, body, user)
        if parts == ["users", "me"] and method == "GET":
            return self.whoami(user)
        if parts == ["upload"] and method == "POST":
            return self.complete_multipart(self.read_json(headers, body), user)
        return error_reply(404, f"no such endpoint: {method} {path}")

    @staticmethod
    def whoami(user: str) -> Reply:
        """``GET /api/users/me``: whose credentials the request carries (``HubClient.whoami``
        asks before an upload writes anything)."""
        return json_reply(200, {"username": user})

    def index_page(self) -> Reply:
        user = html.escape(self.credentials.username)
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>taskwizard local hub</title>"
            "</head><body><h1>taskwizard local hub</h1>"
            "<p>A local stand-in for the Bitfount Hub API that task templates and models "
            "are uploaded to. It speaks the subset of the Hub API that Bitfount's uploader "
            f"uses. User: <b>{user}</b>.</p>"
            "<p>Upload with <code>taskwizard upload CONFIG --env local</code>. "
            "Health check: <a href='/api/health'>/api/health</a>.</p></body></html>"
        )
        return Reply(200, page.encode(), content_type="text/html; charset=utf-8")

    # ----------------------------------------------------------------- helpers

    @staticmethod
    def read_json(headers: Any, body: RequestBody) -> Any:
        raw = body.read_all()
        try:
            return json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ApiError(400, f"the body is not valid JSON: {err}") from None

    @staticmethod
    def require_owner(url_user: str, user: str) -> None:
        if url_user != user:
            raise ApiError(
                403, f"you are authenticated as {user!r} and cannot change {url_user!r}'s items"
            )

    # ---------------------------------------------------------- task templates

    def task_templates(
        self,
        method: str,
        parts: list[str],
        query: dict[str, list[str]],
        headers: Any,
        body: RequestBody,
        user: str,
    ) -> Reply:
        if not parts:
            if method == "POST":
                payload = self.validate_template_body(self.read_json(headers, body), None)
                return json_reply(201, self.store.create_template(user, payload))
            if method == "GET":
                owner = query.get("username", [None])[0]
                return json_reply(200, self.store.list_templates(owner))
            return error_reply(405, f"{method} is not allowed on /api/task-templates")
        url_user = parts[0]
        if len(parts) == 1 and method == "GET":
            return json_reply(200, self.store.list_templates(url_user))
        if len(parts) == 3 and parts[2] == "versions" and method == "GET":
            return json_reply(200, self.store.template_versions(url_user, parts[1]))
        if len(parts) != 2:
            return error_reply(404, "no such task-templates endpoint")
        slug = parts[1]
        if method == "GET":
            version = query.get("version", [None])[0]
            if version is not None and not version.isdigit():
                raise ApiError(400, "version must be a whole number")
            return json_reply(
                200, self.store.get_template(url_user, slug, int(version) if version else None)
            )
        if method == "POST":
            self.require_owner(url_user, user)
            payload = self.validate_template_body(self.read_json(headers, body), slug)
            return json_reply(201, self.store.new_template_version(url_user, slug, payload))
        if method == "PATCH":
            self.require_owner(url_user, user)
            changes = self.read_patch(headers, body)
            return json_reply(200, self.store.patch_template(url_user, slug, changes))
        return error_reply(405, f"{method} is not allowed on a task template")

    @staticmethod
    def validate_template_body(payload: Any, url_slug: str | None) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise ApiError(400, "the body must be a JSON object")
        missing = sorted(TEMPLATE_FIELDS - payload.keys())
        if missing:
            raise ApiError(400, f"missing field(s): {', '.join(missing)}")
        unknown = sorted(payload.keys() - TEMPLATE_FIELDS)
        if unknown:
            raise ApiError(400, f"unknown field(s): {', '.join(unknown)}")
        slug = payload["slug"]
        if not isinstance(slug, str) or len(slug) > 50 or not SLUG_RE.fullmatch(slug):
            raise ApiError(
                400, f"slug {slug!r} is not a sanitised slug ([0-9a-z] and single '-', max 50)"
            )
        if url_slug is not None and slug != url_slug:
            raise ApiError(400, f"the body's slug {slug!r} differs from the URL's {url_slug!r}")
        for name in ("title", "type"):
            if not isinstance(payload[name], str) or not payload[name].strip():
                raise ApiError(400, f"{name} must be a non-empty string")
        if not isinstance(payload["description"], str):
            raise ApiError(400, "description must be a string")
        tags = payload["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ApiError(400, "tags must be a list of strings")
        if not isinstance(payload["template"], dict):
            raise ApiError(400, "template must be a JSON object (the parsed task YAML)")
        return payload

    def read_patch(self, headers: Any, body: RequestBody) -> dict[str, Any]:
        content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            form = parse_qs(body.read_all().decode("utf-8", "replace"), keep_blank_values=True)
            changes: dict[str, Any] = {key: values[-1] for key, values in form.items()}
        else:
            payload = self.read_json(headers, body)
            if not isinstance(payload, dict):
                raise ApiError(400, "the body must be a JSON object or a form")
            changes = payload
        allowed = {"state", "tags", "sampleDatasetDownloadUrl"}
        unknown = sorted(changes.keys() - allowed)
        if unknown:
            raise ApiError(400, f"cannot change {', '.join(unknown)} with PATCH")
        if not changes:
            raise ApiError(400, "nothing to change: send state, tags or sampleDatasetDownloadUrl")
        if "state" in changes and changes["state"] not in ("published", "archived"):
            raise ApiError(400, "state must be 'published' or 'archived'")
        if "tags" in changes and (
            not isinstance(changes["tags"], list)
            or not all(isinstance(t, str) for t in changes["tags"])
        ):
            raise ApiError(400, "tags must be a list of strings")
        url = changes.get("sampleDatasetDownloadUrl", "")
        if url is not None and not isinstance(url, str):
            raise ApiError(400, "sampleDatasetDownloadUrl must be a string or null")
        return changes

    # ------------------------------------------------------------------ models

    def models(
        self, method: str, query: dict[str, list[str]], headers: Any, body: RequestBody, user: str
    ) -> Reply:
        if method == "GET":
            return self.get_model(query, user)
        if method in ("POST", "PUT"):
            payload = self.read_json(headers, body)
            if not isinstance(payload, dict):
                raise ApiError(400, "the body must be a JSON object")
            if method == "POST":
                return self.register_code(payload, user)
            return self.register_weights(payload, user)
        return error_reply(405, f"{method} is not allowed on /api/models")

    def get_model(self, query: dict[str, list[str]], user: str) -> Reply:
        modeller = query.get("modellerName", [None])[0]
        name = query.get("modelName", [None])[0]
        version_text = query.get("modelVersion", [None])[0]
        if not modeller or not name:
            raise ApiError(400, "modellerName and modelName are required")
        if version_text is not None and not version_text.isdigit():
            raise ApiError(400, "modelVersion must be a whole number")
        found = self.store.get_model_version(
            modeller, name, int(version_text) if version_text else None
        )
        if found["privateModel"] and modeller != user:
            raise ApiError(404, f"model {modeller}/{name} not found")
        reply: dict[str, Any] = {
            "modellerName": modeller,
            "modelName": name,
            "modelVersion": found["modelVersion"],
            "modelHash": found["modelHash"],
            "modelSize": found["modelSize"],
            "privateModel": found["privateModel"],
            "public": not found["privateModel"],
            "modelDescription": found["modelDescription"],
            "uploadStatus": found["codeStatus"],
            "createdAt": found["createdAt"],
        }
        if found["codeStatus"] == "complete":
            reply["modelDownloadUrl"] = self.download_url(found["codeKey"])
        if found["weightsStatus"] == "complete":
            reply["weightsDownloadUrl"] = self.download_url(found["weightsKey"])
            reply["weightsSize"] = found["weightsSize"]
        return json_reply(200, reply)

    def download_url(self, key: str) -> str:
        return self.base_url + self.signer.sign("GET", "/storage/download/" + quote_key(key))

    def upload_shape(self, upload: Upload) -> dict[str, Any]:
        if upload.kind == "single":
            path = f"/storage/single/{upload.id}"
            return {
                "uploadUrl": self.base_url + self.signer.sign("POST", path),
                "uploadFields": {"key": upload.key},
            }
        urls = [
            self.base_url + self.signer.sign("PUT", f"/storage/part/{upload.id}/{number}")
            for number in range(1, upload.parts + 1)
        ]
        return {
            "uploadUrls": urls,
            "chunkSize": upload.chunk_size,
            "uploadId": upload.id,
            "key": upload.key,
        }

    def plan_upload(self, size: int) -> tuple[str, int, int]:
        if size > self.config.multipart_threshold:
            chunk = self.config.chunk_size
            return "multipart", chunk, max(1, math.ceil(size / chunk))
        return "single", size, 1

    def register_code(self, payload: dict[str, Any], user: str) -> Reply:
        name = payload.get("modelName")
        size = payload.get("modelSize")
        model_hash = payload.get("modelHash")
        private = payload.get("privateModel", True)
        description = payload.get("modelDescription", "")
        problem: str | None = None
        if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
            problem = "modelName must be a Python class name (the model file's name)"
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            problem = "modelSize must be the code's size in bytes"
        elif size > MAX_CODE_SIZE:
            problem = f"model code is {size} bytes; the limit is {MAX_CODE_SIZE} bytes (3 MiB)"
        elif not isinstance(model_hash, str) or not HASH_RE.fullmatch(model_hash):
            problem = "modelHash must be a lower-case SHA-256 hex digest"
        elif not isinstance(private, bool):
            problem = "privateModel must be true or false"
        elif not isinstance(description, str):
            problem = "modelDescription must be a string"
        if problem is not None:
            return json_reply(400, {"success": False, "errorMessage": problem, "message": problem})
        assert isinstance(name, str) and isinstance(size, int) and isinstance(model_hash, str)
        kind, chunk, parts = self.plan_upload(size)
        version, upload = self.store.register_code(
            user,
            name,
            size=size,
            model_hash=model_hash,
            private=private,
            description=description,
            kind=kind,
            chunk_size=chunk,
            parts=parts,
        )
        return json_reply(200, {"success": True, "version": version, **self.upload_shape(upload)})

    def register_weights(self, payload: dict[str, Any], user: str) -> Reply:
        name = payload.get("modelName")
        version = payload.get("modelVersion")
        size = payload.get("weightSize")
        problem: str | None = None
        if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
            problem = "modelName must be a Python class name (the model file's name)"
        elif not isinstance(version, int) or isinstance(version, bool) or version < 1:
            problem = "modelVersion must be a model version number"
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            problem = "weightSize must be the weights' size in bytes"
        elif size > MAX_WEIGHTS_SIZE:
            problem = f"weights are {size} bytes; the limit is {MAX_WEIGHTS_SIZE} bytes (500 MiB)"
        if problem is not None:
            return json_reply(400, {"success": False, "errorMessage": problem, "message": problem})
        assert isinstance(name, str) and isinstance(version, int) and isinstance(size, int)
        kind, chunk, parts = self.plan_upload(size)
        upload = self.store.register_weights(
            user, name, version, size=size, kind=kind, chunk_size=chunk, parts=parts
        )
        return json_reply(200, {"success": True, "version": version, **self.upload_shape(upload)})

    def complete_multipart(self, payload: Any, user: str) -> Reply:
        if not isinstance(payload, dict):
            raise ApiError(400, "the body must be a JSON object")
        if payload.get("objectType") != "Model":
            raise ApiError(400, "objectType must be 'Model'")
        upload_id = payload.get("uploadId")
        key = payload.get("key")
        parts = payload.get("parts")
        if not isinstance(upload_id, str) or not isinstance(key, str):
            raise ApiError(400, "uploadId and key are required")
        upload = self.store.get_upload(upload_id)
        if self.store.upload_owner(upload) != user:
            raise ApiError(403, "this upload belongs to another user")
        if upload.key != key:
            raise ApiError(400, f"key {key!r} is not this upload's key")
        if upload.kind != "multipart":
            raise ApiError(400, "this upload is a single upload, not a multipart one")
        if upload.status == "complete":
            return json_reply(200, {"success": True, "key": key, "alreadyComplete": True})
        if upload.status != "open":
            raise ApiError(409, f"this upload is {upload.status}; register a new one")
        if not isinstance(parts, list) or not parts:
            raise ApiError(400, "parts must be a non-empty list of {ETag, PartNumber}")
        received = self.store.part_etags(upload.id)
        expected_number = 1
        for entry in parts:
            if not isinstance(entry, dict):
                raise ApiError(400, "each part must be {ETag, PartNumber}")
            number = entry.get("PartNumber")
            etag = entry.get("ETag")
            if not isinstance(number, int) or not isinstance(etag, str):
                raise ApiError(400, "each part must be {ETag: string, PartNumber: integer}")
            if number != expected_number:
                raise ApiError(
                    400,
                    f"InvalidPartOrder: expected part {expected_number}, got part {number} "
                    "(parts are numbered from 1, in order)",
                )
            if number not in received:
                raise ApiError(400, f"InvalidPart: part {number} was never uploaded")
            if etag.strip('"') != received[number][0]:
                raise ApiError(400, f"InvalidPart: part {number}'s ETag does not match")
            expected_number += 1
        if len(parts) != upload.parts:
            raise ApiError(400, f"this upload has {upload.parts} parts; {len(parts)} were listed")
        staged = self.store.incoming_path(upload.id).with_name(f"joined-{secrets.token_hex(4)}")
        with open_private_file(staged) as out:
            for number in range(1, upload.parts + 1):
                with self.store.incoming_path(upload.id, number).open("rb") as part:
                    _append_file(part, out)
        self.store.finish_upload(upload, staged)
        return json_reply(200, {"success": True, "key": key})

    # ----------------------------------------------------------------- storage

    def storage(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: RequestBody
    ) -> Reply:
        why = self.signer.verify(method, path, query)
        if why is not None:
            return error_reply(403, f"AccessDenied: {why}")
        parts = path.split("/")[2:]
        if parts[0] == "download" and method in ("GET", "HEAD"):
            target = self.store.object_path(unquote("/".join(parts[1:])))
            if not target.is_file():
                return error_reply(404, "NoSuchKey: the object does not exist")
            return Reply(200, content_type="application/octet-stream", file=target)
        if parts[0] == "single" and len(parts) == 2 and method == "POST":
            return self.single_upload(parts[1], headers, body)
        if parts[0] == "part" and len(parts) == 3 and method == "PUT" and parts[2].isdigit():
            return self.part_upload(parts[1], int(parts[2]), body)
        return error_reply(404, f"no such storage endpoint: {method} {path}")

    def open_upload(self, upload_id: str, kind: str) -> Upload:
        upload = self.store.get_upload(upload_id)
        if upload.kind != kind:
            raise ApiError(400, f"this upload is not a {kind} upload")
        if upload.status != "open":
            raise ApiError(409, f"this upload is already {upload.status}; register a new one")
        return upload

    def single_upload(self, upload_id: str, headers: Any, body: RequestBody) -> Reply:
        upload = self.open_upload(upload_id, "single")
        content_type, params = parse_header_params(headers.get("content-type") or "")
        if content_type != "multipart/form-data" or "boundary" not in params:
            raise ApiError(400, "a presigned POST upload must be multipart/form-data")
        reader = MultipartReader(body, params["boundary"])
        fields: dict[str, str] = {}
        staged: Path | None = None
        try:
            while (part := reader.next_part()) is not None:
                if part.name != "file":
                    if staged is None:
                        fields[part.name] = reader.read_value()
                    else:
                        reader.stream_to(lambda _data: None)  # fields after the file are ignored
                    continue
                if staged is not None:
                    raise ApiError(400, "more than one 'file' part")
                if fields.get("key") != upload.key:
                    raise ApiError(
                        403, "AccessDenied: the form's key field does not match the upload"
                    )
                staged = self.store.incoming_path(upload.id).with_name(
                    f"single-{secrets.token_hex(4)}"
                )
                written = 0
                with open_private_file(staged) as out:

                    def sink(data: bytes) -> None:
                        nonlocal written
                        written += len(data)
                        if written > upload.size:
                            raise ApiError(
                                400,
                                f"EntityTooLarge: more than the {upload.size} bytes registered",
                            )
                        out.write(data)

                    reader.stream_to(sink)
            if staged is None:
                raise ApiError(400, "the form has no 'file' part")
            self.store.finish_upload(upload, staged)
        except BaseException:
            if staged is not None:
                staged.unlink(missing_ok=True)
            raise
        return Reply(204, content_type="")

    def part_upload(self, upload_id: str, number: int, body: RequestBody) -> Reply:
        upload = self.open_upload(upload_id, "multipart")
        if not 1 <= number <= upload.parts:
            raise ApiError(400, f"part number must be 1 to {upload.parts}")
        final = self.store.incoming_path(upload.id, number)
        staged = final.with_name(f"{final.name}.{secrets.token_hex(4)}")
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with open_private_file(staged) as out:
                while chunk := body.read():
                    size += len(chunk)
                    if size > upload.chunk_size:
                        raise ApiError(
                            400, f"EntityTooLarge: a part holds at most {upload.chunk_size} bytes"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            os.replace(staged, final)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        etag = digest.hexdigest()
        self.store.record_part(upload.id, number, etag, size)
        return Reply(200, headers={"ETag": f'"{etag}"'}, content_type="")

    # ------------------------------------------------------------------- oauth

    def oauth(
        self, method: str, path: str, query: dict[str, list[str]], body: RequestBody
    ) -> Reply:
        if path == "/activate":
            return self.activate_page(method, query, body)
        if method != "POST":
            return error_reply(405, f"{method} is not allowed on {path}")
        form = {k: v[-1] for k, v in parse_qs(body.read_all().decode("utf-8", "replace")).items()}
        if path == "/oauth/device/code":
            code = DeviceCode(
                device_code=secrets.token_urlsafe(32),
                user_code=_user_code(),
                client_id=form.get("client_id", ""),
                expires_at=time.time() + 600,
                interval=self.config.device_interval,
            )
            with self._auth_lock:
                self._device_codes[code.device_code] = code
            return json_reply(
                200,
                {
                    "device_code": code.device_code,
                    "user_code": code.user_code,
                    "verification_uri": f"{self.base_url}/activate",
                    "verification_uri_complete": (
                        f"{self.base_url}/activate?user_code={code.user_code}"
                    ),
                    "interval": code.interval,
                    "expires_in": 600,
                },
            )
        if path == "/oauth/token":
            return self.token(form)
        return error_reply(404, f"no such endpoint: {method} {path}")

    def token(self, form: dict[str, str]) -> Reply:
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            with self._auth_lock:
                code = self._device_codes.get(form.get("device_code", ""))
                if code is None:
                    return _oauth_error(400, "invalid_grant", "unknown device code")
                now = time.time()
                if code.expires_at < now:
                    del self._device_codes[code.device_code]
                    return _oauth_error(400, "expired_token", "the device code has expired")
                if not code.approved:
                    too_fast = now - code.last_poll < code.interval * 0.8
                    code.last_poll = now
                    if too_fast:
                        return _oauth_error(400, "slow_down", "polling too fast")
                    return _oauth_error(
                        400, "authorization_pending", "waiting for the user to approve"
                    )
                del self._device_codes[code.device_code]
            return json_reply(200, self.issue_tokens(self.credentials.username, code.client_id))
        if grant == "refresh_token":
            with self._auth_lock:
                user = self._refresh_tokens.pop(form.get("refresh_token", ""), None)
            if user is None:
                return _oauth_error(400, "invalid_grant", "unknown or used refresh token")
            return json_reply(200, self.issue_tokens(user, form.get("client_id", "")))
        return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")

    def issue_tokens(self, user: str, client_id: str, lifetime: int = 3600) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        with self._auth_lock:
            self._tokens[access] = (user, time.time() + lifetime)
            self._refresh_tokens[refresh] = user
        now = int(time.time())
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

    def approve_device_code(self, user_code: str) -> bool:
        with self._auth_lock:
            for code in self._device_codes.values():
                if code.user_code == user_code.strip().upper() and code.expires_at > time.time():
                    code.approved = True
                    return True
        return False

    def activate_page(self, method: str, query: dict[str, list[str]], body: RequestBody) -> Reply:
        message = ""
        user_code = query.get("user_code", [""])[-1]
        if method == "POST":
            form = {
                k: v[-1] for k, v in parse_qs(body.read_all().decode("utf-8", "replace")).items()
            }
            user_code = form.get("user_code", "")
            # Approving needs the hub's API key: otherwise anyone on this machine could
            # start a device login and approve it themselves.
            if not self.credentials.matches(form.get("api_key_id", ""), form.get("api_key", "")):
                message = "That API key pair is not this hub's. Nothing was approved."
            elif self.approve_device_code(user_code):
                message = "Approved. You can close this page and go back to taskwizard."
            else:
                message = "No pending login has that code (it may have expired)."
        elif method not in ("GET", "HEAD"):
            return error_reply(405, f"{method} is not allowed on /activate")
        page = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<title>Approve a login - taskwizard local hub</title></head><body>"
            "<h1>Approve a device login</h1>"
            f"<p>{html.escape(message)}</p>"
            "<form method='post' action='/activate'>"
            "<p>Code: <input name='user_code' value='{code}'></p>"
            "<p>API key ID: <input name='api_key_id'></p>"
            "<p>API key: <input name='api_key' type='password'></p>"
            "<p>(the pair <code>taskwizard hub</code> printed when it started)</p>"
            "<button type='submit'>Approve</button></form></body></html>"
        ).replace("{code}", html.escape(user_code, quote=True))
        return Reply(200, page.encode(), content_type="text/html; charset=utf-8")


def _append_file(source: BinaryIO, target: BinaryIO) -> None:
    """Append ``source`` to ``target``; in the kernel where it can (no copy through Python)."""
    target.flush()
    size = os.fstat(source.fileno()).st_size
    done = 0
    try:
        while done < size:
            sent = os.copy_file_range(source.fileno(), target.fileno(), size - done)
            if sent == 0:
                break
            done += sent
    except (AttributeError, OSError):
        pass  # not supported here: copy the rest through Python
    if done == size:
        return
    source.seek(done)
    while block := source.read(COPY_SIZE):
        target.write(block)


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply(status, {"error": error, "error_description": description})


def _user_code() -> str:
    alphabet = "BCDFGHJKLMNPQRSTVWXZ"
    raw = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    import base64

    def encode(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."


class HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: HubApp


class HubRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "taskwizard-localhub"
    timeout = 120  # seconds a connection may sit idle mid-request
    server: HubHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # HubApp.record logs one line per request, without secrets

    def do_GET(self) -> None:
        self.handle_hub_request()

    def do_HEAD(self) -> None:
        self.handle_hub_request()

    def do_POST(self) -> None:
        self.handle_hub_request()

    def do_PUT(self) -> None:
        self.handle_hub_request()

    def do_PATCH(self) -> None:
        self.handle_hub_request()

    def do_DELETE(self) -> None:
        self.handle_hub_request()

    def handle_hub_request(self) -> None:
        app = self.server.app
        started = time.monotonic()
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        # Storage URLs carry signatures; never log them.
        shown_query = "" if path.startswith("/storage/") else split.query
        method = self.command
        context = RequestContext()
        fault_label: str | None = None

        def record(status: int | None, bytes_in: int) -> None:
            app.record(
                RequestRecord(
                    method=method,
                    path=path,
                    query=shown_query,
                    status=status,
                    username=context.user,
                    bytes_in=bytes_in,
                    fault=fault_label,
                    duration_ms=(time.monotonic() - started) * 1000,
                )
            )

        transfer = (self.headers.get("transfer-encoding") or "").lower()
        length_text = self.headers.get("content-length")
        limit = MAX_STORAGE_BODY if path.startswith("/storage/") else MAX_API_BODY
        try:
            content_length = int(length_text) if length_text is not None else None
            if content_length is not None and content_length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            record(400, 0)
            self.send_reply(error_reply(400, "bad Content-Length"), None)
            return
        try:
            body = RequestBody(
                self.rfile,  # type: ignore[arg-type]
                content_length=None if "chunked" in transfer else content_length,
                chunked="chunked" in transfer,
                limit=limit,
            )
        except BodyTooLarge as err:
            self.close_connection = True
            record(413, 0)
            self.send_reply(error_reply(413, str(err)), None)
            return

        fault: FaultRule | None = None
        if app.faults is not None:
            fault = app.faults.take(method, path)
            if fault is not None:
                fault_label = ("drop" if fault.is_drop else f"status {fault.status}") + (
                    " after handling" if fault.when == "after" else ""
                )

        if fault is not None and fault.when == "before":
            if fault.is_drop:
                try:
                    left = fault.after_bytes
                    while left > 0 and (chunk := body.read(min(left, 65536))):
                        left -= len(chunk)
                except (BodyError, ClientGone, OSError):
                    pass
                record(None, body.bytes_read)
                self.abort_connection()
                return
            assert fault.status is not None
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            reply = error_reply(fault.status, "injected fault (local hub fault plan)")
            reply.headers.update(headers)
            self.finish_body(body)
            record(fault.status, body.bytes_read)
            self.send_reply(reply, body)
            return

        try:
            reply = app.route(method, path, query, self.headers, body, context)
        except ClientGone:
            self.close_connection = True
            record(None, body.bytes_read)
            return
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            record(None, body.bytes_read)
            return
        except BodyTooLarge as err:
            reply = error_reply(413, str(err))
        except BodyError as err:
            reply = error_reply(400, f"malformed body: {err}")
        except ApiError as err:
            reply = error_reply(err.status, err.message)
        except StoreError as err:
            reply = error_reply(err.status, err.message)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            reply = error_reply(500, "internal error in the local hub (see its console)")
        if fault is not None and fault.when == "after":
            if fault.is_drop:
                record(None, body.bytes_read)
                self.abort_connection()
                return
            assert fault.status is not None
            reply = error_reply(fault.status, "injected fault after handling (response lost)")
        # Logged before answering: once a client has its answer, the log shows the request.
        self.finish_body(body)
        record(reply.status, body.bytes_read)
        self.send_reply(reply, body)

    def abort_connection(self) -> None:
        """Reset the connection without an answer, as a crashed proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish_body(self, body: RequestBody | None) -> None:
        """Answering before the whole body was read: read the rest if it is small,
        otherwise close the connection after answering (keep-alive would desync)."""
        if body is not None and not body.at_end and not body.drain(8 * 1024 * 1024):
            self.close_connection = True

    def send_reply(self, reply: Reply, body: RequestBody | None) -> None:
        """Write the reply; callers have already called finish_body."""
        try:
            self.send_response(reply.status)
            size = reply.file.stat().st_size if reply.file is not None else len(reply.body)
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(size))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            if reply.file is not None:
                with reply.file.open("rb") as handle:
                    while block := handle.read(COPY_SIZE):
                        self.wfile.write(block)
            elif reply.body:
                self.wfile.write(reply.body)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
