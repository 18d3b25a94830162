"""Editing existing files through the wizard: open, change, save only what changed."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from tui_helpers import SIZE, settle

from taskwizard.editing import CannotOpen, open_file, state_for_config, state_for_task
from taskwizard.saving import apply_save, plan_save
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.notice import NoticeDialog
from taskwizard.tui.dialogs.save import SaveDialog
from taskwizard.tui.dialogs.template_pick import TemplatePickDialog
from taskwizard.tui.screens.wizard import WizardScreen
from taskwizard.tui.widgets.raw_yaml import RawYamlEditor

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.anyio

CONFIG = """\
# Our team's task templates. Reviewed in PR #12.
task-templates:
  - slug: retina-classification   # do not rename: users have bookmarked it
    title: Retina classification
    type: image-classification
    description: >
      Classifies retina scans.
    template: retina.yaml
    tags: [Prediction]   # more tags later

models: []
"""

TASK = """\
version: "8.43.0"
# pods are chosen on the Hub when the template runs
pods:
  identifiers:
    - retina-pod

task:
  protocol:
    name: bitfount.InferenceAndCSVReport
  algorithm:
    - name: bitfount.HuggingFaceImageClassificationInference
      arguments:
        model_id: google/vit-base-patch16-224   # the public checkpoint
        top_k: 5
    - name: bitfount.CSVReportAlgorithm
  data_structure:
    select:
      include: [image]
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "task-templates.yaml").write_text(CONFIG)
    (tmp_path / "retina.yaml").write_text(TASK)
    return tmp_path


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


# ------------------------------------------------------------ without a terminal
def test_open_and_save_unchanged_writes_nothing(project: Path) -> None:
    config = project / "task-templates.yaml"
    task = project / "retina.yaml"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (config, task)}
    state, notes = state_for_config(open_file(config), 0)
    assert notes == []
    plan = plan_save(state, project)
    assert [c.kind for c in plan.changes] == ["unchanged", "unchanged"]
    assert apply_save(plan, state) == []
    for path, (data, mtime) in before.items():
        assert path.read_bytes() == data
        assert path.stat().st_mtime_ns == mtime


def test_changing_one_value_changes_only_its_line(project: Path) -> None:
    config = project / "task-templates.yaml"
    state, _ = state_for_config(open_file(config), 0)
    state.set("task", ("task", "algorithm", 0, "arguments", "top_k"), 3)
    plan = plan_save(state, project)
    kinds = {c.role: c.kind for c in plan.changes}
    assert kinds == {"task": "changed", "config": "unchanged"}
    task_change = next(c for c in plan.changes if c.role == "task")
    assert task_change.reformatted == []
    assert changed_lines(TASK, task_change.new_text) == ["-        top_k: 5", "+        top_k: 3"]
    apply_save(plan, state)
    assert (project / "retina.yaml").read_text() == TASK.replace("top_k: 5", "top_k: 3")


def test_file_changed_on_disk_is_detected(project: Path) -> None:
    state, _ = state_for_config(open_file(project / "task-templates.yaml"), 0)
    (project / "task-templates.yaml").write_text(
        CONFIG.replace("Retina classification", "Someone else")
    )
    state.set("config", ("task-templates", 0, "title"), "Retina classifier")
    plan = plan_save(state, project)
    change = next(c for c in plan.changes if c.role == "config")
    assert change.changed_on_disk
    assert plan.needs_confirmation


def test_lone_task_yaml_saves_only_the_task(project: Path) -> None:
    state = state_for_task(open_file(project / "retina.yaml"))
    assert state.task_only
    state.set("task", ("pods", "identifiers"), ["retina-pod", "second-pod"])
    plan = plan_save(state, project)
    assert [c.role for c in plan.changes] == ["task"]
    assert (project / "task-templates.yaml").read_text() == CONFIG


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"\x00\x01binary\x00", "binary"),
        (b"slug: caf\xe9\n", "not UTF-8"),
    ],
)
def test_unopenable_files_are_refused_with_a_reason(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CannotOpen, match=expected):
        open_file(path)
    if content is not None:
        assert path.read_bytes() == content


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CannotOpen, match="folder"):
        open_file(tmp_path)


def test_roundtrip_fixture_configs_open_and_save_byte_identical(tmp_path: Path) -> None:
    for name in (
        "several-templates.yaml",
        "task-templates.yaml",
        "windows-crlf.yaml",
        "unicode-bom.yaml",
    ):
        source = FIXTURES / "roundtrip" / name
        if not source.exists():
            continue
        target = tmp_path / name
        shutil.copy(source, target)
        opened = open_file(target)
        if opened.kind != "config":
            continue
        state, _ = state_for_config(opened, 0)
        state.task_path = None
        state.config_only = True
        plan = plan_save(state, tmp_path)
        assert [c.kind for c in plan.changes] == ["unchanged"], name
        assert target.read_bytes() == source.read_bytes()


# ------------------------------------------------------------------ with the Pilot
async def test_edit_a_commented_config_change_tag_and_argument(project: Path) -> None:
    config = project / "task-templates.yaml"
    app = TaskWizardApp("edit", path=config)
    app.default_folder = lambda: project  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("enter")  # the first (only) template
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        # Change a tag on the template step.
        app.state.set("config", ("task-templates", 0, "tags"), ["Prediction", "Ophthalmology"])
        app.screen.show_step("template")
        await settle(pilot)
        # Change an algorithm argument through the raw YAML of the algorithms step.
        app.screen.show_step("algorithms")
        await settle(pilot)
        app.state.set("task", ("task", "algorithm", 0, "arguments", "top_k"), 3)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        diff = "\n".join(c.diff() for c in app.screen.plan.to_write)
        assert "+    tags: [Prediction, Ophthalmology]" in diff
        await pilot.press("ctrl+s")
        await settle(pilot)
    new_config = config.read_text()
    assert changed_lines(CONFIG, new_config) == [
        "-    tags: [Prediction]   # more tags later",
        "+    tags: [Prediction, Ophthalmology]   # more tags later",
    ]
    assert changed_lines(TASK, (project / "retina.yaml").read_text()) == [
        "-        top_k: 5",
        "+        top_k: 3",
    ]


async def test_file_with_syntax_error_opens_in_raw_editor_and_is_fixed(project: Path) -> None:
    broken = TASK.replace(
        "    name: bitfount.InferenceAndCSVReport",
        "    name: bitfount.InferenceAndCSVReport\n   oops: [",
    )
    path = project / "retina.yaml"
    path.write_text(broken)
    app = TaskWizardApp("edit", path=path)
    app.default_folder = lambda: project  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        editor = app.screen.query_one(RawYamlEditor)
        from textual.widgets import Static, TextArea

        message = str(app.screen.query_one("#raw-problems", Static).render())
        assert "line" in message and "column" in message
        area = editor.query_one(TextArea)
        row, _ = area.cursor_location
        assert 8 <= row <= 11  # the cursor sits at the error
        area.text = TASK  # the user fixes it
        await settle(pilot, 5)
        assert not app.state.raw_text
        assert app.state.task["task"]["protocol"]["name"] == "bitfount.InferenceAndCSVReport"
        assert not app.screen.query(RawYamlEditor)  # the steps are open again
    assert path.read_text() == broken  # nothing written without Save


async def test_missing_file_shows_a_message_and_writes_nothing(tmp_path: Path) -> None:
    app = TaskWizardApp("edit", path=tmp_path / "nope.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, WizardScreen)
        assert isinstance(app.screen, NoticeDialog)
        assert "no such file" in app.screen.message
    assert os.listdir(tmp_path) == []


async def test_changed_on_disk_asks_and_can_reload_theirs(project: Path) -> None:
    config = project / "task-templates.yaml"
    app = TaskWizardApp("edit", path=config)
    app.default_folder = lambda: project  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.state.set("config", ("task-templates", 0, "title"), "Mine")
        theirs = CONFIG.replace("Retina classification", "Theirs")
        config.write_text(theirs)
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        from textual.widgets import Button

        assert "Overwrite theirs" in str(dialog.query_one("#write", Button).label)
        await pilot.click("#reload")
        await settle(pilot)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.config["task-templates"][0]["title"] == "Theirs"
        assert len([s for s in app.screen_stack if isinstance(s, WizardScreen)]) == 1
    assert config.read_text() == theirs
