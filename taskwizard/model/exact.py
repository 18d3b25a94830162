"""Exact fingerprints of plain data, for the caches that reuse work while a document
(or one of its entries) is unchanged: the wizard validates and autosaves on every key.

``==`` is not exact enough: ``1 == True == 1.0``, but Bitfount's schemas tell them apart.
:mod:`marshal` (version 2, no back-references) writes each value with its type, so equal
bytes mean the same keys in the same order with values of the same types. Bytes may
differ for data that is the same (a string interned or not): a cache then misses, it
never reuses a wrong result. Values marshal cannot write (a date, a structure deeper
than it goes) have no fingerprint: never reused.
"""

from __future__ import annotations

import marshal
from typing import Any


def exact_bytes(value: Any) -> bytes | None:
    """``value``'s bytes as :mod:`marshal` writes them, or None when it cannot."""
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return None
