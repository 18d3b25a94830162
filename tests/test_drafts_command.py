from __future__ import annotations

import argparse
import json

import pytest

from taskwizard import paths
from taskwizard.commands import drafts as drafts_command
from taskwizard.drafts import DraftStore
from taskwizard.state import WizardState


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    drafts_command.add_arguments("drafts", parser)
    return drafts_command.run("drafts", parser.parse_args(list(argv)))


def titled(title: str, slug: str) -> WizardState:
    state = WizardState()
    state.set("config", ("task-templates", 0, "title"), title)
    state.set("config", ("task-templates", 0, "slug"), slug)
    state.step = "algorithms"
    return state


def test_no_drafts(capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 0
    assert "No drafts" in capsys.readouterr().out


def test_lists_drafts_with_columns(capsys: pytest.CaptureFixture[str]) -> None:
    store = DraftStore()
    first = store.create(titled("Retina scan", "retina-scan"), name="retina")
    store.create(WizardState(), name="blank one")
    assert run() == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TEMPLATE", "LAST", "EDITED", "STEP", "CHECK"]
    row = next(line for line in lines if line.startswith(first))
    assert "retina" in row and "Retina scan (retina-scan)" in row and "Algorithms" in row
    assert any("blank one" in line and "(untitled)" in line for line in lines)
    assert "taskwizard resume" in out


def test_corrupt_draft_reported_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    store = DraftStore()
    good = store.create(titled("Good", "good"))
    paths.drafts_dir().joinpath("20200101-000000-bad000.json").write_text("{")
    assert run() == 0
    captured = capsys.readouterr()
    assert good in captured.out
    assert "moved aside: 20200101-000000-bad000.json (truncated" in captured.err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    store = DraftStore()
    draft_id = store.create(titled("T", "t"), name="n")
    assert run("--json") == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["id"], row["name"], row["title"], row["slug"], row["step"]) == (
        draft_id,
        "n",
        "T",
        "t",
        "algorithms",
    )


@pytest.mark.parametrize(
    "problems, status, text",
    [
        (None, "editing", "not checked"),
        (0, "editing", "valid"),
        (1, "editing", "1 problem"),
        (3, "saved", "3 problems, saved"),
    ],
)
def test_check_label(problems: int | None, status: str, text: str) -> None:
    assert drafts_command.check_label(problems, status) == text


def test_listing_cleans_a_draft_left_by_an_older_taskwizard(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import stat

    store = DraftStore()
    draft_id = store.create(titled("Retina scan", "retina-scan"))
    path = store.path(draft_id)
    record = json.loads(path.read_text())
    record["state"]["config"]["secrets"] = {"access_key": "OLDSECRETVALUE9"}
    path.write_text(json.dumps(record))
    os.chmod(path, 0o644)
    assert run() == 0
    assert "retina-scan" in capsys.readouterr().out
    assert "OLDSECRETVALUE9" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
