"""Bitfount's username rule, in one place for the validator, the setup and the upload.

1–39 characters of lowercase letters and digits; ``-`` or ``_`` only between two
letters or digits (the full rule Bitfount applies to pod ids and accounts).
Pure and light: imported at start-up by the settings.
"""

from __future__ import annotations

import re

USERNAME_MAX = 39
USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9]|[-_](?=[a-z0-9])){0,38}$")


def username_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a Bitfount username, in plain words, or None."""
    if not name:
        return "Enter your Bitfount username."
    if len(name) > USERNAME_MAX:
        return f"A Bitfount username has at most {USERNAME_MAX} characters (this has {len(name)})."
    if name != name.lower() and USERNAME_RE.match(name.lower()):
        return f"Bitfount usernames are lowercase: try {name.lower()!r}."
    if USERNAME_RE.match(name):
        return None
    bad = sorted(
        {ch for ch in name if not (ch.isascii() and (ch.isdigit() or ch.islower()))} - {"-", "_"}
    )
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        return f"Only lowercase letters, digits, '-' and '_' are allowed (not {shown})."
    return "'-' and '_' may only stand between two letters or digits."
