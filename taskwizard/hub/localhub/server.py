"""The local hub's HTTP side: uvicorn (with httptools) serves a Starlette app.

uvicorn owns the wire: framing (Content-Length, chunked coding, smuggling
attempts are answered 400 and the connection closed), keep-alive, the listen
backlog and flow control. Starlette owns routing; the routes are in
``routes/``, one module per resource. This module adds what is the hub's own:

- ``HubMiddleware``: the request log (no secrets), fault injection for tests
  (drop mid-body, 4xx/5xx before or after handling, delays) and the last line
  of defence: an unexpected exception is answered as a JSON 500 and printed.
- ``HostCheck``: only requests addressed to this hub (127.0.0.1, localhost,
  ::1 or the configured host) are served, against DNS rebinding.
- ``HubProtocol``: uvicorn's httptools protocol, with its 400 for bad framing
  answered in JSON like every other error, and the connection's transport
  handed to the fault injection so it can reset a connection.

Wire format: ../shared/reference/bitfount-hub.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from taskwizard.hub.localhub.core import ApiError, HubApp, RequestRecord
from taskwizard.hub.localhub.routes import ROUTES
from taskwizard.hub.localhub.routes.common import error_reply
from taskwizard.hub.localhub.store import StoreError

TRANSPORT_KEY = "taskwizard.transport"
LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn
KEEP_ALIVE_SECONDS = 30
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}


# ---------------------------------------------------------------- the Starlette app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError | StoreError)
    reply = error_reply(exc.status, exc.message)
    if exc.status == 408:  # the body stalled: nothing more will come on this connection
        reply.headers["Connection"] = "close"
    # Not after a 413: closing while the client still sends makes its kernel reset the
    # connection and drop our answer; uvicorn reads and discards the rest of the body.
    return reply


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return error_reply(404, f"no such endpoint: {where}")
    if exc.status_code == 405:
        return error_reply(405, f"{request.method} is not allowed on {request.url.path}")
    return error_reply(exc.status_code, f"{exc.detail} ({where})")


async def _client_gone(request: Request, exc: Exception) -> Response:
    request.state.dropped = True  # HubMiddleware logs it as dropped; nothing is sent
    return Response(status_code=400)


async def _defect(request: Request, exc: Exception) -> Response:
    # A 500 is a defect in the hub: printed (before answering) for the bug report.
    traceback.print_exception(exc, file=sys.stderr)
    return error_reply(500, "internal error in the local hub (see its console)")


def build_app(hub: HubApp) -> ASGIApp:
    """The ASGI app uvicorn serves: the route table behind the hub's middleware."""
    app = Starlette(
        routes=ROUTES,
        exception_handlers={
            ApiError: _api_error,
            StoreError: _api_error,
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            Exception: _defect,
        },
    )
    app.router.redirect_slashes = False
    app.state.hub = hub
    return HubMiddleware(HostCheck(app, hub), hub)


async def _send_json(send: Send, status: int, payload: Any, headers: dict[str, str]) -> None:
    body = json.dumps(payload).encode("ascii")
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, status: int, message: str, **headers: str) -> None:
    await _send_json(send, status, {"statusCode": status, "message": message}, headers)


class HostCheck:
    """Refuse requests whose Host is not this hub; strip a trailing slash from paths."""

    def __init__(self, app: ASGIApp, hub: HubApp) -> None:
        self.app = app
        self.allowed = LOOPBACK_NAMES | {hub.config.host.strip("[]").lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
                break
        if _host_name(host) not in self.allowed:
            shown = host[:100] or "(none)"
            await send_error(
                send,
                400,
                f"the Host header {shown!r} is not this hub's; the local hub answers requests "
                f"for {', '.join(sorted(self.allowed))} only",
            )
            return
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope = dict(scope, path=path.rstrip("/") or "/")
        await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """The name in a Host header, without its port (``[::1]:3000`` -> ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if ":" in host else host


class HubMiddleware:
    """Request log, fault injection, and JSON 500s for defects."""

    def __init__(self, app: ASGIApp, hub: HubApp) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hub = self.hub
        started = time.monotonic()
        method: str = scope["method"]
        path: str = scope["path"]
        # Storage URLs carry signatures; never log them.
        query = "" if path.startswith("/storage/") else scope["query_string"].decode("latin-1")
        state: dict[str, Any] = scope.setdefault("state", {})
        bytes_in = 0
        fault_label: str | None = None
        responded = False

        def record(status: int | None) -> None:
            hub.record(
                RequestRecord(
                    method=method,
                    path=path,
                    query=query,
                    status=status,
                    username=state.get("user"),
                    bytes_in=bytes_in,
                    fault=fault_label,
                    duration_ms=(time.monotonic() - started) * 1000,
                )
            )

        async def counting_receive() -> Message:
            nonlocal bytes_in
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def logging_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                if state.get("dropped"):
                    record(None)
                    return
                if fault is not None and fault.delay and fault.when == "after":
                    await asyncio.sleep(fault.delay)
                # Logged before answering: once a client has its answer, the log shows it.
                record(message["status"])
            elif state.get("dropped"):
                return
            await send(message)

        fault = hub.faults.take(method, path) if hub.faults is not None else None
        if fault is not None:
            fault_label = fault.label
        try:
            if fault is not None and fault.delay:
                if fault.when == "before":
                    await asyncio.sleep(fault.delay)
                await self.app(scope, counting_receive, logging_send)
            elif fault is not None and fault.when == "before":
                if fault.is_drop:
                    await _read_body(counting_receive, fault.after_bytes)
                    record(None)
                    await _reset(scope)
                    return
                await _read_body(counting_receive, None)
                assert fault.status is not None
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                await send_error(
                    logging_send, fault.status, "injected fault (local hub fault plan)", **headers
                )
            elif fault is not None:  # after handling: the work is done, the answer is lost

                async def lose(message: Message) -> None:
                    pass

                with contextlib.suppress(Exception):
                    await self.app(scope, counting_receive, lose)
                if fault.is_drop:
                    record(None)
                    await _reset(scope)
                    return
                assert fault.status is not None
                await send_error(
                    logging_send,
                    fault.status,
                    "injected fault after handling (response lost)",
                )
            else:
                await self.app(scope, counting_receive, logging_send)
        except ClientDisconnect:
            if not responded:
                record(None)
        except Exception:
            # Starlette has answered a JSON 500 already (the _defect handler), unless the
            # exception came from outside its routes.
            if not responded:
                traceback.print_exc(file=sys.stderr)
                await send_error(
                    logging_send, 500, "internal error in the local hub (see its console)"
                )


async def _read_body(receive: Receive, limit: int | None) -> None:
    """Read and drop the body: all of it, or until ``limit`` bytes were read."""
    seen = 0
    while limit is None or seen < limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _reset(scope: Scope) -> None:
    """Reset the connection without an answer, as a crashed proxy would."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the connection is gone before we return


# ------------------------------------------------------------------- uvicorn


# Body bytes buffered before reading pauses. uvicorn's 64 KiB is below asyncio's
# 256 KiB reads, so every read of an upload paused and resumed the socket.
BODY_HIGH_WATER = 512 * 1024


# The request line and headers together; httptools itself sets no limit.
MAX_HEAD_BYTES = 64 * 1024


class HeadTooLarge(Exception):
    """The request line and headers are over MAX_HEAD_BYTES."""


class HubProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; its framing errors answered in JSON, the
    request head bounded, body reads handed to the app without copying them,
    and reading paused only when a body backs up past BODY_HIGH_WATER."""

    _head_bytes = 0
    _head_too_large = False

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._head_too_large = True
            raise HeadTooLarge  # httptools turns it into a parser error: uvicorn's 400 path

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_body(self, body: bytes) -> None:
        if self.cycle.response_complete or (
            self.parser.should_upgrade() and self._should_upgrade()
        ):
            return
        cycle = self.cycle
        if cycle.body:
            cycle.body += body  # the app is behind: join (pausing soon, see below)
        else:
            # Handed over as is. uvicorn appends every read to a bytearray and its
            # receive() copies that into bytes: two copies of each body byte, which
            # on an upload is most of what the hub does besides recv and write.
            # receive()'s bytes() of a bytes object is that object, not a copy.
            cycle.body = body  # type: ignore[assignment]
        if len(cycle.body) > BODY_HIGH_WATER:
            self.flow.pause_reading()
        cycle.message_event.set()

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()
        extensions: dict[str, Any] = {TRANSPORT_KEY: self.transport}
        self.scope["extensions"] = extensions

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            status, line = 431, b"431 Request Header Fields Too Large"
            message = f"the request line and headers are over {MAX_HEAD_BYTES} bytes"
        else:
            status, line = 400, b"400 Bad Request"
            message = f"bad HTTP framing: {msg}"
        body = json.dumps(
            {"statusCode": status, "message": f"{message} (the connection is closed)"}
        ).encode("ascii")
        self.transport.write(
            b"HTTP/1.1 %s\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (line, len(body), body)
        )
        self.transport.close()


class HubServer:
    """uvicorn on a socket bound here (so a taken port fails in ``start``), in a thread."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(LISTEN_BACKLOG)
        except OSError:
            self.socket.close()
            raise
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            http=HubProtocol,
            loop="asyncio",  # not uvloop if installed: one tested behaviour (and no faster here)
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            log_level="critical",
            access_log=False,
            backlog=LISTEN_BACKLOG,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=2,
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self.socket]},
            name=f"localhub-{self.port}",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            time.sleep(0.005)
        if not self._server.started:
            raise OSError("the local hub's server did not start")

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self.socket.close()
