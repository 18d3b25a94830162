"""What taskwizard has uploaded, so the next plan needs no download to compare weights.

The Hub keeps a hash of a model's code but none of its weights; Bitfount's SDK
downloads the weights to compare them. taskwizard remembers, per hub, user, model
and version, the SHA-256 and size of the weights it sent (and whether the code
upload of that version finished), in ``paths.upload_records_file()``.

An unreadable record file is never an error: it only means "no record".
Saving is a read-modify-write of the whole file, so it holds a lock across processes
(``uploads.json.lock``, via filelock): ``taskwizard upload`` and the TUI uploading at
once must not lose each other's records.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from taskwizard import paths
from taskwizard.atomic import atomic_write_text

RECORDS_FORMAT = 1
#: How long a save waits for another process's save before giving up (an OSError).
LOCK_TIMEOUT_S = 60.0
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ModelRecord:
    hub_url: str
    user: str
    model: str
    version: int
    code_sha256: str | None = None
    #: False from registering a version until its code is in storage.
    code_complete: bool = False
    weights_sha256: str | None = None
    weights_size: int | None = None
    uploaded_at: str = ""

    def key(self) -> tuple[str, str, str, int]:
        return (self.hub_url.rstrip("/"), self.user, self.model, self.version)


def _load(path: Path) -> list[ModelRecord]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    rows = data.get("models") if isinstance(data, dict) else None
    out: list[ModelRecord] = []
    for row in rows if isinstance(rows, list) else []:
        try:
            out.append(ModelRecord(**{k: row[k] for k in row if k in ModelRecord.__slots__}))
        except (TypeError, KeyError):
            continue
    return out


def find_model_record(hub_url: str, user: str, model: str, version: int) -> ModelRecord | None:
    key = (hub_url.rstrip("/"), user, model, version)
    for record in _load(paths.upload_records_file()):
        if record.key() == key:
            return record
    return None


def save_model_record(
    hub_url: str, user: str, model: str, version: int, **changes: Any
) -> ModelRecord:
    """Create or update the record of (hub, user, model, version) with ``changes``.

    Fields not in ``changes`` keep their stored value, so recording the weights keeps
    the code hash recorded before them.
    """
    key = (hub_url.rstrip("/"), user, model, version)
    path = paths.upload_records_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    other_processes = FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_S, mode=0o600)
    with _lock, other_processes:
        records = _load(path)
        existing = next((r for r in records if r.key() == key), None)
        merged = asdict(existing) if existing is not None else asdict(ModelRecord(*key))
        merged.update(changes)
        merged["uploaded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        saved = ModelRecord(**merged)
        records = [r for r in records if r.key() != key] + [saved]
        text = json.dumps(
            {"format_version": RECORDS_FORMAT, "models": [asdict(r) for r in records]}, indent=2
        )
        atomic_write_text(path, text + "\n")
        return saved
