"""What the local hub keeps: task templates (with versions and state) and
models (with versions, hashes and their stored files) in SQLite, uploaded
files under ``objects/`` in the data folder.

Every method takes the store's lock: the routes call the store from a thread
pool and the SQLite connection is shared.

Uploads left incomplete expire (``upload_expiry`` seconds after they were
registered, two hours by default); once expired the hub refuses their parts
and their completion, and their files in ``incoming/`` are deleted, at start
and by :meth:`HubStore.sweep_abandoned` while the hub runs. An upload a
request is still writing is never swept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    slug TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'published',
    tags TEXT NOT NULL DEFAULT '[]',
    sample_url TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    UNIQUE (username, slug)
);
CREATE TABLE IF NOT EXISTS template_versions (
    template_id INTEGER NOT NULL REFERENCES templates(id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT NOT NULL,
    tags TEXT NOT NULL,
    template TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (template_id, version)
);
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (username, name)
);
CREATE TABLE IF NOT EXISTS model_versions (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models(id),
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    private INTEGER NOT NULL,
    description TEXT NOT NULL,
    code_key TEXT NOT NULL,
    code_status TEXT NOT NULL,          -- pending | complete | failed
    code_error TEXT,
    weights_key TEXT,
    weights_size INTEGER,
    weights_status TEXT,                -- NULL | complete
    created_at REAL NOT NULL,
    UNIQUE (model_id, version)
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                 -- single | multipart
    target TEXT NOT NULL,               -- code | weights
    model_version_id INTEGER NOT NULL REFERENCES model_versions(id),
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    parts INTEGER NOT NULL,
    status TEXT NOT NULL,               -- open | complete | failed | expired
    error TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    part_number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
"""


DEFAULT_UPLOAD_EXPIRY = 2 * 3600.0
# A finished part; anything else in an upload's folder is a body still being
# written (or cut off by a crash).
_PART_FILE = re.compile(r"part-[0-9]{5}")


class StoreError(Exception):
    """A request the store refuses; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def code_hash(path: Path) -> str:
    """SHA-256 hex of the file with every 0x0D byte removed, as Bitfount hashes model code."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block.replace(b"\r", b""))
    return digest.hexdigest()


def private_dir(path: Path) -> Path:
    """``path`` as a folder with mode 0700, making missing parents 0700 too."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def open_private_file(path: Path) -> Any:
    """A new file (truncated if it exists) with mode 0600, opened for binary writing."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


@dataclass(frozen=True)
class Upload:
    id: str
    kind: str
    target: str
    model_version_id: int
    key: str
    size: int
    chunk_size: int
    parts: int
    status: str


class HubStore:
    def __init__(self, data_dir: Path, upload_expiry: float = DEFAULT_UPLOAD_EXPIRY) -> None:
        self.upload_expiry = upload_expiry
        self.data_dir = private_dir(Path(data_dir))
        self.objects_dir = private_dir(self.data_dir / "objects")
        self.incoming_dir = private_dir(self.data_dir / "incoming")
        db_path = self.data_dir / "hub.sqlite3"
        if not db_path.exists():
            os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(db_path, 0o600)
        self._lock = threading.RLock()
        self._writers: dict[str, int] = {}  # upload id -> requests writing its files
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: safe against corruption, and no fsync on every small commit.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._sweep_incoming(at_start=True)

    def _sweep_incoming(self, at_start: bool = False) -> list[str]:
        """Expire uploads open longer than ``upload_expiry`` and delete files no
        open upload owns. At start nothing is being written, so half-written bodies
        of open uploads (cut off by a crash) go too; finished parts stay.
        Returns the ids of the uploads whose files were deleted."""
        with self._tx() as db:
            db.execute(
                "UPDATE uploads SET status = 'expired' WHERE status = 'open' AND created_at < ?",
                (time.time() - self.upload_expiry,),
            )
            rows = db.execute("SELECT id FROM uploads WHERE status = 'open'").fetchall()
            open_ids = {row[0] for row in rows}
            busy = set(self._writers)
        swept = []
        for entry in self.incoming_dir.iterdir():
            if entry.name in busy:
                continue
            if entry.name not in open_ids:
                swept.append(entry.name)
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            elif at_start and entry.is_dir():
                for file in entry.iterdir():
                    if not _PART_FILE.fullmatch(file.name):
                        file.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    entry.rmdir()  # only if empty
        return swept

    def sweep_abandoned(self) -> list[str]:
        """Expire abandoned uploads and delete their files (the hub runs this every minute)."""
        return self._sweep_incoming()

    @contextlib.contextmanager
    def writing(self, upload_id: str) -> Iterator[None]:
        """Mark ``upload_id`` as being written: the sweep leaves its files alone."""
        with self._lock:
            self._writers[upload_id] = self._writers.get(upload_id, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._writers[upload_id] - 1
                if left:
                    self._writers[upload_id] = left
                else:
                    del self._writers[upload_id]

    def discard_staged(self, staged: Path) -> None:
        """Delete a body that will not complete, and its upload's folder if now empty."""
        staged.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            staged.parent.rmdir()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def object_path(self, key: str) -> Path:
        if not key or any(ord(c) < 32 or c == "\x7f" for c in key):
            raise StoreError(400, "bad object key: it is empty or holds a control character")
        path = (self.objects_dir / key).resolve()
        if not path.is_relative_to(self.objects_dir.resolve()):
            raise StoreError(400, "bad object key")
        return path

    # ---------------------------------------------------------------- templates

    def _template_row(self, db: sqlite3.Connection, username: str, slug: str) -> sqlite3.Row:
        row = db.execute(
            "SELECT * FROM templates WHERE username = ? AND slug = ?", (username, slug)
        ).fetchone()
        if row is None:
            raise StoreError(404, f"task template {username}/{slug} not found")
        assert isinstance(row, sqlite3.Row)
        return row

    def _template_json(
        self, db: sqlite3.Connection, row: sqlite3.Row, version: int | None = None
    ) -> dict[str, Any]:
        if version is None:
            vrow = db.execute(
                "SELECT * FROM template_versions WHERE template_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (row["id"],),
            ).fetchone()
        else:
            vrow = db.execute(
                "SELECT * FROM template_versions WHERE template_id = ? AND version = ?",
                (row["id"], version),
            ).fetchone()
            if vrow is None:
                raise StoreError(
                    404, f"task template {row['username']}/{row['slug']} has no version {version}"
                )
        latest = version is None
        return {
            "id": f"{row['username']}/{row['slug']}",
            "owner": row["username"],
            "username": row["username"],
            "slug": row["slug"],
            "title": vrow["title"],
            "type": vrow["type"],
            "description": vrow["description"],
            # Tags can change without a new version (PATCH): the latest version shows
            # the template's current tags, older versions the tags they were made with.
            "tags": json.loads(row["tags"] if latest else vrow["tags"]),
            "template": json.loads(vrow["template"]),
            "state": row["state"],
            "sampleDatasetDownloadUrl": row["sample_url"],
            "version": vrow["version"],
            "createdAt": _iso(vrow["created_at"]),
            "updatedAt": _iso(row["updated_at"]),
        }

    def get_template(self, username: str, slug: str, version: int | None = None) -> dict[str, Any]:
        with self._lock:
            return self._template_json(
                self._db, self._template_row(self._db, username, slug), version
            )

    def list_templates(self, username: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if username is None:
                rows = self._db.execute("SELECT * FROM templates ORDER BY id").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM templates WHERE username = ? ORDER BY id", (username,)
                ).fetchall()
            return [self._template_json(self._db, row) for row in rows]

    def template_versions(self, username: str, slug: str) -> list[dict[str, Any]]:
        with self._lock:
            row = self._template_row(self._db, username, slug)
            versions = self._db.execute(
                "SELECT version FROM template_versions WHERE template_id = ? ORDER BY version",
                (row["id"],),
            ).fetchall()
            return [self._template_json(self._db, row, v["version"]) for v in versions]

    def create_template(self, username: str, body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        with self._tx() as db:
            exists = db.execute(
                "SELECT 1 FROM templates WHERE username = ? AND slug = ?", (username, body["slug"])
            ).fetchone()
            if exists:
                raise StoreError(
                    409,
                    f"task template {username}/{body['slug']} already exists; "
                    f"POST /api/task-templates/{username}/{body['slug']} makes a new version",
                )
            cursor = db.execute(
                "INSERT INTO templates (username, slug, state, tags, created_at, updated_at) "
                "VALUES (?, ?, 'published', ?, ?, ?)",
                (username, body["slug"], json.dumps(body["tags"]), now, now),
            )
            template_id = cursor.lastrowid
            self._insert_version(db, template_id, 1, body, now)
            return self._template_json(db, self._template_row(db, username, body["slug"]))

    def new_template_version(
        self, username: str, slug: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        now = time.time()
        with self._tx() as db:
            row = self._template_row(db, username, slug)
            latest = db.execute(
                "SELECT MAX(version) FROM template_versions WHERE template_id = ?", (row["id"],)
            ).fetchone()[0]
            self._insert_version(db, row["id"], int(latest) + 1, body, now)
            db.execute(
                "UPDATE templates SET tags = ?, updated_at = ? WHERE id = ?",
                (json.dumps(body["tags"]), now, row["id"]),
            )
            return self._template_json(db, self._template_row(db, username, slug))

    def _insert_version(
        self,
        db: sqlite3.Connection,
        template_id: int | None,
        version: int,
        body: dict[str, Any],
        now: float,
    ) -> None:
        db.execute(
            "INSERT INTO template_versions "
            "(template_id, version, title, type, description, tags, template, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                template_id,
                version,
                body["title"],
                body["type"],
                body["description"],
                json.dumps(body["tags"]),
                json.dumps(body["template"]),
                now,
            ),
        )

    def patch_template(self, username: str, slug: str, changes: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        with self._tx() as db:
            row = self._template_row(db, username, slug)
            if "state" in changes:
                db.execute(
                    "UPDATE templates SET state = ? WHERE id = ?", (changes["state"], row["id"])
                )
            if "tags" in changes:
                db.execute(
                    "UPDATE templates SET tags = ? WHERE id = ?",
                    (json.dumps(changes["tags"]), row["id"]),
                )
            if "sampleDatasetDownloadUrl" in changes:
                db.execute(
                    "UPDATE templates SET sample_url = ? WHERE id = ?",
                    (changes["sampleDatasetDownloadUrl"], row["id"]),
                )
            db.execute("UPDATE templates SET updated_at = ? WHERE id = ?", (now, row["id"]))
            return self._template_json(db, self._template_row(db, username, slug))

    # ------------------------------------------------------------------- models

    def _model_version_row(
        self, db: sqlite3.Connection, username: str, name: str, version: int | None
    ) -> sqlite3.Row:
        query = (
            "SELECT mv.*, m.username, m.name FROM model_versions mv "
            "JOIN models m ON m.id = mv.model_id WHERE m.username = ? AND m.name = ? "
        )
        if version is None:
            # A version is visible once its code has arrived and matched its hash.
            row = db.execute(
                query + "AND mv.code_status = 'complete' ORDER BY mv.version DESC LIMIT 1",
                (username, name),
            ).fetchone()
            if row is None:
                raise StoreError(404, f"model {username}/{name} not found")
        else:
            row = db.execute(query + "AND mv.version = ?", (username, name, version)).fetchone()
            if row is None:
                raise StoreError(404, f"model {username}/{name} has no version {version}")
        assert isinstance(row, sqlite3.Row)
        return row

    def get_model_version(
        self, username: str, name: str, version: int | None = None
    ) -> dict[str, Any]:
        with self._lock:
            return _model_dict(self._model_version_row(self._db, username, name, version))

    def list_model_versions(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT mv.*, m.username, m.name FROM model_versions mv "
                "JOIN models m ON m.id = mv.model_id ORDER BY m.username, m.name, mv.version"
            ).fetchall()
            return [_model_dict(row) for row in rows]

    def register_code(
        self,
        username: str,
        name: str,
        *,
        size: int,
        model_hash: str,
        private: bool,
        description: str,
        kind: str,
        chunk_size: int,
        parts: int,
    ) -> tuple[int, Upload]:
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO models (username, name) VALUES (?, ?)", (username, name)
            )
            model_id = db.execute(
                "SELECT id FROM models WHERE username = ? AND name = ?", (username, name)
            ).fetchone()[0]
            latest = db.execute(
                "SELECT MAX(version) FROM model_versions WHERE model_id = ?", (model_id,)
            ).fetchone()[0]
            version = int(latest or 0) + 1
            key = f"models/{username}/{name}/{version}/{name}.py"
            cursor = db.execute(
                "INSERT INTO model_versions (model_id, version, hash, size, private, description, "
                "code_key, code_status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (model_id, version, model_hash, size, int(private), description, key, now),
            )
            assert cursor.lastrowid is not None
            upload = self._new_upload(
                db, kind, "code", cursor.lastrowid, key, size, chunk_size, parts
            )
            return version, upload

    def register_weights(
        self,
        username: str,
        name: str,
        version: int,
        *,
        size: int,
        kind: str,
        chunk_size: int,
        parts: int,
    ) -> Upload:
        with self._tx() as db:
            row = self._model_version_row(db, username, name, version)
            if row["code_status"] == "failed":
                raise StoreError(
                    409, f"model {username}/{name} version {version} failed its upload"
                )
            key = f"models/{username}/{name}/{version}/weights"
            return self._new_upload(db, kind, "weights", row["id"], key, size, chunk_size, parts)

    def _new_upload(
        self,
        db: sqlite3.Connection,
        kind: str,
        target: str,
        model_version_id: int,
        key: str,
        size: int,
        chunk_size: int,
        parts: int,
    ) -> Upload:
        upload = Upload(
            id=secrets.token_hex(16),
            kind=kind,
            target=target,
            model_version_id=model_version_id,
            key=key,
            size=size,
            chunk_size=chunk_size,
            parts=parts,
            status="open",
        )
        db.execute(
            "INSERT INTO uploads (id, kind, target, model_version_id, key, size, chunk_size, "
            "parts, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
            (upload.id, kind, target, model_version_id, key, size, chunk_size, parts, time.time()),
        )
        return upload

    def get_upload(self, upload_id: str) -> Upload:
        with self._lock:
            row = self._db.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        if row is None:
            raise StoreError(404, "no such upload")
        status = row["status"]
        if status == "open" and row["created_at"] < time.time() - self.upload_expiry:
            status = "expired"  # the sweep will mark it and delete its files
        return Upload(
            id=row["id"],
            kind=row["kind"],
            target=row["target"],
            model_version_id=row["model_version_id"],
            key=row["key"],
            size=row["size"],
            chunk_size=row["chunk_size"],
            parts=row["parts"],
            status=status,
        )

    def upload_owner(self, upload: Upload) -> str:
        with self._lock:
            row = self._db.execute(
                "SELECT m.username FROM model_versions mv JOIN models m ON m.id = mv.model_id "
                "WHERE mv.id = ?",
                (upload.model_version_id,),
            ).fetchone()
        return str(row[0])

    def incoming_path(self, upload_id: str, part: int = 0) -> Path:
        return self.incoming_dir / upload_id / f"part-{part:05d}"

    def record_part(self, upload_id: str, part_number: int, etag: str, size: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO upload_parts (upload_id, part_number, etag, size) "
                "VALUES (?, ?, ?, ?)",
                (upload_id, part_number, etag, size),
            )

    def part_etags(self, upload_id: str) -> dict[int, tuple[str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT part_number, etag, size FROM upload_parts WHERE upload_id = ?",
                (upload_id,),
            ).fetchall()
        return {row["part_number"]: (row["etag"], row["size"]) for row in rows}

    def finish_upload(self, upload: Upload, staged: Path) -> None:
        """Move a fully received file into place and mark its model version.

        Code is checked against the hash the client registered; a mismatch marks
        the version failed (it never becomes the latest) and raises 400.
        """
        size = staged.stat().st_size
        problem: str | None = None
        if size != upload.size:
            problem = f"received {size} bytes but {upload.size} were registered"
        elif upload.target == "code":
            with self._lock:
                expected = self._db.execute(
                    "SELECT hash FROM model_versions WHERE id = ?", (upload.model_version_id,)
                ).fetchone()[0]
            actual = code_hash(staged)
            if actual != expected:
                problem = (
                    f"model code hash {actual} does not match the registered modelHash {expected}"
                )
        if problem is not None:
            staged.unlink(missing_ok=True)
            with self._tx() as db:
                db.execute(
                    "UPDATE uploads SET status = 'failed', error = ? WHERE id = ?",
                    (problem, upload.id),
                )
                if upload.target == "code":
                    db.execute(
                        "UPDATE model_versions SET code_status = 'failed', code_error = ? "
                        "WHERE id = ?",
                        (problem, upload.model_version_id),
                    )
            self._clean_incoming(upload.id)
            raise StoreError(400, problem)
        final = self.object_path(upload.key)
        private_dir(final.parent)
        os.replace(staged, final)
        with self._tx() as db:
            db.execute("UPDATE uploads SET status = 'complete' WHERE id = ?", (upload.id,))
            if upload.target == "code":
                db.execute(
                    "UPDATE model_versions SET code_status = 'complete' WHERE id = ?",
                    (upload.model_version_id,),
                )
            else:
                db.execute(
                    "UPDATE model_versions SET weights_key = ?, weights_size = ?, "
                    "weights_status = 'complete' WHERE id = ?",
                    (upload.key, size, upload.model_version_id),
                )
        self._clean_incoming(upload.id)

    def _clean_incoming(self, upload_id: str) -> None:
        shutil.rmtree(self.incoming_dir / upload_id, ignore_errors=True)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def _model_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "username": row["username"],
        "modelName": row["name"],
        "modelVersion": row["version"],
        "modelHash": row["hash"],
        "modelSize": row["size"],
        "privateModel": bool(row["private"]),
        "modelDescription": row["description"],
        "codeKey": row["code_key"],
        "codeStatus": row["code_status"],
        "codeError": row["code_error"],
        "weightsKey": row["weights_key"],
        "weightsSize": row["weights_size"],
        "weightsStatus": row["weights_status"],
        "createdAt": _iso(row["created_at"]),
    }
