"""The layers stay apart: the model never imports Textual or httpx; the hub never imports
Textual."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kept" in result.stdout


def test_model_imports_without_textual_or_httpx() -> None:
    code = (
        "import sys, taskwizard.model.validate, taskwizard.model.yamlio, taskwizard.model.catalog;"
        "bad = [m for m in ('textual', 'httpx') if m in sys.modules];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_contracts_cover_the_layers_and_the_core_modules() -> None:
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    layers = [c for c in contracts if c["type"] == "layers"]
    assert len(layers) == 1
    order = [layer.replace(":", "|") for layer in layers[0]["layers"]]
    index = {name.strip(): n for n, layer in enumerate(order) for name in layer.split("|") if name}
    for above, below in [
        ("taskwizard.tui", "taskwizard.state"),
        ("taskwizard.state", "taskwizard.hub"),
        ("taskwizard.hub", "taskwizard.model"),
    ]:
        assert index[above] < index[below], (above, below)
    sources = {m for c in contracts if c["type"] == "forbidden" for m in c["source_modules"]}
    for module in ("state", "drafts", "saving", "editing", "settings"):
        assert f"taskwizard.{module}" in sources, module
    textual_free = [c for c in contracts if c.get("forbidden_modules") == ["textual"]]
    assert textual_free and "taskwizard.hub" in textual_free[0]["source_modules"]


def test_state_does_not_import_saving() -> None:
    """state <-> saving was a cycle (state asked saving for the default paths)."""
    source = (ROOT / "taskwizard" / "state.py").read_text()
    assert "taskwizard.saving" not in source
