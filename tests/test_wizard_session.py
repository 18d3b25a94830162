"""A whole keyboard-only session from `taskwizard new` to saved files, then a second template
in the same config, and the overwrite confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textual.widgets import Button, Input, OptionList, SelectionList
from tui_helpers import (
    SIZE,
    field,
    new_app,
    replace_text,
    settle,
    tab_to,
    tab_to_widget,
    type_text,
    wizard,
    write_model_files,
)

from taskwizard.model.validate import validate_paths
from taskwizard.tui.dialogs.save import SaveDialog
from taskwizard.tui.dialogs.saved import SavedDialog
from taskwizard.tui.screens.wizard import WizardScreen

pytestmark = pytest.mark.anyio

ALGORITHM_YAML = """algorithm:
- name: bitfount.ModelInference
  model:
    bitfount_model:
      model_ref: Net
      model_version: 1
"""


def assert_valid(paths: list[Path]) -> None:
    reports = validate_paths(paths)
    errors = [p.format() for r in reports for p in r.problems if p.is_error]
    assert errors == []


async def fill_template_step(pilot, slug: str, title: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    assert app.focused is field(app, "field-slug").editor  # `new` focuses the first field
    await type_text(pilot, slug)
    await tab_to(pilot, "field-title")
    await type_text(pilot, title)
    await tab_to(pilot, "field-description")
    await type_text(pilot, "D")
    await tab_to(pilot, "field-tags")
    tags = field(app, "field-tags").editor
    assert isinstance(tags, SelectionList)
    await pilot.press("space")  # the first tag: Prediction
    await settle(pilot)


async def save_and_confirm(pilot) -> list[Path]:  # type: ignore[no-untyped-def]
    app = pilot.app
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, SaveDialog), app.screen
    await pilot.press("ctrl+s")  # Write
    await settle(pilot)
    assert isinstance(app.screen, SavedDialog), app.screen
    return list(app.screen.written)


async def test_keyboard_session_new_to_saved_files_then_second_template(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    model, weights = write_model_files(folder, "Net")
    app = new_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        assert screen.step_id == "template"

        # 1. Template
        await fill_template_step(pilot, "R C", "R")
        entry = app.state.entry
        assert entry["slug"] == "R C"
        assert entry["type"] == "image-classification"
        assert entry["tags"] == ["Prediction"]
        assert screen.errors_here() == 0
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 2. Models: add one, type the model file, and the weights file
        assert screen.step_id == "models"
        await tab_to_widget(pilot, "add-model")
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.config["models"] == [{"model_file": "", "private": True}]
        assert app.focused is field(app, "model-0-file").editor
        await type_text(pilot, model.name)
        await tab_to(pilot, "model-0-weights")
        await type_text(pilot, weights.name)
        await settle(pilot)
        assert screen.errors_here() == 0, [p for _, p in screen.problems if p.is_error]
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 3. Pods & modeller
        assert screen.step_id == "pods"
        assert app.focused is field(app, "field-pods").editor
        await type_text(pilot, "me/p")
        await settle(pilot)
        assert app.state.task["pods"]["identifiers"] == ["me/p"]
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 4. Protocol: the default the framework creates
        assert screen.step_id == "protocol"
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 5. Algorithms: the model section through the raw YAML view (keyboard only)
        assert screen.step_id == "algorithms"
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert screen.raw_mode
        await replace_text(pilot, ALGORITHM_YAML)
        await settle(pilot)
        assert app.state.task["task"]["algorithm"][0]["model"]["bitfount_model"] == {
            "model_ref": "Net",
            "model_version": 1,
        }
        await pilot.press("ctrl+e")  # back to the form
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 6. Data structure
        assert screen.step_id == "data"
        await tab_to(pilot, "field-target")
        await type_text(pilot, "label")
        await tab_to(pilot, "field-image-cols")
        await type_text(pilot, "image_path")
        await settle(pilot)
        assert app.state.task["task"]["data_structure"] == {
            "assign": {"target": "label", "image_cols": ["image_path"]}
        }
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 7. Variables: none
        assert screen.step_id == "variables"
        await pilot.press("ctrl+n")
        await settle(pilot)

        # 8. Review, then save
        assert screen.step_id == "review"
        assert screen.total_errors() == 0, screen.problems
        assert not screen.query_one("#review-save", Button).disabled
        written = await save_and_confirm(pilot)
        config_path = folder / "task-templates.yaml"
        task_path = folder / "r-c.yaml"
        assert sorted(written) == sorted([config_path, task_path])
        config = yaml.safe_load(config_path.read_text())
        assert config["task-templates"][0]["template"] == "r-c.yaml"
        assert config["models"] == [
            {"model_file": "Net.py", "private": True, "weights_file": "Net.pt"}
        ]
        assert_valid([config_path, task_path])

        # After saving: add another template to the same config
        choices = app.screen.query_one("#saved-choices", OptionList)
        assert choices.highlighted == 0  # "Add another task template to this config"
        await pilot.press("enter")
        await settle(pilot)
        screen = wizard(app)
        assert app.state.template_index == 1
        assert app.state.config_path == str(config_path)
        await fill_template_step(pilot, "s2", "S")
        screen.show_step("pods")
        await settle(pilot)
        await type_text(pilot, "p")
        screen.show_step("review")
        await settle(pilot)
        assert screen.total_errors() == 0, screen.problems
        second = await save_and_confirm(pilot)

    assert (folder / "s2.yaml") in second
    config = yaml.safe_load(config_path.read_text())
    slugs = [e["slug"] for e in config["task-templates"]]
    assert slugs == ["R C", "s2"]
    assert [e["template"] for e in config["task-templates"]] == [
        "r-c.yaml",
        "s2.yaml",
    ]
    assert task_path.exists() and (folder / "s2.yaml").exists()
    assert_valid([config_path])  # validates both task YAMLs it points to


EXISTING_CONFIG = """\
# someone's config: keep this comment
task-templates:
  - slug: first   # the first template
    title: First
    type: text-classification
    description: The first one.
    template: first.yaml
    tags: [Prediction]

models: []
"""


async def _new_template_ready_to_save(pilot, slug: str) -> WizardScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await settle(pilot)
    screen = wizard(app)
    await fill_template_step(pilot, slug, "O")
    screen.show_step("pods")
    await settle(pilot)
    await type_text(pilot, "a-pod")
    screen.show_step("review")
    await settle(pilot)
    assert screen.total_errors() == 0, screen.problems
    return screen


async def test_new_template_in_a_folder_with_a_config_is_added_to_it(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    existing = folder / "task-templates.yaml"
    existing.write_text(EXISTING_CONFIG)
    (folder / "ov.yaml").write_text("# someone's task YAML with the same name\n")
    app = new_app(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_template_ready_to_save(pilot, "ov")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        # The note is at the dialog's top, on screen at 80x24.
        note = dialog.query_one("#save-warnings")
        assert note.region.bottom <= 24 and note.region.height > 0
        text = " ".join(str(s.render()) for s in dialog.query(".save--warn"))
        assert "this template is added to it" in text and "first" in text
        await pilot.press("escape")  # cancel: nothing written
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert existing.read_text() == EXISTING_CONFIG
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")  # Ctrl+S twice: adds, never replaces
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
        await pilot.press("escape")
        await settle(pilot)
        # The session now edits the whole config: a further change edits it in place.
        assert app.state.template_index == 1
        assert app.state.entry["slug"] == "ov"
    text = existing.read_text()
    assert text.startswith(EXISTING_CONFIG.rstrip("\n").rsplit("\n\nmodels", 1)[0])
    assert "# the first template" in text
    config = yaml.safe_load(text)
    assert [e["slug"] for e in config["task-templates"]] == ["first", "ov"]
    # Its task YAML did not take the other file's name.
    assert config["task-templates"][1]["template"] == "ov-2.yaml"
    assert (folder / "ov.yaml").read_text().startswith("# someone's task YAML")
    assert yaml.safe_load((folder / "ov-2.yaml").read_text())["pods"]["identifiers"] == ["a-pod"]


async def test_replacing_an_existing_config_is_a_deliberate_choice(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    existing = folder / "task-templates.yaml"
    existing.write_text(EXISTING_CONFIG)
    app = new_app(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_template_ready_to_save(pilot, "ov")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        replace = dialog.query_one("#replace", Button)
        replace.press()
        await settle(pilot)
        text = " ".join(str(s.render()) for s in dialog.query(".save--warn"))
        assert "will be replaced" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavedDialog)
    config = yaml.safe_load(existing.read_text())
    assert [e["slug"] for e in config["task-templates"]] == ["ov"]
    assert_valid([existing])


async def test_a_file_that_is_no_config_is_not_replaced_by_ctrl_s(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    existing = folder / "task-templates.yaml"
    existing.write_text("just: some other yaml\n")
    app = new_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await _new_template_ready_to_save(pilot, "ov")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("ctrl+s")  # not the default: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog)
        assert existing.read_text() == "just: some other yaml\n"


async def test_review_paths_move_the_files_and_the_template_entry(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    app = new_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("review")
        await settle(pilot)
        task_input = screen.query_one("#task-path", Input)
        assert task_input.value == str(folder / "task.yaml")  # no slug yet
        task_input.focus()
        await replace_text(pilot, str(folder / "tasks" / "mine.yaml"))
        await settle(pilot)
        assert app.state.task_path == str(folder / "tasks" / "mine.yaml")
        assert app.state.entry["template"] == "tasks/mine.yaml"


async def test_keys_arriving_in_one_burst_land_in_the_fields_tab_moves_to(tmp_path: Path) -> None:
    """A paste or `tmux send-keys "my-slug" Tab "My title"`: every key is queued before the
    first is handled. Tab must move the focus before the keys after it are delivered."""
    from textual import events

    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst = [*"my-slug", "tab", *"My title", "tab", "tab", *"About it"]
        for key in burst:
            character = "\t" if key == "tab" else key
            name = key if key == "tab" else ("space" if key == " " else key)
            app.post_message(events.Key(name, character))  # queued all at once, as from a read
        await settle(pilot, 5)
        entry = app.state.entry
        assert (entry["slug"], entry["title"], entry["description"]) == (
            "my-slug",
            "My title",
            "About it",
        )
