"""A validation problem, and how it is located in a document.

Validators work on plain data (dicts/lists as read from YAML or built by the
wizard) and report each problem against a *path* into that data, e.g.
``("task", "algorithm", 0, "name")``. When the data came from a file, the
path is resolved to ``line``/``column`` with the positions the YAML reader
kept; the wizard uses the path to show the problem under its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

Severity = Literal["error", "warning"]
DocPath = tuple[str | int, ...]


MESSAGE_VALUE_CHARS = 60
"""A value quoted in a message is cut to this many characters (and "…")..."""
_CUT_FROM = 80  # ...when it is longer than this (a long file path stays whole)

# a value in quotes (not an apostrophe: no letter before the opening or after the closing one)
_QUOTED = re.compile(rf"""(?<!\w)(?:'[^'\n]{{{_CUT_FROM},}}'|"[^"\n]{{{_CUT_FROM},}}")(?!\w)""")
_LONG_RUN = re.compile(rf"\S{{{MESSAGE_VALUE_CHARS + 21},}}")


def shorten_values(message: str) -> str:
    """``message`` with every quoted value longer than 80 characters cut to 60 + "…" (a 1 MiB
    value must not be echoed whole into a message); unquoted runs without a space are cut
    too when the message is still long."""
    message = _QUOTED.sub(
        lambda m: m.group()[: MESSAGE_VALUE_CHARS + 1] + "…" + m.group()[-1], message
    )
    if len(message) > 1000:
        message = _LONG_RUN.sub(lambda m: m.group()[:MESSAGE_VALUE_CHARS] + "…", message)
    return message


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    message: str
    path: DocPath = ()
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def __post_init__(self) -> None:
        if len(self.message) > 200:
            object.__setattr__(self, "message", shorten_values(self.message))

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def at(self, file: str | None, line: int | None, column: int | None) -> Problem:
        return replace(self, file=file, line=line, column=column)

    def format(self) -> str:
        """``path:line:col: severity: message`` as compilers and editors print it."""
        where = self.file or "<document>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.severity}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (
            self.file or "",
            self.line or 0,
            self.column or 0,
            0 if self.is_error else 1,
            self.message,
        )


def error(message: str, path: DocPath = ()) -> Problem:
    return Problem("error", message, path)


def warning(message: str, path: DocPath = ()) -> Problem:
    return Problem("warning", message, path)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


def path_text(path: DocPath) -> str:
    """``task.algorithm[0].name`` — how a path is shown to a user."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def path_key(key: Any) -> str | int:
    """A mapping key as a path step (a key that is not text or a number becomes its text)."""
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)
