"""Rules across fields that a protocol or algorithm carries (``Component.rules``).

A rule is a function of one entry (its arguments, model, and the task around it)
that returns problems. The catalog attaches each rule to the components it
belongs to, and :mod:`taskwizard.model.validate` runs the rules of every
component it finds — so adding a rule is a function here and a ``rules=``
entry in the catalog, with nothing to change in the validator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.problems import DocPath, Problem, error, warning

__all__ = [
    "EntryContext",
    "Rule",
    "ga_include_exclude_apart",
    "hf_checkpoint_together",
    "one_of_steps_or_epochs",
    "one_selected_column",
    "prune_empty",
]


@dataclass(frozen=True)
class EntryContext:
    """What a rule sees: one protocol/algorithm entry in its task."""

    name: str  # the component's full name, e.g. "bitfount.FederatedAveraging"
    entry: Mapping[str, Any]
    path: DocPath  # of the entry, e.g. ("task", "algorithm", 0)
    task: Mapping[str, Any]  # the task: section
    templated: bool

    @property
    def arguments(self) -> Mapping[str, Any]:
        args = self.entry.get("arguments")
        return args if isinstance(args, Mapping) else {}


Rule = Callable[[EntryContext], list[Problem]]


def one_of_steps_or_epochs(ctx: EntryContext) -> list[Problem]:
    """FederatedAveraging: exactly one of steps/epochs between parameter updates."""
    args = ctx.arguments
    apath: DocPath = (*ctx.path, "arguments")
    steps = args.get("steps_between_parameter_updates")
    epochs = args.get("epochs_between_parameter_updates")
    if ctx.templated and (is_placeholder(steps) or is_placeholder(epochs)):
        return []
    if steps is not None and epochs is not None:
        return [
            error(
                "FederatedAveraging takes exactly one of steps_between_parameter_updates and "
                "epochs_between_parameter_updates, not both",
                (*apath, "epochs_between_parameter_updates"),
            )
        ]
    if steps is None and epochs is None:
        return [
            error(
                "FederatedAveraging needs one of steps_between_parameter_updates or "
                "epochs_between_parameter_updates (epochs if the model's hyperparameters set "
                "epochs)",
                apath if "arguments" in ctx.entry else ctx.path,
            )
        ]
    if steps is not None and _model_trains_in_epochs(ctx.task):
        return [
            warning(
                "the model trains in epochs (hyperparameters.epochs) but FederatedAveraging "
                "counts steps; use epochs_between_parameter_updates",
                (*apath, "steps_between_parameter_updates"),
            )
        ]
    return []


def _model_trains_in_epochs(task: Mapping[str, Any]) -> bool:
    algos = task.get("algorithm")
    for entry in algos if isinstance(algos, list) else [algos]:
        model = entry.get("model") if isinstance(entry, Mapping) else None
        hp = model.get("hyperparameters") if isinstance(model, Mapping) else None
        if isinstance(hp, Mapping) and hp.get("epochs") is not None:
            return True
    return False


def one_selected_column(ctx: EntryContext) -> list[Problem]:
    """HuggingFace/TIMM inference: data_structure.select.include names exactly one column."""
    ds = ctx.task.get("data_structure")
    if not isinstance(ds, Mapping):
        return []
    select = ds.get("select")
    include = select.get("include") if isinstance(select, Mapping) else None
    if (ctx.templated and is_placeholder(include)) or (
        isinstance(include, list) and len(include) == 1
    ):
        return []
    got = f"{len(include)} columns" if isinstance(include, list) else "no select.include"
    short = ctx.name.removeprefix("bitfount.")
    return [
        error(
            f"bitfount.{short} needs exactly one column in data_structure.select.include "
            f'(got {got}); Bitfount: "Datastructure selected columns should only have '
            f'one column for HuggingFace inference algorithms."',
            ("task", "data_structure", "select", "include"),
        )
    ]


def hf_checkpoint_together(ctx: EntryContext) -> list[Problem]:
    """TIMMInference's ``__post_init__``: the HuggingFace checkpoint repo and file go together."""
    args = ctx.arguments
    repo, filename = args.get("hf_checkpoint_repo_id"), args.get("hf_checkpoint_filename")
    if bool(repo) == bool(filename):
        return []
    given, missing = (
        ("hf_checkpoint_repo_id", "hf_checkpoint_filename")
        if repo
        else ("hf_checkpoint_filename", "hf_checkpoint_repo_id")
    )
    return [
        error(
            f"{given} needs {missing} too: Bitfount refuses one without the other "
            '("`hf_checkpoint_repo_id` and `hf_checkpoint_filename` must be provided '
            'together")',
            (*ctx.path, "arguments", given),
        )
    ]


def ga_include_exclude_apart(ctx: EntryContext) -> list[Problem]:
    """GATrialCalculationAlgorithm*'s ``__post_init__``: no segmentation both included and
    excluded from the GA area (a ValidationError, so the algorithm Union refuses the entry)."""
    args = ctx.arguments
    include, exclude = (
        args.get("ga_area_include_segmentations"),
        args.get("ga_area_exclude_segmentations"),
    )
    if not (isinstance(include, list) and isinstance(exclude, list)):
        return []  # null, a placeholder or a wrong type (reported by the schema)
    overlap = sorted(
        {v for v in include if isinstance(v, str)} & {v for v in exclude if isinstance(v, str)}
    )
    if not overlap:
        return []
    return [
        error(
            f"{', '.join(overlap)} is in both ga_area_include_segmentations and "
            "ga_area_exclude_segmentations: Bitfount refuses overlapping include and exclude "
            "segmentation; keep each segmentation in one list",
            (*ctx.path, "arguments", "ga_area_exclude_segmentations"),
        )
    ]


def prune_empty(document: Any, path: DocPath) -> bool:
    """Remove the mapping at ``path`` of a document (plain data) if it is empty.

    Bitfount 13 rejects an empty ``arguments: {}`` on an algorithm (it stops with
    "Must supply `patient_ids_file` in task input."), and an empty ``model:`` or
    ``bitfount_model:`` only clutters the YAML; the wizard calls this after each edit,
    so a form emptied by the user leaves no such mapping behind.
    """
    if not path:
        return False
    parent: Any = document
    for step in path[:-1]:
        in_mapping = isinstance(parent, Mapping) and step in parent
        in_list = isinstance(parent, list) and isinstance(step, int) and 0 <= step < len(parent)
        if not (in_mapping or in_list):
            return False
        parent = parent[step]
    key = path[-1]
    if isinstance(parent, dict) and isinstance(parent.get(key), dict) and not parent[key]:
        del parent[key]
        return True
    return False
