"""``taskwizard schema config|task [--output FILE]``: the JSON Schema of a format.

For editors (yaml-language-server, VS Code's YAML extension) and other tools; see
:mod:`taskwizard.model.jsonschema`. Exit 0, or 2 when FILE cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "format",
        choices=("config", "task"),
        help="config: a task-templates config; task: a task YAML (or task template)",
    )
    parser.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE (default: stdout)"
    )


def run(name: str, args: argparse.Namespace) -> int:
    from taskwizard.atomic import atomic_write_text
    from taskwizard.model.jsonschema import SCHEMAS

    text = json.dumps(SCHEMAS[args.format](), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write_text(args.output, text)
    except OSError as exc:
        print(
            f"taskwizard schema: cannot write {args.output}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
