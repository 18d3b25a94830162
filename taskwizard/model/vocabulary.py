"""Bitfount 13's fixed vocabularies as plain constants: template types and tags,
config keys, size limits, identity methods, filter types, task versions and
the wizard's one-line field help.

They live apart from :mod:`taskwizard.model.catalog` (which re-exports them)
only because they are cheap to import: the wizard's first screen needs them,
while the catalog's protocols and algorithms are built later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --------------------------------------------------------------------------
# Task-templates config vocabularies
# --------------------------------------------------------------------------

TEMPLATE_TYPES: tuple[str, ...] = (
    "image-classification",
    "image-segmentation",
    "text-classification",
    "text-generation",
    "object-detection",
    "tabular-classification",
    "tabular-regression",
    "tabular-analytics",
    "data-transfer",
    "token-classification",
    "image-text-to-text",
    "recommender-system",
    "ehr-search",
)

TEMPLATE_TYPE_HELP: dict[str, str] = {
    "image-classification": "assign a label to each image",
    "image-segmentation": "mark the regions of each image (masks)",
    "text-classification": "assign a label to each text",
    "text-generation": "generate text from a prompt",
    "object-detection": "find and box objects in images",
    "tabular-classification": "predict a category from table columns",
    "tabular-regression": "predict a number from table columns",
    "tabular-analytics": "query or summarise tabular data (e.g. SQL)",
    "data-transfer": "move or extract data (e.g. CSV reports, uploads)",
    "token-classification": "label words in a text (e.g. named entities)",
    "image-text-to-text": "answer a text prompt about an image",
    "recommender-system": "recommend items",
    "ehr-search": "search electronic health records",
}

TAGS: tuple[str, ...] = (
    "Prediction",
    "Training",
    "Evaluation",
    "Querying",
    "Comparison",
    "File Selection",
    "Ophthalmology",
)

TAG_HELP: dict[str, str] = {
    "Prediction": "the task runs a model to make predictions",
    "Training": "the task trains or fine-tunes a model",
    "Evaluation": "the task evaluates a model",
    "Querying": "the task queries data (e.g. SQL)",
    "Comparison": "the task compares results",
    "File Selection": "the user selects the files the task runs on",
    "Ophthalmology": "the task is for eye imaging",
}

CONFIG_TOP_LEVEL_KEYS: tuple[str, ...] = ("task-templates", "models", "deprecated-task-templates")
TEMPLATE_ENTRY_KEYS: tuple[str, ...] = (
    "slug",
    "title",
    "type",
    "description",
    "template",
    "tags",
    "sampleDatasetDownloadUrl",
    "model_overrides",
)
MODEL_ENTRY_KEYS: tuple[str, ...] = ("model_file", "private", "weights_file")

MODEL_FILE_MAX_BYTES = 3 * 1024 * 1024
WEIGHTS_FILE_MAX_BYTES = 524_288_000

# --------------------------------------------------------------------------
# Task YAML vocabularies
# --------------------------------------------------------------------------

IDENTITY_VERIFICATION_METHODS: tuple[str, ...] = ("key-based", "oidc-auth-code", "oidc-device-code")
DEFAULT_IDENTITY_VERIFICATION_METHOD = "oidc-device-code"

FILTER_TYPES: tuple[str, ...] = (
    "file-creation-min-date",
    "file-creation-max-date",
    "file-modification-min-date",
    "file-modification-max-date",
    "min-dob",
    "max-dob",
    "min-file-size",
    "max-file-size",
    "min-frames",
    "max-frames",
    "check-required-fields",
    "required-field-names",
    "modality",
    "scan-acquisition-min-date",
    "scan-acquisition-max-date",
    "series-description",
    "inferred-scan-type",
)
DATE_FILTER_TYPES: frozenset[str] = frozenset(t for t in FILTER_TYPES if "date" in t or "dob" in t)
NUMBER_FILTER_TYPES: frozenset[str] = frozenset({"min-file-size", "max-file-size"})
INT_FILTER_TYPES: frozenset[str] = frozenset({"min-frames", "max-frames"})
MODALITIES: tuple[str, ...] = ("OCT", "SLO")

SCHEMA_REQUIREMENT_LEVELS: tuple[str, ...] = ("empty", "partial", "full")

DATASOURCE_TYPES: tuple[str, ...] = (
    "CSVSource",
    "DICOMSource",
    "ImageSource",
    "InterMineSource",
    "NIFTISource",
    "OMOPSource",
    "DICOMOphthalmologySource",
    "HeidelbergSource",
    "HeidelbergE2ESource",
    "TopconSource",
    "NullSource",
)
DEFAULT_COMPATIBLE_DATASOURCES: tuple[str, ...] = tuple(
    d for d in DATASOURCE_TYPES if d not in ("OMOPSource", "NullSource")
)

# Template-variable declaration types (``template:`` block), as Bitfount 13 names them.
VARIABLE_TYPES: tuple[str, ...] = (
    "string",
    "boolean",
    "number",
    "array of strings",
    "array of string arrays",
    "array of objects",
    "object",
    "file_path",
    "model_slug",
    "schema_column_name",
    "schema_column_name_array",
    "task_filters",
)

DATA_SPLITTERS: tuple[str, ...] = ("percentage", "predefined")

DP_LOSS_REDUCTIONS: tuple[str, ...] = ("mean", "sum")

SAVE_LOCATIONS: tuple[str, ...] = ("Worker", "Modeller")

CSV_FILTER_OPERATORS: tuple[str, ...] = (
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "equal",
    "equals",
    "not equal",
    "less than",
    "less than or equal",
    "greater than",
    "greater than or equal",
)
# Bitfount's ColumnFilter: any other operator needs a value float() accepts.
CSV_FILTER_EQUALITY_OPERATORS: tuple[str, ...] = ("==", "!=", "equal", "equals", "not equal")
CSV_FILTER_HOW: tuple[str, ...] = ("any", "all")
SORT_ORDERS: tuple[str, ...] = ("asc", "desc")  # CSVReportAlgorithm's DFSortType
# The HuggingFace generation algorithms' __post_init__ check.
TORCH_DTYPES: tuple[str, ...] = ("bfloat16", "float16", "float32", "float64")
MERGE_HOW: tuple[str, ...] = ("inner", "outer", "left", "right")

SQL_AGGREGATION_FUNCS: tuple[str, ...] = ("AVG", "SUM", "COUNT", "VAR", "VARIANCE", "STD", "STDDEV")

# --------------------------------------------------------------------------
# Task versions (bitfount/compatibility.py in SDK 13)
# --------------------------------------------------------------------------

LATEST_TASK_VERSION = "8.43.0"


def _minor_range(major: int, last_minor: int) -> tuple[str, ...]:
    return tuple(f"{major}.{minor}.0" for minor in range(last_minor + 1))


# The reference gives the legacy part only as "the 2.0.0-6.6.0 list" (32 entries),
# not entry by entry; we list the X.Y.0 versions of that span that it certainly
# contains the bounds of. An unlisted version only ever produces a warning.
_LEGACY_TASK_VERSIONS: tuple[str, ...] = (
    "2.0.0",
    *_minor_range(3, 4),
    *_minor_range(4, 6),
    *_minor_range(5, 10),
    *_minor_range(6, 6),
)

KNOWN_TASK_VERSIONS: tuple[str, ...] = (
    *_minor_range(7, 63),
    *_LEGACY_TASK_VERSIONS,
    *_minor_range(8, 43),
    *_minor_range(9, 21),
)
"""As Bitfount 13 lists them; the first entry is 7.0.0 (bitfount compares
unlisted versions against the first entry, see the reference §5)."""

V9_FLOW_KEYS: tuple[str, ...] = ("federation", "roles", "worker")

LEGACY_TASK_MAJOR_VERSION = 8


def task_major_version(task: Any) -> int:
    """The major version Bitfount 13's template uploader reads from a task YAML's
    ``version:`` — exactly its ``_template_major_version``: ``int(version.split(".")[0])``
    for a string, and 8 (legacy) when absent, not a string, or when that raises.

    So ``"9.1"`` and ``" 9"`` are 9, while ``"v9"``, ``"V9"`` and ``"9-rc1"`` are 8 (``int``
    refuses them). The validator and the upload plan both use this one reading.
    """
    version = task.get("version") if isinstance(task, Mapping) else None
    if not isinstance(version, str):
        return LEGACY_TASK_MAJOR_VERSION
    try:
        return int(version.split(".")[0])
    except ValueError:  # also thousands of digits (Python's 4,300-digit limit), as there
        return LEGACY_TASK_MAJOR_VERSION


# --------------------------------------------------------------------------
# One-line help per wizard field (the wizard's F1)
# --------------------------------------------------------------------------

FIELD_HELP: dict[str, str] = {
    "slug": "the template's id on the Hub; Bitfount lowercases it, turns everything "
    "outside a-z/0-9 into '-' and cuts it to 50 characters",
    "title": "the name users see for the template on the Hub",
    "type": "what kind of task this is; one of Bitfount's 13 template types",
    "description": "what the template does, shown to users on the Hub",
    "template": "the task YAML file for this template (Bitfount opens it relative to the "
    "current directory)",
    "tags": "labels for the template on the Hub, from Bitfount's fixed list (may be empty)",
    "sampleDatasetDownloadUrl": "optional link to a sample dataset users can try the template on",
    "model_overrides": "per-section model replacements; only for v9 templates",
    "model_file": "the Python file with your model class; the file name (without .py) "
    "becomes the model's name on the Hub and must match the class name",
    "weights_file": "optional trained weights for the model (at most 500 MiB)",
    "private": "keep the uploaded model private to you (default true)",
    "deprecated-task-templates": "slugs of templates to archive on the Hub",
    "pods.identifiers": "the pods (datasets) the task runs on: 'owner/pod-name' or "
    "'pod-name' (then your username is used as the owner)",
    "modeller.username": "the Bitfount user running the task (default: the logged-in user)",
    "modeller.identity_verification_method": "how the modeller proves who they are: "
    "oidc-device-code (default), oidc-auth-code or key-based",
    "modeller.private_key_file": "private key for key-based identity verification",
    "version": 'the task YAML format version, as a quoted string (latest v8: "8.43.0")',
    "protocol": "how the pods and the modeller work together (bitfount.X name)",
    "algorithm": "what runs on each pod's data: one algorithm or a list (bitfount.X names)",
    "model_ref": "the model's name on the Hub (its file name without .py) or a local file",
    "model_version": "which uploaded version of the model to use (a whole number)",
    "username": "the model's owner on the Hub; filled with the uploader's username if empty",
    "weights": "weights to load into the model",
    "hyperparameters": "free-form settings passed to the model (batch_size, epochs, ...)",
    "table": "the table (or pod name -> table) the task reads",
    "target": "the column(s) the model predicts",
    "image_cols": "columns holding images (file paths)",
    "image_prefix": "columns starting with this prefix hold images",
    "select.include": "the columns the task uses (nothing = all columns)",
    "select.include_prefix": "use every column starting with this prefix",
    "select.exclude": "columns the task leaves out",
    "schema_requirements": "how much of the pod's schema must match: empty, partial or full",
    "compatible_datasources": "the kinds of datasource the task can run on",
    "filter": "which files the task runs on (dates, sizes, frames, modality, ...)",
    "data_split": "how the data is split into training/validation/test sets",
    "aggregator": "how the pods' results are combined: {secure, weights}",
    "transformation_file": "a file of transformations applied before the task",
    "primary_results_path": "where the main results are written",
    "dp_config": "differential-privacy settings for training (epsilon required)",
    "logger_config": "training logger: {name, save_dir, params}",
}
