"""The Algorithms step: ordered list, generated forms, model section, typed hyperparameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import field, focus_field, new_app, settle, tw_app, wizard

from taskwizard.model.yamlio import dump_yaml
from taskwizard.tui.dialogs.confirm import ConfirmDialog
from taskwizard.tui.dialogs.pick import PickDialog
from taskwizard.tui.widgets.keyvalue import KeyValueRow

pytestmark = pytest.mark.anyio
SIZE = (100, 30)
ALGORITHM = ("task", "algorithm")


async def open_step(pilot: Pilot[Any], **task: Any) -> None:
    await settle(pilot)
    tw_app(pilot).state.task["task"].update(task)
    wizard(tw_app(pilot)).show_step("algorithms")
    await settle(pilot)


def names(app: Any) -> list[str]:
    return [a["name"] for a in app.state.get("task", ALGORITHM)]


async def add(pilot: Pilot[Any], search: str) -> None:
    await pilot.press("ctrl+t")
    await settle(pilot, 1)
    assert isinstance(pilot.app.screen, PickDialog)
    await pilot.press(*search, "enter")
    await settle(pilot)


async def test_add_remove_and_move_with_the_keyboard(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        assert names(app) == ["bitfount.ModelInference"]
        await add(pilot, "CSVReportAlgorithm")
        await add(pilot, "SqlQuery")
        assert names(app) == [
            "bitfount.ModelInference",
            "bitfount.CSVReportAlgorithm",
            "bitfount.SqlQuery",
        ]
        # The new algorithm has focus: moving it up twice puts it first.
        assert app.focused is field(app, "algorithm-2-name").editor
        await pilot.press("alt+up")
        await settle(pilot)
        await pilot.press("ctrl+up")
        await settle(pilot)
        assert names(app) == [
            "bitfount.SqlQuery",
            "bitfount.ModelInference",
            "bitfount.CSVReportAlgorithm",
        ]
        assert app.focused is field(app, "algorithm-0-name").editor
        await pilot.press("alt+up")  # already first: nothing moves
        await settle(pilot)
        await pilot.press("alt+down")
        await settle(pilot)
        assert names(app)[:2] == ["bitfount.ModelInference", "bitfount.SqlQuery"]
        # Ctrl+R removes the one with focus (nothing set on it: no question asked).
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert names(app) == ["bitfount.ModelInference", "bitfount.CSVReportAlgorithm"]


async def test_buttons_move_and_remove_and_remove_asks_when_something_is_set(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(
            pilot,
            algorithm=[
                {"name": "bitfount.CSVReportAlgorithm", "arguments": {"decimal_places": 3}},
                {"name": "bitfount.ModelInference"},
            ],
        )
        wizard(app).query_one("#algorithm-1 .move-up").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert names(app) == ["bitfount.ModelInference", "bitfount.CSVReportAlgorithm"]
        wizard(app).query_one("#algorithm-1 .remove").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert len(names(app)) == 2
        wizard(app).query_one("#algorithm-1 .remove").focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert names(app) == ["bitfount.ModelInference"]


async def test_model_section_with_a_model_from_the_config_and_typed_hyperparameters(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.state.config["models"] = [{"model_file": "models/RetinaClassifier.py"}]
        await open_step(pilot)
        wizard(app).query_one("#algorithm-0-pick-model").focus()
        await pilot.press("enter")
        await settle(pilot, 1)
        dialog = app.screen
        assert isinstance(dialog, PickDialog)
        assert [o.id for o in dialog.options] == ["RetinaClassifier"]
        await pilot.press("enter")
        await settle(pilot)
        await focus_field(pilot, "algorithm-0-model-version")
        await pilot.press("3", "tab", *"me")
        await settle(pilot)
        await focus_field(pilot, "algorithm-0-hyperparameters")  # no rows yet: the Add button
        rows = {"n": "4", "lr": "0.1", "on": "true", "opt": "a"}
        for key, value in rows.items():
            await pilot.press("enter")  # + Add row -> focus on the new key
            await settle(pilot)
            await pilot.press(*key, "tab", *value, "tab", "tab")  # key, value, ✕, back on Add
            await settle(pilot, 1)
        model = app.state.get("task", (*ALGORITHM, 0, "model"))
        assert model == {
            "bitfount_model": {
                "model_ref": "RetinaClassifier",
                "model_version": 3,
                "username": "me",
            },
            "hyperparameters": {"n": 4, "lr": 0.1, "on": True, "opt": "a"},
        }
        hyper = model["hyperparameters"]
        assert type(hyper["n"]) is int and type(hyper["lr"]) is float
        # The model section now satisfies the validator (no problem left on this step).
        assert wizard(app).errors_here() == 0


async def test_no_empty_arguments_mapping_is_ever_written(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, algorithm=[{"name": "bitfount.HuggingFacePerplexityEvaluation"}])
        await focus_field(pilot, "arg-model_id")
        await pilot.press(*"gpt2")
        await settle(pilot, 1)
        assert app.state.get("task", (*ALGORITHM, 0)) == {
            "name": "bitfount.HuggingFacePerplexityEvaluation",
            "arguments": {"model_id": "gpt2"},
        }
        stride = await focus_field(pilot, "arg-stride")
        assert isinstance(stride.editor, Input) and "512" in stride.editor.placeholder
        await pilot.press("1", "0")
        await settle(pilot, 1)
        assert app.state.get("task", (*ALGORITHM, 0, "arguments", "stride")) == 10
        await pilot.press("backspace", "backspace", "5", "1", "2")  # the default: key removed
        await settle(pilot, 1)
        assert "stride" not in app.state.get("task", (*ALGORITHM, 0, "arguments"))
        await focus_field(pilot, "arg-model_id")
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await settle(pilot, 1)
        assert app.state.get("task", (*ALGORITHM, 0)) == {
            "name": "bitfount.HuggingFacePerplexityEvaluation"
        }
        assert "arguments: {}" not in dump_yaml(app.state.task)
        assert "arguments:" not in dump_yaml(app.state.get("task", ALGORITHM))


async def test_empty_model_and_rows_are_pruned(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        await focus_field(pilot, "algorithm-0-model-ref")
        await pilot.press("x")
        await settle(pilot, 1)
        assert app.state.get("task", (*ALGORITHM, 0, "model")) == {
            "bitfount_model": {"model_ref": "x"}
        }
        await pilot.press("backspace")
        await settle(pilot, 1)
        assert app.state.get("task", (*ALGORITHM, 0)) == {"name": "bitfount.ModelInference"}
        hyper = await focus_field(pilot, "algorithm-0-hyperparameters")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("k", "tab", "v")
        await settle(pilot, 1)
        row = hyper.query_one(KeyValueRow)
        row.query_one(".kv--remove").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.get("task", (*ALGORITHM, 0)) == {"name": "bitfount.ModelInference"}


async def test_single_algorithm_mapping_is_kept_until_a_structural_change(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, algorithm={"name": "bitfount.CSVReportAlgorithm"})
        assert app.state.get("task", ALGORITHM) == {"name": "bitfount.CSVReportAlgorithm"}
        await focus_field(pilot, "arg-decimal_places")
        await pilot.press("4")
        await settle(pilot, 1)
        assert app.state.get("task", ALGORITHM) == {
            "name": "bitfount.CSVReportAlgorithm",
            "arguments": {"decimal_places": 4},
        }
        await add(pilot, "ModelInference")
        assert app.state.get("task", ALGORITHM) == [
            {"name": "bitfount.CSVReportAlgorithm", "arguments": {"decimal_places": 4}},
            {"name": "bitfount.ModelInference"},
        ]


async def test_changing_an_algorithm_keeps_the_model_and_asks_before_dropping_arguments(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(
            pilot,
            algorithm=[
                {
                    "name": "bitfount.ModelInference",
                    "arguments": {"class_outputs": ["a"]},
                    "model": {"bitfount_model": {"model_ref": "M"}},
                }
            ],
        )
        await focus_field(pilot, "algorithm-0-name")
        await pilot.press("enter")
        await settle(pilot, 1)
        await pilot.press(*"ModelEvaluation", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.state.get("task", ALGORITHM) == [
            {"name": "bitfount.ModelEvaluation", "model": {"bitfount_model": {"model_ref": "M"}}}
        ]


async def test_a_domain_component_gets_a_form_from_its_mirrored_schema(tmp_path: Path) -> None:
    """MONAIBundleInference's arguments are in the catalog now: a field each, not raw YAML."""
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, algorithm=[{"name": "bitfount.MONAIBundleInference"}])
        await focus_field(pilot, "arg-bundle_name")
        await pilot.press(*"spleen")
        await settle(pilot, 1)
        workers = await focus_field(pilot, "arg-num_workers")
        assert isinstance(workers.editor, Input) and "1" in workers.editor.placeholder
        await pilot.press("4")
        await settle(pilot, 1)
        assert app.state.get("task", (*ALGORITHM, 0)) == {
            "name": "bitfount.MONAIBundleInference",
            "arguments": {"bundle_name": "spleen", "num_workers": 4},
        }
