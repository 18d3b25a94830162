"""Quitting `taskwizard edit` of a config just under 5 MiB while it is being read: the time
from the key (or signal) to the terminal given back, and to the process's exit.

Each run starts `taskwizard edit BIG` in a real pseudo-terminal (100x30), waits for a
screen, and a moment more (the read starts once that screen is drawn): 0.3 s in the
picker, whose full read then still has about 2 s to go, 0.1 s on "Reading…". Then:

- Ctrl+Q in the template picker (drawn from a quick look while the file is read in full);
- Ctrl+Q on "Reading FILE…" (during the quick look);
- Escape in the picker, then Ctrl+Q once the home screen is drawn;
- SIGTERM, and SIGINT, while the picker is shown.

"restored" is when the terminal leaves the alternate screen (the app's last output);
"exit" when the process has ended (what a shell waits for before its prompt); anything it
printed after leaving the alternate screen (a traceback) is counted. Runs are interleaved;
medians and the worst run are reported with the load average.

    python benchmarks/bench_quit.py [--runs 10] [--baseline CHECKOUT]
    python benchmarks/bench_quit.py --smoke   # one run, a 768 KiB config

``--baseline`` measures another checkout (run with PYTHONPATH pointing at it, e.g. a
``git archive`` of main) in the same rounds, for before/after figures from one run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import platform
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PICKER = b"Which one"
READING = b"Reading"
HOME = b"Drafts"
LEFT = b"\x1b[?1049l"  # off the alternate screen: the terminal is given back
CTRL_Q, ESCAPE = b"\x11", b"\x1b"

#: After the screen is drawn, before the key: its read has started (after that frame).
AFTER = {PICKER: 0.3, READING: 0.1}
#: case -> (screen to wait for, what to do there)
CASES: dict[str, tuple[bytes, str]] = {
    "Ctrl+Q in the picker": (PICKER, "ctrl+q"),
    "Ctrl+Q on Reading…": (READING, "ctrl+q"),
    "Escape, then Ctrl+Q at home": (PICKER, "escape"),
    "SIGTERM in the picker": (PICKER, "SIGTERM"),
    "SIGINT in the picker": (PICKER, "SIGINT"),
}


def quit_once(argv: list[str], env: dict[str, str], marker: bytes, action: str) -> dict[str, float]:
    """One run: seconds from the action to the terminal given back and to the exit."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen = bytearray()
    reaped = False

    def read(timeout: float) -> None:
        if select.select([fd], [], [], timeout)[0]:
            with contextlib.suppress(OSError):  # the terminal is closed: the process ended
                seen.extend(os.read(fd, 65536))

    def wait_for(text: bytes, since: int = 0) -> None:
        deadline = time.perf_counter() + 60
        while text not in seen[since:]:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"never drew {text!r}")
            read(0.01)

    try:
        wait_for(marker)
        end = time.perf_counter() + AFTER[marker]
        while time.perf_counter() < end:
            read(0.01)
        if action == "escape":
            mark = len(seen)
            os.write(fd, ESCAPE)
            wait_for(HOME, mark)
            action = "ctrl+q"
        mark = len(seen)
        sent = time.perf_counter()
        if action == "ctrl+q":
            os.write(fd, CTRL_Q)
        else:
            os.kill(pid, getattr(signal, action))
        restored = exited = float("nan")
        while time.perf_counter() - sent < 60:
            read(0.002)
            if restored != restored and LEFT in seen[mark:]:
                restored = time.perf_counter() - sent
            if os.waitpid(pid, os.WNOHANG)[0]:
                reaped, exited = True, time.perf_counter() - sent
                break
        while select.select([fd], [], [], 0.05)[0]:  # what it printed on its way out
            try:
                seen.extend(os.read(fd, 65536))
            except OSError:
                break
        at = seen.find(LEFT, mark)
        printed = re.sub(rb"\x1b\[[0-9;?<>=]*[A-Za-z]", b"", bytes(seen[at:])) if at >= 0 else b""
        return {"restored": restored, "exit": exited, "printed": float(bool(printed.strip()))}
    finally:
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="one run, a 768 KiB config")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alike")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_startup import FIVE_MIB, write_big_config

    size = FIVE_MIB
    if args.smoke:
        args.runs, size = 1, 768 * 1024
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for name in ("config", "cache", "data"):
            (Path(tmp) / name).mkdir()
            env[f"TASKWIZARD_{name.upper()}_DIR"] = str(Path(tmp) / name)
        # Settings saved: Escape goes to the home screen, not to the first-run setup.
        (Path(tmp) / "config" / "settings.json").write_text('{"username": "bench"}\n')
        config = write_big_config(Path(tmp), size)
        argv = [str(Path(sys.executable).parent / "taskwizard"), "edit", str(config)]
        trees = {"": env}
        if args.baseline:
            trees[" (baseline)"] = dict(env, PYTHONPATH=str(args.baseline.resolve()))
        for tree_env in trees.values():  # warm the bytecode and taskwizard's caches
            quit_once(argv, tree_env, PICKER, "ctrl+q")
        results: dict[str, list[dict[str, float]]] = {
            case + tree: [] for tree in trees for case in CASES
        }
        before = os.getloadavg()
        for _ in range(args.runs):
            for tree, tree_env in trees.items():
                for case, (marker, action) in CASES.items():
                    results[case + tree].append(quit_once(argv, tree_env, marker, action))
        after = os.getloadavg()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average before {before[0]:.2f}, after {after[0]:.2f}"
    )
    print(f"taskwizard edit of a {size / 2**20:.2f} MiB config, {args.runs} runs each:")
    for name, runs in results.items():
        line = f"{name:40s}"
        for what in ("restored", "exit"):
            values = [run[what] for run in runs if run[what] == run[what]]
            if values:
                line += (
                    f"  -> {what} median {statistics.median(values) * 1000:6.0f} ms"
                    f" (max {max(values) * 1000:5.0f})"
                )
            else:
                line += f"  -> {what} never"
        printed = sum(int(run["printed"]) for run in runs)
        print(line + (f"  (printed after leaving: {printed} runs)" if printed else ""))


if __name__ == "__main__":
    main()
