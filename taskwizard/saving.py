"""What Save will write, decided before anything is written.

``plan_save`` compares the wizard state with what is on disk and returns one
:class:`FileChange` per file: new, changed (with a diff and any formatting
that could not be preserved), or unchanged. Existing files are edited in
place (:mod:`taskwizard.model.roundtrip`), so comments and layout survive.
``apply_save`` writes atomically, and refuses a file that changed on disk
since it was opened unless the user said to overwrite it.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from taskwizard.atomic import atomic_write_text
from taskwizard.state import SourceFile, WizardState

ChangeKind = Literal["new", "changed", "unchanged"]


@dataclass
class FileChange:
    role: Literal["config", "task"]
    path: Path
    kind: ChangeKind
    new_text: str
    old_text: str | None = None
    #: Formatting that could not be kept (empty for an in-place edit).
    reformatted: list[str] = field(default_factory=list)
    #: The file exists but was not opened in this session: writing replaces someone's file.
    overwrites_other_file: bool = False
    #: The file changed on disk since the session opened it.
    changed_on_disk: bool = False
    #: Unreadable/unparsable existing file: reason.
    blocked: str | None = None
    #: A new template joins a config that already exists (``taskwizard new`` in a folder
    #: that has one): the whole config as it will be, and the index of the new entry.
    joined: tuple[dict[str, Any], int] | None = None
    #: The slugs of the templates already in that config (they are kept).
    kept_templates: list[str] = field(default_factory=list)

    def diff(self) -> str:
        from taskwizard.model.roundtrip import unified_diff

        return unified_diff(self.old_text or "", self.new_text, str(self.path))


@dataclass
class SavePlan:
    changes: list[FileChange]
    #: The folder new files go to (to plan again, e.g. after "Replace the file instead").
    folder: Path = field(default_factory=Path.cwd)
    #: Planned with ``replace_existing``: an existing config not opened here is replaced.
    replacing: bool = False

    @property
    def to_write(self) -> list[FileChange]:
        return [c for c in self.changes if c.kind != "unchanged"]

    @property
    def needs_confirmation(self) -> bool:
        return any(
            c.kind == "changed" or c.overwrites_other_file or c.changed_on_disk or c.reformatted
            for c in self.to_write
        )

    @property
    def blocked(self) -> list[FileChange]:
        return [c for c in self.changes if c.blocked]

    @property
    def replaces_other_file(self) -> bool:
        """Writing would replace a file this session did not open (only by a deliberate choice)."""
        return any(c.overwrites_other_file for c in self.to_write)


def source_of(path: Path, data: bytes | None = None) -> SourceFile:
    """The file as it is now; ``data``: its bytes, when just read (not read again)."""
    from taskwizard.model.reading import read_file_bytes

    if data is None:
        data = read_file_bytes(path)  # the one reading rule (raises an OSError when refused)
    return SourceFile(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        mtime_ns=path.stat().st_mtime_ns,
    )


def _plan_file(
    role: Literal["config", "task"],
    path: Path,
    data: Any,
    source: SourceFile | None,
) -> FileChange:
    from taskwizard.model.roundtrip import update_yaml_text
    from taskwizard.model.yamlio import dump_yaml

    if not path.exists():
        return FileChange(role, path, "new", dump_yaml(data))
    from taskwizard.model.reading import read_file_bytes

    try:
        raw = read_file_bytes(path)
        old_text = (
            raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("utf-8")
        )
        if raw.startswith(b"\xef\xbb\xbf"):
            old_text = "\ufeff" + old_text
    except (OSError, UnicodeDecodeError) as exc:
        return FileChange(role, path, "changed", "", blocked=f"cannot read {path}: {exc}")
    same_source = source is not None and Path(source.path).resolve() == path.resolve()
    changed_on_disk = (
        source is not None and same_source and hashlib.sha256(raw).hexdigest() != source.sha256
    )
    result = update_yaml_text(old_text, data, filename=str(path))
    change = FileChange(
        role,
        path,
        "changed" if result.changed else "unchanged",
        result.text,
        old_text=old_text,
        reformatted=list(result.reformatted),
        overwrites_other_file=not same_source,
        changed_on_disk=changed_on_disk,
    )
    return change


def join_existing_config(state: WizardState, path: Path) -> tuple[dict[str, Any], int] | None:
    """The config at ``path`` with this session's template (and its new models) added.

    ``None`` when the file is not a task-templates config that can take one more entry.
    """
    from taskwizard.model.yamlio import load_yaml_text

    try:
        loaded = load_yaml_text(path.read_bytes(), filename=str(path))
    except OSError:
        return None
    data = loaded.data
    if not loaded.ok or not isinstance(data, dict):
        return None
    if not isinstance(data.get("task-templates"), list):
        return None
    if not isinstance(data.get("models", []), list):
        return None
    joined = copy.deepcopy(data)
    entries: list[Any] = joined["task-templates"]
    entries.append(copy.deepcopy(state.entry))
    ours = state.config.get("models")
    theirs = joined.get("models") or []
    new_models = [m for m in (ours if isinstance(ours, list) else []) if m not in theirs]
    if new_models:
        joined["models"] = [*theirs, *copy.deepcopy(new_models)]
    return joined, len(entries) - 1


def plan_save(state: WizardState, folder: Path, *, replace_existing: bool = False) -> SavePlan:
    """What Save writes.

    A new template whose config file exists already (one this session did not
    open: ``taskwizard new`` in a folder that has one) is *added* to it (its task
    YAML gets a file name not taken yet: ``WizardState.default_paths``). Replacing the
    config instead is a deliberate choice in the Save dialog (``replace_existing``).
    """
    config_path, task_path = state.default_paths(folder)
    joins = (
        not replace_existing
        and not state.task_only
        and state.config_source is None
        and config_path.exists()
    )
    changes = []
    if not state.config_only:
        state.task_path = str(task_path)
        changes.append(_plan_file("task", task_path, state.task, state.task_source))
    if not state.task_only:
        state.config_path = str(config_path)
        state.sync_template_path()
        joined = join_existing_config(state, config_path) if joins else None
        if joined is None:
            changes.append(_plan_file("config", config_path, state.config, state.config_source))
        else:
            data, _ = joined
            change = _plan_file("config", config_path, data, None)
            change.overwrites_other_file = False  # added to, not replaced
            change.joined = joined
            change.kept_templates = [
                str(e.get("slug") or "?") if isinstance(e, dict) else "?"
                for e in data["task-templates"][:-1]
            ]
            changes.append(change)
    return SavePlan(changes, folder=folder, replacing=replace_existing)


def apply_save(plan: SavePlan, state: WizardState) -> list[Path]:
    """Write every file that changed; the session's sources now point at them."""
    written: list[Path] = []
    for change in plan.to_write:
        if change.blocked:
            raise OSError(change.blocked)
        atomic_write_text(change.path, change.new_text)
        written.append(change.path)
        if change.joined is not None:
            # The session now edits the config as written: every template in it.
            state.config = copy.deepcopy(change.joined[0])
            state.template_index = change.joined[1]
        if change.joined is not None:
            # The session now edits the config as written: every template in it.
            state.config, state.template_index = copy.deepcopy(change.joined[0]), change.joined[1]
    for change in plan.changes:
        if change.path.exists():
            src = source_of(change.path)
            if change.role == "config":
                state.config_source = src
            else:
                state.task_source = src
    state.saved = True
    return written
