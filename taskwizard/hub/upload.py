"""Carrying out an upload plan, with per-file progress in bytes.

Order as Bitfount's uploader: models first (code, then weights), then templates with
this run's model versions filled in, then the deprecated templates. One file failing
does not stop the files that don't depend on it; a template that uses a model that
failed is failed "because model X failed". Every file ends in a final
:class:`FileProgress` in :attr:`UploadResult.files`.

The callback runs on the thread that calls :func:`execute_plan` (a worker thread in
the TUI): post the events to the UI from there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Literal

from taskwizard.hub import records
from taskwizard.hub.auth import AuthError
from taskwizard.hub.client import CreateOutcomeUnknown, HubClient, HubError, UploadCancelled
from taskwizard.hub.plan import Action, ItemKind, PlanItem, UploadPlan, template_body

FileState = Literal["waiting", "uploading", "done", "unchanged", "failed", "cancelled"]


def format_bytes(count: int | float | None) -> str:
    """A byte count (or speed) for people: ``512 B``, ``1.5 MiB``; ``-`` when unknown."""
    if count is None:
        return "-"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@dataclass(frozen=True, slots=True)
class FileProgress:
    """One event about one plan item (``file_id`` is the plan item's ``id``)."""

    file_id: str
    name: str
    kind: ItemKind
    action: Action
    state: FileState
    bytes_done: int = 0
    bytes_total: int = 0
    speed: float = 0.0  # bytes per second since this file started
    error: str | None = None
    #: What happened, for the summary: "version 3", "created", "tags updated", ...
    detail: str | None = None

    @property
    def fraction(self) -> float:
        if self.bytes_total <= 0:
            return 1.0 if self.state in ("done", "unchanged") else 0.0
        return min(1.0, self.bytes_done / self.bytes_total)

    @property
    def seconds_left(self) -> float | None:
        if self.speed <= 0 or self.state != "uploading":
            return None
        return max(0.0, (self.bytes_total - self.bytes_done) / self.speed)


ProgressCallback = Callable[[FileProgress], None]


@dataclass
class UploadResult:
    files: dict[str, FileProgress] = field(default_factory=dict)
    #: Model name -> the version templates were (or will be) filled with.
    model_versions: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return all(f.state in ("done", "unchanged") for f in self.files.values())

    @property
    def failed(self) -> list[FileProgress]:
        return [f for f in self.files.values() if f.state in ("failed", "cancelled")]


class _Tracker:
    """Emits the events of one file and keeps its last state."""

    def __init__(self, item: PlanItem, result: UploadResult, callback: ProgressCallback) -> None:
        self.item = item
        self._result = result
        self._callback = callback
        self._started = 0.0
        self.event = FileProgress(
            item.id, item.name, item.kind, item.action, "waiting", 0, item.size or 0
        )

    def emit(self, **changes: object) -> None:
        self.event = replace(self.event, **changes)  # type: ignore[arg-type]
        self._result.files[self.item.id] = self.event
        self._callback(self.event)

    def start(self) -> None:
        self._started = time.monotonic()
        self.emit(state="uploading", bytes_done=0)

    def bytes(self, done: int) -> None:
        elapsed = time.monotonic() - self._started
        self.emit(bytes_done=done, speed=done / elapsed if elapsed > 0 else 0.0)

    def done(self, detail: str) -> None:
        self.emit(state="done", bytes_done=self.event.bytes_total, detail=detail)

    def fail(self, message: str) -> None:
        self.emit(state="failed", error=message)


def execute_plan(
    plan: UploadPlan,
    client: HubClient,
    *,
    on_progress: ProgressCallback,
    cancel: threading.Event | None = None,
    only: Collection[str] | None = None,
    model_versions: dict[str, int] | None = None,
) -> UploadResult:
    """Upload what the plan says. ``only`` limits the run to those item ids (a retry);
    ``model_versions`` are versions a previous run already made (templates use them)."""
    if plan.refused:
        raise ValueError("this plan was refused (the config has errors); nothing to upload")
    if not plan.hub_contacted:
        raise ValueError("this plan was made without asking the hub; build it with a client")
    user = plan.username
    result = UploadResult(model_versions=dict(model_versions or {}))
    items = [i for i in plan.items if only is None or i.id in only]
    for item in plan.items:
        unchanged_model = item.kind == "model" and item.action == "unchanged"
        if unchanged_model and item.model_name and item.hub_version is not None:
            result.model_versions.setdefault(item.model_name, item.hub_version)
    trackers = {item.id: _Tracker(item, result, on_progress) for item in items}
    order = {"model": 0, "weights": 0, "template": 1, "deprecated": 2}
    items.sort(key=lambda i: order[i.kind])  # stable: weights stay after their model
    for item in items:
        tracker = trackers[item.id]
        if item.changes_hub:
            tracker.emit()
        else:
            tracker.emit(state="unchanged", detail=item.reason)
    for item in items:
        tracker = trackers[item.id]
        if not item.changes_hub:
            continue
        if result.cancelled or (cancel is not None and cancel.is_set()):
            result.cancelled = True
            tracker.emit(state="cancelled", error="cancelled before it started")
            continue
        blocker = _blocked_by(item, result)
        if blocker is not None:
            tracker.fail(blocker)
            continue
        tracker.start()
        try:
            detail = _run_item(item, client, user, result, tracker, cancel)
        except UploadCancelled:
            result.cancelled = True
            tracker.emit(state="cancelled", error="cancelled")
        except CreateOutcomeUnknown as exc:
            assert item.model_name is not None
            records.save_model_record(
                client.base_url,
                user,
                item.model_name,
                exc.version,
                code_sha256=item.sha256,
                code_complete=False,
            )
            tracker.fail(str(exc))
        except (HubError, AuthError) as exc:
            tracker.fail(str(exc))
        except OSError as exc:
            tracker.fail(f"cannot read {item.path}: {exc.strerror or exc}")
        else:
            tracker.done(detail)
    return result


def retry_failed(
    plan: UploadPlan,
    previous: UploadResult,
    client: HubClient,
    *,
    on_progress: ProgressCallback,
    cancel: threading.Event | None = None,
) -> UploadResult:
    """Run the failed and cancelled files of ``previous`` again; returns the merged result.

    A weights file whose model code was uploaded is sent to that same version; a
    template uses the versions the earlier run made.
    """
    again = [f.file_id for f in previous.failed]
    result = execute_plan(
        plan,
        client,
        on_progress=on_progress,
        cancel=cancel,
        only=again,
        model_versions=previous.model_versions,
    )
    merged = UploadResult(
        files={**previous.files, **result.files},
        model_versions={**previous.model_versions, **result.model_versions},
        cancelled=result.cancelled,
    )
    return merged


def _blocked_by(item: PlanItem, result: UploadResult) -> str | None:
    """Why ``item`` can't go ahead: a model (or its weights) it needs failed."""
    for dependency in item.depends_on:
        kind, name = dependency.split(":", 1)
        state = result.files.get(dependency)
        what = f"model {name}" if kind == "model" else f"model {name}'s weights"
        if state is not None and state.state == "failed":
            return f"because {what} failed"
        if state is not None and state.state == "cancelled":
            return f"because {what} was cancelled"
        if kind == "model" and name not in result.model_versions:
            return f"because model {name} has no version to use (upload it first)"
    return None


def _run_item(
    item: PlanItem,
    client: HubClient,
    user: str,
    result: UploadResult,
    tracker: _Tracker,
    cancel: threading.Event | None,
) -> str:
    if item.kind == "model":
        return _upload_model_code(item, client, user, result, tracker, cancel)
    if item.kind == "weights":
        return _upload_weights(item, client, user, result, tracker, cancel)
    if item.kind == "template":
        return _upload_template(item, client, user, result)
    assert item.slug is not None
    client.patch_task_template_state(user, item.slug, "archived")
    return "archived"


class FileChangedSincePlan(HubError):
    """The file is not the one the plan hashed; uploading it would not match the plan."""


def _unchanged_since_plan(item: PlanItem) -> int:
    """The file's size, after checking it is still the file the plan looked at."""
    assert item.path is not None
    stat = item.path.stat()
    if (stat.st_size, stat.st_mtime_ns) != (item.size, item.mtime_ns):
        raise FileChangedSincePlan(
            f"{item.path.name} changed after the plan was made: make the plan again"
        )
    return stat.st_size


def _upload_model_code(
    item: PlanItem,
    client: HubClient,
    user: str,
    result: UploadResult,
    tracker: _Tracker,
    cancel: threading.Event | None,
) -> str:
    assert item.path is not None and item.model_name is not None and item.sha256 is not None
    size = _unchanged_since_plan(item)
    target = client.register_model_code(
        user,
        item.model_name,
        size=size,
        code_hash=item.sha256,
        private=item.private,
        known_version=item.hub_version or 0,
    )
    if target.version is None:
        raise HubError(f"the hub registered model {item.model_name} but gave no version number")
    # Until the code is in storage, this version is incomplete (the next plan redoes it).
    records.save_model_record(
        client.base_url,
        user,
        item.model_name,
        target.version,
        code_sha256=item.sha256,
        code_complete=False,
    )
    client.upload_file(target, item.path, on_bytes=tracker.bytes, cancel=cancel)
    records.save_model_record(
        client.base_url, user, item.model_name, target.version, code_complete=True
    )
    result.model_versions[item.model_name] = target.version
    return f"version {target.version}"


def _upload_weights(
    item: PlanItem,
    client: HubClient,
    user: str,
    result: UploadResult,
    tracker: _Tracker,
    cancel: threading.Event | None,
) -> str:
    assert item.path is not None and item.model_name is not None
    version = result.model_versions[item.model_name]
    size = _unchanged_since_plan(item)
    target = client.register_model_weights(item.model_name, version, size)
    client.upload_file(target, item.path, on_bytes=tracker.bytes, cancel=cancel)
    records.save_model_record(
        client.base_url,
        user,
        item.model_name,
        version,
        weights_sha256=item.sha256,
        weights_size=size,
    )
    return f"weights of version {version}"


def _upload_template(item: PlanItem, client: HubClient, user: str, result: UploadResult) -> str:
    assert item.slug is not None
    body = template_body(item, result.model_versions, user)
    done: list[str] = []
    if item.unarchive:
        client.patch_task_template_state(user, item.slug, "published")
        done.append("published again")
    if item.action == "new":
        client.create_task_template(body, owner=user)
        done.append("created")
    elif item.action == "new_version":
        client.new_task_template_version(user, item.slug, body)
        done.append("new version")
    elif item.patch_tags:
        client.patch_task_template_tags(user, item.slug, item.tags)
        done.append("tags updated")
    if item.patch_sample_url:
        # Bitfount's uploader only sets this on a later run; we do it right away.
        client.patch_task_template_sample_url(user, item.slug, item.sample_url)
        done.append("sample dataset URL set")
    return ", ".join(done) or "unchanged"
