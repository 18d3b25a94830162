"""Secrets never reach a draft, whatever shape the YAML (or half-typed text) has."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taskwizard.drafts import DraftStore, without_secrets
from taskwizard.model.secret_keys import is_secret_key, text_without_secrets
from taskwizard.state import WizardState

ID = "AKIDSECRETVALUE1"
KEY = "SECRETKEYVALUE2"
TAIL = "pods:\n  identifiers: [alice/pod]\n"
BROKEN = "task:\n  protocol: {name: [\n"  # a syntax error after the secret

#: (name, raw YAML text). Each holds ID and/or KEY; none may reach a draft.
SHAPES: list[tuple[str, str]] = [
    ("block", f"secrets:\n  access_key_id: {ID}\n  access_key: {KEY}\n{TAIL}"),
    ("block, broken later", f"secrets:\n  access_key_id: {ID}\n  access_key: {KEY}\n{BROKEN}"),
    (
        "flow bitfount, broken later",
        f"{TAIL}secrets: {{bitfount: {{access_key_id: {ID}, access_key: {KEY}}}}}\n{BROKEN}",
    ),
    (
        "flow over lines, broken later",
        f"secrets: {{bitfount: {{\n    access_key_id: {ID},\n    access_key: {KEY}}}}}\n{BROKEN}",
    ),
    (
        "multi-line plain value, broken later",
        f"secrets:\n  access_key_id:\n    AKID\n    {ID}\n  access_key: {KEY}\n{BROKEN}",
    ),
    ("literal block value", f"secrets:\n  access_key: |\n    {KEY}\n    {ID}\n{BROKEN}"),
    ("folded block value", f"access_key: >-\n  {KEY}\n  {ID}\n{TAIL}{BROKEN}"),
    (
        "double-quoted keys",
        f'"secrets":\n  "access_key_id": "{ID}"\n  "access_key": {KEY}\n{BROKEN}',
    ),
    ("single-quoted keys", f"'secrets':\n  'access_key_id': '{ID}'\n  'access_key': '{KEY}'\n"),
    ("upper case", f"SECRETS:\n  ACCESS_KEY_ID: {ID}\n  Access_Key: {KEY}\n{BROKEN}"),
    ("hyphens", f"secrets:\n  access-key-id: {ID}\n  Access-Key: {KEY}\n{BROKEN}"),
    ("list items", f"secrets:\n  - access_key_id: {ID}\n  - access_key: {KEY}\n{BROKEN}"),
    (
        "JSON one line, broken",
        f'{{"secrets": {{"access_key_id": "{ID}", "access_key": "{KEY}"}}, "pods": [',
    ),
    (
        "JSON over lines",
        f'{{\n  "secrets": {{\n    "access_key_id": "{ID}",\n    "access_key": "{KEY}"\n  }},\n'
        '  "pods": {"identifiers": ["alice/pod"]}\n}\n',
    ),
    ("space before colon", f"access_key_id   : {ID}\naccess_key\t: {KEY}\n{BROKEN}"),
    ("quoted value over lines", f'access_key: "{KEY}\n  {ID}"\n{BROKEN}'),
    ("explicit key", f"? access_key\n: {KEY}\n? access_key_id\n: {ID}\n"),
    ("tab-indented (broken)", f"secrets:\n\taccess_key_id: {ID}\n\taccess_key: {KEY}\n"),
    (
        "anchor used under a secret key",
        f"x: &k {KEY}\ny: &i {ID}\nsecrets: {{access_key: *k, access_key_id: *i}}\n",
    ),
    ("in a comment", f"# access_key_id: {ID}\n# access_key: {KEY}\n{TAIL}"),
    ("CRLF", f"secrets:\r\n  access_key_id: {ID}\r\n  access_key: {KEY}\r\n{BROKEN}"),
    ("sequence at the key's indentation, broken", f"tokens:\n- {KEY}\n- {ID}\n{BROKEN}"),
    ("nested under ehr", f"secrets:\n  ehr:\n    access_key_id: {ID}\n    access_key: {KEY}\n"),
    (
        "taskwizard secrets.json",
        f'{{"api_key_id": "{ID}", "api_key": "{KEY}", "format_version": 1}}',
    ),
]


@pytest.mark.parametrize(("name", "text"), SHAPES, ids=[s[0] for s in SHAPES])
def test_raw_text_keeps_no_secret(name: str, text: str) -> None:
    clean = text_without_secrets(text).text
    assert ID not in clean and KEY not in clean, clean


@pytest.mark.parametrize(("name", "text"), SHAPES, ids=[s[0] for s in SHAPES])
def test_draft_file_holds_no_secret(name: str, text: str) -> None:
    state = WizardState()
    state.raw_text["__doc__:task"] = text
    state.raw_text["pods"] = text
    store = DraftStore()
    draft_id = store.create(state)
    on_disk = store.path(draft_id).read_text()
    assert ID not in on_disk and KEY not in on_disk


def test_everything_else_in_the_text_is_kept() -> None:
    text = (
        "pods:\n  identifiers: [alice/pod]\n"
        "secrets:\n  access_key_id: AKIDXXXXXXXX\n  access_key: |\n    line one\n"
        "modeller:\n  private_key_file: key.pem  # it's a path\n"
        "description: keep access_key_ids out of here\n"
    )
    clean = text_without_secrets(text)
    assert clean.text == (
        "pods:\n  identifiers: [alice/pod]\n"
        "modeller:\n  private_key_file: key.pem  # it's a path\n"
        "description: keep access_key_ids out of here\n"
    )
    assert clean.dropped_lines == [3, 4, 5, 6]


def test_text_without_secret_keys_is_returned_as_is() -> None:
    text = "pods:\n  identifiers: ['it''s']\ntask: {protocol: {name: x}}\n"
    assert text_without_secrets(text).text == text


@pytest.mark.parametrize(
    "task",
    [
        {"secrets": {"access_key_id": ID, "access_key": KEY}, "keep": 1},
        {"secrets": {"bitfount": {"access_key_id": ID, "access_key": KEY}}},
        {"SECRETS": {"Access_Key_Id": ID}, "modeller": {"access_key": KEY}},
        {
            "task": {
                "algorithm": [{"name": "x", "arguments": {"access_key": KEY, "Access_Key_ID": ID}}]
            }
        },
        {"x": [{"api_key": KEY}, {"access-key-id": ID}]},
        # what `x: &k KEY` ... `secrets: {access_key: *k}` loads as
        {"x": KEY, "ids": [ID], "secrets": {"access_key": KEY, "access_key_id": ID}},
    ],
)
def test_structured_task_and_config_keep_no_secret(task: dict[str, object]) -> None:
    state = WizardState()
    state.task = dict(task)
    state.config["extra"] = dict(task)
    store = DraftStore()
    draft_id = store.create(state)
    on_disk = store.path(draft_id).read_text()
    assert ID not in on_disk and KEY not in on_disk
    if "keep" in task:
        assert json.loads(on_disk)["state"]["task"] == {"keep": 1}  # the rest is there


def test_secret_key_names_follow_bitfount() -> None:
    # bitfount/runners/config_schemas/hub_schemas.py APIKeys and modeller_schemas.py secrets
    for name in ("secrets", "access_key_id", "access_key", '"Access-Key"', "'SECRETS'"):
        assert is_secret_key(name)
    for name in ("private_key_file", "pods", "access", "key"):
        assert not is_secret_key(name)


def test_without_secrets_leaves_a_clean_state_untouched() -> None:
    from taskwizard.state import state_to_json

    dump = state_to_json(WizardState())
    assert without_secrets(dump) == dump


def test_secrets_of_an_opened_file_come_back_from_the_file_on_resume(tmp_path: Path) -> None:
    from taskwizard.editing import open_file, state_for_task

    task = tmp_path / "task.yaml"
    task.write_text(f"pods:\n  identifiers: [alice/pod]\nsecrets:\n  access_key: {KEY}\n")
    state = state_for_task(open_file(task))
    state.set("task", ("pods", "identifiers"), ["alice/other"])
    store = DraftStore()
    draft_id = store.create(state)
    assert KEY not in store.path(draft_id).read_text()
    loaded = store.load(draft_id)
    # saving the resumed draft keeps the file's secrets section
    assert loaded.task["secrets"] == {"access_key": KEY}
    assert loaded.task["pods"]["identifiers"] == ["alice/other"]
    assert store.load_notes() == []
    # once the file changed, the secret cannot come back: the user is told
    task.write_text("pods:\n  identifiers: [alice/pod]\n")
    loaded = store.load(draft_id)
    assert "secrets" not in loaded.task
    assert "secrets" in store.load_notes()[0]


def test_a_draft_left_by_an_older_taskwizard_is_cleaned_at_start() -> None:
    """Older versions kept nested secrets and raw secret lines, in 0644 files: the prune
    that runs when the app starts rewrites such a draft without them, and 0600."""
    import os
    import stat

    from taskwizard.state import state_to_json

    store = DraftStore()
    state = WizardState()
    state.task = {"pods": {"identifiers": ["alice/pod"]}}
    draft_id = store.create(state, name="Kept name")
    path = store.path(draft_id)
    record = json.loads(path.read_text())
    dump = state_to_json(state)
    dump["task"] = {
        "pods": {"identifiers": ["alice/pod"]},
        "task": {"algorithm": [{"name": "x", "arguments": {"access_key": KEY}}]},
    }
    dump["raw_text"] = {"__doc__:task": f"secrets:\n  access_key_id: {ID}\n{BROKEN}"}
    record["state"] = dump
    path.write_text(json.dumps(record))
    os.chmod(path, 0o644)
    os.chmod(store.folder, 0o755)

    assert store.prune() == []

    on_disk = path.read_text()
    assert ID not in on_disk and KEY not in on_disk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    kept = json.loads(on_disk)
    assert kept["name"] == "Kept name" and kept["updated"] == record["updated"]
    assert kept["withheld"] == [["task", "task", "algorithm", 0, "arguments", "access_key"]]
    assert kept["state"]["task"]["pods"] == {"identifiers": ["alice/pod"]}
    assert kept["state"]["raw_text"]["__doc__:task"] == BROKEN  # the rest of the text is kept
    assert store.load(draft_id).task["pods"] == {"identifiers": ["alice/pod"]}
    again = path.stat().st_mtime_ns
    store.prune()
    assert path.stat().st_mtime_ns == again  # a clean draft is not rewritten


def test_the_open_draft_is_not_rewritten_by_the_start_clean_up() -> None:
    store = DraftStore()
    state = WizardState()
    state.task = {"pods": {"identifiers": ["alice/pod"]}}
    draft_id = store.create(state)
    path = store.path(draft_id)
    record = json.loads(path.read_text())
    record["state"]["task"]["secrets"] = {"access_key": KEY}
    path.write_text(json.dumps(record))
    store.prune(keep=[draft_id])
    assert KEY in path.read_text()  # the session's own autosave writes it, cleaned


def test_resuming_a_draft_left_by_an_older_taskwizard_cleans_it_at_once(tmp_path: Path) -> None:
    from taskwizard.editing import open_file, state_for_task

    task = tmp_path / "task.yaml"
    task.write_text(f"pods:\n  identifiers: [alice/pod]\nsecrets:\n  access_key: {KEY}\n")
    state = state_for_task(open_file(task))
    state.set("task", ("pods", "identifiers"), ["alice/other"])
    store = DraftStore()
    draft_id = store.create(state)
    path = store.path(draft_id)
    record = json.loads(path.read_text())
    record["state"]["task"]["secrets"] = {"access_key": KEY}  # as older versions wrote it
    path.write_text(json.dumps(record))

    resumed = store.load(draft_id)

    assert KEY not in path.read_text()
    assert resumed.task["secrets"] == {"access_key": KEY}  # back from the unchanged file
