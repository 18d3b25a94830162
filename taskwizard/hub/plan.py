"""The upload plan: for every model, weights file and template, what will happen and why.

The plan is computed before anything is changed (it only sends GETs), so the user
(and ``--dry-run``) sees it first. Its decisions follow Bitfount's uploader
(bitfount-hub.md) with its flaws fixed: a sample-dataset URL change alone is
noticed, weights are compared without downloading them when taskwizard uploaded
them before, and a template that references a model getting a new version gets a
new version itself (its ``model_version`` changes).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from taskwizard.hub import records
from taskwizard.model.problems import Problem, error, has_errors
from taskwizard.model.slug import sanitise_slug
from taskwizard.model.vocabulary import task_major_version

if TYPE_CHECKING:
    from taskwizard.hub.client import HubClient
    from taskwizard.model.yamlio import LoadedYaml

Action = Literal["new", "new_version", "tags_only", "unarchive", "archive", "unchanged", "unknown"]
ItemKind = Literal["model", "weights", "template", "deprecated"]
#: How ``taskwizard upload`` and the upload screen name each action: one table, so they agree.
ACTION_WORDS: dict[Action, str] = {
    "new": "new",
    "new_version": "new version",
    "tags_only": "update tags/URL",
    "unarchive": "unarchive",
    "archive": "archive",
    "unchanged": "unchanged",
    "unknown": "?",
}

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
HASH_CHUNK = 1024 * 1024
HUB_NOT_CONTACTED = "hub not contacted"


@dataclass
class PlanItem:
    """One line of the plan. ``id`` is stable: ``model:<name>``, ``weights:<name>``,
    ``template:<slug>``, ``deprecated:<slug>``."""

    id: str
    kind: ItemKind
    name: str
    action: Action
    reason: str
    path: Path | None = None
    size: int | None = None
    mtime_ns: int | None = None  # the file as planned; execution refuses a changed file
    # models and weights
    model_name: str | None = None
    private: bool = True
    sha256: str | None = None  # code hash as Bitfount computes it, or the weights' SHA-256
    hub_version: int | None = None  # the hub's latest version before this upload
    # templates
    slug: str | None = None
    title: str | None = None
    template_type: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    sample_url: str | None = None
    template: Any = None  # the task YAML as sent, before this run's model versions
    model_refs: tuple[str, ...] = ()  # config models the template references
    unarchive: bool = False
    patch_tags: bool = False
    patch_sample_url: bool = False

    @property
    def changes_hub(self) -> bool:
        return self.action not in ("unchanged", "unknown")

    @property
    def depends_on(self) -> tuple[str, ...]:
        if self.kind == "weights":
            return (f"model:{self.model_name}",)
        if self.kind == "template":
            return tuple(
                f"{kind}:{name}" for name in self.model_refs for kind in ("model", "weights")
            )
        return ()


@dataclass
class UploadPlan:
    config_path: Path
    username: str
    hub_url: str | None
    items: list[PlanItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    hub_contacted: bool = False

    @property
    def refused(self) -> bool:
        """The config has errors: nothing can be uploaded (see ``problems``)."""
        return has_errors(self.problems)

    @property
    def note(self) -> str:
        if self.refused:
            return "the config has errors: nothing will be uploaded"
        return "" if self.hub_contacted else HUB_NOT_CONTACTED

    def item(self, item_id: str) -> PlanItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def changes(self) -> list[PlanItem]:
        return [item for item in self.items if item.changes_hub]


class PlanError(Exception):
    """The plan could not be made (for example a file vanished); the message says why."""


# ---------------------------------------------------------------- hashing
def model_code_hash(data: bytes) -> str:
    """Bitfount's model hash: SHA-256 hex of the bytes with every 0x0D removed."""
    return hashlib.sha256(data.replace(b"\r", b"")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------- templates
def _bitfount_models(template: Any) -> Iterator[dict[str, Any]]:
    task = template.get("task") if isinstance(template, dict) else None
    algorithms = task.get("algorithm") if isinstance(task, dict) else None
    for algorithm in algorithms if isinstance(algorithms, list) else []:
        model = algorithm.get("model") if isinstance(algorithm, dict) else None
        ref = model.get("bitfount_model") if isinstance(model, dict) else None
        if isinstance(ref, dict):
            yield ref


def prepare_template(template: Any, username: str) -> Any:
    """The uploader's offline rewrite for v7/v8: one algorithm becomes a list, and a
    ``bitfount_model`` without ``username`` gets the uploader's."""
    out = _jsonable(copy.deepcopy(template))
    if task_major_version(out) >= 9:
        return out
    task = out.get("task") if isinstance(out, dict) else None
    if isinstance(task, dict) and isinstance(task.get("algorithm"), dict):
        task["algorithm"] = [task["algorithm"]]
    for ref in _bitfount_models(out):
        if not ref.get("username"):
            ref["username"] = username
    return out


def fill_model_versions(template: Any, versions: dict[str, int], username: str) -> Any:
    """References to models of this config get their version (and the uploader as owner)."""
    out = copy.deepcopy(template)
    if task_major_version(out) >= 9:
        return out
    for ref in _bitfount_models(out):
        name = ref.get("model_ref")
        if isinstance(name, str) and name in versions:
            ref["username"] = username
            ref["model_version"] = versions[name]
    return out


def referenced_models(template: Any, model_names: set[str]) -> tuple[str, ...]:
    if task_major_version(template) >= 9:
        return ()
    names = [ref.get("model_ref") for ref in _bitfount_models(template)]
    return tuple(dict.fromkeys(n for n in names if isinstance(n, str) and n in model_names))


def template_body(item: PlanItem, versions: dict[str, int], username: str) -> dict[str, Any]:
    """Bitfount's body ``B`` for a template item, with this run's model versions."""
    return {
        "title": item.title,
        "slug": item.slug,
        "type": item.template_type,
        "template": fill_model_versions(item.template, versions, username),
        "description": item.description,
        "tags": list(item.tags),
    }


def _jsonable(value: Any) -> Any:
    """As the hub will store it (JSON): tuples become lists, dates strings."""
    return json.loads(json.dumps(value, default=str))


def first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, e.g. ``task.algorithm[0].arguments``."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in list(ours) + [k for k in theirs if k not in ours]:
            if key not in ours or key not in theirs:
                return f"{path}.{key}" if path else str(key)
            found = first_difference(ours[key], theirs[key], f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return path or "the document"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    return None if ours == theirs else (path or "the document")


# ------------------------------------------------------------ the config
def _resolve_file(name: str, config_dir: Path, cwd: Path) -> Path:
    """Where ``validate.find_config_file`` finds it; if nowhere, where it would be next to
    the config (so the error names that path)."""
    from taskwizard.model.validate import find_config_file

    found, _ = find_config_file(name, config_dir, cwd)
    return found if found is not None else config_dir / Path(name).expanduser()


def load_config(config_path: Path, cwd: Path) -> tuple[LoadedYaml, list[Problem]]:
    """The config as read, and the problems of it and of the files it names (task YAMLs,
    model code, weights), each as ``file:line:col`` — exactly what ``taskwizard validate``
    reports."""
    from taskwizard.model.validate import validate_paths
    from taskwizard.model.yamlio import load_yaml_file

    problems: list[Problem] = []
    for report in validate_paths([config_path], cwd=cwd):
        problems += report.problems
        if report.path == str(config_path) and report.kind == "task":
            problems.append(
                error(
                    "this is a task YAML; upload the task-templates config that names it "
                    "(task-templates: entries with slug, title, type, template, ...)"
                ).at(str(config_path), 1, 1)
            )
    return load_yaml_file(config_path), problems


# ----------------------------------------------------------------- build
def build_plan(
    config_path: Path,
    client: HubClient | None,
    username: str,
    *,
    cwd: Path | None = None,
) -> UploadPlan:
    """Read and validate the config, ask the hub (GETs only) and decide every item.

    With ``client=None`` nothing is sent: every action is ``unknown`` ("hub not
    contacted"). A config with errors gives a plan with ``refused`` true and no items.
    Hub errors (refused credentials, hub unreachable) propagate as ``HubError``.
    """
    config_path = Path(config_path)
    cwd = Path.cwd() if cwd is None else cwd
    plan = UploadPlan(
        config_path,
        username,
        client.base_url if client else None,
        hub_contacted=client is not None,
    )
    loaded, problems = load_config(config_path, cwd)
    plan.problems = problems
    data = loaded.data
    if not isinstance(data, dict) or plan.refused:
        return plan
    if client is not None and not client.confirm_user(username):  # WrongUser propagates
        plan.problems.append(_unconfirmed_user(config_path, username))
    config_dir = config_path.resolve().parent

    models = [m for m in data.get("models") or [] if isinstance(m, dict)]
    templates = [t for t in data.get("task-templates") or [] if isinstance(t, dict)]
    deprecated = [d for d in data.get("deprecated-task-templates") or [] if isinstance(d, dict)]

    model_items: dict[str, PlanItem] = {}
    for index, entry in enumerate(models):
        found: list[Problem] = []
        model_plan = _plan_model(plan, client, entry, ("models", index), found, config_dir, cwd)
        plan.problems += loaded.resolve(found)
        for item in model_plan:
            plan.items.append(item)
            if item.kind == "model" and item.model_name:
                model_items[item.model_name] = item
    if plan.refused:
        plan.items = []
        return plan
    for entry in templates:
        template_item = _plan_template(plan, client, entry, config_dir, cwd, model_items)
        if template_item is not None:
            plan.items.append(template_item)
    for entry in deprecated:
        plan.items.append(_plan_deprecated(plan, client, str(entry.get("slug", ""))))
    if plan.refused:
        plan.items = []
    return plan


def _unconfirmed_user(config_path: Path, username: str) -> Problem:
    return Problem(
        "warning",
        f"the hub does not say whose these credentials are, so they could not be checked "
        f"against {username!r}; if they are another user's, the hub files the uploads under "
        "that user",
        (),
        str(config_path),
    )


def _plan_model(
    plan: UploadPlan,
    client: HubClient | None,
    entry: dict[str, Any],
    at: tuple[str | int, ...],
    problems: list[Problem],
    config_dir: Path,
    cwd: Path,
) -> list[PlanItem]:
    code_path = _resolve_file(str(entry.get("model_file", "")), config_dir, cwd)
    name = code_path.stem
    try:
        code = code_path.read_bytes()
    except OSError as exc:
        problems.append(
            error(
                f"model file {code_path} cannot be read: {exc.strerror or exc}", (*at, "model_file")
            )
        )
        return []
    model = PlanItem(
        id=f"model:{name}",
        kind="model",
        name=code_path.name,
        action="unknown",
        reason=HUB_NOT_CONTACTED,
        path=code_path,
        size=len(code),
        mtime_ns=code_path.stat().st_mtime_ns,
        model_name=name,
        private=bool(entry.get("private", True)),
        sha256=model_code_hash(code),
    )
    items = [model]
    weights: PlanItem | None = None
    if entry.get("weights_file"):
        weights_path = _resolve_file(str(entry["weights_file"]), config_dir, cwd)
        try:
            stat = weights_path.stat()
            digest = file_sha256(weights_path)
        except OSError as exc:
            problems.append(
                error(
                    f"weights file {weights_path} cannot be read: {exc.strerror or exc}",
                    (*at, "weights_file"),
                )
            )
            return []
        weights = PlanItem(
            id=f"weights:{name}",
            kind="weights",
            name=weights_path.name,
            action="unknown",
            reason=HUB_NOT_CONTACTED,
            path=weights_path,
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            model_name=name,
            sha256=digest,
        )
        items.append(weights)
    if client is None:
        return items

    hub = client.get_model(plan.username, name)
    if hub is None:
        model.action, model.reason = "new", "not on the hub yet"
        if weights:
            weights.action, weights.reason = "new", "uploaded with the new model"
        return items
    version = int(hub["modelVersion"])
    model.hub_version = version
    if hub.get("modelHash") != model.sha256:
        model.action, model.reason = "new_version", f"code hash differs from version {version}"
    else:
        record = records.find_model_record(client.base_url, plan.username, name, version)
        if record is not None and not record.code_complete:
            model.action = "new_version"
            model.reason = f"the last upload of version {version} from this machine did not finish"
        elif (
            weights is not None
            and (record is None or record.weights_sha256 is None)
            and _weights_missing(client, plan.username, name, version)
        ):
            # An earlier weights upload failed (e.g. storage 403): the code of this version is
            # right, so its weights are registered again for it (PUT /api/models takes any
            # version) instead of making a new version with identical code.
            model.action, model.reason = "unchanged", f"code hash equals version {version}"
            weights.hub_version = version
            weights.action = "new"
            weights.reason = (
                f"version {version} has no weights (an earlier upload did not finish): "
                f"uploaded again for version {version}"
            )
            return items
        elif weights is not None:
            changed = _weights_changed(client, plan.username, name, version, weights, record)
            if changed:
                model.action, model.reason = "new_version", changed
            else:
                model.action = "unchanged"
                model.reason = f"code and weights equal version {version}"
        else:
            model.action, model.reason = "unchanged", f"code hash equals version {version}"
    if weights is not None:
        weights.hub_version = version
        if model.action == "new_version":
            weights.action, weights.reason = "new", "uploaded with the new model version"
        else:
            weights.action, weights.reason = "unchanged", f"equal to version {version}'s weights"
    return items


def _weights_missing(client: HubClient, user: str, name: str, version: int) -> bool:
    """The hub has no weights for this version: it gives no ``weightsDownloadUrl`` (how the
    SDK's ``get_weights`` tells), or the link leads to no object (403/404 from storage)."""
    from taskwizard.hub.client import HubError

    hub = client.get_model(user, name, version)
    url = hub.get("weightsDownloadUrl") if hub else None
    if not url:
        return True
    try:
        with client.download(str(url)):
            return False
    except HubError as exc:
        return exc.status in (403, 404)


def _weights_changed(
    client: HubClient,
    user: str,
    name: str,
    version: int,
    weights: PlanItem,
    record: records.ModelRecord | None,
) -> str | None:
    """Why the weights need a new version, or None when they equal the hub's."""
    if record is not None and record.weights_sha256 is not None:
        if (record.weights_sha256, record.weights_size) == (weights.sha256, weights.size):
            return None
        return "weights changed since the last upload from this machine"
    hub = client.get_model(user, name, version)
    url = hub.get("weightsDownloadUrl") if hub else None
    if not url:
        return f"the hub has no weights for version {version}"
    from taskwizard.hub.client import HubError

    try:
        digest, size, problem = _download_sha256(client, str(url))
    except HubError as exc:
        return f"the hub's weights could not be downloaded to compare ({exc})"
    if problem:
        return problem
    if (digest, size) != (weights.sha256, weights.size):
        return f"weights differ from version {version}'s"
    # Remember, so the next plan needs no download.
    records.save_model_record(
        client.base_url,
        user,
        name,
        version,
        code_sha256=None,
        code_complete=True,
        weights_sha256=digest,
        weights_size=size,
    )
    return None


def _download_sha256(client: HubClient, url: str) -> tuple[str, int, str | None]:
    """SHA-256 and size of the (decompressed) download, streamed; or why it can't compare."""
    digest = hashlib.sha256()
    size = 0
    import httpx

    try:
        with client.download(url) as chunks:
            first = b""
            iterator = iter(chunks)
            for chunk in iterator:
                first = chunk
                break
            if first.startswith(ZSTD_MAGIC):
                try:
                    import zstandard  # type: ignore[import-not-found]
                except ImportError:
                    return (
                        "",
                        0,
                        (
                            "the hub's weights are zstd-compressed and the zstandard module is "
                            "not installed, so they can't be compared: uploading a new version"
                        ),
                    )
                decompressor = zstandard.ZstdDecompressor().decompressobj()
                for chunk in _chain(first, iterator):
                    out = decompressor.decompress(chunk)
                    digest.update(out)
                    size += len(out)
            else:
                for chunk in _chain(first, iterator):
                    digest.update(chunk)
                    size += len(chunk)
    except httpx.HTTPError as exc:
        return "", 0, f"the hub's weights could not be downloaded to compare ({type(exc).__name__})"
    return digest.hexdigest(), size, None


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _plan_template(
    plan: UploadPlan,
    client: HubClient | None,
    entry: dict[str, Any],
    config_dir: Path,
    cwd: Path,
    model_items: dict[str, PlanItem],
) -> PlanItem | None:
    item = _template_item(plan, entry, config_dir, cwd, model_items)
    if item is None or client is None:
        return item
    hub = client.get_task_template(plan.username, item.name)
    if hub is None:
        item.action, item.reason = "new", "not on the hub yet"
        item.patch_sample_url = item.sample_url is not None
        return item
    _compare_template(item, hub, model_items, plan.username)
    return item


def _template_item(
    plan: UploadPlan,
    entry: dict[str, Any],
    config_dir: Path,
    cwd: Path,
    model_items: dict[str, PlanItem],
) -> PlanItem | None:
    """The config entry's template as it would be uploaded (None: its YAML does not load)."""
    from taskwizard.model.yamlio import load_yaml_file

    slug = sanitise_slug(str(entry.get("slug", "")))
    template_path = _resolve_file(str(entry.get("template", "")), config_dir, cwd)
    loaded = load_yaml_file(template_path)
    if not loaded.ok:
        plan.problems.extend(loaded.problems)
        return None
    prepared = prepare_template(loaded.data, plan.username)
    sample_url = entry.get("sampleDatasetDownloadUrl")
    item = PlanItem(
        id=f"template:{slug}",
        kind="template",
        name=slug,
        action="unknown",
        reason=HUB_NOT_CONTACTED,
        path=template_path,
        slug=slug,
        title=str(entry.get("title", "")),
        template_type=str(entry.get("type", "")),
        description=str(entry.get("description", "")),
        tags=[str(t) for t in entry.get("tags") or []],
        sample_url=str(sample_url) if sample_url is not None else None,
        template=prepared,
        model_refs=referenced_models(prepared, set(model_items)),
    )
    item.size = len(json.dumps(template_body(item, {}, plan.username)).encode())
    return item


def _compare_template(
    item: PlanItem, hub: dict[str, Any], model_items: dict[str, PlanItem], username: str
) -> None:
    """Set the action and reason of a template the hub has: new version, patch, or unchanged."""
    notes: list[str] = []
    if hub.get("state") == "archived":
        item.unarchive = True
        notes.append("archived on the hub: publish it again")
    sample_differs = (hub.get("sampleDatasetDownloadUrl") or None) != item.sample_url
    item.patch_sample_url = sample_differs
    differences = _template_differences(item, hub, model_items, username)
    if differences:
        item.action = "new_version"
        if sample_differs:
            differences.append("sample dataset URL changed")
        item.reason = "; ".join(notes + differences)
        return
    hub_tags = hub.get("tags")
    item.patch_tags = (
        isinstance(hub_tags, list) and hub_tags != item.tags or hub_tags is None and bool(item.tags)
    )
    if item.patch_tags:
        notes.append(
            f"tags changed ({', '.join(map(str, hub_tags or [])) or 'none'} → "
            f"{', '.join(item.tags) or 'none'})"
        )
    if sample_differs:
        notes.append("sample dataset URL changed")
    if item.patch_tags or sample_differs:
        item.action = "tags_only"
    elif item.unarchive:
        item.action = "unarchive"
    else:
        item.action = "unchanged"
        notes.append("template, description and tags equal the hub's")
    item.reason = "; ".join(notes)


def _template_differences(
    item: PlanItem, hub: dict[str, Any], model_items: dict[str, PlanItem], username: str
) -> list[str]:
    """What makes the hub's template differ from ours so that it needs a new version."""
    changing = [m for m in item.model_refs if model_items[m].action in ("new", "new_version")]
    versions = {
        name: m.hub_version
        for name, m in model_items.items()
        if m.hub_version is not None and m.action == "unchanged"
    }
    body = template_body(item, versions, username)
    differences: list[str] = []
    if changing:
        differences.append("uses model " + ", ".join(changing) + ", which gets a new version")
    else:
        where = first_difference(body["template"], _jsonable(_hub_template(hub)))
        if where is not None:
            differences.append(f"template changed ({where})")
    for key in ("description", "title"):
        if key in hub and hub.get(key) != body[key]:
            differences.append(f"{key} changed")
    return differences


def _hub_template(hub: dict[str, Any]) -> Any:
    """The hub's template: an object, or a JSON string of one (older hubs)."""
    template = hub.get("template")
    if isinstance(template, str):
        with contextlib.suppress(ValueError):
            template = json.loads(template)
    return template


def _plan_deprecated(plan: UploadPlan, client: HubClient | None, slug_text: str) -> PlanItem:
    slug = sanitise_slug(slug_text)
    item = PlanItem(
        id=f"deprecated:{slug}",
        kind="deprecated",
        name=slug,
        action="unknown",
        reason=HUB_NOT_CONTACTED,
        slug=slug,
    )
    if client is None:
        return item
    hub = client.get_task_template(plan.username, slug)
    if hub is None:
        item.action, item.reason = "unchanged", "not on the hub: nothing to archive"
    elif hub.get("state") == "archived":
        item.action, item.reason = "unchanged", "already archived"
    else:
        item.action, item.reason = "archive", "deprecated: archive it on the hub"
    return item
