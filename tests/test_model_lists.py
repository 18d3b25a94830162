"""The one-line spelling of a list of strings (model/lists.py)."""

from __future__ import annotations

import pytest

from taskwizard.model.lists import format_list_text, parse_list_text


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ('["0", "1"]', ["0", "1"]),  # as Bitfount's examples write class_outputs
        ("[0, 1]", ["0", "1"]),  # items stay strings
        ("0, 1", ["0", "1"]),
        ("yes, no", ["yes", "no"]),  # not booleans
        ("cat, dog, ", ["cat", "dog"]),  # mid-typing
        ('"a, b", c', ["a, b", "c"]),  # a quoted item keeps its comma
        ("owner/pod-1, pod-2", ["owner/pod-1", "pod-2"]),
        ("a: b, c", ["a: b", "c"]),
        ("", []),
        ("[]", []),
    ],
)
def test_comma_text_and_flow_lists_read_as_the_same_items(text: str, items: list[str]) -> None:
    parsed = parse_list_text(text)
    assert parsed.problem is None
    assert parsed.items == items


@pytest.mark.parametrize("text", ['["0", "1"', '["0"', "[a, [b]]", "[a: b]"])
def test_a_bracket_that_is_no_list_of_items_is_flagged_not_split(text: str) -> None:
    parsed = parse_list_text(text)
    assert parsed.items == []
    assert parsed.problem is not None and "YAML list" in parsed.problem


@pytest.mark.parametrize(
    "items", [["a", "b"], ["a, b", "c"], ['"q"', "x"], ["[x"], ["0", "1"], ["yes"]]
)
def test_format_reads_back_as_the_same_list(items: list[str]) -> None:
    assert parse_list_text(format_list_text(items)).items == items


def test_plain_items_are_shown_comma_separated() -> None:
    assert format_list_text(["cat", "dog"]) == "cat, dog"
