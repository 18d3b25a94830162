"""``taskwizard upload CONFIG``: plan, confirm, upload, report — for terminals and CI.

Exit codes: 0 every file uploaded or unchanged (or a dry run), 1 a file failed or
the hub could not be reached, 2 usage or configuration errors (invalid config, no
username, no or refused credentials, no ``--yes`` without a terminal).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from taskwizard.hub.plan import UploadPlan
    from taskwizard.hub.upload import FileProgress

ENV_CHOICES = ("production", "staging", "sandbox", "dev", "local")


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, metavar="CONFIG", help="the task-templates config")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--hub", metavar="URL", help="hub URL (e.g. http://127.0.0.1:3000)")
    where.add_argument("--env", choices=ENV_CHOICES, help="a known hub (default: your settings)")
    parser.add_argument("--username", metavar="USER", help="upload as USER (default: settings)")
    parser.add_argument(
        "--dry-run", action="store_true", help="show the plan; change nothing on the hub"
    )
    parser.add_argument("--yes", "-y", action="store_true", help="upload without asking")


class UsageError(Exception):
    """Exit 2 with this message."""


def run(name: str, args: argparse.Namespace) -> int:
    out = sys.stdout
    try:
        return _run(args, out)
    except UsageError as exc:
        print(f"taskwizard upload: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from taskwizard.hub.auth import AuthError
    from taskwizard.hub.client import HubError, resolve_target
    from taskwizard.hub.environments import HubConfigError
    from taskwizard.hub.plan import build_plan

    try:
        target = resolve_target(env=args.env, hub_url=args.hub, username=args.username)
        # A dry run without credentials still shows the plan, without the hub.
        client = (
            target.client(read_only=args.dry_run)
            if target.credentials or not args.dry_run
            else None
        )
    except (HubConfigError, AuthError) as exc:
        raise UsageError(str(exc)) from None
    env, username, credentials = target.environment, target.username, target.credentials
    print(f"Hub:  {env.hub_url} ({env.name})", file=out)
    print(f"User: {username}", file=out)
    source = credentials.source if credentials else "none (hub not contacted)"
    print(f"Credentials: {source}", file=out)
    try:
        try:
            plan = build_plan(args.config, client, username)
        except AuthError as exc:
            raise UsageError(str(exc)) from None
        except HubError as exc:
            hint = " — is `taskwizard hub` running?" if env.name in ("local", "dev") else ""
            print(f"taskwizard upload: cannot make the plan: {exc}{hint}", file=sys.stderr)
            return 1
        out.flush()  # keep the order of stdout and stderr lines in CI logs
        from taskwizard.model.reading import printable

        for problem in plan.problems:
            print(printable(problem.format()), file=sys.stderr)
        if plan.refused:
            print(
                f"taskwizard upload: {args.config} has errors; fix them and run again "
                "(`taskwizard validate` shows the same list)",
                file=sys.stderr,
            )
            return 2
        print_plan(plan, out)
        if args.dry_run:
            print("Dry run: nothing was changed on the hub.", file=out)
            return 0
        assert client is not None
        changes = plan.changes
        if not changes:
            print("Nothing to upload: everything is unchanged.", file=out)
            return 0
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "not on a terminal, so I can't ask: pass --yes to upload without asking"
                )
            answer = input(
                f"Upload {len(changes)} change(s) to {env.hub_url} as {username}? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing uploaded.", file=out)
                return 1
        return _execute(plan, client, out)
    finally:
        if client is not None:
            client.close()


def _execute(plan: UploadPlan, client: object, out: TextIO) -> int:
    from taskwizard.hub.client import HubClient
    from taskwizard.hub.upload import UploadResult, execute_plan

    assert isinstance(client, HubClient)
    printer = ProgressPrinter(out, live=out.isatty())
    cancel = threading.Event()
    holder: list[UploadResult] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            holder.append(execute_plan(plan, client, on_progress=printer, cancel=cancel))
        except BaseException as exc:  # reported below, on the main thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="upload", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        print("\ncancelling after the current chunk…", file=out, flush=True)
        cancel.set()
        worker.join()
    if failure:
        exc = failure[0]
        print(f"taskwizard upload: stopped by an unexpected error: {exc!r}", file=sys.stderr)
        return 1
    result = holder[0]
    print_summary(result, plan, out)
    return 0 if result.ok else 1


# ------------------------------------------------------------------ output
ACTION_TEXT = {
    "new": "new",
    "new_version": "new version",
    "tags_only": "update tags/URL",
    "unarchive": "unarchive",
    "archive": "archive",
    "unchanged": "unchanged",
    "unknown": "?",
}


def print_plan(plan: UploadPlan, out: TextIO) -> None:
    from taskwizard.hub.upload import format_bytes

    rows = [("KIND", "NAME", "ACTION", "SIZE", "WHY")]
    for item in plan.items:
        rows.append(
            (
                item.kind,
                item.name,
                ACTION_TEXT[item.action],
                format_bytes(item.size) if item.kind in ("model", "weights") else "",
                item.reason,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(f"\nPlan for {plan.config_path}:" + (f" ({plan.note})" if plan.note else ""), file=out)
    if len(rows) == 1:
        print("  (the config names no models or templates)", file=out)
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        print("  " + "  ".join(cells) + "  " + row[4], file=out)
    print(file=out)


class ProgressPrinter:
    """Per-file progress: a live line on a terminal, plain lines for CI logs."""

    def __init__(self, out: TextIO, *, live: bool) -> None:
        self.out = out
        self.live = live
        self._last_line = 0.0
        self._last_quarter: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, event: FileProgress) -> None:
        with self._lock:
            if self.live:
                self._live(event)
            else:
                self._plain(event)

    def _label(self, event: FileProgress) -> str:
        return f"{event.kind} {event.name}"

    def _plain(self, event: FileProgress) -> None:
        from taskwizard.hub.upload import format_bytes

        label = self._label(event)
        if event.state == "waiting":
            return
        if event.state == "uploading":
            if event.bytes_done == 0 and event.file_id not in self._last_quarter:
                self._last_quarter[event.file_id] = 0
                total = f" ({format_bytes(event.bytes_total)})" if event.bytes_total else ""
                self._print(f"{label}: uploading{total}")
                return
            if event.bytes_total >= 1024 * 1024:
                quarter = int(event.fraction * 4)
                if 0 < quarter < 4 and quarter > self._last_quarter.get(event.file_id, 0):
                    self._last_quarter[event.file_id] = quarter
                    self._print(
                        f"{label}: {quarter * 25}% ({format_bytes(event.bytes_done)} of "
                        f"{format_bytes(event.bytes_total)}, {format_bytes(event.speed)}/s)"
                    )
            return
        self._print(self._final(event))

    def _live(self, event: FileProgress) -> None:
        from taskwizard.hub.upload import format_bytes

        if event.state == "waiting":
            return
        if event.state == "uploading":
            now = time.monotonic()
            if now - self._last_line < 0.1 and event.bytes_done < event.bytes_total:
                return
            self._last_line = now
            left = event.seconds_left
            eta = f"  {left:.0f}s left" if left is not None else ""
            line = (
                f"{self._label(event)}  {event.fraction * 100:3.0f}%  "
                f"{format_bytes(event.bytes_done)}/{format_bytes(event.bytes_total)}  "
                f"{format_bytes(event.speed)}/s{eta}"
            )
            self.out.write("\r\x1b[2K" + line)
            self.out.flush()
            return
        self.out.write("\r\x1b[2K")
        self._print(self._final(event))

    def _final(self, event: FileProgress) -> str:
        label = self._label(event)
        if event.state == "done":
            return f"{label}: done — {event.detail}"
        if event.state == "unchanged":
            return f"{label}: unchanged"
        if event.state == "cancelled":
            return f"{label}: cancelled"
        return f"{label}: FAILED — {event.error}"

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def print_summary(result: object, plan: UploadPlan, out: TextIO) -> None:
    from taskwizard.hub.upload import UploadResult

    assert isinstance(result, UploadResult)
    counts: dict[str, int] = {}
    for event in result.files.values():
        counts[event.state] = counts.get(event.state, 0) + 1
    parts = [
        f"{counts[s]} {s}" for s in ("done", "unchanged", "failed", "cancelled") if s in counts
    ]
    print(f"\nSummary: {', '.join(parts) or 'nothing to do'}.", file=out)
    for event in result.failed:  # why is on its FAILED line above: said once
        print(f"  {event.kind} {event.name}: {event.state}", file=out)
    if result.failed:
        print("Run the same command again to retry: unchanged files are skipped.", file=out)
