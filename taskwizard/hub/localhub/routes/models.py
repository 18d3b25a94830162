"""Models and weights: ``/api/models`` (look up, register code, register
weights) and ``/api/upload`` (complete a multipart upload)."""

from __future__ import annotations

import math
import os
import re
import secrets
from typing import Any, BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from taskwizard.hub.localhub.core import ApiError, HubApp
from taskwizard.hub.localhub.routes.common import (
    MAX_WHOLE_NUMBER,
    authenticate,
    hub_of,
    json_reply,
    query_whole_number,
    read_json,
    read_json_object,
)
from taskwizard.hub.localhub.signing import DEFAULT_TTL, quote_key
from taskwizard.hub.localhub.store import Upload, open_private_file

MAX_CODE_SIZE = 3 * 1024 * 1024
MAX_WEIGHTS_SIZE = 524_288_000
COPY_SIZE = 1024 * 1024
MODEL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
HASH_RE = re.compile(r"[0-9a-f]{64}")


def url_ttl(hub: HubApp) -> int:
    """Presigned URLs never outlive the upload they are for."""
    return max(1, min(DEFAULT_TTL, int(hub.config.upload_expiry)))


def download_url(hub: HubApp, key: str) -> str:
    return hub.base_url + hub.signer.sign("GET", "/storage/download/" + quote_key(key))


def upload_shape(hub: HubApp, upload: Upload) -> dict[str, Any]:
    ttl = url_ttl(hub)
    if upload.kind == "single":
        path = f"/storage/single/{upload.id}"
        return {
            "uploadUrl": hub.base_url + hub.signer.sign("POST", path, ttl),
            "uploadFields": {"key": upload.key},
        }
    urls = [
        hub.base_url + hub.signer.sign("PUT", f"/storage/part/{upload.id}/{number}", ttl)
        for number in range(1, upload.parts + 1)
    ]
    return {
        "uploadUrls": urls,
        "chunkSize": upload.chunk_size,
        "uploadId": upload.id,
        "key": upload.key,
    }


def plan_upload(hub: HubApp, size: int) -> tuple[str, int, int]:
    if size > hub.config.multipart_threshold:
        chunk = hub.config.chunk_size
        return "multipart", chunk, max(1, math.ceil(size / chunk))
    return "single", size, 1


def refused(problem: str) -> Response:
    return json_reply(400, {"success": False, "errorMessage": problem, "message": problem})


async def models(request: Request) -> Response:
    user = authenticate(request)
    hub = hub_of(request)
    if request.method == "GET":
        return await get_model(request, hub, user)
    payload = await read_json_object(request)
    if request.method == "POST":
        return await register_code(hub, payload, user)
    return await register_weights(hub, payload, user)


async def get_model(request: Request, hub: HubApp, user: str) -> Response:
    modeller = request.query_params.get("modellerName")
    name = request.query_params.get("modelName")
    version = query_whole_number(request, "modelVersion")
    if not modeller or not name:
        raise ApiError(400, "modellerName and modelName are required")
    found = await run_in_threadpool(hub.store.get_model_version, modeller, name, version)
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
        reply["modelDownloadUrl"] = download_url(hub, found["codeKey"])
    if found["weightsStatus"] == "complete":
        reply["weightsDownloadUrl"] = download_url(hub, found["weightsKey"])
        reply["weightsSize"] = found["weightsSize"]
    return json_reply(200, reply)


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


async def register_code(hub: HubApp, payload: dict[str, Any], user: str) -> Response:
    name = payload.get("modelName")
    size = payload.get("modelSize")
    model_hash = payload.get("modelHash")
    private = payload.get("privateModel", True)
    description = payload.get("modelDescription", "")
    if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
        return refused("modelName must be a Python class name (the model file's name)")
    if not _is_size(size):
        return refused("modelSize must be the code's size in bytes")
    assert isinstance(size, int)
    if size > MAX_CODE_SIZE:
        return refused(f"model code is {size} bytes; the limit is {MAX_CODE_SIZE} bytes (3 MiB)")
    if not isinstance(model_hash, str) or not HASH_RE.fullmatch(model_hash):
        return refused("modelHash must be a lower-case SHA-256 hex digest")
    if not isinstance(private, bool):
        return refused("privateModel must be true or false")
    if not isinstance(description, str):
        return refused("modelDescription must be a string")
    kind, chunk, parts = plan_upload(hub, size)
    version, upload = await run_in_threadpool(
        lambda: hub.store.register_code(
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
    )
    return json_reply(200, {"success": True, "version": version, **upload_shape(hub, upload)})


async def register_weights(hub: HubApp, payload: dict[str, Any], user: str) -> Response:
    name = payload.get("modelName")
    version = payload.get("modelVersion")
    size = payload.get("weightSize")
    if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
        return refused("modelName must be a Python class name (the model file's name)")
    if (
        not isinstance(version, int)
        or not _is_size(version)
        or not 1 <= version <= MAX_WHOLE_NUMBER
    ):
        return refused(f"modelVersion must be a model version number (1 to {MAX_WHOLE_NUMBER})")
    if not _is_size(size):
        return refused("weightSize must be the weights' size in bytes")
    assert isinstance(size, int) and isinstance(version, int)
    if size > MAX_WEIGHTS_SIZE:
        return refused(f"weights are {size} bytes; the limit is {MAX_WEIGHTS_SIZE} bytes (500 MiB)")
    kind, chunk, parts = plan_upload(hub, size)
    upload = await run_in_threadpool(
        lambda: hub.store.register_weights(
            user, name, version, size=size, kind=kind, chunk_size=chunk, parts=parts
        )
    )
    return json_reply(200, {"success": True, "version": version, **upload_shape(hub, upload)})


async def complete_multipart(request: Request) -> Response:
    user = authenticate(request)
    hub = hub_of(request)
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise ApiError(400, "the body must be a JSON object")
    if payload.get("objectType") != "Model":
        raise ApiError(400, "objectType must be 'Model'")
    upload_id = payload.get("uploadId")
    key = payload.get("key")
    parts = payload.get("parts")
    if not isinstance(upload_id, str) or not isinstance(key, str):
        raise ApiError(400, "uploadId and key are required")
    return await run_in_threadpool(_complete, hub, user, upload_id, key, parts)


def _complete(hub: HubApp, user: str, upload_id: str, key: str, parts: Any) -> Response:
    store = hub.store
    upload = store.get_upload(upload_id)
    if store.upload_owner(upload) != user:
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
    received = store.part_etags(upload.id)
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
    with store.writing(upload.id):
        staged = store.incoming_path(upload.id).with_name(f"joined-{secrets.token_hex(4)}")
        try:
            with open_private_file(staged) as out:
                for number in range(1, upload.parts + 1):
                    with store.incoming_path(upload.id, number).open("rb") as part:
                        _append_file(part, out)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        store.finish_upload(upload, staged)
    return json_reply(200, {"success": True, "key": key})


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


routes = [
    Route("/api/models", models, methods=["GET", "POST", "PUT"]),
    Route("/api/upload", complete_multipart, methods=["POST"]),
]
