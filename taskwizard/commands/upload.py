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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

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
    from taskwizard.hub.client import HubError
    from taskwizard.hub.environments import HubConfigError
    from taskwizard.hub.plan import build_plan
    from taskwizard.hub.targets import resolve_target

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
    with printer:
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.2)
        except KeyboardInterrupt:
            printer.message("cancelling after the current chunk…")
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
def _console(out: TextIO, *, terminal: bool) -> Console:
    """A rich console on ``out`` (a terminal; rich measures it and handles the control codes)."""
    from rich.console import Console

    return Console(file=out, force_terminal=terminal, highlight=False, soft_wrap=False)


def print_plan(plan: UploadPlan, out: TextIO, *, terminal: bool | None = None) -> None:
    """The plan as a table: drawn by rich on a terminal, plain aligned lines for CI logs."""
    from taskwizard.hub.plan import ACTION_WORDS
    from taskwizard.hub.upload import format_bytes

    header = ("KIND", "NAME", "ACTION", "SIZE", "WHY")
    rows = [
        (
            item.kind,
            item.name,
            ACTION_WORDS[item.action],
            format_bytes(item.size) if item.kind in ("model", "weights") else "",
            item.reason,
        )
        for item in plan.items
    ]
    title = f"Plan for {plan.config_path}:" + (f" ({plan.note})" if plan.note else "")
    if terminal is None:
        terminal = out.isatty()
    if terminal:
        _print_plan_table(title, header, rows, out)
        return
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print(f"\n{title}", file=out)
    if not rows:
        print("  (the config names no models or templates)", file=out)
    for row in [header, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        print("  " + "  ".join(cells) + "  " + row[4], file=out)
    print(file=out)


def _print_plan_table(
    title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]], out: TextIO
) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = _console(out, terminal=True)
    console.print()
    console.print(Text(title, style="bold"))
    if not rows:
        console.print("  (the config names no models or templates)", markup=False)
    else:
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=True)
        for name in header:
            table.add_column(name, justify="right" if name == "SIZE" else "left")
        table.columns[-1].overflow = "fold"
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)
    console.print()


class ProgressPrinter:
    """Per-file progress: rich progress bars on a terminal, plain lines for CI logs.

    Called from the upload's worker thread; use it as a context manager around the upload
    (the bars are drawn while it is open and vanish after, leaving one line per file).
    """

    #: On a terminal, a file's bar is redrawn at most this often (its end always is).
    REDRAW_S = 0.1

    def __init__(self, out: TextIO, *, live: bool) -> None:
        self.out = out
        self.live = live
        self._last_quarter: dict[str, int] = {}
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._last_redraw = 0.0

    def __enter__(self) -> ProgressPrinter:
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=30),
                TextColumn("{task.percentage:>3.0f}%"),
                TextColumn("{task.fields[sizes]}  {task.fields[speed]}{task.fields[eta]}"),
                console=_console(self.out, terminal=True),
                auto_refresh=False,
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def __call__(self, event: FileProgress) -> None:
        with self._lock:
            if self._progress is not None:
                self._live(self._progress, event)
            else:
                self._plain(event)

    def message(self, line: str) -> None:
        """A line of its own (e.g. "cancelling…"), above the bars on a terminal."""
        with self._lock:
            if self._progress is not None:
                self._progress.console.print(line, markup=False, highlight=False)
            else:
                self._print(line)

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

    def _live(self, progress: Progress, event: FileProgress) -> None:
        from rich.text import Text

        from taskwizard.hub.upload import format_bytes

        if event.state == "waiting":
            return
        task = self._tasks.get(event.file_id)
        if event.state == "uploading":
            left = event.seconds_left
            sizes = f"{format_bytes(event.bytes_done)}/{format_bytes(event.bytes_total)}"
            speed = f"{format_bytes(event.speed)}/s"
            eta = f"  {left:.0f}s left" if left is not None else ""
            total = max(event.bytes_total, 1)
            if task is None:
                task = progress.add_task(
                    self._label(event), total=total, sizes=sizes, speed=speed, eta=eta
                )
                self._tasks[event.file_id] = task
            progress.update(
                task, completed=event.bytes_done, total=total, sizes=sizes, speed=speed, eta=eta
            )
            now = time.monotonic()
            if now - self._last_redraw >= self.REDRAW_S or event.bytes_done >= event.bytes_total:
                self._last_redraw = now
                progress.refresh()
            return
        if task is not None:
            progress.remove_task(task)
            del self._tasks[event.file_id]
            progress.refresh()  # the bar goes before its file's last line is printed
        progress.console.print(Text(self._final(event)))

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
