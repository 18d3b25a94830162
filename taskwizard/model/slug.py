"""Bitfount's task-template slug rule (``_sanitise_task_template_slug`` in SDK 13).

The Hub stores a template under its *sanitised* slug, so two config entries
whose slugs sanitise to the same value overwrite each other; the uploader
refuses them, and so do we.
"""

from __future__ import annotations

import re

SLUG_MAX_LENGTH = 50

_OUTSIDE = re.compile(r"[^0-9a-z]")
_DASHES = re.compile(r"-{2,}")


def sanitise_slug(slug: str) -> str:
    """Trim, lowercase, non-``[0-9a-z]`` -> ``-``, collapse ``-`` runs, strip ``-``, cut to 50.

    The cut comes last, exactly as in Bitfount, so it can leave a trailing ``-``.
    """
    text = slug.strip().lower()
    text = _OUTSIDE.sub("-", text)
    text = _DASHES.sub("-", text)
    text = text.strip("-")
    return text[:SLUG_MAX_LENGTH]
