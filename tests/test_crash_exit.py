"""A crash in the wizard never exits 0, and its traceback holds no secret.

Real processes in a pseudo-terminal (the wizard needs one): the exit code and
what reaches the terminal are what a user and a script see.
"""

from __future__ import annotations

import os
import pty
import re
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRET = "SECRET-KEY-7f3a9c1e"

CRASHING = f"""
import sys
from taskwizard.tui.app import TaskWizardApp

def boom(self):
    api_key = {SECRET!r}  # a local variable Textual would have printed
    raise RuntimeError("bad task: access_key: " + api_key)

TaskWizardApp.on_mount = boom
from taskwizard.cli import main
sys.exit(main(["new"]))
"""


def run_in_pty(
    code: str | list[str | bytes],
    env: dict[str, str],
    timeout: float = 60.0,
    *,
    then: tuple[bytes, bytes] | None = None,
) -> tuple[int, str]:
    """Run ``python -c code`` (or ``python ARGS``) in an 80x24 pty until it exits.

    ``then``: (text on screen, keys): type the keys once the text was drawn.
    """
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", code] if isinstance(code, str) else [sys.executable, *code],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if then is not None and then[0] in output:
                time.sleep(0.5)
                os.write(master, then[1])
                then = None
        elif process.poll() is not None:
            break
    else:
        process.kill()
        pytest.fail("the wizard did not exit")
    os.close(master)
    code_ = process.wait(timeout=10)
    text = re.sub(
        r"\x1b\[[0-9;?<>=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]",
        "",
        output.decode("utf-8", "replace"),
    )
    return code_, text


def test_a_crash_exits_1_and_writes_a_report_without_secrets(tw_dirs: dict[str, Path]) -> None:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "BITFOUNT_API_KEY": "ENV-KEY-0a1b2c3d",
        "PYTHONPATH": str(ROOT),
    }
    code, screen = run_in_pty(CRASHING, env)
    assert code == 1, screen
    assert "taskwizard stopped on an unexpected error (RuntimeError)" in screen
    match = re.search(r"Details \(no secrets in it\): (\S+)", screen.replace("\r\n", " "))
    assert match, screen
    report = Path(match.group(1))
    text = report.read_text()
    assert "RuntimeError" in text and "boom" in text
    assert SECRET not in text and SECRET not in screen
    assert (report.stat().st_mode & 0o777) == 0o600
    assert report.is_relative_to(tw_dirs["cache"])


def test_edit_a_file_whose_name_is_not_utf8_then_quit(
    tmp_path: Path, tw_dirs: dict[str, Path]
) -> None:
    name = os.fsencode(str(tmp_path)) + b"/bad-\xff\xfe-name.yaml"
    with open(name, "w") as handle:
        handle.write("pods:\n  identifiers: [alice/pod]\ntask:\n  protocol: {name: x}\n")
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    # it used to crash with UnicodeEncodeError while writing the draft, and exit 0
    code, screen = run_in_pty(["-m", "taskwizard", "edit", name], env, then=(b"Pods", b"\x11"))
    assert code == 0, screen
    assert "Traceback" not in screen and "Error" not in screen
    assert list((tw_dirs["cache"] / "drafts").glob("*.json")) == []  # nothing changed: no draft


def test_a_crash_in_a_command_exits_1_with_a_report_without_secrets(
    tw_dirs: dict[str, Path],
) -> None:
    code = f"""
import sys
import taskwizard.commands.validate as validate

def boom(name, args):
    token = {SECRET!r}
    raise ValueError("password: " + token)

validate.run = boom
from taskwizard.cli import main
sys.exit(main(["validate", "x.yaml"]))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "stopped on an unexpected error (ValueError)" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    report = Path(result.stderr.split("Details (no secrets in it): ")[1].strip())
    text = report.read_text()
    assert "ValueError" in text and SECRET not in text
