"""Upload at the edges: whose key it is, weights that failed, storage errors in words."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from upload_project import make_project, weights_bytes

from taskwizard.commands import upload as upload_command
from taskwizard.hub.auth import Credentials
from taskwizard.hub.client import WHOAMI_PATH, HubClient, HubError, WrongUser
from taskwizard.hub.localhub import LocalHub
from taskwizard.hub.plan import build_plan
from taskwizard.hub.upload import FileProgress, execute_plan

USER = "alice"

S3_FORBIDDEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message><RequestId>ABC123</RequestId>"
    "<HostId>x+y/z==</HostId></Error>"
)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="taskwizard upload")
    upload_command.add_arguments("upload", parser)
    return upload_command.run("upload", parser.parse_args(list(argv)))


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
def client(hub: LocalHub) -> Iterator[HubClient]:
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "API key of the test hub")
    with HubClient(hub.url, creds, sleep=lambda s: None) as c:
        yield c


def writes(hub: LocalHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in hub.request_log if r.method not in ("GET", "HEAD")]


# ------------------------------------------------------------- whose key


def test_the_local_hub_says_whose_key_it_is(client: HubClient) -> None:
    assert client.whoami() == USER
    assert client.confirm_user(USER) is True
    with pytest.raises(WrongUser, match="belongs to 'alice'.*not 'bob'"):
        client.confirm_user("bob")


@pytest.mark.parametrize("extra", [["--yes"], ["--dry-run"]])
def test_upload_as_bob_with_alices_key_is_refused_before_any_write(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    config = make_project(tmp_path / "p")
    hub.clear_request_log()
    assert run_cli(str(config), "--hub", hub.url, "--username", "bob", *extra) == 2
    err = capsys.readouterr().err
    assert "belongs to 'alice'" in err and "not 'bob'" in err and "--username alice" in err
    assert writes(hub) == []
    assert hub.models() == [] and hub.templates(USER) == []
    # nothing was even looked up as bob: the check comes before the plan's GETs
    assert not any("bob" in r.query for r in hub.request_log)


@pytest.mark.parametrize("status", [404, 405, 403, 200])
def test_a_hub_that_does_not_say_gives_a_warning_not_a_refusal(tmp_path: Path, status: int) -> None:
    config = make_project(tmp_path / "p")
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path == WHOAMI_PATH:
            if status == 200:
                return httpx.Response(200, text="<html>the hub's web app</html>")
            return httpx.Response(status, json={"message": "no such route"})
        return httpx.Response(404, json={"message": "not found"})

    creds = Credentials.from_api_key("id", "key", "an API key")
    with HubClient("http://hub.test", creds, transport=httpx.MockTransport(handler)) as c:
        assert c.whoami() is None
        plan = build_plan(config, c, "bob", cwd=config.parent)
    assert WHOAMI_PATH in asked
    assert not plan.refused
    assert any("could not be checked against 'bob'" in p.message for p in plan.problems)


# ------------------------------------------------------- weights that failed


def test_weights_that_failed_are_sent_again_for_the_same_version(
    tmp_path: Path, hub: LocalHub, client: HubClient
) -> None:
    config = make_project(tmp_path / "p")
    plan = build_plan(config, client, USER, cwd=config.parent)
    hub.faults.fail("POST", r"^/storage/single/", status=403, skip=1, times=10)  # the weights
    result = execute_plan(plan, client, on_progress=lambda e: None)
    assert result.files["model:MyModel"].state == "done"
    assert result.files["weights:MyModel"].state == "failed"
    hub.faults.clear()

    again = build_plan(config, client, USER, cwd=config.parent)
    actions = {item.id: (item.action, item.hub_version) for item in again.items}
    assert actions["model:MyModel"] == ("unchanged", 1)
    assert actions["weights:MyModel"] == ("new", 1)
    hub.clear_request_log()
    second = execute_plan(again, client, on_progress=lambda e: None)
    assert second.ok, second.failed
    assert "POST /api/models" not in writes(hub)  # no new model version
    assert "PUT /api/models" in writes(hub)
    assert [m["modelVersion"] for m in hub.models()] == [1]
    assert hub.model_weights(USER, "MyModel", 1) == weights_bytes(200_000)
    assert len(hub.templates(USER)) == 1

    third = build_plan(config, client, USER, cwd=config.parent)
    assert {item.action for item in third.items} == {"unchanged"}


# ------------------------------------------------------------ storage errors


def test_an_s3_error_is_said_in_words(tmp_path: Path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w" * 100)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text=S3_FORBIDDEN, headers={"Content-Type": "application/xml"})

    with (
        HubClient(
            "http://hub.test", None, transport=httpx.MockTransport(handler), sleep=lambda s: None
        ) as c,
        pytest.raises(HubError) as caught,
    ):
        c.upload_single("http://storage.test/bucket", {"key": "k"}, weights)
    message = str(caught.value)
    assert "<" not in message and "RequestId" not in message
    assert "storage refused w.pt (403: AccessDenied: Request has expired)" in message
    assert "run the upload again" in message


def test_a_failed_file_is_explained_once(
    tmp_path: Path, hub: LocalHub, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "p")
    hub.faults.fail("POST", r"^/storage/single/", status=403, skip=1, times=100)  # weights
    assert run_cli(str(config), "--hub", hub.url, "--username", USER, "--yes") == 1
    out = capsys.readouterr().out
    assert out.count("storage refused MyModel.pt") == 1
    assert "weights MyModel.pt: failed" in out  # still listed in the summary


def test_progress_events_carry_the_words_too(tmp_path: Path, hub: LocalHub) -> None:
    config = make_project(tmp_path / "p")
    creds = Credentials.from_api_key(hub.api_key_id, hub.api_key, "API key of the test hub")
    events: list[FileProgress] = []
    with HubClient(hub.url, creds, sleep=lambda s: None) as c:
        plan = build_plan(config, c, USER, cwd=config.parent)
        hub.faults.fail("POST", r"^/storage/single/", status=403, skip=1, times=100)
        execute_plan(plan, c, on_progress=events.append)
    failed = [e for e in events if e.state == "failed" and e.file_id == "weights:MyModel"]
    assert failed and "storage refused MyModel.pt (403" in (failed[-1].error or "")


@pytest.mark.anyio
async def test_the_upload_screen_names_the_owner_and_writes_nothing(
    tmp_path: Path, hub: LocalHub
) -> None:
    from test_upload_screen import fast_client, shown, wait_for

    from taskwizard.settings import Settings, save_settings
    from taskwizard.tui.app import TaskWizardApp
    from taskwizard.tui.screens.upload import UploadScreen

    save_settings(Settings(username="bob", hub="local", hub_url=hub.url))
    config = make_project(tmp_path / "p")
    hub.clear_request_log()
    app = TaskWizardApp("home")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(UploadScreen(config, client_factory=fast_client()))
        screen = app.screen
        assert isinstance(screen, UploadScreen)
        await wait_for(pilot, lambda: screen.identity.problem is not None, "the refusal")
        assert screen.phase == "identity"
        assert "belongs to 'alice'" in shown(screen, "#identity-intro")
    assert writes(hub) == [] and hub.models() == []
