"""How cheap drafts are: one autosave, a snapshot on the UI thread, listing many drafts.

    python benchmarks/bench_drafts.py [--drafts 100]

- ``note_change``: what the wizard pays on the UI thread per change (a
  ``model_dump`` snapshot; the write happens on the Autosaver's timer thread).
- ``save``: one atomic draft write (JSON, temp file, fsync, rename, dir fsync).
- ``list``: the home screen's draft list (read + validate + count problems) for
  N drafts, cold (first call imports the validators) and warm.

Runs in a temporary folder; prints medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=100)
    parser.add_argument(
        "--smoke", action="store_true", help="a few iterations, to check the script runs"
    )
    args = parser.parse_args()
    notes, saves_run = (5, 3) if args.smoke else (200, 50)
    if args.smoke:
        args.drafts = 3
    root = Path(tempfile.mkdtemp(prefix="bench-drafts-"))
    os.environ["TASKWIZARD_CACHE_DIR"] = str(root)

    from taskwizard.drafts import Autosaver, DraftStore
    from taskwizard.state import WizardState

    state = WizardState()
    state.set("config", ("task-templates", 0, "title"), "Retina OCT classifier")
    state.set("config", ("task-templates", 0, "slug"), "retina-oct-classifier")
    state.set("config", ("task-templates", 0, "description"), "x" * 400)
    state.set("task", ("pods", "identifiers"), [f"owner/pod-{i}" for i in range(10)])
    store = DraftStore()
    draft_id = store.create(state)
    size = store.path(draft_id).stat().st_size

    saver = Autosaver(store, draft_id, delay=3600)
    snap = []
    for _ in range(notes):
        t = time.perf_counter()
        saver.note_change(state)
        snap.append(time.perf_counter() - t)
    saver.close()

    saves = []
    for _ in range(saves_run):
        t = time.perf_counter()
        store.save(draft_id, state)
        saves.append(time.perf_counter() - t)

    for _ in range(args.drafts - 1):
        store.create(state)
    t = time.perf_counter()
    store.list()
    cold = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        store.list()
        warm.append(time.perf_counter() - t)

    print(f"draft file: {size} bytes")
    print(f"note_change (UI thread): median {statistics.median(snap) * 1e3:.2f} ms")
    print(f"save (atomic write + fsync): median {statistics.median(saves) * 1e3:.2f} ms")
    print(f"list {args.drafts} drafts: cold {cold * 1e3:.0f} ms, warm {min(warm) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
