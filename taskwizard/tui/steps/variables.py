"""Step 7: template variables — the questions a template asks whoever runs it.

The ``template:`` block of the task YAML, one form per declaration (its type's
own fields, from ``variables.parse_declaration``; new ones written with
``variables.declaration_to_yaml``), and a preview of the task as it will run
with the defaults — or values typed here — substituted and validated like any
task. Fields on the other steps are bound to variables with Ctrl+B.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Button, Input, Static

from taskwizard.model import catalog, variables
from taskwizard.model.problems import DocPath, Problem, path_text
from taskwizard.tui.dialogs.new_variable import NewVariableDialog
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.steps.base import RefocusingStep
from taskwizard.tui.widgets.arguments import YamlValueField
from taskwizard.tui.widgets.fields import Field
from taskwizard.tui.widgets.keyvalue import YamlScalarField, format_scalar, parse_yaml_value
from taskwizard.tui.widgets.variable_binding import replace_task

TEMPLATE: DocPath = ("template",)
#: Seconds of quiet typing before the preview is substituted, validated and redrawn.
PREVIEW_DELAY = 0.25

#: Where each declaration type keeps its own fields: ``type: {<key>: {...}}``.
NESTED_TYPES = (
    "file_path",
    "model_slug",
    "schema_column_name",
    "schema_column_name_array",
    "task_filters",
)


class VariableCard(Vertical):
    DEFAULT_CSS = """
    VariableCard { height: auto; border: round $primary 50%; padding: 0 1; margin: 0 0 1 0; }
    VariableCard:focus-within { border: round $accent; }
    VariableCard > .card--note { color: $text-muted; }
    VariableCard > Button { margin: 0; }
    """

    def __init__(self, name: str, index: int, type_key: str | None) -> None:
        super().__init__(id=f"variable-{index}", classes="variable-card")
        self.variable = name
        self.border_title = f"{{{{ {name} }}}} · {type_key or 'type not understood'}"


def _try_placeholder(name: str, declaration: Any) -> str:
    """What an empty preview value stands for: the variable's default, if it has one."""
    spec, _ = variables.parse_declaration(name, declaration)
    if spec is None or not spec.has_default:
        return "no default: type a value"
    return f"default: {format_scalar(spec.default)}"


class VariablesStep(RefocusingStep):
    step_id = "variables"
    title = "Variables"
    intro = (
        "Questions the template asks whoever runs it. Ctrl+T adds a variable; on any other "
        "step, Ctrl+B binds the field you are on to one."
    )
    help_text = (
        "A task template declares variables under 'template:' and uses them in the task as "
        '"{{ name }}" placeholders: whoever runs the template fills them in (or takes the '
        'default). Only a whole value exactly "{{ name }}" is replaced. A model_slug '
        "variable cannot have a default. The preview at the bottom shows the task as it will "
        "run with the defaults, or with values you type there, substituted and validated."
    )
    RAW_VIEW = ("task", (), ("template",))
    BINDINGS = [
        Binding("ctrl+t", "add_variable", "Add"),
        Binding("ctrl+r", "remove_variable", "Remove variable", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: Values typed in the preview (variable -> YAML text); not part of the documents.
        self.try_values: dict[str, str] = {}
        self._preview_timer: Timer | None = None

    # ------------------------------------------------------------ compose
    def declarations(self) -> list[tuple[str, Any]]:
        block = self.tw_app.state.get("task", TEMPLATE)
        return [(str(k), v) for k, v in block.items()] if isinstance(block, dict) else []

    def compose_form(self) -> ComposeResult:
        declared = self.declarations()
        if not declared:
            yield Static(
                "No variables yet: the template runs exactly as written.", classes="field--hint"
            )
        for index, (name, decl) in enumerate(declared):
            spec, _ = variables.parse_declaration(name, decl)
            with VariableCard(name, index, spec.type_key if spec else None):
                yield from self._compose_variable(index, name, spec)
        yield Button("+ Add variable (Ctrl+T)", id="add-variable")
        yield Static("Preview: the task as it will run", classes="field--label", id="preview-title")
        for index, (name, decl) in enumerate(declared):
            yield Static(f"Value for {{{{ {name} }}}}", classes="try--label")
            yield Input(
                self.try_values.get(name, ""),
                placeholder=_try_placeholder(name, decl),
                id=f"try-{index}",
                classes="try-value",
            )
        yield Static("", id="variables-preview-problems")
        yield Static("", id="variables-preview")

    def _compose_variable(
        self, index: int, name: str, spec: variables.VariableSpec | None
    ) -> Iterator[Any]:
        base: DocPath = (*TEMPLATE, name)
        yield Field(
            "task",
            (*base, "label"),
            "Label",
            required=True,
            id=f"variable-{index}-label",
            help="the question shown to whoever runs the template",
        )
        yield Field(
            "task",
            (*base, "tooltip"),
            "Tooltip",
            id=f"variable-{index}-tooltip",
            help="optional explanation shown next to the question",
        )
        if spec is None:
            yield Static(
                "This declaration's type is not understood: fix it in the raw YAML (Ctrl+E).",
                classes="card--note",
            )
        else:
            yield from self._type_fields(index, base, spec)
        yield Button("✕ Remove variable", classes="remove-variable", variant="error")

    def _type_fields(
        self, index: int, base: DocPath, spec: variables.VariableSpec
    ) -> Iterator[Any]:
        key = spec.type_key
        nested: DocPath = (*base, "type", key)
        fid = f"variable-{index}"
        default: DocPath = (*base, "default")
        if key == "string":
            yield Field(
                "task", (*base, "pattern"), "Pattern (regular expression)", id=f"{fid}-pattern"
            )
            yield Field(
                "task",
                (*base, "minLength"),
                "Minimum length",
                kind="int",
                placeholder="default: 1",
                id=f"{fid}-minLength",
            )
            yield Field(
                "task",
                (*base, "enum"),
                "Allowed values",
                kind="str_list",
                hint="Empty = any text",
                id=f"{fid}-enum",
            )
            yield Field("task", default, "Default", id=f"{fid}-default")
        elif key == "boolean":
            yield YamlScalarField(
                "task",
                default,
                "Default",
                placeholder="true or false (empty = no default)",
                id=f"{fid}-default",
            )
        elif key == "number":
            yield YamlScalarField(
                "task",
                (*base, "minimum"),
                "Minimum",
                placeholder="empty = no minimum",
                id=f"{fid}-minimum",
            )
            yield YamlScalarField(
                "task",
                default,
                "Default",
                placeholder="a number (empty = no default)",
                id=f"{fid}-default",
            )
        elif key.startswith("array of"):
            yield Field(
                "task", (*base, "minItems"), "Minimum items", kind="int", id=f"{fid}-minItems"
            )
            if key == "array of strings":
                yield Field(
                    "task",
                    default,
                    "Default",
                    kind="str_list",
                    id=f"{fid}-default",
                )
            else:
                yield YamlValueField(
                    "task",
                    default,
                    "Default (YAML list)",
                    id=f"{fid}-default",
                    hint="e.g. [[a, b], [c]]"
                    if key == "array of string arrays"
                    else "e.g. [{a: 1}]",
                )
        elif key == "object":
            yield YamlValueField("task", default, "Default (YAML mapping)", id=f"{fid}-default")
        elif key == "file_path":
            yield Field(
                "task",
                (*nested, "extension"),
                "Extension",
                placeholder="e.g. csv (no dot)",
                id=f"{fid}-extension",
            )
            yield Field("task", default, "Default", id=f"{fid}-default")
        elif key == "model_slug":
            yield Field(
                "task",
                (*nested, "provider"),
                "Provider",
                required=True,
                placeholder="e.g. huggingface",
                id=f"{fid}-provider",
            )
            yield Field(
                "task",
                (*nested, "library"),
                "Library",
                required=True,
                placeholder="e.g. transformers",
                id=f"{fid}-library",
            )
            yield Field(
                "task",
                (*nested, "pipeline_tag"),
                "Pipeline tag",
                placeholder="e.g. image-classification",
                id=f"{fid}-pipeline_tag",
            )
            yield Field("task", (*nested, "author"), "Author", id=f"{fid}-author")
            yield Static(
                "A model_slug variable has no default: whoever runs the template picks the model.",
                classes="card--note",
            )
        elif key in ("schema_column_name", "schema_column_name_array"):
            yield Field(
                "task",
                (*nested, "semantic_type"),
                "Semantic type",
                kind="choice",
                choices=variables.SEMANTIC_TYPES,
                placeholder="any column",
                id=f"{fid}-semantic_type",
            )
            if key == "schema_column_name":
                yield Field("task", default, "Default column", id=f"{fid}-default")
            else:
                yield Field(
                    "task",
                    default,
                    "Default columns",
                    kind="str_list",
                    id=f"{fid}-default",
                )
        elif key == "task_filters":
            yield Field(
                "task",
                (*nested, "filter_types"),
                "Filter types",
                kind="multi",
                keep_empty=True,
                choices=catalog.FILTER_TYPES,
                id=f"{fid}-filter_types",
                hint="Space toggles a filter type",
            )
            yield YamlValueField(
                "task",
                default,
                "Default filters (YAML)",
                id=f"{fid}-default",
                hint="e.g. [{filter_type: min-frames, value: 10}]",
            )

    # ------------------------------------------------------------ preview
    def on_mount(self) -> None:
        self.call_after_refresh(self.update_preview)

    def on_state_edited(self, event: StateEdited) -> None:
        # Not stopped: the wizard screen validates too. The preview follows a burst of
        # keystrokes once it pauses, not on each one.
        self.schedule_preview()

    def schedule_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self.update_preview)

    def preview(self) -> tuple[Any, list[Problem]]:
        """The task with values (typed here) or defaults substituted, and its problems."""
        from taskwizard.model.validate import validate_task

        values: dict[str, Any] = {}
        for name, text in self.try_values.items():
            if text.strip():
                ok, value, _ = parse_yaml_value(text)
                values[name] = value if ok else text
        task = self.tw_app.state.task
        result, problems = variables.substitute(task, values)
        if isinstance(result, dict):
            problems = problems + validate_task(result)
        return result, problems

    def update_preview(self) -> None:
        from taskwizard.model.yamlio import dump_yaml

        if not self.is_mounted or not self.query("#variables-preview"):
            return
        # A default typed a moment ago (a number's too) shows in its value's placeholder.
        for index, (name, decl) in enumerate(self.declarations()):
            for value_box in self.query(f"#try-{index}").results(Input):
                placeholder = _try_placeholder(name, decl)
                if value_box.placeholder != placeholder:
                    value_box.placeholder = placeholder
        result, problems = self.preview()
        lines = []
        for p in sorted(problems, key=lambda p: not p.is_error)[:8]:
            where = f"{path_text(p.path)}: " if p.path else ""
            lines.append(("✗ " if p.is_error else "! ") + where + p.message)
        errors = sum(p.is_error for p in problems)
        head = (
            "[green]✓ With these values the task is valid.[/]"
            if not errors
            else f"[red]{errors} problem{'s' * (errors != 1)} with these values:[/]"
        )
        box = self.query_one("#variables-preview-problems", Static)
        box.update(head + ("\n" if lines else "") + "\n".join(_escape(x) for x in lines))
        self.query_one("#variables-preview", Static).update(
            Syntax(dump_yaml(result), "yaml", theme="ansi_dark", word_wrap=True)
        )

    @on(Input.Changed, ".try-value")
    def _try_changed(self, event: Input.Changed) -> None:
        event.stop()
        declared = self.declarations()
        index = int(str(event.input.id).removeprefix("try-"))
        if index < len(declared):
            self.try_values[declared[index][0]] = event.value
        self.schedule_preview()

    # ------------------------------------------------------------ actions
    def _current_variable(self) -> str | None:
        focused = self.app.focused
        for node in focused.ancestors_with_self if focused is not None else ():
            if isinstance(node, VariableCard):
                return node.variable
        return None

    def action_add_variable(self) -> None:
        state = self.tw_app.state
        taken = {name for name, _ in self.declarations()}

        def created(answer: tuple[str, str, str] | None) -> None:
            if answer is None:
                return
            name, label, type_key = answer
            add_variable(state, variables.VariableSpec(name=name, type_key=type_key, label=label))
            index = len(self.declarations()) - 1
            self.rebuild("task", (*TEMPLATE, name), focus=f"#variable-{index}-label #editor")

        self.app.push_screen(
            NewVariableDialog("New template variable", variables.VARIABLE_TYPES, taken=taken),
            created,
        )

    def action_remove_variable(self, name: str | None = None) -> None:
        from taskwizard.tui.dialogs.confirm import ConfirmDialog

        name = self._current_variable() if name is None else name
        if name is None:
            self.notify("Move into a variable first (Tab), then remove it.", timeout=3)
            return
        state = self.tw_app.state
        uses = [path for path, used, _ in variables.find_placeholders(state.task) if used == name]
        message = f"Remove the variable {name!r}?"
        if uses:
            where = ", ".join(path_text(p) for p in uses[:3])
            message += (
                f" {len(uses)} field{'s' * (len(uses) != 1)} still hold{'s' * (len(uses) == 1)} "
                f"{variables.canonical_placeholder(name)} ({where}); "
                "bind them to another variable or unbind them (Ctrl+B)."
            )

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            remove_variable(state, name)
            self.try_values.pop(name, None)
            self.rebuild("task", TEMPLATE, focus="#add-variable")

        self.app.push_screen(
            ConfirmDialog(message, title="Remove the variable?", yes="Remove", danger=True),
            answered,
        )

    @on(Button.Pressed, "#add-variable")
    def _add_pressed(self) -> None:
        self.action_add_variable()

    @on(Button.Pressed, ".remove-variable")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        for node in event.button.ancestors:
            if isinstance(node, VariableCard):
                self.action_remove_variable(node.variable)
                return


def add_variable(state: Any, spec: variables.VariableSpec) -> None:
    """Declare a variable; a new ``template:`` block goes first in the task, where readers look."""
    if not isinstance(state.task.get("template"), dict):
        rest = {k: v for k, v in state.task.items() if k != "template"}
        replace_task(state, {"template": {}, **rest}, TEMPLATE)
    state.set("task", (*TEMPLATE, spec.name), variables.declaration_to_yaml(spec))


def remove_variable(state: Any, name: str) -> None:
    """Drop a declaration; an empty ``template:`` block goes with the last one."""
    state.set("task", (*TEMPLATE, name), None)
    block = state.get("task", TEMPLATE)
    if isinstance(block, dict) and not block:
        state.set("task", TEMPLATE, None)
    state.mark_touched("task", TEMPLATE)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
