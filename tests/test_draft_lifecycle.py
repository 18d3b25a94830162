"""Drafts: what they keep of opened files, their modes, names and status."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from taskwizard import paths
from taskwizard.drafts import DraftStore
from taskwizard.editing import open_file, state_for_config, state_for_task
from taskwizard.saving import apply_save, plan_save
from taskwizard.state import WizardState

PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"
SECRETS_JSON = '{"api_key_id": "kid-1234567", "api_key": "k-SECRET-9876", "tokens": {}}\n'
TASK = "pods:\n  identifiers: [alice/pod]\ntask:\n  protocol: {name: bitfount.Inference}\n"


def config_pointing_at(folder: Path, template: str) -> Path:
    config = folder / "project" / "task-templates.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "task-templates:\n  - slug: x\n    title: X\n    type: image-classification\n"
        f"    description: d\n    template: {template}\nmodels: []\n"
    )
    return config


def test_a_template_outside_the_folder_is_not_copied_into_the_draft(tmp_path: Path) -> None:
    cases = (("../etc/passwd", "alice:x:1000"), ("../config/secrets.json", "kid-1234567"))
    for number, (template, marker) in enumerate(cases):
        base = tmp_path / f"case{number}"
        (base / "etc").mkdir(parents=True)
        (base / "etc" / "passwd").write_text(PASSWD)
        (base / "config").mkdir()
        (base / "config" / "secrets.json").write_text(SECRETS_JSON)
        config = config_pointing_at(base, template)
        state, _ = state_for_config(open_file(config), 0)
        assert marker in json.dumps(state.task) + json.dumps(state.raw_text)  # it was read
        store = DraftStore()
        draft_id = store.create(state)
        text = store.path(draft_id).read_text()
        assert marker not in text and "k-SECRET" not in text, template
        record = json.loads(text)
        assert record["from_files"]  # kept as path + hash
        loaded = store.load(draft_id)  # and read back from the file
        assert loaded.task == state.task and loaded.raw_text == state.raw_text
        assert loaded.config == state.config


def test_an_unchanged_file_that_changed_on_disk_opens_as_it_is_now(tmp_path: Path) -> None:
    task = tmp_path / "t.yaml"
    task.write_text(TASK)
    store = DraftStore()
    draft_id = store.create(state_for_task(open_file(task)))
    assert "alice/pod" not in store.path(draft_id).read_text()
    task.write_text(TASK.replace("alice/pod", "alice/other"))
    loaded = store.load(draft_id)
    assert loaded.task["pods"]["identifiers"] == ["alice/other"]
    assert "opens as the file is now" in store.load_notes()[0]


def test_a_changed_document_is_kept_in_the_draft(tmp_path: Path) -> None:
    task = tmp_path / "t.yaml"
    task.write_text(TASK)
    state = state_for_task(open_file(task))
    state.set("task", ("pods", "identifiers"), ["alice/new"])
    store = DraftStore()
    draft_id = store.create(state)
    assert "alice/new" in store.path(draft_id).read_text()
    task.unlink()
    assert store.load(draft_id).task["pods"]["identifiers"] == ["alice/new"]


def test_drafts_are_0600_in_a_0700_folder_even_if_they_were_not(tmp_path: Path) -> None:
    folder = paths.drafts_dir()
    folder.mkdir(parents=True)
    os.chmod(folder, 0o755)
    store = DraftStore()
    draft_id = store.create(state_for_task_file(tmp_path))
    os.chmod(store.path(draft_id), 0o644)
    store.save(draft_id, state_for_task_file(tmp_path))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path(draft_id).stat().st_mode) == 0o600


def state_for_task_file(tmp_path: Path) -> WizardState:
    task = tmp_path / "t.yaml"
    if not task.exists():
        task.write_text(TASK)
    return state_for_task(open_file(task))


def test_a_change_undone_is_saved_again(tmp_path: Path) -> None:
    config = tmp_path / "task-templates.yaml"
    (tmp_path / "t.yaml").write_text(TASK)
    config.write_text(
        "task-templates:\n  - slug: retina\n    title: Retina\n    type: image-classification\n"
        "    description: d\n    template: t.yaml\nmodels: []\n"
    )
    state, _ = state_for_config(open_file(config), 0)
    store = DraftStore()
    draft_id = store.create(state)
    state.set("config", ("task-templates", 0, "title"), "Retina 2")
    apply_save(plan_save(state, tmp_path), state)
    store.mark_saved(draft_id, state)
    state.set("config", ("task-templates", 0, "title"), "Retina 3")
    store.save(draft_id, state)
    assert json.loads(store.path(draft_id).read_text())["status"] == "editing"
    state.set("config", ("task-templates", 0, "title"), "Retina 2")  # undone
    store.save(draft_id, state)
    assert json.loads(store.path(draft_id).read_text())["status"] == "saved"


def test_drafts_are_named_after_the_slug(tmp_path: Path) -> None:
    from taskwizard.state import WizardState

    store = DraftStore()
    state = WizardState()
    draft_id = store.create(state)
    assert store.list()[0].name == "New template"
    state.set("config", ("task-templates", 0, "slug"), "retina-scan")
    store.save(draft_id, state)
    assert store.list()[0].name == "retina-scan"
    store.rename(draft_id, "mine")
    state.set("config", ("task-templates", 0, "slug"), "other")
    store.save(draft_id, state)
    assert store.list()[0].name == "mine"  # a name the user chose stays


def test_a_file_name_that_is_not_utf8_makes_a_draft(tmp_path: Path) -> None:
    task = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/bad-\xff\xfe-name.yaml"))
    task.write_text(TASK)
    state = state_for_task(open_file(task))
    store = DraftStore()
    draft_id = store.create(state)
    summary = store.list()[0]
    assert summary.name == "Edit bad-\\xff\\xfe-name.yaml"
    assert store.load(draft_id).task_source == state.task_source


def test_a_resumed_unchanged_draft_then_edited_is_unsaved_work(tmp_path: Path) -> None:
    from taskwizard.drafts import has_unsaved_work

    task = tmp_path / "t.yaml"
    task.write_text(TASK)
    store = DraftStore()
    draft_id = store.create(state_for_task(open_file(task)))  # kept by reference
    for _ in range(2):  # the second load must not see the first one's edit
        loaded = store.load(draft_id)
        assert not has_unsaved_work(loaded)
        loaded.task["task"]["protocol"]["name"] = "bitfount.Other"  # edited in place
        assert has_unsaved_work(loaded)


def test_an_older_draft_with_a_default_name_follows_the_slug_too() -> None:
    store = DraftStore()
    state = WizardState()
    draft_id = store.create(state)
    record = json.loads(store.path(draft_id).read_text())
    del record["name_auto"]  # as written before drafts were named after the slug
    store.path(draft_id).write_text(json.dumps(record))
    state.set("config", ("task-templates", 0, "slug"), "retina-scan")
    store.save(draft_id, state)
    assert store.list()[0].name == "retina-scan"


def test_a_source_file_swapped_for_a_fifo_never_blocks_a_draft(tmp_path: Path) -> None:
    import threading

    task = tmp_path / "t.yaml"
    task.write_text(TASK + "secrets:\n  access_key: k-SECRET-9876\n")
    state = state_for_task(open_file(task))
    state.set("task", ("pods", "identifiers"), ["alice/changed"])
    store = DraftStore()
    draft_id = store.create(state)
    task.unlink()
    os.mkfifo(task)  # opening it for reading would wait for a writer forever
    done: list[bool] = []

    def work() -> None:
        store.save(draft_id, state)
        store.load(draft_id)
        done.append(True)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(10)
    assert done == [True]
    assert "could not be read again" in store.load_notes()[0]
