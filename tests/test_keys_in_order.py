"""Every key that reaches the terminal reaches the field, in the order typed.

The keys are posted back-to-back with no pause, as one read from the terminal
delivers them (a non-bracketed paste, a slow SSH link, ``tmux send-keys``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_edit_flow import TASK
from textual import events
from textual.keys import _character_to_key
from textual.message import Message
from textual.widgets import Input
from tui_helpers import SIZE, field, new_app, settle, wizard

from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.save import SaveDialog
from taskwizard.tui.keys import _idle

pytestmark = pytest.mark.anyio


def burst(app: TaskWizardApp, keys: list[str]) -> None:
    """Post the keys at once, the way the terminal driver does for one read."""
    driver = app._driver
    assert driver is not None
    for typed in keys:
        key = _character_to_key(typed) if len(typed) == 1 and not typed.isalnum() else typed
        event = events.Key(key, typed if len(typed) == 1 else None)
        event.set_sender(app)
        driver.send_message(event)


CLEARS = {"ctrl+u": ["ctrl+u"], "backspaces": ["backspace"] * 30}


@pytest.mark.parametrize("clear", sorted(CLEARS))
async def test_cleared_pod_list_then_fast_text_keeps_every_key(tmp_path: Path, clear: str) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.task["pods"]["identifiers"] = ["old/pod-a", "old/pod-b"]
        wizard(app).show_step("pods")
        await settle(pilot)
        pods = field(app, "field-pods")
        pods.focus_editor()
        await pilot.press("end")
        burst(app, [*CLEARS[clear], *"new/pod-one, new/pod-two"])
        await settle(pilot, 6)
        editor = pods.editor
        assert isinstance(editor, Input)
        assert editor.value == "new/pod-one, new/pod-two"
        assert app.state.task["pods"]["identifiers"] == ["new/pod-one", "new/pod-two"]


@pytest.mark.parametrize("clear", sorted(CLEARS))
async def test_cleared_class_outputs_then_fast_text_keeps_every_key(
    tmp_path: Path, clear: str
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.task["task"]["algorithm"] = [
            {"name": "bitfount.ModelInference", "arguments": {"class_outputs": ["a", "b"]}}
        ]
        wizard(app).show_step("algorithms")
        await settle(pilot)
        outputs = field(app, "arg-class_outputs")
        outputs.focus_editor()
        await pilot.press("end")
        burst(app, [*CLEARS[clear], *"cat, dog, bird", "left", "left", "left", "left", "s"])
        await settle(pilot, 6)
        arguments: Any = app.state.task["task"]["algorithm"][0]["arguments"]
        assert arguments["class_outputs"] == ["cat", "dog", "sbird"]


async def test_keys_in_order_across_a_field_change(tmp_path: Path) -> None:
    """A Backspace queued in one field is not applied to the field Tab moved to."""
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, [*"my-slugx", "backspace", "tab", *"My title"])
        await settle(pilot, 6)
        assert app.state.config["task-templates"][0]["slug"] == "my-slug"
        assert app.state.config["task-templates"][0]["title"] == "My title"


async def test_ctrl_s_typed_as_the_wizard_appears_is_kept(tmp_path: Path) -> None:
    (tmp_path / "retina.yaml").write_text(TASK)
    app = TaskWizardApp("edit", path=tmp_path / "retina.yaml")
    async with app.run_test(size=SIZE) as pilot:
        burst(app, ["ctrl+s"])  # before the validators have loaded
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, SaveDialog):
                break
        assert isinstance(app.screen, SaveDialog)


async def test_class_outputs_typed_as_a_yaml_list_is_saved_as_that_list(tmp_path: Path) -> None:
    from tui_helpers import problem_text

    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.task["task"]["algorithm"] = [{"name": "bitfount.ModelInference"}]
        wizard(app).show_step("algorithms")
        await settle(pilot)
        outputs = field(app, "arg-class_outputs")
        assert '["a", "b"]' in outputs.hint and "YAML flow list" in outputs.help
        outputs.focus_editor()
        burst(app, list('["0", "1"'))
        await settle(pilot, 6)
        arguments: Any = app.state.task["task"]["algorithm"][0]["arguments"]
        # Not closed yet: kept as typed and flagged, never split into '["0"' and '"1"'.
        assert arguments["class_outputs"] == '["0", "1"'
        assert "YAML list" in problem_text(outputs)
        assert wizard(app).total_errors() > 0
        burst(app, ["]"])
        await settle(pilot, 6)
        assert arguments["class_outputs"] == ["0", "1"]
        assert "YAML list" not in problem_text(outputs)


async def test_text_typed_after_enter_in_the_new_variable_dialog_lands_in_the_label(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        wizard(app).show_step("variables")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        # Name, Enter (on to the label), label, Enter (create): all in one read.
        burst(app, [*"model_name", "enter", *"Which model?", "enter"])
        await settle(pilot, 8)
        assert app.state.task["template"]["model_name"]["label"] == "Which model?"


async def test_text_typed_right_after_ctrl_n_lands_on_the_next_step(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)  # the validators
        app.state.task["pods"]["identifiers"] = []
        wizard(app).show_step("pods")
        await settle(pilot)
        burst(app, [*"a-pod", "ctrl+n", *"xyz"])
        await settle(pilot, 8)
        # The keys after Ctrl+N were not typed into the pod list being left.
        assert app.state.task["pods"]["identifiers"] == ["a-pod"]
        assert wizard(app).step_id == "protocol"
        assert app.focused is field(app, "field-protocol").editor


class Nudge(Message):
    """A message no one handles."""


async def test_a_widget_counts_as_idle_only_while_it_waits_for_its_next_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key router skips waiting on idle widgets (keys._idle); one with anything
    still to handle, or whose queue it cannot read, is waited on."""
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = wizard(app)
        assert _idle(screen)
        screen.post_message(Nudge())
        assert not _idle(screen)  # posted, not handled yet
        await pilot.pause()
        assert _idle(screen)
        screen.call_next(lambda: None)
        assert not _idle(screen)
        await pilot.pause()
        assert _idle(screen)
        # A Textual whose queue has no ready_event: busy, waited on as before.
        with monkeypatch.context() as patched:
            patched.setattr(screen._message_queue, "ready_event", object())
            assert not _idle(screen)
        assert _idle(screen)
