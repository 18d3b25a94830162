"""Plan and upload over real HTTP on 127.0.0.1, against the local hub.

Retries use a no-op sleep, so the fault-injection tests are fast.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from upload_project import MODEL_CODE, config_text, make_project, weights_bytes

from taskwizard import paths
from taskwizard.hub import records
from taskwizard.hub.auth import Credentials, TokenSet
from taskwizard.hub.client import HubAuthRejected, HubClient
from taskwizard.hub.localhub import LocalHub
from taskwizard.hub.plan import UploadPlan, build_plan, model_code_hash
from taskwizard.hub.upload import FileProgress, UploadResult, execute_plan, retry_failed

USER = "alice"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    server = LocalHub(tmp_path / "hubdata", username=USER, port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(hub: LocalHub) -> Iterator[HubClient]:
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "API key of the test hub")
    with HubClient(hub.url, creds, sleep=lambda s: None) as c:
        yield c


class Events:
    def __init__(self) -> None:
        self.events: list[FileProgress] = []

    def __call__(self, event: FileProgress) -> None:
        self.events.append(event)

    def states(self, file_id: str) -> list[str]:
        out: list[str] = []
        for e in self.events:
            if e.file_id == file_id and (not out or out[-1] != e.state):
                out.append(e.state)
        return out


def actions(plan: UploadPlan) -> dict[str, str]:
    return {item.id: item.action for item in plan.items}


def upload(config: Path, client: HubClient, **kw: object) -> tuple[UploadPlan, UploadResult]:
    plan = build_plan(config, client, USER, cwd=config.parent)
    assert not plan.refused, [p.format() for p in plan.problems]
    result = execute_plan(plan, client, on_progress=Events(), **kw)  # type: ignore[arg-type]
    return plan, result


def writes(hub: LocalHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in hub.request_log if r.method not in ("GET", "HEAD")]


# ------------------------------------------------------------------ tests
def test_model_code_hash_ignores_carriage_returns() -> None:
    assert model_code_hash(b"a\r\nb\r\n") == model_code_hash(b"a\nb\n")
    assert model_code_hash(b"a\nb\n") == hashlib.sha256(b"a\nb\n").hexdigest()


def test_first_upload_creates_model_weights_and_template(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    plan = build_plan(config, client, USER, cwd=tmp_path)
    assert actions(plan) == {
        "model:MyModel": "new",
        "weights:MyModel": "new",
        "template:my-template": "new",
    }
    assert plan.item("weights:MyModel").size == 200_000
    events = Events()
    result = execute_plan(plan, client, on_progress=events)
    assert result.ok, result.failed
    assert events.states("weights:MyModel") == ["waiting", "uploading", "done"]
    weights_events = [e for e in events.events if e.file_id == "weights:MyModel"]
    assert weights_events[-1].bytes_done == weights_events[-1].bytes_total == 200_000
    assert result.model_versions == {"MyModel": 1}

    assert hub.model_code(USER, "MyModel", 1) == MODEL_CODE.encode()
    assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(200_000)
    (template,) = hub.templates(USER)
    ref = template["template"]["task"]["algorithm"][0]["model"]["bitfount_model"]
    assert ref == {"model_ref": "MyModel", "username": USER, "model_version": 1}
    assert template["tags"] == ["Prediction"]
    # taskwizard sets the sample dataset URL right after creating (the SDK waits a run).
    assert template["sampleDatasetDownloadUrl"] == "https://example.com/sample.zip"
    record = records.find_model_record(hub.url, USER, "MyModel", 1)
    assert record is not None and record.code_complete
    assert record.weights_sha256 == hashlib.sha256(weights_bytes(200_000)).hexdigest()


def test_second_run_is_unchanged_and_needs_no_download(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    hub.clear_request_log()
    plan, result = upload(config, client)
    assert set(actions(plan).values()) == {"unchanged"}
    assert result.ok and {e.state for e in result.files.values()} == {"unchanged"}
    assert writes(hub) == []
    assert not any(r.path.startswith("/storage/download") for r in hub.request_log)


def test_weights_compared_by_download_when_there_is_no_record(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    paths.upload_records_file().unlink()
    hub.clear_request_log()
    plan = build_plan(config, client, USER, cwd=tmp_path)
    assert actions(plan)["model:MyModel"] == "unchanged"
    assert any(r.path.startswith("/storage/download") for r in hub.request_log)
    # ...and remembered, so the next plan needs no download.
    hub.clear_request_log()
    build_plan(config, client, USER, cwd=tmp_path)
    assert not any(r.path.startswith("/storage/download") for r in hub.request_log)

    paths.upload_records_file().unlink()
    (config.parent / "MyModel.pt").write_bytes(weights_bytes(200_000, seed=1))
    plan = build_plan(config, client, USER, cwd=tmp_path)
    assert plan.item("model:MyModel").action == "new_version"
    assert "differ" in plan.item("model:MyModel").reason


def test_changed_code_makes_new_versions_of_model_and_template(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    # Only line endings change: same hash as Bitfount computes it.
    (config.parent / "MyModel.py").write_bytes(MODEL_CODE.replace("\n", "\r\n").encode())
    assert actions(build_plan(config, client, USER, cwd=tmp_path))["model:MyModel"] == "unchanged"

    (config.parent / "MyModel.py").write_text(MODEL_CODE + "# tuned\n")
    plan = build_plan(config, client, USER, cwd=tmp_path)
    assert actions(plan) == {
        "model:MyModel": "new_version",
        "weights:MyModel": "new",
        "template:my-template": "new_version",
    }
    assert "code hash differs" in plan.item("model:MyModel").reason
    assert "MyModel" in plan.item("template:my-template").reason
    result = execute_plan(plan, client, on_progress=Events())
    assert result.ok and result.model_versions == {"MyModel": 2}
    versions = hub.template_versions(USER, "my-template")
    assert len(versions) == 2
    ref = hub.templates(USER)[0]["template"]["task"]["algorithm"][0]["model"]["bitfount_model"]
    assert ref["model_version"] == 2
    assert hub.model_weights(USER, "MyModel", 2) == weights_bytes(200_000)


def test_changed_weights_are_noticed_from_the_record(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    (config.parent / "MyModel.pt").write_bytes(weights_bytes(200_000, seed=7))
    hub.clear_request_log()
    plan = build_plan(config, client, USER, cwd=tmp_path)
    model = plan.item("model:MyModel")
    assert model.action == "new_version"
    assert model.reason == "weights changed since the last upload from this machine"
    assert not any(r.path.startswith("/storage/download") for r in hub.request_log)


def test_version_whose_upload_did_not_finish_is_redone(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    records.save_model_record(hub.url, USER, "MyModel", 1, code_complete=False)
    plan = build_plan(config, client, USER, cwd=tmp_path)
    item = plan.item("model:MyModel")
    assert item.action == "new_version"
    assert item.reason == "the last upload of version 1 from this machine did not finish"


def test_tags_and_sample_url_only(tmp_path: Path, hub: LocalHub, client: HubClient) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    config.write_text(config_text(tags="[Prediction, Evaluation]"))
    plan, result = upload(config, client)
    item = plan.item("template:my-template")
    assert item.action == "tags_only" and "tags changed" in item.reason
    assert result.ok and hub.templates(USER)[0]["tags"] == ["Prediction", "Evaluation"]
    assert len(hub.template_versions(USER, "my-template")) == 1

    config.write_text(config_text(tags="[Prediction, Evaluation]", sample_url="https://e.com/b"))
    plan, result = upload(config, client)
    assert plan.item("template:my-template").action == "tags_only"
    assert hub.templates(USER)[0]["sampleDatasetDownloadUrl"] == "https://e.com/b"
    assert len(hub.template_versions(USER, "my-template")) == 1


def test_changed_description_makes_a_new_template_version(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    config.write_text(config_text(description="Better words"))
    plan, result = upload(config, client)
    item = plan.item("template:my-template")
    assert (item.action, item.reason) == ("new_version", "description changed")
    assert result.ok and len(hub.template_versions(USER, "my-template")) == 2
    assert hub.templates(USER)[0]["description"] == "Better words"


def test_archived_template_is_published_again(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    client.patch_task_template_state(USER, "my-template", "archived")
    plan, result = upload(config, client)
    assert plan.item("template:my-template").action == "unarchive"
    assert result.ok and hub.templates(USER)[0]["state"] == "published"


def test_deprecated_templates_are_archived(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    upload(config, client)
    config.write_text(config_text(deprecated=("My Template", "never-existed")))
    plan, result = upload(config, client)
    assert plan.item("deprecated:my-template").action == "archive"
    assert plan.item("deprecated:never-existed").action == "unchanged"
    assert result.ok and hub.templates(USER)[0]["state"] == "archived"
    plan = build_plan(config, client, USER, cwd=tmp_path)
    assert plan.item("deprecated:my-template").reason == "already archived"


def test_model_withoutweights_bytes(tmp_path: Path, hub: LocalHub, client: HubClient) -> None:
    config = make_project(tmp_path / "p", config=config_text(weights=False))
    plan, result = upload(config, client)
    assert actions(plan) == {"model:MyModel": "new", "template:my-template": "new"}
    assert result.ok and hub.model_weights(USER, "MyModel", 1) is None
    assert actions(build_plan(config, client, USER, cwd=tmp_path)) == {
        "model:MyModel": "unchanged",
        "template:my-template": "unchanged",
    }


def test_multipart_storage_upload(tmp_path: Path) -> None:
    with LocalHub(
        tmp_path / "hubdata", username=USER, multipart_threshold=64 * 1024, chunk_size=64 * 1024
    ) as hub:
        creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "test key")
        with HubClient(hub.url, creds, sleep=lambda s: None) as client:
            config = make_project(tmp_path / "p", weights_size=300_000)
            hub.faults.drop("PUT", r"^/storage/part/", after_bytes=30_000, skip=2)
            hub.faults.drop("POST", r"^/api/upload", when="after")  # completed, answer lost
            plan, result = upload(config, client)
            assert result.ok, result.failed
            assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(300_000)
            parts = [r.status for r in hub.request_log if r.path.startswith("/storage/part/")]
            assert parts == [200, 200, None, 200, 200, 200]  # 4 × 64 KiB + the rest; 1 retry
            completions = [r.status for r in hub.request_log if r.path == "/api/upload"]
            assert completions == [None, 200]


def test_single_storage_upload_uses_one_post(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    upload(make_project(tmp_path / "p"), client)
    singles = [r for r in hub.request_log if r.path.startswith("/storage/single/")]
    assert [r.method for r in singles] == ["POST", "POST"]  # code, weights
    assert not any(r.path.startswith("/storage/part/") for r in hub.request_log)


def test_bad_credentials_name_their_source(tmp_path: Path, hub: LocalHub) -> None:
    config = make_project(tmp_path / "p")
    creds = Credentials.from_api_key(hub.api_key_id, "wrong-key", "API key from the test")
    with (
        HubClient(hub.url, creds, sleep=lambda s: None) as client,
        pytest.raises(HubAuthRejected) as info,
    ):
        build_plan(config, client, USER, cwd=tmp_path)
    assert "API key from the test" in str(info.value) and "wrong-key" not in str(info.value)


def test_flaky_server_makes_no_duplicates(tmp_path: Path, hub: LocalHub, client: HubClient) -> None:
    config = make_project(tmp_path / "p", weights_size=300_000)
    plan = build_plan(config, client, USER, cwd=tmp_path)
    hub.faults.fail("POST", r"^/api/models", status=503)  # refused before handling
    hub.faults.fail("POST", r"^/api/models", status=500, when="after")  # created, answer lost
    hub.faults.drop("POST", r"^/storage/single/", after_bytes=100_000)  # mid-upload
    hub.faults.fail("PUT", r"^/api/models", status=502)
    hub.faults.fail("POST", r"^/api/task-templates$", status=500, when="after")
    hub.faults.drop("PATCH", r"^/api/task-templates/", when="after")
    result = execute_plan(plan, client, on_progress=Events())
    # The model's create took effect but its answer was lost: no second version is made,
    # the file is failed with the reason, and what depends on it says why.
    model = result.files["model:MyModel"]
    assert model.state == "failed" and "answer was lost" in (model.error or "")
    assert result.files["weights:MyModel"].error == "because model MyModel failed"
    assert result.files["template:my-template"].state == "failed"
    assert len([m for m in hub.models() if m["modelName"] == "MyModel"]) == 1

    # The next plan sees no complete version (this hub lists only versions whose code
    # arrived; records.py covers hubs that list it) and makes one complete new version.
    plan = build_plan(config, client, USER, cwd=tmp_path)
    assert plan.item("model:MyModel").action == "new"
    result = execute_plan(plan, client, on_progress=Events())
    assert result.ok, result.failed
    assert result.model_versions == {"MyModel": 2}
    complete = [m["modelVersion"] for m in hub.models() if m["codeStatus"] == "complete"]
    assert complete == [2]
    assert hub.model_weights(USER, "MyModel", 2) == weights_bytes(300_000)
    assert len(hub.template_versions(USER, "my-template")) == 1
    (template,) = hub.templates(USER)
    assert template["sampleDatasetDownloadUrl"] == "https://example.com/sample.zip"


def test_lost_template_create_and_dropped_upload_are_recovered(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p", weights_size=300_000)
    plan = build_plan(config, client, USER, cwd=tmp_path)
    hub.faults.fail("POST", r"^/api/models", status=503, times=2)
    hub.faults.drop("POST", r"^/storage/single/", after_bytes=100_000, skip=1)  # the weights
    hub.faults.fail("POST", r"^/api/task-templates$", status=500, when="after")
    result = execute_plan(plan, client, on_progress=Events())
    assert result.ok, result.failed
    # The template was created although its answer was a 500: checked, not sent again.
    posts = [r for r in hub.request_log if (r.method, r.path) == ("POST", "/api/task-templates")]
    assert [r.status for r in posts] == [500]
    assert [
        r.status for r in hub.request_log if r.path == "/api/models" and r.method == "POST"
    ] == [
        503,
        503,
        200,
    ]
    assert len(hub.models()) == 1
    assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(300_000)
    assert len(hub.template_versions(USER, "my-template")) == 1
    fired = [f.action for f in hub.faults.fired]
    assert any("after" in a for a in fired) and any("drop" in a for a in fired)


def test_failed_weights_retry_to_the_same_version(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    plan = build_plan(config, client, USER, cwd=tmp_path)
    hub.faults.fail("POST", r"^/storage/single/", status=503, skip=1, times=10)
    result = execute_plan(plan, client, on_progress=Events())
    assert result.files["model:MyModel"].state == "done"
    weights = result.files["weights:MyModel"]
    assert weights.state == "failed" and "503" in (weights.error or "")
    template = result.files["template:my-template"]
    assert template.error == "because model MyModel's weights failed"
    assert hub.templates(USER) == []

    hub.faults.clear()
    events = Events()
    merged = retry_failed(plan, result, client, on_progress=events)
    assert merged.ok, merged.failed
    assert {e.file_id for e in events.events} == {"weights:MyModel", "template:my-template"}
    assert len(hub.models()) == 1 and hub.model_weights(USER, "MyModel", 1) == weights_bytes(
        200_000
    )
    assert len(hub.templates(USER)) == 1


def test_cancel_stops_between_chunks_and_reports_every_file(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p", weights_size=3 * 1024 * 1024)
    plan = build_plan(config, client, USER, cwd=tmp_path)
    cancel = threading.Event()
    events = Events()

    def on_progress(event: FileProgress) -> None:
        events(event)
        if event.file_id == "weights:MyModel" and event.bytes_done >= 1024 * 1024:
            cancel.set()

    result = execute_plan(plan, client, on_progress=on_progress, cancel=cancel)
    assert result.cancelled
    states = {k: v.state for k, v in result.files.items()}
    assert states == {
        "model:MyModel": "done",
        "weights:MyModel": "cancelled",
        "template:my-template": "cancelled",
    }
    last = result.files["weights:MyModel"]
    assert 0 < last.bytes_done < last.bytes_total
    assert hub.model_weights(USER, "MyModel", 1) is None and hub.templates(USER) == []


def test_device_code_login_against_the_local_hub(tmp_path: Path, hub: LocalHub) -> None:
    from taskwizard.hub.auth import DeviceCodeLogin, HubAuth, credentials_from_settings
    from taskwizard.hub.environments import resolve_hub
    from taskwizard.settings import Settings, load_secrets

    env = resolve_hub("local", hub.url)
    login = DeviceCodeLogin(env, sleep=lambda s: None)
    user_code, url, interval, expires_in = login.start()
    assert url.startswith(hub.url) and user_code in url
    assert login.poll_once() is None  # not approved yet
    assert hub.approve_device_code(user_code)
    tokens = login.poll()
    assert tokens.username == USER
    login.save(tokens, hub.url)
    login.close()

    creds = credentials_from_settings(
        hub.url, settings=Settings(auth_method="device_code"), secrets=load_secrets()
    )
    assert creds is not None and creds.kind == "device_code" and creds.username == USER
    config = make_project(tmp_path / "p", config=config_text(weights=False))
    # Pretend the token runs out in 5 minutes: it is renewed (and saved) before use.
    assert creds.tokens is not None
    creds.tokens = TokenSet(creds.tokens.access_token, 0.0, creds.tokens.refresh_token)
    with HubClient(hub.url, HubAuth(creds), sleep=lambda s: None) as client:
        plan, result = upload(config, client)
    assert result.ok and len(hub.templates(USER)) == 1
    saved = load_secrets().tokens[hub.url]
    assert tokens.refresh_token is not None
    assert saved["refresh_token"] != tokens.refresh_token.get_secret_value()  # rotated


def test_a_file_changed_after_planning_is_not_uploaded(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    plan = build_plan(config, client, USER, cwd=tmp_path)
    (config.parent / "MyModel.pt").write_bytes(weights_bytes(123_456, seed=3))
    result = execute_plan(plan, client, on_progress=Events())
    assert result.files["model:MyModel"].state == "done"
    assert result.files["weights:MyModel"].error == (
        "MyModel.pt changed after the plan was made: make the plan again"
    )
    assert hub.model_weights(USER, "MyModel", 1) is None


def test_offline_plan_says_hub_not_contacted(tmp_path: Path, client: HubClient) -> None:
    plan = build_plan(make_project(tmp_path / "p"), None, USER, cwd=tmp_path)
    assert plan.note == "hub not contacted"
    assert set(actions(plan).values()) == {"unknown"}
    with pytest.raises(ValueError, match="without asking the hub"):
        execute_plan(plan, client, on_progress=Events())


def test_invalid_config_is_refused_with_positions(tmp_path: Path) -> None:
    bad = config_text().replace("type: image-classification", "type: image-classifcation")
    config = make_project(tmp_path / "p", config=bad)
    plan = build_plan(config, None, USER, cwd=tmp_path)
    assert plan.refused and plan.items == []
    (problem,) = [p for p in plan.problems if p.is_error]
    assert (problem.file, problem.line) == (str(config), 4)
    with pytest.raises(ValueError):
        execute_plan(plan, None, on_progress=Events())  # type: ignore[arg-type]


def test_model_without_bitfount_model_protocol_is_refused_before_any_upload(
    tmp_path: Path,
) -> None:
    """Bitfount's uploader refuses such a model ("must implement BaseModelProtocol")
    only after it has uploaded other files; the plan refuses it up front."""
    config = make_project(tmp_path / "p")
    (config.parent / "MyModel.py").write_text(
        "import torch\n\n\nclass MyModel(torch.nn.Module):\n    pass\n"
    )
    plan = build_plan(config, None, USER, cwd=tmp_path)
    assert plan.refused and plan.items == []
    (problem,) = [p for p in plan.problems if p.is_error]
    assert "must implement BaseModelProtocol" in problem.message
    assert (problem.file, problem.line) == (str(config.parent / "MyModel.py"), 4)


def test_records_file_is_json_and_survives_corruption(tmp_path: Path) -> None:
    records.save_model_record("http://h/", USER, "M", 1, code_sha256="c", code_complete=False)
    records.save_model_record("http://h", USER, "M", 1, weights_sha256="w", weights_size=3)
    found = records.find_model_record("http://h", USER, "M", 1)
    assert found is not None
    assert (found.code_sha256, found.code_complete, found.weights_sha256) == ("c", False, "w")
    assert json.loads(paths.upload_records_file().read_text())["format_version"] == 1
    paths.upload_records_file().write_text("{not json")
    assert records.find_model_record("http://h", USER, "M", 1) is None


def test_zstd_weights_on_the_hub_cannot_be_compared_without_zstandard(tmp_path: Path) -> None:
    import importlib.util

    import httpx

    if importlib.util.find_spec("zstandard") is not None:
        pytest.skip("zstandard is installed: the compressed weights would be compared")
    config = make_project(tmp_path / "p", config=config_text())
    code_hash = model_code_hash(MODEL_CODE.encode())

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/models":
            reply = {"modelVersion": 4, "modelHash": code_hash}
            if "modelVersion" in request.url.params:
                reply["weightsDownloadUrl"] = "http://storage.test/w"
            return httpx.Response(200, json=reply)
        if request.url.host == "storage.test":
            return httpx.Response(200, content=b"\x28\xb5\x2f\xfd" + b"\0" * 100)
        return httpx.Response(404)

    with HubClient("http://hub.test", None, transport=httpx.MockTransport(handler)) as client:
        plan = build_plan(config, client, USER, cwd=tmp_path)
    item = plan.item("model:MyModel")
    assert item.action == "new_version"
    assert "zstd-compressed" in item.reason and "zstandard" in item.reason
