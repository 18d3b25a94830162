"""A real ``taskwizard`` process is killed with SIGKILL in the middle of typing;
``taskwizard resume`` in a new process must bring back every value.

The processes run in tmux (a real terminal, 80x24) on a private tmux socket,
so the test can type into them and read their screen. The draft promise is
"at most the last second of typing is lost": values typed more than a
second before the kill must be intact, and the draft must never be corrupt.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taskwizard.drafts import DraftStore
from taskwizard.wizard_steps import STEP_IDS

ROOT = Path(__file__).resolve().parents[1]
TMUX = shutil.which("tmux")
#: The autosave promise (1 s) plus a margin for a loaded 2-core CI machine.
SETTLE = 2.0
#: How long to wait for a screen to appear: a slow machine only makes this wait longer.
WAIT = 60.0
#: A person's pause after Tab before typing into the next field. Textual moves the
#: focus only once the Tab key has bubbled up to the app, and keys typed before that
#: still reach the field being left while the wizard re-validates (reported).
PAUSE_AFTER_TAB = 1.0

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class Terminal:
    """One tmux server of our own (private socket) running taskwizard processes."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.socket = tmp / f"tmux-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.tmp = tmp

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        result = subprocess.run(
            [TMUX, "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return result.stdout

    def start(self, name: str, *argv: str) -> int:
        """Start ``python -m taskwizard ARGV`` in a new 80x24 window; return its pid."""
        pid_file = self.tmp / f"{name}.pid"
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        command = (
            f"cd {shlex.quote(str(ROOT))} && echo $$ > {shlex.quote(str(pid_file))} && "
            f"exec env {env} {shlex.quote(sys.executable)} -m taskwizard "
            + " ".join(shlex.quote(a) for a in argv)
        )
        self.tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "sh", "-c", command)
        self.tmux("set-option", "-t", name, "remain-on-exit", "on")
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), f"{name} to start")
        return int(pid_file.read_text())

    def screen(self, name: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", name)

    def type(self, name: str, text: str) -> None:
        self.tmux("send-keys", "-t", name, "-l", text)

    def key(self, name: str, *keys: str) -> None:
        self.tmux("send-keys", "-t", name, *keys)

    def wait_screen(self, name: str, *texts: str) -> str:
        def shown() -> str | None:
            screen = self.screen(name)
            return screen if all(t in screen for t in texts) else None

        found: str = wait_for(shown, f"{texts} on the screen of {name}", lambda: self.screen(name))
        return found

    def close(self) -> None:
        if self.socket.exists():
            subprocess.run(
                [TMUX or "tmux", "-S", str(self.socket), "kill-server"],
                capture_output=True,
                timeout=30,
            )


def wait_for(check: Callable[[], Any], what: str, show: Callable[[], str] | None = None) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n--- screen ---\n{show()}" if show else ""
            raise AssertionError(f"waited {WAIT:.0f}s for {what}{extra}")
        time.sleep(0.1)


def saved_entry() -> dict[str, Any] | None:
    """The first template entry of the only draft on disk, read without side effects."""
    files = list(DraftStore().folder.glob("*.json"))
    if len(files) != 1:
        return None
    try:
        return entry(json.loads(files[0].read_text()))
    except (OSError, ValueError, KeyError, IndexError):
        return None


def wait_saved(key: str, value: str) -> None:
    """Wait until the draft holds ``value``: the app has taken the keys in.

    (Tab pressed while the wizard is still re-drawing the field just edited can be
    lost; a person pauses there anyway, so the test does too.)
    """
    wait_for(
        lambda: (saved_entry() or {}).get(key) == value,
        f"the draft to hold {key}={value!r}",
        lambda: f"draft entry: {saved_entry()}",
    )


def draft_record() -> dict[str, Any]:
    store = DraftStore()
    drafts = store.list()
    assert store.corrupt_reports() == []
    assert len(drafts) == 1, drafts
    record = json.loads(drafts[0].path.read_text())
    assert isinstance(record, dict)
    return record


def entry(record: dict[str, Any]) -> dict[str, Any]:
    value = record["state"]["config"]["task-templates"][0]
    assert isinstance(value, dict)
    return value


def wait_checked(terminal: Terminal, name: str) -> None:
    """Wait for the first validation's status line (or a check mark on a resumed draft):
    the wizard has settled after start-up. (A new template nobody has typed in shows ○.)"""
    wait_for(
        lambda: re.search(
            r"1 Template [✗✓!]|Fill in the fields marked|saves from any step|F8",
            terminal.screen(name),
        ),
        f"the first check on the screen of {name}",
        lambda: terminal.screen(name),
    )
    time.sleep(PAUSE_AFTER_TAB)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie (killed, not reaped by its tmux parent yet) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


@pytest.fixture
def terminal(tw_dirs: dict[str, Path], tmp_path: Path) -> Iterator[Terminal]:
    env = {f"TASKWIZARD_{k.upper()}_DIR": str(v) for k, v in tw_dirs.items()}
    env["PYTHONPATH"] = str(ROOT)
    term = Terminal(tmp_path, env)
    try:
        yield term
    finally:
        term.close()


def test_kill_9_mid_typing_then_resume_restores_every_value(terminal: Terminal) -> None:
    pid = terminal.start("first", "new")
    terminal.wait_screen("first", f"Step 1/{len(STEP_IDS)}", "Slug")
    wait_checked(terminal, "first")

    # The slug field has the focus on a new template's first step.
    terminal.type("first", "retina-scan")
    terminal.wait_screen("first", "retina-scan")
    wait_saved("slug", "retina-scan")
    terminal.key("first", "Tab")
    time.sleep(PAUSE_AFTER_TAB)
    terminal.type("first", "Retina scan")
    terminal.wait_screen("first", "Retina scan")
    wait_saved("title", "Retina scan")
    terminal.key("first", "Tab", "Tab")  # the type (a select) keeps its default
    time.sleep(PAUSE_AFTER_TAB)
    terminal.type("first", "Finds drusen")
    terminal.wait_screen("first", "Finds drusen")
    time.sleep(SETTLE)  # everything so far is older than the autosave promise

    # Keep typing and kill the process in the middle of it.
    for ch in " in OCT scans":
        terminal.type("first", ch)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: process_gone(pid), "the killed process to go away")

    record = draft_record()
    assert record["status"] == "editing"
    values = entry(record)
    assert values["slug"] == "retina-scan"
    assert values["title"] == "Retina scan"
    assert values["type"] == "image-classification"
    # at most the last second of typing may be missing
    assert values["description"].startswith("Finds drusen")
    assert "Finds drusen in OCT scans".startswith(values["description"])
    assert record["state"]["step"] == "template"
    assert record["state"]["focus"] == "config:task-templates.0.description"
    lost = "Finds drusen in OCT scans"[len(values["description"]) :]

    # A new process resumes the newest draft: same values, same step, same field.
    terminal.start("second", "resume")
    # The focused field (the description) is scrolled into view; the slug is in the title bar.
    screen = terminal.wait_screen("second", "retina-scan", values["description"])
    assert f"Step 1/{len(STEP_IDS)}" in screen
    wait_checked(terminal, "second")
    # keys land in the focused field, the description (End: the cursor starts at its start)
    terminal.key("second", "End")
    time.sleep(PAUSE_AFTER_TAB)
    terminal.type("second", lost or "!")
    terminal.wait_screen("second", "Finds drusen in OCT scans" if lost else "Finds drusen!")
    # Back up to the title: it came back too.
    for _ in range(2):
        terminal.key("second", "BTab")
        time.sleep(PAUSE_AFTER_TAB)
    terminal.wait_screen("second", "Retina scan")
    time.sleep(SETTLE)
    terminal.key("second", "C-q")
    wait_for(
        lambda: (
            "Pane is dead" in terminal.screen("second")
            or "exited" in terminal.screen("second")
            or not terminal.screen("second").strip()
        ),
        "the resumed app to quit",
    )
    final = entry(draft_record())
    expected = "Finds drusen in OCT scans" if lost else "Finds drusen!"
    assert final["description"] == expected
    assert (final["slug"], final["title"]) == ("retina-scan", "Retina scan")


def test_kill_9_during_fast_typing_never_leaves_a_corrupt_draft(terminal: Terminal) -> None:
    pid = terminal.start("fast", "new")
    terminal.wait_screen("fast", f"Step 1/{len(STEP_IDS)}", "Slug")
    wait_checked(terminal, "fast")
    typed = "a"
    terminal.type("fast", typed)
    wait_saved("slug", typed)  # the session's draft exists from its first change
    # keep typing without a pause: the kill lands while drafts are being written
    for i in range(60):
        ch = "bcdefghija"[i % 10]
        typed += ch
        terminal.type("fast", ch)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: process_gone(pid), "the killed process to go away")
    record = draft_record()  # loads, is not moved aside
    slug = entry(record)["slug"]
    assert slug and typed.startswith(slug)
    leftovers = [p.name for p in DraftStore().folder.iterdir() if p.name.endswith(".tmp")]
    # a temp file may be left by the kill; it is never taken for a draft
    assert all(name.startswith(".") for name in leftovers)
