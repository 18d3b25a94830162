"""pydantic models of Bitfount 13's task YAML (``ModellerConfig`` /
``TemplatedModellerConfig``), built once at import.

Every model forbids unknown keys, as Bitfount's marshmallow schemas do
(``unknown=RAISE``). ``task.protocol`` and ``task.algorithm`` are typed
``Any`` here: :mod:`taskwizard.model.validate` dispatches each entry on its
``name`` to the catalog entry and validates it with the argument model
generated from the catalog (:data:`PROTOCOL_ENTRY_MODELS`,
:data:`ALGORITHM_ENTRY_MODELS`), so a mistake is reported against the one
class the user meant, never against all 23/52.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PlainValidator,
    TypeAdapter,
)

from taskwizard.model import catalog
from taskwizard.model.kinds import (
    Aggregator,
    Float,
    Int,
    StrOrStrList,
    fields_model,
)
from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.schema import (
    TEMPLATABLE,
    Forbid,
    describe,
    fail,
    fail_message,
    one_of,
)

# ------------------------------------------------------------------ value checkers


def _table(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return value
    raise fail(f"must be a table name or a mapping of pod name to table (got {describe(value)})")


TableName = Annotated[Any, PlainValidator(_table)]


# ------------------------------------------------------- argument models from the catalog


def arguments_model(component: catalog.Component) -> type[BaseModel]:
    return fields_model(f"{component.short_name}Arguments", component.arguments)


@functools.cache
def splitter_arguments_model(splitter: str) -> type[BaseModel]:
    """The model of one data splitter's ``data_split.args`` (from the catalog)."""
    arguments = catalog.DATA_SPLITTER_ARGUMENTS[splitter]
    return fields_model(f"{splitter}SplitterArgs", arguments, all_optional=True)


@functools.cache
def argument_model(name: str) -> type[BaseModel]:
    """The arguments model of a known component, built on first use (keeps import fast)."""
    component = catalog.PROTOCOLS.get(name) or catalog.ALGORITHMS[name]
    return arguments_model(component)


# ------------------------------------------------------- model (inside a model algorithm)


class BitfountModelRef(Forbid):
    model_ref: str
    model_version: Int | None = None
    username: str | None = None
    weights: str | None = None


class ModelStructure(Forbid):
    name: str
    # Bitfount: fields.Dict with a default of {}, so null is refused.
    arguments: dict[str, Any] = Field(default_factory=dict)


class LoggerConfig(Forbid):
    name: str
    save_dir: str = "bitfount_logs"
    params: dict[str, Any] | None = None


def _number_or_numbers(value: Any) -> Any:
    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

    if number(value) or (isinstance(value, list) and all(number(v) for v in value)):
        return value
    raise fail(f"must be a number or a list of numbers (got {describe(value)})")


class DPConfig(Forbid):
    epsilon: Float
    max_grad_norm: Annotated[Any, PlainValidator(_number_or_numbers)] = 1.0
    noise_multiplier: Float = 0.4
    alphas: list[Float] | None = None
    delta: Float = 1e-6
    loss_reduction: Literal["mean", "sum"] = "mean"
    auto_fix: bool = True


class ModelConfig(Forbid):
    name: str | None = None
    structure: ModelStructure | None = None
    bitfount_model: BitfountModelRef | None = None
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    logger_config: LoggerConfig | None = None
    dp_config: DPConfig | None = None


class ProtocolEntry(Forbid):
    """``task.protocol`` whose name matched a catalog entry (arguments checked apart)."""

    name: str
    arguments: dict[Any, Any] | None = None  # keys checked by the arguments model


class AlgorithmEntry(Forbid):
    """``task.algorithm[i]`` of an algorithm that takes no model."""

    name: str
    arguments: dict[Any, Any] | None = None


class ModelAlgorithmEntry(Forbid):
    """``task.algorithm[i]`` of one of the four model algorithms."""

    name: str
    arguments: dict[Any, Any] | None = None
    model: ModelConfig | None = None
    pretrained_file: str | None = None


# ------------------------------------------------------------------ data_structure


class TableConfig(Forbid):
    table: TableName
    schema_types_override: dict[str, Any] | None = None


class Assign(Forbid):
    target: StrOrStrList | None = None
    image_cols: Annotated[list[str] | None, TEMPLATABLE] = None
    image_prefix: Annotated[str | None, TEMPLATABLE] = None


class Select(Forbid):
    include: Annotated[list[str] | None, TEMPLATABLE] = None
    include_prefix: str | None = None
    exclude: list[str] | None = None


class Transform(Forbid):
    dataset: list[Any] | None = None
    batch: list[Any] | None = None
    image: list[Any] | None = None
    auto_convert_grayscale_images: bool = True


class DataSplit(Forbid):
    data_splitter: Literal["percentage", "predefined"] = "percentage"
    # Bitfount: a Union of the splitters' schemas with a default of {} (null refused).
    args: dict[str, Any] = Field(default_factory=dict)


def _schema_requirements(value: Any) -> Any:
    levels = catalog.SCHEMA_REQUIREMENT_LEVELS
    if isinstance(value, str):
        if value in levels:
            return value
        raise fail(one_of(levels, value))
    if isinstance(value, Mapping):
        for key, names in value.items():
            if key not in levels:
                raise fail(f"keys must be one of: {', '.join(levels)} (got {describe(key)})")
            if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
                raise fail(f"values must be lists of datasource type names (at {key!r})")
        return value
    raise fail(
        f"must be one of: {', '.join(levels)}, or a mapping of level to datasource type "
        f"names (got {describe(value)})"
    )


def _filter_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        raise fail_message(
            f"filter value {describe(value)}: YAML reads an unquoted date as a date and "
            f"Bitfount rejects it; write {{year: {value.year}, month: {value.month}, "
            f'day: {value.day}}} or quote it: "{value.isoformat()}"'
        )
    return value


class TaskFilter(Forbid):
    filter_type: Literal[catalog.FILTER_TYPES]  # type: ignore[valid-type]
    value: Annotated[Any, PlainValidator(_filter_value)] = None


class DataStructure(Forbid):
    table_config: TableConfig | None = None
    assign: Assign | None = None
    select: Select | None = None
    transform: Transform | None = None
    data_split: DataSplit | None = None
    schema_requirements: Annotated[Any, PlainValidator(_schema_requirements)] = "partial"
    compatible_datasources: list[str] | None = None
    filter: Annotated[list[TaskFilter] | None, TEMPLATABLE] = None


# ------------------------------------------------------------------ task and top level


class Task(Forbid):
    protocol: Any
    algorithm: Any
    data_structure: DataStructure
    aggregator: Aggregator | None = None
    transformation_file: str | None = None
    primary_results_path: str | None = None


class Pods(Forbid):
    identifiers: list[str]


USERNAME_START_RE = re.compile(r"^[a-z0-9]")
POD_NAME_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def _username(value: Any) -> Any:
    if not isinstance(value, str):
        raise fail(f"must be a string (got {describe(value)})")
    if value == "_default" or USERNAME_START_RE.match(value):
        return value
    if is_placeholder(value):
        return value
    raise fail(
        f"must start with a lowercase letter or digit (got {describe(value)}); Bitfount "
        "usernames are lowercase letters and digits, with '-' or '_' between them"
    )


class Modeller(Forbid):
    username: Annotated[Any, PlainValidator(_username)] = "_default"
    identity_verification_method: Literal[catalog.IDENTITY_VERIFICATION_METHODS] = (  # type: ignore[valid-type]
        "oidc-device-code"
    )
    private_key_file: str | None = None


class ApiKeys(Forbid):
    access_key_id: str
    access_key: str


class Secrets(Forbid):
    access_key_id: str | None = None
    access_key: str | None = None
    bitfount: ApiKeys | None = None
    ehr: ApiKeys | None = None


_URL_RE = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)


def _url(value: Any) -> Any:
    if isinstance(value, str) and _URL_RE.match(value):
        return value
    raise fail(f"must be a URL such as https://hub.bitfount.com (got {describe(value)})")


class HubConfig(Forbid):
    url: Annotated[Any, PlainValidator(_url)] = "https://hub.bitfount.com"


class MessageService(Forbid):
    url: str = "messaging.bitfount.com"
    port: Int = 443
    tls: bool = True
    use_local_storage: bool = False


def _version(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise fail_message(
        f"version must be a quoted string (got {describe(value)}: YAML reads it as a "
        f'number and Bitfount rejects it); write version: "{suggest_version(value)}"'
    )


def suggest_version(value: Any) -> str:
    text = str(value)
    for candidate in (text, text + ".0"):
        if candidate in catalog.KNOWN_TASK_VERSIONS:
            return candidate
    return catalog.LATEST_TASK_VERSION


TemplBool = Annotated[bool, TEMPLATABLE]


class TaskYaml(Forbid):
    pods: Pods
    task: Task
    modeller: Modeller | None = None
    secrets: Secrets | None = None
    hub: HubConfig | None = None
    message_service: MessageService | None = None
    version: Annotated[Any, PlainValidator(_version)] = None
    project_id: str | None = None
    run_on_new_data_only: TemplBool = False
    batched_execution: bool | None = None
    test_run: TemplBool = False
    force_rerun_failed_files: TemplBool = True
    enable_anonymized_tracker_upload: TemplBool = False
    requires_ehr_connection: TemplBool = False
    supports_mps: bool | None = None
    task_run_metadata: dict[str, Any] | None = None
    template: Any = None


TASK_ADAPTER: TypeAdapter[TaskYaml] = TypeAdapter(TaskYaml)
