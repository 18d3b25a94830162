"""The task-templates config's own checks (``validate_config``): no file is read here;
:mod:`check_files` looks at the files it names."""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from taskwizard.model import catalog
from taskwizard.model.exact import exact_bytes
from taskwizard.model.problems import DocPath, Problem, error, path_key, warning
from taskwizard.model.schema import (
    convert_errors,
    describe,
    unknown_key_message,
)
from taskwizard.model.schema_config import (
    CONFIG_ADAPTER,
    ENTRY_ADAPTER,
    TaskTemplateEntry,
    TaskTemplatesConfig,
)
from taskwizard.model.slug import sanitise_slug


def validate_config(data: Any) -> list[Problem]:
    """Every problem with a task-templates config itself (no files read), path-based."""
    if data is not None and not isinstance(data, Mapping):
        return [
            error(
                "a task-templates config must be a mapping with task-templates:, models: and/or "
                f"deprecated-task-templates: (got {describe(data)})"
            )
        ]
    unknown_top = [
        warning(
            unknown_key_message(key, catalog.CONFIG_TOP_LEVEL_KEYS, ignored=True), (path_key(key),)
        )
        for key in (data or {})
        if key not in catalog.CONFIG_TOP_LEVEL_KEYS
    ]
    if data is None or all(not data.get(k) for k in catalog.CONFIG_TOP_LEVEL_KEYS):
        return [
            error(
                "the task-templates config is empty (Bitfount's uploader logs \"Config file is "
                'empty" and does nothing): add task-templates: entries'
            ),
            *unknown_top,
        ]
    templates = data.get("task-templates")
    if big_config(data):
        return _validate_by_entry(data, cast("list[Any]", templates), unknown_top)
    problems: list[Problem] = []
    try:
        CONFIG_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems.extend(convert_errors(exc, TaskTemplatesConfig, ignored_unknown=True))

    problems.extend(unknown_top)

    if isinstance(templates, list):
        problems.extend(_check_template_entries(templates))
    problems.extend(_check_models_and_deprecated(data, templates))
    return problems


def _check_models_and_deprecated(
    data: Mapping[str, Any], templates: Any, live: frozenset[str] | None = None
) -> list[Problem]:
    problems: list[Problem] = []
    models = data.get("models")
    if isinstance(models, list):
        problems.extend(_check_model_entries(models))
    deprecated = data.get("deprecated-task-templates")
    if isinstance(deprecated, list):
        problems.extend(_check_deprecated_entries(deprecated, templates, live))
    return problems


#: A config with at least this many task templates is checked entry by entry, each entry's
#: problems kept until the entry changes: the wizard re-validates on every key, and a 5 MiB
#: config (30,000 templates) took 0.5-1.3 s per key to check whole. Already at 50 templates
#: a key in one of them costs 0.04 ms against 0.40 ms whole; below 8 the two are alike.
ENTRY_MEMO_FROM = 8


def big_config(data: Any) -> bool:
    """Whether ``data`` is checked entry by entry (:data:`ENTRY_MEMO_FROM`)."""
    if not isinstance(data, Mapping):
        return False
    templates = data.get("task-templates")
    return isinstance(templates, list) and len(templates) >= ENTRY_MEMO_FROM


@dataclass(frozen=True)
class _EntryChecks:
    """One ``task-templates`` entry's own problems, at its index."""

    #: The entry's exact bytes (:func:`exact.exact_bytes`: ``True``, ``1`` and ``1.0``
    #: differ), or None when it has none (a date): never reused.
    fingerprint: bytes | None
    schema: list[Problem]
    checks: list[Problem]
    #: The sanitised slug, for the duplicate and deprecated checks; "" for none.
    clean_slug: str
    slug: str | None
    #: A copy of the entry when it holds only text, null, lists and mappings with text keys:
    #: ``==`` with such a copy is as exact as the bytes (text equals only text, None only
    #: None) and a third of their cost. None for any other entry.
    text_copy: Any = None


class _EntryMemo:
    """The last config's entries, checked: an entry whose bytes are unchanged and at the same
    index reuses its problems. Checking its bytes costs ~1 µs an entry, checking it ~25 µs.

    The entries' sanitised slugs are indexed and the index changed only where entries
    changed, so a key makes no new object per entry: tens of thousands of short-lived lists
    and tuples a key were enough to make the collector walk the whole config every few keys.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_EntryChecks] = []
        #: Sanitised slug ("" too) -> the indexes of the entries with it, ascending.
        self._index: dict[str, list[int]] = {}
        #: The sanitised slugs (not "") of more than one entry.
        self._repeated: set[str] = set()

    def checked(
        self, templates: list[Any], want_live: bool
    ) -> tuple[list[_EntryChecks], dict[str, list[tuple[int, str]]], frozenset[str]]:
        """The entries' own checks; the entries sharing a sanitised slug (in the order of
        their first entry, as :func:`_check_template_entries` finds them); and, if
        ``want_live``, every sanitised slug (for the deprecated entries' check)."""
        with self._lock:
            old = self._entries
            new: list[_EntryChecks] = []
            for i, entry in enumerate(templates):
                if i < len(old) and old[i].text_copy is not None and entry == old[i].text_copy:
                    new.append(old[i])
                    continue
                fingerprint = exact_bytes(entry)
                if fingerprint is not None and i < len(old) and old[i].fingerprint == fingerprint:
                    new.append(old[i])
                    continue
                new.append(_check_entry(entry, i, fingerprint))
                if i < len(old):
                    self._unindex(i, old[i])
                self._add(i, new[i])
            for i in range(len(new), len(old)):
                self._unindex(i, old[i])
            self._entries = new
            groups = sorted((self._index[slug] for slug in self._repeated), key=lambda g: g[0])
            by_slug = {new[g[0]].clean_slug: [(i, str(new[i].slug)) for i in g] for g in groups}
            live = frozenset(self._index) if want_live else frozenset()
        return new, by_slug, live

    def _add(self, i: int, checked: _EntryChecks) -> None:
        if checked.slug is None:
            return
        indexes = self._index.setdefault(checked.clean_slug, [])
        bisect.insort(indexes, i)
        if len(indexes) > 1 and checked.clean_slug:
            self._repeated.add(checked.clean_slug)

    def _unindex(self, i: int, checked: _EntryChecks) -> None:
        if checked.slug is None:
            return
        indexes = self._index[checked.clean_slug]
        indexes.remove(i)
        if len(indexes) < 2:
            self._repeated.discard(checked.clean_slug)
        if not indexes:
            del self._index[checked.clean_slug]


_ENTRY_MEMO = _EntryMemo()


def _check_entry(entry: Any, i: int, fingerprint: bytes | None) -> _EntryChecks:
    """What :func:`validate_config` finds in entry ``i`` alone, in the order it finds it."""
    epath: DocPath = ("task-templates", i)
    schema: list[Problem] = []
    try:
        ENTRY_ADAPTER.validate_python(entry)
    except ValidationError as exc:
        schema = convert_errors(exc, TaskTemplateEntry, prefix=epath, ignored_unknown=True)
    if not isinstance(entry, Mapping):
        return _EntryChecks(fingerprint, schema, [], "", None)
    checks = _check_one_entry(entry, epath)
    # Its containers copied, its strings shared (immutable): == then finds most of them
    # identical without comparing their characters.
    text_copy = copy.deepcopy(entry) if _text_only(entry) else None
    slug = entry.get("slug")
    if not isinstance(slug, str):
        return _EntryChecks(fingerprint, schema, checks, "", None, text_copy)
    return _EntryChecks(fingerprint, schema, checks, sanitise_slug(slug), slug, text_copy)


def _text_only(value: Any) -> bool:
    """Only text, null, lists and mappings with text keys (exactly those types) inside."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if type(item) is not str and item is not None and not _text_only(item):
                return False
        return True
    if kind is list:
        return all(type(item) is str or item is None or _text_only(item) for item in value)
    return kind is str or value is None


def _validate_by_entry(
    data: Mapping[str, Any], templates: list[Any], unknown_top: list[Problem]
) -> list[Problem]:
    """:func:`validate_config` of a big config, the same problems in the same order, with each
    unchanged entry's problems taken from :data:`_ENTRY_MEMO`."""
    deprecated = data.get("deprecated-task-templates")
    entries, by_slug, live = _ENTRY_MEMO.checked(templates, isinstance(deprecated, list))
    problems: list[Problem] = []
    for checked in entries:  # pydantic reports the task-templates field first
        problems.extend(checked.schema)
    rest = {key: value for key, value in data.items() if key != "task-templates"}
    try:
        CONFIG_ADAPTER.validate_python(rest)
    except ValidationError as exc:
        problems.extend(convert_errors(exc, TaskTemplatesConfig, ignored_unknown=True))
    problems.extend(unknown_top)
    for checked in entries:
        problems.extend(checked.checks)
    problems.extend(_duplicate_slugs(by_slug))
    problems.extend(_check_models_and_deprecated(data, templates, live))
    return problems


def _check_deprecated_entries(
    deprecated: list[Any], templates: Any, live: frozenset[str] | None = None
) -> list[Problem]:
    if live is None:
        live = frozenset(
            sanitise_slug(e["slug"])
            for e in (templates if isinstance(templates, list) else [])
            if isinstance(e, Mapping) and isinstance(e.get("slug"), str)
        )
    problems: list[Problem] = []
    for i, entry in enumerate(deprecated):
        if not isinstance(entry, Mapping):
            continue
        problems.extend(_unknown_entry_keys(entry, ("slug",), ("deprecated-task-templates", i)))
        slug = entry.get("slug")
        if isinstance(slug, str) and sanitise_slug(slug) in live:
            problems.append(
                warning(
                    f"slug {slug!r} is both uploaded (task-templates) and archived "
                    "(deprecated-task-templates); the upload archives it again",
                    ("deprecated-task-templates", i, "slug"),
                )
            )
    return problems


def _unknown_entry_keys(
    entry: Mapping[Any, Any], allowed: Sequence[str], path: DocPath
) -> list[Problem]:
    return [
        warning(unknown_key_message(key, allowed, ignored=True), (*path, path_key(key)))
        for key in entry
        if key not in allowed
    ]


_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "classification": ("image-classification", "text-classification", "tabular-classification"),
    "segmentation": ("image-segmentation",),
    "regression": ("tabular-regression",),
    "detection": ("object-detection",),
    "generation": ("text-generation",),
}


def _check_template_entries(templates: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    by_slug: dict[str, list[tuple[int, str]]] = {}
    for i, entry in enumerate(templates):
        if not isinstance(entry, Mapping):
            continue
        epath: DocPath = ("task-templates", i)
        problems.extend(_check_one_entry(entry, epath))
        slug = entry.get("slug")
        if isinstance(slug, str) and sanitise_slug(slug):
            by_slug.setdefault(sanitise_slug(slug), []).append((i, slug))
    problems.extend(_duplicate_slugs(by_slug))
    return problems


def _check_one_entry(entry: Mapping[Any, Any], epath: DocPath) -> list[Problem]:
    """An entry's own problems (not the ones shared with other entries: duplicate slugs)."""
    problems = _unknown_entry_keys(entry, catalog.TEMPLATE_ENTRY_KEYS, epath)
    slug = entry.get("slug")
    if isinstance(slug, str):
        problems.extend(_check_slug(slug, (*epath, "slug")))
    for check in (_check_texts, _check_type_words, _check_tags, _check_sample_url):
        problems.extend(check(entry, epath))
    problems.extend(_check_override_keys(entry, epath))
    return problems


def _check_slug(slug: str, path: DocPath) -> list[Problem]:
    clean = sanitise_slug(slug)
    if not clean:
        return [
            error(
                f"slug {slug!r} has no letters or digits: Bitfount would sanitise it to "
                "an empty slug",
                path,
            )
        ]
    if clean != slug:
        return [
            warning(
                f"slug {slug!r} becomes {clean!r} on the Hub (Bitfount sanitises "
                f"slugs); write slug: {clean}",
                path,
            )
        ]
    return []


def _check_texts(entry: Mapping[str, Any], epath: DocPath) -> list[Problem]:
    problems: list[Problem] = []
    template = entry.get("template")
    if isinstance(template, str) and not template.strip():
        problems.append(error("template is empty: name the task YAML file", (*epath, "template")))
    for name in ("title", "description"):
        value = entry.get(name)
        if isinstance(value, str) and not value.strip():
            problems.append(warning(f"{name} is empty", (*epath, name)))
    return problems


def _check_type_words(entry: Mapping[str, Any], epath: DocPath) -> list[Problem]:
    ttype = entry.get("type")
    if not (isinstance(ttype, str) and ttype in catalog.TEMPLATE_TYPES):
        return []
    words = " ".join(
        v for v in (entry.get("slug"), entry.get("title")) if isinstance(v, str)
    ).lower()
    for word, types in _TYPE_WORDS.items():
        if word in words and ttype not in types and word not in ttype:
            return [
                warning(
                    f"type is {ttype!r} but the slug/title says {word!r}; check the type",
                    (*epath, "type"),
                )
            ]
    return []


def _check_tags(entry: Mapping[str, Any], epath: DocPath) -> list[Problem]:
    tags = entry.get("tags")
    if not isinstance(tags, list):
        return []
    problems: list[Problem] = []
    seen: set[Any] = set()
    for j, tag in enumerate(tags):
        if isinstance(tag, str) and tag in seen:
            problems.append(warning(f"tag {tag!r} is listed twice", (*epath, "tags", j)))
        seen.add(tag if isinstance(tag, str) else id(tag))
    return problems


def _check_sample_url(entry: Mapping[str, Any], epath: DocPath) -> list[Problem]:
    url = entry.get("sampleDatasetDownloadUrl")
    if isinstance(url, str) and not url.lower().startswith(("http://", "https://")):
        return [
            warning(
                f"sampleDatasetDownloadUrl {url!r} does not look like a URL (Bitfount does "
                "not check it)",
                (*epath, "sampleDatasetDownloadUrl"),
            )
        ]
    return []


def _check_override_keys(entry: Mapping[str, Any], epath: DocPath) -> list[Problem]:
    overrides = entry.get("model_overrides")
    if not isinstance(overrides, Mapping):
        return []
    problems: list[Problem] = []
    for section, override in overrides.items():
        if isinstance(override, Mapping):
            problems.extend(
                _unknown_entry_keys(
                    override,
                    ("model_ref", "model_username", "model_version"),
                    (*epath, "model_overrides", path_key(section)),
                )
            )
    return problems


def _duplicate_slugs(by_slug: dict[str, list[tuple[int, str]]]) -> list[Problem]:
    problems: list[Problem] = []
    for clean, entries in by_slug.items():
        if len(entries) < 2:
            continue
        for i, slug in entries:
            others = ", ".join(f"task-templates[{j}] ({other!r})" for j, other in entries if j != i)
            problems.append(
                error(
                    f"slug {slug!r} sanitises to {clean!r}, the same as {others}: Bitfount "
                    "refuses duplicate task template slugs",
                    ("task-templates", i, "slug"),
                )
            )
    return problems


def _check_model_entries(models: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    stems: dict[str, int] = {}
    for i, entry in enumerate(models):
        epath: DocPath = ("models", i)
        if not isinstance(entry, Mapping):
            continue
        problems.extend(_unknown_entry_keys(entry, catalog.MODEL_ENTRY_KEYS, epath))
        model_file = entry.get("model_file")
        if isinstance(model_file, str):
            if not model_file.strip():
                problems.append(
                    error("model_file is empty: name the model's .py file", (*epath, "model_file"))
                )
                continue
            path = Path(model_file)
            if path.suffix != ".py":
                problems.append(
                    warning(
                        f"model_file {model_file!r} is not a .py file; Bitfount loads the model "
                        "class from Python code",
                        (*epath, "model_file"),
                    )
                )
            if path.stem in stems:
                problems.append(
                    warning(
                        f"models[{stems[path.stem]}] has the same model name {path.stem!r}: on "
                        "the Hub this one becomes a new version of it",
                        (*epath, "model_file"),
                    )
                )
            stems.setdefault(path.stem, i)
        weights = entry.get("weights_file")
        if isinstance(weights, str) and not weights.strip():
            problems.append(
                error(
                    "weights_file is empty: name the file or remove the key",
                    (*epath, "weights_file"),
                )
            )
    return problems
