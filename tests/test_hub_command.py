"""``taskwizard upload``: exit codes, dry run, confirmation and CI output, against the local hub."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_hub_upload import USER
from upload_project import config_text, make_project

from taskwizard.commands import upload as upload_command
from taskwizard.hub.localhub import LocalHub


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="taskwizard upload")
    upload_command.add_arguments("upload", parser)
    return upload_command.run("upload", parser.parse_args(list(argv)))


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    server = LocalHub(tmp_path / "hubdata", username=USER)
    server.start()
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", server.api_key_id)
    monkeypatch.setenv("BITFOUNT_API_KEY", server.api_key)
    try:
        yield server
    finally:
        server.stop()


def test_upload_with_yes_uploads_and_prints_plain_progress(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "p", weights_size=3 * 1024 * 1024)
    code = run_cli(str(config), "--hub", hub.url, "--username", USER, "--yes")
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Hub:  {hub.url}" in out and f"User: {USER}" in out
    assert "BITFOUNT_API_KEY_ID/BITFOUNT_API_KEY" in out and hub.api_key not in out
    assert "model     MyModel.py" in out and "not on the hub yet" in out
    assert "weights MyModel.pt: uploading (3.0 MiB)" in out
    assert "weights MyModel.pt: 50%" in out
    assert "weights MyModel.pt: done — weights of version 1" in out
    assert "template my-template: done — created, sample dataset URL set" in out
    assert "\r" not in out  # CI logs: plain lines only
    assert len(hub.templates(USER)) == 1

    assert run_cli(str(config), "--hub", hub.url, "--username", USER) == 0
    assert "Nothing to upload: everything is unchanged." in capsys.readouterr().out


def test_dry_run_sends_only_gets(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "p")
    hub.clear_request_log()
    assert run_cli(str(config), "--hub", hub.url, "--username", USER, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run: nothing was changed" in out and "new" in out
    methods = {r.method for r in hub.request_log}
    assert methods == {"GET"} and len(hub.request_log) >= 2
    assert hub.templates(USER) == [] and hub.models() == []


def test_without_yes_and_no_terminal_exits_2(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "p")
    assert run_cli(str(config), "--hub", hub.url, "--username", USER) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert hub.templates(USER) == []


def test_confirmation_on_a_terminal(
    tmp_path: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(tmp_path / "p")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert run_cli(str(config), "--hub", hub.url, "--username", USER) == 1
    assert hub.models() == []
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert run_cli(str(config), "--hub", hub.url, "--username", USER) == 0
    assert len(hub.templates(USER)) == 1


def test_failed_file_exits_1_with_per_file_results(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "p")
    hub.faults.fail("POST", r"^/storage/single/", status=400, skip=1, times=100)  # weights
    assert run_cli(str(config), "--hub", hub.url, "--username", USER, "--yes") == 1
    out = capsys.readouterr().out
    assert "model MyModel.py: done — version 1" in out
    assert "weights MyModel.pt: FAILED — storage refused MyModel.pt (400" in out
    assert "template my-template: FAILED — because model MyModel's weights failed" in out
    assert "Summary: 1 done, 2 failed." in out


def test_invalid_config_prints_positions_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(
        tmp_path / "p", config=config_text().replace("[Prediction]", "[Predictions]")
    )
    assert run_cli(str(config), "--env", "local", "--username", USER, "--dry-run") == 2
    err = capsys.readouterr().err
    assert f"{config}:7:" in err and "error" in err


def test_missing_username_and_credentials_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "p")
    assert run_cli(str(config), "--env", "local") == 2
    assert "--username USER" in capsys.readouterr().err
    assert run_cli(str(config), "--env", "local", "--username", USER) == 2
    assert "no credentials for http://127.0.0.1:3000" in capsys.readouterr().err
    # A dry run without credentials still shows the plan, offline.
    assert run_cli(str(config), "--env", "local", "--username", USER, "--dry-run") == 0
    assert "hub not contacted" in capsys.readouterr().out


def test_bad_credentials_exit_2_naming_their_source(
    tmp_path: Path,
    hub: LocalHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BITFOUNT_API_KEY", "not-the-key")
    config = make_project(tmp_path / "p")
    assert run_cli(str(config), "--hub", hub.url, "--username", USER, "--yes") == 2
    err = capsys.readouterr().err
    assert "BITFOUNT_API_KEY_ID/BITFOUNT_API_KEY" in err and "401" in err
    assert "not-the-key" not in err


def test_unreachable_hub_exits_1_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", "id")
    monkeypatch.setenv("BITFOUNT_API_KEY", "key")
    monkeypatch.setattr("taskwizard.hub.client.BACKOFF_S", (0.0,))
    config = make_project(tmp_path / "p")
    with pytest.raises(SystemExit) as info:  # --env and --hub together: a usage error
        run_cli(str(config), "--env", "local", "--hub", f"http://127.0.0.1:{port}")
    assert info.value.code == 2
    capsys.readouterr()
    code = run_cli(str(config), "--hub", f"http://127.0.0.1:{port}", "--username", USER, "--yes")
    assert code == 1
    assert "cannot make the plan" in capsys.readouterr().err


def test_local_hub_key_pair_is_found_without_any_setup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from taskwizard import paths

    config = make_project(tmp_path / "p")
    with LocalHub(paths.local_hub_dir(), username=USER) as hub:  # the default data folder
        assert run_cli(str(config), "--hub", hub.url, "--username", USER, "--yes") == 0
        assert "the local hub's API key for alice" in capsys.readouterr().out
        assert len(hub.templates(USER)) == 1
