"""What the routes share: JSON replies, the hub's state from a request, and
bounded readers for JSON and form bodies (every limit answers a 4xx that
says which limit it was)."""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncIterator
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from taskwizard.hub.localhub.core import ApiError, HubApp

MAX_JSON_BODY = 4 * 1024 * 1024  # task templates are parsed YAML: kilobytes, not megabytes
MAX_JSON_DEPTH = 64
MAX_FORM_BODY = 64 * 1024  # urlencoded forms: PATCH state, OAuth, the /activate page
MAX_FORM_FIELDS = 32
MAX_WHOLE_NUMBER = 2**31 - 1  # versions and part numbers; SQLite holds 64 bits
_WHOLE_NUMBER = re.compile(r"[0-9]{1,10}")
# A client that stops sending mid-body is given up on after this long (the old
# stdlib server's socket timeout); its partial upload is deleted.
BODY_IDLE_TIMEOUT = 120.0


class HubJSONResponse(Response):
    """JSON that always encodes: ASCII-escaped, so no string can fail to encode."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode("ascii")


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return HubJSONResponse(payload, status_code=status, headers=headers)


def error_reply(status: int, message: str, **extra: Any) -> Response:
    return json_reply(status, {"statusCode": status, "message": message, **extra})


def hub_of(request: Request) -> HubApp:
    hub = request.app.state.hub
    assert isinstance(hub, HubApp)
    return hub


def authenticate(request: Request) -> str:
    """The user the request's credentials name (401 otherwise); logged with the request."""
    user = hub_of(request).authenticate(request.headers)
    request.state.user = user
    return user


def whole_number(text: str, name: str) -> int:
    """``text`` as a version or part number: ASCII digits, at most 2**31 - 1."""
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) > MAX_WHOLE_NUMBER:
        raise ApiError(400, f"{name} must be a whole number from 0 to {MAX_WHOLE_NUMBER}")
    return int(text)


def query_whole_number(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    return None if text is None else whole_number(text, name)


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; 408 when nothing arrives for BODY_IDLE_TIMEOUT seconds.

    One watchdog timer per request rather than a timeout per chunk: uploads come
    in thousands of chunks and this loop is the hub's hot path."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    timeout = BODY_IDLE_TIMEOUT
    last = loop.time()
    stalled = False
    handle: asyncio.TimerHandle

    def watch() -> None:
        nonlocal handle, stalled
        if loop.time() - last >= timeout:
            stalled = True
            task.cancel()
        else:
            handle = loop.call_at(last + timeout, watch)

    handle = loop.call_at(last + timeout, watch)
    try:
        async for chunk in request.stream():
            last = loop.time()
            yield chunk
    except asyncio.CancelledError:
        if not stalled:
            raise
        task.uncancel()
        raise ApiError(
            408, f"the request body stalled: nothing arrived for {timeout:g} s"
        ) from None
    finally:
        handle.cancel()


async def read_limited(request: Request, limit: int, what: str) -> bytes:
    """The whole body, refused with 413 past ``limit`` bytes (before reading, when
    Content-Length says so)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"{what} of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in body_chunks(request):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"{what} is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> NoReturn:
    raise ApiError(400, f"the body is not valid JSON: {name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ApiError(400, f"the JSON number {text[:40]} is too large for a float")
    return value


def parse_json(raw: bytes) -> Any:
    """JSON within the hub's limits: depth, number length, encodable strings."""
    try:
        payload = json.loads(raw or b"null", parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise ApiError(
            400, f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ApiError(400, f"the body is not valid JSON: {err}") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise ApiError(400, f"the body holds a number the hub does not accept: {err}") from None
    _check_depth(payload)
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "the JSON body holds a lone surrogate (\\ud800-\\udfff) in a string"
        ) from None
    return payload


def _check_depth(payload: Any) -> None:
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise ApiError(
                400, f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
            )
        stack.extend((child, depth + 1) for child in children)


async def read_json(request: Request) -> Any:
    return parse_json(await read_limited(request, MAX_JSON_BODY, "a JSON body"))


async def read_json_object(request: Request) -> dict[str, Any]:
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise ApiError(400, "the body must be a JSON object")
    return payload


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (last value of each name), bounded in bytes and fields."""
    raw = await read_limited(request, MAX_FORM_BODY, "a form body")
    try:
        pairs = parse_qsl(
            raw.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:
        raise ApiError(400, f"the form has more than {MAX_FORM_FIELDS} fields") from None
    return dict(pairs)


def is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/x-www-form-urlencoded"
