"""Write the wizard's changes back into a hand-written YAML file without damaging it.

Users keep commented configs in git; re-dumping the whole file would drop their
comments and blank lines, re-quote and re-indent everything, and make every
review diff noisy. So we parse the original with positions (``yamlio``), compare the
original data with the new data, and edit only the text of what changed:

* a changed scalar: exactly its characters are replaced, in its own quoting
  style when that is still safe (trailing comments stay);
* a key or list item added/removed in block style: whole lines are inserted
  (rendered with ``dump_yaml``, indented like their siblings) or removed;
* a flow collection (``[a, b]``, ``{a: 1}``) that gains or loses entries is
  re-rendered in flow style;
* a change of shape (scalar -> mapping ...) or a value written as an alias is
  re-rendered at that node only, and noted in ``reformatted``.

Key order in ``new_data`` is not significant: existing keys are never moved;
new keys go after the key that precedes them in ``new_data``.

Whatever we produce is parsed again and must load to ``new_data``. If it does
not, we retry with each changed top-level entry re-written as a whole, and as
a last resort re-write the whole document with ``dump_yaml`` (keeping the
comment block at the top of the file); ``reformatted`` says so. Correctness
first. CRLF line endings, a UTF-8 BOM and a missing final newline are kept.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from taskwizard.model.problems import path_text
from taskwizard.model.yamlio import (
    ALIAS,
    MAPPING,
    MERGE_TAG,
    SCALAR,
    SEQUENCE,
    LoadedYaml,
    Node,
    _Dumper,
    dump_yaml,
    load_yaml_text,
)

Path = tuple[Any, ...]


@dataclass
class RoundTripResult:
    text: str
    changed: bool
    reformatted: list[str] = field(default_factory=list)


def unified_diff(old_text: str, new_text: str, filename: str) -> str:
    """A ``diff -u`` of the two texts, for the confirmation dialog ("" when equal)."""
    old_lines = old_text.splitlines(keepends=True)
    new_lines = new_text.splitlines(keepends=True)
    out: list[str] = []
    for line in difflib.unified_diff(old_lines, new_lines, f"a/{filename}", f"b/{filename}"):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def update_yaml_text(
    original_text: str, new_data: Any, *, filename: str = "<text>"
) -> RoundTripResult:
    """``original_text`` edited so that it loads to ``new_data``, touching only what changed."""
    original = load_yaml_text(original_text, filename)
    if original.ok and _same(original.data, new_data):
        return RoundTripResult(original_text, False, [])

    crlf = "\r\n" in original.text and original.text.count("\n") == original.text.count("\r\n")
    work_text = original.text.replace("\r\n", "\n") if crlf else original.text
    loaded = load_yaml_text(work_text, filename) if crlf else original
    # edit as if the file ended with a newline; take it away again at the end if we can
    no_final_newline = bool(work_text) and not work_text.endswith("\n")
    if no_final_newline:
        work_text += "\n"

    if loaded.ok and isinstance(new_data, dict) and loaded.root is not None:
        # finest edits first; then whole top-level entries re-written
        for depth_limit, block_strings in ((None, True), (None, False), (1, True)):
            editor = _Editor(loaded, work_text, depth_limit, block_strings)
            try:
                editor.diff((), (), loaded.data, new_data, loaded.root, False)
                editor.pin_anchors(new_data)
                edited = editor.apply()
            except (_Coarser, KeyError, IndexError, ValueError, TypeError, AssertionError):
                # a shape the in-place editor does not handle (or a bug in it): go coarser
                edited = None
            if edited is None:
                continue
            result = _finish(edited, crlf, original.bom)
            if no_final_newline and edited.endswith("\n"):
                shorter = _finish(edited[:-1], crlf, original.bom)
                if _loads_to(shorter, new_data, original, filename):
                    result = shorter
            if _loads_to(result, new_data, original, filename):
                changed = result != original_text
                return RoundTripResult(result, changed, editor.notes if changed else [])

    header = _leading_comments(work_text)
    notes = [
        "the whole file was re-written in taskwizard's style"
        + (" (comments are lost)" if _has_comment(work_text[len(header) :]) else "")
        if loaded.ok
        else "the original file could not be read, so it was re-written in full"
    ]
    body = header + dump_yaml(new_data)
    result = _finish(body, crlf, original.bom)
    if no_final_newline:
        # keep the missing final newline, unless the last value needs it (a block scalar)
        shorter = _finish(body[:-1], crlf, original.bom)
        if _loads_to(shorter, new_data, original, filename):
            result = shorter
    return RoundTripResult(result, result != original_text, notes)


# --------------------------------------------------------------------------- helpers


def _finish(text: str, crlf: bool, bom: bool) -> str:
    if crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if bom else "") + text


def _loads_to(text: str, new_data: Any, original: LoadedYaml, filename: str) -> bool:
    again = load_yaml_text(text, filename)
    if not again.ok or not _same(again.data, new_data):
        return False
    errors_before = sum(p.is_error for p in original.problems)
    return sum(p.is_error for p in again.problems) <= errors_before


def _leading_comments(text: str) -> str:
    """The comment block (and directives / ``---``) at the top, kept by a full rewrite."""
    kept: list[str] = []
    for line in text.split("\n"):
        if line.startswith(("#", "%")) or line.rstrip() == "---":
            kept.append(line + "\n")
        elif line.strip() == "" and kept:
            kept.append("\n")
        else:
            break
    while len(kept) > 1 and kept[-1] == kept[-2] == "\n":
        kept.pop()
    return "".join(kept)


def _same(a: Any, b: Any) -> bool:
    """Equal *and* of the same YAML type (``1 == True == 1.0`` in Python, not in YAML)."""
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        return all(key in b and _same(value, b[key]) for key, value in a.items())
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _canon(value: Any) -> str:
    """A string that is equal for ``_same`` values (to align list items)."""
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{_canon(k)}:{_canon(v)}" for k, v in value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canon(v) for v in value) + "]"
    return f"{type(value).__name__}:{value!r}"


_BIG = 1_000_000


class _QuotedDumper(_Dumper):
    """dump_yaml's style, but multi-line strings in double quotes instead of | blocks."""


def _represent_quoted(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style='"' if "\n" in value else None
    )


_QuotedDumper.add_representer(str, _represent_quoted)


def _flow(value: Any) -> str:
    text: str = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=True,
        width=_BIG,
    )
    text = text.rstrip("\n")
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text


_UNSAFE_IN_DOUBLE = re.compile(
    '[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"\\\\]'
)
# what cannot appear raw in a single-quoted or block scalar (line breaks other than \n, controls)
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\", "\x00": "\\0"}


def _double(value: str) -> str:
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in _ESCAPES:
            return _ESCAPES[char]
        code = ord(char)
        return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"

    return '"' + _UNSAFE_IN_DOUBLE.sub(escape, value) + '"'


def _plain_ok(value: str, in_flow: bool) -> bool:
    if not value or "\n" in value:
        return False
    if in_flow:
        return _flow({"k": [value]}) == "{k: [" + value + "]}"
    return dump_yaml({"k": value}) == f"k: {value}\n"


def _single_ok(value: str) -> bool:
    return "\n" not in value and _UNPRINTABLE.search(value) is None


def _inline_scalar(value: Any, style: str | None, in_flow: bool) -> str | None:
    """One-line text for a scalar, in ``style`` where safe; None when it needs a block scalar."""
    if not isinstance(value, str):
        text = _flow([value])
        if not (text.startswith("[") and text.endswith("]")) or "\n" in text:
            return None
        return text[1:-1]
    if style == "'" and _single_ok(value):
        return "'" + value.replace("'", "''") + "'"
    if style in ("'", '"'):
        return _double(value)
    if _plain_ok(value, in_flow):
        return value
    if "\n" in value.rstrip("\n") and not in_flow:
        return None
    return _double(value)


def _block_scalar(value: str, indicator: str, indent: str) -> tuple[str, list[str]] | None:
    """(header, indented content lines) for ``value`` as a | or > block scalar, if possible."""
    if not value or _UNPRINTABLE.search(value) is not None:
        return None
    if value.endswith("\n\n"):
        chomp, body = "+", value[:-1]
    elif value.endswith("\n"):
        chomp, body = "", value[:-1]
    else:
        chomp, body = "-", value
    lines = body.split("\n")
    first = next((line for line in lines if line.strip(" ")), None)
    if first is None or first.startswith((" ", "\t")):
        return None
    if any(line and not line.strip(" ") for line in lines):
        return None  # lines of only spaces are ambiguous in a block scalar
    if indicator == ">" and (len(lines) > 1 or chomp == "+"):
        indicator = "|"
    return indicator + chomp, [indent + line if line else "" for line in lines]


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Offset of the newline ending the line that holds ``index`` (len(text) if none)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _first_on_line(text: str, index: int) -> bool:
    return text[_line_start(text, index) : index].strip(" ") == ""


def _rest_is_comment(text: str, index: int) -> bool:
    rest = text[index : _line_end(text, index)].strip(" \t\r")
    return rest == "" or rest.startswith("#")


def _has_comment(text: str) -> bool:
    return re.search(r"(^|[ \t])#", text, re.MULTILINE) is not None


class _Edit(NamedTuple):
    start: int
    end: int
    text: str
    order: int


class _Coarser(Exception):
    """This node cannot be edited in place; re-render something bigger."""


class _Editor:
    def __init__(
        self,
        loaded: LoadedYaml,
        text: str,
        depth_limit: int | None = None,
        block_strings: bool = True,
    ) -> None:
        self.depth_limit = depth_limit  # re-render whole nodes at this depth (a coarser attempt)
        # new multi-line strings as | blocks; off in a retry, as a block can swallow the
        # more-indented comment lines that follow it
        self.block_strings = block_strings
        self.loaded = loaded
        self.text = text
        self.edits: list[_Edit] = []
        self.notes: list[str] = []
        self.inserted: dict[int, set[Any]] = {}  # id(mapping node) -> keys inserted into it
        self.alias_changes: list[tuple[Path, Node, Any, bool]] = []
        self.pulled_up: set[int] = set()  # ids of key nodes removed with a dash-line key

    def dump(self, data: Any) -> str:
        if self.block_strings:
            return dump_yaml(data)
        text: str = yaml.dump(
            data,
            Dumper=_QuotedDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            indent=2,
            width=_BIG,
        )
        return text

    # -- bookkeeping
    def edit(self, start: int, end: int, text: str) -> None:
        self.edits.append(_Edit(start, end, text, len(self.edits)))

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def apply(self) -> str | None:
        edits = sorted(self.edits, key=lambda e: (e.start, e.end, e.order), reverse=True)
        text = self.text
        last_start = len(text) + 1
        for edit in edits:
            if edit.end > last_start:
                return None  # overlapping edits: let the caller re-write everything
            text = text[: edit.start] + edit.text + text[edit.end :]
            last_start = edit.start
        return text

    # -- positions
    def value_start(self, node: Node) -> int:
        """Where the value itself starts, after any ``&anchor`` / ``!tag``."""
        text = self.text
        index = node.start.index
        while index < node.end.index and text[index] in "&!":
            while index < len(text) and text[index] not in " \t\n":
                index += 1
            while index < len(text) and text[index] in " \t":
                index += 1
        return index

    def content_end(self, node: Node) -> int:
        """End of the last character that belongs to ``node`` (no trailing blank lines)."""
        kind = node.kind
        if kind == SCALAR:
            if node.style in ("|", ">"):
                start = node.start.index
                return start + len(self.text[start : node.end.index].rstrip(" \t\n"))
            return node.end.index
        if kind == ALIAS or node.flow:
            return node.end.index
        if kind == SEQUENCE:
            return self.content_end(node.value[-1]) if node.value else node.end.index
        if not node.value:
            return node.end.index
        key, value = node.value[-1]
        return max(self.content_end(key), self.content_end(value))

    def line_after(self, index: int) -> int:
        """Start of the line after the one where ``index - 1`` is (end of text if none)."""
        end = _line_end(self.text, max(index - 1, 0))
        return min(end + 1, len(self.text))

    def dash_of(self, item: Node) -> int:
        text = self.text
        dash = text.rfind("-", _line_start(text, item.start.index), item.start.index)
        if dash < 0 or text[dash + 1 : dash + 2] not in (" ", "\n", "\t", ""):
            raise _Coarser()
        return dash

    def owner_column(self, opath: Path, node: Node) -> int:
        """Column of the key (or the '-') that owns ``node``: block content goes 2 deeper."""
        key = self.loaded.keys.get(opath)
        if key is not None:
            return int(key.start.column)
        if opath and isinstance(opath[-1], int):
            dash = self.dash_of(node)
            return dash - _line_start(self.text, dash)
        return -2

    def insertion(self, at: int, block: str) -> None:
        """Insert whole lines ``block`` (ending in a newline) at line start ``at``."""
        self.edit(at, at, block)

    # -- diffing
    def diff(self, opath: Path, npath: Path, old: Any, new: Any, node: Node, in_flow: bool) -> None:
        if _same(old, new):
            return
        where = path_text(npath) or "the document"
        if node.kind == ALIAS:
            # decided in pin_anchors, once we know whether the anchored value changes the same way
            self.alias_changes.append((opath, node, new, in_flow))
            return
        if self.depth_limit is not None and len(opath) >= self.depth_limit:
            self.rerender(opath, npath, node, new, in_flow)
            return
        try:
            if node.kind == MAPPING and isinstance(old, dict) and isinstance(new, dict):
                self.diff_mapping(opath, npath, old, new, node, in_flow)
                return
            if node.kind == SEQUENCE and isinstance(old, list) and isinstance(new, list | tuple):
                self.diff_sequence(opath, npath, old, list(new), node, in_flow)
                return
            if node.kind == SCALAR and not isinstance(new, dict | list | tuple):
                self.replace_scalar(opath, node, new, in_flow)
                return
        except _Coarser:
            self.drop_edits_within(node)
            self.rerender(opath, npath, node, new, in_flow)
            return
        self.replace_value(opath, node, new, in_flow)
        self.note(
            f"{where} changed from {_kind_name(old)} to {_kind_name(new)} and was re-written "
            "in taskwizard's style"
            + (" (comments inside it are lost)" if _has_comment(self.node_text(node)) else "")
        )

    def rerender(
        self, opath: Path, npath: Path, node: Node, new: Any, in_flow: bool, note: bool = True
    ) -> None:
        """Write the node afresh: in flow style if it was flow (and stays simple), else block."""
        where = path_text(npath) or "the document"
        lost = _has_comment(self.node_text(node))
        flat = isinstance(new, dict | list | tuple) and not any(
            isinstance(v, dict | list | tuple)
            for v in (new.values() if isinstance(new, dict) else new)
        )
        if in_flow or (node.kind in (MAPPING, SEQUENCE) and node.flow and (flat or node.value)):
            if (
                node.kind == SEQUENCE
                and _all_double_quoted(node.value)
                and isinstance(new, list | tuple)
                and all(_quotable(v) for v in new)
            ):
                rendered = "[" + ", ".join(_double(v) for v in new) + "]"  # like the old items
            else:
                rendered = _flow(new)
            self.edit(self.value_start(node), node.end.index, rendered)
            if lost:
                self.note(f"{where} was re-written (comments inside it are lost)")
            return
        self.replace_value(opath, node, new, in_flow)
        if note and (lost or node.kind in (MAPPING, SEQUENCE)):
            self.note(
                f"{where} was re-written in taskwizard's style"
                + (" (comments inside it are lost)" if lost else "")
            )

    def node_text(self, node: Node) -> str:
        return self.text[node.start.index : self.content_end(node)]

    def drop_edits_within(self, node: Node) -> None:
        start, end = node.start.index, self.line_after(self.content_end(node))
        self.edits = [e for e in self.edits if not (start <= e.start and e.end <= end)]

    def diff_mapping(
        self,
        opath: Path,
        npath: Path,
        old: dict[Any, Any],
        new: dict[Any, Any],
        node: Node,
        in_flow: bool,
    ) -> None:
        loaded = self.loaded
        survivors, removed, added = _mapping_changes(opath, old, new, node, loaded.indirect)
        for key in survivors:
            child = (*opath, key)
            self.diff(
                child, (*npath, key), old[key], new[key], loaded.values[child], in_flow or node.flow
            )
        gone = {id(loaded.keys[(*opath, key)]) for key in removed}
        for key in removed:
            self.remove_entry(node, (*opath, key), gone)
        if added:
            self.add_entries(opath, node, survivors, new, added)

    def remove_entry(self, node: Node, child: Path, gone: set[int]) -> None:
        """Remove the lines of one entry; ``gone`` holds the ids of all key nodes removed."""
        key = self.loaded.keys[child]
        if id(key) in self.pulled_up:
            return  # already removed with the dash-line key before it
        value = self.loaded.values[child]
        end = self.line_after(max(self.content_end(key), self.content_end(value)))
        start = _line_start(self.text, key.start.index)
        before = self.text[start : key.start.index].strip(" ")
        if before in ("", "?"):  # the key starts its line (maybe as an explicit "? key")
            self.edit(start, end, "")
            return
        # the first key of a "- key: value" item: pull the next kept key up onto the dash
        # line (keys removed in between go with this edit)
        keys = [k for k, _ in node.value]
        index = next(i for i, k in enumerate(keys) if k is key)
        kept = [k for k in keys[index + 1 :] if id(k) not in gone]
        if not kept:
            raise _Coarser()
        self.edit(key.start.index, kept[0].start.index, "")
        between = keys[index + 1 : keys.index(kept[0])]
        self.pulled_up |= {id(k) for k in between}

    def add_entries(
        self, opath: Path, node: Node, survivors: list[Any], new: dict[Any, Any], added: list[Any]
    ) -> None:
        """Insert ``added`` keys after the surviving key that precedes each in ``new``."""
        loaded = self.loaded
        indent = " " * node.value[0][0].start.column
        groups: dict[Any, list[Any]] = {}
        previous: Any = None
        for key in new:
            if key in added:
                groups.setdefault(previous, []).append(key)
            elif key in survivors:
                previous = key
        self.inserted.setdefault(id(node), set()).update(added)
        for after, keys in groups.items():
            block = "".join(
                indent + line for line in self.dump({k: new[k] for k in keys}).splitlines(True)
            )
            if after is None and survivors:
                first = loaded.keys[(*opath, survivors[0])]
                if _first_on_line(self.text, first.start.index):
                    self.insertion(_line_start(self.text, first.start.index), block)
                    continue
            if after is None:
                last_key, last_value = node.value[-1]
                end = max(self.content_end(last_key), self.content_end(last_value))
            else:
                child = (*opath, after)
                end = max(
                    self.content_end(loaded.keys[child]), self.content_end(loaded.values[child])
                )
            self.insertion(self.line_after(end), block)

    # -- anchors
    def covered(self, node: Node) -> bool:
        """True when an edit already re-writes all of ``node``."""
        start, end = node.start.index, self.content_end(node)
        return any(e.start <= start and end <= e.end and e.end > e.start for e in self.edits)

    def anchor_lost(self, target: Node) -> bool:
        """True when an edit removes or re-writes the anchored node without its ``&anchor``."""
        start, end = target.start.index, self.content_end(target)
        mark = f"&{target.anchor}"
        return any(
            e.start <= start and end <= e.end and e.end > e.start and mark not in e.text
            for e in self.edits
        )

    def touched(self, node: Node) -> bool:
        """True when an edit overlaps ``node`` (a false alarm only costs a comparison)."""
        start, end = node.start.index, node.end.index
        return any(e.start <= end and e.end >= start for e in self.edits)

    def pin_anchors(self, new_data: Any) -> None:
        """Keep aliases and merges showing what ``new_data`` wants after an anchor was edited.

        An alias whose anchored value changed is written out in full where ``new_data`` still
        holds the old value; a mapping that merges it gets explicit keys overriding the merge.
        """
        loaded = self.loaded
        if not self.edits and not self.alias_changes:
            return
        path_of = {id(n): p for p, n in loaded.values.items() if p not in loaded.indirect}
        edited: dict[int, Any] = {}

        def new_value_of(target: Node) -> Any:
            if id(target) not in edited:
                path = path_of.get(id(target))
                if path is None:
                    raise _Coarser()
                edited[id(target)] = _lookup(new_data, path)
            return edited[id(target)]

        changed_aliases = {id(node) for _, node, _, _ in self.alias_changes}
        for path, node, wanted, in_flow in self.alias_changes:
            target = node.value
            if self.covered(node):
                continue
            if not self.anchor_lost(target):
                anchored = new_value_of(target)
                if anchored is not _MISSING and _same(anchored, wanted) and self.touched(target):
                    continue  # the anchor changes the same way: keep the alias
            self.replace_value(path, node, wanted, in_flow)
            self.note(
                f"{path_text(path)} was written out in full instead of the alias *{node.anchor}"
            )
        for path, node in list(loaded.values.items()):
            if path in loaded.indirect or id(node) in changed_aliases:
                continue
            if node.kind == ALIAS and path:
                target = node.value
                lost = self.anchor_lost(target)
                if not (lost or self.touched(target)) or self.covered(node):
                    continue
                wanted = _lookup(new_data, path)
                if wanted is _MISSING or (not lost and _same(wanted, new_value_of(target))):
                    continue
                in_flow = any(loaded.values[path[:n]].flow for n in range(len(path)))
                self.replace_value(path, node, wanted, in_flow)
                self.note(
                    f"{path_text(path)} was written out in full instead of the alias *{node.anchor}"
                )
            elif node.kind == MAPPING and not node.flow:
                self.pin_merges(path, node, new_data, new_value_of)

    def pin_merges(self, path: Path, node: Node, new_data: Any, new_value_of: Any) -> None:
        sources, explicit = _merge_sources(node)
        aliases = [s.value for s in sources if s.kind == ALIAS]
        lost = any(self.anchor_lost(target) for target in aliases)
        if not (lost or any(self.touched(t) for t in aliases)) or self.covered(node):
            return
        wanted = _lookup(new_data, path)
        if not isinstance(wanted, dict):
            return
        new_sources = [new_value_of(s.value) if s.kind == ALIAS else None for s in sources]
        if lost or not all(isinstance(v, dict) for v in new_sources):
            self.unmerge(path, node, wanted)  # the anchor is gone or no longer a mapping
            return
        effective = _merged(new_sources)
        explicit |= self.inserted.get(id(node), set())
        if any(k not in wanted and k not in explicit for k in effective):
            self.unmerge(path, node, wanted)  # the anchor gained keys this mapping must not see
            return
        self.pin_overrides(path, node, wanted, effective, explicit)

    def unmerge(self, path: Path, node: Node, wanted: dict[Any, Any]) -> None:
        """Write the mapping out without its ``<<`` merge key."""
        self.drop_edits_within(node)
        self.rerender(path, path, node, wanted, False, note=False)
        self.note(f"{path_text(path)} no longer uses its '<<' merge key")

    def pin_overrides(
        self,
        path: Path,
        node: Node,
        wanted: dict[Any, Any],
        effective: dict[Any, Any],
        explicit: set[Any],
    ) -> None:
        """Add explicit keys where what the merge now brings differs from what is wanted."""
        pins = [
            key
            for key in wanted
            if key not in explicit
            and (key not in effective or not _same(effective[key], wanted[key]))
        ]
        if not pins:
            return
        inserted = self.inserted.get(id(node), set())
        survivors = [
            k
            for k in wanted
            if k in explicit and k not in inserted and (*path, k) in self.loaded.keys
        ]
        self.add_entries(path, node, survivors, wanted, pins)

    def diff_sequence(
        self, opath: Path, npath: Path, old: list[Any], new: list[Any], node: Node, in_flow: bool
    ) -> None:
        items: list[Node] = node.value
        if node.flow or in_flow:
            if len(old) != len(new):
                raise _Coarser()
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                self.diff((*opath, index), (*npath, index), a, b, items[index], True)
            return
        if not new:
            raise _Coarser()
        matcher = difflib.SequenceMatcher(
            None, [_canon(v) for v in old], [_canon(v) for v in new], autojunk=False
        )
        opcodes = matcher.get_opcodes()
        column = self.dash_of(items[0]) - _line_start(self.text, self.dash_of(items[0]))
        indent = " " * column
        for tag, i1, i2, j1, j2 in opcodes:
            if tag == "equal":
                continue
            pending: list[Any] = []  # new items waiting to go in before the next old item
            previous = i1 - 1  # the old item the pending ones follow
            for i, j in _align(old[i1:i2], new[j1:j2]):
                if i is None:
                    assert j is not None
                    pending.append(new[j1 + j])
                    continue
                if pending:
                    self.insert_items(items, previous, pending, indent)
                    pending = []
                if j is None:
                    self.remove_item(items[i1 + i])
                else:
                    path = (*opath, i1 + i)
                    self.diff(
                        path, (*npath, j1 + j), old[i1 + i], new[j1 + j], items[i1 + i], False
                    )
                previous = i1 + i
            if pending:
                self.insert_items(items, previous, pending, indent)

    def insert_items(self, items: list[Node], after: int, values: list[Any], indent: str) -> None:
        """Insert list items after old item ``after`` (-1: before the first)."""
        if _all_double_quoted(items) and all(_quotable(v) for v in values):
            block = "".join(f"{indent}- {_double(v)}\n" for v in values)  # like their siblings
        else:
            block = "".join(indent + line for line in self.dump(values).splitlines(True))
        if after >= 0:
            self.insertion(self.line_after(self.content_end(items[after])), block)
            return
        dash = self.dash_of(items[0])
        if not _first_on_line(self.text, dash):
            raise _Coarser()
        self.insertion(_line_start(self.text, dash), block)

    def remove_item(self, item: Node) -> None:
        dash = self.dash_of(item)
        if not _first_on_line(self.text, dash):
            raise _Coarser()
        self.edit(_line_start(self.text, dash), self.line_after(self.content_end(item)), "")

    # -- rendering
    def replace_scalar(self, opath: Path, node: Node, new: Any, in_flow: bool) -> None:
        text = self.text
        start = self.value_start(node)
        if node.style in ("|", ">"):
            header_end = _line_end(text, start)
            comment = text[start:header_end]
            comment = comment[comment.find(" ") :] if " " in comment else ""
            content_end = self.content_end(node)
            region_end = _line_end(text, max(content_end - 1, start))
            if isinstance(new, str):
                indent = self.block_indent(node, opath)
                block = _block_scalar(new, node.style, indent)
                if block is not None:
                    header, lines = block
                    self.edit(
                        start, region_end, header + comment.rstrip() + "\n" + "\n".join(lines)
                    )
                    return
            inline = _inline_scalar(new, None, False)
            if inline is None:
                inline = _double(new)
            self.edit(
                start,
                region_end,
                inline + (comment.rstrip() if comment.strip().startswith("#") else ""),
            )
            return
        end = node.end.index
        inline = _inline_scalar(new, node.style, in_flow)
        if inline is None and isinstance(new, str):
            if self.block_strings and _rest_is_comment(text, end):
                indent = " " * (self.owner_column(opath, node) + 2)
                block = _block_scalar(new, "|", indent)
                if block is not None:
                    header, lines = block
                    line_end = _line_end(text, end)
                    comment = text[end:line_end].rstrip()
                    self.edit(start, line_end, header + comment + "\n" + "\n".join(lines))
                    return
            inline = _double(new)
        assert inline is not None
        if start == end and text[start - 1 : start] in (":", "-"):
            inline = " " + inline
        self.edit(start, end, inline)

    def block_indent(self, node: Node, opath: Path) -> str:
        text = self.text
        first = _line_end(text, node.start.index) + 1
        while first < node.end.index:
            line = text[first : _line_end(text, first)]
            if line.strip():
                return line[: len(line) - len(line.lstrip(" "))]
            first = _line_end(text, first) + 1
        return " " * (self.owner_column(opath, node) + 2)

    def replace_value(self, opath: Path, node: Node, new: Any, in_flow: bool) -> None:
        """Re-render the node at ``opath`` (its key or dash, anchor and comments before it stay)."""
        text = self.text
        if in_flow:
            self.edit(self.value_start(node), node.end.index, _flow(new))
            return
        if not opath:
            raise _Coarser()
        anchor = f" &{node.anchor}" if node.anchor and node.kind != ALIAS else ""
        key = self.loaded.keys.get(opath)
        if key is not None:
            colon = text.find(":", key.end.index)
            if colon < 0 or colon > node.start.index and node.start.index != node.end.index:
                raise _Coarser()
            start, column = colon + 1, key.start.column
            rendered = self.dump({"k": new})
            head_skip = 2
        elif isinstance(opath[-1], int):
            dash = self.dash_of(node)
            start, column = dash + 1, dash - _line_start(text, dash)
            rendered = self.dump([new])
            head_skip = 1
        else:
            raise _Coarser()
        end = self.content_end(node)
        if not _rest_is_comment(text, end):
            raise _Coarser()
        lines = rendered.rstrip("\n").split("\n")
        indent = " " * column
        body = anchor + lines[0][head_skip:] + "".join("\n" + indent + line for line in lines[1:])
        if len(lines) > 1:
            # a trailing comment could end up inside a block scalar: it goes with the old value
            end = _line_end(text, max(end - 1, start))
        self.edit(start, end, body)


_MISSING: Any = object()


def _lookup(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


def _merge_offers(node: Node) -> set[Any]:
    """Keys (as written) that the ``<<`` merge keys of a mapping node bring in."""
    offered: set[Any] = set()
    for key_node, value_node in node.value:
        if key_node.kind == SCALAR and key_node.tag == MERGE_TAG:
            items = value_node.value if value_node.kind == SEQUENCE else [value_node]
            for item in items:
                target = item.value if item.kind == ALIAS else item
                if target.kind == MAPPING:
                    offered |= {k.value for k, _ in target.value} | _merge_offers(target)
    return offered


def _similarity(a: Any, b: Any) -> float:
    """How much of old list item ``a`` survives in new item ``b`` (0: nothing worth keeping)."""
    if isinstance(a, dict) and isinstance(b, dict):
        common = a.keys() & b.keys()
        return sum(2.0 if _same(a[k], b[k]) else 0.5 for k in common)
    if isinstance(a, list) and isinstance(b, list):
        return 0.5 + sum(2.0 for x, y in zip(a, b, strict=False) if _same(x, y))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return 0.0
    return 0.5  # a scalar edited in place keeps its line and comment


def _align(old: list[Any], new: list[Any]) -> list[tuple[int | None, int | None]]:
    """Order-keeping pairing of old and new items that keeps the most (weighted LCS).

    ``(i, j)`` pairs old item i with new item j (edited in place), ``(i, None)`` removes
    old item i and ``(None, j)`` inserts new item j.
    """
    n, m = len(old), len(new)
    if n * m > 10_000:  # huge rewrites: pair by position (still correct, just less tidy)
        pairs: list[tuple[int | None, int | None]] = [(k, k) for k in range(min(n, m))]
        return pairs + [(k, None) for k in range(m, n)] + [(None, k) for k in range(n, m)]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            similarity = _similarity(old[i], new[j])
            if similarity > 0:
                best = max(best, similarity + score[i + 1][j + 1])
            score[i][j] = best
    steps: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n and j < m:
        similarity = _similarity(old[i], new[j])
        if similarity > 0 and score[i][j] == similarity + score[i + 1][j + 1]:
            steps.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            steps.append((i, None))
            i += 1
        else:
            steps.append((None, j))
            j += 1
    steps += [(k, None) for k in range(i, n)] + [(None, k) for k in range(j, m)]
    return steps


def _all_double_quoted(items: list[Node]) -> bool:
    """A list whose items are all "double-quoted" (new items follow suit)."""
    return bool(items) and all(i.kind == SCALAR and i.style == '"' for i in items)


def _quotable(value: Any) -> bool:
    return isinstance(value, str) and "\n" not in value


def _kind_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return "a single value"


__all__ = ["RoundTripResult", "unified_diff", "update_yaml_text"]


def _mapping_changes(
    opath: Path, old: dict[Any, Any], new: dict[Any, Any], node: Node, indirect: Any
) -> tuple[list[Any], list[Any], list[Any]]:
    """(kept, removed, added) keys of a mapping edited in place; _Coarser when it cannot be."""
    merged = {k for k in old if (*opath, k) in indirect}
    if any(k not in new for k in merged):
        raise _Coarser()  # a merged key cannot be removed in place
    explicit = [k for k in old if k not in merged]
    removed = [k for k in explicit if k not in new]
    added = [k for k in new if k not in old or (k in merged and not _same(old[k], new[k]))]
    survivors = [k for k in explicit if k in new]
    _check_in_place(node, new, survivors, removed, added)
    return survivors, removed, added


def _check_in_place(
    node: Node, new: dict[Any, Any], survivors: list[Any], removed: list[Any], added: list[Any]
) -> None:
    """Raise _Coarser when these changes cannot be made inside the mapping's own lines."""
    has_merge = any(k.kind == SCALAR and k.tag == MERGE_TAG for k, _ in node.value)
    if has_merge and any(k in _merge_offers(node) for k in removed):
        raise _Coarser()  # removing the override would bring the merged value back
    if not new or not (survivors or has_merge) or (node.flow and (removed or added)):
        raise _Coarser()


def _merge_sources(node: Node) -> tuple[list[Node], set[Any]]:
    """The nodes a mapping merges with ``<<`` and the keys it sets itself."""
    sources: list[Node] = []
    explicit: set[Any] = set()
    for key_node, value_node in node.value:
        if key_node.kind == SCALAR and key_node.tag == MERGE_TAG:
            sources += value_node.value if value_node.kind == SEQUENCE else [value_node]
        else:
            explicit.add(key_node.value)
    return sources, explicit


def _merged(sources: list[Any]) -> dict[Any, Any]:
    """What ``<<`` merges from these mappings: the first one that has a key wins."""
    effective: dict[Any, Any] = {}
    for value in sources:
        for key, item in (value or {}).items():
            effective.setdefault(key, item)
    return effective
