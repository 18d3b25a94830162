"""Drafts of a session on a big config keep only the templates it changed, over the file
it was opened from (draft format 3, ``config_patch``): every change comes back, exactly,
secrets stay out, and a file changed since never costs the draft's own changes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import taskwizard.drafts
from taskwizard.drafts import PATCH_FROM, Autosaver, DraftError, DraftStore, remember_opened
from taskwizard.editing import open_file, state_for_config
from taskwizard.state import WizardState, state_to_json

TEMPLATES = PATCH_FROM * 3


def write_config(folder: Path, count: int = TEMPLATES, extra: str = "") -> Path:
    lines = ["task-templates:\n"]
    lines += [
        f"  - slug: template-{i}\n    title: Template {i}\n    type: image-classification\n"
        f"    description: Number {i}\n    template: task-{i}.yaml\n    tags: [Prediction]\n"
        for i in range(count)
    ]
    path = folder / "task-templates.yaml"
    path.write_text("".join(lines) + extra)
    return path


def session(config: Path, index: int = 5, remember: bool = True) -> WizardState:
    opened = open_file(config)
    if remember:
        remember_opened(opened.source, opened.raw, opened.text, opened.data)
    return state_for_config(opened, index)[0]


def draft_record(store: DraftStore, draft_id: str) -> dict[str, Any]:
    record = json.loads(store.path(draft_id).read_text())
    assert isinstance(record, dict)
    return record


@pytest.mark.parametrize("remember", [True, False])
def test_changed_templates_only_and_everything_comes_back(tmp_path: Path, remember: bool) -> None:
    config = write_config(tmp_path)
    state = session(config, remember=remember)
    store = DraftStore()
    draft_id = store.create(state)
    assert draft_record(store, draft_id)["state"]["config"] == {}  # unchanged: by reference
    state.set("config", ("task-templates", 5, "slug"), "changed-slug")
    state.config["task-templates"][7]["title"] = True  # `== 1`, but not the same value
    state.config["task-templates"][9]["tags"].append("Prediction")
    state.config["task-templates"].append({"slug": "new", "tags": []})
    state.config["models"] = [{"model_file": "m.py"}]
    store.save(draft_id, state)
    record = draft_record(store, draft_id)
    assert record["format"] == 3
    assert record["state"]["config"] == {}
    assert sorted(map(int, record["config_patch"]["changed"])) == [5, 7, 9, TEMPLATES]
    assert store.path(draft_id).stat().st_size < 6000  # not the whole config
    loaded = store.load(draft_id)
    assert loaded.config == state.config
    assert loaded.config["task-templates"][7]["title"] is True
    assert list(loaded.config) == list(state.config)
    assert loaded == state
    assert store.list()[0].status == "editing"


def test_a_change_undone_is_no_change(tmp_path: Path) -> None:
    state = session(write_config(tmp_path))
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 5, "slug"), "changed")
    store.save(draft_id, state)
    state.set("config", ("task-templates", 5, "slug"), "template-5")
    store.save(draft_id, state)
    record = draft_record(store, draft_id)
    assert "config_patch" not in record
    assert record["state"]["config"] == {}  # by reference again
    assert record["from_files"] == {"config": state.config_source.sha256}  # type: ignore[union-attr]


def test_an_autosaver_writes_the_patch_and_its_dump_is_the_full_dump(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    state = session(config)
    state.config["task-templates"][3]["description"] = dt.date(2020, 1, 2)  # not JSON
    store = DraftStore()
    draft_id = store.create(state)
    saver = Autosaver(store, draft_id, delay=30)
    for value in ("a", "ab", "abc"):
        state.set("config", ("task-templates", 5, "title"), value)
        saver.note_change(state)
        assert saver._pending == state_to_json(state)  # the per-template reuse changes nothing
    saver.close()
    assert store.load(draft_id).config == json.loads(json.dumps(state_to_json(state)))["config"]


def test_a_secret_in_a_changed_template_stays_out_and_comes_back_from_the_file(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    text = config.read_text().replace(
        "    title: Template 5\n", "    title: Template 5\n    access_key: s3cr3t-value-5\n"
    )
    text = text.replace("    description: Number 9\n", "    description: s3cr3t-value-5\n")
    config.write_text(text)
    state = session(config)
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 5, "slug"), "changed")
    state.set("config", ("task-templates", 9, "slug"), "changed-9")
    store.save(draft_id, state)
    assert "s3cr3t" not in store.path(draft_id).read_text()
    loaded = store.load(draft_id)
    assert loaded.config["task-templates"][5]["access_key"] == "s3cr3t-value-5"
    assert loaded.config["task-templates"][5]["slug"] == "changed"
    assert loaded.config["task-templates"][9]["slug"] == "changed-9"


def test_a_file_changed_since_keeps_the_drafts_changes_and_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    state = session(config)
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 5, "slug"), "my-change")
    store.save(draft_id, state)
    write_config(tmp_path, count=TEMPLATES - 10, extra="# edited elsewhere\n")
    again = DraftStore()
    loaded = again.load(draft_id)
    entries = loaded.config["task-templates"]
    assert entries[5]["slug"] == "my-change"
    assert len(entries) == TEMPLATES - 10
    notes = again.load_notes()
    assert any("changed since" in n and "check them" in n for n in notes), notes
    assert any("10 the draft had not changed are left out" in n for n in notes), notes


def test_a_file_gone_keeps_the_drafts_changes(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    state = session(config)
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 5, "slug"), "my-change")
    store.save(draft_id, state)
    config.unlink()
    loaded = DraftStore().load(draft_id)
    assert [e.get("slug") for e in loaded.config["task-templates"]] == ["my-change"]


@pytest.mark.parametrize(
    "patch",
    [
        "nonsense",
        {"keys": ["task-templates"], "length": 2, "others": {}, "changed": {"5": {}}},
        {"keys": ["task-templates"], "length": -1, "others": {}, "changed": {}},
        {"keys": "x", "length": 1, "others": {}, "changed": {}},
    ],
)
def test_a_broken_patch_makes_the_draft_unusable_not_a_crash(tmp_path: Path, patch: Any) -> None:
    state = session(write_config(tmp_path))
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 5, "slug"), "my-change")
    store.save(draft_id, state)
    record = draft_record(store, draft_id)
    record["config_patch"] = patch
    store.path(draft_id).write_text(json.dumps(record))
    with pytest.raises(DraftError, match="config_patch"):
        store.load(draft_id)


def test_a_small_config_is_kept_whole_as_before(tmp_path: Path) -> None:
    state = session(write_config(tmp_path, count=PATCH_FROM - 1))
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 5, "slug"), "changed")
    store.save(draft_id, state)
    record = draft_record(store, draft_id)
    assert record["format"] == 1  # nothing by reference: the config changed, the task is new
    assert len(record["state"]["config"]["task-templates"]) == PATCH_FROM - 1


def test_a_slow_snapshot_is_taken_once_per_write_on_the_owners_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big config's snapshot (30-40 ms) is put off while a write is due, then taken on
    the owner's thread (``run_on_owner``) when it is; every change still reaches the draft."""
    import threading

    state = session(write_config(tmp_path))
    store = DraftStore()
    draft_id = store.create(state)
    calls: list[str] = []
    owner = threading.get_ident()

    def run_on_owner(fn: Any) -> None:  # as call_from_thread: fn on the owner's thread
        calls.append(threading.current_thread().name)
        done = threading.Event()
        queue.append((fn, done))
        done.wait(5)

    queue: list[tuple[Any, threading.Event]] = []
    saver = Autosaver(store, draft_id, delay=0.3, run_on_owner=run_on_owner)
    monkeypatch.setattr(taskwizard.drafts, "SLOW_SNAPSHOT", -1.0)  # every snapshot is slow
    state.set("config", ("task-templates", 5, "slug"), "first")
    saver.note_change(state)  # no write scheduled yet: snapshot now
    taken = saver._pending
    for value in ("s", "sl", "slu", "slug-typed"):
        state.set("config", ("task-templates", 5, "slug"), value)
        saver.note_change(state)  # a write is due: put off
        assert saver._pending is taken and saver.pending
    import time

    deadline = time.monotonic() + 5
    while not queue and time.monotonic() < deadline:
        time.sleep(0.01)
    assert queue, "the write never asked for the snapshot"
    fn, done = queue.pop()
    assert threading.get_ident() == owner
    fn()  # the owner runs it
    done.set()
    deadline = time.monotonic() + 5
    while saver.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert DraftStore().load(draft_id).config["task-templates"][5]["slug"] == "slug-typed"
    assert len(calls) == 1
    state.set("config", ("task-templates", 5, "slug"), "after")
    saver.note_change(state)  # no write due: snapshot at once
    state.set("config", ("task-templates", 5, "slug"), "flushed")
    saver.note_change(state)  # put off…
    saver.close()  # …and taken by the flush
    assert DraftStore().load(draft_id).config["task-templates"][5]["slug"] == "flushed"
