"""The one rule for reading a file the user named: regular files only, at most 5 MiB.

Every path that reads a YAML file a user pointed at (``validate``, ``edit``, the
config-entry picker, the upload plan, and so drafts) goes through
:func:`read_file_bytes`. Why a rule of its own: ``open()`` on a FIFO blocks until
a writer comes (``validate`` never returned, the TUI froze), ``/dev/zero`` never
ends (``edit`` grew to gigabytes), and a 100 MB file was copied whole into a
draft. So the file is ``stat``-ed first and refused unless it is a regular file
of at most ``limit`` bytes; it is then opened non-blocking and ``fstat``-ed
again (the path may have been swapped meanwhile), and never more than
``limit + 1`` bytes are read.

A refusal is :class:`Unreadable` (an ``OSError``, so existing ``except OSError``
handlers keep working): ``reason`` says what the file is and what to do, and
``str()`` names the file too, with control characters escaped
(:func:`printable`).
"""

from __future__ import annotations

import errno
import os
import stat

MAX_YAML_BYTES: int = 5 * 1024 * 1024
"""Largest YAML file taskwizard reads (5 MiB): real configs are a few KiB."""

__all__ = [
    "MAX_YAML_BYTES",
    "Unreadable",
    "printable",
    "read_file_bytes",
    "read_text_file",
    "check_readable",
    "too_big_message",
    "unreadable_reason",
    "utf16_or_32",
]


class Unreadable(OSError):
    """A file taskwizard refuses to read; ``reason`` says why and what to do."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(reason)
        self.path = os.fspath(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{printable(self.path)}: {self.reason}"


def printable(text: str) -> str:
    """``text`` with control characters and undecodable bytes escaped (``\\x1b``, ``\\xff``).

    File names may hold ESC or newline bytes; printed raw they move the cursor or
    forge output lines. Bytes that are not UTF-8 arrive as surrogate escapes and
    would make ``print`` fail.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte of a non-UTF-8 name (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable() or char == " ":
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def too_big_message(size: int, limit: int = MAX_YAML_BYTES) -> str:
    return (
        f"the file is too big for a task YAML or config ({size:,} bytes; taskwizard reads at "
        f"most {limit:,}) — is this the right file?"
    )


def _kind_reason(mode: int) -> str | None:
    """Why a file of this mode is refused, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file — give the YAML file inside it"
    if stat.S_ISFIFO(mode):
        return (
            "is a named pipe (FIFO), not a regular file — taskwizard reads only regular files "
            "(reading a pipe can wait forever); save the YAML to a file first"
        )
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file — give the path of a YAML file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return (
            "is a device, not a regular file (a device like /dev/zero never ends) — "
            "give the path of a YAML file"
        )
    return "is not a regular file — give the path of a YAML file"


def _os_reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (the link leads back to itself) — fix or remove the link"
    if isinstance(exc, FileNotFoundError):
        if os.path.islink(path):
            return f"is a symbolic link to a missing file ({os.readlink(path)}) — fix the link"
        return "no such file — check the path"
    if isinstance(exc, PermissionError):
        return "permission denied — taskwizard cannot read it; check its permissions"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a folder) — check the path"
    return f"cannot be read ({exc.strerror or exc})"


def unreadable_reason(path: str | os.PathLike[str], *, limit: int = MAX_YAML_BYTES) -> str | None:
    """Why :func:`read_file_bytes` would refuse ``path`` (kind, size, permissions, a link
    loop), found without reading it; None when it is readable."""
    try:
        check_readable(path, limit=limit)
    except Unreadable as exc:
        return exc.reason
    return None


def _open_regular(name: str, limit: int) -> int:
    """An open descriptor of the regular file ``name`` of at most ``limit`` bytes."""
    try:
        info = os.stat(name)
    except OSError as exc:
        raise Unreadable(name, _os_reason(name, exc)) from None
    reason = _kind_reason(info.st_mode)
    if reason is not None:
        raise Unreadable(name, reason)
    if info.st_size > limit:
        raise Unreadable(name, too_big_message(info.st_size, limit))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(name, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Unreadable(name, _os_reason(name, exc)) from None
    try:
        info = os.fstat(fd)  # the path may have been swapped for a pipe since the stat
        reason = _kind_reason(info.st_mode)
        if reason is not None:
            raise Unreadable(name, reason)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_file_bytes(path: str | os.PathLike[str], *, limit: int = MAX_YAML_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; :class:`Unreadable` otherwise.

    Never blocks on a pipe or a device and never reads more than ``limit + 1`` bytes.
    """
    name = os.fspath(path)
    fd = _open_regular(name, limit)
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Unreadable(name, _os_reason(name, exc)) from None
    finally:
        os.close(fd)
    if size > limit:  # it grew since the stat
        raise Unreadable(name, too_big_message(size, limit))
    return b"".join(chunks)


def check_readable(path: str | os.PathLike[str], *, limit: int = MAX_YAML_BYTES) -> None:
    """Raise :class:`Unreadable` when :func:`read_file_bytes` would refuse ``path``;
    opens it (non-blocking) but reads nothing."""
    os.close(_open_regular(os.fspath(path), limit))


def read_text_file(path: str | os.PathLike[str], *, limit: int = MAX_YAML_BYTES) -> bytes:
    """:func:`read_file_bytes`, refusing what cannot be YAML text at all: UTF-16/32, NUL bytes
    (a binary file), bytes that are not UTF-8. Returns the bytes (the caller decodes them)."""
    raw = read_file_bytes(path, limit=limit)
    encoding = utf16_or_32(raw)
    if encoding is not None:
        raise Unreadable(
            path, f"is {encoding} text, not UTF-8 — save it as UTF-8 and open it again"
        )
    if b"\x00" in raw:
        raise Unreadable(
            path,
            f"is a binary file (it holds a NUL byte at byte offset {raw.index(0)}), not YAML — "
            "pick the YAML file",
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise Unreadable(
            path,
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02X} at byte offset {exc.start}, "
            f"line {line}) — save it as UTF-8 and open it again",
        ) from None
    return raw


def utf16_or_32(raw: bytes) -> str | None:
    """ "UTF-32" or "UTF-16" when ``raw`` starts with that encoding's byte-order mark."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    return None
