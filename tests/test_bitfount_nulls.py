"""Null, for every argument of every protocol and algorithm, as Bitfount 13 decides it.

``fixtures/bitfount13/null_verdicts.json`` was written by ``scripts/bitfount13_oracle.py``,
which loads ``{argument: null}`` with SDK 13.0.0's own arguments schemas (desert
2022.9.22, marshmallow 3.26). taskwizard must report an error at that argument exactly
when Bitfount's schema refuses the null, and must know every argument Bitfount has.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model import catalog
from taskwizard.model.problems import DocPath
from taskwizard.model.validate import validate_task

VERDICTS: dict[str, dict[str, bool]] = json.loads(
    (Path(__file__).parent / "fixtures" / "bitfount13" / "null_verdicts.json").read_text()
)["null_accepted"]
CASES = [(c, a, ok) for c, args in VERDICTS.items() for a, ok in args.items()]


def _doc_with_null(component: str, argument: str) -> tuple[dict[str, Any], DocPath]:
    task: dict[str, Any] = {"data_structure": {}}
    if component in catalog.PROTOCOLS:
        task["protocol"] = {"name": component, "arguments": {argument: None}}
        task["algorithm"] = [{"name": "bitfount.CSVReportAlgorithm"}]
        path: DocPath = ("task", "protocol", "arguments", argument)
    else:
        task["protocol"] = {"name": "bitfount.ResultsOnly"}
        task["algorithm"] = [{"name": component, "arguments": {argument: None}}]
        path = ("task", "algorithm", 0, "arguments", argument)
    return {"pods": {"identifiers": ["owner/pod-a"]}, "task": task}, path


def test_the_verdicts_cover_every_catalog_component() -> None:
    assert len(CASES) > 350
    assert set(VERDICTS) == set(catalog.PROTOCOLS) | set(catalog.ALGORITHMS)


@pytest.mark.parametrize(
    ("component", "argument", "bitfount_accepts_null"),
    CASES,
    ids=[f"{c.removeprefix('bitfount.')}.{a}" for c, a, _ in CASES],
)
def test_null_is_refused_exactly_where_bitfount_refuses_it(
    component: str, argument: str, bitfount_accepts_null: bool
) -> None:
    doc, path = _doc_with_null(component, argument)
    errors = [p for p in validate_task(doc) if p.is_error and p.path[: len(path)] == path]
    if bitfount_accepts_null:
        assert errors == [], [p.message for p in errors]
    else:
        assert errors, f"Bitfount refuses {argument}: null; taskwizard accepts it"
        assert any("may not be null" in p.message for p in errors), [p.message for p in errors]
