"""A first, fast look at a big task-templates config: each template's slug, title and
template, read from libyaml's event stream without composing a node or constructing a
value (0.3-0.4 s for a 5 MiB config, against 1.3-1.6 s for the full read with positions),
so that the template picker can fill in while the full read goes on.

It answers only where it reads exactly what the full read (``yamlio.load_yaml_text``, then
``OpenedFile.templates()``) gives; for anything else it answers None and the picker waits
for the full read, as without it:

- a text the full read composes with PyYAML's pure-Python parser (a tab, a byte-order mark,
  ``?``, ``|#``; see ``yamlio._PURE_ONLY``), or that libyaml cannot parse (control
  characters among others: the full read refuses those too, so the picker's full read
  overrules whatever the quick look said);
- more than one document, a top level that is not a mapping, no ``task-templates:`` key or
  one that is not a list, a merge key (``<<``) at the top or in a template, a key given twice
  where it matters (``task-templates``, ``slug``, ``title``, ``template``);
- an alias or a tag where a value is read (a template, or its slug, title or template), and
  a value there that is not text or empty (a number, a boolean, a list…): ``str()`` of what
  the full read constructs is the picker's text, and only text and null agree by sight.

Whatever else the file holds (other keys, anchors and aliases under them, flow style) is
skipped unread. The full read still decides: what it finds (an error, a different list)
wins, so this pass needs only to be right when it answers.
"""

from __future__ import annotations

from typing import Any

import yaml

from taskwizard.model.yamlio import STR_TAG, needs_pure_parser

__all__ = ["template_summaries"]

#: The values the picker shows of each template.
FIELDS = ("slug", "title", "template")
NULL_TAG = "tag:yaml.org,2002:null"


class _Unsure(Exception):
    """The quick look cannot tell what the full read gives."""


def template_summaries(text: str) -> list[tuple[str, str, str]] | None:
    """(slug, title, template) of each ``task-templates`` entry of a config's text, as the
    full read would show them in the picker; None when not sure (see the module)."""
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None or text.startswith("\ufeff"):
        return None
    if needs_pure_parser(text):  # PyYAML's own parser would read it (see the module)
        return None
    loader = loader_class(text)
    try:
        return _Events(loader).document()
    except (_Unsure, yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()


class _Events:
    """One pass over the events; written flat (one method per template, not per value):
    Python's own work per event is most of the time once libyaml has made the event."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.next = loader.get_event
        #: First characters of the plain values the resolver may read as other than text.
        self.resolved = frozenset(k for k in loader.yaml_implicit_resolvers if k)

    def document(self) -> list[tuple[str, str, str]]:
        _expect(self.next(), yaml.StreamStartEvent)
        _expect(self.next(), yaml.DocumentStartEvent)
        root = self.next()
        if type(root) is not yaml.MappingStartEvent or root.tag is not None:
            raise _Unsure
        found: list[tuple[str, str, str]] | None = None
        while True:
            event = self.next()
            if type(event) is yaml.MappingEndEvent:
                break
            key = self.key(event)
            if key == "task-templates":
                if found is not None:
                    raise _Unsure  # given twice
                found = self.templates()
            else:
                self.skip(self.next())
        _expect(self.next(), yaml.DocumentEndEvent)
        _expect(self.next(), yaml.StreamEndEvent)  # one document
        if found is None:
            raise _Unsure
        return found

    def key(self, event: Any) -> str | None:
        """A mapping key, as far as it matters: its text when it is one of the keys read (a
        plain ``<<`` is a merge key: refused), else None (skipped, whatever it is)."""
        if type(event) is yaml.ScalarEvent:
            if event.tag is not None:
                raise _Unsure
            value = event.value
            if value in _READ_KEYS:
                # Plain "slug" and the like resolve to text; a plain "<<" is a merge key.
                if value == "<<" and event.implicit[0]:
                    raise _Unsure
                return str(value)
            return None
        if type(event) is yaml.AliasEvent:
            raise _Unsure  # could be any of the keys read
        self.skip(event)  # a list or mapping as a key: the full read says it cannot be one
        return None

    def templates(self) -> list[tuple[str, str, str]]:
        start = self.next()
        if type(start) is not yaml.SequenceStartEvent or start.tag is not None:
            raise _Unsure
        found: list[tuple[str, str, str]] = []
        get, skip, text = self.next, self.skip, self.text
        scalar, mapping_start, mapping_end = (
            yaml.ScalarEvent,
            yaml.MappingStartEvent,
            yaml.MappingEndEvent,
        )
        while True:
            event = get()
            kind = type(event)
            if kind is yaml.SequenceEndEvent:
                return found
            if kind is not mapping_start or event.tag is not None:
                if kind is yaml.AliasEvent or event.tag is not None:
                    raise _Unsure
                skip(event)  # a value that is not a mapping: an entry with nothing to show
                found.append(("", "", ""))
                continue
            slug = title = template = None
            while True:  # the template's keys and values
                event = get()
                kind = type(event)
                if kind is mapping_end:
                    break
                if kind is scalar and event.tag is None and event.value not in _READ_KEYS:
                    skip(get())  # a key not read (most keys): its value unread
                    continue
                key = self.key(event)
                if key == "slug":
                    if slug is not None:
                        raise _Unsure  # given twice: the full read keeps the last, and says so
                    slug = text(get())
                elif key == "title":
                    if title is not None:
                        raise _Unsure
                    title = text(get())
                elif key == "template":
                    if template is not None:
                        raise _Unsure
                    template = text(get())
                else:
                    skip(get())
            found.append((slug or "", title or "", template or ""))

    def text(self, event: Any) -> str:
        """``str(value or "")`` of a value the full read constructs from ``event``."""
        if type(event) is not yaml.ScalarEvent or event.tag is not None:
            raise _Unsure
        value = event.value
        if not event.implicit[0]:  # quoted or a block scalar: text
            return str(value)
        first = value[:1]
        if first and (first not in self.resolved or (first.isalpha() and len(value) > 5)):
            # No implicit type starts so; those that start with a letter are the booleans
            # and null, words of at most 5 letters ("false"): text.
            return str(value)
        tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
        if tag == STR_TAG:
            return str(value)
        if tag == NULL_TAG:
            return ""
        raise _Unsure

    def skip(self, event: Any) -> None:
        """Read past the value that starts with ``event``."""
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
            return
        depth = 1
        get = self.next
        while depth:
            kind = type(get())
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                depth += 1
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                depth -= 1


#: The keys the quick look reads (and "<<", a merge key when plain).
_READ_KEYS = frozenset({"task-templates", *FIELDS, "<<"})
_NOT_TEXT = object()


def _expect(event: Any, kind: type[Any]) -> None:
    if type(event) is not kind:
        raise _Unsure
