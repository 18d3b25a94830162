from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from taskwizard import paths, settings
from taskwizard.drafts import Autosaver, DraftError, DraftNotFound, DraftStore
from taskwizard.state import SourceFile, WizardState


def make_state(title: str = "My template", slug: str = "my-template") -> WizardState:
    state = WizardState()
    state.set("config", ("task-templates", 0, "title"), title)
    state.set("config", ("task-templates", 0, "slug"), slug)
    state.step = "protocol"
    state.focus = "task:task.protocol.name"
    return state


def read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_create_writes_small_readable_json_in_drafts_dir() -> None:
    store = DraftStore()
    draft_id = store.create(make_state(), name="first")
    path = paths.drafts_dir() / f"{draft_id}.json"
    data = read(path)
    assert data["format"] == 1
    assert data["id"] == draft_id
    assert data["name"] == "first"
    assert data["status"] == "editing"
    assert data["saved_at"] is None
    assert data["state"]["config"]["task-templates"][0]["title"] == "My template"
    assert datetime.fromisoformat(data["created"]).tzinfo is not None
    assert "\n" in path.read_text()  # indented, for humans
    assert path.stat().st_size < 4000


def test_save_load_round_trip_keeps_every_value() -> None:
    store = DraftStore()
    state = make_state()
    draft_id = store.create(state)
    state.set("task", ("task", "protocol", "name"), "bitfount.Half-typed")
    state.raw_text["data"] = "select:\n  include: [a,"
    state.config_source = SourceFile(path="/x/cfg.yaml", sha256="ab", mtime_ns=1)
    store.save(draft_id, state)
    loaded = store.load(draft_id)
    assert loaded == state
    assert loaded.step == "protocol"
    assert loaded.focus == "task:task.protocol.name"


def test_save_keeps_name_and_created() -> None:
    store = DraftStore()
    draft_id = store.create(make_state(), name="keep me")
    created = read(store.path(draft_id))["created"]
    store.save(draft_id, make_state(title="changed"))
    data = read(store.path(draft_id))
    assert data["name"] == "keep me"
    assert data["created"] == created
    assert data["state"]["config"]["task-templates"][0]["title"] == "changed"


def test_default_names() -> None:
    store = DraftStore()
    new_id = store.create(WizardState())
    edit = WizardState(
        config_source=SourceFile(path="/a/b/task-templates.yaml", sha256="x", mtime_ns=0)
    )
    edit_id = store.create(edit)
    names = {s.id: s.name for s in store.list()}
    assert names[new_id].startswith("New template")
    assert names[edit_id] == "Edit task-templates.yaml"


def test_list_newest_first_with_summary_fields() -> None:
    store = DraftStore()
    a = store.create(make_state("A", "a"), name="a")
    b = store.create(make_state("B", "b"), name="b")
    store.save(a, make_state("A2", "a2"))  # a is now the newest
    drafts = store.list()
    assert [d.id for d in drafts] == [a, b]
    first = drafts[0]
    assert (first.name, first.title, first.slug, first.step, first.status) == (
        "a",
        "A2",
        "a2",
        "protocol",
        "editing",
    )
    assert first.path == store.path(a)
    assert first.updated >= drafts[1].updated
    assert store.newest() == a


def test_problems_counted_or_unknown() -> None:
    store = DraftStore()
    store.create(WizardState())
    (summary,) = store.list()
    try:
        import taskwizard.model.validate  # noqa: F401
    except ImportError:
        assert summary.problems is None
    else:
        # an empty new template has at least its required fields missing
        assert summary.problems is not None and summary.problems > 0


def test_rename_duplicate_delete() -> None:
    store = DraftStore()
    draft_id = store.create(make_state(), name="orig")
    store.rename(draft_id, "  renamed  ")
    assert store.list()[0].name == "renamed"
    with pytest.raises(DraftError):
        store.rename(draft_id, "   ")
    copy_id = store.duplicate(draft_id)
    assert copy_id != draft_id
    assert store.load(copy_id) == store.load(draft_id)
    assert {d.name for d in store.list()} == {"renamed", "renamed (copy)"}
    store.delete(draft_id)
    assert [d.id for d in store.list()] == [copy_id]
    with pytest.raises(DraftNotFound):
        store.load(draft_id)
    with pytest.raises(DraftNotFound):
        store.delete(draft_id)


def test_ids_cannot_escape_the_folder() -> None:
    store = DraftStore()
    for bad in ("../settings", "a/b", "", ".hidden"):
        with pytest.raises(DraftNotFound):
            store.load(bad)


def test_find_by_prefix() -> None:
    store = DraftStore()
    a = store.create(make_state())
    assert store.find(a) == a
    assert store.find(a[:-3]) == a
    store.create(make_state())
    with pytest.raises(DraftNotFound, match="matches 2"):
        store.find(a[:8])
    with pytest.raises(DraftNotFound):
        store.find("nothing")


CORRUPT: dict[str, Callable[[str], str]] = {
    "truncated": lambda good: good[: len(good) // 2],
    "bad-json": lambda good: "{this is not json}",
    "newer-format": lambda good: good.replace('"format": 1', '"format": 7'),
    "invalid-state": lambda good: good.replace('"template_index": 0', '"template_index": "zero"'),
    "not-an-object": lambda good: "[1, 2, 3]",
    "binary": lambda good: "\udcff",
}
REASONS = {
    "truncated": "truncated",
    "bad-json": "not valid JSON",
    "newer-format": "newer taskwizard",
    "invalid-state": "template_index",
    "not-an-object": "not a draft",
    "binary": "not UTF-8",
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_draft_moved_aside_and_reported_others_still_work(case: str) -> None:
    store = DraftStore()
    good = store.create(make_state("Good", "good"), name="good")
    bad = store.create(make_state("Bad", "bad"), name="bad")
    path = store.path(bad)
    text = CORRUPT[case](path.read_text())
    path.write_bytes(text.encode("utf-8", "surrogateescape"))

    drafts = store.list()
    assert [d.id for d in drafts] == [good]
    (report,) = store.corrupt_reports()
    assert report.startswith(f"moved aside: {bad}.json (")
    assert REASONS[case] in report
    assert not path.exists()
    assert (paths.corrupt_drafts_dir() / f"{bad}.json").read_bytes() == text.encode(
        "utf-8", "surrogateescape"
    )
    # nothing else was touched, and listing again reports nothing new
    assert store.load(good).entry["title"] == "Good"
    assert store.list()[0].id == good
    assert store.corrupt_reports() == []


def test_load_of_corrupt_draft_raises_clear_error_and_moves_it() -> None:
    store = DraftStore()
    bad = store.create(make_state())
    store.path(bad).write_text('{"format": 1, "state": {"step": ')
    with pytest.raises(DraftError, match=f"{bad}.json is unusable: truncated"):
        store.load(bad)
    assert store.corrupt_reports() and bad in store.corrupt_reports()[0]
    assert (paths.corrupt_drafts_dir() / f"{bad}.json").exists()


def test_same_name_moved_aside_twice_keeps_both() -> None:
    store = DraftStore()
    for _ in range(2):
        draft_id = "20260101-000000-abcdef"
        store.path(draft_id).parent.mkdir(parents=True, exist_ok=True)
        store.path(draft_id).write_text("{")
        store.list()
    assert len(list(paths.corrupt_drafts_dir().iterdir())) == 2


def test_save_over_a_corrupt_file_does_not_fail() -> None:
    store = DraftStore()
    draft_id = store.create(make_state())
    store.path(draft_id).write_text("{garbage")
    store.save(draft_id, make_state("Again"))
    assert store.load(draft_id).entry["title"] == "Again"


def _age(store: DraftStore, draft_id: str, days: int, *, updated_later: bool = False) -> None:
    data = read(store.path(draft_id))
    when = datetime.now(UTC) - timedelta(days=days)
    data["saved_at"] = when.isoformat()
    data["updated"] = (when + timedelta(seconds=5 if updated_later else 0)).isoformat()
    data["created"] = when.isoformat()
    store.path(draft_id).write_text(json.dumps(data))


def test_mark_saved_then_prune_only_old_saved_unchanged() -> None:
    store = DraftStore()
    old_saved = store.create(make_state(), name="old saved")
    state = make_state()
    store.mark_saved(old_saved, state)
    assert state.saved is True
    assert read(store.path(old_saved))["status"] == "saved"
    _age(store, old_saved, 30)

    recent_saved = store.create(make_state(), name="recent saved")
    store.mark_saved(recent_saved, make_state())
    _age(store, recent_saved, 3)

    old_unsaved = store.create(make_state(), name="old editing")
    data = read(store.path(old_unsaved))
    data["updated"] = data["created"] = (datetime.now(UTC) - timedelta(days=90)).isoformat()
    store.path(old_unsaved).write_text(json.dumps(data))

    changed_after_save = store.create(make_state(), name="changed after save")
    store.mark_saved(changed_after_save, make_state())
    edited = make_state()
    edited.set("config", ("task-templates", 0, "title"), "edited after saving")
    store.save(changed_after_save, edited)
    assert read(store.path(changed_after_save))["status"] == "editing"
    _age(store, changed_after_save, 30, updated_later=True)

    removed = store.prune(keep_days=14)
    assert removed == [old_saved]
    assert {d.name for d in store.list()} == {"recent saved", "old editing", "changed after save"}


def test_prune_rebuilds_only_the_drafts_old_enough_to_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rebuilding a draft's state reads its files (a 5 MiB config's draft parses the
    # config): prune did it for every draft at start, next to an edit's quick look.
    store = DraftStore()
    store.create(make_state(), name="recent")
    recent_saved = store.create(make_state(), name="recent saved")
    store.mark_saved(recent_saved, make_state())
    _age(store, recent_saved, 3)
    old_saved = store.create(make_state(), name="old saved")
    store.mark_saved(old_saved, make_state())
    _age(store, old_saved, 30)
    rebuilt: list[str] = []
    real = DraftStore._read

    def watch(self: DraftStore, draft_id: str, **kwargs: Any) -> Any:
        rebuilt.append(draft_id)
        return real(self, draft_id, **kwargs)

    monkeypatch.setattr(DraftStore, "_read", watch)
    assert store.prune(keep_days=14) == [old_saved]
    assert rebuilt == [old_saved]
    assert {d.name for d in store.list()} == {"recent", "recent saved"}


def test_prune_never_deletes_status_saved_if_state_unsaved() -> None:
    store = DraftStore()
    draft_id = store.create(make_state())
    store.mark_saved(draft_id, make_state())
    _age(store, draft_id, 100)
    data = read(store.path(draft_id))
    data["state"]["saved"] = False  # the state says there is unsaved work
    store.path(draft_id).write_text(json.dumps(data))
    assert store.prune(keep_days=1) == []
    assert store.path(draft_id).exists()


def test_prune_leaves_corrupt_drafts_for_list_to_report() -> None:
    store = DraftStore()
    store.create(make_state())
    bad = store.folder / "20200101-000000-bad000.json"
    bad.write_text("{")
    assert store.prune() == []
    assert bad.exists()
    assert len(store.list()) == 1
    assert store.corrupt_reports() and "20200101-000000-bad000.json" in store.corrupt_reports()[0]


def test_prune_removes_stale_temp_files_only() -> None:
    store = DraftStore()
    store.create(make_state())
    stale = store.folder / ".x.json.abc.tmp"
    fresh = store.folder / ".y.json.def.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    old = datetime.now().timestamp() - 3 * 86400
    os.utime(stale, (old, old))
    store.prune()
    assert not stale.exists() and fresh.exists()
    assert len(store.list()) == 1


def test_drafts_never_contain_secrets() -> None:
    planted_key, planted_token = "sk-PLANTED-7c1d9e", "tok-PLANTED-44aa0b"
    settings.save_settings(settings.Settings(username="alice", auth_method="api_key"))
    settings.save_secrets(
        settings.Secrets(
            api_key_id="kid-PLANTED",
            api_key=SecretStr(planted_key),
            tokens={"https://hub.bitfount.com": {"access_token": planted_token}},
        )
    )
    store = DraftStore()
    state = make_state()
    draft_id = store.create(state)
    store.save(draft_id, state)
    store.duplicate(draft_id)
    store.mark_saved(draft_id, state)
    for file in paths.cache_dir().rglob("*"):
        if file.is_file():
            text = file.read_text(errors="replace")
            for secret in (planted_key, planted_token, "kid-PLANTED"):
                assert secret not in text, f"{secret} leaked into {file}"


def test_secrets_typed_into_the_task_are_not_kept() -> None:
    store = DraftStore()
    state = make_state()
    state.set("task", ("secrets",), {"access_key_id": "kid-TYPED-1", "access_key": "key-TYPED-2"})
    state.raw_text["pods"] = "secrets:\n  access_key_id: kid-RAW-3\n  access_key:   key-RAW-4\n"
    draft_id = store.create(state)
    store.save(draft_id, state)
    text = store.path(draft_id).read_text()
    for secret in ("kid-TYPED-1", "key-TYPED-2", "kid-RAW-3", "key-RAW-4"):
        assert secret not in text
    loaded = store.load(draft_id)
    assert "secrets" not in loaded.task
    assert loaded.raw_text["pods"] == ""  # every line of it held a secret
    assert "could not be read again" in store.load_notes()[0]  # a new template: no file
    assert loaded.entry["title"] == "My template"  # everything else kept
    assert "secrets" in state.task  # the live state is not touched


def spied_store() -> tuple[DraftStore, str, WizardState, threading.Event]:
    store = DraftStore()
    state = make_state()
    draft_id = store.create(state)
    written = threading.Event()
    original = store.save_dump

    def spy(did: str, dump: dict[str, Any]) -> None:
        original(did, dump)
        written.set()

    store.save_dump = spy  # type: ignore[method-assign,assignment]
    return store, draft_id, state, written


def test_autosaver_writes_within_delay_and_flushes() -> None:
    store, draft_id, state, written = spied_store()
    saver = Autosaver(store, draft_id, delay=0.05)
    state.set("config", ("task-templates", 0, "title"), "typed")
    saver.note_change(state)
    state.set("config", ("task-templates", 0, "title"), "typed more")  # after the snapshot
    assert written.wait(5), "the timer never wrote the draft"
    saver.flush()
    assert store.load(draft_id).entry["title"] in ("typed", "typed more")
    saver.note_change(state)
    saver.flush()
    assert not saver.pending
    assert store.load(draft_id).entry["title"] == "typed more"
    saver.close()


def test_autosaver_snapshot_is_taken_at_note_change() -> None:
    store = DraftStore()
    state = make_state()
    draft_id = store.create(state)
    saver = Autosaver(store, draft_id, delay=60)
    state.set("config", ("task-templates", 0, "title"), "v1")
    saver.note_change(state)
    state.set("config", ("task-templates", 0, "title"), "v2 not noted")
    saver.flush()
    assert store.load(draft_id).entry["title"] == "v1"
    saver.close()


def test_autosaver_error_keeps_pending_and_reports() -> None:
    store = DraftStore()
    state = make_state()
    draft_id = store.create(state)
    errors: list[Exception] = []
    saver = Autosaver(store, draft_id, delay=60, on_error=errors.append)

    def fail(did: str, dump: dict[str, Any]) -> None:
        raise OSError(28, "No space left on device")

    original = store.save_dump
    store.save_dump = fail  # type: ignore[method-assign,assignment]
    saver.note_change(state)
    saver.flush()
    assert errors and saver.last_error is errors[0]
    assert saver.pending  # the work is kept for the next try
    store.save_dump = original  # type: ignore[method-assign]
    saver.flush()
    assert saver.last_error is None and not saver.pending
    saver.close()


def test_autosaver_mark_saved_wins_over_pending_change() -> None:
    store = DraftStore()
    state = make_state()
    draft_id = store.create(state)
    saver = Autosaver(store, draft_id, delay=60)
    saver.note_change(state)
    saver.mark_saved(state)
    saver.flush()
    assert read(store.path(draft_id))["status"] == "saved"
    saver.close()


class IdleClock:
    """The ``idle_for`` of an Autosaver: seconds since the last key, set by the test."""

    def __init__(self, idle: float) -> None:
        self.idle = idle

    def __call__(self) -> float:
        return self.idle


@pytest.mark.parametrize("then", [0.03, 0.5])  # just after a key was drawn; a pause
def test_a_due_write_waits_for_a_moment_between_keys(then: float) -> None:
    store, draft_id, state, written = spied_store()
    clock = IdleClock(0.0)  # a key this instant: its work and frame are still going on
    saver = Autosaver(store, draft_id, delay=0.02, idle_for=clock, max_wait=30)
    state.set("config", ("task-templates", 0, "title"), "typed")
    saver.note_change(state)
    assert not written.wait(0.2)  # due since 0.18 s, but no moment yet
    clock.idle = 0.1  # the next key could come any moment: still not
    assert not written.wait(0.1)
    clock.idle = then
    assert written.wait(5), "the write never went"
    assert store.load(draft_id).entry["title"] == "typed"
    saver.close()


def test_a_due_write_goes_after_max_wait_however_fast_the_keys_come() -> None:
    store, draft_id, state, written = spied_store()
    saver = Autosaver(store, draft_id, delay=0.02, idle_for=IdleClock(0.0), max_wait=0.3)
    state.set("config", ("task-templates", 0, "title"), "typed")
    start = time.monotonic()
    saver.note_change(state)
    assert written.wait(5), "continuous typing held the draft back for good"
    assert time.monotonic() - start >= 0.3
    saver.close()


def test_flush_writes_at_once_whatever_the_keys() -> None:
    store, draft_id, state, written = spied_store()
    saver = Autosaver(store, draft_id, delay=30, idle_for=IdleClock(0.0), max_wait=60)
    state.set("config", ("task-templates", 0, "title"), "typed")
    saver.note_change(state)
    saver.flush()
    assert written.is_set() and store.load(draft_id).entry["title"] == "typed"
    saver.close()
