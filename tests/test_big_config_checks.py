"""A big config is checked entry by entry, each unchanged entry's problems kept
(``check_config._EntryMemo``): the problems must be exactly those of checking it whole,
in the same order, whatever the entries hold and however they change between checks."""

from __future__ import annotations

import copy
import datetime as dt
import gc
import random
import time
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model import check_config
from taskwizard.model.check_config import ENTRY_MEMO_FROM, validate_config
from taskwizard.model.problems import Problem
from taskwizard.model.yamlio import load_yaml_text

FIXTURES = Path(__file__).parent / "fixtures"


def whole(data: Any, monkeypatch: pytest.MonkeyPatch) -> list[Problem]:
    """The problems found by checking the config whole (no entry memo)."""
    with monkeypatch.context() as patch:
        patch.setattr(check_config, "ENTRY_MEMO_FROM", 10**9)
        return validate_config(data)


def entry(i: int) -> dict[str, Any]:
    return {
        "slug": f"template-{i}",
        "title": f"Template {i}",
        "type": "image-classification",
        "description": f"Template number {i}",
        "template": f"tasks/task-{i}.yaml",
        "tags": ["Prediction"],
    }


#: Entries with something to say about them, each mixed into a big config.
ODD_ENTRIES: list[Any] = [
    "not a mapping",
    None,
    [1, 2],
    {"slug": 1, "title": True, "type": "nonsense", "tags": "Prediction"},
    {"slug": True, "title": 1.0, "template": "", "description": " "},
    {"slug": "!!!", "title": "x", "type": "image-classification", "tags": ["Prediction"] * 2},
    {"slug": "Has Spaces", "title": "segmentation", "type": "image-classification"},
    {**entry(5), "slug": "template-5"},  # a duplicate of entry 5
    {**entry(6), "slug": "TEMPLATE_6"},  # sanitises to entry 6's slug
    {**entry(7), "sampleDatasetDownloadUrl": "ftp://x", "colour": "red", 3: "x"},
    {**entry(8), "model_overrides": {"m": {"model_ref": 1, "model_version": "x", "k": 1}}},
    {**entry(9), "model_overrides": "none"},
    {**entry(10), "description": dt.date(2020, 1, 2), "title": dt.datetime(2020, 1, 2, 3, 4)},
    {**entry(11), "tags": ["NoSuchTag", None, {"a": 1}]},
    {},
]


def big_config(
    extra: list[Any], count: int = ENTRY_MEMO_FROM + 5 * len(ODD_ENTRIES) + 20
) -> dict[str, Any]:
    entries: list[Any] = [entry(i) for i in range(count)]
    for i, odd in enumerate(extra):
        entries[3 + 5 * i] = copy.deepcopy(odd)
    return {
        "task-templates": entries,
        "models": [{"model_file": "a.txt"}, {"model_file": "b/a.py", "weights_file": " "}, 7],
        "deprecated-task-templates": [{"slug": "template-2"}, {"slug": "???"}, "x", {"s": 1}],
        "colour": "red",
    }


def test_a_big_config_with_odd_entries_has_the_problems_of_checking_it_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = big_config(ODD_ENTRIES)
    expected = whole(config, monkeypatch)
    assert len(expected) > 30  # the odd entries have a lot to say
    assert validate_config(config) == expected
    assert validate_config(config) == expected  # again, every entry from the memo


@pytest.mark.parametrize("odd", range(len(ODD_ENTRIES)))
def test_changing_one_entry_between_checks_is_seen(
    odd: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = big_config([])
    validate_config(config)  # every entry is in the memo now
    config["task-templates"][40] = copy.deepcopy(ODD_ENTRIES[odd])
    assert validate_config(config) == whole(config, monkeypatch)


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.__setitem__("slug", "template-3"),  # now a duplicate
        lambda e: e.__setitem__("slug", ""),
        lambda e: e["tags"].append("Prediction"),  # in place, deep inside the entry
        lambda e: e.__setitem__("title", 1),
        lambda e: e.__setitem__("title", True),  # equal to 1 for ==, not for the memo
        lambda e: e.__setitem__("title", 1.0),
        lambda e: e.pop("type"),
        lambda e: e.__setitem__("description", dt.date(2021, 1, 1)),
        lambda e: e.clear(),
    ],
)
def test_an_entry_edited_in_place_is_checked_again(
    change: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = big_config([])
    config["task-templates"][40]["title"] = 1
    validate_config(config)
    change(config["task-templates"][40])  # the same dict object, changed
    assert validate_config(config) == whole(config, monkeypatch)


def test_entries_added_removed_and_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    config = big_config(ODD_ENTRIES)
    validate_config(config)
    entries = config["task-templates"]
    entries.append(entry(3))  # a duplicate, at the end
    assert validate_config(config) == whole(config, monkeypatch)
    entries.insert(0, entries.pop(20))
    assert validate_config(config) == whole(config, monkeypatch)
    del entries[5:10]
    assert validate_config(config) == whole(config, monkeypatch)
    del entries[ENTRY_MEMO_FROM - 5 :]  # small again: checked whole
    assert validate_config(config) == whole(config, monkeypatch)


@pytest.mark.parametrize(
    "name", ["validate/task-templates.yaml", "roundtrip/several-templates.yaml"]
)
def test_fixture_configs_made_big(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_yaml_text((FIXTURES / name).read_bytes()).data
    templates = data["task-templates"]
    data["task-templates"] = [copy.deepcopy(templates[i % len(templates)]) for i in range(100)]
    assert validate_config(data) == whole(data, monkeypatch)


def test_a_key_in_a_config_of_30000_templates_is_checked_in_milliseconds() -> None:
    """Not a benchmark: a bound ~10x the expected time, so that checking every entry again
    on each key (0.5 s here, 1.3 s in the wizard) fails it."""
    config = {"task-templates": [entry(i) for i in range(30_000)]}
    first = validate_config(config)
    config["task-templates"][123]["slug"] = "Template 123"
    gc.disable()  # a collection of the 30,000 entries is not the check's own time
    try:
        start = time.perf_counter()
        again = validate_config(config)
        took = time.perf_counter() - start
    finally:
        gc.enable()
    assert [p.path for p in again if p not in first] == [("task-templates", 123, "slug")]
    assert took < 0.3, f"{took:.3f} s"


def test_random_edits_in_a_row_always_match_checking_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slugs shared, unshared, emptied, entries inserted, moved and removed, checked after
    each step (the memo's slug index is changed in place, never rebuilt)."""
    rng = random.Random(15)
    pool = ["a", "A", "b", "b!", "", "!!!", "c-d", "C D", 7, None]
    config = big_config([], count=ENTRY_MEMO_FROM + 6)
    config["deprecated-task-templates"] = [{"slug": "b"}, {"slug": ""}, {"slug": "zz"}]
    entries = config["task-templates"]
    for _ in range(150):
        op = rng.random()
        i = rng.randrange(len(entries))
        if op < 0.6:
            if not isinstance(entries[i], dict):
                entries[i] = entry(i)
            entries[i]["slug"] = rng.choice(pool)
        elif op < 0.7:
            entries.insert(i, {**entry(i), "slug": rng.choice(pool)})
        elif op < 0.8 and len(entries) > ENTRY_MEMO_FROM + 1:
            del entries[i]
        elif op < 0.9:
            entries.append(entries.pop(i))
        else:
            entries[i] = copy.deepcopy(rng.choice(ODD_ENTRIES))
        assert validate_config(config) == whole(config, monkeypatch)


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.__setitem__("title", 1),  # text -> a number that looks the same
        lambda e: e.__setitem__("slug", None),
        lambda e: e["tags"].__setitem__(0, ["Prediction"]),  # in place, one level down
        lambda e: e["tags"].append(True),
        lambda e: e.__setitem__(1, "a key that is not text"),
        lambda e: e.__setitem__("description", dt.date(2021, 1, 1)),
    ],
)
def test_a_text_only_entry_compared_by_its_copy_sees_every_change(
    change: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries of text only are compared with a copy (``==``, cheaper than their bytes):
    text equals only text, so a change of type is seen too."""
    config = big_config([])
    config["task-templates"][40]["title"] = "1"
    validate_config(config)
    assert check_config._ENTRY_MEMO._entries[40].text_copy is not None
    change(config["task-templates"][40])
    assert validate_config(config) == whole(config, monkeypatch)
    validate_config(config)  # and back to a memo hit
