"""``taskwizard validate PATH... [--format text|json]``.

Prints one line per problem (``path:line:col: error|warning: message``, sorted by
file and line) and a summary; exit 0 when every file is valid (warnings are fine),
1 when any has an error, 2 on a usage error or a path that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="task-templates configs and/or task YAML files (a config's task YAMLs are "
        "checked too)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="output format (default: text); github: GitHub Actions annotations "
        "(::error file=…,line=…,col=…::message); sarif: SARIF 2.1.0 for code scanning",
    )


def _unreadable(path: str) -> str | None:
    """Why a path on the command line cannot be validated (exit 2), by taskwizard's one
    reading rule: regular files of at most 5 MiB (a FIFO or /dev/zero never hangs it)."""
    from taskwizard.model.reading import unreadable_reason

    return unreadable_reason(path)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run(name: str, args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # e.g. `taskwizard validate ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from taskwizard.model.reading import printable
    from taskwizard.model.validate import validate_paths

    bad = False
    for path in args.paths:
        reason = _unreadable(path)
        if reason is not None:
            print(f"taskwizard validate: cannot read {printable(path)}: {reason}", file=sys.stderr)
            bad = True
    if bad:
        return 2

    reports = validate_paths([Path(p) for p in args.paths])
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)

    if args.format == "json":
        out: dict[str, Any] = {
            "valid": errors == 0,
            "files_checked": len(reports),
            "errors": errors,
            "warnings": warnings,
            "files": [
                {
                    "path": r.path,
                    "kind": r.kind,
                    "valid": r.errors == 0,
                    "problems": [
                        {
                            "file": p.file,
                            "line": p.line,
                            "column": p.column,
                            "severity": p.severity,
                            "message": p.message,
                            "path": [
                                part if isinstance(part, str | int) else str(part)
                                for part in p.path
                            ],
                        }
                        for p in r.problems
                    ],
                }
                for r in reports
            ],
        }
        text = json.dumps(out, indent=2, ensure_ascii=False)
        # a non-UTF-8 file name holds lone surrogates: write them as JSON escapes
        print(re.sub("[\udc80-\udcff]", lambda m: f"\\u{ord(m.group()):04x}", text))
        return 1 if errors else 0

    if args.format in ("github", "sarif"):
        return _print_ci_format(args.format, reports, errors)

    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    problems = sorted((p for r in reports for p in r.problems), key=lambda p: p.sort_key())
    for problem in problems:
        line = printable(problem.format())  # ESC or newline bytes in a file name stay inert
        if colour:
            tag = f"{problem.severity}:"
            code = "31" if problem.is_error else "33"
            line = line.replace(f" {tag} ", f" \x1b[1;{code}m{tag}\x1b[0m ", 1)
        print(line)
    files = _plural(len(reports), "file")
    if errors or warnings:
        summary = f"{files} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    else:
        summary = f"{files} checked: all valid"
    if colour:
        summary = f"\x1b[1;{'31' if errors else '32'}m{summary}\x1b[0m"
    print(summary)
    return 1 if errors else 0


def _print_ci_format(fmt: str, reports: list[Any], errors: int) -> int:
    """GitHub workflow commands or a SARIF log; exit status as for text."""
    from taskwizard.commands.validate_formats import github_lines, sarif_log

    problems = sorted((p for r in reports for p in r.problems), key=lambda p: p.sort_key())
    if fmt == "github":
        for line in github_lines(problems):
            print(line)
    else:
        print(json.dumps(sarif_log(problems), indent=2, ensure_ascii=False))
    return 1 if errors else 0
