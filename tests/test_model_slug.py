"""Bitfount's slug rule, exactly (bitfount-formats.md §1 and §7)."""

from __future__ import annotations

import pytest

from taskwizard.model.slug import sanitise_slug


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("  My Fancy -- Template!!  ", "my-fancy-template"),
        ("ÄBC_def 2", "bc-def-2"),
        ("Café Sales Report", "caf-sales-report"),
        ("caf--sales report", "caf-sales-report"),
        ("already-clean-123", "already-clean-123"),
        ("---", ""),
        ("UPPER", "upper"),
        ("a__b..c", "a-b-c"),
    ],
)
def test_sanitise_slug(slug: str, expected: str) -> None:
    assert sanitise_slug(slug) == expected


def test_cut_to_50_happens_last_and_can_leave_a_trailing_dash() -> None:
    slug = "a" * 49 + " b"
    assert sanitise_slug(slug) == "a" * 49 + "-"
    assert len(sanitise_slug("x" * 80)) == 50


def test_slugs_differing_after_50_chars_collide() -> None:
    base = "t" * 50
    assert sanitise_slug(base + "-one") == sanitise_slug(base + "-two")
