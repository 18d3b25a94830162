"""Each step's validation, the Models/Data/Review steps, raw YAML editing, jump-to-problem,
and the layout at 80×24 and 120×40."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, OptionList, Static, TextArea
from tui_helpers import (
    SIZE,
    field,
    focused_field,
    footer_greyed,
    new_app,
    problem_text,
    replace_text,
    settle,
    type_text,
    wizard,
    write_model_files,
)

from taskwizard.model.yamlio import dump_yaml
from taskwizard.tui.dialogs.file_picker import FilePickerDialog
from taskwizard.tui.screens.wizard import WizardScreen
from taskwizard.wizard_steps import STEP_IDS

pytestmark = pytest.mark.anyio


async def test_pods_problem_shows_after_touching_next_greyed_and_f8(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        app.state.task["pods"]["identifiers"] = ["Bad Pod"]  # e.g. from a resumed draft
        screen.show_step("pods")
        await settle(pilot)
        pods = field(app, "field-pods")
        # The pod id is an error, but an untouched field does not shout...
        assert screen.errors_here() == 1
        assert problem_text(pods) == ""
        # ...while Next is greyed out in the footer, with the reason on the status line.
        assert footer_greyed(app, "next")
        assert screen.check_action("next", ()) is None
        status = str(screen.query_one("#step-status", Static).render())
        assert status and "No problems" not in status
        await pilot.press("end", "x")
        await settle(pilot)
        assert app.state.task["pods"]["identifiers"] == ["Bad Podx"]
        assert "Bad Podx" in problem_text(pods)  # touched: now it shows, in the model's words
        assert footer_greyed(app, "next")
        await replace_text(pilot, "owner/good-pod")
        assert problem_text(pods) == ""
        assert screen.errors_here() == 0
        assert not footer_greyed(app, "next")
        # F8 goes to the first remaining problem: the empty slug on the Template step.
        await pilot.press("f8")
        await settle(pilot)
        assert screen.step_id == "template"
        assert focused_field(app) is field(app, "field-slug")
        assert problem_text(field(app, "field-slug")) != ""  # after a jump every problem shows


async def test_models_step_add_pick_check_remove(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    model, weights = write_model_files(folder / "models", "Net")
    (folder / "models" / "Bad.py").write_text("class Other:\n    pass\n")
    app = new_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("models")
        await settle(pilot)
        assert app.state.config_path == str(folder / "task-templates.yaml")
        screen.query_one("#add-model", Button).press()
        await settle(pilot)
        assert app.state.config["models"] == [{"model_file": "", "private": True}]
        file_field = field(app, "model-0-file")
        assert app.focused is file_field.editor
        # A file that is not there: the model's own check, under the field.
        await type_text(pilot, "X.py")
        assert "not found" in problem_text(file_field)
        # A file whose class is not named like the file.
        await replace_text(pilot, "models/Bad.py")
        assert "no class named 'Bad'" in problem_text(file_field)
        # A class named like the file that Bitfount's uploader would refuse: no
        # initialise_model/deserialize and no Bitfount model base (read, never run).
        (folder / "models" / "Plain.py").write_text("class Plain:\n    pass\n")
        await replace_text(pilot, "models/Plain.py")
        assert "must implement BaseModelProtocol" in problem_text(file_field)
        assert footer_greyed(app, "next")
        # The picker: type a path relative to the config's folder, Enter chooses it.
        screen.query_one("#pick-model-0", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, FilePickerDialog)
        await replace_text(pilot, "models/Net.py")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.state.config["models"][0]["model_file"] == "models/Net.py"
        assert field(app, "model-0-file").editor.value == "models/Net.py"  # type: ignore[attr-defined]
        assert problem_text(field(app, "model-0-file")) == ""
        # The weights picker, cancelled with Escape, changes nothing.
        screen.query_one("#pick-weights-0", Button).press()
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert "weights_file" not in app.state.config["models"][0]
        assert screen.errors_here() == 0
        # Private is a checkbox, default on.
        field(app, "model-0-private").focus_editor()
        await pilot.press("space")
        await settle(pilot)
        assert app.state.config["models"][0]["private"] is False
        screen.query_one("#remove-model-0", Button).press()
        await settle(pilot)
        assert app.state.config["models"] == []
        assert not screen.query("#model-0-file")


async def test_data_step_empty_values_remove_their_keys(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("data")
        await settle(pilot)
        assert focused_field(app) is field(app, "field-table")
        await type_text(pilot, "t")
        field(app, "field-target").focus_editor()
        await type_text(pilot, "a, b")
        field(app, "field-exclude").focus_editor()
        await type_text(pilot, "c")
        ds = app.state.task["task"]["data_structure"]
        assert ds == {
            "table_config": {"table": "t"},
            "assign": {"target": ["a", "b"]},
            "select": {"exclude": ["c"]},
        }
        field(app, "field-target").focus_editor()
        await replace_text(pilot, "a")
        assert app.state.task["task"]["data_structure"]["assign"] == {"target": "a"}
        for field_id in ("field-table", "field-target", "field-exclude"):
            field(app, field_id).focus_editor()
            await replace_text(pilot, "")
        assert app.state.task["task"]["data_structure"] == {}
        assert "data_structure: {}" in dump_yaml(app.state.task)
        hint = str(screen.query_one("#data-raw-hint", Static).render())
        assert "Ctrl+E" in hint and "transform" in hint


async def test_raw_yaml_shows_line_and_column_then_updates_the_state(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("pods")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert screen.raw_mode
        await replace_text(pilot, "pods:\n  identifiers: [a-pod\n")
        message = str(screen.query_one("#raw-problems", Static).render())
        assert "line " in message and "column " in message
        assert app.state.task["pods"]["identifiers"] == []  # nothing applied yet
        assert "pods" in app.state.raw_text
        # Leaving the raw view is refused until it parses.
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert screen.raw_mode
        await replace_text(
            pilot,
            "pods:\n  identifiers: [a-pod]\nmodeller:\n  identity_verification_method: key-based\n",
        )
        assert app.state.task["pods"] == {"identifiers": ["a-pod"]}
        assert app.state.task["modeller"] == {"identity_verification_method": "key-based"}
        assert "pods" not in app.state.raw_text
        # Tab indents in the raw YAML editor (elsewhere it moves to the next field).
        area = screen.query_one("#raw-text", TextArea)
        before = area.text
        await pilot.press("tab")
        await settle(pilot, 1)
        assert app.focused is area and area.text == before + "  "
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert not screen.raw_mode
        assert field(app, "field-pods").editor.value == "a-pod"


async def test_review_lists_every_problem_and_enter_jumps_to_it(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        # Another template in the same config, broken: listed, but not jumpable from here.
        app.state.config["task-templates"].append({"slug": "other"})
        screen.show_step("review")
        await settle(pilot)
        save = screen.query_one("#review-save", Button)
        assert save.disabled
        assert "error" in str(screen.query_one("#review-save-reason", Static).render())
        problems = screen.query_one("#review-problems", OptionList)
        labels = [str(problems.get_option_at_index(i).prompt) for i in range(problems.option_count)]
        assert any("task-templates[0].slug" in label for label in labels)
        assert any("pods.identifiers" in label for label in labels)
        assert any("another template of this config" in label for label in labels)
        assert screen.query_one("#config-path", Input).value == str(
            tmp_path / "task-templates.yaml"
        )
        pods_index = next(i for i, label in enumerate(labels) if "pods.identifiers" in label)
        problems.focus()
        problems.highlighted = pods_index
        await pilot.press("enter")
        await settle(pilot)
        assert screen.step_id == "pods"
        assert focused_field(app) is field(app, "field-pods")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_step_fits_and_survives_resizing(tmp_path: Path, size: tuple[int, int]) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = wizard(app)
        assert screen.preview_shown is (size[0] >= 110)
        for step in STEP_IDS:  # every step of the registry
            screen.show_step(step)
            await settle(pilot)
            view = screen.step_view
            assert view is not None and view.size.width >= 40, (step, view)
            assert screen.query_one("#step-status").region.bottom < size[1]
        await pilot.press("f2")
        await settle(pilot)
        assert screen.preview_shown is not (size[0] >= 110)
        other = (120, 40) if size == (80, 24) else (80, 24)
        await pilot.resize_terminal(*other)
        await settle(pilot)
        assert screen.step_view is not None
        assert screen.query_one("#step-status").region.bottom < other[1]


async def test_save_is_refused_with_no_pod(tmp_path: Path) -> None:
    """Bitfount refuses a task with no pod ("Must provide at least one `pod_identifier`"):
    the Review step greys out Save and lists that problem, which disappears with a pod."""
    import yaml

    example = Path("/work/shared/examples/mnist-inference-task.yaml")
    task = yaml.safe_load(example.read_text())
    task["pods"]["identifiers"] = []
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        app.state.config["task-templates"][0].update(
            slug="mnist", title="MNIST", description="d", template="mnist.yaml"
        )
        app.state.task = task
        screen.show_step("review")
        await settle(pilot)
        problems = screen.query_one("#review-problems", OptionList)
        labels = [str(problems.get_option_at_index(i).prompt) for i in range(problems.option_count)]
        assert any("at least one `pod_identifier`" in label for label in labels), labels
        assert screen.query_one("#review-save", Button).disabled

        app.state.task["pods"]["identifiers"] = ["me/a-pod"]
        screen.show_step("pods")
        await settle(pilot)
        screen.show_step("review")
        await settle(pilot)
        assert screen.total_errors() == 0, screen.problems
        assert not screen.query_one("#review-save", Button).disabled


async def test_a_problem_quoting_brackets_shows_them_and_warnings_have_their_colour(
    tmp_path: Path,
) -> None:
    """Problem lines are text, not markup: "[b]" in what was typed stayed out of the
    message (read as a style tag) and "[x]" vanished. An error's line is in the error
    colour and a warning's in the warning colour, line by line."""
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        slug = field(app, "field-slug")
        slug.focus_editor()
        await type_text(pilot, "a[b]c[x]")
        await settle(pilot)
        text = problem_text(slug)
        assert "slug 'a[b]c[x]' becomes" in text, text
        box = next(slug.query(".field--problem").results(Static))

        def colours() -> set[str]:
            return {str(s.style.color) for s in box.render_line(0) if s.text.strip() and s.style}

        assert [span.style for span in box.content.spans] == ["$warning"]  # type: ignore[union-attr]
        warning_colours = colours()
        await replace_text(pilot, "[]")  # no letters or digits: an error
        assert "slug '[]' has no letters or digits" in problem_text(slug)
        assert not box.content.spans  # type: ignore[union-attr]  # the box's own $error
        assert colours().isdisjoint(warning_colours)
