"""Every benchmark runs in the test suite, so a change that breaks one fails CI.

Each script in ``benchmarks/`` is run as a subprocess with ``--smoke`` (a few
iterations, small files). Its figures are not checked: timing belongs to the
benchmarks, not to tests on a shared machine. A new benchmark without a smoke
mode fails ``test_every_benchmark_is_listed``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

#: script -> a line its smoke run must print (proof it got to its report).
EXPECTED = {
    "bench_big_edit.py": "choose -> wizard",
    "bench_drafts.py": "note_change (UI thread)",
    "bench_key_burst.py": "in order (taskwizard): median",
    "bench_keystroke.py": "key -> next frame composed: median",
    "bench_localhub.py": "multipart",
    "bench_pull.py": "weights    1 MiB",
    "bench_quit.py": "Ctrl+Q in the picker",
    "bench_startup.py": "ratio whole first step / hello-world",
    "bench_upload.py": "multipart 5 MiB",
    "bench_validate.py": "validate_config(50 templates)",
    "bench_yaml.py": "update_yaml_text(config, one value)",
}


def test_every_benchmark_is_listed() -> None:
    scripts = {path.name for path in BENCHMARKS.glob("bench_*.py")}
    assert scripts == set(EXPECTED)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_benchmark_runs_in_smoke_mode(script: str, tmp_path: Path) -> None:
    env = dict(os.environ)
    for name in ("config", "cache", "data"):
        (tmp_path / name).mkdir()
        env[f"TASKWIZARD_{name.upper()}_DIR"] = str(tmp_path / name)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--smoke"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert EXPECTED[script] in done.stdout, done.stdout[-3000:]
