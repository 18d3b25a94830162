"""``taskwizard upload``'s plan and progress: rich on a terminal, plain lines for CI logs.

One table of action words (``hub.plan.ACTION_WORDS``) names each action in the CLI and in
the upload screen.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from taskwizard.commands import upload as upload_command
from taskwizard.hub.plan import ACTION_WORDS, PlanItem, UploadPlan
from taskwizard.hub.upload import FileProgress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def sample_plan() -> UploadPlan:
    return UploadPlan(
        Path("p/task-templates.yaml"),
        "alice",
        "http://127.0.0.1:3000",
        items=[
            PlanItem("model:M", "model", "MyModel.py", "new", "not on the hub yet", size=2048),
            PlanItem("template:t", "template", "my-template", "tags_only", "tags [a] vs [b]"),
            PlanItem("template:o", "template", "old", "unarchive", "archived on the hub"),
        ],
    )


def test_plan_is_plain_aligned_lines_when_not_a_terminal() -> None:
    out = io.StringIO()  # not a terminal
    upload_command.print_plan(sample_plan(), out)
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text
    lines = text.splitlines()
    assert lines[1] == "Plan for p/task-templates.yaml: (hub not contacted)"
    assert lines[2] == "  KIND      NAME         ACTION           SIZE     WHY"
    assert lines[3] == "  model     MyModel.py   new              2.0 KiB  not on the hub yet"
    assert lines[4] == "  template  my-template  update tags/URL           tags [a] vs [b]"
    assert lines[5] == "  template  old          unarchive                 archived on the hub"


def test_plan_is_a_rich_table_on_a_terminal() -> None:
    out = io.StringIO()
    upload_command.print_plan(sample_plan(), out, terminal=True)
    raw = out.getvalue()
    assert "\x1b[1m" in raw  # drawn by rich: bold title and header
    text = ANSI.sub("", raw)
    assert "Plan for p/task-templates.yaml: (hub not contacted)" in text
    assert "─" * 20 in text  # the header rule
    rows = [line.split() for line in text.splitlines()]
    assert ["KIND", "NAME", "ACTION", "SIZE", "WHY"] in rows
    assert ["template", "my-template", "update", "tags/URL", "tags", "[a]", "vs", "[b]"] in rows
    assert ["template", "old", "unarchive", "archived", "on", "the", "hub"] in rows


def test_an_empty_plan_says_so_in_both_forms() -> None:
    for terminal in (False, True):
        out = io.StringIO()
        plan = UploadPlan(Path("c.yaml"), "alice", None)
        upload_command.print_plan(plan, out, terminal=terminal)
        assert "(the config names no models or templates)" in out.getvalue()


def progress_events() -> list[FileProgress]:
    size = 4 * 2**20
    return [
        FileProgress("weights:M", "M.pt", "weights", "new", "waiting", 0, size),
        FileProgress("weights:M", "M.pt", "weights", "new", "uploading", 0, size),
        FileProgress("weights:M", "M.pt", "weights", "new", "uploading", size // 2, size, 2**20),
        FileProgress("weights:M", "M.pt", "weights", "new", "uploading", size, size, 2**20),
        FileProgress(
            "weights:M", "M.pt", "weights", "new", "done", size, size, detail="version [b]2[/b]"
        ),
    ]


def test_progress_on_a_terminal_is_a_rich_bar_that_leaves_one_line_per_file() -> None:
    out = io.StringIO()
    with upload_command.ProgressPrinter(out, live=True) as printer:
        for event in progress_events():
            printer(event)
    raw = out.getvalue()
    assert "━" in raw  # rich's bar
    text = ANSI.sub("", raw)
    assert "weights M.pt" in text and "100% 4.0 MiB/4.0 MiB  1.0 MiB/s  0s left" in text
    # the bar is gone at the end; the file's result stays, markup-looking text as typed
    last = [line for line in text.replace("\r", "\n").splitlines() if line.strip()][-1]
    assert last == "weights M.pt: done — version [b]2[/b]"


def test_progress_without_a_terminal_is_plain_lines() -> None:
    out = io.StringIO()
    with upload_command.ProgressPrinter(out, live=False) as printer:
        for event in progress_events():
            printer(event)
        printer.message("cancelling after the current chunk…")
    assert out.getvalue().splitlines() == [
        "weights M.pt: uploading (4.0 MiB)",
        "weights M.pt: 50% (2.0 MiB of 4.0 MiB, 1.0 MiB/s)",
        "weights M.pt: done — version [b]2[/b]",
        "cancelling after the current chunk…",
    ]


def test_cli_and_upload_screen_name_actions_from_one_table() -> None:
    from taskwizard.tui.screens import upload as upload_screen

    assert vars(upload_screen)["ACTION_WORDS"] is ACTION_WORDS
    assert not hasattr(upload_screen, "ACTION_LABELS")
    assert not hasattr(upload_command, "ACTION_TEXT")
    assert set(ACTION_WORDS) == {
        "new", "new_version", "tags_only", "unarchive", "archive", "unchanged", "unknown"
    }  # fmt: skip
