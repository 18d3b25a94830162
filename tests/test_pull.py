"""`taskwizard pull USER/SLUG`: over real HTTP on 127.0.0.1, against the local hub."""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from upload_project import MODEL_CODE, make_project, weights_bytes

from taskwizard.commands import pull as pull_command
from taskwizard.commands import upload as upload_command
from taskwizard.hub.auth import Credentials
from taskwizard.hub.client import HubClient
from taskwizard.hub.localhub import LocalHub
from taskwizard.hub.plan import build_plan
from taskwizard.hub.upload import execute_plan
from taskwizard.model.yamlio import load_yaml_file

USER = "alice"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    server = LocalHub(tmp_path / "hubdata", username=USER, port=0)
    server.start()
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", server.api_key_id)
    monkeypatch.setenv("BITFOUNT_API_KEY", server.api_key)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def uploaded(tmp_path: Path, hub: LocalHub) -> Path:
    """The shared sample project, uploaded to the hub as alice (slug my-template)."""
    config = make_project(tmp_path / "original")
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "test")
    with HubClient(hub.url, creds, sleep=lambda s: None) as client:
        plan = build_plan(config, client, USER, cwd=config.parent)
        assert execute_plan(plan, client, on_progress=lambda e: None).ok
    return config


def run(module: object, name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"taskwizard {name}")
    module.add_arguments(name, parser)  # type: ignore[attr-defined]
    return int(module.run(name, parser.parse_args(argv)))  # type: ignore[attr-defined]


def pull(hub: LocalHub, *argv: str) -> int:
    return run(pull_command, "pull", [*argv, "--hub", hub.url, "--username", USER])


def writes(hub: LocalHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in hub.request_log if r.method not in ("GET", "HEAD")]


def test_pull_into_a_fresh_folder_writes_the_entry_task_and_models(
    tmp_path: Path, hub: LocalHub, uploaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    into = tmp_path / "pulled"
    assert (
        pull(hub, "alice/my-template", "--into", str(into), "--with-models", "--with-weights") == 0
    )
    config = load_yaml_file(into / "task-templates.yaml").data
    assert config["task-templates"] == [
        {
            "slug": "my-template",
            "title": "My template",
            "type": "image-classification",
            "description": "Classifies images",
            "template": "my-template.yaml",
            "tags": ["Prediction"],
            "sampleDatasetDownloadUrl": "https://example.com/sample.zip",
        }
    ]
    assert config["models"] == [
        {"model_file": "models/MyModel.py", "private": True, "weights_file": "models/MyModel.pt"}
    ]
    assert (into / "models" / "MyModel.py").read_text() == MODEL_CODE
    assert (into / "models" / "MyModel.pt").read_bytes() == weights_bytes(200_000)
    task = load_yaml_file(into / "my-template.yaml").data
    ref = task["task"]["algorithm"][0]["model"]["bitfount_model"]
    assert ref == {"model_ref": "MyModel", "username": "alice", "model_version": 1}
    assert "Wrote 4 file(s)" in capsys.readouterr().out


def test_pulled_template_uploaded_again_is_unchanged_and_sends_nothing(
    tmp_path: Path,
    hub: LocalHub,
    uploaded: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    into = tmp_path / "pulled"
    assert (
        pull(hub, "alice/my-template", "--into", str(into), "--with-models", "--with-weights") == 0
    )
    before = writes(hub)
    monkeypatch.chdir(into)  # Bitfount resolves template: against the current directory
    capsys.readouterr()
    argv = ["task-templates.yaml", "--hub", hub.url, "--username", USER, "--yes"]
    assert run(upload_command, "upload", argv) == 0
    out = capsys.readouterr().out
    assert "Nothing to upload: everything is unchanged." in out
    assert writes(hub) == before  # nothing sent but GETs
    # No weights were downloaded to compare: pulling recorded their hash.
    downloads = [r.path for r in hub.request_log if r.path.startswith("/storage/download")]
    assert len(downloads) == 2  # the pull's code and weights, nothing after


def test_template_only_pull_reuploads_unchanged(
    tmp_path: Path, hub: LocalHub, uploaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    into = tmp_path / "only"
    assert pull(hub, "alice/my-template", "--into", str(into)) == 0
    assert sorted(p.name for p in into.iterdir()) == ["my-template.yaml", "task-templates.yaml"]
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "test")
    with HubClient(hub.url, creds) as client:
        plan = build_plan(into / "task-templates.yaml", client, USER, cwd=into)
    assert [(i.id, i.action) for i in plan.items] == [("template:my-template", "unchanged")]


CONFIG_WITH_COMMENTS = """\
# Our templates; reviewed in git.
task-templates:
  # the first one
  - slug: other
    title: Other   # keep this comment
    type: image-classification
    description: Something else
    template: other.yaml
    tags: [Prediction]

  - slug: My Template
    title: Old title
    type: image-classification
    description: old
    template: tasks/mine.yaml
    tags: []
"""


def test_pull_into_an_existing_config_changes_only_that_entry(
    tmp_path: Path, hub: LocalHub, uploaded: Path
) -> None:
    into = tmp_path / "repo"
    into.mkdir()
    (into / "task-templates.yaml").write_text(CONFIG_WITH_COMMENTS)
    assert pull(hub, "alice/my-template", "--into", str(into)) == 0
    new = (into / "task-templates.yaml").read_text()
    old_lines, new_lines = CONFIG_WITH_COMMENTS.splitlines(), new.splitlines()
    assert new_lines[:11] == old_lines[:11]  # comments, the other entry, the blank line
    assert new_lines[11:] == [
        "    title: My template",
        "    type: image-classification",
        "    description: Classifies images",
        "    template: tasks/mine.yaml",
        "    tags: [Prediction]",
        "    sampleDatasetDownloadUrl: https://example.com/sample.zip",
    ]
    # the entry's own template path is kept, and the task YAML written there
    assert load_yaml_file(into / "tasks" / "mine.yaml").ok


def test_differing_task_yaml_is_not_overwritten_without_yes(
    tmp_path: Path, hub: LocalHub, uploaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    into = tmp_path / "p"
    assert pull(hub, "alice/my-template", "--into", str(into)) == 0
    task = into / "my-template.yaml"
    mine = task.read_text().replace("batch_size: 4", "batch_size: 8  # mine")
    task.write_text(mine)
    capsys.readouterr()
    assert pull(hub, "alice/my-template", "--into", str(into)) == 2  # stdin is not a terminal
    captured = capsys.readouterr()
    assert "differs from the hub's version and I can't ask" in captured.err
    assert "-          batch_size: 8  # mine" in captured.out  # the diff is shown
    assert task.read_text() == mine
    assert pull(hub, "alice/my-template", "--into", str(into), "--yes") == 0
    assert "batch_size: 4" in task.read_text()
    assert pull(hub, "alice/my-template", "--into", str(into)) == 0
    assert "nothing written" in capsys.readouterr().out


def test_pull_a_version(tmp_path: Path, hub: LocalHub, uploaded: Path) -> None:
    task = uploaded.parent / "task.yaml"
    task.write_text(task.read_text().replace("batch_size: 4", "batch_size: 16"))
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "test")
    with HubClient(hub.url, creds) as client:
        assert execute_plan(
            build_plan(uploaded, client, USER, cwd=uploaded.parent),
            client,
            on_progress=lambda e: None,
        ).ok
    into = tmp_path / "v1"
    assert pull(hub, "alice/my-template", "--version", "1", "--into", str(into)) == 0
    assert "batch_size: 4" in (into / "my-template.yaml").read_text()
    assert pull(hub, "alice/my-template", "--into", str(tmp_path / "v2")) == 0
    assert "batch_size: 16" in (tmp_path / "v2" / "my-template.yaml").read_text()


def test_missing_template_is_a_clear_message_and_exit_1(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pull(hub, "alice/nope", "--into", str(tmp_path / "x")) == 1
    err = capsys.readouterr().err
    assert f"taskwizard pull: no task template alice/nope on {hub.url}" in err
    assert pull(hub, "alice/nope", "--version", "3", "--into", str(tmp_path / "x")) == 1
    assert "no version 3 of task template alice/nope" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert pull(hub, "not-a-slug", "--into", str(tmp_path / "x")) == 2
    assert "is not USER/SLUG" in capsys.readouterr().err


def test_no_credentials_gives_the_same_message_as_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BITFOUNT_API_KEY_ID", raising=False)
    monkeypatch.delenv("BITFOUNT_API_KEY", raising=False)
    hub = ["--hub", "https://hub.example.com", "--username", USER]
    config = make_project(tmp_path / "proj")
    assert run(upload_command, "upload", [str(config), *hub]) == 2
    upload_err = capsys.readouterr().err
    assert run(pull_command, "pull", ["alice/my-template", *hub]) == 2
    pull_err = capsys.readouterr().err
    assert upload_err.removeprefix("taskwizard upload: ") == pull_err.removeprefix(
        "taskwizard pull: "
    )
    assert "no credentials for https://hub.example.com" in pull_err


# ------------------------------------------------------------ the real Hub's wire format
MODEL_HASH = hashlib.sha256(MODEL_CODE.encode()).hexdigest()


class RealHubShape(BaseHTTPRequestHandler):
    """Answers as the Bitfount Hub does (TaskTemplateWithModels, SDK 13's comments)."""

    base = ""
    model_hash = MODEL_HASH

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def reply(self, status: int, payload: object, content_type: str = "application/json") -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/api/") and self.headers.get("x-api-key") != "k":
            return self.reply(401, {"message": "Unauthorized"})
        if self.path == "/api/task-templates/bob/eye-check":
            return self.reply(
                200,
                {
                    "id": "7f1c6c1e-52a4-4bd2-9c55-5b0f5e0d9c11",
                    "ownerUsername": "bob",
                    "slug": "eye-check",
                    "version": 3,
                    "title": "Eye check",
                    "createdAt": "2026-01-01T00:00:00.000Z",
                    "updatedAt": "2026-01-02T00:00:00.000Z",
                    "type": "image-classification",
                    "template": {
                        "pods": {"identifiers": ["bob/eyes"]},
                        "task": {
                            "protocol": {"name": "bitfount.InferenceAndCSVReport"},
                            "algorithm": [
                                {
                                    "name": "bitfount.ModelInference",
                                    "model": {
                                        "bitfount_model": {
                                            "model_ref": "MyModel",
                                            "username": "bob",
                                            "model_version": 2,
                                        }
                                    },
                                },
                                {"name": "bitfount.CSVReportAlgorithm"},
                            ],
                            "data_structure": {"assign": {"image_cols": ["file"]}},
                        },
                    },
                    "description": "Checks eyes",
                    "state": "published",
                    "tags": ["Prediction"],
                    "models": [{"modelName": "MyModel", "modelVersion": 2, "ownerUsername": "bob"}],
                },
            )
        if self.path == "/api/task-templates?username=bob":  # a paginated answer
            summary = {
                "slug": "eye-check",
                "title": "Eye check",
                "version": 3,
                "state": "published",
            }
            return self.reply(200, {"results": [summary], "total": 1, "offset": 0})
        if self.path.startswith("/api/models?"):
            return self.reply(
                200,
                {
                    "modelVersion": 2,
                    "modelHash": self.model_hash,
                    "modelDownloadUrl": f"{self.base}/s3/code?X-Amz-Signature=x",
                    "privateModel": False,
                },
            )
        if self.path.startswith("/s3/code"):
            return self.reply(200, MODEL_CODE.encode(), "binary/octet-stream")
        return self.reply(404, {"message": "Not Found"})


def test_pull_reads_the_real_hubs_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RealHubShape)
    RealHubShape.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", "i")
    monkeypatch.setenv("BITFOUNT_API_KEY", "k")
    try:
        argv = ["bob/eye-check", "--hub", RealHubShape.base, "--username", "bob"]
        assert run(pull_command, "pull", [*argv, "--into", str(tmp_path), "--with-models"]) == 0
        with HubClient(RealHubShape.base, Credentials.from_api_key("i", "k", "test")) as client:
            listed = client.list_task_templates("bob")
        assert [t["slug"] for t in listed] == ["eye-check"]
    finally:
        server.shutdown()
        server.server_close()
    config = load_yaml_file(tmp_path / "task-templates.yaml").data
    assert config["task-templates"][0]["slug"] == "eye-check"
    assert config["task-templates"][0]["tags"] == ["Prediction"]
    assert "sampleDatasetDownloadUrl" not in config["task-templates"][0]
    assert config["models"] == [{"model_file": "models/MyModel.py", "private": False}]
    assert (tmp_path / "models" / "MyModel.py").read_text() == MODEL_CODE
    task = load_yaml_file(tmp_path / "eye-check.yaml").data
    assert task["task"]["algorithm"][0]["model"]["bitfount_model"]["model_version"] == 2


def test_weights_are_streamed_to_disk_and_no_download_is_left_behind(
    tmp_path: Path, hub: LocalHub, uploaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    downloads = tmp_path / "tmp"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    into = tmp_path / "w"
    argv = ["alice/my-template", "--into", str(into), "--with-models", "--with-weights"]
    assert pull(hub, *argv) == 0
    assert list(downloads.iterdir()) == []  # moved into place, nothing left
    (into / "models" / "MyModel.pt").write_bytes(b"mine")
    assert pull(hub, *argv) == 2  # differs, no terminal: refused ...
    assert list(downloads.iterdir()) == []  # ... and the download removed
    assert (into / "models" / "MyModel.pt").read_bytes() == b"mine"
    assert not list((into / "models").glob(".*"))  # no staging file left either


def test_compressed_weights_need_zstandard(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        import zstandard  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("zstandard is installed: compressed weights are decompressed")
    config = make_project(tmp_path / "z")
    (tmp_path / "z" / "MyModel.pt").write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 100)
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "test")
    with HubClient(hub.url, creds) as client:
        plan = build_plan(config, client, USER, cwd=config.parent)
        assert execute_plan(plan, client, on_progress=lambda e: None).ok
    argv = ["alice/my-template", "--into", str(tmp_path / "p"), "--with-models", "--with-weights"]
    assert pull(hub, *argv) == 1
    assert "zstd-compressed and the zstandard module is not installed" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_on_a_terminal_pull_asks_before_overwriting(
    tmp_path: Path, hub: LocalHub, uploaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    into = tmp_path / "t"
    assert pull(hub, "alice/my-template", "--into", str(into)) == 0
    task = into / "my-template.yaml"
    mine = task.read_text().replace("batch_size: 4", "batch_size: 8")
    task.write_text(mine)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["n", "y"])
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    assert pull(hub, "alice/my-template", "--into", str(into)) == 1  # "n": nothing written
    assert task.read_text() == mine
    assert pull(hub, "alice/my-template", "--into", str(into)) == 0  # "y"
    assert "batch_size: 4" in task.read_text()
    assert asked == [f"Overwrite {task} with the hub's? [y/N] "] * 2


def test_into_a_config_file_and_an_unsanitised_slug(
    tmp_path: Path, hub: LocalHub, uploaded: Path
) -> None:
    config = tmp_path / "repo" / "config-production.yaml"
    config.parent.mkdir()
    config.write_text("task-templates: []\n")
    assert pull(hub, "alice/My_Template", "--into", str(config)) == 0  # sanitised: my-template
    data = load_yaml_file(config).data
    assert [e["slug"] for e in data["task-templates"]] == ["my-template"]
    assert (config.parent / "my-template.yaml").is_file()


def test_a_config_that_is_not_yaml_is_left_alone(
    tmp_path: Path, hub: LocalHub, uploaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    into = tmp_path / "broken"
    into.mkdir()
    (into / "task-templates.yaml").write_text("task-templates: [\n")
    assert pull(hub, "alice/my-template", "--into", str(into)) == 1
    err = capsys.readouterr().err
    assert "task-templates.yaml is not a task-templates config I can add to" in err
    assert "task-templates.yaml:2:1" in err or "task-templates.yaml:1:" in err
    assert (into / "task-templates.yaml").read_text() == "task-templates: [\n"
    assert sorted(p.name for p in into.iterdir()) == ["task-templates.yaml"]


def test_a_hubs_slug_is_never_used_as_a_path_unsanitised(tmp_path: Path) -> None:
    from taskwizard.pulling import plan_pull

    class EvilHub:
        base_url = "http://127.0.0.1:9"

        def get_task_template(self, user: str, slug: str, version: int | None) -> dict[str, Any]:
            template = {"pods": {"identifiers": ["a"]}, "task": {}}
            return {"slug": "../../escape", "title": "t", "type": "x", "template": template}

    plan = plan_pull(EvilHub(), "alice", "nice", into=tmp_path / "in")  # type: ignore[arg-type]
    assert plan.task_path == tmp_path / "in" / "escape.yaml"
    assert all(f.path.is_relative_to(tmp_path / "in") for f in plan.files)


def test_model_code_that_does_not_match_its_hash_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RealHubShape)
    RealHubShape.base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(RealHubShape, "model_hash", "0" * 64)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", "i")
    monkeypatch.setenv("BITFOUNT_API_KEY", "k")
    try:
        argv = ["bob/eye-check", "--hub", RealHubShape.base, "--username", "bob", "--with-models"]
        assert run(pull_command, "pull", [*argv, "--into", str(tmp_path / "x")]) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert "does not match its hash on the hub" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_fifo_where_the_task_yaml_goes_is_refused_not_waited_on(
    tmp_path: Path, hub: LocalHub, uploaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    into = tmp_path / "fifo"
    into.mkdir()
    os.mkfifo(into / "my-template.yaml")
    assert pull(hub, "alice/my-template", "--into", str(into)) == 1  # returns: no hang
    err = capsys.readouterr().err
    assert "cannot read" in err and "my-template.yaml" in err
    assert not (into / "task-templates.yaml").exists()
