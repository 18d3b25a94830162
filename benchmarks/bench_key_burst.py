"""A burst of keys delivered in one read: how long until the field holds the result,
with taskwizard's in-order delivery (taskwizard.tui.keys) and with Textual's own.

60 letters, 60 Backspaces, then "done" (124 keys) are posted to the driver at once, as
one read from a terminal delivers them (a non-bracketed paste, a slow SSH link), into
the Title field of a new template at 80x24, headless, in temporary folders. The clock
runs until the field holds "done" (at most 20 s). Textual's own delivery runs each
Backspace after the keys behind it were typed, so the field never gets there.

    python benchmarks/bench_key_burst.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

KEYS = [*("abcdefghij" * 6), *(["backspace"] * 60), *"done"]
LIMIT_S = 20.0


async def one_burst(in_order: bool) -> tuple[float, str]:
    from textual import events
    from tui_helpers import field, new_app, settle

    import taskwizard.tui.app as app_module

    original = app_module.deliver_key
    if not in_order:

        async def textuals_own(app: Any, event: Any) -> bool:
            return False

        app_module.deliver_key = textuals_own  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = new_app(Path(folder))
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                await pilot.pause(0.3)  # the validators
                title = field(app, "field-title")
                title.focus_editor()
                await settle(pilot)
                driver = app._driver
                assert driver is not None
                started = time.perf_counter()
                for key in KEYS:
                    event = events.Key(key, key if len(key) == 1 else None)
                    event.set_sender(app)
                    driver.send_message(event)
                editor: Any = title.editor
                while editor.value != "done" and time.perf_counter() - started < LIMIT_S:
                    await asyncio.sleep(0.001)
                return time.perf_counter() - started, editor.value
    finally:
        app_module.deliver_key = original


async def main(runs: int) -> None:
    results: dict[bool, list[tuple[float, str]]] = {True: [], False: []}
    for _ in range(runs):
        for in_order in (True, False):
            results[in_order].append(await one_burst(in_order))
    for in_order, label in ((True, "in order (taskwizard)"), (False, "Textual's own")):
        times = [t for t, _ in results[in_order]]
        right = sum(value == "done" for _, value in results[in_order])
        print(
            f"{label:>22}: median {statistics.median(times) * 1000:.0f} ms for "
            f"{len(KEYS)} keys; right result in {right}/{runs}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one run: checks it still works")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
        LIMIT_S = 2.0  # Textual's own delivery never gets there: do not wait 20 s for it
    with tempfile.TemporaryDirectory() as dirs:
        for name in ("CONFIG", "CACHE", "DATA"):
            os.environ[f"TASKWIZARD_{name}_DIR"] = str(Path(dirs) / name.lower())
        asyncio.run(main(args.runs))
