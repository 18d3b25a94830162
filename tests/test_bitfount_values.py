"""Every argument of every protocol and algorithm, tried with 18 values of every YAML shape,
against Bitfount 13's own verdicts.

``fixtures/bitfount13/value_verdicts.json`` was written by ``scripts/bitfount13_oracle.py
--values``: SDK 13.0.0's arguments schema of each component loads ``{argument: value}``, and
the verdict is whether that argument reports an error. taskwizard must report an error at
that argument exactly when Bitfount's schema does. (Null is ``test_bitfount_nulls.py``'s.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model import catalog
from taskwizard.model.problems import DocPath
from taskwizard.model.validate import validate_task

_DATA = json.loads(
    (Path(__file__).parent / "fixtures" / "bitfount13" / "value_verdicts.json").read_text()
)
VALUES: list[Any] = _DATA["values"]
NESTED_VALUES: list[Any] = _DATA["nested_values"]  # null too: the nulls test is top-level only
PLACEHOLDER = "{{ v }}"

# Where the two differ for a reason outside one field's own schema.
RULES_OUTSIDE_THE_FIELD: dict[tuple[str, str], str] = {
    **{
        (f"bitfount.{algo}", "torch_dtype"): "the config's __post_init__ refuses a dtype outside "
        "bfloat16/float16/float32/float64 (the oracle's one-field load stops before it)"
        for algo in (
            "HuggingFaceTextGenerationInference",
            "HuggingFaceImageTextGenerationInference",
        )
    },
    ("bitfount.BscanImageAndMaskGenerationAlgorithm", "segmentation_configs[].id"): (
        "SegmentationConfig.validate_args refuses an empty id (after the load)"
    ),
    **{
        ("bitfount.TIMMInference", arg): "TIMMInference.__post_init__ needs both "
        "hf_checkpoint_repo_id and hf_checkpoint_filename (model/rules.py)"
        for arg in ("hf_checkpoint_repo_id", "hf_checkpoint_filename")
    },
}


def _doc(component: str, label: str, value: Any) -> tuple[dict[str, Any], DocPath]:
    """The file that sets one argument (``arg``) or one field of a nested one (``arg.field``,
    ``arg[].field`` in a list) to ``value``, and the path of that value."""
    argument, _, inner = label.partition(".")
    within: DocPath = ()
    if inner:
        many = argument.endswith("[]")
        argument = argument.removesuffix("[]")
        value = [{inner: value}] if many else {inner: value}
        within = (0, inner) if many else (inner,)
    task: dict[str, Any] = {"data_structure": {}}
    if component in catalog.PROTOCOLS:
        task["protocol"] = {"name": component, "arguments": {argument: value}}
        task["algorithm"] = [{"name": "bitfount.CSVReportAlgorithm"}]
        path: DocPath = ("task", "protocol", "arguments", argument)
    else:
        task["protocol"] = {"name": "bitfount.ResultsOnly"}
        task["algorithm"] = [{"name": component, "arguments": {argument: value}}]
        path = ("task", "algorithm", 0, "arguments", argument)
    doc: dict[str, Any] = {"pods": {"identifiers": ["owner/pod-a"]}, "task": task}
    path = (*path, *within)
    if PLACEHOLDER in json.dumps(value):
        # a placeholder is only taken in a template that declares it (README: "Within the
        # mirrored ones"); Bitfount's TemplatedOrTyped takes any {{ ... }} string
        doc["template"] = {"v": {"label": "V", "type": "string"}}
    return doc, path


COMPONENTS = sorted(_DATA["accepted"])


def test_the_verdicts_cover_every_catalog_component() -> None:
    assert set(COMPONENTS) == set(catalog.PROTOCOLS) | set(catalog.ALGORITHMS)
    assert sum(len(r) for args in _DATA["accepted"].values() for r in args.values()) > 7000


@pytest.mark.parametrize("component", COMPONENTS, ids=[c[9:] for c in COMPONENTS])
def test_a_value_is_refused_exactly_where_bitfount_refuses_it(component: str) -> None:
    """One test per component (7,000 cases as separate tests took 36 s, mostly pytest's)."""
    disagreements = []
    for argument, row in _DATA["accepted"][component].items():
        if (component, argument) in RULES_OUTSIDE_THE_FIELD:
            continue
        values = NESTED_VALUES if "." in argument else VALUES
        for value, bitfount_accepts in zip(values, row, strict=True):
            if bitfount_accepts is None:  # a __post_init__ raised: not the field's verdict
                continue
            doc, path = _doc(component, argument, value)
            errors = [p for p in validate_task(doc) if p.is_error and p.path[: len(path)] == path]
            if bitfount_accepts and errors:
                disagreements.append(f"{argument}={value!r}: refused ({errors[0].message})")
            elif not bitfount_accepts and not errors:
                disagreements.append(f"{argument}={value!r}: Bitfount refuses it, taskwizard not")
    assert disagreements == []


@pytest.mark.parametrize("splitter", sorted(_DATA["data_split_args"]))
def test_a_data_split_arg_is_refused_exactly_where_bitfount_refuses_it(splitter: str) -> None:
    """``data_split.args`` of each splitter (its own desert schema), null included."""
    disagreements = []
    for key, row in _DATA["data_split_args"][splitter].items():
        for value, bitfount_accepts in zip(NESTED_VALUES, row, strict=True):
            if bitfount_accepts is None:
                continue
            split = {"data_splitter": splitter, "args": {key: value}}
            doc: dict[str, Any] = {
                "pods": {"identifiers": ["owner/pod-a"]},
                "task": {
                    "protocol": {"name": "bitfount.ResultsOnly"},
                    "algorithm": [{"name": "bitfount.CSVReportAlgorithm"}],
                    "data_structure": {"data_split": split},
                },
            }
            if value == PLACEHOLDER:
                doc["template"] = {"v": {"label": "V", "type": "string"}}
            path = ("task", "data_structure", "data_split", "args", key)
            errors = [p for p in validate_task(doc) if p.is_error and p.path[: len(path)] == path]
            if bitfount_accepts and errors:
                disagreements.append(f"{key}={value!r}: refused ({errors[0].message})")
            elif not bitfount_accepts and not errors:
                disagreements.append(f"{key}={value!r}: Bitfount refuses it, taskwizard not")
    assert disagreements == []
