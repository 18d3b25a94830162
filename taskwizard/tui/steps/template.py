"""Step 1: the task template's entry in the task-templates config."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from taskwizard.model import vocabulary
from taskwizard.model.slug import sanitise_slug
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.steps.base import RawView, StepView
from taskwizard.tui.widgets.fields import Field
from taskwizard.tui.widgets.quiet import update_static


class TemplateStep(StepView):
    step_id = "template"
    title = "Template"
    intro = "How the task template appears on the Bitfount Hub."
    help_text = (
        "A task template is a reusable task that people run on their datasets from the "
        "Bitfount Hub. Its entry in the task-templates config names it (slug), describes it, "
        "says what kind of task it is (type) and points at the task YAML (written on the "
        "Review step)."
    )

    #: What the slug's preview line shows (a new line, after a recompose, shows nothing yet).
    _slug_shown: tuple[str, ...] | None = None

    @property
    def raw_view(self) -> RawView | None:
        return ("config", self.tw_app.state.entry_path, None)

    def compose_form(self) -> ComposeResult:
        base = self.tw_app.state.entry_path
        help_ = vocabulary.FIELD_HELP
        yield Field(
            "config",
            (*base, "slug"),
            "Slug",
            required=True,
            id="field-slug",
            placeholder="e.g. retina-image-classifier",
            help=help_.get("slug", ""),
        )
        self._slug_shown = None
        yield Static("", id="slug-preview", classes="field--hint")
        yield Field(
            "config",
            (*base, "title"),
            "Title",
            required=True,
            id="field-title",
            help=help_.get("title", ""),
        )
        yield Field(
            "config",
            (*base, "type"),
            "Type",
            kind="choice",
            required=True,
            choices=vocabulary.TEMPLATE_TYPES,
            id="field-type",
            help=help_.get("type", ""),
        )
        yield Field(
            "config",
            (*base, "description"),
            "Description",
            kind="text",
            required=True,
            id="field-description",
            help=help_.get("description", ""),
        )
        yield Field(
            "config",
            (*base, "tags"),
            "Tags",
            kind="multi",
            # Not marked required: Bitfount needs the key (list[TaskTemplateTag], no
            # default) but no tag in it; an empty choice is written as `tags: []`.
            required=False,
            keep_empty=True,
            choices=vocabulary.TAGS,
            id="field-tags",
            hint="Space toggles a tag. None at all is fine (written as tags: []).",
            help=help_.get("tags", ""),
        )
        yield Field(
            "config",
            (*base, "sampleDatasetDownloadUrl"),
            "Sample dataset URL",
            id="field-sample-url",
            placeholder="https://… (optional)",
            help=help_.get("sampleDatasetDownloadUrl", ""),
        )

    def on_mount(self) -> None:
        self._update_slug_preview()

    def on_state_edited(self, event: StateEdited) -> None:
        # Not stopped: the wizard screen validates after every edit.
        self._update_slug_preview()

    def reload(self) -> None:
        super().reload()
        self._update_slug_preview()

    def _update_slug_preview(self) -> None:
        """ "Bitfount will use: <the sanitised slug>" under the slug, on every key in it.

        Built as Content, not markup: nothing to parse on a key, and no markup in what
        was typed can reach it (the sanitised slug has none; "(empty)" none either).
        """
        raw = self.tw_app.state.entry.get("slug") or ""
        if not isinstance(raw, str) or not raw:
            parts: tuple[str, ...] = ("—",)
        else:
            clean = sanitise_slug(raw)
            parts = (
                (clean, " ✓")
                if clean == raw
                else (clean or "(empty)", " (sanitised from what you typed)")
            )
        if parts == self._slug_shown:
            return
        self._slug_shown = parts
        preview = self.query_one("#slug-preview", Static)
        if len(parts) == 1:
            update_static(preview, Content("Bitfount will use: " + parts[0]))
        else:
            update_static(
                preview, Content.assemble("Bitfount will use: ", (parts[0], "bold"), parts[1])
            )
