"""Step 6: the task's data structure — which table and columns the task uses."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from taskwizard.model import catalog
from taskwizard.model.problems import DocPath
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.steps.base import StepView
from taskwizard.tui.widgets.fields import Field
from taskwizard.tui.widgets.quiet import update_static

DS: DocPath = ("task", "data_structure")
#: The sections of data_structure this form edits; each disappears when emptied.
FORM_SECTIONS = ("table_config", "assign", "select")


class DataStep(StepView):
    step_id = "data"
    title = "Data structure"
    intro = "Which table and columns of the dataset the task uses. Everything here is optional."
    help_text = (
        "`task.data_structure` describes the data the task reads: the table, the target "
        "column(s) a model predicts, the columns holding images, and which columns to use or "
        "leave out (nothing selected = all columns). It is required but may be empty. "
        "Transforms, data splits, filters and schema requirements are edited as raw YAML "
        "(Ctrl+E)."
    )
    RAW_VIEW = ("task", ("task",), ("data_structure",))

    def compose_form(self) -> ComposeResult:
        help_ = catalog.FIELD_HELP
        table = self.tw_app.state.get("task", (*DS, "table_config", "table"))
        if isinstance(table, dict):
            yield Static(
                "[b]Table[/b]: one table per pod (a mapping) — edit it in the raw YAML view "
                "(Ctrl+E).",
                id="table-mapping",
            )
        else:
            yield Field(
                "task",
                (*DS, "table_config", "table"),
                "Table",
                id="field-table",
                placeholder="optional",
                help=help_.get("table", ""),
            )
        yield Field(
            "task",
            (*DS, "assign", "target"),
            "Target column(s)",
            kind="str_list",
            id="field-target",
            placeholder="optional, e.g. label",
            hint="One or more columns",
            help=help_.get("target", ""),
        )
        yield Field(
            "task",
            (*DS, "assign", "image_cols"),
            "Image columns",
            kind="str_list",
            id="field-image-cols",
            placeholder="optional, e.g. image_path",
            help=help_.get("image_cols", ""),
        )
        yield Field(
            "task",
            (*DS, "select", "include"),
            "Selected columns",
            kind="str_list",
            id="field-include",
            placeholder="optional: nothing = all columns",
            help=help_.get("select.include", ""),
        )
        yield Field(
            "task",
            (*DS, "select", "exclude"),
            "Excluded columns",
            kind="str_list",
            id="field-exclude",
            placeholder="optional",
            help=help_.get("select.exclude", ""),
        )
        yield Static("", id="data-raw-hint", classes="field--hint")

    def on_mount(self) -> None:
        self._update_raw_hint()

    def on_state_edited(self, event: StateEdited) -> None:
        # Not stopped: the wizard screen validates after this tidy-up.
        if event.path[: len(DS)] == DS:
            tidy_data_structure(self.tw_app.state.task)
        self._update_raw_hint()

    def _update_raw_hint(self) -> None:
        node = self.tw_app.state.get("task", DS)
        others = [k for k in node if k not in FORM_SECTIONS] if isinstance(node, dict) else []
        text = (
            "Everything else — transform, data_split, filter, schema_requirements, "
            "compatible_datasources — is in the raw YAML view: [b]Ctrl+E[/b]."
        )
        if others:
            text += " Set there now: " + ", ".join(others) + "."
        update_static(self.query_one("#data-raw-hint", Static), text)


def tidy_data_structure(task: dict[str, Any]) -> None:
    """Drop the form's sections once emptied; a one-column target is written as a string.

    ``data_structure`` itself stays (``{}`` is valid, and it is required).
    """
    body = task.get("task")
    if not isinstance(body, dict):
        return
    ds = body.get("data_structure")
    if not isinstance(ds, dict):
        body["data_structure"] = {}
        return
    assign = ds.get("assign")
    if isinstance(assign, dict):
        target = assign.get("target")
        if isinstance(target, list) and len(target) == 1:
            assign["target"] = target[0]
        elif target == []:
            del assign["target"]
    for section in FORM_SECTIONS:
        if ds.get(section) == {}:
            del ds[section]
