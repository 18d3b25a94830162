"""The wizard's steps, in one place: a step is one :class:`StepSpec` here plus one view module.

Everything else is derived from :data:`STEP_SPECS`: the order and titles (:data:`STEPS`,
"Step N/8"), which step edits a value (:func:`step_of`, where a problem jumps to),
the step's view (``taskwizard.tui.steps``) and which document its preview shows.
The views are named as ``"module:Class"`` strings so that this module (and everything
below the TUI that asks about steps) never imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskwizard.model.problems import DocPath
    from taskwizard.state import DocName


@dataclass(frozen=True)
class StepSpec:
    id: str
    title: str
    #: ``"module:Class"`` of the step's view under ``taskwizard.tui.steps``.
    view: str
    #: The parts of the documents this step edits: (document, path prefix).
    owns: tuple[tuple[DocName, DocPath], ...] = ()
    #: Which document the live preview shows on this step.
    preview: DocName = "task"
    #: The step that gets every value no other step owns (exactly one step has it).
    owns_rest: bool = False


STEP_SPECS: tuple[StepSpec, ...] = (
    StepSpec(
        "template",
        "Template",
        "template:TemplateStep",
        owns=(("config", ("task-templates",)),),
        preview="config",
    ),
    StepSpec(
        "models", "Models", "models:ModelsStep", owns=(("config", ("models",)),), preview="config"
    ),
    StepSpec(
        "pods",
        "Pods & modeller",
        "pods:PodsStep",
        owns=(("task", ("pods",)), ("task", ("modeller",))),
    ),
    StepSpec(
        "protocol", "Protocol", "protocol:ProtocolStep", owns=(("task", ("task", "protocol")),)
    ),
    StepSpec(
        "algorithms",
        "Algorithms",
        "algorithms:AlgorithmsStep",
        owns=(("task", ("task", "algorithm")),),
    ),
    StepSpec(
        "data",
        "Data structure",
        "data:DataStep",
        owns=(("task", ("task", "data_structure")), ("task", ("task", "aggregator"))),
    ),
    StepSpec("variables", "Variables", "variables:VariablesStep", owns=(("task", ("template",)),)),
    StepSpec("review", "Review & save", "review:ReviewStep", owns_rest=True),
)

#: (id, title) of each step, in order.
STEPS: tuple[tuple[str, str], ...] = tuple((s.id, s.title) for s in STEP_SPECS)
STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEP_SPECS)
STEP_TITLES: dict[str, str] = dict(STEPS)
STEP_SPEC_BY_ID: dict[str, StepSpec] = {s.id: s for s in STEP_SPECS}
_REST = next(s.id for s in STEP_SPECS if s.owns_rest)
#: Longest prefixes first, so a step owning a deeper path wins over a shallower one.
_OWNERS: tuple[tuple[DocName, DocPath, str], ...] = tuple(
    sorted(
        ((doc, prefix, s.id) for s in STEP_SPECS for doc, prefix in s.owns),
        key=lambda owner: -len(owner[1]),
    )
)


def step_of(doc: DocName, path: DocPath) -> str:
    """The wizard step that edits the value at ``path`` (problems jump there)."""
    for owner_doc, prefix, step_id in _OWNERS:
        if owner_doc == doc and path[: len(prefix)] == prefix:
            return step_id
    return _REST


def step_heading(step_id: str) -> str:
    """``"Step N/8 Title"``, as the wizard's title line starts (short: it fits at 80 columns)."""
    return f"Step {STEP_IDS.index(step_id) + 1}/{len(STEP_IDS)} {STEP_TITLES[step_id]}"


def preview_doc(step_id: str) -> DocName:
    return STEP_SPEC_BY_ID[step_id].preview
