"""80x24 first: the footer keeps Save, Help and Quit on every step, titles fit, the
preview is beside the form only when both fit; a new template does not shout."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static
from textual.widgets._footer import FooterKey
from tui_helpers import new_app, settle, wizard

from taskwizard.wizard_steps import STEP_IDS, STEPS

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_save_help_and_quit_are_in_the_footer_on_every_step(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = wizard(app)
        for step in STEP_IDS:
            screen.show_step(step)
            await settle(pilot)
            shown = {
                key.action: key
                for key in screen.query(FooterKey)
                if key.region.width and key.region.right <= size[0]
            }
            for action in ("save", "help", "next", "back"):
                assert action in shown, f"{action} not visible on {step} at {size}"
            assert {"quit", "app.quit"} & set(shown), f"Quit not visible on {step} at {size}"
            title = str(screen.query_one("#wizard-title", Static).render())
            step_part = f"Step {STEP_IDS.index(step) + 1}/8 {dict(STEPS)[step]}"
            assert title.startswith(step_part) and len(step_part) < size[0] - 2


async def test_f2_at_80_columns_shows_the_preview_instead_of_the_form(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = wizard(app)
        column = screen.query_one("#step-column")
        await pilot.press("f2")
        await settle(pilot)
        preview = screen.query_one("#preview")
        assert preview.display and not column.display
        assert preview.region.width >= 76  # the whole width, not squeezed beside the form
        assert app.focused is preview
        await pilot.press("f2")
        await settle(pilot)
        assert column.display and not preview.display
        assert app.focused is not None and column in app.focused.ancestors


async def test_preview_beside_the_form_when_both_fit(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = wizard(app)
        assert screen.query_one("#preview").display and screen.query_one("#step-column").display


async def test_a_new_template_shows_no_error_mark_before_anything_is_typed(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)  # the validators load
        await settle(pilot)
        steps = wizard(app).query_one("#step-list", OptionList)
        assert "✗" not in str(steps.get_option_at_index(0).prompt)
        await pilot.press("x", "backspace")  # touched, and the slug is empty again
        await settle(pilot)
        assert "✗" in str(steps.get_option_at_index(0).prompt)


async def test_tags_are_not_marked_required_and_none_is_written_as_an_empty_list(
    tmp_path: Path,
) -> None:
    from tui_helpers import field

    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tags = field(app, "field-tags")
        label = str(tags.query_one(".field--label", Static).render())
        assert label == "Tags"  # no "*": Bitfount accepts tags: []
        assert app.state.entry["tags"] == []


async def test_a_number_variables_default_shows_in_the_preview_once_typed(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input
    from tui_helpers import field

    app = new_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.state.task["template"] = {"threshold": {"type": "number", "label": "Threshold"}}
        wizard(app).show_step("variables")
        await settle(pilot)
        value = wizard(app).query_one("#try-0", Input)
        assert value.placeholder == "no default: type a value"
        field(app, "variable-0-default").focus_editor()
        await pilot.press(*"2.5")
        await settle(pilot)
        await pilot.pause(0.6)  # the preview follows a burst of typing
        await settle(pilot)
        assert app.state.task["template"]["threshold"]["default"] == 2.5
        assert value.placeholder == "default: 2.5"


async def test_a_long_algorithm_name_stays_on_one_line_at_80_columns(tmp_path: Path) -> None:
    from tui_helpers import field

    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.state.task["task"]["algorithm"] = [
            {"name": "bitfount.HuggingFaceImageClassificationInference"}
        ]
        wizard(app).show_step("algorithms")
        await settle(pilot)
        button = field(app, "algorithm-0-name").editor
        assert button.region.height <= 3  # one line of text (was two, cut at "Inferen|ce")
