"""Issue 7's "done when": a template with a model_slug, a column and a number variable,
built from scratch with the keyboard alone, saved, and the saved files validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget

from taskwizard.model import variables
from taskwizard.model.validate import validate_paths
from taskwizard.model.yamlio import load_yaml_file
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.new_variable import NewVariableDialog
from taskwizard.tui.dialogs.pick import PickDialog
from taskwizard.tui.dialogs.save import SaveDialog
from taskwizard.tui.screens.wizard import WizardScreen
from taskwizard.tui.widgets.fields import Field

pytestmark = pytest.mark.anyio
SIZE = (100, 30)


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()


def focused_field(app: Any) -> Field | None:
    node: Widget | None = app.focused
    while node is not None and not isinstance(node, Field):
        node = node.parent if isinstance(node.parent, Widget) else None
    return node


async def tab_to(pilot: Pilot[Any], field_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        current = focused_field(pilot.app)
        if current is not None and current.id == field_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{field_id}; focus is on {pilot.app.focused!r}")


async def go_to_step(pilot: Pilot[Any], moves: int) -> None:
    """Ctrl+L (step list), Down ``moves`` times, Enter."""
    await pilot.press("ctrl+l", *["down"] * moves, "enter")
    await settle(pilot)


async def new_variable_from_field(
    pilot: Pilot[Any], name: str, label: str, type_search: str | None
) -> None:
    """Ctrl+B on the focused field → "New variable from this field…" → the dialog."""
    await pilot.press("ctrl+b")
    await settle(pilot, 1)
    assert isinstance(pilot.app.screen, PickDialog), focused_field(pilot.app)
    await pilot.press(*"new variable", "enter")
    await settle(pilot, 1)
    assert isinstance(pilot.app.screen, NewVariableDialog)
    await pilot.press("ctrl+u", *name, "enter", "ctrl+u", *label)
    if type_search is None:
        await pilot.press("enter")  # only one type fits: Enter creates
    else:
        await pilot.press("tab", "enter")  # the type list
        await settle(pilot, 1)
        await pilot.press(*type_search, "enter", "tab", "tab", "enter")  # Cancel, Create
    await settle(pilot)
    assert isinstance(pilot.app.screen, WizardScreen)


async def test_template_with_model_column_and_number_variables_keyboard_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the uploader opens templates relative to the cwd
    app = TaskWizardApp("new")
    app.default_folder = lambda: tmp_path  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Template: the slug has focus.
        await pilot.press(*"ner-report", "tab", *"NER report")
        await tab_to(pilot, "field-description")
        await pilot.press(*"Finds entities in notes.")
        # Pods (3rd step): Bitfount needs at least one pod, so Save waits for it.
        await go_to_step(pilot, 2)
        await tab_to(pilot, "field-pods")
        await pilot.press(*"me/notes")
        await settle(pilot)
        # Algorithms (5th step): swap ModelInference for NER.
        await go_to_step(pilot, 2)
        await pilot.press("enter")
        await settle(pilot, 1)
        await pilot.press(*"NERInference", "enter")
        await settle(pilot)
        # model_id -> a model_slug variable (it cannot have a default).
        await tab_to(pilot, "arg-model_id")
        await new_variable_from_field(pilot, "model", "Which model?", "model_slug")
        # batch_size 8 -> a number variable with 8 as its default.
        await tab_to(pilot, "arg-batch_size")
        await pilot.press("8")
        await new_variable_from_field(pilot, "batch", "Batch size", None)
        # Data structure (next step): the selected columns -> a column variable.
        await go_to_step(pilot, 1)
        await tab_to(pilot, "field-include")
        await pilot.press(*"text")
        await new_variable_from_field(
            pilot, "columns", "Which columns?", "schema_column_name_array"
        )
        # Variables (the step after): the model variable's provider and library.
        await go_to_step(pilot, 1)
        await tab_to(pilot, "variable-0-provider")
        await pilot.press(*"huggingface", "tab", *"transformers")
        await settle(pilot)
        # Save: Ctrl+S, then Ctrl+S again in the dialog to write.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveDialog), wizard_problems(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        config_path = Path(str(app.state.config_path))
        task_path = Path(str(app.state.task_path))

    assert config_path.is_file() and task_path.is_file()
    reports = validate_paths([config_path, task_path])
    errors = [p for r in reports for p in r.problems if p.is_error]
    assert errors == []
    task = load_yaml_file(task_path).data
    specs = {
        name: variables.parse_declaration(name, decl)[0] for name, decl in task["template"].items()
    }
    assert {n: s.type_key for n, s in specs.items() if s} == {
        "model": "model_slug",
        "batch": "number",
        "columns": "schema_column_name_array",
    }
    assert specs["batch"].default == 8  # type: ignore[union-attr]
    assert specs["columns"].default == ["text"]  # type: ignore[union-attr]
    assert specs["model"].provider == "huggingface"  # type: ignore[union-attr]
    (ner,) = task["task"]["algorithm"]
    assert ner["arguments"] == {"model_id": "{{ model }}", "batch_size": "{{ batch }}"}
    assert task["task"]["data_structure"]["select"]["include"] == "{{ columns }}"


def wizard_problems(app: Any) -> str:
    screen = app.screen
    if not isinstance(screen, WizardScreen):
        return type(screen).__name__
    return "; ".join(f"{d}:{p.path}: {p.message}" for d, p in screen.problems if p.is_error)
