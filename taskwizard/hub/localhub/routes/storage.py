"""The object store behind presigned URLs: ``/storage/download/{key}``,
``/storage/single/{id}`` (a presigned POST form) and ``/storage/part/{id}/{n}``
(a multipart part). No hub credentials: the signed URL is the permission.

Bodies go straight to a staging file in ``incoming/`` as they arrive; form
bodies are parsed by python-multipart, chunk by chunk, within limits on the
number and size of the non-file fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import parse_qs

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from taskwizard.hub.localhub.core import ApiError
from taskwizard.hub.localhub.routes.common import body_chunks, hub_of, whole_number
from taskwizard.hub.localhub.routes.models import MAX_WEIGHTS_SIZE
from taskwizard.hub.localhub.store import HubStore, Upload, open_private_file

MAX_STORAGE_BODY = MAX_WEIGHTS_SIZE + 1024 * 1024
MAX_FORM_FIELDS = 64  # non-file fields of an upload form (S3's POST policy has about 10)
MAX_FIELD_VALUE = 64 * 1024
MAX_FIELDS_BYTES = 256 * 1024  # all non-file field values together
MAX_PART_HEADERS = 16 * 1024

# python-multipart logs each malformed body; the hub answers it as a 400 instead
# (and must not write to a terminal the wizard's screen is on).
_parser_log = logging.getLogger("python_multipart")
_parser_log.addHandler(logging.NullHandler())
_parser_log.propagate = False


def verify_signature(request: Request) -> None:
    """403 unless the URL carries a valid signature for this method and (raw) path."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
    why = hub_of(request).signer.verify(request.method, raw_path.decode("latin-1"), query)
    if why is not None:
        raise ApiError(403, f"AccessDenied: {why}")


def check_declared_length(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_STORAGE_BODY:
        raise ApiError(
            413, f"body of {declared} bytes is over the {MAX_STORAGE_BODY}-byte storage limit"
        )


def open_upload(store: HubStore, upload_id: str, kind: str) -> Upload:
    upload = store.get_upload(upload_id)
    if upload.kind != kind:
        raise ApiError(400, f"this upload is not a {kind} upload")
    if upload.status != "open":
        raise ApiError(409, f"this upload is {upload.status}; register a new one")
    return upload


HANDOFF_SIZE = 512 * 1024  # body bytes handed to a worker thread at a time
INLINE_SIZE = 64 * 1024  # a body this small is consumed on the event loop


async def feed_body(
    request: Request, consume: Callable[[bytes], None], *, threaded: bool
) -> ApiError | None:
    """Give every chunk of the body to ``consume``. ``threaded``: on a worker thread,
    in batches of 512 KiB, so hashing and writing one batch overlaps receiving the
    next (hashlib and file writes release the GIL; at most two batches are held).
    Not for form bodies: parsing them is Python code, which would only fight the
    event loop for the GIL.

    After the first refusal the rest is read and dropped (memory stays flat), so
    the client gets the answer rather than a reset while it is still sending."""
    loop = asyncio.get_running_loop()
    pool = hub_of(request).write_pool
    problem: ApiError | None = None
    inflight: asyncio.Future[None] | None = None
    batch: list[bytes] = []
    batch_size = 0
    size = 0

    def run(chunks: list[bytes]) -> None:
        for chunk in chunks:
            consume(chunk)

    def refuse(err: ApiError | FormParserError) -> None:
        nonlocal problem
        if problem is None:
            problem = (
                err
                if isinstance(err, ApiError)
                else ApiError(400, f"malformed multipart/form-data body: {err}")
            )

    async def settle() -> None:
        nonlocal inflight
        if inflight is None:
            return
        try:
            await inflight
        except (ApiError, FormParserError) as err:
            refuse(err)
        finally:
            inflight = None

    try:
        # A stall (408) or a client gone ends the request at once: no more body to drop.
        async for chunk in body_chunks(request):
            size += len(chunk)
            if problem is not None:
                continue
            if size > MAX_STORAGE_BODY:
                refuse(ApiError(413, f"the body is over the {MAX_STORAGE_BODY}-byte storage limit"))
                continue
            if not threaded:
                try:
                    consume(chunk)
                except (ApiError, FormParserError) as err:
                    refuse(err)
                continue
            batch.append(chunk)
            batch_size += len(chunk)
            if batch_size >= HANDOFF_SIZE:
                await settle()
                if problem is None:
                    inflight = loop.run_in_executor(pool, run, batch)
                batch, batch_size = [], 0
        await settle()
        if problem is None and batch:
            if batch_size <= INLINE_SIZE:  # a small body: not worth a thread hop
                try:
                    run(batch)
                except (ApiError, FormParserError) as err:
                    refuse(err)
            else:
                inflight = loop.run_in_executor(pool, run, batch)
                await settle()
    finally:
        if inflight is not None:  # never leave a thread writing to a file being deleted
            with contextlib.suppress(Exception):
                await inflight
    return problem


class UploadForm:
    """A presigned POST form: the fields before ``file`` are kept (bounded in
    number and bytes), the ``file`` part is handed to a sink as it arrives, and
    fields after it are ignored, as S3 does."""

    def __init__(
        self,
        boundary: bytes,
        start_file: Callable[[dict[str, str]], Callable[[memoryview], None]],
    ) -> None:
        self.fields: dict[str, str] = {}
        self.file_done = False
        self.ended = False
        self._start_file = start_file
        self._fields_bytes = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._name = ""
        self._value = bytearray()
        self._mode = "field"  # field | file | ignore
        self._sink: Callable[[memoryview], None] | None = None
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
            max_header_count=16,
            max_header_size=MAX_PART_HEADERS,
        )

    def feed(self, chunk: bytes) -> None:
        self._parser.write(chunk)

    def finish(self) -> None:
        self._parser.finalize()
        if not self.ended:
            raise ApiError(400, "the form body ended before its closing boundary")
        if not self.file_done:
            raise ApiError(400, "the form has no 'file' part")

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise ApiError(400, "a form part has no Content-Disposition name")
        self._name = name.decode("utf-8", "replace")
        if self._name == "file":
            if self._sink is not None:
                raise ApiError(400, "more than one 'file' part")
            self._sink = self._start_file(self.fields)
            self._mode = "file"
        elif self._sink is not None:
            self._mode = "ignore"  # fields after the file are ignored
        else:
            if len(self.fields) >= MAX_FORM_FIELDS:
                raise ApiError(
                    400, f"the form has more than {MAX_FORM_FIELDS} fields before 'file'"
                )
            self._mode = "field"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._mode == "file":
            assert self._sink is not None
            self._sink(memoryview(data)[start:end])  # no copy of the (big) chunk
        elif self._mode == "field":
            self._value += data[start:end]
            self._fields_bytes += end - start
            if len(self._value) > MAX_FIELD_VALUE:
                raise ApiError(
                    400, f"form field {self._name[:100]!r} is over {MAX_FIELD_VALUE} bytes"
                )
            if self._fields_bytes > MAX_FIELDS_BYTES:
                raise ApiError(400, f"the form's fields are over {MAX_FIELDS_BYTES} bytes together")

    def _part_end(self) -> None:
        if self._mode == "file":
            self.file_done = True
        elif self._mode == "field":
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def _end(self) -> None:
        self.ended = True


async def download(request: Request) -> Response:
    verify_signature(request)
    store = hub_of(request).store
    target = store.object_path(request.path_params["key"])
    if not target.is_file():
        raise ApiError(404, "NoSuchKey: the object does not exist")
    return FileResponse(target, media_type="application/octet-stream")


async def single_upload(request: Request) -> Response:
    verify_signature(request)
    check_declared_length(request)
    store = hub_of(request).store
    upload = await run_in_threadpool(open_upload, store, request.path_params["upload_id"], "single")
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise ApiError(400, "a presigned POST upload must be multipart/form-data with a boundary")
    staged = store.incoming_path(upload.id).with_name(f"single-{secrets.token_hex(4)}")
    out: BinaryIO | None = None
    written = 0

    def start_file(fields: dict[str, str]) -> Callable[[memoryview], None]:
        nonlocal out
        if fields.get("key") != upload.key:
            raise ApiError(403, "AccessDenied: the form's key field does not match the upload")
        out = open_private_file(staged)

        def sink(data: memoryview) -> None:
            nonlocal written
            written += len(data)
            if written > upload.size:
                raise ApiError(400, f"EntityTooLarge: more than the {upload.size} bytes registered")
            assert out is not None
            out.write(data)

        return sink

    form = UploadForm(params[b"boundary"], start_file)
    with store.writing(upload.id):
        try:
            problem = await feed_body(request, form.feed, threaded=False)
            if problem is not None:
                raise problem
            form.finish()
            assert out is not None
            out.close()
            await run_in_threadpool(store.finish_upload, upload, staged)
        except BaseException:
            if out is not None:
                out.close()
            store.discard_staged(staged)
            raise
    return Response(status_code=204)


async def part_upload(request: Request) -> Response:
    verify_signature(request)
    check_declared_length(request)
    store = hub_of(request).store
    number = whole_number(request.path_params["number"], "the part number")
    # Quick SQLite reads and writes, done on the loop: a thread hop per part costs more.
    upload = open_upload(store, request.path_params["upload_id"], "multipart")
    if not 1 <= number <= upload.parts:
        raise ApiError(400, f"part number must be 1 to {upload.parts}")
    final = store.incoming_path(upload.id, number)
    staged = final.with_name(f"{final.name}.{secrets.token_hex(4)}")
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with store.writing(upload.id):
        try:
            with open_private_file(staged) as out:

                def sink(chunk: bytes) -> None:
                    nonlocal size
                    size += len(chunk)
                    if size > upload.chunk_size:
                        raise ApiError(
                            400, f"EntityTooLarge: a part holds at most {upload.chunk_size} bytes"
                        )
                    digest.update(chunk)
                    out.write(chunk)

                problem = await feed_body(request, sink, threaded=True)
            if problem is not None:
                raise problem
            os.replace(staged, final)
        except BaseException:
            store.discard_staged(staged)
            raise
        etag = digest.hexdigest()
        store.record_part(upload.id, number, etag, size)
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


routes = [
    Route("/storage/download/{key:path}", download, methods=["GET"]),
    Route("/storage/single/{upload_id}", single_upload, methods=["POST"]),
    Route("/storage/part/{upload_id}/{number}", part_upload, methods=["PUT"]),
]
