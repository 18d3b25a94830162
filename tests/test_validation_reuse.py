"""The wizard's validation reuses the last result of a document that did not change
(``validate_config_reusing`` / ``validate_task_reusing``): its problems are always
those of a full validation, whatever edits came in between (a differential test
over random edits, made in place as the wizard makes them)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskwizard.model.problems import Problem
from taskwizard.model.validate import (
    LastValidation,
    validate_config,
    validate_config_reusing,
    validate_task,
    validate_task_reusing,
)
from taskwizard.state import get_in, set_in

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
CONFIG: dict[str, Any] = yaml.safe_load((FIXTURES / "task-templates.yaml").read_text())
TASK: dict[str, Any] = yaml.safe_load((FIXTURES / "mnist-inference-task.yaml").read_text())


def leaf_paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path in the document, its inner nodes too (an edit may replace a section)."""
    paths = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            paths += leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += leaf_paths(value, (*path, index))
    return paths


#: Values whose ``==`` hides a difference validation sees (1, True and 1.0; "1" and 1).
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["", "1", "x", "owner/pod", "bitfount.ModelInference", "{{ name }}"]),
    st.lists(st.sampled_from(["a", "b", 1, True]), max_size=3),
    st.dictionaries(st.sampled_from(["name", "arguments", "x"]), st.integers(0, 2), max_size=2),
)


#: Up to 12 edits, each (which path, the new value).
EDITS = st.lists(st.tuples(st.integers(0, 10_000), VALUES), min_size=1, max_size=12)


def apply(document: dict[str, Any], pick: int, value: Any) -> None:
    """Set (or with None remove) the value at one of the document's paths, in place."""
    paths = leaf_paths(document)
    if not paths:
        return
    path = paths[pick % len(paths)]
    if isinstance(path[-1], int) and value is None:
        value = 0  # set_in keeps a list's length: None would leave a hole, not remove
    with contextlib.suppress(TypeError, AttributeError):  # through a value now a scalar
        set_in(document, path, value)


def check_differential(
    reusing: LastValidation,
    full: Callable[[Any], list[Problem]],
    start: dict[str, Any],
    steps: list[tuple[int, Any]],
) -> None:
    document = copy.deepcopy(start)
    assert reusing(document) == full(document)
    for pick, value in steps:
        apply(document, pick, value)
        assert reusing(document) == full(document)
        assert reusing(document) == full(document)  # asked again, unchanged


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=EDITS)
def test_task_problems_equal_a_full_validation_after_any_edits(
    steps: list[tuple[int, Any]],
) -> None:
    check_differential(validate_task_reusing, validate_task, TASK, steps)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=EDITS)
def test_config_problems_equal_a_full_validation_after_any_edits(
    steps: list[tuple[int, Any]],
) -> None:
    check_differential(validate_config_reusing, validate_config, CONFIG, steps)


def counting(calls: list[Any]) -> LastValidation:
    def validate(document: Any) -> list[Problem]:
        calls.append(copy.deepcopy(document))
        return validate_task(document)

    return LastValidation(validate)


def test_an_unchanged_document_is_not_validated_again() -> None:
    calls: list[Any] = []
    reusing = counting(calls)
    task = copy.deepcopy(TASK)
    first = reusing(task)
    assert reusing(task) == first
    assert reusing(copy.deepcopy(task)) == first  # an equal copy: the same result
    assert len(calls) == 1


def test_a_change_in_place_is_seen_even_one_that_compares_equal() -> None:
    calls: list[Any] = []
    reusing = counting(calls)
    task = copy.deepcopy(TASK)
    path = ("task", "algorithm", 0, "arguments", "batch_size")
    set_in(task, path, 1)
    reusing(task)
    set_in(task, path, True)  # 1 == True, but Bitfount's schema tells them apart
    assert get_in(task, path) is True
    assert reusing(task) == validate_task(task)
    set_in(task, path, 1.0)
    assert reusing(task) == validate_task(task)
    assert len(calls) == 3


def test_a_document_that_cannot_be_fingerprinted_is_validated_every_time() -> None:
    calls: list[Any] = []
    reusing = counting(calls)
    task = copy.deepcopy(TASK)
    task["x-local"] = lambda: None  # not plain data (never in a real document)
    reusing(task)
    reusing(task)
    assert len(calls) == 2


def test_the_reused_list_is_the_callers_own() -> None:
    reusing = counting([])
    task = {"version": 2}
    first = reusing(task)
    first.clear()
    assert reusing(task) == validate_task(task)


def test_a_big_config_is_left_to_the_entry_memo_not_fingerprinted_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A config checked entry by entry already reuses each unchanged entry's problems:
    writing all of its bytes on every key as well would cost as much again."""
    from taskwizard.model import validate as validate_module
    from taskwizard.model.check_config import ENTRY_MEMO_FROM
    from taskwizard.model.exact import exact_bytes

    entry = {"slug": "a", "title": "A", "type": "text-classification", "template": "a.yaml"}
    big = {"task-templates": [dict(entry, slug=f"t-{i}") for i in range(ENTRY_MEMO_FROM)]}
    fingerprinted: list[object] = []

    def fingerprint(document: object) -> bytes | None:
        fingerprinted.append(document)
        return exact_bytes(document)

    monkeypatch.setattr(validate_module, "exact_bytes", fingerprint)
    assert validate_config_reusing(big) == validate_config(big)
    assert fingerprinted == []
    small = {"task-templates": [entry]}
    assert validate_config_reusing(small) == validate_config(small)
    assert fingerprinted == [small]
