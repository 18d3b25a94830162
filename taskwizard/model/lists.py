"""How a list of strings is typed on one line, and shown again.

Two spellings are accepted, and they give the same list:

- comma-separated text: ``cat, dog`` → ``["cat", "dog"]``;
- a YAML flow list, as Bitfount's own examples write it: ``["0", "1"]`` →
  ``["0", "1"]`` (quotes are YAML's, not part of the items).

Items are always strings (``0`` stays ``"0"``, ``yes`` stays ``"yes"``): the
fields that use this hold names (pods, columns, class outputs). Text that
starts with ``[`` but is not a complete flow list of plain items is *not*
split on commas into junk such as ``'["0"'``: :func:`parse_list_text` says why,
and the caller keeps the text so the validator flags it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: One line for a field hint, and the rule for F1 help.
LIST_HINT = 'a, b or ["a", "b"]'
LIST_HELP = (
    "Type the items separated by commas (cat, dog), or as a YAML flow list "
    '(["cat", "dog"]), as Bitfount\'s examples write them. Items are kept as text; '
    "quote an item that holds a comma."
)


@dataclass(frozen=True)
class ParsedList:
    items: list[str] = field(default_factory=list)
    #: Why the text is not a list (then ``items`` is empty), e.g. an unclosed bracket.
    problem: str | None = None


def _flow_items(text: str) -> list[str] | None:
    """The items of a YAML flow list of plain scalars, every one read as a string."""
    import yaml

    try:
        # BaseLoader: no type resolution, so 0 and yes stay the strings "0" and "yes".
        data: Any = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 (BaseLoader builds only str/list/dict)
    except yaml.YAMLError:
        return None
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        return None
    return [item.strip() for item in data if item.strip()]


def parse_list_text(text: str) -> ParsedList:
    text = text.strip()
    if not text:
        return ParsedList([])
    if text.startswith("["):
        items = _flow_items(text)
        if items is None:
            return ParsedList(
                [],
                'not a complete YAML list: close the bracket and quote items, e.g. ["a", "b"] '
                "(or type them without brackets: a, b)",
            )
        return ParsedList(items)
    items = _flow_items(f"[{text}]")
    if items is not None:
        return ParsedList(items)
    return ParsedList([part.strip() for part in text.split(",") if part.strip()])


def format_list_text(items: list[Any]) -> str:
    """One line that :func:`parse_list_text` reads back as the same list."""
    texts = [str(item) for item in items]
    if all(parse_list_text(t).items == [t] and not t.startswith(("'", '"')) for t in texts):
        return ", ".join(texts)
    import json

    return "[" + ", ".join(json.dumps(t, ensure_ascii=False) for t in texts) + "]"
