"""``taskwizard validate``'s formats for CI: GitHub Actions workflow commands and SARIF.

Kept apart from the text and JSON output so that each can change on its own.

- GitHub: one ``::error file=…,line=…,col=…::message`` (or ``::warning``) per
  problem, escaped as the Actions runner unescapes them (actions/toolkit
  ``command.ts``): ``%``, CR and LF in the message; those and ``:`` and ``,``
  in a property value.
- SARIF 2.1.0 (OASIS), what GitHub code scanning and other tools read: one
  run, one result per problem, a rule per severity.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from taskwizard import __version__
from taskwizard.model.problems import Problem
from taskwizard.model.reading import printable  # as the text output: control bytes inert

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: SARIF rules, one per severity: taskwizard's problems carry no finer id.
RULES: dict[str, dict[str, Any]] = {
    "error": {
        "id": "taskwizard/error",
        "name": "BitfountRejects",
        "shortDescription": {"text": "Bitfount rejects this, or misreads it silently"},
        "fullDescription": {
            "text": "A task-templates config or task YAML that Bitfount 13 refuses to "
            "upload or run, or a YAML trap that Bitfount silently misreads."
        },
        "defaultConfiguration": {"level": "error"},
    },
    "warning": {
        "id": "taskwizard/warning",
        "name": "BitfountWarns",
        "shortDescription": {"text": "Bitfount accepts this, but it is probably a mistake"},
        "fullDescription": {
            "text": "Something Bitfount 13 accepts but ignores, drops or deprecates, "
            "such as an unknown key in a task-templates config."
        },
        "defaultConfiguration": {"level": "warning"},
    },
}


# ------------------------------------------------------------------ GitHub Actions


def escape_data(text: str) -> str:
    """A workflow command's message, as actions/toolkit ``escapeData`` does it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, as actions/toolkit ``escapeProperty``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(problem: Problem) -> str:
    """``::error file=…,line=…,col=…,title=…::message`` for one problem."""
    properties: list[tuple[str, str]] = []
    if problem.file is not None:
        properties.append(("file", printable(problem.file)))
    if problem.line is not None:
        properties.append(("line", str(problem.line)))
        if problem.column is not None:
            properties.append(("col", str(problem.column)))
    properties.append(("title", f"taskwizard {problem.severity}"))
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{problem.severity} {props}::{escape_data(printable(problem.message))}"


def github_lines(problems: Iterable[Problem]) -> list[str]:
    return [github_command(p) for p in problems]


# ------------------------------------------------------------------ SARIF


def artifact_uri(file: str) -> tuple[str, bool]:
    """The file as a SARIF URI: relative (to ``%SRCROOT%``) when it was given relative."""
    path = PurePath(file)
    if path.is_absolute():
        return Path(file).as_uri(), False
    # The file name's own bytes, percent-encoded (RFC 3986), whatever their encoding.
    return quote(os.fsencode(path.as_posix()), safe="/"), True


def sarif_result(problem: Problem) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": RULES[problem.severity]["id"],
        "ruleIndex": list(RULES).index(problem.severity),
        "level": problem.severity,
        "message": {"text": printable(problem.message)},
    }
    if problem.file is not None:
        uri, relative = artifact_uri(problem.file)
        location: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if relative:
            location["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
        if problem.line is not None:
            region: dict[str, int] = {"startLine": problem.line}
            if problem.column is not None:
                region["startColumn"] = problem.column
            location["region"] = region
        result["locations"] = [{"physicalLocation": location}]
    return result


def sarif_log(problems: Sequence[Problem], *, cwd: Path | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one taskwizard run; relative paths are relative to ``cwd``."""
    root = (cwd or Path(os.getcwd())).resolve()
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "taskwizard",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": list(RULES.values()),
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": [sarif_result(p) for p in problems],
            }
        ],
    }
