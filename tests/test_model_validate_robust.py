"""validate_task/validate_config never raise, whatever the data: the wizard calls
them on half-typed documents and the CLI must never show a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model.problems import Problem
from taskwizard.model.validate import validate_config, validate_task
from taskwizard.model.yamlio import load_yaml_file

FIXTURES = Path(__file__).parent / "fixtures" / "validate"

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    float("nan"),
    "",
    "x",
    "{{ v }}",
    "{{v}}",
    [],
    [None],
    {},
    {"a": 1},
    {1: 2},
    {None: 1},
    dt.date(2020, 1, 1),
    [[1]],
    "bitfount.ModelInference",
    {"name": "bitfount.SqlQuery"},
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _mutate(data: Any, rnd: random.Random) -> Any:
    doc = copy.deepcopy(data)
    for _ in range(rnd.randint(1, 3)):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = rnd.choice(paths)
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        roll = rnd.random()
        if roll < 0.6:
            parent[path[-1]] = copy.deepcopy(rnd.choice(ODD_VALUES))
        elif roll < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            key = rnd.choice(["x", 1, None, "name", "arguments", "template", "model"])
            parent[key] = copy.deepcopy(rnd.choice(ODD_VALUES))
    return doc


@pytest.mark.parametrize(
    ("fixture", "validate"),
    [("mnist-inference-task.yaml", validate_task), ("task-templates.yaml", validate_config)],
)
def test_mutated_documents_never_raise(
    fixture: str, validate: Callable[[Any], list[Problem]]
) -> None:
    base = load_yaml_file(FIXTURES / fixture).data
    rnd = random.Random(fixture)
    for _ in range(400):
        doc = _mutate(base, rnd)
        problems = validate(doc)
        assert all(isinstance(p, Problem) and p.message for p in problems)
