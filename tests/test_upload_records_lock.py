"""Upload records survive two processes (the CLI and the TUI) uploading at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

WRITER = """
import sys
from taskwizard.hub import records

name, count = sys.argv[1], int(sys.argv[2])
sys.stdout.write("ready\\n")
sys.stdout.flush()
sys.stdin.readline()  # both processes start writing together
for version in range(1, count + 1):
    records.save_model_record("http://hub", "alice", name, version, code_sha256="x" * 64)
"""


def test_two_processes_saving_records_at_once_lose_none(tmp_path: Path) -> None:
    env = {**os.environ, "TASKWIZARD_DATA_DIR": str(tmp_path / "data")}
    count = 40
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(count)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("from-cli", "from-tui")
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        assert writer.wait(timeout=90) == 0
        assert writer.stdin is not None and writer.stdout is not None
        writer.stdin.close()
        writer.stdout.close()
    data = json.loads((tmp_path / "data" / "uploads.json").read_text())
    saved = {(row["model"], row["version"]) for row in data["models"]}
    expected = {(name, v) for name in ("from-cli", "from-tui") for v in range(1, count + 1)}
    assert saved == expected, f"{len(expected - saved)} records lost"
