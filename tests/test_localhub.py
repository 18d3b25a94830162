"""The local hub over real HTTP on 127.0.0.1: every endpoint, auth, single and
multipart storage, streaming, the data-folder lock and the fault plan."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from plugins.localhub_fixture import LocalHubFactory

from taskwizard.hub.localhub import FaultPlan, LocalHub, LocalHubError, LocalHubLocked

USER = "testuser"
CODE = b"class MyModel:\r\n    pass\r\n"
CODE_HASH = hashlib.sha256(CODE.replace(b"\r", b"")).hexdigest()

# Presigned storage URLs and unauthenticated calls share one client: creating an
# httpx client per request costs more than the request.
storage = httpx.Client(timeout=60)


@pytest.fixture
def local_hub_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHubFactory]:
    factory = LocalHubFactory(tmp_path_factory)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def local_hub(local_hub_factory: LocalHubFactory) -> LocalHub:
    return local_hub_factory()


@pytest.fixture
def api(local_hub: LocalHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_hub.url, headers=local_hub.auth_headers) as client:
        yield client


def template_body(slug: str = "my-task", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "My task",
        "slug": slug,
        "type": "text-classification",
        "template": {"task": {"protocol": {"name": "bitfount.ResultsOnly"}}},
        "description": "Classifies text",
        "tags": ["nlp", "demo"],
    }
    body.update(changes)
    return body


def register_code(
    client: httpx.Client, code: bytes = CODE, name: str = "MyModel", model_hash: str | None = None
) -> dict[str, Any]:
    response = client.post(
        "/api/models?multipartUpload=true",
        json={
            "modelName": name,
            "modelSize": len(code),
            "modelHash": model_hash or hashlib.sha256(code.replace(b"\r", b"")).hexdigest(),
            "privateModel": True,
            "modelDescription": "",
        },
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["success"] is True
    return result


def upload_single(registered: dict[str, Any], content: bytes, name: str = "f") -> httpx.Response:
    # As Bitfount's SDK does it: every uploadFields entry, then the file part.
    return storage.post(
        registered["uploadUrl"], data=registered["uploadFields"], files={"file": (name, content)}
    )


def upload_parts(registered: dict[str, Any], content: bytes) -> list[dict[str, Any]]:
    chunk = registered["chunkSize"]
    parts = []
    for index, url in enumerate(registered["uploadUrls"]):
        piece = content[index * chunk : (index + 1) * chunk]
        response = storage.put(
            url, content=piece, headers={"Content-Type": "application/octet-stream"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["ETag"].startswith('"')
        parts.append({"ETag": response.headers["ETag"].strip('"'), "PartNumber": index + 1})
    return parts


def complete(
    client: httpx.Client, registered: dict[str, Any], parts: list[dict[str, Any]]
) -> httpx.Response:
    return client.post(
        "/api/upload",
        json={
            "objectType": "Model",
            "key": registered["key"],
            "uploadId": registered["uploadId"],
            "parts": parts,
        },
    )


def get_model(client: httpx.Client, version: int | None = None) -> httpx.Response:
    params: dict[str, Any] = {"modellerName": USER, "modelName": "MyModel"}
    if version is not None:
        params["modelVersion"] = version
    return client.get("/api/models", params=params)


# ----------------------------------------------------------------- basics, auth


def test_health_and_index_need_no_credentials(local_hub: LocalHub) -> None:
    assert storage.get(f"{local_hub.url}/api/health").json()["status"] == "ok"
    page = storage.get(local_hub.url + "/")
    assert page.status_code == 200
    assert "taskwizard local hub" in page.text
    assert local_hub.url.startswith("http://127.0.0.1:")
    # The upload command it shows names the port it really runs on (a free one here).
    assert f"taskwizard upload CONFIG --hub {local_hub.url}</code>" in page.text
    assert "--env local" not in page.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key-id": "nope", "x-api-key": "nope"},
        {"x-api-key-id": "only-id"},
        {"authorization": "Bearer not-issued"},
        {"authorization": "Basic abc"},
    ],
)
def test_bad_or_missing_credentials_get_401_with_a_message(
    local_hub: LocalHub, headers: dict[str, str]
) -> None:
    response = storage.get(f"{local_hub.url}/api/task-templates/{USER}/x", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"]
    assert local_hub.api_key not in response.text


def test_right_key_with_wrong_id_is_refused(local_hub: LocalHub) -> None:
    headers = {"x-api-key-id": "wrong", "x-api-key": local_hub.api_key}
    response = storage.get(f"{local_hub.url}/api/task-templates/{USER}/x", headers=headers)
    assert response.status_code == 401


def test_sdk_style_keys_send_only_the_part_before_the_colon(
    local_hub_factory: LocalHubFactory,
) -> None:
    hub = local_hub_factory(api_key_id="keyid:am-part", api_key="secretkey:am-part")
    ok = storage.get(
        f"{hub.url}/api/task-templates/{USER}",
        headers={"x-api-key-id": "keyid", "x-api-key": "secretkey"},
    )
    assert ok.status_code == 200


def test_issued_bearer_token_is_accepted_and_expired_one_is_not(local_hub: LocalHub) -> None:
    token = local_hub.issue_token()["access_token"]
    url = f"{local_hub.url}/api/task-templates/{USER}"
    assert storage.get(url, headers={"authorization": f"Bearer {token}"}).status_code == 200
    expired = local_hub.issue_token(lifetime=-1)["access_token"]
    response = storage.get(url, headers={"authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_writes_to_another_users_items_are_forbidden(
    local_hub: LocalHub, api: httpx.Client
) -> None:
    assert api.post("/api/task-templates", json=template_body()).status_code == 201
    other = api.post("/api/task-templates/someone-else/my-task", json=template_body())
    assert other.status_code == 403
    patch = api.patch("/api/task-templates/someone-else/my-task", data={"state": "archived"})
    assert patch.status_code == 403
    # Reading is allowed (and simply finds nothing).
    assert api.get("/api/task-templates/someone-else/my-task").status_code == 404


def test_whoami_names_the_user_of_the_credentials(local_hub: LocalHub) -> None:
    me = storage.get(f"{local_hub.url}/api/users/me", headers=local_hub.auth_headers)
    assert me.json() == {"username": USER}
    assert storage.get(f"{local_hub.url}/api/users/me").status_code == 401


def test_unknown_endpoint_is_404(api: httpx.Client) -> None:
    assert api.get("/api/nothing-here").status_code == 404
    assert api.get("/elsewhere").status_code == 404


# ----------------------------------------------------------------- task templates


def test_template_create_get_conflict_and_new_version(
    local_hub: LocalHub, api: httpx.Client
) -> None:
    assert api.get(f"/api/task-templates/{USER}/my-task").status_code == 404
    created = api.post("/api/task-templates", json=template_body())
    assert created.status_code == 201
    got = api.get(f"/api/task-templates/{USER}/my-task")
    assert got.status_code == 200
    data = got.json()
    for key in ("slug", "title", "type", "description", "tags", "template", "state", "version"):
        assert key in data
    assert data["state"] == "published"
    assert data["version"] == 1
    assert data["template"] == template_body()["template"]
    assert data["sampleDatasetDownloadUrl"] is None

    again = api.post("/api/task-templates", json=template_body())
    assert again.status_code == 409

    new = api.post(
        f"/api/task-templates/{USER}/my-task",
        json=template_body(description="Better", tags=["nlp"]),
    )
    assert new.status_code == 201
    assert new.json()["version"] == 2
    latest = api.get(f"/api/task-templates/{USER}/my-task").json()
    assert (latest["version"], latest["description"], latest["tags"]) == (2, "Better", ["nlp"])
    first = api.get(f"/api/task-templates/{USER}/my-task", params={"version": 1}).json()
    assert first["description"] == "Classifies text"

    versions = api.get(f"/api/task-templates/{USER}/my-task/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["version"] for v in local_hub.template_versions(USER, "my-task")] == [1, 2]
    assert [t["slug"] for t in local_hub.templates()] == ["my-task"]
    assert [t["slug"] for t in api.get(f"/api/task-templates/{USER}").json()] == ["my-task"]


def test_new_version_of_missing_template_is_404(api: httpx.Client) -> None:
    response = api.post(f"/api/task-templates/{USER}/nope", json=template_body("nope"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({k: v for k, v in template_body().items() if k != "title"}, "missing"),
        (template_body(slug="Not A Slug"), "slug"),
        (template_body(slug="a--b"), "slug"),
        (template_body(slug="x" * 51), "slug"),
        (template_body(tags="nlp"), "tags"),
        (template_body(template="task: {}"), "template"),
        ({**template_body(), "sampleDatasetDownloadUrl": "http://x"}, "unknown"),
        ([1, 2], "object"),
    ],
)
def test_bad_template_bodies_are_400_with_a_reason(
    api: httpx.Client, body: Any, fragment: str
) -> None:
    response = api.post("/api/task-templates", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_body_slug_must_match_url_slug(api: httpx.Client) -> None:
    api.post("/api/task-templates", json=template_body())
    response = api.post(f"/api/task-templates/{USER}/my-task", json=template_body("other"))
    assert response.status_code == 400


def test_invalid_json_is_400(api: httpx.Client) -> None:
    response = api.post(
        "/api/task-templates", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_patch_state_as_form_and_tags_and_sample_url_as_json(api: httpx.Client) -> None:
    api.post("/api/task-templates", json=template_body())
    url = f"/api/task-templates/{USER}/my-task"
    archived = api.patch(url, data={"state": "archived"})
    assert archived.status_code == 200
    assert api.get(url).json()["state"] == "archived"
    assert api.patch(url, data={"state": "published"}).json()["state"] == "published"

    tags = api.patch(url, json={"tags": ["b", "a"]})
    assert tags.status_code == 200
    got = api.get(url).json()
    assert got["tags"] == ["b", "a"]
    assert got["version"] == 1  # tags change without a new version

    api.patch(url, json={"sampleDatasetDownloadUrl": "https://example.org/sample.zip"})
    assert api.get(url).json()["sampleDatasetDownloadUrl"] == "https://example.org/sample.zip"
    api.patch(url, json={"sampleDatasetDownloadUrl": None})
    assert api.get(url).json()["sampleDatasetDownloadUrl"] is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"state": "deleted"}},
        {"json": {"title": "x"}},
        {"json": {"tags": "x"}},
        {"json": {}},
        {"json": {"sampleDatasetDownloadUrl": 3}},
    ],
)
def test_bad_patches_are_400(api: httpx.Client, kwargs: dict[str, Any]) -> None:
    api.post("/api/task-templates", json=template_body())
    assert api.patch(f"/api/task-templates/{USER}/my-task", **kwargs).status_code == 400


def test_patch_of_missing_template_is_404(api: httpx.Client) -> None:
    response = api.patch(f"/api/task-templates/{USER}/missing", data={"state": "archived"})
    assert response.status_code == 404


# ----------------------------------------------------------------- models: single


def test_model_code_single_upload_get_and_download(local_hub: LocalHub, api: httpx.Client) -> None:
    assert get_model(api).status_code == 404
    registered = register_code(api)
    assert registered["version"] == 1
    assert set(registered) >= {"uploadUrl", "uploadFields"}
    # Registered but not uploaded yet: not the latest version.
    assert get_model(api).status_code == 404
    assert get_model(api, 1).json()["uploadStatus"] == "pending"

    uploaded = upload_single(registered, CODE, "MyModel.py")
    assert uploaded.status_code in (200, 201, 203, 204)
    details = get_model(api).json()
    assert details["modelVersion"] == 1
    assert details["modelHash"] == CODE_HASH
    assert "weightsDownloadUrl" not in details
    download = storage.get(details["modelDownloadUrl"])  # no auth, as a presigned URL
    assert download.content == CODE
    assert local_hub.model_code(USER, "MyModel", 1) == CODE

    second = register_code(api)
    assert second["version"] == 2
    upload_single(second, CODE)
    assert get_model(api).json()["modelVersion"] == 2
    assert [(m["modelVersion"], m["codeStatus"]) for m in local_hub.models()] == [
        (1, "complete"),
        (2, "complete"),
    ]


def test_weights_single_upload(local_hub: LocalHub, api: httpx.Client) -> None:
    upload_single(register_code(api), CODE)
    weights = os.urandom(3000)
    registered = api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 1, "weightSize": len(weights)},
    )
    assert registered.status_code == 200
    shape = registered.json()
    assert shape["success"] is True and "uploadUrl" in shape
    assert upload_single(shape, weights, "weights.pt").status_code == 204
    details = get_model(api, 1).json()
    assert storage.get(details["weightsDownloadUrl"]).content == weights
    assert details["weightsSize"] == len(weights)
    assert local_hub.model_weights(USER, "MyModel", 1) == weights


def test_hash_mismatch_marks_the_version_failed(local_hub: LocalHub, api: httpx.Client) -> None:
    registered = register_code(api, model_hash="0" * 64)
    response = upload_single(registered, CODE)
    assert response.status_code == 400
    assert "hash" in response.json()["message"]
    assert get_model(api).status_code == 404
    assert local_hub.models()[0]["codeStatus"] == "failed"
    # A failed version takes no weights.
    weights = api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 1, "weightSize": 10},
    )
    assert weights.status_code == 409


def test_size_different_from_registered_is_refused(api: httpx.Client) -> None:
    registered = register_code(api)
    assert upload_single(registered, CODE + b"# more\n").status_code == 400
    registered = register_code(api)
    assert upload_single(registered, CODE[:-2]).status_code == 400


def test_storage_url_must_be_signed_and_key_field_must_match(api: httpx.Client) -> None:
    registered = register_code(api)
    bare = registered["uploadUrl"].split("?")[0]
    assert (
        storage.post(bare, data=registered["uploadFields"], files={"file": CODE}).status_code == 403
    )
    tampered = registered["uploadUrl"][:-4] + "0000"
    forged = storage.post(tampered, data=registered["uploadFields"], files={"file": CODE})
    assert forged.status_code == 403
    wrong_key = storage.post(registered["uploadUrl"], data={"key": "other"}, files={"file": CODE})
    assert wrong_key.status_code == 403
    no_file = storage.post(registered["uploadUrl"], data=registered["uploadFields"])
    assert no_file.status_code == 400
    # Still open after all that: the right request succeeds once, then the upload is closed.
    assert upload_single(registered, CODE).status_code == 204
    assert upload_single(registered, CODE).status_code == 409


def test_download_url_must_be_signed(api: httpx.Client) -> None:
    upload_single(register_code(api), CODE)
    url = get_model(api).json()["modelDownloadUrl"]
    assert storage.get(url.split("?")[0]).status_code == 403
    assert storage.get(url.replace("MyModel.py", "Other.py")).status_code == 403


def test_signature_expiry() -> None:
    from taskwizard.hub.localhub.signing import Signer

    signer = Signer(b"k" * 32)
    good = signer.sign("GET", "/storage/download/a", ttl=60)
    old = signer.sign("GET", "/storage/download/a", ttl=-5)

    def query(url: str) -> dict[str, list[str]]:
        from urllib.parse import parse_qs, urlsplit

        return parse_qs(urlsplit(url).query)

    assert signer.verify("GET", "/storage/download/a", query(good)) is None
    assert "expired" in (signer.verify("GET", "/storage/download/a", query(old)) or "")
    assert signer.verify("PUT", "/storage/download/a", query(good)) is not None


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"modelName": "not a class"}, "modelName"),
        ({"modelSize": 3 * 1024 * 1024 + 1}, "limit"),
        ({"modelHash": "ABC"}, "modelHash"),
        ({"privateModel": "yes"}, "privateModel"),
    ],
)
def test_bad_model_registrations(api: httpx.Client, change: dict[str, Any], fragment: str) -> None:
    body = {
        "modelName": "MyModel",
        "modelSize": len(CODE),
        "modelHash": CODE_HASH,
        "privateModel": True,
        "modelDescription": "",
        **change,
    }
    response = api.post("/api/models?multipartUpload=true", json=body)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert fragment in response.json()["errorMessage"]


def test_weights_over_500_mib_and_for_missing_versions_are_refused(api: httpx.Client) -> None:
    upload_single(register_code(api), CODE)
    too_big = api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 1, "weightSize": 524_288_001},
    )
    assert too_big.status_code == 400
    missing = api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 7, "weightSize": 10},
    )
    assert missing.status_code == 404


def test_get_models_needs_names(api: httpx.Client) -> None:
    assert api.get("/api/models").status_code == 400
    assert get_model(api).status_code == 404


# -------------------------------------------------------------- models: multipart


@pytest.fixture
def small_parts_hub(local_hub_factory: LocalHubFactory) -> LocalHub:
    return local_hub_factory(multipart_threshold=10, chunk_size=1000)


@pytest.fixture
def small_api(small_parts_hub: LocalHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=small_parts_hub.url, headers=small_parts_hub.auth_headers) as c:
        yield c


def test_multipart_code_and_weights(small_parts_hub: LocalHub, small_api: httpx.Client) -> None:
    code = b"class MyModel:\n" + b"    x = 1\n" * 300  # 3015 bytes -> 4 parts
    registered = register_code(small_api, code)
    assert registered["chunkSize"] == 1000
    assert len(registered["uploadUrls"]) == 4
    assert registered["key"]
    parts = upload_parts(registered, code)
    done = complete(small_api, registered, parts)
    assert done.status_code == 200, done.text
    assert small_parts_hub.model_code(USER, "MyModel", 1) == code

    weights = os.urandom(2500)
    shape = small_api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 1, "weightSize": len(weights)},
    ).json()
    assert len(shape["uploadUrls"]) == 3
    assert complete(small_api, shape, upload_parts(shape, weights)).status_code == 200
    details = get_model(small_api).json()
    assert storage.get(details["weightsDownloadUrl"]).content == weights
    # Completing again (a retry after a lost response) is answered, not refused;
    # the finished upload takes no more parts.
    again = complete(small_api, shape, [{"ETag": "x", "PartNumber": 1}])
    assert again.status_code == 200 and again.json()["alreadyComplete"] is True
    late = storage.put(shape["uploadUrls"][0], content=b"x")
    assert late.status_code == 409


def test_multipart_completion_checks_etags_order_and_parts(small_api: httpx.Client) -> None:
    code = b"class MyModel:\n" + b"    x = 1\n" * 300
    registered = register_code(small_api, code)
    parts = upload_parts(registered, code)

    wrong_etag = [dict(p) for p in parts]
    wrong_etag[1]["ETag"] = "0" * 32
    assert complete(small_api, registered, wrong_etag).status_code == 400

    swapped = [parts[1], parts[0], *parts[2:]]
    response = complete(small_api, registered, swapped)
    assert response.status_code == 400
    assert "Order" in response.json()["message"]

    assert complete(small_api, registered, parts[:-1]).status_code == 400
    bad_key = complete(small_api, {**registered, "key": "models/x"}, parts)
    assert bad_key.status_code == 400
    assert complete(small_api, registered, []).status_code == 400
    # Quoted ETags are accepted too.
    quoted = [{"ETag": f'"{p["ETag"]}"', "PartNumber": p["PartNumber"]} for p in parts]
    assert complete(small_api, registered, quoted).status_code == 200


def test_multipart_part_number_and_size_limits(small_api: httpx.Client) -> None:
    code = b"class MyModel:\n" + b"    x = 1\n" * 300
    registered = register_code(small_api, code)
    url = registered["uploadUrls"][0]
    too_big = storage.put(url, content=b"x" * 1001)
    assert too_big.status_code == 400
    # A signed URL for part 1 cannot be reused for part 9.
    forged = url.replace("/1?", "/9?")
    assert storage.put(forged, content=b"x").status_code == 403


def test_completion_before_every_part_arrived_is_refused(small_api: httpx.Client) -> None:
    code = b"class MyModel:\n" + b"    x = 1\n" * 300
    registered = register_code(small_api, code)
    parts = upload_parts({**registered, "uploadUrls": registered["uploadUrls"][:2]}, code)
    listed = parts + [{"ETag": "0" * 32, "PartNumber": 3}, {"ETag": "0" * 32, "PartNumber": 4}]
    response = complete(small_api, registered, listed)
    assert response.status_code == 400
    assert "never uploaded" in response.json()["message"]


# ------------------------------------------------------------------- streaming


def test_chunked_part_upload_and_chunked_form_upload(
    small_parts_hub: LocalHub, small_api: httpx.Client
) -> None:
    code = b"class MyModel:\n" + b"    x = 1\n" * 300
    registered = register_code(small_api, code)
    chunk = registered["chunkSize"]
    parts = []
    for index, url in enumerate(registered["uploadUrls"]):
        piece = code[index * chunk : (index + 1) * chunk]

        def pieces(data: bytes = piece) -> Iterator[bytes]:
            yield data[:7]
            yield data[7:]

        response = storage.put(url, content=pieces())  # no length: chunked transfer coding
        assert response.status_code == 200
        parts.append({"ETag": response.headers["ETag"].strip('"'), "PartNumber": index + 1})
    assert complete(small_api, registered, parts).status_code == 200
    assert small_parts_hub.model_code(USER, "MyModel", 1) == code

    # A single upload whose multipart/form-data body arrives chunked, in odd pieces.
    shape = small_api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 1, "weightSize": 6},
    ).json()
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
            f"{shape['uploadFields']['key']}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="w.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\r\n--x\r"
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def odd_pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 5):
            yield body[start : start + 5]

    response = storage.post(
        shape["uploadUrl"],
        content=odd_pieces(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 204, response.text
    assert small_parts_hub.model_weights(USER, "MyModel", 1) == b"\r\n--x\r"


def test_64_mib_uploads_do_not_grow_server_memory(local_hub_factory: LocalHubFactory) -> None:
    """A generous bound, not a benchmark: with the body streamed to disk the peak
    traced allocation stays far below the 64 MiB uploaded."""
    import tracemalloc

    size = 64 * 1024 * 1024
    block = os.urandom(1024 * 1024)
    hub = local_hub_factory(multipart_threshold=size - 1, chunk_size=size)
    with httpx.Client(base_url=hub.url, headers=hub.auth_headers, timeout=60) as api:
        upload_single(register_code(api), CODE)

        def register_weights() -> dict[str, Any]:
            result: dict[str, Any] = api.put(
                "/api/models?multipartUpload=true",
                json={"modelName": "MyModel", "modelVersion": 1, "weightSize": size},
            ).json()
            return result

        def blocks() -> Iterator[bytes]:
            for _ in range(size // len(block)):
                yield block

        tracemalloc.start()
        try:
            # One 64 MiB part, streamed with chunked transfer coding.
            shape = register_weights()
            response = storage.put(shape["uploadUrls"][0], content=blocks(), timeout=60)
            assert response.status_code == 200
            etag = response.headers["ETag"].strip('"')
            assert complete(api, shape, [{"ETag": etag, "PartNumber": 1}]).status_code == 200
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"peak traced memory {peak} bytes"
    stored = hub.store.object_path(hub.models()[0]["weightsKey"])
    assert stored.stat().st_size == size


def test_64_mib_form_upload_does_not_grow_server_memory(
    local_hub_factory: LocalHubFactory,
) -> None:
    import tracemalloc

    size = 64 * 1024 * 1024
    block = os.urandom(1024 * 1024)
    hub = local_hub_factory(multipart_threshold=size)
    with httpx.Client(base_url=hub.url, headers=hub.auth_headers, timeout=60) as api:
        upload_single(register_code(api), CODE)
        shape = api.put(
            "/api/models?multipartUpload=true",
            json={"modelName": "MyModel", "modelVersion": 1, "weightSize": size},
        ).json()
        boundary = "streamboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
            f"{shape['uploadFields']['key']}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="w.bin"\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            for _ in range(size // len(block)):
                yield block
            yield tail

        tracemalloc.start()
        try:
            response = storage.post(
                shape["uploadUrl"],
                content=body(),
                headers={
                    "content-type": f"multipart/form-data; boundary={boundary}",
                    "content-length": str(len(head) + size + len(tail)),
                },
                timeout=60,
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 204, response.text
    assert peak < 16 * 1024 * 1024, f"peak traced memory {peak} bytes"


# ------------------------------------------------------------- persistence, files


def test_data_survives_a_restart_and_files_are_private(
    local_hub_factory: LocalHubFactory, tmp_path: Path
) -> None:
    data = tmp_path / "hubdata"
    hub = local_hub_factory(data_dir=data)
    with httpx.Client(base_url=hub.url, headers=hub.auth_headers) as api:
        api.post("/api/task-templates", json=template_body())
        upload_single(register_code(api), CODE)
    key_id, key = hub.api_key_id, hub.api_key
    assert hub.credentials_source == "generated"
    hub.stop()

    again = LocalHub(data, username=USER)
    assert (again.api_key_id, again.api_key) == (key_id, key)
    assert again.credentials_source == "stored"
    with again:
        assert [t["slug"] for t in again.templates()] == ["my-task"]
        assert again.model_code(USER, "MyModel", 1) == CODE

    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    stored = json.loads((data / "credentials.json").read_text())
    assert stored["users"][USER]["api_key"] == key


def test_environment_key_pair_is_used_when_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BITFOUNT_API_KEY_ID", "envid")
    monkeypatch.setenv("BITFOUNT_API_KEY", "envkey")
    hub = LocalHub(tmp_path / "h", username=USER)
    assert (hub.api_key_id, hub.api_key, hub.credentials_source) == (
        "envid",
        "envkey",
        "environment",
    )
    assert not (tmp_path / "h" / "credentials.json").exists()


def test_only_loopback_and_sane_usernames(tmp_path: Path) -> None:
    with pytest.raises(LocalHubError, match="loopback"):
        LocalHub(tmp_path, username=USER, host="0.0.0.0")
    # Bitfount's own username rule (model/names.py), the one the setup checks.
    for bad in ("a/b", "Alice", "a.b", "a-", "x" * 40):
        with pytest.raises(LocalHubError, match="not a Bitfount username"):
            LocalHub(tmp_path, username=bad)


def test_second_hub_on_the_same_folder_is_refused(
    local_hub: LocalHub, local_hub_factory: LocalHubFactory
) -> None:
    with pytest.raises(LocalHubLocked) as caught:
        local_hub_factory(data_dir=local_hub.data_dir)
    message = str(caught.value)
    assert str(os.getpid()) in message and local_hub.url in message
    # The first still works; once it stops, the folder is free again.
    assert storage.get(f"{local_hub.url}/api/health").status_code == 200
    local_hub.stop()
    with LocalHub(local_hub.data_dir, username=USER):
        pass


def test_port_in_use_is_a_clear_error(local_hub: LocalHub, tmp_path: Path) -> None:
    other = LocalHub(tmp_path / "other", username=USER, port=local_hub.port)
    with pytest.raises(LocalHubError, match="port"):
        other.start()
    # The failed start released its folder lock.
    with LocalHub(tmp_path / "other", username=USER):
        pass


# ------------------------------------------------------------------ fault plan


def test_fault_before_handling_changes_nothing(local_hub: LocalHub, api: httpx.Client) -> None:
    rule = local_hub.faults.fail("POST", r"^/api/task-templates$", status=503, retry_after=1)
    response = api.post("/api/task-templates", json=template_body())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert local_hub.templates() == []
    assert rule.spent
    assert api.post("/api/task-templates", json=template_body()).status_code == 201
    assert [f.action for f in local_hub.faults.fired] == ["status 503"]


def test_fault_after_handling_loses_the_response(local_hub: LocalHub, api: httpx.Client) -> None:
    local_hub.faults.fail("POST", r"^/api/task-templates$", status=500, when="after")
    response = api.post("/api/task-templates", json=template_body())
    assert response.status_code == 500
    # ... but the template was created: a blind retry would now conflict.
    assert [t["slug"] for t in local_hub.templates()] == ["my-task"]
    assert api.post("/api/task-templates", json=template_body()).status_code == 409


def test_fault_skip_and_times(local_hub: LocalHub, api: httpx.Client) -> None:
    local_hub.faults.fail("GET", "/api/task-templates/", status=500, skip=1, times=2)
    statuses = [api.get(f"/api/task-templates/{USER}/x").status_code for _ in range(4)]
    assert statuses == [404, 500, 500, 404]
    assert local_hub.faults.pending() == []


def test_drop_mid_upload_then_retry_succeeds(
    small_parts_hub: LocalHub, small_api: httpx.Client
) -> None:
    code = b"class MyModel:\n" + b"    x = 1\n" * 300
    registered = register_code(small_api, code)
    small_parts_hub.faults.drop("PUT", r"^/storage/part/.*/2$", after_bytes=100)
    with pytest.raises(httpx.TransportError):
        upload_parts(registered, code)
    log = small_parts_hub.request_log
    assert log[-1].status is None and log[-1].fault == "drop"
    parts = upload_parts(registered, code)  # the same presigned URLs work again
    assert complete(small_api, registered, parts).status_code == 200
    assert small_parts_hub.model_code(USER, "MyModel", 1) == code


def test_drop_after_handling(local_hub: LocalHub, api: httpx.Client) -> None:
    local_hub.faults.drop("POST", r"^/api/models", when="after")
    with pytest.raises(httpx.TransportError):
        register_code(api)
    # The version was registered even though the client never heard back.
    assert [m["codeStatus"] for m in local_hub.models()] == ["pending"]


def test_fault_plan_passed_to_the_constructor(local_hub_factory: LocalHubFactory) -> None:
    plan = FaultPlan()
    plan.fail("*", r"^/api/health", status=502)
    hub = local_hub_factory(faults=plan)
    assert hub.faults is plan
    assert storage.get(f"{hub.url}/api/health").status_code == 502
    assert storage.get(f"{hub.url}/api/health").status_code == 200


# ------------------------------------------------------------------ request log


def test_request_log_names_requests_without_secrets(local_hub: LocalHub, api: httpx.Client) -> None:
    lines: list[str] = []
    local_hub.app.log = lines.append
    upload_single(register_code(api), CODE)
    api.get("/api/models", params={"modellerName": USER, "modelName": "MyModel"})
    text = "\n".join(lines)
    assert "POST /api/models?multipartUpload=true -> 200" in text
    assert "POST /storage/single/" in text
    assert local_hub.api_key not in text and local_hub.api_key_id not in text
    assert "signature" not in text
    assert [r.status for r in local_hub.request_log] == [200, 204, 200]
    assert local_hub.request_log[0].username == USER


# ------------------------------------------------------------- device-code login


def test_device_code_login(local_hub_factory: LocalHubFactory) -> None:
    hub = local_hub_factory(device_interval=0)
    started = storage.post(
        f"{hub.url}/oauth/device/code",
        data={"client_id": "cid", "scope": "profile openid offline_access", "audience": "x"},
    ).json()
    poll = {
        "client_id": "cid",
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": started["device_code"],
    }
    pending = storage.post(f"{hub.url}/oauth/token", data=poll)
    assert pending.json()["error"] == "authorization_pending"
    assert started["verification_uri_complete"].endswith(started["user_code"])

    page = storage.get(started["verification_uri_complete"])
    assert started["user_code"] in page.text
    refused = storage.post(
        f"{hub.url}/activate",
        data={"user_code": started["user_code"], "api_key_id": "x", "api_key": "y"},
    )
    assert "not this hub" in refused.text
    assert storage.post(f"{hub.url}/oauth/token", data=poll).json()["error"] == (
        "authorization_pending"
    )
    approved = storage.post(
        f"{hub.url}/activate",
        data={
            "user_code": started["user_code"],
            "api_key_id": hub.api_key_id,
            "api_key": hub.api_key,
        },
    )
    assert "Approved" in approved.text
    tokens = storage.post(f"{hub.url}/oauth/token", data=poll).json()
    import base64

    claims = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
    assert claims["https://www.bitfount.com/username"] == USER
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert storage.get(f"{hub.url}/api/task-templates/{USER}", headers=bearer).status_code == 200

    refresh = {"client_id": "cid", "grant_type": "refresh_token"}
    refreshed = storage.post(
        f"{hub.url}/oauth/token", data=refresh | {"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]
    reused = storage.post(
        f"{hub.url}/oauth/token", data=refresh | {"refresh_token": tokens["refresh_token"]}
    )
    assert reused.json()["error"] == "invalid_grant"
    # The device code is spent.
    assert storage.post(f"{hub.url}/oauth/token", data=poll).json()["error"] == "invalid_grant"


# ------------------------------------------------------------ upload forms


def form_body(boundary: str, fields: dict[str, str], file_data: bytes) -> bytes:
    # No preamble: python-multipart refuses one (no HTTP client sends it).
    out = b""
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="we\\"ird;name.py"\r\nContent-Type: text/x-python\r\n\r\n'
    ).encode()
    return out + file_data + f"\r\n--{boundary}--\r\n".encode()


def register_weights(api: httpx.Client, size: int) -> dict[str, Any]:
    result: dict[str, Any] = api.put(
        "/api/models?multipartUpload=true",
        json={"modelName": "MyModel", "modelVersion": 1, "weightSize": size},
    ).json()
    return result


@pytest.mark.parametrize("step", [1, 3, 17, 4096])
@pytest.mark.parametrize("chunked", [False, True])
def test_upload_form_across_read_boundaries(
    local_hub: LocalHub, api: httpx.Client, step: int, chunked: bool
) -> None:
    boundary = "----xyz"
    # Data that nearly contains the delimiter, more than once.
    file_data = b"a\r\n------xy\r\n--" + bytes(range(256)) + b"\r\n------xyZ\r"
    upload_single(register_code(api), CODE)
    shape = register_weights(api, len(file_data))
    raw = form_body(boundary, {"key": shape["uploadFields"]["key"], "other": "v"}, file_data)

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(raw), step):
            yield raw[start : start + step]

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    if not chunked:
        headers["content-length"] = str(len(raw))
    response = storage.post(shape["uploadUrl"], content=pieces(), headers=headers)
    assert response.status_code == 204, response.text
    assert local_hub.model_weights(USER, "MyModel", 1) == file_data


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (
            b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nK\r\n--b\r\n'
            b'Content-Disposition: form-data; name="file"\r\n\r\nno closing boundary',
            "closing boundary",
        ),
        (b"--b\r\nno-disposition: x\r\n\r\ndata\r\n--b--\r\n", "Content-Disposition"),
        (b"nothing that looks like a boundary at all", "malformed"),
    ],
)
def test_malformed_upload_forms_are_400_and_leave_nothing(
    local_hub: LocalHub, api: httpx.Client, raw: bytes, fragment: str
) -> None:
    upload_single(register_code(api), CODE)
    shape = register_weights(api, 64)
    raw = raw.replace(b"K", shape["uploadFields"]["key"].encode())
    response = storage.post(
        shape["uploadUrl"],
        content=raw,
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert list((local_hub.data_dir / "incoming").iterdir()) == []


def test_body_over_the_api_limit_is_413(small_parts_hub: LocalHub) -> None:
    import socket

    headers = "".join(f"{k}: {v}\r\n" for k, v in small_parts_hub.auth_headers.items())
    request = (
        f"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
        f"Content-Type: application/json\r\nContent-Length: {17 * 1024 * 1024}\r\n\r\n{{"
    ).encode()
    with socket.create_connection(("127.0.0.1", small_parts_hub.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while not answer.endswith(b"}"):  # the JSON body may come in a second segment
            answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"over the 4194304-byte limit" in answer


# ---------------------------------------------------------------- the command


def test_taskwizard_hub_command_serves_prints_the_pair_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess
    import sys

    script = (
        "import argparse, sys\n"
        "from taskwizard.commands import hub\n"
        "parser = argparse.ArgumentParser()\n"
        "hub.add_arguments('hub', parser)\n"
        "sys.exit(hub.run('hub', parser.parse_args(sys.argv[1:])))\n"
    )
    data = tmp_path / "cmdhub"
    args = [sys.executable, "-c", script, "--port", "0", "--data", str(data), "--username", USER]
    # Ctrl+C as in a terminal: a run started in the background of a shell (as a CI
    # script may be) inherits SIGINT ignored, and Python then keeps ignoring it.
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path.cwd(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(7)]
        text = "".join(banner)
        url = banner[0].split(" on ")[1].split()[0]
        key_id = text.split("BITFOUNT_API_KEY_ID=")[1].split()[0]
        key = text.split("BITFOUNT_API_KEY=")[1].split()[0]
        assert f"user: {USER}" in text
        headers = {"x-api-key-id": key_id, "x-api-key": key}
        assert storage.get(f"{url}/api/task-templates/{USER}", headers=headers).status_code == 200

        second = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"process {process.pid}" in second.stderr and "already using" in second.stderr
        assert "Traceback" not in second.stderr

        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "local hub stopped" in err
    # One log line per request, without the key.
    assert f"GET /api/task-templates/{USER} -> 200" in err
    assert key not in err


def test_leftovers_of_abandoned_uploads_are_swept_at_start(
    local_hub_factory: LocalHubFactory, tmp_path: Path
) -> None:
    data = tmp_path / "sweep"
    hub = local_hub_factory(data_dir=data, multipart_threshold=10, chunk_size=1000)
    with httpx.Client(base_url=hub.url, headers=hub.auth_headers) as api:
        code = b"class MyModel:\n" + b"    x = 1\n" * 300
        registered = register_code(api, code)
        upload_parts({**registered, "uploadUrls": registered["uploadUrls"][:1]}, code)
    hub.stop()
    stray = data / "incoming" / "not-an-upload"
    stray.mkdir()
    (stray / "part-00001").write_bytes(b"x")
    with LocalHub(data, username=USER):
        assert not stray.exists()
        # An open upload's parts are kept: it can still be finished.
        assert (data / "incoming" / registered["uploadId"]).exists()


def test_parts_uploaded_in_parallel_and_out_of_order(
    small_parts_hub: LocalHub, small_api: httpx.Client
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    code = b"class MyModel:\n" + b"    x = 1\n" * 900  # 9015 bytes -> 10 parts
    registered = register_code(small_api, code)
    chunk = registered["chunkSize"]
    numbered = list(enumerate(registered["uploadUrls"], start=1))

    def put(item: tuple[int, str]) -> dict[str, Any]:
        number, url = item
        piece = code[(number - 1) * chunk : number * chunk]
        response = storage.put(url, content=piece)
        assert response.status_code == 200
        return {"ETag": response.headers["ETag"].strip('"'), "PartNumber": number}

    with ThreadPoolExecutor(max_workers=4) as pool:
        parts = list(pool.map(put, reversed(numbered)))
    parts.sort(key=lambda part: part["PartNumber"])
    assert complete(small_api, registered, parts).status_code == 200
    assert small_parts_hub.model_code(USER, "MyModel", 1) == code


# ------------------------------------------------- hostile input (issue 13)


def raw_exchange(hub: LocalHub, request: bytes, timeout: float = 5) -> tuple[bytes, bool, float]:
    """Send ``request`` on a fresh connection; the bytes answered, whether the hub
    closed the connection, and how long that took."""
    import socket
    import time

    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", hub.port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        closed = False
        try:
            while chunk := sock.recv(65536):
                answer += chunk
            closed = True
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
    return answer, closed, time.monotonic() - started


BODY19 = b"0123456789012345678"
SMUGGLED = b"GET /api/health?smuggled=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def chunked_with_size(size_line: bytes) -> bytes:
    return (
        b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n" + BODY19 + b"\r\n0\r\n\r\n"
    )


FRAMING_CASES = {
    "content-length +19": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Length: +19\r\n\r\n" + BODY19,
    "content-length 1_9": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Length: 1_9\r\n\r\n" + BODY19,
    "two content-lengths": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Length: 19\r\nContent-Length: 5\r\n\r\n" + BODY19,
    "content-length and chunked": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "gzip coding, no length": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: gzip\r\n\r\n" + SMUGGLED,
    "notchunked": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: notchunked\r\n\r\n13\r\n" + BODY19 + b"\r\n0\r\n\r\n",
    "chunked, gzip": b"POST /api/task-templates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: chunked, gzip\r\n\r\n13\r\n" + BODY19 + b"\r\n0\r\n\r\n",
    "chunk size 0x13": chunked_with_size(b"0x13"),
    "chunk size 1_3": chunked_with_size(b"1_3"),
    "chunk size +13": chunked_with_size(b"+13"),
    "chunk size ' 13'": chunked_with_size(b" 13"),
    "malformed chunk": chunked_with_size(b"zz"),
}


@pytest.mark.parametrize("case", sorted(FRAMING_CASES))
def test_bad_framing_is_400_and_the_connection_closes(local_hub: LocalHub, case: str) -> None:
    answer, closed, seconds = raw_exchange(local_hub, FRAMING_CASES[case])
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1  # nothing smuggled was served
    assert closed and seconds < 3
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert "framing" in body["message"]
    assert not any(r.query == "smuggled=1" for r in local_hub.request_log)


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/task-templates"),
        ("POST", f"/api/task-templates/{USER}/my-task"),
        ("PATCH", f"/api/task-templates/{USER}/my-task"),
        ("POST", "/api/models"),
        ("PUT", "/api/models"),
        ("POST", "/api/upload"),
    ],
)
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (deep_json(100_000), "nested too deeply"),
        (b'{"a": ' + deep_json(65) + b"}", "nested too deeply"),
        (b'{"modelSize": 1' + b"0" * 5000 + b"}", "number"),
        (b'{"title": "\\ud800"}', "surrogate"),
        (b'{"title": NaN}', "NaN"),
        (b'{"title": 1e999}', "too large"),
        (b'{"title": ', "not valid JSON"),
    ],
)
def test_hostile_json_is_400_with_a_reason(
    api: httpx.Client, method: str, path: str, body: bytes, fragment: str
) -> None:
    response = api.request(method, path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]


def test_15_mib_json_is_413_before_it_is_read(local_hub: LocalHub, api: httpx.Client) -> None:
    body = b'{"title": "' + b"x" * (15 * 1024 * 1024) + b'"}'
    response = api.post("/api/task-templates", content=body)
    assert response.status_code == 413
    assert "limit" in response.json()["message"]


@pytest.mark.parametrize("version", ["%C2%B2", str(10**30), "-1", "1.0", ""])
def test_odd_versions_are_400(api: httpx.Client, version: str) -> None:
    assert api.post("/api/task-templates", json=template_body()).status_code == 201
    response = api.get(f"/api/task-templates/{USER}/my-task?version={version}")
    assert response.status_code == 400, response.text
    assert "whole number" in response.json()["message"]
    model = api.get(f"/api/models?modellerName={USER}&modelName=MyModel&modelVersion={version}")
    assert model.status_code == 400
    weights = api.put(
        "/api/models", json={"modelName": "MyModel", "modelVersion": 10**30, "weightSize": 1}
    )
    assert weights.status_code == 400


def test_nul_in_a_signed_download_key_is_400(local_hub: LocalHub) -> None:
    signed = local_hub.app.signer.sign("GET", "/storage/download/models/x%00y")
    response = storage.get(local_hub.url + signed)
    assert response.status_code == 400
    assert "control character" in response.json()["message"]
    unsigned = storage.get(local_hub.url + "/storage/download/models/x%00y")
    assert unsigned.status_code == 403


def test_7000_field_form_is_400_and_server_memory_stays_flat(
    local_hub: LocalHub, api: httpx.Client
) -> None:
    import tracemalloc

    upload_single(register_code(api), CODE)
    shape = register_weights(api, 10)
    value = b"v" * (60 * 1024)

    def fields() -> Iterator[bytes]:
        for number in range(7000):
            yield (
                f'--b\r\nContent-Disposition: form-data; name="f{number}"\r\n\r\n'.encode()
                + value
                + b"\r\n"
            )
        yield b"--b--\r\n"

    tracemalloc.start()
    try:
        response = storage.post(
            shape["uploadUrl"],
            content=fields(),
            headers={"content-type": "multipart/form-data; boundary=b"},
            timeout=120,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert "field" in response.json()["message"]
    assert peak < 16 * 1024 * 1024, f"peak traced memory {peak} bytes"
    assert list((local_hub.data_dir / "incoming").iterdir()) == []


def test_one_form_field_over_64_kib_is_400(local_hub: LocalHub, api: httpx.Client) -> None:
    upload_single(register_code(api), CODE)
    shape = register_weights(api, 10)
    response = storage.post(
        shape["uploadUrl"], data={"key": "k" * 70_000}, files={"file": ("w", b"0123456789")}
    )
    assert response.status_code == 400
    assert "over 65536 bytes" in response.json()["message"]


def test_device_code_table_is_bounded(local_hub: LocalHub) -> None:
    from taskwizard.hub.localhub.core import MAX_PENDING_DEVICE_CODES

    answers = [
        storage.post(f"{local_hub.url}/oauth/device/code", data={"client_id": "c"}).status_code
        for _ in range(MAX_PENDING_DEVICE_CODES + 20)
    ]
    assert answers.count(200) == MAX_PENDING_DEVICE_CODES
    assert set(answers[MAX_PENDING_DEVICE_CODES:]) == {429}
    assert local_hub.pending_device_codes == MAX_PENDING_DEVICE_CODES


def test_expired_device_codes_are_pruned(local_hub: LocalHub) -> None:
    from taskwizard.hub.localhub import core

    for _ in range(core.MAX_PENDING_DEVICE_CODES):
        storage.post(f"{local_hub.url}/oauth/device/code", data={"client_id": "c"})
    with local_hub.app._auth_lock:
        for code in local_hub.app._device_codes.values():
            code.expires_at = 0  # ten minutes later
    response = storage.post(f"{local_hub.url}/oauth/device/code", data={"client_id": "c"})
    assert response.status_code == 200
    assert local_hub.pending_device_codes == 1


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.2", "localhost.evil.example", ""])
def test_foreign_host_headers_are_refused(local_hub: LocalHub, host: str) -> None:
    request = f"GET /api/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    answer, _, _ = raw_exchange(local_hub, request)
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"is not this hub's" in answer


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_host_headers_are_served(local_hub: LocalHub, host: str) -> None:
    response = storage.get(
        f"{local_hub.url}/api/health", headers={"host": f"{host}:{local_hub.port}"}
    )
    assert response.status_code == 200


def test_every_error_is_json(api: httpx.Client) -> None:
    for response in (
        api.get("/nowhere"),
        api.delete("/api/task-templates"),
        api.post("/api/health"),
    ):
        assert response.status_code in (404, 405)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["message"]


def test_a_defect_is_a_json_500_and_printed(
    local_hub: LocalHub, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(local_hub.store, "list_templates", broken)
    response = api.get("/api/task-templates")
    assert response.status_code == 500
    assert "internal error" in response.json()["message"]
    assert "RuntimeError: a bug" in capfd.readouterr().err
    assert api.get("/api/health").status_code == 200


def test_many_clients_at_once_are_all_served(local_hub: LocalHub) -> None:
    """The listen backlog holds a burst of connections (the old server's was 5)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_: int) -> int:
        with httpx.Client(timeout=60) as client:
            return client.get(f"{local_hub.url}/api/health").status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200


def test_delay_fault(local_hub: LocalHub, api: httpx.Client) -> None:
    import time

    local_hub.faults.delay("GET", r"^/api/health$", seconds=0.5)
    started = time.monotonic()
    assert api.get("/api/health").status_code == 200
    assert time.monotonic() - started >= 0.5
    assert local_hub.faults.fired[0].action == "delay 0.5 s"


# --------------------------------------------------- partial uploads (issue 13)


def test_half_written_bodies_are_swept_at_start_finished_parts_kept(
    local_hub_factory: LocalHubFactory, tmp_path: Path
) -> None:
    data = tmp_path / "sweep"
    hub = local_hub_factory(data_dir=data, multipart_threshold=10, chunk_size=1000)
    with httpx.Client(base_url=hub.url, headers=hub.auth_headers) as api:
        code = b"class MyModel:\n" + b"    x = 1\n" * 300
        registered = register_code(api, code)
        upload_parts({**registered, "uploadUrls": registered["uploadUrls"][:1]}, code)
        single = register_code(api, CODE)
    hub.stop()
    # What kill -9 leaves: bodies cut off mid-write, for open uploads.
    folder = data / "incoming" / registered["uploadId"]
    (folder / "part-00002.abcd1234").write_bytes(b"x" * 500)
    cut = data / "incoming" / single["uploadId"]
    cut.mkdir()
    (cut / "joined-abcd1234").write_bytes(b"x" * 5000)
    with LocalHub(data, username=USER):
        assert sorted(p.name for p in folder.iterdir()) == ["part-00001"]
        assert not cut.exists()  # no empty folder left either


def test_abandoned_uploads_expire_and_are_swept_while_running(
    local_hub_factory: LocalHubFactory,
) -> None:
    import time

    hub = local_hub_factory(multipart_threshold=10, chunk_size=1000, upload_expiry=1.0)
    with httpx.Client(base_url=hub.url, headers=hub.auth_headers) as api:
        code = b"class MyModel:\n" + b"    x = 1\n" * 300
        registered = register_code(api, code)
        parts = upload_parts(registered, code)
        folder = hub.data_dir / "incoming" / registered["uploadId"]
        assert folder.exists()
        deadline = time.monotonic() + 10
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not folder.exists()
        refused = complete(api, registered, parts)
        assert refused.status_code == 409
        assert "expired" in refused.json()["message"]
        late = storage.put(registered["uploadUrls"][0], content=b"x")
        assert late.status_code in (403, 409)  # URL expired with the upload, or refused
    assert list((hub.data_dir / "incoming").iterdir()) == []


def test_an_upload_being_written_is_never_swept(tmp_path: Path) -> None:
    import time

    from taskwizard.hub.localhub.store import HubStore

    store = HubStore(tmp_path / "hub", upload_expiry=0.01)
    _, upload = store.register_code(
        USER, "M", size=3, model_hash="0" * 64, private=True, description="",
        kind="single", chunk_size=3, parts=1,
    )  # fmt: skip
    staged = store.incoming_path(upload.id).with_name("single-x")
    staged.parent.mkdir()
    staged.write_bytes(b"abc")
    time.sleep(0.05)
    with store.writing(upload.id):
        assert store.sweep_abandoned() == []
        assert staged.exists()
    assert store.sweep_abandoned() == [upload.id]
    assert not staged.parent.exists()
    store.close()


def test_failed_uploads_leave_no_folders(local_hub: LocalHub, api: httpx.Client) -> None:
    registered = register_code(api)
    wrong_key = {**registered, "uploadFields": {"key": "not-the-key"}}
    assert upload_single(wrong_key, CODE).status_code == 403
    assert upload_single(registered, CODE + b"too long").status_code == 400
    assert list((local_hub.data_dir / "incoming").iterdir()) == []


def test_sdk_uploader_requests_on_localhost(local_hub: LocalHub) -> None:
    """Bitfount's SDK talks to http://localhost:<port> (its dev hub): the
    template and model requests of bitfount-hub.md, in its order and shapes."""
    base = f"http://localhost:{local_hub.port}"
    with httpx.Client(base_url=base, headers=local_hub.auth_headers) as sdk:
        assert sdk.get(f"/api/task-templates/{USER}/my-task").status_code == 404
        assert sdk.post("/api/task-templates", json=template_body()).status_code == 201
        assert (
            sdk.patch(f"/api/task-templates/{USER}/my-task", data={"state": "archived"})
        ).status_code == 200
        assert (
            sdk.patch(f"/api/task-templates/{USER}/my-task", data={"state": "published"})
        ).status_code == 200
        tags = sdk.patch(f"/api/task-templates/{USER}/my-task", json={"tags": ["b", "a"]})
        assert tags.json()["tags"] == ["b", "a"]
        assert sdk.get(f"/api/models?modellerName={USER}&modelName=MyModel").status_code == 404
        registered = register_code(sdk)
        assert registered["uploadUrl"].startswith("http://127.0.0.1:")
        assert upload_single(registered, CODE).status_code == 204
        weights = os.urandom(3000)
        shape = sdk.put(
            "/api/models?multipartUpload=true",
            json={"modelName": "MyModel", "modelVersion": 1, "weightSize": len(weights)},
        ).json()
        assert upload_single(shape, weights).status_code == 204
        found = sdk.get(f"/api/models?modellerName={USER}&modelName=MyModel").json()
        assert storage.get(found["weightsDownloadUrl"]).content == weights


def test_hub_command_upload_expiry_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from taskwizard.commands import hub as hub_command

    parser = argparse.ArgumentParser()
    hub_command.add_arguments("hub", parser)
    base = ["--port", "0", "--data", str(tmp_path / "h"), "--username", USER]
    assert hub_command.run("hub", parser.parse_args([*base, "--upload-expiry", "0"])) == 2
    assert "--upload-expiry must be a positive" in capsys.readouterr().err

    seen: list[float] = []

    def refuse(self: LocalHub) -> None:
        seen.append(self.config.upload_expiry)
        raise LocalHubError("stop here")

    monkeypatch.setattr(LocalHub, "start", refuse)
    assert hub_command.run("hub", parser.parse_args([*base, "--upload-expiry", "90"])) == 1
    assert hub_command.run("hub", parser.parse_args(base)) == 1
    assert seen == [90.0, 7200.0]


def test_a_stalled_upload_is_408_and_its_partial_file_deleted(
    local_hub: LocalHub, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskwizard.hub.localhub.routes import common

    monkeypatch.setattr(common, "BODY_IDLE_TIMEOUT", 0.5)
    upload_single(register_code(api), CODE)
    shape = register_weights(api, 1000)
    target = shape["uploadUrl"].removeprefix(local_hub.url)
    head = (
        f'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
        f"{shape['uploadFields']['key']}\r\n--b\r\n"
        'Content-Disposition: form-data; name="file"; filename="w"\r\n\r\n'
        "only part of it"
    ).encode()
    request = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {len(head) + 2000}\r\n\r\n"
    ).encode() + head
    answer, closed, seconds = raw_exchange(local_hub, request, timeout=10)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"stalled" in answer
    assert closed and seconds < 5
    assert list((local_hub.data_dir / "incoming").iterdir()) == []


def test_kill_9_mid_upload_loses_nothing_acknowledged_and_leaves_no_partial_file(
    tmp_path: Path,
) -> None:
    """A hub process killed with SIGKILL while a big upload streams in: the store
    passes SQLite's integrity check, every acknowledged write is there, and the
    next start deletes the half-received body (and its folder)."""
    import contextlib
    import signal
    import sqlite3
    import subprocess
    import sys
    import threading
    import time

    data = tmp_path / "killed"
    script = (
        "import json, sys\n"
        "from taskwizard.hub.localhub import LocalHub\n"
        f"hub = LocalHub(sys.argv[1], username={USER!r}, multipart_threshold=100 * 1024 * 1024)\n"
        "hub.start()\n"
        "print(json.dumps({'url': hub.url, 'id': hub.api_key_id, 'key': hub.api_key}),\n"
        "      flush=True)\n"
        "hub.wait()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(data)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        headers = {"x-api-key-id": info["id"], "x-api-key": info["key"]}
        with httpx.Client(base_url=info["url"], headers=headers, timeout=30) as api:
            for number in range(5):
                created = api.post("/api/task-templates", json=template_body(f"t-{number}"))
                assert created.status_code == 201
            upload_single(register_code(api), CODE)
            shape = register_weights(api, 50 * 1024 * 1024)
            sent = threading.Event()

            def endless() -> Iterator[bytes]:
                head = (
                    f'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
                    f"{shape['uploadFields']['key']}\r\n--b\r\n"
                    'Content-Disposition: form-data; name="file"; filename="w"\r\n\r\n'
                ).encode()
                yield head
                for _ in range(20):
                    yield b"w" * (1024 * 1024)
                sent.set()
                time.sleep(30)  # the hub is killed while the body is still coming
                yield b""

            def upload() -> None:
                with contextlib.suppress(httpx.HTTPError):
                    storage.post(
                        shape["uploadUrl"],
                        content=endless(),
                        headers={"content-type": "multipart/form-data; boundary=b"},
                        timeout=60,
                    )

            uploader = threading.Thread(target=upload, daemon=True)
            uploader.start()
            assert sent.wait(30)
            incoming = data / "incoming"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(incoming.rglob("single-*")):
                time.sleep(0.05)
            assert any(incoming.rglob("single-*"))  # a partial body on disk
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with sqlite3.connect(data / "hub.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with LocalHub(data, username=USER) as hub:
        assert sorted(t["slug"] for t in hub.templates()) == [f"t-{n}" for n in range(5)]
        assert hub.models()[0]["codeStatus"] == "complete"
        assert list((data / "incoming").iterdir()) == []


@pytest.mark.parametrize("where", ["url", "one header", "many headers"])
def test_an_endless_request_head_is_431_and_closed(local_hub: LocalHub, where: str) -> None:
    """httptools sets no limit on the request line or headers; the hub does (64 KiB)."""
    filler = "x" * 100_000
    if where == "url":
        head = f"GET /api/health?{filler} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    elif where == "one header":
        head = f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {filler}\r\n\r\n"
    else:
        lines = "".join(f"X-{n}: {'y' * 50}\r\n" for n in range(2000))
        head = f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n"
    answer, closed, _ = raw_exchange(local_hub, head.encode())
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"over 65536 bytes" in answer
    assert closed
    # A normal request on a new connection is still served.
    assert storage.get(f"{local_hub.url}/api/health").status_code == 200


def test_a_body_read_reaches_the_app_without_a_copy() -> None:
    """uvicorn appends each body read to a bytearray that its receive() copies into
    bytes (two copies of every uploaded byte); the hub's protocol hands the read to
    the app as it is, and joins reads only when the app is behind."""
    import asyncio
    from types import SimpleNamespace

    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    from taskwizard.hub.localhub.server import BODY_HIGH_WATER, HubProtocol

    paused: list[str] = []
    flow = SimpleNamespace(
        pause_reading=lambda: paused.append("pause"), resume_reading=lambda: None
    )
    cycle: Any = SimpleNamespace(
        body=bytearray(),
        more_body=True,
        response_complete=False,
        disconnected=False,
        waiting_for_100_continue=False,
        message_event=asyncio.Event(),
        flow=flow,
        transport=None,
    )
    protocol: Any = HubProtocol.__new__(HubProtocol)
    protocol.cycle = cycle
    protocol.flow = flow
    protocol.parser = SimpleNamespace(should_upgrade=lambda: False)

    async def receive() -> Any:
        return await RequestResponseCycle.receive(cycle)

    first = os.urandom(256 * 1024)
    protocol.on_body(first)
    message = asyncio.run(receive())
    assert message["body"] is first  # the very object read from the socket
    assert paused == []

    # The app is behind: two reads are joined, in order, and reading pauses past the mark.
    second, third = os.urandom(300 * 1024), os.urandom(300 * 1024)
    protocol.on_body(second)
    protocol.on_body(third)
    assert len(second) + len(third) > BODY_HIGH_WATER
    assert paused == ["pause"]
    assert asyncio.run(receive())["body"] == second + third
