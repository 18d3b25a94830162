"""Command-line entry point. Every sub-command lives in ``taskwizard.commands``
and is imported only when it runs, so ``taskwizard --help`` and the wizard's
start-up stay fast."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from taskwizard import __version__

# name -> (module in taskwizard.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "new": ("wizard", "start a new task template in the wizard"),
    "edit": ("wizard", "open an existing task-templates config or task YAML in the wizard"),
    "resume": ("wizard", "resume a draft in the wizard (the newest one if no ID is given)"),
    "drafts": ("drafts", "list saved drafts"),
    "validate": ("validate", "validate task-templates configs and task YAML files"),
    "upload": ("upload", "upload a task-templates config, its models and templates to a Hub"),
    "pull": ("pull", "pull a task template (and its models) from a Hub into a local config"),
    "schema": ("schema", "write the JSON Schema of a task-templates config or a task YAML"),
    "hub": ("hub", "run a local Bitfount-compatible hub on 127.0.0.1"),
    "setup": ("wizard", "run the first-time setup again"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s own arguments are added (None: every command's),
    so starting the wizard does not import the upload or hub code."""
    parser = argparse.ArgumentParser(
        prog="taskwizard",
        description=(
            "A full-screen wizard for Bitfount task templates. "
            "Run without a command to open the home screen."
        ),
    )
    parser.add_argument("--version", action="version", version=f"taskwizard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or command == name:
            module = importlib.import_module(f"taskwizard.commands.{module_name}")
            module.add_arguments(name, sub_parser)
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names (its first word that is not an option), if any."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(requested_command(argv)).parse_args(argv)
    command = args.command or "home"
    module_name = COMMANDS[command][0] if command in COMMANDS else "wizard"
    module = importlib.import_module(f"taskwizard.commands.{module_name}")
    try:
        return int(module.run(command, args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: exit 1 with a report that holds no secret
        from taskwizard.crash import write_crash_report

        report = write_crash_report(exc)
        where = f" Details (no secrets in it): {report}" if report else ""
        print(
            f"taskwizard {command}: stopped on an unexpected error ({type(exc).__name__}).{where}",
            file=sys.stderr,
        )
        return 1
