"""What Bitfount's templated schema accepts as a template-variable placeholder.

Kept apart from :mod:`taskwizard.model.variables` (which re-exports it) because the
wizard's fields ask "is this value a placeholder?" while drawing the first screen,
and the rest of the variables model is not needed for that.
"""

from __future__ import annotations

import re
from typing import Any, Final

# The whole value (anchored, so ``match`` and ``fullmatch`` both work).
PLACEHOLDER_RE: Final = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\Z")


def is_placeholder(value: Any) -> bool:
    """True for a whole-value placeholder Bitfount's schema accepts (``{{x}}`` too)."""
    return isinstance(value, str) and PLACEHOLDER_RE.fullmatch(value) is not None


def placeholder_name(value: Any) -> str | None:
    """The variable a whole-value placeholder names, else None."""
    if not isinstance(value, str):
        return None
    match = PLACEHOLDER_RE.fullmatch(value)
    return match.group(1) if match else None


def canonical_placeholder(name: str) -> str:
    """``{{ name }}`` — the only spelling Bitfount's substitution replaces."""
    return "{{ " + name + " }}"
