"""The one reading rule (``model.reading``): regular files of at most 5 MiB, everywhere.

The CLI tests run the real ``taskwizard`` in a subprocess with a timeout, because
the failures they guard against are hangs (a FIFO) and runaway reads (/dev/zero).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from taskwizard.editing import CannotOpen, open_file, state_for_config
from taskwizard.model.reading import (
    MAX_YAML_BYTES,
    Unreadable,
    printable,
    read_file_bytes,
    read_text_file,
)
from taskwizard.model.yamlio import load_yaml_file

TASK = """\
pods:
  identifiers: [retina-pod]
task:
  protocol:
    name: bitfount.ResultsOnly
  algorithm:
    - name: bitfount.ModelInference
"""
CONFIG = """\
task-templates:
  - slug: retina
    title: Retina
    type: text-classification
    template: {template}
"""
CLI_TIMEOUT = 60  # seconds; a hang before the fix meant "never"


def taskwizard(
    *args: str, cwd: Path, tty: bool = False, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (on a pseudo-terminal when ``tty``: edit needs one)."""
    command = [sys.executable, "-m", "taskwizard", *args]
    if not tty:
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    return result


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def unblock_readers(path: Path, seconds: float) -> threading.Thread:
    """Open ``path`` (a FIFO) for writing and close it, so that a reader stuck in open()
    gets an empty file instead of hanging the test forever — only if a reader waits."""

    def run() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody is reading
                time.sleep(0.05)
                continue
            os.close(fd)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# ------------------------------------------------------------------- the rule


def test_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TASK)
    assert read_file_bytes(path) == TASK.encode()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("fifo", "named pipe (FIFO)"),
        ("socket", "is a socket"),
        ("device", "is a device"),
        ("folder", "is a folder"),
        ("loop", "symbolic link loop"),
        ("dangling", "symbolic link to a missing file"),
        ("missing", "no such file"),
        ("big", "too big"),
    ],
)
def test_what_is_refused_and_why(tmp_path: Path, make: str, expected: str) -> None:
    path = tmp_path / "x.yaml"
    if make == "fifo":
        os.mkfifo(path)
    elif make == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    elif make == "device":
        path = Path("/dev/zero")
    elif make == "folder":
        path.mkdir()
    elif make == "loop":
        path.symlink_to(path)
    elif make == "dangling":
        path.symlink_to(tmp_path / "gone.yaml")
    elif make == "big":
        path.write_bytes(b"a: " + b"x" * MAX_YAML_BYTES + b"\n")
    with pytest.raises(Unreadable) as caught:
        read_file_bytes(path)
    assert expected in caught.value.reason
    assert str(caught.value).startswith(str(path))
    loaded = load_yaml_file(path)  # the YAML reader shares the rule
    message = loaded.problems[0].message
    assert not loaded.ok and expected.replace("no such file", "not found") in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(TASK)
    path.chmod(0)
    with pytest.raises(Unreadable, match="permission denied"):
        read_file_bytes(path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\x7fELF\x00\x01", "binary file"),
        (b"a: 1\n" * 3000 + b"\x00", "NUL byte"),  # past the first 8 KiB
        (b"slug: caf\xe9\n", "not UTF-8"),
        ("a: 1\n".encode("utf-16"), "UTF-16"),
        ("a: 1\n".encode("utf-32"), "UTF-32"),
    ],
)
def test_text_that_cannot_be_yaml_is_refused(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(raw)
    with pytest.raises(Unreadable, match=expected):
        read_text_file(path)


def test_printable_escapes_control_characters_and_stray_bytes() -> None:
    assert printable("a\x1b[31mb\nc") == "a\\x1b[31mb\\nc"
    assert printable(os.fsdecode(b"bad-\xff\xfe.yaml")) == "bad-\\xff\\xfe.yaml"
    assert printable("ok – é.yaml") == "ok – é.yaml"


# --------------------------------------------------------------- validate CLI


@pytest.mark.timeout(CLI_TIMEOUT + 30)
def test_validate_on_a_fifo_returns_2_at_once(tmp_path: Path, fifo: Path) -> None:
    result = taskwizard("validate", str(fifo), cwd=tmp_path)
    assert result.returncode == 2
    assert "pipe.yaml: named pipe (FIFO)" in result.stderr.replace("is a ", "")


@pytest.mark.timeout(CLI_TIMEOUT + 30)
def test_validate_config_whose_template_is_a_fifo(tmp_path: Path, fifo: Path) -> None:
    config = tmp_path / "task-templates.yaml"
    config.write_text(CONFIG.format(template=fifo.name))
    result = taskwizard("validate", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert "named pipe (FIFO)" in result.stdout


@pytest.mark.timeout(CLI_TIMEOUT + 30)
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dev/zero", "is a device"),
        ("loop", "symbolic link loop"),
        ("socket", "is a socket"),
        ("big", "too big"),
    ],
)
def test_validate_refuses_devices_and_link_loops(
    tmp_path: Path, target: str, expected: str
) -> None:
    server = None
    if target == "loop":
        (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
        target = "loop.yaml"
    elif target == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(tmp_path / "sock.yaml"))
        target = "sock.yaml"
    elif target == "big":
        (tmp_path / "big.yaml").write_bytes(b"a: " + b"x" * MAX_YAML_BYTES + b"\n")
        target = "big.yaml"
    try:
        result = taskwizard("validate", target, cwd=tmp_path)
    finally:
        if server is not None:
            server.close()
    assert result.returncode == 2
    assert expected in result.stderr


def test_validate_template_that_is_a_link_loop_says_so(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    config = tmp_path / "task-templates.yaml"
    config.write_text(CONFIG.format(template="loop.yaml"))
    result = taskwizard("validate", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert "symbolic link loop" in result.stdout
    assert "not found" not in result.stdout


def test_validate_escapes_control_bytes_in_file_names(tmp_path: Path) -> None:
    name = os.fsdecode(b"evil-\x1b[2J-\n-\xff.yaml")
    (tmp_path / name).write_text("pods: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "taskwizard", "validate", name],
        cwd=tmp_path,
        capture_output=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 1
    out = result.stdout
    assert b"\x1b" not in out and b"\xff" not in out
    assert b"evil-\\x1b[2J-\\n-\\xff.yaml:" in out
    json_run = subprocess.run(
        [sys.executable, "-m", "taskwizard", "validate", "--format", "json", name],
        cwd=tmp_path,
        capture_output=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert json_run.returncode == 1 and b"Traceback" not in json_run.stderr


# ------------------------------------------------------------------- edit CLI


@pytest.mark.timeout(CLI_TIMEOUT + 30)
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("binary", "binary file"),
        ("nul", "NUL byte"),
        ("latin1", "not UTF-8"),
        ("utf16", "UTF-16"),
        ("utf32", "UTF-32"),
        ("fifo", "named pipe"),
        ("socket", "is a socket"),
        ("zero", "is a device"),
        ("big", "too big"),
    ],
)
def test_edit_refuses_with_exit_2_and_no_setup(
    tmp_path: Path, kind: str, expected: str, tw_dirs: dict[str, Path]
) -> None:
    path = tmp_path / "x.yaml"
    server = None
    if kind == "binary":
        path.write_bytes(b"\x7fELF\x02\x01\x01\x00" * 64)
    elif kind == "nul":
        path.write_bytes(TASK.encode() + b"\x00\n")
    elif kind == "latin1":
        path.write_bytes(b"slug: caf\xe9\n")
    elif kind == "utf16":
        path.write_bytes(TASK.encode("utf-16"))
    elif kind == "utf32":
        path.write_bytes(TASK.encode("utf-32"))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    elif kind == "zero":
        path = Path("/dev/zero")
    elif kind == "big":
        path.write_bytes(TASK.encode() + b"# " + b"x" * MAX_YAML_BYTES + b"\n")
    try:
        result = taskwizard("edit", str(path), cwd=tmp_path, tty=True)
    finally:
        if server is not None:
            server.close()
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert not any(tw_dirs["config"].iterdir())  # no setup ran, nothing saved
    drafts = tw_dirs["cache"] / "drafts"
    assert not drafts.exists() or not any(drafts.glob("*.json"))


def test_open_file_refuses_a_fifo_without_blocking(fifo: Path) -> None:
    unblock_readers(fifo, 5)  # before the fix open() waited for a writer
    with pytest.raises(CannotOpen, match="named pipe"):
        open_file(fifo)


# --------------------------------------------------------- the config picker


@pytest.mark.timeout(60)
@pytest.mark.parametrize("template", ["pipe.yaml", "/dev/zero", "big.yaml"])
def test_picking_an_entry_whose_template_cannot_be_read(
    tmp_path: Path, fifo: Path, template: str
) -> None:
    (tmp_path / "big.yaml").write_bytes(TASK.encode() + b"# " + b"x" * MAX_YAML_BYTES + b"\n")
    config = tmp_path / "task-templates.yaml"
    config.write_text(CONFIG.format(template=template))
    unblock_readers(fifo, 5)
    with pytest.raises(CannotOpen) as caught:
        state_for_config(open_file(config), 0)
    assert str(caught.value).count("nothing was changed") == 1


@pytest.mark.anyio
@pytest.mark.timeout(60)
@pytest.mark.parametrize("template", ["pipe.yaml", "/dev/zero"])
async def test_picker_shows_a_dialog_and_ctrl_q_still_quits(
    tmp_path: Path, fifo: Path, template: str, tw_dirs: dict[str, Path]
) -> None:
    from tui_helpers import SIZE, settle

    from taskwizard.tui.app import TaskWizardApp
    from taskwizard.tui.dialogs.notice import NoticeDialog
    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog

    config = tmp_path / "task-templates.yaml"
    config.write_text(CONFIG.format(template=template))
    unblock_readers(fifo, 5)
    app = TaskWizardApp("edit", path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NoticeDialog)
        assert "nothing was changed" in app.screen.message
        await pilot.press("enter")  # OK: back to the list of entries, not to a setup
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code in (0, None)
    drafts = tw_dirs["cache"] / "drafts"
    assert not drafts.exists() or not any(drafts.glob("*.json"))


def test_model_and_weights_links_that_loop_are_named_so(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    for name in ("M.py", "M.pt"):
        (tmp_path / "models" / name).symlink_to(tmp_path / "models" / name)
    config = tmp_path / "task-templates.yaml"
    config.write_text("models:\n  - model_file: models/M.py\n    weights_file: models/M.pt\n")
    result = taskwizard("validate", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert "models/M.py is a symbolic link loop" in result.stdout
    assert "models/M.pt is a symbolic link loop" in result.stdout
    assert "not found" not in result.stdout


@pytest.mark.anyio
@pytest.mark.timeout(60)
async def test_edit_of_a_fifo_in_the_app_shows_a_dialog(tmp_path: Path, fifo: Path) -> None:
    from tui_helpers import SIZE, settle

    from taskwizard.tui.app import TaskWizardApp
    from taskwizard.tui.dialogs.notice import NoticeDialog

    unblock_readers(fifo, 5)
    app = TaskWizardApp("edit", path=fifo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NoticeDialog)
        assert "named pipe" in app.screen.message
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, NoticeDialog)


def test_permission_denied_is_said_even_when_running_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(TASK)

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("taskwizard.model.reading.os.open", refuse)
    with pytest.raises(Unreadable, match="permission denied — taskwizard cannot read it"):
        read_text_file(path)
    with pytest.raises(CannotOpen, match="permission denied"):
        open_file(path)


@pytest.mark.timeout(60)
def test_the_upload_plan_refuses_a_template_that_is_a_fifo(tmp_path: Path, fifo: Path) -> None:
    from taskwizard.hub.plan import build_plan

    config = tmp_path / "task-templates.yaml"
    config.write_text(CONFIG.format(template=fifo.name))
    unblock_readers(fifo, 5)
    plan = build_plan(config, None, "alice", cwd=tmp_path)
    assert plan.refused
    assert any("named pipe (FIFO)" in p.message for p in plan.problems)
