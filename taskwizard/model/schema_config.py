"""pydantic models of Bitfount 13's task-templates config (the upload config).

Bitfount reads it with pydantic's defaults, which *ignore* unknown keys; the
models here keep them (``extra="allow"``) so that :mod:`validate` can warn
about them: a misspelt optional key such as ``sampleDatasetDownloadURL``
silently disappears on upload.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, TypeAdapter

from taskwizard.model import catalog
from taskwizard.model.schema import Allow

TemplateType = Literal[catalog.TEMPLATE_TYPES]  # type: ignore[valid-type]
Tag = Literal[catalog.TAGS]  # type: ignore[valid-type]


class ModelOverride(Allow):
    model_ref: str
    model_username: str
    model_version: int


class TaskTemplateEntry(Allow):
    slug: str
    title: str
    type: TemplateType
    description: str
    template: str
    tags: list[Tag]
    sampleDatasetDownloadUrl: str | None = None  # noqa: N815 (Bitfount's spelling)
    model_overrides: dict[str, ModelOverride] | None = None


class ModelEntry(Allow):
    model_file: str
    private: bool = True
    weights_file: str | None = None


class DeprecatedTemplateEntry(Allow):
    slug: str


class TaskTemplatesConfig(Allow):
    task_templates: list[TaskTemplateEntry] | None = Field(default=None, alias="task-templates")
    models: list[ModelEntry] | None = None
    deprecated_task_templates: list[DeprecatedTemplateEntry] | None = Field(
        default=None, alias="deprecated-task-templates"
    )


CONFIG_ADAPTER: TypeAdapter[TaskTemplatesConfig] = TypeAdapter(TaskTemplatesConfig)
#: One ``task-templates`` entry, for checking a big config entry by entry (``check_config``).
ENTRY_ADAPTER: TypeAdapter[TaskTemplateEntry] = TypeAdapter(TaskTemplateEntry)
