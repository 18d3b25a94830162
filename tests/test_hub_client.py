"""HubClient wire format, retries and create-safety, against httpx.MockTransport."""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskwizard.hub.auth import Credentials
from taskwizard.hub.client import (
    CreateOutcomeUnknown,
    HubClient,
    HubError,
    HubUnavailable,
    ReadOnlyViolation,
    StorageTarget,
    UploadCancelled,
)

H = "http://hub.test"
CREDS = Credentials.from_api_key("kid", "key", "API key for tests")
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that logs requests and replays scripted answers per route."""

    def __init__(self, routes: dict[tuple[str, str], list[Any]]) -> None:
        self.routes = routes
        self.log: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        answers = self.routes[(request.method, request.url.path)]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            result: httpx.Response = answer(request)
            return result
        return answer  # type: ignore[no-any-return]

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.log if r.method == method and r.url.path == path)


def _client(handler: Handler, sleeps: list[float] | None = None, **kw: Any) -> HubClient:
    return HubClient(
        H,
        CREDS,
        transport=httpx.MockTransport(handler),
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
        **kw,
    )


BODY = {
    "title": "T",
    "slug": "my-slug",
    "type": "image-classification",
    "template": {"task": {"x": 1}},
    "description": "d",
    "tags": ["Prediction"],
}


def test_template_requests_use_the_sdk_wire_format() -> None:
    path = "/api/task-templates/alice/my-slug"
    rec = Recorder(
        {
            ("GET", path): [httpx.Response(404)],
            ("POST", "/api/task-templates"): [httpx.Response(201, json={"id": 1})],
            ("POST", path): [httpx.Response(201, json={})],
            ("PATCH", path): [httpx.Response(200, json={})],
        }
    )
    client = _client(rec)
    assert client.get_task_template("alice", "my-slug") is None
    client.create_task_template(BODY, owner="alice")
    client.new_task_template_version("alice", "my-slug", BODY)
    client.patch_task_template_tags("alice", "my-slug", ["Training", "Prediction"])
    client.patch_task_template_sample_url("alice", "my-slug", None)
    client.patch_task_template_state("alice", "my-slug", "archived")
    posts = [r for r in rec.log if r.method == "POST"]
    assert [json.loads(r.content) for r in posts] == [BODY, BODY]
    patches = [r for r in rec.log if r.method == "PATCH"]
    assert json.loads(patches[0].content) == {"tags": ["Training", "Prediction"]}
    assert json.loads(patches[1].content) == {"sampleDatasetDownloadUrl": None}
    assert patches[2].headers["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(patches[2].content.decode()) == {"state": ["archived"]}
    assert all(r.headers["x-api-key-id"] == "kid" for r in rec.log)


def test_idempotent_requests_retry_with_backoff_then_give_up() -> None:
    path = "/api/task-templates/alice/s"
    rec = Recorder(
        {
            ("GET", path): [
                httpx.Response(503),
                httpx.ConnectError("x"),
                httpx.Response(200, json={"a": 1}),
            ]
        }
    )
    sleeps: list[float] = []
    assert _client(rec, sleeps).get_task_template("alice", "s") == {"a": 1}
    assert sleeps == [1.0, 2.0]

    rec = Recorder({("PATCH", path): [httpx.Response(500)]})
    sleeps = []
    with pytest.raises(HubUnavailable, match="500"):
        _client(rec, sleeps).patch_task_template_tags("alice", "s", [])
    assert sleeps == [1.0, 2.0, 4.0] and rec.count("PATCH", path) == 4


def test_retry_after_is_respected_up_to_a_minute() -> None:
    path = "/api/task-templates/alice/s"
    rec = Recorder(
        {
            ("GET", path): [
                httpx.Response(429, headers={"Retry-After": "7"}),
                httpx.Response(503, headers={"Retry-After": "3600"}),
                httpx.Response(404),
            ]
        }
    )
    sleeps: list[float] = []
    assert _client(rec, sleeps).get_task_template("alice", "s") is None
    assert sleeps == [7.0, 60.0]


def test_last_failed_create_is_still_checked_before_giving_up() -> None:
    path = "/api/task-templates/alice/my-slug"
    rec = Recorder(
        {
            ("POST", path): [httpx.Response(502)],
            ("GET", path): [
                httpx.Response(200, json={**BODY, "description": "old"}),
                httpx.Response(200, json={**BODY, "description": "old"}),
                httpx.Response(200, json={**BODY, "description": "old"}),
                httpx.Response(200, json=BODY),
            ],
        }
    )
    assert _client(rec).new_task_template_version("alice", "my-slug", BODY) == BODY
    assert rec.count("POST", path) == 4 and rec.count("GET", path) == 4

    rec = Recorder({("POST", path): [httpx.Response(502)], ("GET", path): [httpx.Response(404)]})
    with pytest.raises(HubUnavailable, match="4 attempts"):
        _client(rec).new_task_template_version("alice", "my-slug", BODY)
    assert rec.count("POST", path) == 4


def test_create_that_took_effect_despite_a_500_is_not_sent_twice() -> None:
    path = "/api/task-templates/alice/my-slug"
    rec = Recorder(
        {
            ("POST", "/api/task-templates"): [httpx.Response(500)],
            ("GET", path): [httpx.Response(200, json={**BODY, "state": "published"})],
        }
    )
    result = _client(rec).create_task_template(BODY, owner="alice")
    assert result["state"] == "published"
    assert rec.count("POST", "/api/task-templates") == 1


def test_new_version_lost_on_a_dropped_connection_is_checked_not_duplicated() -> None:
    path = "/api/task-templates/alice/my-slug"
    rec = Recorder(
        {
            ("POST", path): [httpx.RemoteProtocolError("dropped")],
            ("GET", path): [httpx.Response(200, json=BODY)],
        }
    )
    _client(rec).new_task_template_version("alice", "my-slug", BODY)
    assert rec.count("POST", path) == 1 and rec.count("GET", path) == 1


def test_create_that_did_not_take_effect_is_retried_after_checking() -> None:
    path = "/api/task-templates/alice/my-slug"
    old = {**BODY, "description": "older"}
    rec = Recorder(
        {
            ("POST", path): [httpx.Response(503), httpx.Response(201, json={"ok": True})],
            ("GET", path): [httpx.Response(200, json=old)],
        }
    )
    assert _client(rec).new_task_template_version("alice", "my-slug", BODY) == {"ok": True}
    assert rec.count("POST", path) == 2 and rec.count("GET", path) == 1


def test_create_never_sent_is_retried_without_checking() -> None:
    rec = Recorder(
        {
            ("POST", "/api/task-templates"): [
                httpx.ConnectError("refused"),
                httpx.Response(201, json={}),
            ]
        }
    )
    _client(rec).create_task_template(BODY, owner="alice")
    assert rec.count("POST", "/api/task-templates") == 2
    assert rec.count("GET", "/api/task-templates/alice/my-slug") == 0


def test_create_with_a_client_error_fails_at_once() -> None:
    rec = Recorder(
        {("POST", "/api/task-templates"): [httpx.Response(400, json={"message": "bad type"})]}
    )
    with pytest.raises(HubError, match="400.*bad type"):
        _client(rec).create_task_template(BODY, owner="alice")
    assert len(rec.log) == 1


def test_register_model_code_body_and_lost_answer() -> None:
    answers = [
        httpx.Response(200, json={"modelVersion": 2, "modelHash": "old"}),
        httpx.Response(200, json={"modelVersion": 3, "modelHash": "abc"}),
    ]
    rec = Recorder(
        {
            ("GET", "/api/models"): answers,
            ("POST", "/api/models"): [httpx.Response(502)],
        }
    )
    with pytest.raises(CreateOutcomeUnknown) as info:
        _client(rec).register_model_code("alice", "M", size=10, code_hash="abc", private=False)
    assert info.value.version == 3
    post = next(r for r in rec.log if r.method == "POST")
    assert post.url.params["multipartUpload"] == "true"
    assert json.loads(post.content) == {
        "modelName": "M",
        "modelSize": 10,
        "modelHash": "abc",
        "privateModel": False,
        "modelDescription": "",
    }
    assert rec.count("POST", "/api/models") == 1
    get = rec.log[0]
    assert dict(get.url.params) == {"modellerName": "alice", "modelName": "M"}


def test_register_model_weights_and_refusal() -> None:
    rec = Recorder(
        {
            ("PUT", "/api/models"): [
                httpx.Response(
                    200,
                    json={
                        "version": 4,
                        "uploadUrl": "http://s3.test/b",
                        "uploadFields": {"k": "v"},
                    },
                ),
                httpx.Response(200, json={"success": False, "errorMessage": "too big"}),
            ]
        }
    )
    client = _client(rec)
    target = client.register_model_weights("M", 4, 99)
    assert target == StorageTarget(
        version=4, upload_url="http://s3.test/b", upload_fields={"k": "v"}
    )
    assert json.loads(rec.log[0].content) == {"modelName": "M", "modelVersion": 4, "weightSize": 99}
    with pytest.raises(HubError, match="too big"):
        client.register_model_weights("M", 4, 99)


def test_single_storage_upload_is_streamed_multipart_form_data(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000  # 1.28 MB: several 64 KiB chunks
    path = tmp_path / "weights.pt"
    path.write_bytes(data)
    seen: list[httpx.Request] = []

    def storage(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    progress: list[int] = []
    client = _client(storage, chunk_size=65536)
    client.upload_single(
        "http://s3.test/bucket", {"key": "models/M", "policy": "p"}, path, on_bytes=progress.append
    )
    request = seen[0]
    assert "x-api-key" not in request.headers and "authorization" not in request.headers
    assert "transfer-encoding" not in request.headers
    assert int(request.headers["content-length"]) == len(request.content)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    )
    parts = list(message.iter_parts())
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "key",
        "policy",
        "file",
    ]
    assert parts[0].get_content() == "models/M"
    assert parts[2].get_filename() == "weights.pt"
    assert parts[2].get_payload(decode=True) == data
    assert progress[0] == 0 and progress[-1] == len(data) and progress == sorted(progress)
    assert len(progress) > 10


def test_multipart_upload_parts_etags_retry_and_complete(tmp_path: Path) -> None:
    data = b"a" * 250 + b"b" * 250 + b"c" * 123
    path = tmp_path / "w.bin"
    path.write_bytes(data)
    puts: list[tuple[str, bytes]] = []
    failed_once: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            name = request.url.path
            if name == "/part2" and name not in failed_once:
                failed_once.add(name)
                return httpx.Response(503)
            puts.append((name, request.content))
            assert request.headers["content-type"] == "application/octet-stream"
            return httpx.Response(200, headers={"ETag": f'"etag-{name[-1]}"'})
        assert request.url.path == "/api/upload"
        handler.completed = json.loads(request.content)  # type: ignore[attr-defined]
        return httpx.Response(200, json={})

    target = StorageTarget(
        version=1,
        upload_urls=("http://s3.test/part1", "http://s3.test/part2", "http://s3.test/part3"),
        chunk_size=250,
        upload_id="up-1",
        key="models/M/1",
    )
    progress: list[int] = []
    _client(handler, chunk_size=100).upload_file(target, path, on_bytes=progress.append)
    assert [p for _, p in puts] == [data[:250], data[250:500], data[500:]]
    assert handler.completed == {  # type: ignore[attr-defined]
        "objectType": "Model",
        "key": "models/M/1",
        "uploadId": "up-1",
        "parts": [
            {"ETag": "etag-1", "PartNumber": 1},
            {"ETag": "etag-2", "PartNumber": 2},
            {"ETag": "etag-3", "PartNumber": 3},
        ],
    }
    assert progress[-1] == len(data)
    assert 250 in progress  # part 2 restarted from its own offset after the 503


def test_cancel_stops_between_chunks(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(b"x" * 1000)
    cancel = threading.Event()

    def on_bytes(done: int) -> None:
        if done >= 300:
            cancel.set()

    with pytest.raises(UploadCancelled):
        _client(lambda r: httpx.Response(204), chunk_size=100).upload_single(
            "http://s3.test/b", {}, path, on_bytes=on_bytes, cancel=cancel
        )


def test_read_only_client_sends_only_gets(tmp_path: Path) -> None:
    rec = Recorder({("GET", "/api/models"): [httpx.Response(404)]})
    client = _client(rec, read_only=True)
    assert client.get_model("alice", "M") is None
    with pytest.raises(ReadOnlyViolation):
        client.patch_task_template_state("alice", "s", "archived")
    with pytest.raises(ReadOnlyViolation):
        client.create_task_template(BODY, owner="alice")
    path = tmp_path / "f"
    path.write_bytes(b"1")
    with pytest.raises(ReadOnlyViolation):
        client.upload_single("http://s3.test/b", {}, path)
    assert [r.method for r in rec.log] == ["GET"]


def test_refused_connection_on_loopback_fails_at_once_with_what_to_do() -> None:
    """No hub running on this machine: no 1+2+4 s of retries before saying so."""
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])  # closed again: nothing listens there
    sleeps: list[float] = []
    client = HubClient(
        f"http://127.0.0.1:{port}",
        Credentials.from_api_key("kid", "key", "test"),
        sleep=sleeps.append,
    )
    started = time.monotonic()
    with pytest.raises(HubUnavailable, match="connection refused") as raised:
        client.get_task_template("alice", "s")
    assert sleeps == []
    assert time.monotonic() - started < 2
    assert f"127.0.0.1:{port}" in str(raised.value) and "taskwizard hub" in str(raised.value)
    client.close()
