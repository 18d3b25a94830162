"""Ctrl+P: the command palette's taskwizard commands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from taskwizard.wizard_steps import STEPS

if TYPE_CHECKING:
    from taskwizard.tui.app import TaskWizardApp


def wizard_commands(app: TaskWizardApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    from taskwizard.tui.screens.wizard import WizardScreen

    if isinstance(screen, WizardScreen):
        for step_id, title in STEPS:
            yield SystemCommand(
                f"Go to step: {title}",
                f"Show the {title} step",
                lambda s=step_id: screen.show_step(s),
            )
        yield SystemCommand(
            "Save", "Write the task-templates config and task YAML (Ctrl+S)", screen.action_save
        )
        yield SystemCommand(
            "Raw YAML", "Edit this step as raw YAML (Ctrl+E)", screen.action_toggle_raw
        )
        yield SystemCommand(
            "Next problem", "Go to the next problem (F8)", screen.action_first_problem
        )
        yield SystemCommand("Help", "Explain this step (F1)", screen.action_help)
    yield SystemCommand("New task template", "Start a new task template", app.start_new)
    yield SystemCommand("Settings", "Username, hub, credentials, folders", app.open_settings)
