"""F8 reaches every problem, scrolled into view; a step shows its top; a new card is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget
from tui_helpers import focused_field, new_app, settle, wizard

from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.widgets.fields import Field

pytestmark = pytest.mark.anyio
SMALL = (80, 24)


def on_screen(app: TaskWizardApp, widget: Widget) -> bool:
    view = wizard(app).step_view
    assert view is not None
    return view.region.contains_region(widget.region) and widget.region.height > 0


async def f8_until(pilot: Any, app: TaskWizardApp, want: str, presses: int = 12) -> Field:
    """Press F8 until the focus is on the field whose path ends with ``want``."""
    for _ in range(presses):
        await pilot.press("f8")
        await settle(pilot, 4)
        here = focused_field(app)
        if here is not None and str(here.path[-1]) == want:
            return here
    raise AssertionError(f"F8 never reached {want!r}; on {focused_field(app)}")


async def test_f8_reaches_a_huggingface_model_id_and_fedavg_steps(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)
        app.state.task["task"]["protocol"] = {"name": "bitfount.FederatedAveraging"}
        app.state.task["task"]["algorithm"] = [
            {
                "name": "bitfount.FederatedModelTraining",
                "model": {"bitfount_model": {"model_ref": "M"}},
            },
            {"name": "bitfount.CSVReportAlgorithm"},
            {"name": "bitfount.HuggingFaceImageClassificationInference"},
        ]
        wizard(app).show_step("pods")
        await settle(pilot)
        model_id = await f8_until(pilot, app, "model_id")
        assert wizard(app).step_id == "algorithms"
        assert model_id.path[:3] == ("task", "algorithm", 2)
        assert on_screen(app, model_id.editor)
        steps = await f8_until(pilot, app, "steps_between_parameter_updates")
        assert wizard(app).step_id == "protocol"
        assert on_screen(app, steps.editor)


async def test_f8_reaches_a_variable_declared_but_unused(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)
        app.state.task["template"] = {"unused": {"type": "string", "label": "Never used"}}
        wizard(app).show_step("pods")
        await settle(pilot)
        label = await f8_until(pilot, app, "label")
        assert wizard(app).step_id == "variables"
        assert label.path[:2] == ("template", "unused")
        assert on_screen(app, label.editor)


async def test_entering_a_step_shows_its_top(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.state.task["task"]["algorithm"] = [
            {"name": "bitfount.ModelInference"},
            {"name": "bitfount.CSVReportAlgorithm"},
        ]
        screen = wizard(app)
        screen.show_step("algorithms")
        await settle(pilot)
        view = screen.step_view
        assert view is not None
        view.scroll_end(animate=False)  # leave it scrolled down, go elsewhere, come back
        await settle(pilot)
        screen.show_step("protocol")
        await settle(pilot)
        screen.show_step("algorithms")
        await settle(pilot)
        view = screen.step_view
        assert view is not None
        assert view.scroll_y == 0
        assert on_screen(app, view.query_one(".step--intro"))


async def test_ctrl_t_card_is_scrolled_into_view(tmp_path: Path) -> None:
    from test_steps_algorithms import add

    app = new_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        wizard(app).show_step("algorithms")
        await settle(pilot)
        await add(pilot, "CSVReportAlgorithm")
        await add(pilot, "SqlQuery")
        await settle(pilot)
        here = focused_field(app)
        assert here is not None and here.path == ("task", "algorithm", 2, "name")
        assert on_screen(app, here)


async def test_no_invisible_tab_stops_on_the_models_step(tmp_path: Path) -> None:
    from taskwizard.tui.steps.base import StepView

    app = new_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        wizard(app).show_step("models")
        await settle(pilot)
        for with_model in (False, True):
            if with_model:
                wizard(app).query_one("#add-model").focus()
                await pilot.press("enter")
                await settle(pilot)
            for _ in range(12):
                await pilot.press("tab")
                await settle(pilot, 1)
                assert not isinstance(app.focused, StepView), "Tab stopped on the step itself"
