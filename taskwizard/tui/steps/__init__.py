"""The wizard's steps. Each lives in its own module and is imported when first shown."""

from __future__ import annotations

import importlib

from taskwizard.tui.steps.base import StepView

#: step id -> "module:Class" under taskwizard.tui.steps
STEP_VIEWS: dict[str, str] = {
    "template": "template:TemplateStep",
    "models": "models:ModelsStep",
    "pods": "pods:PodsStep",
    "protocol": "protocol:ProtocolStep",
    "algorithms": "algorithms:AlgorithmsStep",
    "data": "data:DataStep",
    "variables": "variables:VariablesStep",
    "review": "review:ReviewStep",
}


def step_view_class(step_id: str) -> type[StepView]:
    module_name, class_name = STEP_VIEWS[step_id].split(":")
    module = importlib.import_module(f"taskwizard.tui.steps.{module_name}")
    cls: object = getattr(module, class_name)
    assert isinstance(cls, type) and issubclass(cls, StepView)
    return cls
