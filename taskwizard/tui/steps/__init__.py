"""The wizard's steps. Each lives in its own module and is imported when first shown."""

from __future__ import annotations

import importlib

from taskwizard.tui.steps.base import StepView
from taskwizard.wizard_steps import STEP_SPECS

#: step id -> "module:Class" under taskwizard.tui.steps (from the step registry)
STEP_VIEWS: dict[str, str] = {spec.id: spec.view for spec in STEP_SPECS}


def step_view_class(step_id: str) -> type[StepView]:
    module_name, class_name = STEP_VIEWS[step_id].split(":")
    module = importlib.import_module(f"taskwizard.tui.steps.{module_name}")
    cls: object = getattr(module, class_name)
    assert isinstance(cls, type) and issubclass(cls, StepView)
    return cls
