"""Reading YAML with positions, and writing it the way taskwizard writes new files.

Why not ``yaml.safe_load``: it forgets where each value came from (so a problem
cannot be shown at ``file:line:col``), and it silently accepts things that bite
Bitfount users later: a duplicated key keeps only its last value, anchors can
expand into millions of values ("billion laughs"), and its messages for tab
indentation or a missing colon are cryptic. So we ask PyYAML's parser (the
libyaml C parser when installed) for *events* and compose and construct the
data ourselves, keeping, for each path into the data, the node it came from.

Decisions worth knowing:

* Keys that are not text (``1: x``, ``true: x``, ``null: x``, ``2020-01-01: x``)
  are kept as PyYAML constructs them (int, bool, None, date) so that ``data`` is
  exactly what Bitfount's own loader sees, and each gets a *warning* asking to
  quote it. A key that is a list or a mapping is an error (it cannot be a dict
  key in Python at all).
* Dates stay ``datetime.date`` as in PyYAML's safe loader; the validator says
  "quote it" where Bitfount wants a string.
* Ordinary anchors, aliases and ``<<`` merge keys work. Every alias is expanded
  into a fresh copy (no shared mutable objects in ``data``), and the total
  number of values after expansion is capped at ``MAX_EXPANDED_NODES``.
* ``text`` never contains a UTF-8 byte-order mark; ``bom`` says whether the
  input had one (``roundtrip`` puts it back).
* Problems about an "unknown key" (their message contains "unknown key" or
  "unknown field") are placed on the key by ``resolve``; other problems on the
  value; a problem about a missing key is placed on the nearest existing
  parent's key.
* A value written as an alias (``*name``) is located where the alias is
  written; values *inside* it, and keys brought in by ``<<``, where the anchor
  defines them. ``indirect`` lists those paths (``roundtrip`` needs it).
* Severities: everything that makes ``data`` differ from what the file seems to
  say, or that Bitfount's loader would refuse, is an error (duplicate keys,
  unknown tags, bad merge keys); a non-text key is a warning. ``ok`` is False
  only when there is no usable mapping at all.
* Syntax errors become one problem whose message starts "could not parse
  YAML: " and says what to do; a tab in the indentation gets its own message.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from taskwizard.model.problems import DocPath, Problem, Severity, path_text
from taskwizard.model.reading import (
    MAX_YAML_BYTES,
    Unreadable,
    read_file_bytes,
    too_big_message,
    utf16_or_32,
)

MAX_EXPANDED_NODES: int = 100_000
"""Most values a document may hold once aliases are expanded."""

MAX_DEPTH: int = 200
"""Deepest nesting accepted (keeps recursion far from Python's limit)."""

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"

SCALAR = "scalar"
SEQUENCE = "sequence"
MAPPING = "mapping"
ALIAS = "alias"

# Characters PyYAML refuses anywhere in a document (its Reader's NON_PRINTABLE).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LEADING_TAB = re.compile(r"^[ ]*\t[ \t]*\S", re.MULTILINE)
# Where libyaml and PyYAML's pure-Python loader may disagree (see _compose_as_pyyaml).
_PURE_ONLY = re.compile("[\t\ufeff?]|[|>][-+0-9]*#")
_PURE_TAIL = re.compile("[|>][-+0-9]*#")


def needs_pure_parser(text: str) -> bool:
    """``_PURE_ONLY.search(text)``, in 1 ms rather than 80 for 5 MiB: the characters first
    (``in`` is a fast scan), the pattern only when the text has both its ends."""
    if "\t" in text or "\ufeff" in text or "?" in text:
        return True
    if "#" not in text or ("|" not in text and ">" not in text):
        return False
    return _PURE_TAIL.search(text) is not None


@dataclass
class Position:
    line: int  # 1-based
    column: int  # 1-based


class Node:
    """A composed YAML node with its marks (our own: we also keep aliases and anchors)."""

    __slots__ = ("kind", "tag", "value", "style", "flow", "start", "end", "anchor")

    def __init__(
        self,
        kind: str,
        tag: str,
        value: Any,
        start: yaml.Mark,
        end: yaml.Mark,
        *,
        style: str | None = None,
        flow: bool = False,
        anchor: str | None = None,
    ) -> None:
        self.kind = kind
        self.tag = tag
        self.value = value  # str | list[Node] | list[tuple[Node, Node]] | Node (alias target)
        self.style = style  # scalars: None (plain), "'", '"', "|", ">"
        self.flow = flow  # collections written as [..] / {..}
        self.start = start  # yaml Mark (line, column 0-based; index = char offset)
        self.end = end
        self.anchor = anchor

    def __repr__(self) -> str:
        return f"Node({self.kind}, {self.tag}, {self.start.line + 1}:{self.start.column + 1})"


class _Stop(Exception):
    """Reading cannot go on; the problem is already recorded."""


@dataclass
class LoadedYaml:
    data: Any
    text: str
    filename: str
    problems: list[Problem]
    ok: bool
    bom: bool = False
    root: Node | None = field(default=None, repr=False)
    # path -> node of the value (an alias node where the value is written as ``*name``)
    values: dict[tuple[Any, ...], Node] = field(default_factory=dict, repr=False)
    # path -> node of the mapping key for the last element of path
    keys: dict[tuple[Any, ...], Node] = field(default_factory=dict, repr=False)
    # paths whose text is not written at their own place (reached through an alias or a merge)
    indirect: set[tuple[Any, ...]] = field(default_factory=set, repr=False)

    def _deepest(self, path: DocPath) -> tuple[Any, ...] | None:
        p = tuple(path)
        while True:
            if p in self.values:
                return p
            if not p:
                return None
            p = p[:-1]

    def locate(self, path: DocPath) -> Position | None:
        """Where the value at ``path`` starts; the deepest existing ancestor if it is absent."""
        p = self._deepest(path)
        if p is None:
            return None
        return _position(self.values[p].start)

    def locate_key(self, path: DocPath) -> Position | None:
        """Where the mapping key of ``path``'s last element is; falls back to ``locate``."""
        node = self.keys.get(tuple(path))
        if node is not None:
            return _position(node.start)
        return self.locate(path)

    def span(self, path: DocPath) -> tuple[int, int] | None:
        """Start/end character offsets in ``text`` of the value node at ``path``."""
        node = self.values.get(tuple(path))
        if node is None:
            return None
        return node.start.index, node.end.index

    def node(self, path: DocPath) -> Node | None:
        return self.values.get(tuple(path))

    def resolve(
        self, problems: Iterable[Problem], *, key_for_unknown: bool = True
    ) -> list[Problem]:
        """Fill ``file``/``line``/``column`` of each problem from its path."""
        out: list[Problem] = []
        for problem in problems:
            if problem.line is not None:
                out.append(
                    problem
                    if problem.file
                    else problem.at(self.filename, problem.line, problem.column)
                )
                continue
            path = tuple(problem.path)
            pos: Position | None
            if path in self.values:
                if key_for_unknown and _is_unknown_key_message(problem.message):
                    pos = self.locate_key(path)
                else:
                    pos = self.locate(path)
            else:
                ancestor = self._deepest(path)
                pos = None if ancestor is None else self.locate_key(ancestor)
            if pos is None:
                out.append(problem.at(problem.file or self.filename, None, None))
            else:
                out.append(problem.at(problem.file or self.filename, pos.line, pos.column))
        return out


def _is_unknown_key_message(message: str) -> bool:
    lowered = message.lower()
    return "unknown key" in lowered or "unknown field" in lowered


def _position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# --------------------------------------------------------------------------- reading


def load_yaml_file(path: str | os.PathLike[str]) -> LoadedYaml:
    """Read a YAML file; never raises for bad content or a missing/unreadable file.

    The file is read by ``reading.read_file_bytes`` (regular files of at most 5 MiB
    only), the one rule every path into taskwizard shares.
    """
    filename = os.fspath(path)
    try:
        raw = read_file_bytes(filename)
    except Unreadable as exc:
        return _failed(filename, _first_word_reason(exc.reason))
    return load_yaml_text(raw, filename)


def _first_word_reason(reason: str) -> str:
    """``reading``'s reasons follow the file name ("is a folder ..."); a problem's message
    stands after ``file:line:col:``, so it says "this file is a folder ..."."""
    if reason.startswith("is "):
        return "this file " + reason
    if reason.startswith("no such file"):
        return "file not found" + reason.removeprefix("no such file")
    return reason


def load_yaml_text(text: str | bytes, filename: str = "<text>") -> LoadedYaml:
    """Read one YAML document that must be a mapping; never raises for bad content."""
    bom = False
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            return _failed(filename, _too_big_message(len(text)))
        decoded = _decode(text, filename)
        if isinstance(decoded, Problem):
            return LoadedYaml(None, "", filename, [decoded], False)
        text = decoded
    elif (
        len(text) > MAX_YAML_BYTES // 4
        and len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES
    ):
        return _failed(filename, _too_big_message(len(text.encode("utf-8", "surrogatepass"))))
    if text.startswith("\ufeff"):
        bom = True
        text = text[1:]
    reader = _Reader(text, filename)
    try:
        reader.read()
    except _Stop:
        return LoadedYaml(None, text, filename, reader.problems, False, bom)
    reader.problems = _unique(reader.problems)
    return LoadedYaml(
        reader.data,
        text,
        filename,
        reader.problems,
        True,
        bom,
        reader.root,
        reader.values,
        reader.keys,
        reader.indirect,
    )


def _too_many_digits(value: str) -> str | None:
    """Python refuses to read an integer of more than 4,300 digits (``sys.int_info``), so
    Bitfount's loader fails on it; say so in words rather than with Python's own advice."""
    digits = sum(char.isdigit() for char in value)
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if not limit or digits <= limit:
        return None
    return (
        f"this number has {digits:,} digits; Python (and so Bitfount's YAML loader) cannot read "
        f"an integer of more than {limit:,} digits — quote it if it is text, or shorten it"
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    """A merged mapping is read once per merge; report each of its problems once."""
    return list(dict.fromkeys(problems))


def _failed(filename: str, message: str) -> LoadedYaml:
    return LoadedYaml(None, "", filename, [Problem("error", message, (), filename)], False)


def _too_big_message(size: int) -> str:
    return too_big_message(size)


def _decode(raw: bytes, filename: str) -> str | Problem:
    encoding = utf16_or_32(raw)
    if encoding is not None:
        return Problem(
            "error",
            f"the file is {encoding} text; save it as UTF-8 (YAML files should be UTF-8)",
            (),
            filename,
            1,
            1,
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        column = nul - (raw.rfind(b"\n", 0, nul) + 1) + 1
        return Problem(
            "error",
            f"not a text file (it contains a NUL byte at byte offset {nul}) — pick the YAML file",
            (),
            filename,
            line,
            column,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = raw.count(b"\n", 0, offset) + 1
        line_start = raw.rfind(b"\n", 0, offset) + 1
        column = len(raw[line_start:offset].decode("utf-8", "replace")) + 1
        return Problem(
            "error",
            f"the file is not UTF-8 text: byte 0x{raw[offset]:02X} at byte offset {offset} "
            f"(line {line}, column {column}) cannot be read — save the file as UTF-8",
            (),
            filename,
            line,
            column,
        )


class _Reader:
    """Composes nodes from parser events and constructs plain data with a path map."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.problems: list[Problem] = []
        self.data: Any = None
        self.root: Node | None = None
        self.values: dict[tuple[Any, ...], Node] = {}
        self.keys: dict[tuple[Any, ...], Node] = {}
        self.indirect: set[tuple[Any, ...]] = set()
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.expanded = 0
        self.expanding: Node | None = None
        self.constructor = SafeConstructor()

    # -- problems
    def _problem(self, severity: Severity, message: str, mark: Any, path: DocPath = ()) -> None:
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        self.problems.append(Problem(severity, message, path, self.filename, line, column))

    def _fatal(self, message: str, mark: Any, path: DocPath = ()) -> _Stop:
        self._problem("error", message, mark, path)
        return _Stop()

    # -- top level
    def read(self) -> None:
        bad = _NON_PRINTABLE.search(self.text)
        if bad is not None:
            line, column = _line_col(self.text, bad.start())
            char = bad.group()
            what = (
                "a NUL byte (not a text file?)"
                if char == "\x00"
                else f"the control character U+{ord(char):04X}"
            )
            self.problems.append(
                Problem(
                    "error",
                    f"{what} is not allowed in YAML — remove it",
                    (),
                    self.filename,
                    line,
                    column,
                )
            )
            raise _Stop()
        if self.text.startswith("\ufeff"):
            raise self._fatal(
                "the file starts with two byte-order marks (U+FEFF); Bitfount's loader reads the "
                "second one as part of the first key — remove it (save as UTF-8 without BOM)",
                yaml.Mark(self.filename, 0, 0, 0, "", 0),
            )
        try:
            root = self._compose_as_pyyaml()
        except yaml.MarkedYAMLError as exc:
            raise self._syntax_error(exc) from None
        except yaml.YAMLError as exc:  # ReaderError and friends, without marks
            raise self._fatal(f"could not parse YAML: {exc}", None) from None
        if root is None:
            raise self._fatal(
                "the file is empty — expected a mapping of keys at the top level (e.g. 'task:')",
                None,
            )
        self.root = root
        target = root.value if root.kind == ALIAS else root
        if target.kind != MAPPING:
            what = "a list" if target.kind == SEQUENCE else "a single value"
            raise self._fatal(
                f"the top level of the file is {what}; expected a mapping of keys "
                "(lines like 'key: value' starting at column 1)",
                root.start,
            )
        try:
            self.data = self._construct(root, (), True, 0)
        except RecursionError:
            raise self._fatal("the document is nested too deeply to read", root.start) from None

    def _compose_as_pyyaml(self) -> Node | None:
        """Compose with libyaml for speed, but give exactly the verdict (and data) of PyYAML's
        pure-Python loader, which Bitfount uses (``yaml.safe_load``).

        The two disagree on a few inputs (``tests/test_yaml_parity.py`` finds them by
        mutating the fixtures): libyaml accepts a tab after ``key:`` or inside a plain value,
        a ``?`` inside a flow value, ``>#``, and reads a byte-order mark in the middle of
        the text differently; it refuses some tags and ``[a:]`` that PyYAML reads. So a text
        holding a tab, a BOM, a ``?`` or ``|#``/``>#`` is composed by PyYAML itself (about 8x
        slower, for those files only), and when libyaml refuses a text PyYAML is asked too
        (its success wins; both refusing keeps libyaml's message, put in plain words).
        """
        if _Loader is yaml.SafeLoader:
            return self._compose_with(yaml.SafeLoader)
        if needs_pure_parser(self.text):
            try:
                return self._compose_with(yaml.SafeLoader)
            except yaml.MarkedYAMLError as refused:
                # When libyaml refuses too, its message is the one put in plain words.
                self.anchors.clear()
                self.open_anchors.clear()
                try:
                    self._compose_with(_Loader)
                except yaml.MarkedYAMLError as also:
                    raise also from None
                raise refused from None
        try:
            return self._compose_with(_Loader)
        except yaml.MarkedYAMLError as refused:
            self.anchors.clear()
            self.open_anchors.clear()
            try:
                return self._compose_with(yaml.SafeLoader)
            except yaml.MarkedYAMLError:
                raise refused from None

    def _compose_with(self, loader_class: type[Any]) -> Node | None:
        loader = loader_class(self.text)
        try:
            return self._compose_stream(loader)
        finally:
            loader.dispose()

    def _syntax_error(self, exc: yaml.MarkedYAMLError) -> _Stop:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or ""
        context = exc.context or ""
        if exc.context_mark is not None and (
            ("quoted scalar" in context and "end of stream" in problem)
            or "did not find expected ','" in problem
            or "could not find expected ':'" in problem
        ):
            mark = exc.context_mark  # where the unclosed quote / bracket / key without ':' starts
        tab = self._tab_before(exc.problem_mark)
        if tab is not None:
            line, column = tab
            indent = self.text.split("\n")[line - 1][: column - 1].strip(" \t") == ""
            self.problems.append(
                Problem(
                    "error",
                    "a tab character is used for indentation here; YAML allows only spaces — "
                    "replace the tab with spaces"
                    if indent
                    else "a tab character here: Bitfount's YAML loader (PyYAML) accepts a tab "
                    "only inside quotes or a comment — replace it with a space, or quote the value",
                    (),
                    self.filename,
                    line,
                    column,
                )
            )
            return _Stop()
        return self._fatal(
            "could not parse YAML: " + _plain_syntax_message(problem, context, self.text, mark),
            mark,
        )

    def _tab_before(self, mark: Any) -> tuple[int, int] | None:
        """A tab in the indentation of the error's line, 1-based."""
        if mark is None:
            return None
        at = mark.index
        if 0 <= at < len(self.text) and self.text[at] == "\t":
            return mark.line + 1, mark.column + 1
        lines = self.text.split("\n")
        if mark.line < len(lines) and _LEADING_TAB.match(lines[mark.line]):
            return mark.line + 1, lines[mark.line].index("\t") + 1
        return None

    # -- composing
    def _compose_stream(self, loader: Any) -> Node | None:
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # DocumentStart
        root = self._compose_node(loader, 0)
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise self._fatal(
                f"the file holds more than one YAML document (a second one starts at line "
                f"{event.start_mark.line + 1}) — taskwizard reads one document per file: remove "
                "the extra '---' line or split the file",
                event.start_mark,
            )
        return root

    def _compose_node(self, loader: Any, depth: int) -> Node:
        if depth > MAX_DEPTH:
            event = loader.peek_event()
            raise self._fatal(
                f"the document is nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        event = loader.get_event()
        cls = type(event)
        if cls is yaml.ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = Node(
                SCALAR,
                tag,
                event.value,
                event.start_mark,
                event.end_mark,
                style=event.style or None,
                anchor=event.anchor,
            )
        elif cls is yaml.AliasEvent:
            name = event.anchor
            target = self.anchors.get(name)
            if target is None:
                if name in self.open_anchors:
                    raise self._fatal(
                        f"the alias *{name} is used inside the value it refers to (&{name}); "
                        "recursive YAML cannot be read",
                        event.start_mark,
                    )
                raise self._fatal(
                    f"the alias *{name} refers to no anchor — define '&{name}' "
                    f"before using '*{name}'",
                    event.start_mark,
                )
            return Node(ALIAS, target.tag, target, event.start_mark, event.end_mark, anchor=name)
        elif cls is yaml.SequenceStartEvent:
            tag = event.tag if event.tag not in (None, "!") else SEQ_TAG
            if event.anchor is not None:
                self.open_anchors.add(event.anchor)
            items: list[Node] = []
            while not loader.check_event(yaml.SequenceEndEvent):
                items.append(self._compose_node(loader, depth + 1))
            end = loader.get_event()
            node = Node(
                SEQUENCE,
                tag,
                items,
                event.start_mark,
                end.end_mark,
                flow=bool(event.flow_style),
                anchor=event.anchor,
            )
        elif cls is yaml.MappingStartEvent:
            tag = event.tag if event.tag not in (None, "!") else MAP_TAG
            if event.anchor is not None:
                self.open_anchors.add(event.anchor)
            pairs: list[tuple[Node, Node]] = []
            while not loader.check_event(yaml.MappingEndEvent):
                key = self._compose_node(loader, depth + 1)
                value = self._compose_node(loader, depth + 1)
                pairs.append((key, value))
            end = loader.get_event()
            node = Node(
                MAPPING,
                tag,
                pairs,
                event.start_mark,
                end.end_mark,
                flow=bool(event.flow_style),
                anchor=event.anchor,
            )
        else:  # pragma: no cover - the parser guarantees a node event here
            raise self._fatal(f"could not parse YAML: unexpected {cls.__name__}", event.start_mark)
        if node.anchor is not None:
            self.open_anchors.discard(node.anchor)
            self.anchors[node.anchor] = node
        return node

    # -- constructing
    def _count(self, node: Node) -> None:
        """Count the values an alias brings in; values written out in the file need no cap
        (its 5 MiB size bounds them), so a file with 200,000 keys and no alias is fine."""
        if self.expanding is None:
            return
        self.expanded += 1
        if self.expanded > MAX_EXPANDED_NODES:
            raise self._fatal(
                f"aliases in this file expand to more than {MAX_EXPANDED_NODES:,} values "
                "(a 'billion laughs' document?) — taskwizard refuses to read it; use fewer aliases",
                (self.expanding or node).start,
            )

    def _construct(self, node: Node, path: tuple[Any, ...], direct: bool, depth: int) -> Any:
        self.values[path] = node
        if not direct:
            self.indirect.add(path)
        if node.kind == ALIAS:
            outer = self.expanding
            self.expanding = outer or node  # the alias as written, to blame for an explosion
            try:
                return self._build(node.value, path, False, depth)
            finally:
                self.expanding = outer
        return self._build(node, path, direct, depth)

    def _build(self, node: Node, path: tuple[Any, ...], direct: bool, depth: int) -> Any:
        self._count(node)
        kind = node.kind
        if kind == SCALAR:
            return self._scalar(node, path)
        if kind == SEQUENCE:
            if node.tag != SEQ_TAG:
                self._problem(
                    "error",
                    f"the tag {node.tag} is not supported here; remove it",
                    node.start,
                    path,
                )
            return [
                self._construct(item, (*path, index), direct, depth + 1)
                for index, item in enumerate(node.value)
            ]
        if node.tag != MAP_TAG:
            self._problem(
                "error", f"the tag {node.tag} is not supported here; remove it", node.start, path
            )
        return self._mapping(node, path, direct, depth)

    def _scalar(self, node: Node, path: DocPath) -> Any:
        tag = node.tag
        if tag == STR_TAG:
            return node.value
        method = self.constructor.yaml_constructors.get(tag)
        if method is None or tag.endswith(("map", "seq", "set", "omap", "pairs")):
            self._problem(
                "error",
                f"the tag {tag} is not supported — taskwizard reads plain YAML only; "
                "remove the tag",
                node.start,
                path,
            )
            return node.value
        try:
            return method(
                self.constructor, yaml.ScalarNode(tag, node.value, node.start, node.end, node.style)
            )
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            self._problem(
                "error",
                _too_many_digits(node.value)
                or f"could not read this value as {tag.rsplit(':', 1)[-1]}: {exc}",
                node.start,
                path,
            )
            return node.value

    def _key(self, node: Node, path: tuple[Any, ...]) -> tuple[bool, Any]:
        """Construct a mapping key; (False, None) when it cannot be a key."""
        target = node.value if node.kind == ALIAS else node
        if target.kind != SCALAR:
            self._problem(
                "error",
                "a key must be a plain value (text); this key is a "
                + ("list" if target.kind == SEQUENCE else "mapping"),
                node.start,
                path,
            )
            return False, None
        self._count(target)
        key = self._scalar(target, path)
        try:
            hash(key)
        except TypeError:
            self._problem("error", "a key must be a plain value (text)", node.start, path)
            return False, None
        return True, key

    def _flatten(
        self, node: Node, path: tuple[Any, ...], direct: bool, depth: int
    ) -> list[tuple[Any, Node, Node, bool]]:
        """(key, key node, value node, written here) of a mapping, merges applied as PyYAML does."""
        merged: list[tuple[Any, Node, Node, bool]] = []
        explicit: list[tuple[Any, Node, Node, bool]] = []
        seen: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            if key_node.kind == SCALAR and key_node.tag == MERGE_TAG:
                sources = self._merge_sources(value_node, path)
                for source in reversed(sources):
                    if depth > MAX_DEPTH:
                        raise self._fatal("merge keys are nested too deeply", source.start, path)
                    merged.extend(
                        (key, k, v, False)
                        for key, k, v, _ in self._flatten(source, path, False, depth + 1)
                    )
                continue
            ok, key = self._key(key_node, path)
            if not ok:
                continue
            first = seen.get(key)
            if first is not None:
                shown = key_node.value if key_node.kind == SCALAR else key
                self._problem(
                    "error",
                    f"duplicate key '{shown}' in this mapping "
                    f"(first at line {first.start.line + 1}); "
                    "YAML keeps only the last one — remove or rename one of them",
                    key_node.start,
                    (*path, key),
                )
            else:
                seen[key] = key_node
                if not isinstance(key, str):
                    self._warn_key(key, key_node, (*path, key))
            explicit.append((key, key_node, value_node, direct))
        return merged + explicit

    def _warn_key(self, key: Any, key_node: Node, path: DocPath) -> None:
        kind = {
            bool: "a boolean",
            int: "a number",
            float: "a number",
            type(None): "null (no key)",
        }.get(type(key), f"a {type(key).__name__}")
        shown = key_node.value if key_node.kind == SCALAR else str(key)
        self._problem(
            "warning",
            f"the key {shown!r} is read as {kind}, not as text — "
            f"quote it ('\"{shown}\": ...') if you mean text",
            key_node.start,
            path,
        )

    def _merge_sources(self, value_node: Node, path: DocPath) -> list[Node]:
        target = value_node.value if value_node.kind == ALIAS else value_node
        if target.kind == MAPPING:
            return [target]
        if target.kind == SEQUENCE:
            sources = []
            for item in target.value:
                item_target = item.value if item.kind == ALIAS else item
                if item_target.kind != MAPPING:
                    break
                sources.append(item_target)
            else:
                return sources
        self._problem(
            "error",
            "a merge key '<<' needs a mapping or a list of mappings (e.g. '<<: *defaults')",
            value_node.start,
            path,
        )
        return []

    def _mapping(
        self, node: Node, path: tuple[Any, ...], direct: bool, depth: int
    ) -> dict[Any, Any]:
        pairs = self._flatten(node, path, direct, depth)
        if len(pairs) != len(node.value) or any(not written for *_, written in pairs):
            # merges or duplicates: the last occurrence of a key wins (as in PyYAML); order is
            # that of first appearance
            winner: dict[Any, tuple[Any, Node, Node, bool]] = {}
            for pair in pairs:
                winner[pair[0]] = pair
            pairs = list(winner.values())
        result: dict[Any, Any] = {}
        for key, key_node, value_node, written in pairs:
            child = (*path, key)
            self.keys[child] = key_node
            result[key] = self._construct(value_node, child, written and direct, depth + 1)
        return result


_PLAIN_MESSAGES: list[tuple[str, str]] = [
    (
        "mapping values are not allowed",
        "found ':' where no mapping value is allowed — check the indentation on this line, "
        "or quote a value that contains ': '",
    ),
    (
        "could not find expected ':'",
        "this line is missing its ':' (expected 'key: value'), or belongs to the value above "
        "and needs more indentation",
    ),
    (
        "did not find expected key",
        "this line does not line up with the keys above it — check the indentation on this line",
    ),
    (
        "expected <block end>",
        "this line does not line up with the lines above it — check the indentation",
    ),
    (
        "did not find expected '-' indicator",
        "a key appears in the middle of a list — check the indentation on this line",
    ),
    (
        "block sequence entries are not allowed",
        "a list item '- ' appears where a value was expected — check the indentation on this line",
    ),
    (
        "while scanning a quoted scalar",
        "the quoted value that starts here is not closed — add the closing quote",
    ),
    (
        "did not find expected ',' or ']'",
        "the '[...]' list that starts here is not closed properly — check its commas and ']'",
    ),
    (
        "did not find expected ',' or '}'",
        "the '{...}' mapping that starts here is not closed properly — check its commas and '}'",
    ),
    ("maximum nesting depth", "the document is nested too deeply to read"),
    (
        "did not find expected node content",
        "a value is missing here — check for an unclosed '[' or '{' above, or a stray ',' or ':'",
    ),
    ("while scanning an alias", "an alias '*' needs a name, e.g. '*defaults'"),
    (
        "did not find expected comment or line break",
        "unexpected text after the value on this line — quote the value if it contains "
        "special characters",
    ),
    (
        "did not find expected <document start>",
        "unexpected text at the top level — check the indentation of this line",
    ),
    (
        "expected directive name",
        "a line starting with '%' is read as a YAML directive — quote the value",
    ),
    (
        "unknown escape character",
        "unknown escape sequence in a double-quoted value — write a backslash as '\\\\' "
        "or use single quotes",
    ),
    (
        "expected hexdecimal number",
        "bad escape sequence in a double-quoted value — write a backslash as '\\\\' "
        "or use single quotes",
    ),
    (
        "expected whitespace or line break",
        "a space is missing here (after ':' or '-', or after a '|' / '>' indicator)",
    ),
    ("while scanning an anchor", "an anchor '&' needs a name, e.g. '&defaults'"),
    (
        "but got '?'",
        "a '?' inside a [...] or {...} value: Bitfount's YAML loader (PyYAML) refuses it — "
        "quote the value",
    ),
    (
        "expected chomping or indentation indicators",
        "a space is missing between the '|' or '>' indicator and the comment after it",
    ),
    ("found undefined alias", "an alias '*name' refers to no anchor '&name'"),
    ("found duplicate anchor", "the same anchor '&name' is defined twice — rename one"),
]


def _plain_syntax_message(problem: str, context: str, text: str, mark: Any) -> str:
    both = f"{context} {problem}"
    if ("did not find expected key" in problem or "expected <block end>" in problem) and (
        mark is not None and text[text.rfind("\n", 0, mark.index) + 1 : mark.index].strip()
    ):
        return (
            "unexpected text after the value on this line — put the whole value in quotes "
            "if it is meant as one"
        )
    for needle, message in _PLAIN_MESSAGES:
        if needle in both:
            return message
    if "cannot start any token" in problem and mark is not None and 0 <= mark.index < len(text):
        char = text[mark.index]
        if char in "@`":
            return f"a value cannot start with '{char}' — put the value in quotes"
        return f"the character {char!r} cannot start a value here — put the value in quotes"
    detail = problem or context or "unknown error"
    return f"{detail} — check this line"


# --------------------------------------------------------------------------- writing

# YAML 1.2 (and most other tools) read these as numbers/booleans/null even where PyYAML (YAML 1.1)
# would not; quoting them costs nothing and keeps the file portable.
_ALSO_QUOTE = re.compile(
    r"""^(?:
        [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
      | 0o[0-7]+ | 0x[0-9a-fA-F]+ | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | ~|=|<<
      | (?i:true|false|null|yes|no|on|off)
    )$""",
    re.VERBOSE,
)


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, double quotes when quoting is needed."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        return '"' if style == "'" else style


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if "\n" in value.rstrip("\n") or (value.endswith("\n") and len(value) > 1):
        style = "|"
    elif _ALSO_QUOTE.match(value):
        style = '"'
    return dumper.represent_scalar(STR_TAG, value, style=style)


def _represent_tuple(dumper: yaml.SafeDumper, value: tuple[Any, ...]) -> yaml.SequenceNode:
    return dumper.represent_list(list(value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(tuple, _represent_tuple)


def dump_yaml(data: Any) -> str:
    """How taskwizard writes new files (see the module docstring of ``roundtrip`` for edits)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=2,
        width=1_000_000,
    )


__all__ = [
    "MAX_EXPANDED_NODES",
    "MAX_YAML_BYTES",
    "LoadedYaml",
    "Node",
    "Position",
    "dump_yaml",
    "load_yaml_file",
    "load_yaml_text",
    "path_text",
]
