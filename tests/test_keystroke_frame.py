"""A keystroke's frame: the character and the field's problem line, drawn together and
nowhere else; the indicators away from the field (step list, status line, title,
footer) follow once the typing pauses, and every action decides on the validation
of every key typed before it.

These tests look at which frames are composed and which regions they redraw, never
at time (benchmarks/bench_keystroke.py measures that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_edit_flow import CONFIG, TASK
from test_keys_in_order import burst
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static
from tui_helpers import SIZE, field, footer_greyed, problem_text, settle, wizard

from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.save import SaveDialog
from taskwizard.tui.screens import wizard as wizard_module
from taskwizard.wizard_steps import STEP_IDS

pytestmark = pytest.mark.anyio


@dataclass
class Frame:
    #: The region Textual composed: the box that bounds every region marked dirty.
    crop: Region
    #: What the watched widget showed when the frame was composed.
    seen: str


@contextmanager
def frames(app: TaskWizardApp, watch: Callable[[], str]) -> Iterator[list[Frame]]:
    """Record every frame composed on the wizard screen while inside."""
    compositor = wizard(app)._compositor
    original = compositor.render_update
    recorded: list[Frame] = []

    def render_update(*args: Any, **kwargs: Any) -> Any:
        dirty = compositor._dirty_regions
        if dirty:
            recorded.append(Frame(Region.from_union(list(dirty)), watch()))
        return original(*args, **kwargs)

    compositor.render_update = render_update  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        compositor.render_update = original  # type: ignore[method-assign]


async def idle(pilot: Pilot[Any]) -> None:
    """Let the app go idle, without waiting for the indicators to settle."""
    for _ in range(3):
        await pilot.pause()


async def until(condition: Callable[[], bool]) -> None:
    """Wait with the event loop's sleep: ``Pilot.pause`` composes a frame of its own
    (it calls the screen's update), which would split the key's frame in two."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the app did not get there")


def edit_app(tmp_path: Path) -> TaskWizardApp:
    """A lone task YAML with no problems: Next and Save are both available."""
    (tmp_path / "retina.yaml").write_text(TASK)
    return TaskWizardApp("edit", path=tmp_path / "retina.yaml")


async def on_step(pilot: Pilot[Any], app: TaskWizardApp, step: str) -> None:
    """The wizard on ``step``, once its validators are loaded and everything settled."""
    await settle(pilot)
    await pilot.pause(0.3)  # the validators
    await settle(pilot)
    wizard(app).show_step(step)
    await settle(pilot)


async def typing_at_end(pilot: Pilot[Any], editor: Input) -> Input:
    """``editor`` focused, its cursor at the end and not blinking (no blink frame between
    a key and its own)."""
    editor.cursor_blink = False
    editor.focus()
    await pilot.press("end")
    await settle(pilot)
    return editor


async def on_pods(pilot: Pilot[Any], app: TaskWizardApp) -> Input:
    await on_step(pilot, app, "pods")
    pods = field(app, "field-pods")
    pods.focus_editor()
    await pilot.press("end")
    await settle(pilot)
    editor = pods.editor
    assert isinstance(editor, Input)
    editor.cursor_blink = False  # no blink frame between a key and its own
    return editor


def status_text(app: TaskWizardApp) -> str:
    return str(wizard(app).query_one("#step-status", Static).render())


def mark(app: TaskWizardApp, step: str) -> str:
    step_list = wizard(app).query_one("#step-list", OptionList)
    return str(step_list.get_option_at_index(STEP_IDS.index(step)).prompt)


async def test_a_key_that_makes_an_error_draws_its_problem_in_its_own_frame_only_there(
    tmp_path: Path,
) -> None:
    app = edit_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await on_pods(pilot, app)
        screen = wizard(app)
        pods = field(app, "field-pods")
        for key in ("slash", "backspace"):  # the problem line is mounted once, then stays
            await pilot.press(key)
            await settle(pilot)
        assert problem_text(pods) == "" and "✓" in mark(app, "pods")
        step_list = screen.query_one("#step-list").region
        status = screen.query_one("#step-status").region
        title = screen.query_one("#wizard-title").region
        footer = screen.query_one("QuietFooter").region
        editor = pods.editor
        line = pods.query_one(".field--problem").region
        with frames(app, lambda: problem_text(pods)) as drawn:
            burst(app, ["/"])  # as the terminal driver posts a key
            await until(lambda: bool(drawn))
            # The first frame after the key draws the character and its problem together
            # (before, the problem line came one frame later, 17-33 ms on).
            first = drawn[0]
            assert "rejects this pod name" in first.seen
            assert first.crop.contains_region(editor.region)
            assert first.crop.contains_region(line)
            # ...and not the step list, status line, title or footer: the box Textual
            # composes bounds every region redrawn in that frame.
            for far in (step_list, status, title, footer):
                assert not first.crop.overlaps(far), (first.crop, far)
            # Those follow once the typing pauses, in a frame of their own.
            assert "✓" in mark(app, "pods")
            await until(lambda: screen.indicators_settled)
            await until(lambda: any(frame.crop.overlaps(step_list) for frame in drawn[1:]))
        await settle(pilot)
        assert "✗1" in mark(app, "pods")
        assert "Next is unavailable" in status_text(app)
        assert footer_greyed(app, "next") and footer_greyed(app, "save")
        # And when the error goes, they settle back.
        await pilot.press("backspace")
        await settle(pilot)
        assert problem_text(pods) == ""
        assert "✓" in mark(app, "pods")
        assert "Next is unavailable" not in status_text(app)
        assert not footer_greyed(app, "next") and not footer_greyed(app, "save")


async def test_next_right_after_a_key_that_makes_an_error_is_refused_and_says_why(
    tmp_path: Path,
) -> None:
    app = edit_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await on_pods(pilot, app)
        assert not footer_greyed(app, "next")
        burst(app, ["/", "ctrl+n"])  # one read: no pause for the indicators to settle
        await idle(pilot)
        assert wizard(app).step_id == "pods"
        assert app.state.task["pods"]["identifiers"] == ["retina-pod/"]
        assert "rejects this pod name" in problem_text(field(app, "field-pods"))
        # Said at once, not SETTLE_DELAY later: Next was refused on this state.
        assert "Next is unavailable" in status_text(app)
        assert "✗1" in mark(app, "pods")


async def test_next_right_after_a_key_that_fixes_the_error_goes_on(tmp_path: Path) -> None:
    app = edit_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await on_pods(pilot, app)
        await pilot.press("slash")
        await settle(pilot)
        assert footer_greyed(app, "next")
        burst(app, ["backspace", "ctrl+n"])  # fixed, and on: not held back by a stale state
        await settle(pilot)
        assert app.state.task["pods"]["identifiers"] == ["retina-pod"]
        assert wizard(app).step_id == "protocol"


async def test_save_right_after_a_key_that_makes_an_error_is_refused_and_says_why(
    tmp_path: Path,
) -> None:
    app = edit_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await on_pods(pilot, app)
        assert not footer_greyed(app, "save")
        burst(app, ["/", "ctrl+s"])
        await idle(pilot)
        await pilot.pause(0.2)
        assert not any(isinstance(s, SaveDialog) for s in app.screen_stack)
        assert wizard(app).total_errors() == 1
        assert "1 problem on this step" in status_text(app)
        # Fixed and saved in one read: the Save dialog opens.
        burst(app, ["backspace", "ctrl+s"])
        await idle(pilot)
        for _ in range(20):
            if isinstance(app.screen, SaveDialog):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, SaveDialog)


async def test_the_indicators_settle_once_after_the_last_key_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long pause before they settle: the keys below come well within it, however
    # loaded the machine (the test counts settlings, it does not time them).
    monkeypatch.setattr(wizard_module, "SETTLE_DELAY", 1.0)
    app = edit_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await on_pods(pilot, app)
        screen = wizard(app)
        settled: list[str] = []
        original = screen.settle_indicators

        def settle_indicators() -> None:
            settled.append(str(app.state.task["pods"]["identifiers"]))
            original()

        screen.settle_indicators = settle_indicators  # type: ignore[method-assign]
        for key in ("slash", "x", "backspace", "backspace"):
            await pilot.press(key)  # a key, its frame, the next key: typing
            assert "✗" not in mark(app, "pods")  # not after each key...
        assert settled == []
        await until(lambda: screen.indicators_settled)
        assert settled == ["['retina-pod']"]  # ...once, for the state after the last key
        assert "✓" in mark(app, "pods")


async def test_an_action_writes_what_was_typed_before_it_decides_and_nothing_else(
    tmp_path: Path,
) -> None:
    app = edit_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await on_pods(pilot, app)
        screen = wizard(app)
        pods = field(app, "field-pods")
        writes: list[int] = []
        original = pods._write

        def write() -> None:
            writes.append(1)
            original()

        pods._write = write  # type: ignore[method-assign]
        screen.flush_validation()  # nothing typed since the last write: nothing written
        assert writes == []
        # A key's effect is in the editor; its Changed message has not been handled yet.
        editor.insert_text_at_cursor("/")
        screen.flush_validation()
        assert writes == [1]
        assert app.state.task["pods"]["identifiers"] == ["retina-pod/"]
        assert screen.errors_here() == 1
        assert "Next is unavailable" in status_text(app)
        assert screen.check_action("next", ()) is None
        await settle(pilot)  # the Changed message, when it comes, finds it written
        assert app.state.task["pods"]["identifiers"] == ["retina-pod/"]
        assert "Next is unavailable" in status_text(app)


# ----------------------------------------- editors that are not a field's only Input
SORTED_TASK = TASK.replace(
    "    - name: bitfount.CSVReportAlgorithm\n",
    "    - name: bitfount.CSVReportAlgorithm\n"
    "      arguments:\n"
    "        sorting_columns:\n"
    "          age: asc\n",
)


async def on_sorting_row(pilot: Pilot[Any], app: TaskWizardApp, part: str) -> Input:
    """The Algorithms step, the cursor at the end of the key or value of the CSV report's
    one sorting_columns row (a KeyValueEditor's row)."""
    await on_step(pilot, app, "algorithms")
    sorting = field(app, "arg-sorting_columns")
    return await typing_at_end(pilot, sorting.query_one(f".kv--{part}", Input))


def review_problems(app: TaskWizardApp) -> str:
    problems = wizard(app).query_one("#review-problems", OptionList)
    return "\n".join(
        str(problems.get_option_at_index(n).prompt) for n in range(problems.option_count)
    )


async def test_a_key_in_a_key_value_row_draws_its_problem_in_its_own_frame(
    tmp_path: Path,
) -> None:
    (tmp_path / "retina.yaml").write_text(SORTED_TASK)
    app = TaskWizardApp("edit", path=tmp_path / "retina.yaml")
    async with app.run_test(size=SIZE) as pilot:
        editor = await on_sorting_row(pilot, app, "value")
        sorting = field(app, "arg-sorting_columns")
        for key in ("x", "backspace"):  # the problem line is mounted once, then stays
            await pilot.press(key)
            await settle(pilot)
        assert problem_text(sorting) == ""
        line = sorting.query_one(".field--problem").region
        with frames(app, lambda: problem_text(sorting)) as drawn:
            burst(app, ["x"])
            await until(lambda: bool(drawn))
            # Before, the row's edit reached the screen as a message: the frame with the
            # character came first, its problem line one frame later.
            first = drawn[0]
            assert "must be one of: asc, desc" in first.seen
            assert first.crop.contains_region(editor.region)
            assert first.crop.contains_region(line)
        await settle(pilot)
        arguments = app.state.task["task"]["algorithm"][1]["arguments"]
        assert arguments["sorting_columns"] == {"age": "ascx"}
        await pilot.press("backspace")
        await settle(pilot)
        assert problem_text(sorting) == ""
        assert arguments["sorting_columns"] == {"age": "asc"}


async def test_a_key_in_a_key_value_rows_key_is_written_in_its_own_frame(
    tmp_path: Path,
) -> None:
    (tmp_path / "retina.yaml").write_text(SORTED_TASK)
    app = TaskWizardApp("edit", path=tmp_path / "retina.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await on_sorting_row(pilot, app, "key")
        algorithm = app.state.task["task"]["algorithm"][1]

        def sorting() -> str:
            return str(algorithm.get("arguments", {}).get("sorting_columns"))

        with frames(app, sorting) as drawn:
            burst(app, ["s"])
            await until(lambda: bool(drawn))
            assert drawn[0].seen == "{'ages': 'asc'}"  # written before its frame was drawn
        await settle(pilot)
        assert not wizard(app)._stale


async def test_next_right_after_a_key_in_a_key_value_row_is_refused_and_says_why(
    tmp_path: Path,
) -> None:
    (tmp_path / "retina.yaml").write_text(SORTED_TASK)
    app = TaskWizardApp("edit", path=tmp_path / "retina.yaml")
    async with app.run_test(size=SIZE) as pilot:
        editor = await on_sorting_row(pilot, app, "value")
        screen = wizard(app)
        assert not footer_greyed(app, "next")
        burst(app, ["x", "ctrl+n"])
        await idle(pilot)
        assert screen.step_id == "algorithms"
        assert "must be one of" in problem_text(field(app, "arg-sorting_columns"))
        assert "Next is unavailable" in status_text(app)
        # Typed, its Changed message not handled yet: an action writes it before it decides.
        await pilot.press("backspace")
        await settle(pilot)
        assert not footer_greyed(app, "next")
        editor.insert_text_at_cursor("x")
        screen.flush_validation()
        assert app.state.task["task"]["algorithm"][1]["arguments"]["sorting_columns"] == {
            "age": "ascx"
        }
        assert screen.check_action("next", ()) is None
        await settle(pilot)


REVIEW_WARNING = "lowercases the config path"


async def on_review_path(pilot: Pilot[Any], app: TaskWizardApp, path_id: str) -> Input:
    await settle(pilot)
    await pilot.press("enter")  # the config's one template
    await on_step(pilot, app, "review")
    return await typing_at_end(pilot, wizard(app).query_one(f"#{path_id}", Input))


def config_app(tmp_path: Path) -> TaskWizardApp:
    (tmp_path / "retina.yaml").write_text(TASK)
    (tmp_path / "task-templates.yaml").write_text(CONFIG)
    return TaskWizardApp("edit", path=tmp_path / "task-templates.yaml")


async def test_a_key_in_a_review_path_is_written_in_its_frame_and_listed_once_settled(
    tmp_path: Path,
) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await on_review_path(pilot, app, "config-path")
        screen = wizard(app)
        assert REVIEW_WARNING not in review_problems(app)
        problems = screen.query_one("#review-problems").region

        def seen() -> str:
            return f"{app.state.config_path} listed={REVIEW_WARNING in review_problems(app)}"

        with frames(app, seen) as drawn:
            burst(app, ["X"])  # an upper-case file name: Bitfount's uploader lowercases it
            await until(lambda: bool(drawn))
            # The path is written and validated before the key's frame (it went to the
            # screen as a message, a frame late, before); the problem list, a summary like
            # the step list, is not in that frame: composing the box from the list down to
            # the path made the key 2.5-2.7x a bare Textual app's.
            first = drawn[0]
            assert first.seen == f"{tmp_path / 'task-templates.yamlX'} listed=False"
            assert any(REVIEW_WARNING in p.message for _, p in screen.problems)
            assert first.crop.contains_region(editor.region)
            assert not first.crop.overlaps(problems)
            # Once the indicators settle, the list shows it, in a frame of its own.
            await until(lambda: any(f.seen.endswith("listed=True") for f in drawn))
            listed = next(f for f in drawn if f.seen.endswith("listed=True"))
            assert listed.crop.overlaps(problems)
        await settle(pilot)
        assert not app.state.saved
        await pilot.press("backspace")
        await settle(pilot)
        assert REVIEW_WARNING not in review_problems(app)
        assert app.state.config_path == str(tmp_path / "task-templates.yaml")


async def test_save_right_after_a_key_in_a_review_path_decides_on_it(tmp_path: Path) -> None:
    app = config_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await on_review_path(pilot, app, "config-path")
        screen = wizard(app)
        # Typed, its Changed message not handled yet: an action writes it before it decides.
        editor.insert_text_at_cursor("X")
        screen.flush_validation()
        assert app.state.config_path == str(tmp_path / "task-templates.yamlX")
        assert any(REVIEW_WARNING in p.message for _, p in screen.problems)
        await settle(pilot)
        assert app.state.config_path == str(tmp_path / "task-templates.yamlX")
