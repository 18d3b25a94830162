"""`taskwizard edit` of a config just under 5 MiB (~30,000 templates, ``bench_startup``'s
file), headless, in a fresh process per run: what the user waits for after start-up.

- picker: from the app's start (its modules imported) to the template picker shown
  (the real terminal's figure, from process start, is ``bench_startup.py``'s);
- read in full: until the file is read in full (the picker may show before, from a
  quick look at the file; it then reads in full meanwhile);
- choose -> wizard drawn / checked: from Enter on the first template (once read in full,
  0.3 s later) to the first frame composed with the wizard's step on it, and to the first
  one after its first check (``WizardScreen._ready``: the validators are imported after the
  step is drawn); and, in a run of its own, Enter as soon as the picker shows (the picker
  waits for the full read);
- key -> frame: in the Template step's slug field, from a key posted to the first frame
  composed after the wizard's ``revalidate`` for it (as ``bench_keystroke.py``); the
  draft autosave runs as in real use (its timer thread competes for the interpreter);
- peak RSS of the process (``ru_maxrss``).

``--tree DIR`` (repeatable) runs the same measurements against other checkouts (e.g. a
``git worktree`` of main), interleaved round by round, so the machine's noise hits all
alike; each figure is the median over the rounds, and the load average is printed.

    python benchmarks/bench_big_edit.py [--runs 5] [--keys 30] [--tree /tmp/base]
    python benchmarks/bench_big_edit.py --smoke   # one run, a 768 KiB config
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POLL = 0.002


async def measure(config: Path, keys: int, at_once: bool = False) -> dict[str, Any]:
    """One run in this process (the child): the figures as a dict."""
    import resource

    from textual import events

    from taskwizard.tui.app import TaskWizardApp
    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog
    from taskwizard.tui.screens.wizard import WizardScreen

    frames: list[float] = []
    #: The screen each frame showed (a frame of the wizard is what "drawn" waits for).
    shown_on: list[type[Any]] = []
    marks: list[float] = []
    #: When the wizard's validators were ready (its first check follows at once).
    ready_at: list[float] = []
    validators_ready = WizardScreen._validators_ready

    def record_ready(screen: WizardScreen) -> None:
        ready_at.append(time.perf_counter())
        validators_ready(screen)

    WizardScreen._validators_ready = record_ready  # type: ignore[method-assign]

    async def wait_for(condition: Any, timeout: float = 60.0) -> None:
        start = time.perf_counter()
        while not condition():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the app did not get there")
            await asyncio.sleep(POLL)

    start = time.perf_counter()
    app = TaskWizardApp("edit", path=config)
    original_display = app._display

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            frames.append(time.perf_counter())
            shown_on.append(type(screen))
        original_display(screen, renderable)

    app._display = display  # type: ignore[method-assign]
    out: dict[str, Any] = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: isinstance(app.screen, TemplatePickDialog))
        shown = time.perf_counter()
        await wait_for(lambda: frames and frames[-1] > shown)
        out["picker_s"] = frames[-1] - start
        picker = app.screen
        if not at_once:
            # A picker filled from a quick look reads the file in full meanwhile (its
            # `opened` is None until then); the old picker came after the full read.
            await wait_for(lambda: getattr(picker, "opened", True) is not None)
            out["full_read_s"] = time.perf_counter() - start
            await asyncio.sleep(0.3)  # a user reads the list
        chose = time.perf_counter()
        seen = len(frames)
        await pilot.press("enter")
        # The first frame that shows the wizard, as recorded when it was composed (polling
        # for the screen instead would miss the frames drawn while ``press`` waited).
        await wait_for(lambda: WizardScreen in shown_on[seen:])
        out["drawn_s"] = frames[seen + shown_on[seen:].index(WizardScreen)] - chose
        await wait_for(lambda: ready_at and frames[-1] > ready_at[0])
        out["choose_s"] = next(t for t in frames if t > ready_at[0]) - chose
        if at_once:  # the wizard is all this run measures
            keys = 0
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await asyncio.sleep(1.0)  # validators loaded, first draft written
        original = screen.revalidate

        def revalidate(*, settle: bool = True) -> None:
            original(settle=settle)
            marks.append(time.perf_counter())

        screen.revalidate = revalidate  # type: ignore[method-assign]
        view = screen.step_view
        assert view is not None
        slug = view.field_for("config", ("task-templates", app.state.template_index, "slug"))
        assert slug is not None, "no slug field"
        slug.focus_editor()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        latencies = []
        for n in range(keys):
            name, char = ("backspace", None) if n % 4 == 3 else ("x", "x")
            seen = len(marks)
            posted = time.perf_counter()
            event = events.Key(name, char)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
            await wait_for(lambda: len(marks) > seen)  # noqa: B023
            mark = marks[seen]
            while not (frames and frames[-1] > mark) and time.perf_counter() - mark < 0.3:
                await asyncio.sleep(POLL)
            frame = next((t for t in frames if t > mark), mark)
            latencies.append((frame - posted) * 1000)
            await asyncio.sleep(0.05)  # typing speed: ~15 keys a second with the work
        out["keys_ms"] = latencies
    out["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import taskwizard

    out["tree"] = str(Path(taskwizard.__file__).resolve().parents[1])
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--tree", action="append", default=[], help="another checkout to time")
    parser.add_argument("--smoke", action="store_true", help="one run, a 768 KiB config")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--at-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(Path(args.child), args.keys, args.at_once))))
        return
    sys.path.insert(0, str(HERE))
    from bench_startup import FIVE_MIB, write_big_config

    size = FIVE_MIB
    if args.smoke:
        args.runs, args.keys, size = 1, 4, 768 * 1024
    trees = [str(HERE.parent), *(str(Path(t).resolve()) for t in args.tree)]
    results: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
    at_once: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = write_big_config(Path(tmp), size)
        for _ in range(args.runs):
            for tree in trees:
                for mode, into in (([], results), (["--at-once"], at_once)):
                    env = dict(os.environ, PYTHONPATH=tree)
                    for name in ("config", "cache", "data"):  # a fresh user each run
                        folder = Path(tempfile.mkdtemp(dir=tmp))
                        env[f"TASKWIZARD_{name.upper()}_DIR"] = str(folder)
                    loads.append(os.getloadavg()[0])
                    argv = [sys.executable, __file__, "--child", str(config), *mode]
                    done = subprocess.run(
                        [*argv, "--keys", str(args.keys)],
                        env=env,
                        cwd=tmp,
                        capture_output=True,
                        text=True,
                        timeout=600,
                    )
                    if done.returncode != 0:
                        sys.exit(f"{tree}: the run failed:\n{done.stderr[-3000:]}")
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    assert result["tree"] == tree, f"ran {result['tree']}, not {tree}"
                    into[tree].append(result)
    print(
        f"taskwizard edit of a {size / 2**20:.2f} MiB config, headless, {args.runs} runs per "
        f"tree, {os.cpu_count()} cores, load average {min(loads):.1f}-{max(loads):.1f}"
    )
    for tree, runs in results.items():
        keys = [k for run in runs for k in run["keys_ms"]]
        print(f"{tree}:")
        print(
            f"  picker {statistics.median(r['picker_s'] for r in runs):.2f} s   "
            f"read in full {statistics.median(r['full_read_s'] for r in runs):.2f} s   "
            f"choose -> wizard drawn {statistics.median(r['drawn_s'] for r in runs):.2f} s, "
            f"checked {statistics.median(r['choose_s'] for r in runs):.2f} s"
        )
        print(
            f"  chosen as soon as the picker shows -> wizard drawn "
            f"{statistics.median(r['drawn_s'] for r in at_once[tree]):.2f} s, checked "
            f"{statistics.median(r['choose_s'] for r in at_once[tree]):.2f} s"
        )
        print(
            f"  key -> frame median {statistics.median(keys):.0f} p95 {p95(keys):.0f} ms   "
            f"peak RSS {statistics.median(r['maxrss_mib'] for r in runs):.0f} MiB "
            f"({statistics.median(r['maxrss_mib'] for r in at_once[tree]):.0f} MiB chosen at once)"
        )


if __name__ == "__main__":
    main()
