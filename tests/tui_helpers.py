"""Helpers for driving the wizard with the Pilot (imported by tests/test_wizard_*.py and
tests/test_snapshots.py; conftest.py stays the lead's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, TextArea
from textual.widgets._footer import FooterKey

from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.screens.wizard import SETTLE_DELAY, WizardScreen
from taskwizard.tui.widgets.fields import Field

SIZE = (100, 30)

MODEL_SOURCE = '''"""A small image classifier (read by taskwizard, never run)."""

from bitfount.backends.pytorch import PyTorchBitfountModel


class RetinaClassifier(PyTorchBitfountModel):
    def create_model(self):
        return None
'''


def write_model_files(folder: Path, name: str = "RetinaClassifier") -> tuple[Path, Path]:
    """A model file with one class named like the file, and a small weights file."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.py"
    model.write_text(MODEL_SOURCE.replace("RetinaClassifier", name), encoding="utf-8")
    weights = folder / f"{name}.pt"
    weights.write_bytes(b"\x00weights" * 16)
    return model, weights


def new_app(folder: Path) -> TaskWizardApp:
    """``taskwizard new`` with its default folder at ``folder`` (no settings file needed)."""
    app = TaskWizardApp("new")
    app.default_folder = lambda: folder  # type: ignore[method-assign]
    return app


def tw_app(pilot: Pilot[Any]) -> TaskWizardApp:
    """The pilot's app as the taskwizard app (Textual types it ``App[Any]``)."""
    app = pilot.app
    assert isinstance(app, TaskWizardApp), f"expected taskwizard's app, got {type(app).__name__}"
    return app


def wizard(app: App[Any]) -> WizardScreen:
    screen = app.screen
    assert isinstance(screen, WizardScreen), f"expected the wizard, on {type(screen).__name__}"
    return screen


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let the app go idle; on the wizard, until the indicators have settled too (the
    step list, status line and footer follow the typing SETTLE_DELAY after the last key)."""
    for _ in range(rounds):
        await pilot.pause()
    screen = pilot.app.screen
    for _ in range(20):
        if not isinstance(screen, WizardScreen) or screen.indicators_settled:
            return
        await pilot.pause(SETTLE_DELAY / 2)
        await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)


def footer_greyed(app: TaskWizardApp, action: str) -> bool:
    """Whether the footer shows a wizard action (Next, Back, Save live there) greyed out."""
    keys = [k for k in app.screen.query(FooterKey) if k.action == action]
    assert keys, f"no footer key for {action!r}"
    return keys[0].has_class("-disabled")


def field(app: TaskWizardApp, field_id: str) -> Field:
    return wizard(app).query_one(f"#{field_id}", Field)


def focused_field(app: TaskWizardApp) -> Field | None:
    node: Widget | None = app.focused
    while node is not None and not isinstance(node, Field):
        node = node.parent if isinstance(node.parent, Widget) else None
    return node


async def focus_field(pilot: Pilot[Any], field_id: str) -> Field:
    target = field(tw_app(pilot), field_id)
    target.focus_editor()
    await settle(pilot)
    return target


async def tab_to(pilot: Pilot[Any], field_id: str, limit: int = 40) -> Field:
    """Press Tab until the named field's editor has focus (keyboard-only sessions)."""
    for _ in range(limit):
        current = focused_field(tw_app(pilot))
        if current is not None and current.id == field_id:
            return current
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{field_id}; focus is on {pilot.app.focused!r}")


async def tab_to_widget(pilot: Pilot[Any], widget_id: str, limit: int = 40) -> Widget:
    for _ in range(limit):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return focused
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{widget_id}; focus is on {pilot.app.focused!r}")


async def paste(pilot: Pilot[Any], text: str) -> None:
    """What a terminal sends when the user pastes (bracketed paste) into the focused widget."""
    from textual import events

    pilot.app.post_message(events.Paste(text))
    await settle(pilot)


async def replace_text(pilot: Pilot[Any], text: str) -> None:
    """Select all of the focused Input/TextArea and paste ``text`` instead."""
    focused = pilot.app.focused
    if isinstance(focused, TextArea | Input):
        focused.select_all()
    await settle(pilot, 1)
    if text:
        await paste(pilot, text)
    else:
        await pilot.press("backspace")
        await settle(pilot)


def problem_text(target: Field) -> str:
    from textual.widgets import Static

    box = next(target.query(".field--problem").results(Static), None)  # mounted when needed
    return "" if box is None or box.has_class("-empty") else str(box.render())
