"""Start-up: time until `taskwizard new` has drawn its first screen, next to a bare
Textual hello-world app on the same machine.

Each program runs in a real pseudo-terminal (80x24); the clock stops when the
terminal output contains a marker text of the first screen. Runs are
interleaved so machine noise hits both alike; medians are reported.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import platform
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

HELLO = """
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Hello, Textual")
        yield Footer()

Hello().run()
"""


def time_to_marker(
    argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0
) -> float:
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    elapsed = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if marker in seen:
                elapsed = time.perf_counter() - start
                break
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        for name in ("config", "cache", "data"):
            (Path(tmp) / name).mkdir()
            env[f"TASKWIZARD_{name.upper()}_DIR"] = str(Path(tmp) / name)
        exe = str(Path(sys.executable).parent / "taskwizard")
        programs = {
            "textual hello-world": ([sys.executable, str(hello)], b"Hello, Textual"),
            "taskwizard new": ([exe, "new"], b"Slug"),
        }
        results: dict[str, list[float]] = {name: [] for name in programs}
        for argv, marker in programs.values():  # warm the file cache once
            time_to_marker(argv, marker, env)
        for _ in range(args.runs):
            for name, (argv, marker) in programs.items():
                results[name].append(time_to_marker(argv, marker, env))
    machine = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    medians = {}
    for name, values in results.items():
        values = [v for v in values if v == v]
        medians[name] = statistics.median(values)
        print(
            f"{name:22s} median {medians[name] * 1000:7.1f} ms   "
            f"min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms   "
            f"({len(values)} runs)"
        )
    ratio = medians["taskwizard new"] / medians["textual hello-world"]
    print(f"ratio taskwizard new / hello-world: {ratio:.2f}x (target <= 1.30x)")


if __name__ == "__main__":
    main()
