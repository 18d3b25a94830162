"""Request bodies read in chunks: Content-Length or chunked transfer coding,
and a streaming multipart/form-data parser.

Uploads can be hundreds of MiB; nothing here holds more than one read buffer
(plus a boundary's length) in memory at a time. The ``cgi`` module that once
did this is gone from the standard library, so this is a small parser of our
own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

READ_SIZE = 256 * 1024
MAX_PART_HEADERS = 16 * 1024
MAX_FIELD_VALUE = 64 * 1024


class BodyError(Exception):
    """The request body is malformed; the message says how (sent back as 400)."""


class BodyTooLarge(BodyError):
    """The body is larger than this endpoint accepts (sent back as 413)."""


class ClientGone(Exception):
    """The client closed the connection before sending the whole body."""


class RequestBody:
    """The body of one request, read no further than its end.

    Handles ``Content-Length`` and ``Transfer-Encoding: chunked`` (httpx sends
    chunked when it streams a generator of unknown length).
    """

    def __init__(
        self, rfile: BinaryIO, *, content_length: int | None, chunked: bool, limit: int
    ) -> None:
        self._rfile = rfile
        self._chunked = chunked
        self._limit = limit
        self._remaining = 0 if content_length is None else content_length
        self._chunk_left = 0
        self._eof = not chunked and self._remaining == 0
        self.bytes_read = 0
        if content_length is not None and content_length > limit:
            raise BodyTooLarge(f"body of {content_length} bytes is over the {limit}-byte limit")

    @property
    def at_end(self) -> bool:
        return self._eof

    @property
    def remaining_hint(self) -> int | None:
        """Bytes still to come if known (Content-Length), else None."""
        return None if self._chunked else self._remaining

    def read(self, size: int = READ_SIZE) -> bytes:
        """Up to ``size`` bytes; b"" at the end of the body."""
        if self._eof or size <= 0:
            return b""
        data = self._read_chunked(size) if self._chunked else self._read_plain(size)
        self.bytes_read += len(data)
        if self.bytes_read > self._limit:
            raise BodyTooLarge(f"body is over the {self._limit}-byte limit")
        return data

    def read_all(self) -> bytes:
        parts: list[bytes] = []
        while chunk := self.read():
            parts.append(chunk)
        return b"".join(parts)

    def drain(self, max_bytes: int) -> bool:
        """Read and discard the rest of the body; False if more than ``max_bytes``
        remain (then the connection must be closed instead)."""
        hint = self.remaining_hint
        if hint is not None and hint > max_bytes:
            return False
        dropped = 0
        try:
            while chunk := self.read():
                dropped += len(chunk)
                if dropped > max_bytes:
                    return False
        except (BodyError, ClientGone, OSError):
            return False
        return True

    def _read_plain(self, size: int) -> bytes:
        data = self._rfile.read(min(size, self._remaining))
        if not data:
            raise ClientGone(f"connection closed with {self._remaining} body bytes unsent")
        self._remaining -= len(data)
        if self._remaining == 0:
            self._eof = True
        return data

    def _read_chunked(self, size: int) -> bytes:
        if self._chunk_left == 0:
            line = self._rfile.readline(1024)
            if not line:
                raise ClientGone("connection closed inside a chunked body")
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BodyError("bad chunk size line in chunked body") from None
            if self._chunk_left < 0:
                raise BodyError("bad chunk size line in chunked body")
            if self._chunk_left == 0:
                # Trailers, then an empty line.
                while True:
                    trailer = self._rfile.readline(8192)
                    if not trailer:
                        raise ClientGone("connection closed inside chunked trailers")
                    if trailer in (b"\r\n", b"\n"):
                        break
                self._eof = True
                return b""
        data = self._rfile.read(min(size, self._chunk_left))
        if not data:
            raise ClientGone("connection closed inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and self._rfile.readline(8) not in (b"\r\n", b"\n"):
            raise BodyError("chunk not followed by CRLF")
        return data


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename="b.py"`` -> ("form-data", {...})."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    main = pieces[0].strip().lower()
    params: dict[str, str] = {}
    for piece in pieces[1:]:
        if "=" not in piece:
            continue
        key, _, val = piece.partition("=")
        params[key.strip().lower()] = val.strip()
    return main, params


@dataclass
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)


class MultipartReader:
    """multipart/form-data read part by part from a :class:`RequestBody`.

    ``next_part()`` returns the next part's headers (None after the last);
    then ``read_value()`` (small fields) or ``stream_to(sink)`` (files) reads
    its data. Skipped data is discarded.
    """

    def __init__(self, body: RequestBody, boundary: str) -> None:
        if not boundary or len(boundary) > 200:
            raise BodyError("multipart body without a usable boundary")
        self._body = body
        self._delim = b"\r\n--" + boundary.encode("latin-1")
        # The first boundary has no CRLF before it; pretend it has.
        self._buf = b"\r\n"
        self._in_part = False
        self._finished = False
        self._started = False

    def _fill(self) -> bool:
        chunk = self._body.read(READ_SIZE)
        if not chunk:
            return False
        self._buf += chunk
        return True

    def _skip_to_delimiter(self, sink: Callable[[bytes], None] | None) -> None:
        keep = len(self._delim) - 1
        while True:
            index = self._buf.find(self._delim)
            if index >= 0:
                if sink is not None and index:
                    sink(self._buf[:index])
                self._buf = self._buf[index + len(self._delim) :]
                return
            if len(self._buf) > keep:
                if sink is not None:
                    sink(self._buf[:-keep])
                self._buf = self._buf[-keep:]
            if not self._fill():
                raise BodyError("multipart body ended before its closing boundary")

    def _need(self, count: int) -> None:
        while len(self._buf) < count:
            if not self._fill():
                raise BodyError("multipart body ended inside a boundary")

    def next_part(self) -> FormPart | None:
        if self._finished:
            return None
        if self._in_part or not self._started:
            self._skip_to_delimiter(None)
            self._started = True
        self._in_part = False
        self._need(2)
        if self._buf[:2] == b"--":
            self._finished = True
            self._buf = b""
            # Epilogue, if any, is ignored.
            self._body.drain(1024 * 1024)
            return None
        # Transport padding (spaces/tabs) may precede the CRLF.
        while True:
            self._need(2)
            stripped = self._buf.lstrip(b" \t")
            if stripped:
                self._buf = stripped
                break
            self._buf = b""
        self._need(2)
        if self._buf[:2] != b"\r\n":
            raise BodyError("multipart boundary not followed by CRLF")
        self._buf = self._buf[2:]
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            if len(self._buf) > MAX_PART_HEADERS:
                raise BodyError("multipart part headers too long")
            if not self._fill():
                raise BodyError("multipart body ended inside part headers")
        raw_headers = self._buf[:end].decode("utf-8", "replace")
        self._buf = self._buf[end + 4 :]
        headers: dict[str, str] = {}
        for line in raw_headers.split("\r\n"):
            if ":" in line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        disposition, params = parse_header_params(headers.get("content-disposition", ""))
        if disposition != "form-data" or "name" not in params:
            raise BodyError("multipart part without 'Content-Disposition: form-data; name=...'")
        self._in_part = True
        return FormPart(
            name=params["name"],
            filename=params.get("filename"),
            content_type=headers.get("content-type"),
            headers=headers,
        )

    def read_value(self) -> str:
        collected: list[bytes] = []
        size = 0

        def sink(data: bytes) -> None:
            nonlocal size
            size += len(data)
            if size > MAX_FIELD_VALUE:
                raise BodyError(f"form field longer than {MAX_FIELD_VALUE} bytes")
            collected.append(data)

        self.stream_to(sink)
        return b"".join(collected).decode("utf-8", "replace")

    def stream_to(self, sink: Callable[[bytes], None]) -> None:
        if not self._in_part:
            raise RuntimeError("no current part")
        self._skip_to_delimiter(sink)
        self._in_part = False
