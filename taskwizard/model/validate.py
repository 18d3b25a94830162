"""Validation of task-templates configs and task YAMLs, as Bitfount 13 does it
(and a little better: it says where and what to change).

``validate_task`` and ``validate_config`` are pure and fast (the wizard calls
them on every keystroke): plain data in, path-based :class:`Problem` s out.
``check_*`` look at the file system; ``validate_paths`` reads files with
positions and returns one :class:`FileReport` per file.

Severity policy: a file Bitfount accepts (schema and the runtime checks it
makes before a task runs) is never given an error, only warnings; the YAML
traps :mod:`yamlio` reports are the exception.

This module is the one to import; the checks are split by concern:
:mod:`check_task` (the task YAML), :mod:`check_data` (its data structure),
:mod:`check_config` (the task-templates config), :mod:`check_files` (files
named by either, and ``validate_paths``). Facts about Bitfount (argument
kinds, rules across fields, vocabularies) are data in :mod:`catalog`,
:mod:`kinds` and :mod:`rules`, not code here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskwizard.model.check_config import big_config, validate_config
from taskwizard.model.check_files import (
    FileReport,
    Kind,
    check_config_files,
    check_task_files,
    detect_kind,
    find_config_file,
    locate,
    swallowed_keys,
    validate_paths,
)
from taskwizard.model.check_task import validate_task
from taskwizard.model.exact import exact_bytes
from taskwizard.model.modelfile import check_model_file, check_weights_file
from taskwizard.model.problems import Problem
from taskwizard.model.vocabulary import task_major_version

__all__ = [
    "FileReport",
    "Kind",
    "check_config_files",
    "check_model_file",
    "check_task_files",
    "check_weights_file",
    "detect_kind",
    "find_config_file",
    "locate",
    "swallowed_keys",
    "task_major_version",
    "validate_config",
    "validate_config_reusing",
    "validate_paths",
    "validate_task",
    "validate_task_reusing",
]


class LastValidation:
    """A validator that gives back its last problems while the document is unchanged.

    The wizard validates on every keystroke, but a keystroke changes one document:
    the other one's problems are the same as last time (0.3-0.6 ms saved per key
    with a 50-template config). "Unchanged" is decided by the document's exact bytes
    (:func:`exact.exact_bytes`), not by ``==`` (``1 == True == 1.0`` validate
    differently). The validators are pure (plain data in, problems out), so equal
    bytes give equal problems. One result is kept, as one tuple (read and written at
    once, so a thread validating a draft meanwhile cannot mix two results).
    """

    def __init__(
        self,
        validate: Callable[[Any], list[Problem]],
        reuse_if: Callable[[Any], bool] = lambda document: True,
    ) -> None:
        self._validate = validate
        self._reuse_if = reuse_if
        self._last: tuple[bytes, tuple[Problem, ...]] | None = None

    def __call__(self, document: Any) -> list[Problem]:
        if not self._reuse_if(document):
            return self._validate(document)
        key = exact_bytes(document)
        if key is None:
            return self._validate(document)  # no exact bytes (a date): validated every time
        last = self._last
        if last is not None and last[0] == key:
            return list(last[1])
        problems = self._validate(document)
        self._last = (key, tuple(problems))
        return problems


#: :func:`validate_config` / :func:`validate_task`, reusing the last result while the
#: document is unchanged (the wizard's per-keystroke validation).
#: A big config is not fingerprinted whole here: ``validate_config`` already reuses each unchanged
#: entry's problems (``check_config._EntryMemo``), and writing 30,000 entries' bytes on every key
#: would cost as much again (≈ 18 ms).
validate_config_reusing = LastValidation(
    validate_config, reuse_if=lambda data: not big_config(data)
)
validate_task_reusing = LastValidation(validate_task)
