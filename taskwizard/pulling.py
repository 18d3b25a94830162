"""``taskwizard pull``: a template on the Hub becomes a config entry and a task YAML.

Everything is decided before anything is written (:func:`plan_pull` returns one
:class:`PulledFile` per file: new, changed or unchanged), so the command and the
home screen can show it and ask before a file that differs is overwritten.

Round trip: the files are written so that uploading them again changes nothing —
the entry carries the hub's slug, title, type, description, tags and sample dataset
URL, and the task YAML is the hub's template as it is stored (the uploader's
``username``/``model_version`` already filled in). A config that exists is edited
in place (:func:`taskwizard.model.roundtrip.update_yaml_text`): only the pulled
entry's lines change.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from taskwizard.atomic import atomic_write_text
from taskwizard.hub.client import HubClient, HubError
from taskwizard.hub.plan import model_code_hash

PulledKind = Literal["new", "changed", "unchanged"]
CONFIG_NAME = "task-templates.yaml"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
OWNER_SLUG_RE = re.compile(r"^([^/\s]+)/([^/\s]+)$")
MODEL_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PullError(Exception):
    """Nothing can be pulled; the message says why and what to do."""


class TemplateNotFound(PullError):
    pass


@dataclass
class PulledFile:
    role: Literal["config", "task", "model", "weights"]
    path: Path
    kind: PulledKind
    #: What will be written (text files) ...
    new_text: str | None = None
    #: ... or a downloaded file to move into place (model weights, streamed to disk).
    downloaded: Path | None = None
    old_text: str | None = None

    def diff(self) -> str:
        from taskwizard.model.roundtrip import unified_diff

        if self.new_text is None:
            return ""
        return unified_diff(self.old_text or "", self.new_text, str(self.path))


@dataclass
class ModelRecordToSave:
    """After writing pulled weights: remember their hash, as an upload would."""

    hub_url: str
    user: str
    name: str
    version: int
    sha256: str
    size: int


@dataclass
class PullPlan:
    owner: str
    slug: str
    version: int | None
    config_path: Path
    task_path: Path
    files: list[PulledFile]
    notes: list[str] = field(default_factory=list)
    records: list[ModelRecordToSave] = field(default_factory=list)

    @property
    def to_write(self) -> list[PulledFile]:
        return [f for f in self.files if f.kind != "unchanged"]

    def discard(self) -> None:
        """Remove the downloads that were not moved into place (call it in every case)."""
        for file in self.files:
            if file.downloaded is not None:
                file.downloaded.unlink(missing_ok=True)
                file.downloaded = None

    @property
    def overwrites(self) -> list[PulledFile]:
        """Existing files whose content differs (the config is edited, never overwritten)."""
        return [f for f in self.files if f.kind == "changed" and f.role != "config"]


def parse_owner_slug(text: str) -> tuple[str, str]:
    """``USER/SLUG``; the slug as the Hub stores it (sanitised as the uploader does)."""
    from taskwizard.model.slug import sanitise_slug

    match = OWNER_SLUG_RE.match(text.strip())
    slug = sanitise_slug(match[2]) if match is not None else ""
    if match is None or not slug:
        raise PullError(
            f"{text!r} is not USER/SLUG: name the template's owner and slug, "
            "e.g. taskwizard pull alice/mnist-inference"
        )
    return match[1], slug


def fetch_template(client: HubClient, owner: str, slug: str, version: int | None) -> dict[str, Any]:
    """The hub's template (latest, or ``version``); :class:`TemplateNotFound` if missing."""
    hub = client.get_task_template(owner, slug, version)
    if hub is None:
        if version is not None:
            raise TemplateNotFound(
                f"no version {version} of task template {owner}/{slug} on {client.base_url} "
                "(or no such template): leave out --version to pull the latest"
            )
        raise TemplateNotFound(
            f"no task template {owner}/{slug} on {client.base_url} "
            "(check the owner and the slug; `taskwizard pull` needs the sanitised slug, "
            "as the Hub shows it)"
        )
    if version is not None and hub.get("version") != version:
        raise TemplateNotFound(
            f"{client.base_url} did not return version {version} of {owner}/{slug} "
            f"(it answered with version {hub.get('version')!r}); leave out --version to pull "
            "the latest"
        )
    template = hub.get("template")
    if isinstance(template, str):
        import json

        try:
            template = json.loads(template)
        except ValueError:
            template = None
    if not isinstance(template, dict):
        raise PullError(f"the hub's answer for {owner}/{slug} has no template (a task YAML)")
    return {**hub, "template": template}


def model_references(template: Any) -> Iterator[dict[str, Any]]:
    """Every ``task.algorithm[].model.bitfount_model`` of a task."""
    task = template.get("task") if isinstance(template, dict) else None
    algorithms = task.get("algorithm") if isinstance(task, dict) else None
    if isinstance(algorithms, dict):
        algorithms = [algorithms]
    for algorithm in algorithms if isinstance(algorithms, list) else []:
        model = algorithm.get("model") if isinstance(algorithm, dict) else None
        ref = model.get("bitfount_model") if isinstance(model, dict) else None
        if isinstance(ref, dict):
            yield ref


# ------------------------------------------------------------------ files


def _read_text(path: Path) -> str:
    """An existing file pull would change, by taskwizard's reading rule (a regular file of
    at most 5 MiB: a FIFO or a device in its place never hangs the pull)."""
    from taskwizard.model.reading import read_file_bytes

    raw = read_file_bytes(path)
    if raw.startswith(b"\xef\xbb\xbf"):
        return "\ufeff" + raw[3:].decode("utf-8")
    return raw.decode("utf-8")


def _text_file(role: Literal["config", "task", "model"], path: Path, text: str) -> PulledFile:
    if not path.exists():
        return PulledFile(role, path, "new", new_text=text)
    try:
        old = _read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PullError(f"cannot read {path}: {exc}; move it away and pull again") from None
    kind: PulledKind = "unchanged" if old == text else "changed"
    return PulledFile(role, path, kind, new_text=text, old_text=old)


def _task_file(path: Path, data: dict[str, Any]) -> PulledFile:
    """The task YAML: an existing file is edited in place, so its comments stay."""
    from taskwizard.model.roundtrip import update_yaml_text
    from taskwizard.model.yamlio import dump_yaml

    if not path.exists():
        return PulledFile("task", path, "new", new_text=dump_yaml(data))
    try:
        old = _read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PullError(f"cannot read {path}: {exc}; move it away and pull again") from None
    result = update_yaml_text(old, data, filename=str(path))
    kind: PulledKind = "changed" if result.changed else "unchanged"
    return PulledFile("task", path, kind, new_text=result.text, old_text=old)


def config_entry(hub: dict[str, Any], template_path: str) -> dict[str, Any]:
    """The task-templates entry for the hub's template, in Bitfount's key order."""
    entry: dict[str, Any] = {
        "slug": str(hub.get("slug", "")),
        "title": str(hub.get("title", "")),
        "type": str(hub.get("type", "")),
        "description": str(hub.get("description") or ""),
        "template": template_path,
        "tags": [str(t) for t in hub.get("tags") or []],
    }
    if hub.get("sampleDatasetDownloadUrl"):
        entry["sampleDatasetDownloadUrl"] = str(hub["sampleDatasetDownloadUrl"])
    return entry


def _resolve_config(into: Path) -> Path:
    if into.suffix in (".yaml", ".yml") and not into.is_dir():
        return into
    return into / CONFIG_NAME


def _load_config(config_path: Path) -> tuple[str | None, dict[str, Any]]:
    from taskwizard.model.yamlio import load_yaml_text

    if not config_path.exists():
        return None, {}
    try:
        text = _read_text(config_path)
    except (OSError, UnicodeDecodeError) as exc:
        raise PullError(f"cannot read {config_path}: {exc}") from None
    loaded = load_yaml_text(text, str(config_path))
    if not loaded.ok or not isinstance(loaded.data, dict):
        first = loaded.problems[0].format() if loaded.problems else "not a YAML mapping"
        raise PullError(
            f"{config_path} is not a task-templates config I can add to ({first}); "
            "fix it, or pull --into another folder"
        )
    return text, loaded.data


def plan_pull(
    client: HubClient,
    owner: str,
    slug: str,
    *,
    into: Path,
    version: int | None = None,
    with_models: bool = False,
    with_weights: bool = False,
    username: str | None = None,
) -> PullPlan:
    """What pulling ``owner/slug`` into ``into`` (a folder or a config file) would write.

    Reads the hub (and downloads model code/weights when asked); writes nothing.
    ``username`` is who will upload the config again: only models owned by them get a
    ``models:`` entry (a model of someone else is referenced, not copied).
    """
    from taskwizard.model.roundtrip import update_yaml_text
    from taskwizard.model.slug import sanitise_slug
    from taskwizard.model.yamlio import dump_yaml

    hub = fetch_template(client, owner, slug, version)
    config_path = _resolve_config(into)
    config_dir = config_path.parent
    old_text, config = _load_config(config_path)
    new_config: dict[str, Any] = dict(config)
    entries = config.get("task-templates")
    entries = list(entries) if isinstance(entries, list) else []
    # Sanitised: it names a file, and a hub's answer is not trusted to be a safe file name.
    hub_slug = sanitise_slug(str(hub.get("slug") or "")) or slug
    index = next(
        (
            i
            for i, e in enumerate(entries)
            if isinstance(e, dict) and sanitise_slug(str(e.get("slug", ""))) == hub_slug
        ),
        None,
    )
    if index is not None and isinstance(entries[index].get("template"), str):
        template_name = str(entries[index]["template"])
    else:
        template_name = f"{hub_slug}.yaml"
    entry = config_entry(hub, template_name)
    if index is None:
        entries.append(entry)
    else:
        # Keep the entry's other keys (model_overrides, ...), their order, and its own
        # spelling of the slug (it sanitises to the hub's).
        merged = dict(entries[index])
        merged.update({**entry, "slug": merged.get("slug", entry["slug"])})
        if "sampleDatasetDownloadUrl" not in entry:
            merged.pop("sampleDatasetDownloadUrl", None)
        entries[index] = merged
    new_config["task-templates"] = entries

    task_path = Path(template_name)
    if not task_path.is_absolute():
        task_path = config_dir / task_path
    plan = PullPlan(
        owner=owner,
        slug=hub_slug,
        version=hub.get("version") if isinstance(hub.get("version"), int) else None,
        config_path=config_path,
        task_path=task_path,
        files=[_task_file(task_path, hub["template"])],
    )
    if with_models:
        _plan_models(plan, client, hub, new_config, config_dir, with_weights, username or owner)
    if old_text is None:
        plan.files.insert(
            0, PulledFile("config", config_path, "new", new_text=dump_yaml(new_config))
        )
    else:
        result = update_yaml_text(old_text, new_config, filename=str(config_path))
        plan.files.insert(
            0,
            PulledFile(
                "config",
                config_path,
                "changed" if result.changed else "unchanged",
                new_text=result.text,
                old_text=old_text,
            ),
        )
        if result.reformatted:
            plan.notes.extend(f"{config_path}: {note}" for note in result.reformatted)
    return plan


def _plan_models(
    plan: PullPlan,
    client: HubClient,
    hub: dict[str, Any],
    config: dict[str, Any],
    config_dir: Path,
    with_weights: bool,
    uploader: str,
) -> None:
    models = config.get("models")
    models = list(models) if isinstance(models, list) else []
    known = {Path(str(m.get("model_file", ""))).stem: m for m in models if isinstance(m, dict)}
    seen: set[str] = set()
    for ref in model_references(hub["template"]):
        name = ref.get("model_ref")
        if not isinstance(name, str) or name in seen:
            continue
        seen.add(name)
        model_owner = str(ref.get("username") or plan.owner)
        if not MODEL_NAME_RE.match(name):
            plan.notes.append(f"model {name!r}: not a model file name; not downloaded")
            continue
        if model_owner != uploader:
            plan.notes.append(
                f"model {model_owner}/{name} belongs to {model_owner}: the template refers to "
                "it on the hub; not copied (uploading it as yours would change the template)"
            )
            continue
        pinned = ref.get("model_version")
        pinned = pinned if isinstance(pinned, int) and not isinstance(pinned, bool) else None
        details = client.get_model(model_owner, name, pinned)
        if details is None:
            plan.notes.append(f"model {model_owner}/{name} is not on the hub; not downloaded")
            continue
        version = int(details["modelVersion"])
        latest = client.get_model(model_owner, name) if pinned is not None else details
        if latest is not None and int(latest["modelVersion"]) != version:
            plan.notes.append(
                f"model {name}: the template uses version {version}, the hub's latest is "
                f"{latest['modelVersion']}; uploading this config will make a new model version"
            )
        url = details.get("modelDownloadUrl")
        if not url:
            plan.notes.append(f"model {name} version {version} has no code to download")
            continue
        code = _download(client, str(url))
        expected = details.get("modelHash")
        if isinstance(expected, str) and model_code_hash(code) != expected:
            # As the SDK checks it: what storage gave is not what was registered.
            raise PullError(
                f"the code of model {model_owner}/{name} version {version} does not match its "
                "hash on the hub; upload the model again, or pull without --with-models"
            )
        code_path = config_dir / "models" / f"{name}.py"
        plan.files.append(_model_code_file(code_path, code))
        entry: dict[str, Any] = {
            "model_file": f"models/{name}.py",
            "private": bool(details.get("privateModel", True)),
        }
        if with_weights:
            weights_url = details.get("weightsDownloadUrl")
            if weights_url:
                weights_path = config_dir / "models" / f"{name}.pt"
                downloaded, digest, size = _download_weights(client, str(weights_url), name)
                kind: PulledKind = "new"
                if weights_path.exists():
                    same = (_sha256_of(weights_path), weights_path.stat().st_size) == (digest, size)
                    kind = "unchanged" if same else "changed"
                plan.files.append(PulledFile("weights", weights_path, kind, downloaded=downloaded))
                entry["weights_file"] = f"models/{name}.pt"
                plan.records.append(
                    ModelRecordToSave(client.base_url, model_owner, name, version, digest, size)
                )
            else:
                plan.notes.append(f"model {name} version {version} has no weights on the hub")
        if name in known:
            existing = known[name]
            existing_index = models.index(existing)
            models[existing_index] = {
                **existing,
                **{k: v for k, v in entry.items() if k != "model_file"},
            }
        else:
            models.append(entry)
    if models:
        config["models"] = models


def _model_code_file(path: Path, code: bytes) -> PulledFile:
    try:
        text = code.decode("utf-8")
    except UnicodeDecodeError:
        raise PullError(f"the hub's code for {path.stem} is not UTF-8 text") from None
    file = _text_file("model", path, text)
    return file


def _download(client: HubClient, url: str) -> bytes:
    try:
        with client.download(url) as chunks:
            return b"".join(chunks)
    except HubError as exc:
        raise PullError(f"downloading from the hub's storage failed: {exc}") from None


def _sha256_of(path: Path) -> str:
    from taskwizard.model.reading import check_readable

    try:
        check_readable(path, limit=1 << 62)  # a regular file, whatever its size
    except OSError as exc:
        raise PullError(f"cannot compare with {path}: {exc}") from None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _download_weights(client: HubClient, url: str, name: str) -> tuple[Path, str, int]:
    """Stream the weights to a temporary file (decompressing zstd as the SDK does).

    Memory stays flat whatever the size; returns the file, its SHA-256 and size.
    """
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f"taskwizard-pull-{name}-", suffix=".pt")
    path = Path(tmp)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out, client.download(url) as chunks:
            decompress = None
            for chunk in chunks:
                if size == 0 and decompress is None and chunk.startswith(ZSTD_MAGIC):
                    decompress = _zstd_decompressor(name)
                data = decompress(chunk) if decompress is not None else chunk
                out.write(data)
                digest.update(data)
                size += len(data)
    except HubError as exc:
        path.unlink(missing_ok=True)
        raise PullError(f"downloading the weights of {name} failed: {exc}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def _zstd_decompressor(name: str) -> Any:
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        raise PullError(
            f"the hub's weights for {name} are zstd-compressed and the zstandard module is not "
            "installed: pip install zstandard, or pull without --with-weights"
        ) from None
    return zstandard.ZstdDecompressor().decompressobj().decompress


def apply_pull(plan: PullPlan) -> list[Path]:
    """Write the files that are new or changed (atomically), then the weights records."""
    import shutil

    from taskwizard.hub import records

    written: list[Path] = []
    for file in plan.to_write:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        if file.downloaded is not None:
            try:  # same file system: a rename, no second copy of a big file
                os.replace(file.downloaded, file.path)
            except OSError:
                # Copy next to the target, then rename: the target is never half-written.
                staging = file.path.with_name(f".{file.path.name}.pulling")
                shutil.copyfile(file.downloaded, staging)
                os.replace(staging, file.path)
            file.path.chmod(0o644)  # the download was private (0600) while it was temporary
        else:
            atomic_write_text(file.path, file.new_text or "")
        written.append(file.path)
    plan.discard()
    for record in plan.records:
        records.save_model_record(
            record.hub_url,
            record.user,
            record.name,
            record.version,
            code_complete=True,
            weights_sha256=record.sha256,
            weights_size=record.size,
        )
    return written
