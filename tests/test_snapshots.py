"""Snapshot of every screen at 100×30: the scenes of scripts/screenshots.py, compared with
the SVGs under tests/__snapshots__/ (update with `pytest tests/test_snapshots.py
--snapshot-update` after a deliberate change, and look at them before committing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "screenshots.py"


def _load_scenes() -> Any:
    spec = importlib.util.spec_from_file_location("taskwizard_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


shots = _load_scenes()
#: The first-run setup screen draws its intro on some runs and not others (timing); it
#: has its own Pilot tests (test_setup_screen.py) until that is fixed.
UNSTABLE = {"setup"}


@pytest.mark.parametrize(
    "scene", [s for s in shots.SCENES if s.name not in UNSTABLE], ids=lambda scene: scene.name
)
def test_screen(scene: Any, snap_compare: Any) -> None:
    if scene.settings:
        shots.write_example_settings()
    else:
        shots.remove_settings()
    assert snap_compare(scene.app(), terminal_size=shots.SIZE, run_before=scene.run)
