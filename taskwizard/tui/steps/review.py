"""Step 8: both files as they will be written, every remaining problem, where to save, Save."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.model.problems import Problem, path_text
from taskwizard.state import DocName
from taskwizard.tui.messages import JumpTo, StateEdited, deliver_now
from taskwizard.tui.steps.base import StepView
from taskwizard.tui.widgets.fields import FieldInput, WritesState
from taskwizard.tui.widgets.quiet import (
    QuietOptionList,
    hold_height,
    refresh_in_this_frame,
    release_height,
    update_static,
)
from taskwizard.wizard_steps import STEP_TITLES, step_of

if TYPE_CHECKING:
    from taskwizard.tui.screens.wizard import WizardScreen

DOC_NAMES: dict[DocName, str] = {"config": "config", "task": "task YAML"}


class ReviewStep(StepView, WritesState):
    step_id = "review"
    title = "Review & save"
    intro = (
        "Check both files, choose where they go, and save. Enter on a problem goes to its field."
    )
    help_text = (
        "Save writes two files: the task-templates config (the file Bitfount's uploader reads; "
        "it may hold several templates and models) and this template's task YAML. The config "
        "entry's `template:` is set to the task YAML's path relative to the config's folder. "
        "Existing files are never overwritten without asking, and writes are atomic."
    )

    DEFAULT_CSS = """
    ReviewStep .review-heading { text-style: bold; margin: 1 0 0 0; }
    ReviewStep #review-problems { height: auto; max-height: 10; border: round $primary-background; }
    ReviewStep #review-problems:focus { border: round $accent; }
    ReviewStep .review-file { height: auto; border: round $primary-background; padding: 0 1; }
    ReviewStep .path-label { text-style: bold; }
    ReviewStep #review-save-row { height: auto; margin: 1 0 0 0; }
    ReviewStep #review-save-reason { width: 1fr; padding: 1 1 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: (doc, path) per problem option; None for problems no field of this session shows.
        self._targets: list[tuple[DocName, tuple[str | int, ...]] | None] = []
        #: What the problem list shows (None until it is first filled).
        self._listed: tuple[object, ...] | None = None
        #: The problems of a path's edit, listed when the indicators settle.
        self._pending_problems: tuple[Sequence[tuple[DocName, Problem]], set[str]] | None = None

    def compose_form(self) -> ComposeResult:
        self._fill_default_paths()
        state = self.tw_app.state
        yield Static("Problems", classes="review-heading")
        yield QuietOptionList(id="review-problems")
        with Horizontal(id="review-save-row"):
            yield Button("Save (Ctrl+S)", id="review-save", variant="primary")
            yield Static("", id="review-save-reason")
        yield Static("Where the files go", classes="review-heading")
        yield Label("Task-templates config", classes="path-label")
        yield FieldInput(
            state.config_path or "", id="config-path", placeholder="path of the config file"
        )
        yield Label("Task YAML of this template", classes="path-label")
        yield FieldInput(state.task_path or "", id="task-path", placeholder="path of the task YAML")
        yield Static("", id="config-preview", classes="review-file")
        yield Static("", id="task-preview", classes="review-file")

    def _fill_default_paths(self) -> None:
        state = self.tw_app.state
        config, task = state.default_paths(self.tw_app.default_folder())
        state.config_path = state.config_path or str(config)
        state.task_path = state.task_path or str(task)
        state.sync_template_path()

    def on_mount(self) -> None:
        self._preview_texts: dict[DocName, str] = {}
        self._previews_timer: Timer | None = None
        self._update_previews()

    def focus(self, scroll_visible: bool = True) -> Self:
        """Arriving on Review puts the cursor on the problem list (Enter jumps to one)."""
        self.query_one("#review-problems", OptionList).focus(scroll_visible)
        return self

    # ----------------------------------------------------------------- paths
    # The paths are FieldInputs whose writer is this step (fields.WritesState): a key's
    # edit is written and validated in its own frame, and before Next or Save decide.
    @on(Input.Changed, "#config-path, #task-path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._write_paths(now=False)

    def write_now(self) -> None:
        self._write_paths(now=True)

    def write_pending(self) -> None:
        if self.is_attached:
            self._write_paths(now=True)  # only a path that differs from the state is written

    def _write_paths(self, *, now: bool) -> None:
        state = self.tw_app.state
        config = self.query_one("#config-path", Input).value.strip() or None
        task = self.query_one("#task-path", Input).value.strip() or None
        if (config, task) == (state.config_path, state.task_path):
            return
        state.config_path, state.task_path = config, task
        state.sync_template_path()
        state.saved = False
        event = StateEdited("config", (*state.entry_path, "template"))
        if now:
            deliver_now(self, event)
        else:
            self.post_message(event)

    def _typing_a_path(self) -> bool:
        focused = self.screen.focused
        return focused is not None and focused.id in ("config-path", "task-path")

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._release_problems_height)

    def _problem_boxes(self) -> tuple[Widget, ...]:
        """Where this step lists problems: its own list, and the step's line at the bottom."""
        return (
            self.get_child_by_id("review-problems"),
            self.get_child_by_id("step-other-problems"),
        )

    def _release_problems_height(self) -> None:
        """They get their own height back once the focus left the paths (one layout)."""
        if self.is_attached and not self._typing_a_path():
            for box in self._problem_boxes():
                release_height(box)

    def on_state_edited(self, event: StateEdited) -> None:
        # Dumping a 50-template config and highlighting it costs 50-150 ms: the previews
        # follow 0.2 s after the last keystroke, not on each one.
        if self._previews_timer is not None:
            self._previews_timer.stop()
        self._previews_timer = self.set_timer(0.2, self._update_previews)

    def _update_previews(self) -> None:
        self._previews_timer = None
        state = self.tw_app.state
        previews: tuple[tuple[DocName, str, str | None], ...] = (
            ("config", "#config-preview", state.config_path),
            ("task", "#task-preview", state.task_path),
        )
        for doc, widget_id, path in previews:
            static = self.query_one(widget_id, Static)
            static.border_title = f"{DOC_NAMES[doc]} — {Path(path).name if path else '(no path)'}"
            text = state.preview(doc)
            if self._preview_texts.get(doc) != text:  # unchanged: no new highlight, no layout
                self._preview_texts[doc] = text
                static.update(Syntax(text, "yaml", theme="ansi_dark", line_numbers=True))

    # -------------------------------------------------------------- problems
    def show_problems(self, problems: Sequence[tuple[DocName, Problem]], visible: set[str]) -> None:
        if self._typing_a_path() and self._listed is not None:
            # While a path is typed, the problem list is a summary like the step list: it
            # follows the typing when the indicators settle (:meth:`settle`). Repainted in
            # the key's frame, it made Textual compose the box from the list down to the
            # path (about 20 widgets, 2.5-2.7x a bare Textual app's key).
            self._pending_problems = (problems, visible)
            return
        self._show_problems_now(problems, visible)

    def settle(self) -> None:
        """The indicators settle: the problems of the last edit of a path are listed now."""
        if self._pending_problems is not None:
            self._show_problems_now(*self._pending_problems)  # which clears it

    def _show_problems_now(
        self, problems: Sequence[tuple[DocName, Problem]], visible: set[str]
    ) -> None:
        self._pending_problems = None
        if self._typing_a_path():
            # While a path is typed, the problems shown do not shrink: a problem coming and
            # going with each key would lay the step out again on each key.
            for box in self._problem_boxes():
                hold_height(box)
        super().show_problems(problems, visible)
        screen: WizardScreen = self.screen  # type: ignore[assignment]
        everything: list[tuple[DocName, Problem, bool]] = [
            (doc, problem, True) for doc, problem in screen.problems
        ]
        state = self.tw_app.state
        # The screen leaves out the config's other templates; Review lists them too.
        for problem in state.config_problems():
            if problem.path[:1] == ("task-templates",) and problem.path[:2] != state.entry_path:
                everything.append(("config", problem, False))
        everything.sort(key=lambda item: not item[1].is_error)
        options: list[Option] = []
        self._targets = []
        for doc, problem, jumpable in everything:
            mark = ("✗ ", "red") if problem.is_error else ("! ", "yellow")
            if problem.path[:1] == ("__raw__",):
                where = f"{STEP_TITLES.get(str(problem.path[1]), '?')} (raw YAML)"
            else:
                where = f"{DOC_NAMES[doc]} {path_text(problem.path)}".strip()
                if jumpable:
                    where += f" · {STEP_TITLES[step_of(doc, problem.path)]}"
                else:
                    where += " · another template of this config"
            options.append(
                Option(
                    Text.assemble(mark, (where, "bold"), ": ", problem.message),
                    disabled=not jumpable,
                )
            )
            self._targets.append((doc, problem.path) if jumpable else None)
        problem_list = self.query_one("#review-problems", QuietOptionList)
        highlighted = problem_list.highlighted
        listed = tuple((doc, p.severity, p.path, p.message, j) for doc, p, j in everything)
        if listed == self._listed:
            return  # the same problems: no rebuild (and layout) of the list on this keystroke
        self._listed = listed
        if options:
            problem_list.set_options_in_place(options)
            if highlighted is not None and highlighted < len(options):
                problem_list.highlighted = highlighted
        else:
            problem_list.set_options_in_place(
                [Option(Text("✓ No problems: both files are valid.", "green"), disabled=True)]
            )
        refresh_in_this_frame(problem_list)  # in this frame (of a key, or of the settling)
        self._update_save(sum(p.is_error for _, p, _ in everything))

    def _update_save(self, errors: int) -> None:
        button = self.query_one("#review-save", Button)
        reason = self.query_one("#review-save-reason", Static)
        button.disabled = errors > 0
        if errors:
            update_static(
                reason,
                f"[b red]{errors} error{'s' * (errors != 1)}[/] — Save waits until there are none. "
                "Choose one above and press Enter to go to it (or F8).",
            )
        else:
            update_static(reason, "[green]Ready.[/] Save asks before overwriting an existing file.")

    @on(OptionList.OptionSelected, "#review-problems")
    def _problem_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        if 0 <= index < len(self._targets) and (target := self._targets[index]) is not None:
            doc, path = target
            if path[:1] == ("__raw__",):
                screen: WizardScreen = self.screen  # type: ignore[assignment]
                screen.show_step(str(path[1]), raw=True)
                return
            self.post_message(JumpTo(doc, path))

    @on(Button.Pressed, "#review-save")
    def _save_pressed(self) -> None:
        screen: WizardScreen = self.screen  # type: ignore[assignment]
        screen.action_save()
