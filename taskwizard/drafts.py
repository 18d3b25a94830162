"""Drafts: every wizard session's state, kept on disk so no work is lost.

One draft per wizard session, ``<id>.json`` in :func:`paths.drafts_dir`::

    {"format": 1, "id": "...", "name": "...", "created": "...", "updated": "...",
     "status": "editing" | "saved", "saved_at": null | "...",
     "state": <WizardState as JSON>}

Files are small, human-readable and written atomically, so ``kill -9`` at any
moment leaves the previous or the new draft, never half of one. The wizard
state holds no secrets, so neither do drafts. A document unchanged from its file is
kept as the file's path and SHA-256 (format 2, ``from_files``); a big config changed
in a few templates as those templates over its file (format 3, ``config_patch``).

A draft that cannot be used (truncated, not JSON, a newer format, a state
that does not validate) is moved to :func:`paths.corrupt_drafts_dir` and
reported by name; every other draft keeps working.

Life cycle: ``status`` is "editing" while the state has changes not written
to the task files, "saved" once they were (``mark_saved``). :meth:`DraftStore.prune`
deletes only "saved" drafts untouched for ``keep_days`` (14 by default); a
draft holding unsaved work is never deleted except by the user. It also rewrites a
draft left by an older taskwizard that still holds a secret, or is readable by others.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NoReturn

from pydantic import ValidationError

from taskwizard import paths
from taskwizard.atomic import atomic_write_bytes
from taskwizard.model.exact import exact_bytes
from taskwizard.state import SourceFile, WizardState, get_in, state_from_json, state_to_json

#: 2: documents unchanged from their files are kept by reference (``from_files``);
#: 3: a big config as its changed task templates over its file (``config_patch``).
#: A draft without references is still written as format 1, without a patch as 2.
DRAFT_FORMAT = 3
DraftStatus = Literal["editing", "saved"]
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,80}")


class DraftError(Exception):
    """A draft could not be used; the message names it and says why."""


class DraftNotFound(DraftError):
    pass


@dataclass(frozen=True)
class DraftSummary:
    id: str
    name: str
    title: str
    slug: str
    updated: datetime
    step: str
    #: Number of errors the validators find; None when unknown.
    problems: int | None
    status: DraftStatus
    path: Path


class DraftStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else paths.drafts_dir()
        self._reports: list[str] = []
        self._notes: list[str] = []

    # ------------------------------------------------------------------ paths
    def path(self, draft_id: str) -> Path:
        if not _ID_RE.fullmatch(draft_id):
            raise DraftNotFound(f"no draft {draft_id!r} (not a draft id)")
        return self.folder / f"{draft_id}.json"

    @property
    def corrupt_folder(self) -> Path:
        if self.folder == paths.drafts_dir():
            return paths.corrupt_drafts_dir()
        return self.folder / "corrupt"

    # -------------------------------------------------------------- operations
    def create(self, state: WizardState, name: str | None = None) -> str:
        now = _now()
        draft_id = now.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        dump = state_to_json(state)
        matches = documents_match_files(dump)
        saved = state.saved if matches is None else matches
        record: dict[str, Any] = {
            "format": DRAFT_FORMAT,
            "id": draft_id,
            "name": name or default_name(state),
            # a name taskwizard chose follows the slug once there is one
            "name_auto": not name,
            "created": now.isoformat(),
            "updated": now.isoformat(),
            "status": "saved" if saved else "editing",
            "saved_at": None,
            "state": dump,
        }
        self._write(draft_id, record)
        return draft_id

    def save(self, draft_id: str, state: WizardState) -> None:
        """Write the state now (atomic; cheap enough to call after every change)."""
        self.save_dump(draft_id, state_to_json(state))

    def save_dump(self, draft_id: str, state_json: dict[str, Any]) -> None:
        """Like :meth:`save`, for a state already dumped with :func:`state_to_json`."""
        record = self._header(draft_id)
        record["updated"] = _now().isoformat()
        # By content, not by a dirty flag: a change undone is no change.
        matches = documents_match_files(state_json)
        saved = bool(state_json.get("saved")) if matches is None else matches
        state_json = {**state_json, "saved": saved}
        record["status"] = "saved" if saved else "editing"
        name = str(record.get("name") or "")
        # drafts from before name_auto existed: a default name follows the slug too
        if record.get("name_auto", name == "New template" or name.startswith("Edit ")):
            record["name"] = _auto_name(state_json, name)
        record["state"] = state_json
        self._write(draft_id, record)

    def load(self, draft_id: str) -> WizardState:
        """The draft's state. Secrets left out of it are read again from the files it was
        opened from when those are unchanged; :meth:`load_notes` says what could not be."""
        self._reports = []
        self._notes = []
        if _ID_RE.fullmatch(draft_id):
            with contextlib.suppress(OSError):
                self._harden(self.path(draft_id))  # one left by an older taskwizard
        record, state = self._read(draft_id)
        withheld = record.get("withheld")
        if isinstance(withheld, list) and withheld:
            self._notes.extend(_restore_withheld(state, withheld))
        return state

    def load_notes(self) -> builtins.list[str]:
        """What the user should know about the last :meth:`load` (secrets not restored)."""
        return list(self._notes)

    def find(self, id_or_prefix: str) -> str:
        """The draft id matching exactly, or the only one starting with ``id_or_prefix``."""
        if _ID_RE.fullmatch(id_or_prefix) and self.path(id_or_prefix).exists():
            return id_or_prefix
        ids = [p.stem for p in self._files() if p.stem.startswith(id_or_prefix)]
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise DraftNotFound(f"no draft {id_or_prefix!r} (see `taskwizard drafts`)")
        raise DraftNotFound(f"{id_or_prefix!r} matches {len(ids)} drafts: {', '.join(sorted(ids))}")

    def list(self) -> builtins.list[DraftSummary]:
        """Every usable draft, newest first; unusable ones are moved aside and reported."""
        self._reports = []
        self._notes = []
        summaries: list[DraftSummary] = []
        for file in self._files():
            try:
                record, state = self._read(file.stem)
            except DraftNotFound:
                continue  # deleted meanwhile (another process)
            except DraftError:
                continue  # moved aside and reported by _read
            summaries.append(_summary(record, state, file))
        summaries.sort(key=lambda s: s.updated, reverse=True)
        return summaries

    def corrupt_reports(self) -> builtins.list[str]:
        """``moved aside: <file> (reason)`` for each draft the last list()/load() moved."""
        return list(self._reports)

    def newest(self) -> str | None:
        drafts = self.list()
        return drafts[0].id if drafts else None

    def rename(self, draft_id: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise DraftError("a draft's name cannot be empty")
        record = self._read(draft_id)[0]
        record["name"] = name
        record["name_auto"] = False
        self._write(draft_id, record)

    def duplicate(self, draft_id: str) -> str:
        record, state = self._read(draft_id)
        return self.create(state, name=f"{record['name']} (copy)")

    def delete(self, draft_id: str) -> None:
        path = self.path(draft_id)
        try:
            path.unlink()
        except FileNotFoundError:
            raise DraftNotFound(f"no draft {draft_id!r}") from None

    def mark_saved(self, draft_id: str, state: WizardState) -> None:
        """The task files were written from ``state``: the draft holds no unsaved work.

        Also sets ``state.saved`` (the state's own "written to its files" flag), so
        later autosaves keep the status until the user changes something.
        """
        state.saved = True
        dump = state_to_json(state)
        record = self._header(draft_id)
        now = _now().isoformat()
        record.update(updated=now, status="saved", saved_at=now, state=dump)
        self._write(draft_id, record)

    def prune(
        self, *, keep_days: int = 14, keep: Iterable[str] = (), stale_minutes: int = 10
    ) -> builtins.list[str]:
        """Delete drafts that hold no work; returns the deleted ids.

        - saved to their files more than ``keep_days`` ago and not changed since;
        - never saved, whose documents are exactly their files (a file opened and left
          unchanged, by a session that did not quit normally), untouched for
          ``stale_minutes``.

        A draft with unsaved work is never pruned, nor the ids in ``keep`` (open now).
        """
        self._notes = []
        cutoff = _now() - timedelta(days=keep_days)
        stale = _now() - timedelta(minutes=stale_minutes)
        keep = set(keep)
        removed: list[str] = []
        self.harden(keep=keep)
        for file in self._files():
            if file.stem in keep:
                continue
            try:
                # unusable drafts are left for list() to move aside and report
                record = self._read_record(file.stem, move_aside=False)
                if not _old_enough(record, cutoff, stale):
                    continue  # its state is not rebuilt: a 5 MiB config's draft reads its file
                record = self._read(file.stem, move_aside=False)[0]
            except DraftError:
                continue
            if not (_is_prunable(record, cutoff) or _is_stale_unchanged(record, stale)):
                continue
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
                removed.append(file.stem)
        # temp files left by a write that was killed half-way
        for tmp in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > 86400:
                    tmp.unlink()
        return removed

    def harden(self, keep: Iterable[str] = ()) -> None:
        """Bring drafts left by older taskwizard versions up to today's rules (see
        :meth:`_harden`); the ids in ``keep`` (open now: their autosave does it) are
        skipped. Run by :meth:`prune` at start and by ``taskwizard drafts``."""
        files = self._files()
        if files:
            with contextlib.suppress(OSError):
                _private_folder(self.folder)
        skip = set(keep)
        for file in files:
            if file.stem not in skip:
                with contextlib.suppress(OSError):
                    self._harden(file)

    # --------------------------------------------------------------- internals
    def _harden(self, file: Path) -> None:
        """A draft written by an older taskwizard is brought up to today's rules:
        readable by its owner only (0600), and with no secret in it — those versions kept
        secrets the structured clean-up now drops (see :func:`without_secrets`).

        Only what is stored is changed: the secrets go to ``withheld`` (put back from the
        files on resume, as for a new draft), ``updated`` and everything else stay as they
        were. A draft that is not valid JSON is left for :meth:`list` to move aside.
        """
        import stat as stat_

        info = file.stat()
        if stat_.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
            os.chmod(file, 0o600)
        try:
            record = json.loads(file.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        if not isinstance(record, dict) or not isinstance(record.get("state"), dict):
            return
        clean, withheld = _without_secrets(record["state"])
        if clean == record["state"]:
            return
        kept = record.get("withheld")
        earlier = [p for p in kept if isinstance(p, list)] if isinstance(kept, list) else []
        record["state"] = clean
        record["withheld"] = earlier + [p for p in withheld if p not in earlier]
        if not record["withheld"]:
            del record["withheld"]
        text = json.dumps(record, indent=1, ensure_ascii=True) + "\n"
        now = file.stat()
        if (now.st_ino, now.st_mtime_ns, now.st_size) != (
            info.st_ino,
            info.st_mtime_ns,
            info.st_size,
        ):
            return  # another taskwizard wrote it meanwhile (its write is already clean)
        atomic_write_bytes(file, text.encode("ascii"), mode=0o600)

    def _files(self) -> builtins.list[Path]:
        if not self.folder.is_dir():
            return []
        return [p for p in self.folder.glob("*.json") if p.is_file() and _ID_RE.fullmatch(p.stem)]

    def _header(self, draft_id: str) -> dict[str, Any]:
        """The record to rewrite: the file's own, or a fresh one if it is gone or unusable.

        Only the record is read, not its state rebuilt (from a 5 MiB config that took
        0.15 s on every autosave)."""
        try:
            record = self._read_record(draft_id, move_aside=False)
            record.pop("state", None)
            return record
        except DraftError:
            now = _now().isoformat()
            return {
                "format": DRAFT_FORMAT,
                "id": draft_id,
                "name": f"Draft {draft_id}",
                "created": now,
                "updated": now,
                "status": "editing",
                "saved_at": None,
            }

    def _read(
        self, draft_id: str, *, move_aside: bool = True
    ) -> tuple[dict[str, Any], WizardState]:
        path = self.path(draft_id)
        record = self._read_record(draft_id, move_aside=move_aside)
        from_files = record.get("from_files")
        if isinstance(from_files, dict) and from_files:
            patch = record.get("config_patch")
            record["state"] = _from_files(record["state"], from_files, self._notes, patch)
        try:
            state = state_from_json(record["state"])
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ()))
            self._unusable(path, f"invalid state: {where}: {err['msg']}", move_aside)
        record["id"] = draft_id
        record.setdefault("name", f"Draft {draft_id}")
        record.setdefault("status", "editing")
        record.setdefault("saved_at", None)
        return record, state

    def _read_record(self, draft_id: str, *, move_aside: bool = True) -> dict[str, Any]:
        """The draft's record as written: its state not rebuilt from its files yet."""
        path = self.path(draft_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DraftNotFound(f"no draft {draft_id!r} (see `taskwizard drafts`)") from None
        except OSError as exc:
            self._unusable(path, f"cannot be read: {exc.strerror}", move_aside)
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            self._unusable(path, "not UTF-8 text", move_aside)
        except json.JSONDecodeError as exc:
            # drafts always end with "}": anything else was cut off mid-write
            cut = exc.pos >= len(raw.rstrip()) or not raw.rstrip().endswith(b"}")
            what = "truncated" if cut else "not valid JSON"
            self._unusable(
                path, f"{what}: line {exc.lineno} column {exc.colno}: {exc.msg}", move_aside
            )
        if not isinstance(record, dict):
            self._unusable(path, "not a draft (expected a JSON object)", move_aside)
        fmt = record.get("format")
        if not isinstance(fmt, int):
            self._unusable(path, "not a draft (no format number)", move_aside)
        if fmt > DRAFT_FORMAT:
            self._unusable(path, f"written by a newer taskwizard (draft format {fmt})", move_aside)
        if not isinstance(record.get("state"), dict):
            self._unusable(path, "no wizard state in it", move_aside)
        patch = record.get("config_patch")
        from_files = record.get("from_files")
        if patch is not None and not (
            _is_patch(patch) and isinstance(from_files, dict) and "config" in from_files
        ):
            self._unusable(path, "its config_patch is not a list of changed entries", move_aside)
        return record

    def _unusable(self, path: Path, reason: str, move_aside: bool) -> NoReturn:
        if move_aside:
            target = self._move_aside(path)
            shown = f" to {target}" if target else ""
            self._reports.append(f"moved aside: {path.name} ({reason}){shown}")
        raise DraftError(f"draft {path.name} is unusable: {reason}")

    def _move_aside(self, path: Path) -> Path | None:
        folder = self.corrupt_folder
        try:
            _private_folder(folder)
            target = folder / path.name
            if target.exists():
                target = folder / f"{path.stem}.{_now():%Y%m%d-%H%M%S-%f}{path.suffix}"
            os.replace(path, target)
        except OSError:
            return None
        return target

    def _write(self, draft_id: str, record: dict[str, Any]) -> None:
        state, from_files, patch, known = _by_reference(record["state"])
        if patch is not None:
            # Its changed entries go through the secret filter at their own paths.
            state = {**state, "config": patch.pop("sparse")}
        state, withheld = _without_secrets(state, known)
        draft_format = 3 if patch is not None else 2 if from_files else 1
        record = {**record, "state": state, "format": draft_format}
        record.pop("from_files", None)
        record.pop("withheld", None)
        record.pop("config_patch", None)
        if patch is not None:
            sparse = state["config"]
            record["state"] = {**state, "config": {}}
            patch["others"] = {k: v for k, v in sparse.items() if k != "task-templates"}
            patch["changed"] = {str(i): e for i, e in sparse["task-templates"].items()}
            record["config_patch"] = patch
        if from_files:
            record["from_files"] = from_files
        if withheld:
            # put back from the files on load (they are not in the draft)
            record["withheld"] = withheld
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            # a file name with bytes that are not UTF-8 (kept as \\udcXX): JSON escapes
            # round-trip them exactly
            data = (json.dumps(record, indent=1, ensure_ascii=True) + "\n").encode("ascii")
        _private_folder(self.folder)
        atomic_write_bytes(self.path(draft_id), data, mode=0o600)


class Autosaver:
    """Debounced saving for the TUI: at most one write per ``delay`` seconds while typing.

    ``note_change(state)`` snapshots the state (on the caller's thread, so the
    wizard may keep changing it) and, if no write is pending, schedules one on a
    ``threading.Timer`` after ``delay`` seconds (0.5 by default). The write
    uses the newest snapshot, so every change reaches disk within ``delay`` plus
    one write — well within a second — even during continuous typing.
    ``flush()`` writes now (call it when leaving the wizard); ``close()``
    flushes and stops. Write errors go to ``on_error`` (called from the timer
    thread: a Textual app should forward them with ``call_from_thread``) and
    are kept in ``last_error``.

    ``idle_for`` (the TUI's: seconds since the last key) lets the write wait for a
    moment between keys: the write holds the interpreter for 1.5-4 ms (the JSON, the
    check against the files), and a key that came during it waited that long (most
    of a key's p95 in ``bench_keystroke.py``). When due, it is written once the last
    key is :data:`QUIET_AFTER_KEY` old (the key has been drawn; the next one is most
    likely tens of ms away) or the typing has paused (:data:`PAUSED`), and never later
    than ``max_wait`` after the change it holds (0.9 s): still within a second.

    When a snapshot is slow (over :data:`SLOW_SNAPSHOT`: a 5 MiB config took 30-40 ms a
    key) and a write is already scheduled, ``note_change`` only remembers the state, and the
    snapshot is taken once, when the write is due, on the caller's thread through
    ``run_on_owner`` (a Textual app's ``call_from_thread``), or by ``flush()``.
    """

    def __init__(
        self,
        store: DraftStore,
        draft_id: str,
        *,
        delay: float = 0.5,
        on_error: Callable[[Exception], None] | None = None,
        run_on_owner: Callable[[Callable[[], None]], object] | None = None,
        idle_for: Callable[[], float] | None = None,
        max_wait: float = 0.9,
    ) -> None:
        self.store = store
        self.draft_id = draft_id
        self.delay = delay
        self.idle_for = idle_for
        self.max_wait = max(max_wait, delay)
        #: When the oldest change not written yet was noted (time.monotonic()).
        self._due_since: float | None = None
        self.on_error = on_error
        self.run_on_owner = run_on_owner
        #: A state changed since the last snapshot, not snapshot yet (a slow one).
        self._deferred: WizardState | None = None
        self._snapshot_took = 0.0
        self.last_error: Exception | None = None
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: dict[str, Any] | None = None
        self._seq = 0
        self._written_seq = 0
        self._timer: threading.Timer | None = None
        self._closed = False
        self._saved_once = False
        self._stopped = False
        self._dumps = _StateDumps()

    @property
    def saved_in_session(self) -> bool:
        """:meth:`mark_saved` was called: the files were written from this session."""
        return self._saved_once

    def stop(self) -> None:
        """Stop without writing (drafts cannot be written, or the draft is deleted)."""
        with self._lock:
            self._closed = self._stopped = True
            self._pending = None
            self._deferred = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    @property
    def pending(self) -> bool:
        with self._lock:
            return self._pending is not None or self._deferred is not None

    def note_change(self, state: WizardState) -> None:
        with self._lock:
            if (
                self.run_on_owner is not None
                and self._timer is not None
                and self._snapshot_took > SLOW_SNAPSHOT
            ):
                self._deferred = state  # snapshot when the write is due (_fire)
                return
        start = time.perf_counter()
        dump = self._dumps.dump(state)
        with self._lock:
            self._snapshot_took = time.perf_counter() - start
            self._deferred = None
            self._seq += 1
            self._pending = dump
            if self._timer is None and not self._closed:
                self._due_since = time.monotonic()
                self._start_timer(self.delay)

    def _start_timer(self, delay: float) -> None:
        """(Under the lock.)"""
        self._timer = threading.Timer(delay, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _between_keys(self) -> bool:
        """Whether now is a good moment to write (see the class docstring)."""
        if self.idle_for is None or self._due_since is None:
            return True
        if time.monotonic() - self._due_since >= self.max_wait:
            return True
        idle = self.idle_for()
        return QUIET_AFTER_KEY[0] <= idle <= QUIET_AFTER_KEY[1] or idle >= PAUSED

    def _take_deferred(self) -> None:
        """Snapshot the state whose snapshot was put off (on the caller's thread)."""
        with self._lock:
            state, self._deferred = self._deferred, None
        if state is None:
            return
        dump = self._dumps.dump(state)
        with self._lock:
            self._seq += 1
            self._pending = dump

    def flush(self) -> None:
        """Write the newest pending snapshot now (no-op when nothing is pending); on the
        thread that calls :meth:`note_change`."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._due_since = None
        self._take_deferred()
        self._write_pending()

    def mark_saved(self, state: WizardState) -> None:
        """The files were written: drop any pending snapshot and mark the draft saved."""
        with self._write_lock:
            with self._lock:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                self._due_since = None
                self._pending = None
                self._deferred = None
                self._seq += 1
                seq = self._seq
            self.store.mark_saved(self.draft_id, state)
            self._written_seq = seq
            self._saved_once = True

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.flush()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed and not self._between_keys():
                self._start_timer(QUIET_POLL)  # look again in a moment
                return
            self._due_since = None
            deferred = self._deferred is not None
        if deferred and self.run_on_owner is not None:
            # An owner that has stopped raises: its flush() took the state.
            with contextlib.suppress(Exception):
                self.run_on_owner(self._take_deferred)
        self._write_pending()

    def _write_pending(self) -> None:
        with self._write_lock:
            with self._lock:
                dump, seq = self._pending, self._seq
                self._pending = None
            if dump is None or seq <= self._written_seq or self._stopped:
                return
            try:
                self.store.save_dump(self.draft_id, dump)
            except Exception as exc:  # disk full, folder removed: keep the work, say so
                self.last_error = exc
                with self._lock:
                    if self._pending is None:
                        self._pending = dump
                if self.on_error is not None:
                    self.on_error(exc)
                return
            self._written_seq = seq
            self.last_error = None


#: A snapshot slower than this (seconds) is taken once per write, not on every change.
SLOW_SNAPSHOT = 0.01
#: A due write goes when the last key is this old (seconds, from-to): drawn, and the next
#: one most likely further off than the write takes.
QUIET_AFTER_KEY = (0.015, 0.06)
#: ...or when no key came for this long (the typing paused).
PAUSED = 0.2
#: How often a due write looks for that moment.
QUIET_POLL = 0.01


class _StateDumps:
    """:func:`state_to_json` on every change, reusing the dump of each task template whose
    bytes did not change since the last one: a change in a 5 MiB config dumped it whole
    (70-110 ms on the wizard's thread, every key)."""

    def __init__(self) -> None:
        self._entries: list[tuple[bytes | None, Any]] = []

    def dump(self, state: WizardState) -> dict[str, Any]:
        config = state.config
        entries = config.get("task-templates")
        if (
            not isinstance(entries, list)
            or len(entries) < PATCH_FROM
            or not all(isinstance(key, str) for key in config)
        ):
            self._entries = []
            return state_to_json(state)
        from dataclasses import replace

        from pydantic import TypeAdapter

        rest = {key: value for key, value in config.items() if key != "task-templates"}
        dump = state_to_json(replace(state, config=rest))
        adapter = TypeAdapter(Any)
        old, new = self._entries, []
        for i, entry in enumerate(entries):
            fingerprint = exact_bytes(entry)
            if fingerprint is not None and i < len(old) and old[i][0] == fingerprint:
                new.append(old[i])
            else:
                new.append((fingerprint, adapter.dump_python(entry, mode="json")))
        self._entries = new
        dumped = dump["config"]
        dump["config"] = {
            key: [e for _, e in new] if key == "task-templates" else dumped[key] for key in config
        }
        return dump


# ------------------------------------------------------------------ helpers
def without_secrets(state_json: dict[str, Any]) -> dict[str, Any]:
    """The dumped state with every secret taken out (the rest untouched).

    By structure in the documents: every secret key (``model/secret_keys.py``: Bitfount's
    ``secrets``, ``access_key_id``, ``access_key`` and other credential names, in any
    case or spelling) is dropped at any depth. In raw text that may not parse, every
    line holding a secret key or its value is dropped, and so is any line holding a
    secret value found in the documents.
    """
    return _without_secrets(state_json)[0]


def _without_secrets(
    state_json: dict[str, Any], known_elsewhere: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], list[list[str | int]]]:
    """:func:`without_secrets`, and the ``[doc, *path]`` of each secret left out of a document.

    ``known_elsewhere``: secret values of the parts of a document kept by reference (the
    draft does not hold them, but a changed part may hold the same value elsewhere)."""
    from taskwizard.model.secret_keys import (
        secret_values,
        text_without_secrets,
        without_secret_keys,
        without_values,
    )

    clean = dict(state_json)
    withheld: list[list[str | int]] = []
    known: set[str] = set(known_elsewhere)
    for doc in ("task", "config"):
        data = state_json.get(doc)
        if isinstance(data, dict):
            stripped, dropped = without_secret_keys(data)
            if dropped:
                known |= secret_values(data)
                clean[doc] = stripped
                withheld.extend([doc, *path] for path in dropped)
    for doc in ("task", "config"):
        # the same value under another key (a YAML anchor used under `secrets:`)
        data = clean.get(doc)
        if known and isinstance(data, dict):
            stripped, dropped = without_values(data, known)
            if dropped:
                clean[doc] = stripped
                withheld.extend([doc, *path] for path in dropped)
    raw = state_json.get("raw_text")
    if isinstance(raw, dict):
        clean["raw_text"] = {
            key: text_without_secrets(str(text), known).text for key, text in raw.items()
        }
    return clean, withheld


def _restore_withheld(state: WizardState, withheld: list[Any]) -> list[str]:
    """Put the secrets left out of a draft back from the files the session opened.

    Only from a file whose bytes are still those it had when opened (its SHA-256):
    otherwise the user is told, and saving leaves those keys out.
    """
    import hashlib

    from taskwizard.model.yamlio import load_yaml_text
    from taskwizard.state import set_in

    notes: list[str] = []
    for doc in ("task", "config"):
        paths_ = [tuple(p[1:]) for p in withheld if isinstance(p, list) and p and p[0] == doc]
        if not paths_:
            continue
        source = state.task_source if doc == "task" else state.config_source
        data: Any = None
        if source is not None:
            from taskwizard.model.reading import read_file_bytes

            try:
                raw = read_file_bytes(source.path)  # never a FIFO or a device
            except (OSError, ValueError):
                raw = None
            if raw is not None and hashlib.sha256(raw).hexdigest() == source.sha256:
                loaded = load_yaml_text(raw, filename=source.path)
                data = loaded.data if loaded.ok else None
        missing = object()
        restored = 0
        for path in paths_:
            value = get_in(data, path, missing) if data is not None else missing
            if value is missing:
                continue
            set_in(state.doc(doc), path, value)
            restored += 1
        if restored < len(paths_):
            names = ", ".join(".".join(str(p) for p in path) for path in paths_)
            notes.append(
                f"Secrets are never kept in drafts: {names} of the {doc} could not be read "
                "again from its file and will be missing when you save. Add them again, "
                "or better, use `taskwizard setup` or environment variables."
            )
    return notes


def default_name(state: WizardState) -> str:
    """The slug when there is one; else what is edited, or "New template"."""
    return _auto_name(
        {
            "config": state.config,
            "template_index": state.template_index,
            "config_source": state.config_source and {"path": state.config_source.path},
            "task_source": state.task_source and {"path": state.task_source.path},
        },
        "",
    )


def _auto_name(state_json: dict[str, Any], current: str) -> str:
    from taskwizard.model.reading import printable

    config = state_json.get("config")
    index = state_json.get("template_index", 0)
    slug = get_in(config, ("task-templates", index if isinstance(index, int) else 0, "slug"))
    if isinstance(slug, str) and slug.strip():
        return printable(slug.strip())
    for key in ("config_source", "task_source"):
        source = state_json.get(key)
        if isinstance(source, dict) and isinstance(source.get("path"), str):
            return f"Edit {printable(Path(source['path']).name)}"
    return current or "New template"


# ------------------------------------------------- drafts and the files opened
def _private_folder(folder: Path) -> None:
    """The folder exists and only its owner can read it (0700, like the config folder)."""
    import stat as stat_

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = folder.stat()
    if stat_.S_IMODE(info.st_mode) != 0o700 and info.st_uid == os.getuid():
        os.chmod(folder, 0o700)


def _by_reference(
    state_json: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None, frozenset[str]]:
    """Documents (or their raw text) still exactly as in the files they were opened
    from are not copied into the draft: only the file's path and SHA-256 (the
    source, already in the state) are kept. A big config changed in a few of its task
    templates keeps only those (:func:`_config_patch`). Returns the state, what was left
    out, the config's patch (its changed parts in ``sparse``) and the secret values of the
    config's file (for :func:`_without_secrets`)."""
    from_files: dict[str, str] = {}
    clean = state_json
    patch: dict[str, Any] | None = None
    known: frozenset[str] = frozenset()
    for doc, key in (("config", "config_source"), ("task", "task_source")):
        source = state_json.get(key)
        if not isinstance(source, dict):
            continue
        opened = _file_as_opened(source)
        if opened is None:
            continue
        text, data = opened
        raw = clean.get("raw_text")
        raw_key = RAW_DOC_PREFIX + doc
        if isinstance(raw, dict) and raw.get(raw_key) is not None:
            if raw[raw_key] == text:
                clean = {**clean, "raw_text": {**raw, raw_key: ""}}
                from_files[raw_key] = str(source["sha256"])
        elif doc == "config" and (found := _config_patch(clean.get(doc), data, source)):
            clean = {**clean, doc: {}}
            from_files[doc] = str(source["sha256"])
            if found["sparse"]["task-templates"] or not _same_others(found, data):
                patch = found
                known = _file_secret_values(source, data)
        elif data is not None and clean.get(doc) == data and data:
            clean = {**clean, doc: {}}
            from_files[doc] = str(source["sha256"])
    return clean, from_files, patch, known


#: A config of at least this many task templates that differs from its file in at most half
#: of them is kept in its draft as those differences (``config_patch``), not whole: a 5 MiB
#: config took 0.5 s to write to a draft, every half second while typing.
PATCH_FROM = 64


_file_facts: dict[tuple[str, str], tuple[list[bytes | None], frozenset[str]]] = {}


def _facts(
    source: dict[str, Any], data: dict[str, Any]
) -> tuple[list[bytes | None], frozenset[str]]:
    """Per file version: its templates' fingerprints and its secret values (computed once)."""
    from taskwizard.model.secret_keys import secret_values, without_secret_keys

    key = (str(source["path"]), str(source["sha256"]))
    with _opened_lock:
        found = _file_facts.get(key)
    if found is None:
        entries = data.get("task-templates")
        prints = [exact_bytes(e) for e in entries] if isinstance(entries, list) else []
        secrets = frozenset(secret_values(data)) if without_secret_keys(data)[1] else frozenset()
        found = (prints, secrets)
        with _opened_lock:
            if len(_file_facts) > 8:
                _file_facts.clear()
            _file_facts[key] = found
    return found


def _file_secret_values(source: dict[str, Any], data: dict[str, Any]) -> frozenset[str]:
    return _facts(source, data)[1]


def _config_patch(config: Any, data: Any, source: dict[str, Any]) -> dict[str, Any] | None:
    """A big ``config`` as its differences from its file's ``data``: the top-level keys in
    order, the number of task templates, and ``sparse``: the other top-level keys and the
    templates that differ (by their exact bytes), by index. None for a small config, or one
    that differs in most of its templates (kept whole)."""
    if not isinstance(config, dict) or not isinstance(data, dict):
        return None
    ours, theirs = config.get("task-templates"), data.get("task-templates")
    if not isinstance(ours, list) or not isinstance(theirs, list) or len(theirs) < PATCH_FROM:
        return None
    prints = _facts(source, data)[0]
    changed: dict[int, Any] = {}
    for i, entry in enumerate(ours):
        if i < len(prints) and prints[i] is not None and prints[i] == exact_bytes(entry):
            continue
        changed[i] = entry
        if len(changed) > len(ours) // 2:
            return None
    others = {key: value for key, value in config.items() if key != "task-templates"}
    return {
        "keys": list(config),
        "length": len(ours),
        "sparse": {**others, "task-templates": changed},
    }


def _same_others(patch: dict[str, Any], data: dict[str, Any]) -> bool:
    """The patched config's keys, and all but its task templates, are exactly the file's."""
    if patch["keys"] != list(data) or patch["length"] != len(data["task-templates"]):
        return False
    ours = {k: v for k, v in patch["sparse"].items() if k != "task-templates"}
    theirs = {k: v for k, v in data.items() if k != "task-templates"}
    return exact_bytes(ours) == exact_bytes(theirs) is not None


def _is_patch(patch: Any) -> bool:
    return (
        isinstance(patch, dict)
        and isinstance(patch.get("keys"), list)
        and isinstance(patch.get("length"), int)
        and patch["length"] >= 0
        and isinstance(patch.get("others"), dict)
        and isinstance(patch.get("changed"), dict)
        and all(k.isdigit() and int(k) < patch["length"] for k in patch["changed"])
    )


def _apply_patch(data: Any, patch: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The config from its file's ``data`` and the draft's patch, and how many of its
    templates had to be left out (the file no longer has them: it changed since)."""
    base = data.get("task-templates") if isinstance(data, dict) else None
    base = base if isinstance(base, list) else []
    changed = patch["changed"]
    entries: list[Any] = []
    missing = 0
    for i in range(patch["length"]):
        if str(i) in changed:
            entries.append(changed[str(i)])
        elif i < len(base):
            entries.append(copy.deepcopy(base[i]))
        else:
            missing += 1
    config: dict[str, Any] = {}
    for key in patch["keys"]:
        if key == "task-templates":
            config[key] = entries
        elif key in patch["others"]:
            config[key] = patch["others"][key]
    return config, missing


def _from_files(
    state_json: dict[str, Any],
    from_files: dict[str, Any],
    notes: list[str],
    patch: dict[str, Any] | None = None,
) -> Any:
    """Put back what :func:`_by_reference` left out, from the files, and the config's
    changed templates (``patch``) over its file's.

    A file that changed since holds no work of the draft's (the draft had no
    change to it): the file as it is now is used, and the user is told. A config
    patched in a draft keeps its changed templates over the file as it is now,
    and the user is told to check it.
    """
    from taskwizard.model.reading import printable

    clean = dict(state_json)
    for name in from_files:
        doc = name.removeprefix(RAW_DOC_PREFIX)
        if doc not in ("config", "task"):
            continue
        key = f"{doc}_source"
        source = clean.get(key)
        opened = _file_as_opened(source)
        patched = patch is not None and name == "config"
        if opened is None and isinstance(source, dict) and isinstance(source.get("path"), str):
            current = _current_source(source["path"])
            if current is not None:
                clean[key] = source = current
                opened = _file_as_opened(current)
                notes.append(
                    f"{printable(current['path'])} changed since this draft was made; "
                    + (
                        "the templates the draft changed are put over the file as it is now "
                        "— check them before you save."
                        if patched
                        else "the draft had no change to it, so it opens as the file is now."
                    )
                )
        if patch is not None and name == "config":
            data = opened[1] if opened is not None else None
            clean["config"], missing = _apply_patch(data, patch)
            if missing:
                where = printable(str(source.get("path"))) if isinstance(source, dict) else doc
                notes.append(
                    f"{where} has fewer task templates than when this draft was made: "
                    f"{missing} the draft had not changed are left out; the ones it changed "
                    "are kept."
                )
            continue
        if opened is None:
            where = printable(str(source.get("path"))) if isinstance(source, dict) else doc
            notes.append(
                f"{where} cannot be read any more; this draft had no change to it, so that "
                "part starts empty."
            )
            continue
        text, data = opened
        if name.startswith(RAW_DOC_PREFIX) or data is None:
            raw = clean.get("raw_text")
            clean["raw_text"] = {
                **(raw if isinstance(raw, dict) else {}),
                RAW_DOC_PREFIX + doc: text,
            }
            clean[doc] = {}
        else:
            clean[doc] = copy.deepcopy(data)  # the cached copy must never be edited
            raw = clean.get("raw_text")
            if isinstance(raw, dict) and RAW_DOC_PREFIX + doc in raw:
                clean["raw_text"] = {k: v for k, v in raw.items() if k != RAW_DOC_PREFIX + doc}
    return clean


def _current_source(path: str) -> dict[str, Any] | None:
    import hashlib

    from taskwizard.model.reading import read_file_bytes

    try:
        info = os.stat(path)
        raw = read_file_bytes(path)  # the one reading rule: regular files, 5 MiB
    except (OSError, ValueError):
        return None
    return {"path": path, "sha256": hashlib.sha256(raw).hexdigest(), "mtime_ns": info.st_mtime_ns}


def documents_match_files(state_json: dict[str, Any]) -> bool | None:
    """Whether the documents are exactly what their files hold now (no unsaved work).

    None when there is nothing to compare with (a document with no file yet is
    compared as "not matching" only when the other one has a file).
    """
    docs = []
    if not state_json.get("task_only"):
        docs.append(("config", "config_source"))
    if not state_json.get("config_only"):
        docs.append(("task", "task_source"))
    sources = [state_json.get(key) for _, key in docs]
    if not any(isinstance(src, dict) for src in sources):
        return None
    raw = state_json.get("raw_text") or {}
    for doc, key in docs:
        opened = _file_as_opened(state_json.get(key))
        if opened is None:
            return False
        text, data = opened
        raw_doc = raw.get(RAW_DOC_PREFIX + doc) if isinstance(raw, dict) else None
        if raw_doc is not None:
            if raw_doc != text:
                return False
        elif state_json.get(doc) != data:
            return False
    others = [k for k in (raw if isinstance(raw, dict) else {}) if not k.startswith(RAW_DOC_PREFIX)]
    return not others


def has_unsaved_work(state: WizardState) -> bool:
    """Whether the state holds anything its files do not (by content, not a flag).

    A session with no files yet has work once it differs from a fresh template.
    """
    dump = state_to_json(state)
    matches = documents_match_files(dump)
    if matches is not None:
        return not matches
    fresh = state_to_json(WizardState())
    return any(dump.get(k) != fresh.get(k) for k in ("config", "task", "raw_text"))


#: ``state.raw_text`` key for a whole document that does not parse (editing.RAW_DOC_PREFIX).
RAW_DOC_PREFIX = "__doc__:"

_opened_cache: dict[tuple[str, str], tuple[tuple[int, int, int], tuple[str, Any] | None]] = {}
_opened_lock = threading.Lock()


def remember_opened(source: SourceFile, raw: bytes, text: str, data: Any) -> None:
    """Tell the draft store what an edit session just read from its file (``raw``, decoded to
    ``text``, read to ``data``; None when it is not a mapping), so that the first draft
    compares the session with it rather than reading and parsing the file again (a 5 MiB
    config: 1.3-4 s between choosing a template and the wizard).

    ``source`` must be ``saving.source_of(path, raw)`` (its SHA-256 is of ``raw``, as
    :func:`editing.open_bytes` makes it: not hashed again here). Kept only while the file
    is unchanged since it was read (its mtime): otherwise the draft reads it, as before."""
    if not raw:
        return
    try:
        info = os.stat(source.path)
    except (OSError, ValueError):
        return
    if info.st_mtime_ns != source.mtime_ns:
        return
    json_data = None
    if isinstance(data, dict):
        from pydantic import TypeAdapter

        json_data = TypeAdapter(Any).dump_python(data, mode="json")
    key = (info.st_size, info.st_mtime_ns, info.st_ino)
    with _opened_lock:
        if len(_opened_cache) > 64:
            _opened_cache.clear()
        _opened_cache[(source.path, source.sha256)] = (key, (text, json_data))
    if isinstance(json_data, dict):  # a big config's facts, now rather than at the first draft
        _facts({"path": source.path, "sha256": source.sha256}, json_data)


def _file_as_opened(source: Any) -> tuple[str, Any] | None:
    """(text, data as JSON) of a session's source file if its bytes are still the ones
    it had when opened (its SHA-256); None if it changed, is gone, or is not a regular
    file. Read once per file version (cached by size, mtime and inode)."""
    import hashlib

    if not isinstance(source, dict):
        return None
    path, sha = source.get("path"), source.get("sha256")
    if not isinstance(path, str) or not isinstance(sha, str):
        return None
    from taskwizard.model.reading import read_file_bytes
    from taskwizard.model.yamlio import load_yaml_text

    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    key = (info.st_size, info.st_mtime_ns, info.st_ino)
    with _opened_lock:
        cached = _opened_cache.get((path, sha))
    if cached is not None and cached[0] == key:
        return cached[1]
    result: tuple[str, Any] | None = None
    try:
        raw = read_file_bytes(path)  # never a FIFO or a device, at most 5 MiB
    except (OSError, ValueError):
        raw = b""
    if raw and hashlib.sha256(raw).hexdigest() == sha:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            loaded = load_yaml_text(raw, filename=path)
            data = None
            if loaded.ok and isinstance(loaded.data, dict):
                from pydantic import TypeAdapter

                data = TypeAdapter(Any).dump_python(loaded.data, mode="json")
            result = (text, data)
    with _opened_lock:
        if len(_opened_cache) > 64:
            _opened_cache.clear()
        _opened_cache[(path, sha)] = (key, result)
    return result


def count_errors(state: WizardState) -> int | None:
    """Errors the validators find in a draft; None while the validators are not available."""
    try:
        problems = state.config_problems() + state.task_problems()
    except ImportError:
        return None
    except Exception:  # a validator bug must not hide the draft list
        return None
    return sum(1 for p in problems if p.is_error)


def _summary(record: dict[str, Any], state: WizardState, file: Path) -> DraftSummary:
    entry_path = ("task-templates", state.template_index)
    title = get_in(state.config, (*entry_path, "title"), "") or ""
    slug = get_in(state.config, (*entry_path, "slug"), "") or ""
    status: DraftStatus = "saved" if record.get("status") == "saved" else "editing"
    return DraftSummary(
        id=record["id"],
        name=str(record.get("name") or record["id"]),
        title=str(title),
        slug=str(slug),
        updated=_parse_time(record.get("updated")) or _file_time(file),
        step=state.step,
        problems=count_errors(state),
        status=status,
        path=file,
    )


def _old_enough(record: dict[str, Any], cutoff: datetime, stale: datetime) -> bool:
    """The times :func:`_is_prunable` and :func:`_is_stale_unchanged` ask for, read off the
    draft's record as written: a draft that fails this is kept without rebuilding its state
    (for a big config's draft, from its file)."""
    if record.get("saved_at") is None:
        updated = _parse_time(record.get("updated"))
        return updated is not None and updated <= stale
    saved_at = _parse_time(record.get("saved_at"))
    return record.get("status") == "saved" and saved_at is not None and saved_at < cutoff


def _is_prunable(record: dict[str, Any], cutoff: datetime) -> bool:
    if record.get("status") != "saved" or not record["state"].get("saved"):
        return False
    saved_at = _parse_time(record.get("saved_at"))
    updated = _parse_time(record.get("updated"))
    if saved_at is None or updated is None or updated > saved_at:
        return False
    return saved_at < cutoff


def _is_stale_unchanged(record: dict[str, Any], stale: datetime) -> bool:
    if record.get("saved_at") is not None:
        return False  # saved from the wizard: the keep_days rule applies
    updated = _parse_time(record.get("updated"))
    if updated is None or updated > stale:
        return False
    return documents_match_files(record["state"]) is True


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _file_time(file: Path) -> datetime:
    try:
        return datetime.fromtimestamp(file.stat().st_mtime, UTC)
    except OSError:
        return _now()
