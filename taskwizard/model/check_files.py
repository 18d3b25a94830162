"""Checks that read files: the files a config names (task YAMLs, model code, weights),
the files a task names, and ``validate_paths``, which reads files with positions and
returns one :class:`FileReport` per file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from taskwizard.model import catalog
from taskwizard.model.check_config import validate_config
from taskwizard.model.check_task import validate_task
from taskwizard.model.modelfile import check_model_file, check_weights_file
from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.problems import DocPath, Problem, error, warning
from taskwizard.model.schema import (
    did_you_mean,
)
from taskwizard.model.vocabulary import task_major_version

Kind = Literal["config", "task", "unknown"]

_TASK_KEYS = frozenset(
    {"pods", "task", "modeller", "template", "version", "secrets", "hub", "message_service"}
)


# ====================================================================== detection


def detect_kind(data: Any) -> Kind:
    """Which of Bitfount's two formats ``data`` is (by its top-level keys)."""
    if not isinstance(data, Mapping):
        return "unknown"
    keys = {k for k in data if isinstance(k, str)}
    normalised = {k.lower().replace("_", "-") for k in keys}
    if normalised & set(catalog.CONFIG_TOP_LEVEL_KEYS):
        return "config"
    if keys & _TASK_KEYS or keys & set(catalog.V9_FLOW_KEYS) or "data_structure" in keys:
        return "task"
    # Misspelt keys only (``task_template:``, ``taks:``): guess, so the unknown-key
    # messages can say what was meant.
    for key in keys:
        if did_you_mean(key, catalog.CONFIG_TOP_LEVEL_KEYS):
            return "config"
    for key in keys:
        if did_you_mean(key, ("pods", "task", "modeller")):
            return "task"
    return "unknown"


def find_config_file(name: str, config_dir: Path, cwd: Path) -> tuple[Path | None, bool]:
    """Where a path named in a config is: ``(path or None, found_only_via_cwd)``.

    The config's folder first (what taskwizard does), then the current directory
    (what Bitfount's uploader does, so a file found only there works only when the
    upload runs from that directory).
    """
    candidate = Path(name).expanduser()
    if candidate.is_absolute():
        return (candidate if _present(candidate) else None), False
    in_config = config_dir / candidate
    if _present(in_config):
        return in_config, False
    in_cwd = cwd / candidate
    if _present(in_cwd):
        return in_cwd, True
    return None, False


def _present(path: Path) -> bool:
    """It exists, or is a symbolic link (a broken link or a loop is reported as such when read,
    not as a missing file)."""
    return path.exists() or path.is_symlink()


def _template_is_config_or_outside(
    found: Path, config: Path, name: str, tpath: DocPath, via_cwd: bool
) -> Problem | None:
    """An error when ``template:`` names the config itself; a warning when it leaves the
    config's folder (``../x``, an absolute path elsewhere): the file travels with the config
    only if it lives under it, and a path like ``../secrets.json`` is likely a mistake."""
    if found == config:  # both resolved (``_identity``)
        return error(
            f"template {name!r} is this config itself; name the task YAML file (the one with "
            "pods: and task:)",
            tpath,
        )
    folder = config.parent
    if not via_cwd and not found.is_relative_to(folder):
        return warning(
            f"template {name!r} is outside the config's folder ({folder}); keep the task YAML "
            "next to the config (or below it) so the two travel together",
            tpath,
        )
    return None


def _cwd_warning(what: str, name: str) -> str:
    return (
        f"{what} {name!r} is not next to the config but was found relative to the current "
        "directory; Bitfount resolves it against the current directory, so the upload works "
        "only when run from here. Make the path relative to the config's folder"
    )


@dataclass
class _TemplateRef:
    index: int
    name: str
    path: Path
    display: str


def check_config_files(data: Any, config_path: Path, *, cwd: Path | None = None) -> list[Problem]:
    """The files a task-templates config names: task YAMLs, model code, weights."""
    problems, _ = _check_config_files(data, config_path, Path(config_path), cwd or Path.cwd(), {})
    return problems


def _check_config_files(
    data: Any,
    config_path: Path,
    config_display: Path,
    cwd: Path,
    loaded: dict[Path, Any],
) -> tuple[list[Problem], list[_TemplateRef]]:
    if not isinstance(data, Mapping):
        return [], []
    problems: list[Problem] = []
    if config_path.name != config_path.name.lower():
        problems.append(
            warning(
                f"Bitfount's uploader lowercases the config path before opening it, so "
                f"{config_path.name!r} is not found on a case-sensitive file system; use a "
                "lowercase file name"
            )
        )
    where = _ConfigPlace(config_path.parent, config_display.parent, cwd, _identity(config_path))
    refs: list[_TemplateRef] = []
    templates = data.get("task-templates")
    for i, entry in enumerate(templates if isinstance(templates, list) else []):
        if isinstance(entry, Mapping):
            problems.extend(_check_template_file(entry, i, where, loaded, refs))
    models = data.get("models")
    for i, entry in enumerate(models if isinstance(models, list) else []):
        if isinstance(entry, Mapping):
            problems.extend(_check_model_files(entry, i, where))
    return problems, refs


@dataclass(frozen=True)
class _ConfigPlace:
    """Where a config's relative file names are looked up, and how they are shown."""

    folder: Path
    display_folder: Path
    cwd: Path
    config_real: Path  # the config itself, resolved

    def find(
        self, name: str, what: str, path: DocPath, problems: list[Problem]
    ) -> tuple[Path, str, bool] | None:
        """The file a config names, its display name and whether it was found only
        relative to the current directory; or None (a problem is added)."""
        found, via_cwd = find_config_file(name, self.folder, self.cwd)
        if found is None:
            problems.append(
                error(
                    f"{what} not found: {name!r} (looked in the config's folder and the "
                    "current directory)",
                    path,
                )
            )
            return None
        if via_cwd:
            label = "template" if what == "template file" else what
            problems.append(warning(_cwd_warning(label, name), path))
            return found, name, True
        display = str(self.display_folder / name) if not Path(name).is_absolute() else name
        return found, display, False


def _check_template_file(
    entry: Mapping[str, Any],
    i: int,
    where: _ConfigPlace,
    loaded: dict[Path, Any],
    refs: list[_TemplateRef],
) -> list[Problem]:
    name = entry.get("template")
    if not isinstance(name, str) or not name.strip():
        return []
    tpath: DocPath = ("task-templates", i, "template")
    problems: list[Problem] = []
    located = where.find(name, "template file", tpath, problems)
    if located is None:
        return problems
    found, display, via_cwd = located
    if found.is_dir():
        return [*problems, error(f"template {name!r} is a folder, not a task YAML", tpath)]
    own = _template_is_config_or_outside(_identity(found), where.config_real, name, tpath, via_cwd)
    if own is not None:
        problems.append(own)
        if own.is_error:
            return problems
    refs.append(_TemplateRef(i, name, found, display))
    if entry.get("model_overrides"):
        task_data = _load(found, display, loaded).data
        if task_major_version(task_data) < 9:
            problems.append(
                error(
                    "model_overrides are only supported for v9+ task templates (Bitfount's "
                    f"uploader raises this); {name!r} is a v7/v8 task",
                    ("task-templates", i, "model_overrides"),
                )
            )
    return problems


def _check_model_files(entry: Mapping[str, Any], i: int, where: _ConfigPlace) -> list[Problem]:
    problems: list[Problem] = []
    for key, checker, what in (
        ("model_file", check_model_file, "model file"),
        ("weights_file", check_weights_file, "weights file"),
    ):
        name = entry.get(key)
        if not isinstance(name, str) or not name.strip():
            continue
        kpath: DocPath = ("models", i, key)
        located = where.find(name, what, kpath, problems)
        if located is None:
            continue
        for p in checker(located[0], display=located[1]):
            # Problems inside the model file keep their own place; the rest go on the entry.
            problems.append(p if p.line is not None else Problem(p.severity, p.message, kpath))
    return problems


def check_task_files(data: Any, task_path: Path, *, cwd: Path | None = None) -> list[Problem]:
    """Files a task YAML names that Bitfount needs on the machine that runs it."""
    task = data.get("task") if isinstance(data, Mapping) else None
    name = task.get("transformation_file") if isinstance(task, Mapping) else None
    if not isinstance(name, str) or not name.strip() or is_placeholder(name):
        return []
    found, _ = find_config_file(name, task_path.parent, cwd or Path.cwd())
    if found is None:
        return [
            warning(
                f"transformation_file {name!r} not found here; Bitfount checks that it exists "
                "before it runs the task, so it must be there on the machine that runs it",
                ("task", "transformation_file"),
            )
        ]
    return []


# ====================================================================== paths


@dataclass
class FileReport:
    path: str
    kind: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if not p.is_error)


def _identity(path: Path) -> Path:
    """The real path, to validate each file once (a symlink loop keeps its own name)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _load(path: Path, display: str, cache: dict[Path, Any]) -> Any:
    from taskwizard.model.yamlio import load_yaml_file

    key = _identity(path)
    if key not in cache:
        loaded = load_yaml_file(path)
        loaded.filename = display
        loaded.problems = [
            p if p.file != str(path) else p.at(display, p.line, p.column) for p in loaded.problems
        ]
        cache[key] = loaded
    return cache[key]


# Problems about a mapping key (not its value) besides "unknown key" ones, which
# yamlio already places on the key.
_KEY_PROBLEM_PREFIXES = ("the keys of ", "aggregator weight for ")


def locate(loaded: Any, problems: Sequence[Problem]) -> list[Problem]:
    """``loaded.resolve``, with problems about a key placed on the key."""
    out: list[Problem] = []
    for p in problems:
        if p.line is None and p.message.startswith(_KEY_PROBLEM_PREFIXES):
            pos = loaded.locate_key(p.path)
            if pos is not None:
                p = p.at(p.file or loaded.filename, pos.line, pos.column)
        out.append(p)
    return list(loaded.resolve(out))


def swallowed_keys(text: str, problems: Sequence[Problem]) -> list[Problem]:
    """A required top-level key that a comment swallowed (``# Task detailstask:``, when
    a line break was lost) is reported on that comment line, not at 1:1."""
    comments = [
        (number, line.rstrip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.lstrip().startswith("#")
    ]

    def lost(key: str) -> tuple[int, int] | None:
        for number, line in comments:
            if line.lower().endswith(f"{key}:"):
                return number, len(line) - len(key)
        return None

    out: list[Problem] = []
    for p in problems:
        key = p.path[0] if len(p.path) == 1 else None
        where = lost(key) if isinstance(key, str) and "is required" in p.message else None
        if p.line is None and where is not None:
            line, column = where
            p = Problem(
                p.severity,
                f"{key}: is missing because line {line} is a comment that ends in '{key}:' "
                f"(everything after # is a comment, so the key was lost there, and the lines "
                f"under it read as other keys); put {key}: on a line of its own",
                p.path,
                p.file,
                line,
                column,
            )
        out.append(p)
    return out


def validate_paths(paths: Sequence[Path], *, cwd: Path | None = None) -> list[FileReport]:
    """Validate files; a config's task YAMLs are validated too, each as its own report."""
    cwd = cwd or Path.cwd()
    cache: dict[Path, Any] = {}
    reports: list[FileReport] = []
    done: set[Path] = set()

    def run(path: Path, display: str, expect: Kind | None) -> list[_TemplateRef]:
        key = _identity(path)
        if key in done:
            return []
        done.add(key)
        if not path.exists() and not path.is_symlink():
            reports.append(
                FileReport(
                    display,
                    "unknown",
                    [Problem("error", f"file not found: {display}", (), display)],
                )
            )
            return []
        loaded = _load(path, display, cache)
        problems: list[Problem] = list(loaded.problems)
        kind: str = detect_kind(loaded.data) if loaded.ok else (expect or "unknown")
        refs: list[_TemplateRef] = []
        if loaded.ok:
            if expect == "task" and kind != "task":
                looks = "a task-templates config" if kind == "config" else "neither format"
                found: list[Problem] = [
                    error(
                        "a task-templates entry points at this file, but it is not a task YAML "
                        f"(it looks like {looks}; a task YAML has pods: and task: at the top "
                        "level)"
                    )
                ]
            elif kind == "config":
                found = validate_config(loaded.data)
                files, refs = _check_config_files(loaded.data, path, Path(display), cwd, cache)
                found.extend(files)
            elif kind == "task":
                found = validate_task(loaded.data) + check_task_files(loaded.data, path, cwd=cwd)
            else:
                found = [
                    error(
                        "not a task-templates config (task-templates:, models:) nor a task YAML "
                        "(pods:, task:)"
                        if loaded.data is not None
                        else "the file is empty"
                    )
                ]
            problems.extend(locate(loaded, swallowed_keys(loaded.text, found)))
        problems = [p if p.file else p.at(display, p.line, p.column) for p in problems]
        problems.sort(key=Problem.sort_key)
        reports.append(FileReport(display, kind, problems))
        return refs

    for path in paths:
        refs = run(Path(path), str(path), None)
        for ref in refs:
            run(ref.path, ref.display, "task")
    return reports
