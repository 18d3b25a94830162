"""The YAML previews (the pane beside the form, Review's two files): what taskwizard
will write, cut to what a person reads in a pane, at a cost that does not grow with
the file.

Dumping a document and highlighting it cost time in proportion to its size, on the
app's one thread: a 5 MiB config (30,000 templates) took about 5 s to dump and 12 s
to highlight, and the app took no key until both were done, after every pause in the
typing. A 50-template config cost 50-90 ms, enough to hold up the next key. So:

- the config shows the template being edited, in full; the templates before and
  after it are one comment line each (``# ⋯ 12 templates before this one
  (unchanged)``): Save writes them back as they are;
- any document shows at most :data:`PREVIEW_VALUES` values (list items and mapping
  keys, depth first); where that runs out, the rest of a list or mapping is one
  comment line (``# ⋯ 1,200 more items not shown here``), and a string longer than
  :data:`PREVIEW_CHARS` is cut;
- at most :data:`PREVIEW_LINES` lines.

Save always writes everything; only the preview is cut, and it says where.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Values (list items, mapping keys) a preview shows at most.
PREVIEW_VALUES = 2000
#: Characters of one string a preview shows at most.
PREVIEW_CHARS = 2000
#: Lines a preview shows at most.
PREVIEW_LINES = 1500

#: Marks a stand-in value whose line the preview turns into a comment: a character of
#: Unicode's private use area (no YAML file of a user's has it) around the comment's index.
_MARK = "\ue000"
_MARKED = re.compile(f"^( *)(?:- )?.*{_MARK}(\\d+){_MARK}")


class _Cut:
    """Builds the cut copy of a document, and the comments that stand for what is left out."""

    def __init__(self) -> None:
        self.budget = PREVIEW_VALUES
        self.comments: list[str] = []

    def mark(self, comment: str) -> str:
        self.comments.append(comment)
        return f"{_MARK}{len(self.comments) - 1}{_MARK}"

    def copy(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for n, (key, item) in enumerate(value.items()):
                if self.budget <= 0:
                    rest = len(value) - n
                    out[self.mark(f"⋯ {rest:,} more key{'s' * (rest != 1)} not shown here")] = None
                    break
                self.budget -= 1
                out[key] = self.copy(item)
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for n, item in enumerate(value):
                if self.budget <= 0:
                    rest = len(value) - n
                    items.append(
                        self.mark(f"⋯ {rest:,} more item{'s' * (rest != 1)} not shown here")
                    )
                    break
                self.budget -= 1
                items.append(self.copy(item))
            return items
        if isinstance(value, str) and len(value) > PREVIEW_CHARS:
            return value[:PREVIEW_CHARS] + f"⋯ ({len(value) - PREVIEW_CHARS:,} more characters)"
        return value

    def text(self, data: Any) -> str:
        from taskwizard.model.yamlio import dump_yaml

        lines = dump_yaml(data).splitlines()
        if len(lines) > PREVIEW_LINES:
            rest = len(lines) - PREVIEW_LINES
            lines = [*lines[:PREVIEW_LINES], f"# ⋯ {rest:,} more lines not shown here"]
        for n, line in enumerate(lines):
            if _MARK in line and (found := _MARKED.match(line)):
                lines[n] = f"{found[1]}# {self.comments[int(found[2])]}"
        return "\n".join(lines) + "\n"


def preview_yaml(data: Any, *, template_index: int | None = None) -> str:
    """The preview of a document: ``template_index`` names the config's template being
    edited (the config's other templates are then one comment line each side)."""
    cut = _Cut()
    templates = data.get("task-templates") if isinstance(data, Mapping) else None
    if (
        template_index is not None
        and isinstance(templates, list)
        and len(templates) > 1
        and 0 <= template_index < len(templates)
    ):
        before, after = template_index, len(templates) - template_index - 1
        focused: list[Any] = []
        if before:
            focused.append(cut.mark(f"⋯ {_templates(before)} before this one (unchanged)"))
        focused.append(templates[template_index])
        if after:
            focused.append(cut.mark(f"⋯ {_templates(after)} after this one (unchanged)"))
        data = {key: focused if key == "task-templates" else value for key, value in data.items()}
    return cut.text(cut.copy(data))


def _templates(count: int) -> str:
    return f"{count:,} template{'s' * (count != 1)}"
