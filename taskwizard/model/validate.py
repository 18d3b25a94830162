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

from taskwizard.model.check_config import validate_config
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
from taskwizard.model.modelfile import check_model_file, check_weights_file
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
    "validate_paths",
    "validate_task",
]
