"""A keystroke repaints; it does not re-lay the screen out or rebuild widgets.

A full layout of the wizard screen costs 10-70 ms on a busy step (see
benchmarks/bench_keystroke.py); these tests count layouts and footer rebuilds,
not time, so they hold on a loaded machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_edit_flow import CONFIG, TASK
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets._footer import FooterKey
from tui_helpers import (
    SIZE,
    field,
    footer_greyed,
    new_app,
    problem_text,
    settle,
    type_text,
    wizard,
)

from taskwizard.tui.app import TaskWizardApp
from taskwizard.wizard_steps import STEP_IDS

pytestmark = pytest.mark.anyio


@contextmanager
def count_layouts(screen: Screen[Any]) -> Iterator[list[int]]:
    """Count full layouts of ``screen`` while inside (not the cheap reflow after a scroll,
    which Screen._refresh_layout also does: an Input scrolls its text as you type)."""
    calls = [0]
    original = screen._refresh_layout

    def counted(*args: Any, **kwargs: Any) -> None:
        calls[0] += screen._layout_required or bool(args) or "size" in kwargs
        original(*args, **kwargs)

    screen._refresh_layout = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        screen._refresh_layout = original  # type: ignore[method-assign]


async def test_a_problem_coming_and_going_changes_widgets_in_place(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("pods")
        await settle(pilot)
        pods = field(app, "field-pods")
        pods.focus_editor()
        await type_text(pilot, "owner/pod")
        await settle(pilot)
        # The problem line is mounted the first time it is needed (that one lays out).
        await pilot.press("slash")
        await settle(pilot)
        assert "is not valid" in problem_text(pods)
        await pilot.press("backspace")
        await settle(pilot)
        assert problem_text(pods) == ""
        footer_keys = list(screen.query(FooterKey))
        with count_layouts(screen) as layouts:
            await pilot.press("slash")  # an error appears: Next greys out
            await settle(pilot)
            assert "is not valid" in problem_text(pods)
            assert footer_greyed(app, "next")
            await pilot.press("backspace")  # and goes
            await settle(pilot)
            assert problem_text(pods) == ""
            assert not footer_greyed(app, "next")
            await type_text(pilot, "-2")
            await settle(pilot)
        assert app.state.task["pods"]["identifiers"] == ["owner/pod-2"]
        # Four keys: the problem line, status line, step list and footer change in place.
        # What is left is at most two layouts per key (there were four per key before).
        assert layouts[0] <= 2 * 4
        # Next greyed out and back in place: the footer was not rebuilt.
        assert list(screen.query(FooterKey)) == footer_keys


async def test_a_problem_that_needs_more_lines_still_moves_the_fields_below(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=(60, 30)) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("pods")
        await settle(pilot)
        pods = field(app, "field-pods")
        below = field(app, "field-identity")
        pods.focus_editor()
        await type_text(pilot, "a/b")
        await settle(pilot)
        top = below.region.y
        # Three bad identifiers: more problem lines than one, so the field grows.
        await type_text(pilot, ", c/, d/")
        await settle(pilot)
        assert problem_text(pods).count("\n") >= 1
        assert below.region.y > top
        assert below.region.y >= pods.region.bottom


async def test_review_previews_follow_the_typing_not_each_key(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("review")
        await settle(pilot)
        view = screen.step_view
        assert view is not None
        renders: list[str] = []
        original = app.state.preview

        def render(doc: Any) -> str:
            renders.append(doc)
            return original(doc)

        app.state.preview = render  # type: ignore[method-assign]
        view.query_one("#task-path").focus()
        await pilot.press("end")
        await type_text(pilot, "abc")
        assert renders == []  # not one dump per key...
        await pilot.pause(0.4)
        await settle(pilot)
        assert sorted(renders) == ["config", "task"]  # ...one after the typing stopped
        preview = view.query_one("#task-preview")
        assert (preview.border_title or "").endswith("abc")


async def test_a_wrapped_problem_coming_and_going_does_not_move_the_fields_below(
    tmp_path: Path,
) -> None:
    model = tmp_path / "models" / "Missing.py"
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("models")
        await settle(pilot)
        screen.query_one("#add-model").press()  # type: ignore[attr-defined]
        await settle(pilot)
        model_file = field(app, "model-0-file")
        model_file.focus_editor()
        await type_text(pilot, str(model))
        await settle(pilot)
        await pilot.press("x")  # not there and not a .py file: more lines than before
        await settle(pilot)
        assert problem_text(model_file)
        grown = model_file.region.height
        with count_layouts(screen) as layouts:
            for key in ("backspace", "x") * 3:
                await pilot.press(key)
                await settle(pilot)
        assert "not a .py file" in problem_text(model_file)  # the last "x"
        # The line kept its height while the user typed: nothing below moved.
        assert layouts[0] <= 1
        assert model_file.region.height == grown
        await pilot.press("backspace")
        await settle(pilot)
        assert "not a .py file" not in problem_text(model_file)
        await pilot.press("tab")  # focus leaves: the line gives its height back
        await settle(pilot)
        assert model_file.region.height < grown


async def test_a_step_mark_changing_repaints_that_line_of_the_step_list(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step("pods")
        await settle(pilot)
        pods = field(app, "field-pods")
        pods.focus_editor()
        await type_text(pilot, "owner/pod")
        await settle(pilot)
        step_list = screen.query_one("#step-list", OptionList)
        line = STEP_IDS.index("pods")
        before = str(step_list.get_option_at_index(line).prompt)
        repaints: list[tuple[Region, ...]] = []
        original = step_list.refresh

        def refresh(*regions: Region, **kwargs: Any) -> Any:
            repaints.append(regions)
            return original(*regions, **kwargs)

        step_list.refresh = refresh  # type: ignore[method-assign]
        await pilot.press("slash")  # an error: the step's mark turns to ✗1
        await settle(pilot)
        marked = str(step_list.get_option_at_index(line).prompt)
        assert "✗1" in marked and marked != before
        # Its own line, not the whole list (every option rendered again, its full
        # height joining the region redrawn for the frame).
        assert repaints
        assert all(regions for regions in repaints)
        assert all(r.height == 1 for regions in repaints for r in regions)
        rendered = step_list.render_line(line - step_list.scroll_offset.y).text
        assert "✗1" in rendered
        await pilot.press("backspace")
        await settle(pilot)
        assert "✗" not in step_list.render_line(line - step_list.scroll_offset.y).text


async def test_typing_a_title_does_not_repaint_an_unchanged_slug_preview(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        title = field(app, "field-slug")
        title.focus_editor()
        await type_text(pilot, "retina")
        await settle(pilot)
        preview = screen.query_one("#slug-preview", Static)
        assert "retina" in str(preview.render())
        repaints: list[int] = []
        original = preview.refresh

        def refresh(*regions: Region, **kwargs: Any) -> Any:
            repaints.append(1)
            return original(*regions, **kwargs)

        preview.refresh = refresh  # type: ignore[method-assign]
        field(app, "field-title").focus_editor()
        await type_text(pilot, "Retina")
        await settle(pilot)
        assert app.state.entry["title"].endswith("Retina")
        assert repaints == []  # the slug did not change: its preview was not redrawn
        field(app, "field-slug").focus_editor()
        await pilot.press("end", "s")
        await settle(pilot)
        assert repaints  # and it is when it does
        assert "retinas" in str(preview.render())


async def test_a_status_line_of_one_or_two_lines_does_not_re_lay_out_each_key(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        field(app, "field-title").focus_editor()
        await type_text(pilot, "T")  # touched: the Template step's problems now count
        await settle(pilot)
        screen.show_step("pods")
        await settle(pilot)
        pods = field(app, "field-pods")
        pods.focus_editor()
        await type_text(pilot, "owner/pod")
        await settle(pilot)
        status = screen.query_one("#step-status", Static)
        heights = set()
        for key in ("slash", "backspace"):  # the field's problem line is mounted and held
            await pilot.press(key)
            await settle(pilot)
            heights.add(status.size.height)
        with count_layouts(screen) as layouts:
            for key in ("slash", "backspace") * 3:
                await pilot.press(key)
                await settle(pilot)
                assert "F8" in str(status.render())
        assert problem_text(pods) == ""
        assert "elsewhere" in str(status.render())
        assert heights == {2}  # "fine here, problems elsewhere" takes two lines at 100
        assert layouts[0] == 0


async def test_a_problem_coming_and_going_in_review_while_a_path_is_typed_does_not_re_lay_out(
    tmp_path: Path,
) -> None:
    (tmp_path / "retina.yaml").write_text(TASK)
    (tmp_path / "task-templates.yaml").write_text(CONFIG)  # no problems: a list of one line
    app = TaskWizardApp("edit", path=tmp_path / "task-templates.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # its one template
        await settle(pilot)
        app.state.touch_all()  # the step's own problem line shows the problem too
        screen = wizard(app)
        screen.show_step("review")
        await settle(pilot)
        problems = screen.query_one("#review-problems", OptionList)
        other = screen.query_one("#step-other-problems", Static)
        screen.query_one("#config-path").focus()
        await pilot.press("end")
        await settle(pilot)
        heights = (problems.size.height, other.size.height)

        def warned() -> list[bool]:
            prompts = (problems.get_option_at_index(n).prompt for n in range(problems.option_count))
            return [any(WARNING in str(p) for p in prompts), WARNING in str(other.render())]

        await pilot.press("X")  # both grow by the warning: what is below them moves, once
        await settle(pilot)
        assert warned() == [True, True]
        grown = (problems.size.height, other.size.height)
        assert grown[0] > heights[0] and grown[1] > heights[1]
        with count_layouts(screen) as layouts:
            for key in ("backspace", "X", "backspace"):
                await pilot.press(key)
                await settle(pilot)
            assert warned() == [False, False]
            assert (problems.size.height, other.size.height) == grown  # held while typing
            assert layouts == [0]
        screen.query_one("#task-path").focus()  # still a path: still held
        await settle(pilot)
        assert (problems.size.height, other.size.height) == grown
        problems.focus()  # the focus leaves the paths: they get their height back
        await settle(pilot)
        assert (problems.size.height, other.size.height) == heights


WARNING = "lowercases the config path"
