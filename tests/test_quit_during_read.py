"""Quitting while a big file is being read for editing does not wait for the read.

A 5 MiB config takes seconds to read in full (parse with positions, the config's checks),
and the read cannot stop halfway. Ctrl+Q, SIGTERM, or Escape then Ctrl+Q while it runs must
end the process without it: the terminal restored, no traceback, no draft, the file as it
was. Real processes in a pseudo-terminal, as a user runs them (the wait was in the process's
exit, after the app had stopped); the read is replaced by one that never ends, so a process
that waits for it never exits (the timeout is a hang guard, not a measure).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from taskwizard import paths, settings

ROOT = Path(__file__).resolve().parents[1]
#: Hang guard only: a process that waits for the endless read never exits at all.
HANG_GUARD = 60.0

#: ``python -c`` this: `taskwizard edit FILE`, with the read replaced by one that never ends
#: (the quick look, or the full read the picker starts). It writes STARTED when it begins.
BLOCKED_READ = """
import sys, threading
from pathlib import Path

import taskwizard.editing
import taskwizard.tui.dialogs.reading

started, which, path = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

def endless(*args):
    started.write_text("reading")
    threading.Event().wait()

if which == "quick":
    taskwizard.editing.quick_read = endless
else:
    taskwizard.tui.dialogs.reading.read_in_full = endless
from taskwizard.cli import main
sys.exit(main(["edit", path]))
"""


def big_config(folder: Path) -> Path:
    """A config of ~560 KiB: read behind "Reading…", then from a quick look."""
    entries = [
        f"  - slug: t-{i}\n    title: Template {i}\n    template: task-{i}.yaml\n"
        f"    type: image-classification\n"
        for i in range(12_000)
    ]
    path = folder / "task-templates.yaml"
    path.write_text("task-templates:\n" + "".join(entries))
    assert path.stat().st_size >= 512 * 1024
    return path


class Session:
    """``python -c BLOCKED_READ`` in an 80x24 pseudo-terminal."""

    def __init__(self, which: str, config: Path, started: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", BLOCKED_READ, str(started), which, str(config)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=env,
            close_fds=True,
            start_new_session=True,  # the pty is its terminal, as in a real one
        )
        os.close(slave)
        self.master = master
        self.started = started
        self.output = bytearray()

    def _read(self, timeout: float) -> bool:
        """Read what the process wrote; False once the terminal is closed."""
        if select.select([self.master], [], [], timeout)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            self.output += chunk
        return True

    def wait_for(self, text: bytes) -> None:
        deadline = time.monotonic() + HANG_GUARD
        while text not in self.output or not self.started.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"never got to {text!r} with the read started: {self.screen()}")
            self._read(0.1)

    def send(self, keys: bytes) -> int:
        """Type ``keys``; where the output is now (what comes after answers them)."""
        mark = len(self.output)
        os.write(self.master, keys)
        return mark

    def exit_code(self) -> int:
        """Wait for the process to exit (it must not wait for the endless read)."""
        deadline = time.monotonic() + HANG_GUARD
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                pytest.fail("the process did not exit while the read was still running")
            self._read(0.1)
        while self._read(0.1):  # the rest of its output
            pass
        return self.process.returncode

    def screen(self, since: int = 0) -> str:
        return re.sub(
            r"\x1b\[[0-9;?<>=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]",
            "",
            self.output[since:].decode("utf-8", "replace"),
        )

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    settings.save_settings(settings.Settings(username="alice", auth_method="api_key"))
    return big_config(tmp_path)


def run(which: str, config: Path, tmp_path: Path) -> Session:
    return Session(which, config, tmp_path / "started")


def assert_left_clean(session: Session, since: int, config: Path, before: str) -> None:
    """The terminal is given back (main screen, cursor shown), nothing went wrong on it,
    no draft was written, and the file is as it was."""
    after = bytes(session.output[since:])
    assert b"\x1b[?1049l" in after, session.screen(since)  # off the alternate screen
    assert b"\x1b[?25h" in after, session.screen(since)  # the cursor shown again
    text = session.screen(since)
    assert "Traceback" not in text and "Error" not in text, text
    assert list((paths.cache_dir() / "drafts").glob("*")) == []
    assert hashlib.sha256(config.read_bytes()).hexdigest() == before


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("blocked", "shown"),
    [
        ("full", b"Which one"),  # the picker, from the quick look; the full read runs
        ("quick", b"Reading"),  # "Reading FILE…", the read has not answered yet
    ],
    ids=["in-the-picker-while-the-full-read-runs", "while-reading-before-the-picker"],
)
def test_ctrl_q_quits_while_a_read_runs(
    config: Path, tmp_path: Path, blocked: str, shown: bytes
) -> None:
    before = sha256(config)
    session = run(blocked, config, tmp_path)
    try:
        session.wait_for(shown)
        since = session.send(b"\x11")  # Ctrl+Q
        assert session.exit_code() == 0, session.screen()
        assert_left_clean(session, since, config, before)
    finally:
        session.close()


@pytest.mark.timeout(180)
def test_escape_from_the_picker_then_ctrl_q_quits(config: Path, tmp_path: Path) -> None:
    before = sha256(config)
    session = run("full", config, tmp_path)
    try:
        session.wait_for(b"Which one")
        mark = session.send(b"\x1b")  # Escape: home, the read goes on unseen
        deadline = time.monotonic() + HANG_GUARD
        while "Drafts" not in session.screen(mark):  # the home screen is drawn
            assert time.monotonic() < deadline, session.screen(mark)
            session._read(0.1)
        since = session.send(b"\x11")
        assert session.exit_code() == 0, session.screen()
        assert_left_clean(session, since, config, before)
    finally:
        session.close()


@pytest.mark.timeout(180)
def test_sigterm_while_reading_quits_and_gives_the_terminal_back(
    config: Path, tmp_path: Path
) -> None:
    before = sha256(config)
    session = run("full", config, tmp_path)
    try:
        session.wait_for(b"Which one")
        since = len(session.output)
        session.process.send_signal(signal.SIGTERM)
        # 128 + 15, as a shell reports a process ended by SIGTERM: the work did not finish
        assert session.exit_code() == 128 + signal.SIGTERM, session.screen()
        assert_left_clean(session, since, config, before)
    finally:
        session.close()
