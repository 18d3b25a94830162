"""`taskwizard validate`: output lines, summary, JSON, exit codes 0/1/2."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import pytest

from taskwizard.commands import validate as command

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): (?P<msg>.+)$"
)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="taskwizard validate")
    command.add_arguments("validate", parser)
    return command.run("validate", parser.parse_args(argv))


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("task-templates.yaml", "mnist-inference-task.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def add_models(root: Path) -> None:
    (root / "models").mkdir()
    (root / "models" / "MyCustomModel.py").write_text(
        "from bitfount import PyTorchBitfountModel\n\n\n"
        "class MyCustomModel(PyTorchBitfountModel):\n    pass\n"
    )
    (root / "models" / "MyCustomModel.pt").write_bytes(b"w")


def test_valid_files_exit_0_with_warnings_listed(
    examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_models(examples)
    assert run(["task-templates.yaml"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "2 files checked: 0 errors, 1 warning"
    match = LINE.match(lines[0])
    assert match is not None
    assert match["file"] == "mnist-inference-task.yaml" and match["sev"] == "warning"
    assert (match["line"], match["col"]) == ("26", "20")
    assert "\x1b[" not in "\n".join(lines)  # not a tty: no colour


def test_all_valid_summary(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = examples / "mnist-inference-task.yaml"
    task.write_text(task.read_text().replace('      arguments:\n        save_path: "."\n', ""))
    assert run([str(task)]) == 0
    assert capsys.readouterr().out.splitlines() == ["1 file checked: all valid"]


def test_errors_exit_1_sorted_by_file_and_line(
    examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = examples / "mnist-inference-task.yaml"
    task.write_text(task.read_text().replace("model_version: 1", "model_version: one"))
    assert run(["task-templates.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    parsed = [LINE.match(line) for line in lines[:-1]]
    assert all(parsed)
    keys = [(m["file"], int(m["line"])) for m in parsed if m]
    assert keys == sorted(keys)
    assert [m["sev"] for m in parsed if m].count("error") == 3
    assert lines[-1] == "2 files checked: 3 errors, 1 warning"


def test_json_output(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["task-templates.yaml", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False and out["errors"] == 2 and out["warnings"] == 1
    assert [f["path"] for f in out["files"]] == ["task-templates.yaml", "mnist-inference-task.yaml"]
    problem = out["files"][0]["problems"][0]
    assert problem == {
        "file": "task-templates.yaml",
        "line": 16,
        "column": 17,
        "severity": "error",
        "message": "model file not found: 'models/MyCustomModel.py' (looked in the config's "
        "folder and the current directory)",
        "path": ["models", 0, "model_file"],
    }


def test_missing_path_exits_2(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["task-templates.yaml", "nope.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read nope.yaml: no such file" in captured.err


def test_folder_exits_2(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["."]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run(["x.yaml", "--format", "xml"])
    assert exc.value.code == 2


def test_yaml_trap_through_the_command(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (examples / "dup.yaml").write_text("pods:\n  identifiers: [a]\npods: {}\n")
    assert run(["dup.yaml"]) == 1
    assert "dup.yaml:3:1: error: duplicate key 'pods'" in capsys.readouterr().out


def test_not_a_bitfount_file(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (examples / "other.yaml").write_text("hello: world\n")
    assert run(["other.yaml"]) == 1
    assert "not a task-templates config" in capsys.readouterr().out


def test_colour_only_on_a_tty(
    examples: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run(["task-templates.yaml"]) == 1
    out = capsys.readouterr().out
    assert "\x1b[1;31merror:\x1b[0m" in out and "\x1b[1;33mwarning:\x1b[0m" in out


def test_through_the_real_entry_point(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from taskwizard.cli import main

    add_models(examples)
    assert main(["validate", "task-templates.yaml", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["files_checked"] == 2
    assert main(["validate", "missing.yaml"]) == 2
