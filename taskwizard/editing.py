"""Opening existing files for editing: what a file is, and the wizard state for it.

Nothing here writes: opening a file only reads it. A file with problems
still opens (its problems show in the wizard); a file that is not YAML at
all opens as raw text at its error; a missing, binary or unreadable file is
refused with a message that says which and why.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from taskwizard.model.problems import Problem
from taskwizard.state import RAW_DOC_PREFIX, SourceFile, WizardState

FileKind = Literal["config", "task", "unknown"]


class CannotOpen(Exception):
    """The file cannot be opened at all (missing, a folder, binary, unreadable)."""


@dataclass
class TemplateChoice:
    index: int
    slug: str
    title: str
    template: str


@dataclass
class OpenedFile:
    path: Path
    kind: FileKind
    text: str
    data: Any
    source: SourceFile
    problems: list[Problem] = field(default_factory=list)
    #: False when the text is not usable YAML: it opens in the raw editor.
    parsed: bool = True
    #: The bytes read (``source`` is their SHA-256).
    raw: bytes = field(default=b"", repr=False)

    def templates(self) -> list[TemplateChoice]:
        if self.kind != "config" or not isinstance(self.data, dict):
            return []
        entries = self.data.get("task-templates") or []
        choices = []
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            entry = entry if isinstance(entry, dict) else {}
            choices.append(
                TemplateChoice(
                    index,
                    str(entry.get("slug") or ""),
                    str(entry.get("title") or ""),
                    str(entry.get("template") or ""),
                )
            )
        return choices


@dataclass
class QuickRead:
    """A config's templates from a first, fast look (``model.quick_read``): enough for the
    template picker while the full read (:func:`open_bytes` of the same ``raw``) goes on."""

    path: Path
    raw: bytes
    choices: list[TemplateChoice]


def quick_read(path: Path, raw: bytes) -> QuickRead | None:
    """The templates of the config ``raw`` (read by :func:`read_for_edit`), if the quick look
    is sure to agree with the full read; None otherwise (then only the full read tells)."""
    from taskwizard.model.quick_read import template_summaries

    found = template_summaries(raw.decode("utf-8-sig"))
    if found is None:
        return None
    choices = [TemplateChoice(i, *summary) for i, summary in enumerate(found)]
    return QuickRead(Path(path), raw, choices)


def open_file(path: Path) -> OpenedFile:
    return open_bytes(Path(path), read_for_edit(Path(path)))


def open_bytes(path: Path, raw: bytes) -> OpenedFile:
    """:func:`open_file` of the bytes ``raw`` already read from ``path`` by
    :func:`read_for_edit` (not read again: what was shown from them is what is opened)."""
    from taskwizard.model.validate import detect_kind
    from taskwizard.model.yamlio import load_yaml_text
    from taskwizard.saving import source_of

    text = raw.decode("utf-8-sig")
    loaded = load_yaml_text(raw, filename=str(path))
    try:
        source = source_of(path, raw)  # the bytes read, not the file read again
    except OSError as exc:  # gone since it was read
        raise CannotOpen(f"{path}: {exc} — nothing was changed") from None
    if not loaded.ok:
        kind: FileKind = _guess_kind_from_text(text)
        return OpenedFile(
            path, kind, text, None, source, list(loaded.problems), parsed=False, raw=raw
        )
    kind = detect_kind(loaded.data)
    return OpenedFile(path, kind, text, loaded.data, source, list(loaded.problems), raw=raw)


def read_for_edit(path: Path) -> bytes:
    """The bytes of a file to edit, by taskwizard's one reading rule (``model.reading``:
    regular files of at most 5 MiB, never blocking on a pipe or a device), refusing what
    cannot be YAML text (binary, NUL bytes, UTF-16/32, not UTF-8) with :class:`CannotOpen`.

    ``taskwizard edit`` calls it before the app starts, to exit 2 with the message.
    """
    from taskwizard.model.reading import Unreadable, read_text_file

    try:
        return read_text_file(path)
    except Unreadable as exc:
        raise CannotOpen(f"{exc} — nothing was changed") from None


def _guess_kind_from_text(text: str) -> FileKind:
    if "task-templates" in text or "\nmodels:" in text or text.startswith("models:"):
        return "config"
    if "task:" in text or "pods:" in text:
        return "task"
    return "unknown"


def resolve_template_path(config_path: Path, template: str, cwd: Path | None = None) -> Path:
    """The task YAML an entry points at, found as ``validate.find_config_file`` finds it
    (next to the config first, then the cwd as Bitfount does); if nowhere, next to the config."""
    from taskwizard.model.validate import find_config_file

    found, _ = find_config_file(template, config_path.parent, cwd or Path.cwd())
    return found if found is not None else config_path.parent / Path(template).expanduser()


def state_for_config(
    opened: OpenedFile, entry_index: int | None, *, take: bool = False
) -> tuple[WizardState, list[str]]:
    """Wizard state for one entry of a config (``None`` adds a new entry).

    Returns the state and notes for the user (e.g. the task YAML was missing). With
    ``take``, the state takes ``opened``'s data for its own instead of a copy (copying a 5
    MiB config took 0.15-0.3 s): ``opened`` must not be used again once this returns (when it
    raises, the data is as it was).
    """
    from taskwizard.state import new_config_entry, new_task

    notes: list[str] = []
    if not isinstance(opened.data, dict):
        config: dict[str, Any] = {}
    else:
        config = opened.data if take else copy.deepcopy(opened.data)
    state = WizardState(
        config=config,
        config_path=str(opened.path),
        config_source=opened.source,
        task={},
    )
    entries = config.get("task-templates")
    if not isinstance(entries, list):
        entries = []
        if entry_index is None or "task-templates" in config:
            config["task-templates"] = entries
    if entry_index is None:
        entries.append(new_config_entry())
        state.template_index = len(entries) - 1
        state.task = new_task()
        return state, notes
    state.template_index = entry_index
    entry = entries[entry_index] if entry_index < len(entries) else {}
    template = entry.get("template") if isinstance(entry, dict) else None
    if not isinstance(template, str) or not template:
        state.task = new_task()
        notes.append("This template has no task YAML yet: a new one is started.")
        return state, notes
    task_path = resolve_template_path(opened.path, template)
    state.task_path = str(task_path)
    if not task_path.exists():
        state.task = new_task()
        notes.append(
            f"Its task YAML {template} does not exist yet: a new one will be written there."
        )
        return state, notes
    task_file = open_file(task_path)
    state.task_source = task_file.source
    if task_file.parsed and isinstance(task_file.data, dict):
        state.task = copy.deepcopy(task_file.data)
    else:
        state.task = {}
        state.raw_text[RAW_DOC_PREFIX + "task"] = task_file.text
        notes.append(f"{task_path} is not valid YAML yet: it opens as raw text at the error.")
    return state, notes


def state_for_task(opened: OpenedFile) -> WizardState:
    """A lone task YAML: only the task is edited and saved."""
    state = WizardState(
        config={},
        task=copy.deepcopy(opened.data) if opened.parsed and isinstance(opened.data, dict) else {},
        task_path=str(opened.path),
        task_source=opened.source,
        task_only=True,
        step="pods",
    )
    if not opened.parsed:
        state.raw_text[RAW_DOC_PREFIX + "task"] = opened.text
    return state


def state_for_broken_config(opened: OpenedFile) -> WizardState:
    """A config that is not YAML yet: the whole file in the raw editor."""
    state = WizardState(
        config={},
        task={},
        config_path=str(opened.path),
        config_source=opened.source,
        config_only=True,
    )
    state.raw_text[RAW_DOC_PREFIX + "config"] = opened.text
    return state
