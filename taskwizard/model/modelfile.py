"""Checks of a model's files before upload, as the Hub and Bitfount's uploader
make them — but by *reading* the code (``ast``), never importing it: Bitfount
imports the file to find its class, which runs whatever the file does.

* code: at most 3 MiB, UTF-8 Python, exactly one model class named like the
  file (its stem is the model's name on the Hub);
* weights: at most 500 MiB (524,288,000 bytes).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from taskwizard.model import catalog
from taskwizard.model.problems import Problem, error, warning

__all__ = ["check_model_file", "check_weights_file", "model_name"]


def model_name(model_file: str | Path) -> str:
    """The model's name on the Hub: the file name without its extension."""
    return Path(model_file).stem


def check_model_file(path: Path, *, display: str) -> list[Problem]:
    """Bitfount's checks on a model's code, by reading it (never importing it).

    The wizard runs this on every keystroke: a file whose size and modification
    time have not changed is not read and parsed again (a ``stat`` is all it costs).
    """
    try:
        if not path.exists():
            return [error(_missing("model file", path, display))]
        if not path.is_file():
            return [error(f"model file {display} is not a file")]
        info = path.stat()
        if info.st_size > catalog.MODEL_FILE_MAX_BYTES:
            return [
                error(
                    f"model file {display} is {info.st_size:,} bytes; the Hub takes at most "
                    f"3 MiB ({catalog.MODEL_FILE_MAX_BYTES:,} bytes) of model code"
                )
            ]
    except OSError as exc:
        return [error(f"cannot read model file {display}: {exc.strerror or exc}")]
    found = _check_model_source(str(path.absolute()), info.st_mtime_ns, info.st_size, display)
    return list(found)


@functools.lru_cache(maxsize=64)
def _check_model_source(
    path_text: str, mtime_ns: int, size: int, display: str
) -> tuple[Problem, ...]:
    """The checks that need the file's content; cached by path, modification time and size."""
    path = Path(path_text)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return (error(f"cannot read model file {display}: {exc.strerror or exc}"),)
    return tuple(_check_model_bytes(path, raw, display))


def _check_model_bytes(path: Path, raw: bytes, display: str) -> list[Problem]:
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [error(f"model file {display} is not UTF-8 text (byte {exc.start})")]
    try:
        tree = ast.parse(source, filename=display)
    except SyntaxError as exc:
        return [
            Problem(
                "error",
                f"syntax error in the model file: {exc.msg}",
                (),
                display,
                exc.lineno,
                exc.offset,
            )
        ]
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. NUL bytes, absurd nesting
        return [error(f"model file {display} cannot be read as Python: {exc}")]
    stem = path.stem
    if not stem.isidentifier():
        return [
            error(
                f"model file name {path.name!r}: the file's stem is the model's class name, so it "
                "must be a Python identifier (letters, digits, _)"
            )
        ]
    classes = _module_classes(tree.body)
    named = [c for c in classes if c.name == stem]
    if not named:
        found = ", ".join(c.name for c in classes) or "none"
        return [
            error(
                f"model file {display} defines no class named {stem!r} (Bitfount needs exactly one "
                f"model class, named like the file; top-level classes found: {found})"
            )
        ]
    problems: list[Problem] = []
    if len(named) > 1:
        problems.append(
            Problem(
                "error",
                f"class {stem!r} is defined {len(named)} times; Bitfount needs exactly one",
                (),
                display,
                named[1].lineno,
                named[1].col_offset + 1,
            )
        )
    for other in classes:
        if other.name != stem and any(_base_name(b).endswith("BitfountModel") for b in other.bases):
            problems.append(
                Problem(
                    "error",
                    f"class {other.name!r} is a second model class; Bitfount needs exactly one "
                    f"model class per file, named {stem!r}",
                    (),
                    display,
                    other.lineno,
                    other.col_offset + 1,
                )
            )
    if not problems:
        problems.extend(_protocol_problems(named[0], classes, stem, display))
    return problems


def _protocol_problems(
    cls: ast.ClassDef, classes: list[ast.ClassDef], stem: str, display: str
) -> list[Problem]:
    """Bitfount's uploader check ``issubclass(cls, BaseModelProtocol)``, read statically."""
    missing, unknown = _missing_methods(cls, {c.name: c for c in classes}, set())
    if not missing:
        return []
    names = " and ".join(missing)
    where = (display, cls.lineno, cls.col_offset + 1)
    if not unknown:
        return [
            Problem(
                "error",
                f"class {stem!r} neither defines {names} nor inherits it from a Bitfount "
                "model class: "
                f"Bitfount's uploader refuses it (\"Model ... must implement "
                'BaseModelProtocol"), after it has uploaded other files. Inherit from '
                "PyTorchBitfountModel (or another Bitfount model class) or define "
                f"{' and '.join(catalog.MODEL_PROTOCOL_METHODS)}",
                (),
                *where,
            )
        ]
    return [
        Problem(
            "warning",
            f"class {stem!r} does not define {names} itself, and taskwizard does not know "
            f"its base{'s' if len(unknown) > 1 else ''} {', '.join(sorted(unknown))}: "
            "Bitfount's uploader will check that the class has initialise_model and "
            "deserialize (BaseModelProtocol) and refuse it otherwise",
            (),
            *where,
        )
    ]


def _missing_methods(
    cls: ast.ClassDef, local: dict[str, ast.ClassDef], seen: set[str]
) -> tuple[list[str], set[str]]:
    """(protocol methods neither defined nor certainly inherited, unknown base names)."""
    seen = seen | {cls.name}
    defined = _defined_names(cls)
    missing = [m for m in catalog.MODEL_PROTOCOL_METHODS if m not in defined]
    unknown: set[str] = set()
    for base in cls.bases:
        if not missing:
            break
        name = _base_name(base)
        if name in catalog.MODEL_BASES_WITH_PROTOCOL:
            return [], set()
        if name in local and name not in seen:
            inherited, deeper = _missing_methods(local[name], local, seen)
            missing = [m for m in missing if m in inherited]
            unknown |= deeper
        elif name not in catalog.MODEL_BASES_WITHOUT_PROTOCOL:
            unknown.add(name or ast.unparse(base))
    return missing, unknown if missing else set()


def _defined_names(cls: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _module_classes(body: list[ast.stmt]) -> list[ast.ClassDef]:
    """Classes the module defines when imported (also inside top-level if/try/with)."""
    found: list[ast.ClassDef] = []
    for node in body:
        if isinstance(node, ast.ClassDef):
            found.append(node)
        elif isinstance(node, ast.If | ast.With | ast.For | ast.While):
            found.extend(_module_classes(node.body))
            found.extend(_module_classes(getattr(node, "orelse", [])))
        elif isinstance(node, ast.Try | ast.TryStar):
            for block in (node.body, node.orelse, node.finalbody):
                found.extend(_module_classes(block))
            for handler in node.handlers:
                found.extend(_module_classes(handler.body))
    return found


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _base_name(node.value)
    return ""


def _missing(what: str, path: Path, display: str) -> str:
    """ "not found", or what is wrong with a symbolic link (a loop, a missing target)."""
    if path.is_symlink():
        from taskwizard.model.reading import unreadable_reason

        reason = unreadable_reason(path, limit=catalog.WEIGHTS_FILE_MAX_BYTES)
        if reason is not None:
            return f"{what} {display} {reason}"
    return f"{what} not found: {display}"


def check_weights_file(path: Path, *, display: str) -> list[Problem]:
    try:
        if not path.exists():
            return [error(_missing("weights file", path, display))]
        if not path.is_file():
            return [error(f"weights file {display} is not a file")]
        size = path.stat().st_size
    except OSError as exc:
        return [error(f"cannot read weights file {display}: {exc.strerror or exc}")]
    if size > catalog.WEIGHTS_FILE_MAX_BYTES:
        return [
            error(
                f"weights file {display} is {size:,} bytes; the Hub takes at most 500 MiB "
                f"({catalog.WEIGHTS_FILE_MAX_BYTES:,} bytes)"
            )
        ]
    if size == 0:
        return [warning(f"weights file {display} is empty")]
    return []
