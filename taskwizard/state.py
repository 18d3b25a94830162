"""The wizard's state: one object that every screen reads and writes.

It holds the two documents as plain data (what the YAML files will contain,
including keys taskwizard does not know, in order) plus where the user is.
Everything the wizard decides — problems, the YAML it will write — is a
function of this object, testable without a terminal. Drafts are this object
serialised as JSON; it never holds secrets.

It is a plain dataclass, not a pydantic model, so that drawing the wizard's
first screen does not wait for pydantic (~150 ms at start-up); drafts check a
loaded state's types with pydantic, which validates dataclasses as well
(:func:`state_to_json`, :func:`state_from_json`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from taskwizard.model.problems import DocPath, Problem

DocName = Literal["config", "task"]
#: ``WizardState.raw_text`` key for a whole document that does not parse yet.
RAW_DOC_PREFIX = "__doc__:"


@dataclass
class SourceFile:
    """A file an edit session was opened from, as it was when opened."""

    path: str
    sha256: str
    mtime_ns: int


def new_config_entry() -> dict[str, Any]:
    return {
        "slug": "",
        "title": "",
        "type": "image-classification",
        "description": "",
        "template": "",
        "tags": [],
    }


def new_task() -> dict[str, Any]:
    from taskwizard.model.vocabulary import LATEST_TASK_VERSION

    return {
        "version": LATEST_TASK_VERSION,
        "pods": {"identifiers": []},
        "modeller": {"identity_verification_method": "oidc-device-code"},
        "task": {
            "protocol": {"name": "bitfount.InferenceAndCSVReport"},
            "algorithm": [{"name": "bitfount.ModelInference"}],
            "data_structure": {},
        },
    }


def _new_config() -> dict[str, Any]:
    return {"task-templates": [new_config_entry()], "models": []}


def free_task_path(path: Path) -> Path:
    """``path``, or ``name-2.yaml``, ``name-3.yaml``… next to it: the first that does not exist."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate


@dataclass
class WizardState:
    #: The whole task-templates config (every template and model in it).
    config: dict[str, Any] = field(default_factory=_new_config)
    #: Which entry of ``config["task-templates"]`` the wizard is editing.
    template_index: int = 0
    #: The task YAML of that entry.
    task: dict[str, Any] = field(default_factory=new_task)
    #: Where Save writes; the entry's ``template:`` is the task path relative to the config.
    config_path: str | None = None
    task_path: str | None = None
    #: Set for edit sessions: the files as they were when opened.
    config_source: SourceFile | None = None
    task_source: SourceFile | None = None
    #: Editing a lone task YAML (no config is written) / a config whose task YAML is not edited.
    task_only: bool = False
    config_only: bool = False
    #: Raw YAML a user is typing for a step that does not parse yet (step id -> text),
    #: kept so that half-typed raw edits survive in drafts.
    raw_text: dict[str, str] = field(default_factory=dict)
    step: str = "template"
    focus: str | None = None
    #: Field keys (``doc:path``) the user has changed; untouched fields do not shout.
    touched: list[str] = field(default_factory=list)
    #: Steps the user has been on (a step not visited yet shows as untouched).
    visited: list[str] = field(default_factory=list)
    #: Set when the documents were last written to their files.
    saved: bool = False

    # ----------------------------------------------------------------- access
    def doc(self, name: DocName) -> Any:
        return self.config if name == "config" else self.task

    @property
    def entry_path(self) -> DocPath:
        return ("task-templates", self.template_index)

    @property
    def entry(self) -> dict[str, Any]:
        entries = self.config.setdefault("task-templates", [])
        while len(entries) <= self.template_index:
            entries.append(new_config_entry())
        entry = entries[self.template_index]
        assert isinstance(entry, dict)
        return entry

    def get(self, doc: DocName, path: DocPath, default: Any = None) -> Any:
        return get_in(self.doc(doc), path, default)

    def set(self, doc: DocName, path: DocPath, value: Any) -> None:
        """Set a value, creating mappings on the way; ``None`` removes the key."""
        set_in(self.doc(doc), path, value)
        self.saved = False
        self.mark_touched(doc, path)

    def mark_touched(self, doc: DocName, path: DocPath) -> None:
        key = field_key(doc, path)
        if key not in self.touched:
            self.touched.append(key)

    def is_touched(self, doc: DocName, path: DocPath) -> bool:
        key = field_key(doc, path)
        return any(t == key or t.startswith(key + ".") for t in self.touched)

    def touch_all(self) -> None:
        """After Next/Save was tried: every field may now show its problem."""
        if "*" not in self.touched:
            self.touched.append("*")

    def shows_problem(self, doc: DocName, path: DocPath) -> bool:
        return "*" in self.touched or self.is_touched(doc, path)

    def snapshot(self) -> WizardState:
        return copy.deepcopy(self)

    # ------------------------------------------------------------- deciding
    def config_problems(self) -> list[Problem]:
        # The last result while the config is unchanged (a keystroke in the task YAML).
        from taskwizard.model.validate import validate_config_reusing

        if self.task_only:
            return []
        return validate_config_reusing(self.config)

    def task_problems(self) -> list[Problem]:
        from taskwizard.model.validate import validate_task_reusing

        if self.config_only:
            return []
        return validate_task_reusing(self.task)

    def file_problems(self) -> list[Problem]:
        """The files the config names that exist before saving: model code and weights.

        Checked on disk by the model's rules (never run); relative paths resolve
        against the config file's folder. Kept out of :meth:`config_problems`,
        which is pure. The entry's own ``template:`` is left out: the task YAML
        is only written by Save.
        """
        from taskwizard.model.validate import check_config_files

        if self.task_only:
            return []
        if self.config_path:
            config_path = Path(self.config_path).expanduser()
        else:
            config_path = Path.cwd() / "task-templates.yaml"
        problems = check_config_files({}, config_path)  # the config's own path (e.g. its case)
        models = self.config.get("models")
        for index, model in enumerate(models if isinstance(models, list) else []):
            if not isinstance(model, dict):
                continue
            file_field: DocPath = ("models", index, "model_file")
            for problem in check_config_files({"models": [model]}, config_path):
                if problem.path[:2] == ("models", 0):
                    moved: DocPath = ("models", index, *problem.path[2:])
                    problems.append(Problem(problem.severity, problem.message, moved))
                elif problem.line is not None:
                    # Inside the model file: shown under the model file field, with its place.
                    where = f"{Path(problem.file or '').name} line {problem.line}"
                    where += f", column {problem.column}" if problem.column else ""
                    problems.append(
                        Problem(problem.severity, f"{where}: {problem.message}", file_field)
                    )
        return problems

    def preview(self, doc: DocName) -> str:
        """What the preview panes show of a document: the YAML a new file gets
        (``dump_yaml``), cut to what a pane shows at a cost that does not grow with the
        file (:mod:`taskwizard.model.preview`)."""
        from taskwizard.model.preview import preview_yaml

        index = self.template_index if doc == "config" else None
        return preview_yaml(self.doc(doc), template_index=index)

    def default_paths(self, folder: Path) -> tuple[Path, Path]:
        """Where the config and task YAML go: the chosen paths, else defaults in ``folder``."""
        from taskwizard.model.slug import sanitise_slug

        slug = sanitise_slug(str(self.entry.get("slug") or "")) or "task"
        config = Path(self.config_path) if self.config_path else folder / "task-templates.yaml"
        if self.task_path:
            return config, Path(self.task_path)
        # A new template never takes the name of a file that is there already (another
        # template's task YAML): ``slug-2.yaml`` then. Replacing one is chosen on Review.
        return config, free_task_path(config.parent / f"{slug}.yaml")

    def sync_template_path(self) -> None:
        """Point the entry's ``template:`` at the task file, relative to the config.

        Until a task path is chosen (a new template), it follows the default file
        name from the slug, so the required ``template:`` is never empty.
        """
        if self.task_only or self.config_only:
            return
        if self.task_path:
            task = Path(self.task_path)
        else:
            task = self.default_paths(Path.cwd())[1]
            if not self.config_path:
                # Saved next to the config, wherever that ends up: a bare file name.
                self.entry["template"] = task.name
                return
        if self.config_path:
            base = Path(self.config_path).parent
            current = self.entry.get("template")
            if isinstance(current, str) and current:
                here = Path(current).expanduser()
                here = here if here.is_absolute() else base / here
                if here.resolve() == task.resolve():
                    return  # already points there: keep the user's spelling
            try:
                rel = task.resolve().relative_to(base.resolve())
                self.entry["template"] = rel.as_posix()
                return
            except ValueError:
                pass
        self.entry["template"] = task.as_posix()


# ------------------------------------------------------------ serialising
def state_to_json(state: WizardState) -> dict[str, Any]:
    """The state as JSON-ready data (dates in task data become ISO strings)."""
    return _adapter().dump_python(state, mode="json")  # type: ignore[no-any-return]


def state_from_json(data: Any) -> WizardState:
    """A state from :func:`state_to_json`'s output; raises pydantic's ValidationError."""
    state = _adapter().validate_python(data)
    assert isinstance(state, WizardState)
    return state


def _adapter() -> Any:
    global _ADAPTER
    if _ADAPTER is None:
        from pydantic import TypeAdapter

        _ADAPTER = TypeAdapter(WizardState)
    return _ADAPTER


_ADAPTER: Any = None


# ------------------------------------------------------------------ helpers
def field_key(doc: DocName, path: DocPath) -> str:
    return doc + ":" + ".".join(str(p) for p in path)


def split_field_key(key: str) -> tuple[DocName, DocPath]:
    """The inverse of :func:`field_key` (list indexes come back as ints)."""
    doc, _, rest = key.partition(":")
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in rest.split(".") if p]
    return ("config" if doc == "config" else "task"), tuple(parts)


def get_in(data: Any, path: DocPath, default: Any = None) -> Any:
    node = data
    for part in path:
        if isinstance(part, int):
            if isinstance(node, list) and -len(node) <= part < len(node):
                node = node[part]
            else:
                return default
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return default
    return node


def set_in(data: Any, path: DocPath, value: Any) -> None:
    if not path:
        raise ValueError("cannot replace a whole document through set_in")
    node = data
    for part, nxt in zip(path[:-1], path[1:], strict=True):
        if isinstance(part, int):
            while len(node) <= part:
                node.append({} if not isinstance(nxt, int) else [])
            if node[part] is None:
                node[part] = {} if not isinstance(nxt, int) else []
            node = node[part]
        else:
            if not isinstance(node.get(part), dict | list):
                node[part] = {} if not isinstance(nxt, int) else []
            node = node[part]
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = copy.deepcopy(value)
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = copy.deepcopy(value)
