"""The step registry (taskwizard/wizard_steps.py) is the one place a wizard step is declared."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from taskwizard.model.problems import DocPath
from taskwizard.state import DocName
from taskwizard.tui.steps import STEP_VIEWS, step_view_class
from taskwizard.tui.steps.base import StepView
from taskwizard.wizard_steps import (
    STEP_IDS,
    STEP_SPECS,
    STEP_TITLES,
    STEPS,
    preview_doc,
    step_heading,
    step_of,
)


def test_everything_about_steps_comes_from_the_specs() -> None:
    assert STEP_IDS == ("template", "models", "pods", "protocol", "algorithms", "data",
                        "variables", "review")  # fmt: skip
    assert tuple((s.id, s.title) for s in STEP_SPECS) == STEPS
    assert {s.id: s.title for s in STEP_SPECS} == STEP_TITLES
    assert {s.id: s.view for s in STEP_SPECS} == STEP_VIEWS
    assert sum(s.owns_rest for s in STEP_SPECS) == 1
    assert step_heading("template") == "Step 1/8 Template"
    assert step_heading("review") == "Step 8/8 Review & save"
    assert [preview_doc(s) for s in STEP_IDS] == ["config", "config"] + ["task"] * 6


@pytest.mark.parametrize("spec", STEP_SPECS, ids=lambda s: s.id)
def test_each_step_view_is_a_step_view(spec: object) -> None:
    from taskwizard.wizard_steps import StepSpec

    assert isinstance(spec, StepSpec)
    view = step_view_class(spec.id)
    assert issubclass(view, StepView)
    # the view's own id and title (used by the view) agree with the registry
    assert view.step_id == spec.id
    assert view.title in ("", spec.title)


@pytest.mark.parametrize(
    ("doc", "path", "step"),
    [
        ("config", ("task-templates", 0, "slug"), "template"),
        ("config", ("models", 1, "name"), "models"),
        ("config", ("other",), "review"),
        ("config", (), "review"),
        ("task", ("pods", "identifiers", 0), "pods"),
        ("task", ("modeller", "identity_verification_method"), "pods"),
        ("task", ("template", "model_name", "default"), "variables"),
        ("task", ("task", "protocol", "arguments", "x"), "protocol"),
        ("task", ("task", "algorithm", 0, "name"), "algorithms"),
        ("task", ("task", "data_structure", "select"), "data"),
        ("task", ("task", "aggregator"), "data"),
        ("task", ("task",), "review"),
        ("task", ("version",), "review"),
        ("task", ("task", "protocolx"), "review"),
    ],
)
def test_step_of_finds_the_step_owning_a_path(doc: DocName, path: DocPath, step: str) -> None:
    assert step_of(doc, path) == step


def test_every_owned_prefix_maps_back_to_its_step() -> None:
    for spec in STEP_SPECS:
        for doc, prefix in spec.owns:
            assert step_of(doc, prefix) == spec.id
            assert step_of(doc, (*prefix, "deeper", 0)) == spec.id


def test_screenshot_scenes_cover_every_step() -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("taskwizard_screenshots_registry", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    names = [scene.name for scene in module.SCENES]
    assert [n for n in names if n in STEP_IDS] == list(STEP_IDS)
