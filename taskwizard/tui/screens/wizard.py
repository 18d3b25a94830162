"""The wizard: one screen, a step list at the side, one step at a time.

Every edit lands in ``app.state`` (see :mod:`taskwizard.state`); this screen
then validates the whole state with the model's validators — the one source
of truth — and tells each step, the step list, the preview and the footer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from taskwizard.model.problems import DocPath, Problem
from taskwizard.state import RAW_DOC_PREFIX, DocName, split_field_key
from taskwizard.tui.app_node import TaskWizardNode
from taskwizard.tui.compositor import use_line_cropped_compositor
from taskwizard.tui.messages import JumpTo, StateEdited
from taskwizard.tui.steps import step_view_class
from taskwizard.tui.steps.base import StepView
from taskwizard.tui.widgets.fields import writer_of
from taskwizard.tui.widgets.quiet import (
    QuietFooter,
    QuietOptionList,
    hold_height,
    release_height,
    update_static,
)
from taskwizard.wizard_steps import (
    STEP_IDS,
    STEP_TITLES,
    STEPS,
    preview_doc,
    step_heading,
    step_of,
)

if TYPE_CHECKING:
    pass

#: Which document the preview shows on each step.


#: How long after the last edit the indicators away from the field settle (revalidate).
SETTLE_DELAY = 0.1

#: From this width the YAML preview is shown beside the form (by default, and with F2).
PREVIEW_BESIDE_WIDTH = 110


class WizardScreen(TaskWizardNode, Screen[None]):
    #: Focus goes to the step's first field once the step is mounted, not to the step list.
    AUTO_FOCUS = ""
    BINDINGS = [
        # Footer order, essential first: at 80 columns Save, Help and Quit always show.
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+n", "next", "Next"),
        Binding("escape", "back", "Back"),
        Binding("f1", "help", "Help"),
        Binding("f8", "first_problem", "Problem", tooltip="Go to the next problem"),
        # Shown here (the app's priority binding does the quitting) so it is not cut off.
        Binding("ctrl+q", "app.quit", "Quit"),
        Binding(
            "ctrl+e", "toggle_raw", "YAML", tooltip="Edit this step as raw YAML", priority=True
        ),
        Binding("f2", "toggle_preview", "Preview"),
        Binding("ctrl+l", "focus_steps", "Steps", show=False),
        Binding("ctrl+b", "bind_variable", "Bind to variable", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        use_line_cropped_compositor(self)
        self._first_paint = True
        #: While the first step is composed: its empty multi-line and tag fields are drawn
        #: by stand-ins, replaced by the real editors right after the first frame.
        self.editor_stand_ins = True
        self._ready = False
        #: Next/Save pressed while the validators were still loading: run once they are.
        self._typed_ahead: list[str] = []
        self._revalidate_pending = False
        #: An edit not validated yet (set by each edit, cleared by revalidate).
        self._stale = False
        #: When the indicators are due to settle (monotonic), None when settled.
        self._settle_due: float | None = None
        self._settle_timer: Timer | None = None
        self._step_marks: list[tuple[str, str]] = []
        self._texts: dict[str, str] = {}
        self._binding_gates: tuple[object, ...] = ()
        self._pending_focus_path: tuple[DocName, DocPath, str] | None = None
        #: The problem F8 went to last (doc, path, message): the next F8 goes to the one after.
        self._last_problem: tuple[DocName, DocPath, str] | None = None
        self._view: StepView | None = None
        self.problems: list[tuple[DocName, Problem]] = []
        self.raw_mode = False
        self._preview_forced: bool | None = None
        self._preview_timer: Timer | None = None
        self._preview: VerticalScroll | None = None
        #: What the disk said at the last full validation, reused while a key is typed
        #: (see _disk_checks): the inputs it was found for, and what was found.
        self._synced_template: tuple[object, ...] | None = None
        self._files_checked: tuple[tuple[object, ...], list[Problem]] | None = None
        #: The last validation reused something the disk said: the settling one looks again.
        self._disk_reused = False

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        # The whole first step is composed with the screen: one frame, not two.
        widgets, self._view, _ = self._build_step(self.tw_app.state.step)
        title = self._texts["wizard-title"] = self._title_text()
        yield Static(title, id="wizard-title")
        with Horizontal(id="wizard-body"):
            yield QuietOptionList(id="step-list")
            with Vertical(id="step-column"):
                yield Vertical(*widgets, id="step-host")
                # Next, Back and Save are the footer's keys (greyed out while
                # unavailable); this line says why, one key (F8) from the problem.
                yield Static("", id="step-status")
            # The preview pane is mounted the first time it is shown (_apply_preview_visibility).
        yield QuietFooter(compact=True, show_command_palette=False)  # room for the keys at 80

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._first_paint:
            # Shown for the first time: every widget got its styles as it was mounted,
            # a moment ago. Textual would apply them all again (8-10 ms of the first frame).
            event.refresh_styles = False
        super()._on_screen_resume(event)

    def on_mount(self) -> None:
        self._update_step_list(validated=False)
        self._apply_preview_visibility()
        self.call_after_refresh(self._after_step_mounted, self.tw_app.state.focus)

    def restart(self) -> None:
        """Show a new session (app.state was replaced): forget what was shown before."""
        self._settle_due = None
        self._step_marks = []
        self._texts = {}
        self._binding_gates = ()
        self.problems = []
        self._pending_focus_path = None
        self._update_step_list(validated=False)
        self.show_step(self.tw_app.state.step, focus=self.tw_app.state.focus)

    def on_resize(self) -> None:
        self._apply_preview_visibility()

    def _apply_preview_visibility(self) -> None:
        wide = (self.size.width or self.app.size.width) >= PREVIEW_BESIDE_WIDTH
        visible = self._preview_forced if self._preview_forced is not None else wide
        # Beside the form only when both fit; narrower, F2 shows the preview instead of
        # the form (F2 again goes back), never a form squeezed to ten columns.
        alone = visible and not wide
        body = self.query_one("#wizard-body", Horizontal)
        was_alone = body.has_class("-preview-only")
        body.set_class(alone, "-preview-only")
        preview = self._preview_pane()
        if preview is None:
            if not visible:
                return  # never shown yet: not mounted at all (start-up at 80 columns)
            preview = self._preview = VerticalScroll(Static("", id="preview-body"), id="preview")
            body.mount(preview)
        preview.display = visible
        if alone and not was_alone:
            self.call_after_refresh(preview.focus)  # arrows and PageDown scroll it
        elif was_alone and not alone:
            self.call_after_refresh(self._focus_step, self.tw_app.state.focus)

    def _preview_pane(self) -> VerticalScroll | None:
        # Kept, not queried: a query walks every widget on the screen, once per keystroke.
        return self._preview

    @property
    def preview_shown(self) -> bool:
        preview = self._preview_pane()
        return preview is not None and bool(preview.display)

    # ------------------------------------------------------------- steps
    @property
    def step_id(self) -> str:
        return self.tw_app.state.step

    @property
    def step_view(self) -> StepView | None:
        # The view show_step mounted last: a view still being removed
        # (quick step changes) has lost its children and must not be asked anything.
        view = self._view
        return view if view is not None and view.is_attached else None

    def show_step(self, step_id: str, *, focus: str | None = None, raw: bool = False) -> None:
        widgets, view, keep_focus = self._build_step(step_id, raw=raw)
        # Swaps run one after another: the old step is gone before the new one mounts.
        self.call_next(self._swap_step, widgets, view, focus if keep_focus else None)

    def _build_step(
        self, step_id: str, *, raw: bool = False
    ) -> tuple[list[Widget], StepView | None, bool]:
        """The widgets showing a step (its form, or its raw YAML); sets state.step."""
        state = self.tw_app.state
        if step_id not in STEP_IDS:
            step_id = STEP_IDS[0]
        state.step = step_id
        if step_id not in state.visited:
            state.visited.append(step_id)
        self.raw_mode = raw or step_id in state.raw_text
        broken = next((k for k in state.raw_text if k.startswith(RAW_DOC_PREFIX)), None)
        widgets: list[Widget] = []
        view: StepView | None = None
        if broken is not None:
            # A whole file that is not YAML yet: nothing else can be edited until it parses.
            self.raw_mode = True
            doc: DocName = "config" if broken.endswith("config") else "task"
            widgets.append(
                Static(
                    f"[b]This {'task-templates config' if doc == 'config' else 'task YAML'} "
                    "is not valid YAML yet.[/b] "
                    "Fix it here; the wizard's steps open once it parses.",
                    id="raw-doc-note",
                )
            )
            widgets.append(self._raw_editor(broken, doc, (), None))
            return widgets, None, False
        else:
            view = step_view_class(step_id)(id=f"step-{step_id}")
            if self.raw_mode and view.raw_view is not None:
                doc, parent, keys = view.raw_view
                widgets.append(self._raw_editor(step_id, doc, parent, keys))
                view = None
            else:
                self.raw_mode = False
                widgets.append(view)
        return widgets, view, True

    @staticmethod
    def _raw_editor(
        step_id: str, doc: DocName, parent: DocPath, keys: tuple[str, ...] | None
    ) -> Widget:
        # Imported when first shown: its TextArea takes ~10 ms to import, off the first frame.
        from taskwizard.tui.widgets.raw_yaml import RawYamlEditor

        return RawYamlEditor(step_id, doc, parent, keys, id="raw-editor")

    async def _swap_step(
        self, widgets: list[Widget], view: StepView | None, focus: str | None
    ) -> None:
        host = self.query_one("#step-host", Vertical)
        release_height(self.query_one("#step-status", Static))  # a new step lays out anyway
        self._view = None
        await host.remove_children()
        await host.mount_all(widgets)
        self._view = view
        self._after_step_mounted(focus)

    def _after_step_mounted(self, focus: str | None) -> None:
        if self._first_paint:
            # The first frame (the whole first step) is on the terminal.
            self._first_paint = False
            self.editor_stand_ins = False
            self._focus_step(focus)
            self.run_worker(self._complete_first_step(), group="first-step")
            return
        self.revalidate()
        self._focus_step(focus)

    async def _complete_first_step(self) -> None:
        view = self.step_view
        if view is not None:
            with self.app.batch_update():  # one layout for all of them
                for field in view.fields():
                    if view is not self.step_view:
                        break  # another step is shown: it has its real editors
                    await field.complete_editor()
        # The validators were left out of the first frame: their pydantic schemas take
        # a moment to build, so they are imported on a thread while the user can already
        # type (untouched fields show no problems anyway); the first validation runs as
        # soon as they are ready.
        self._warm_validators()
        # Pruning old drafts (an import and a thread reading files) waits until now too,
        # and so does keeping the parsed styles (now with the real editors') for next time.
        self.tw_app.prune_drafts()
        self.tw_app.keep_parsed_styles()

    def _focus_step(self, focus: str | None) -> None:
        """Focus the field ``focus`` names (a field key), else the step's first field."""
        if self.raw_mode:
            self.query_one("#raw-editor TextArea").focus()
            return
        view = self.step_view
        if view is None:
            return
        pending, self._pending_focus_path = self._pending_focus_path, None
        if pending is not None:
            self._focus_path(*pending)
            return
        target = None
        if focus:
            target = next((f for f in view.fields() if f.key == focus), None)
        if target is None and view.fields():
            target = view.fields()[0]
        if target is not None:
            target.focus_editor()
            editor = target.editor
            if isinstance(editor, Input):
                editor.cursor_position = len(editor.value)  # resume typing where it stopped
        else:
            view.focus()
        # After the layout: the step shows its top (intro, first label) unless the
        # field to resume in is further down; then that field, label and all.
        if target is None or target is view.fields()[0]:
            self.call_after_refresh(view.scroll_home, animate=False)
        else:
            self.call_after_refresh(view.scroll_to_widget, target, animate=False)

    # -------------------------------------------------------- validation
    @work(thread=True, exclusive=True, group="warm-validators")
    def _warm_validators(self) -> None:
        import taskwizard.model.validate  # noqa: F401
        import taskwizard.model.yamlio  # noqa: F401

        self.app.call_from_thread(self._validators_ready)

    def _validators_ready(self) -> None:
        self._ready = True
        self.revalidate()
        queued, self._typed_ahead = self._typed_ahead, []
        for action in queued:
            self.call_after_refresh(self.run_action, action)

    def revalidate(self, *, settle: bool = True) -> None:
        """Validate the state; show the step's problems and the indicators around it.

        ``settle=False`` (an edit): the fields' problem lines change now, in the frame
        that shows the keystroke; the indicators away from the field (the step list's
        marks, the status line, the title, Next and Save in the footer) follow
        SETTLE_DELAY after the last edit, in one frame of their own. Repainted in the
        key's frame, they made Textual compose the box that bounds them all, nearly
        the whole screen, on each key that made or fixed an error. ``self.problems``
        is always up to date, and every action that decides on it settles first
        (:meth:`flush_validation`).
        """
        if not self._ready:
            return  # _validators_ready validates once the validators are imported
        self._stale = False
        state = self.tw_app.state
        file_problems = self._disk_checks(reuse=not settle)
        problems: list[tuple[DocName, Problem]] = []
        for problem in state.config_problems():
            path = problem.path
            if path[:1] == ("task-templates",) and path[:2] != state.entry_path:
                continue  # other templates in the config are checked on Review
            problems.append(("config", problem))
        problems += [("config", p) for p in file_problems]
        problems += [("task", p) for p in state.task_problems()]
        for step_id, text in state.raw_text.items():
            problems.append(
                (
                    "task",
                    Problem(
                        "error",
                        "the raw YAML of this step does not parse yet "
                        f"({len(text)} characters kept)",
                        ("__raw__", step_id),
                    ),
                )
            )
        self.problems = problems
        view = self.step_view
        if view is not None:
            mine = [(d, p) for d, p in problems if self._step_of(d, p.path) == self.step_id]
            view.show_problems(mine, set(state.touched))
        self._update_preview()
        if settle:
            self.settle_indicators()
        else:
            self._settle_later()

    def _disk_checks(self, *, reuse: bool) -> list[Problem]:
        """Point the entry's ``template:`` at the task file (a new template's file name
        follows its slug) and check the files the config names, on disk.

        ``reuse`` (a key being typed): when what they depend on is as it was at the
        last look (paths, working folder, the slug while it names the task file, the
        ``models:`` entries), what the disk said then stands. The lstat and resolve
        calls were 0.3 ms of every key. The disk is looked at again whenever those
        change, once the typing pauses (the indicators settle with a full validation)
        and before any action decides (:meth:`flush_validation`), so a file made or
        removed meanwhile shows within SETTLE_DELAY of the next pause.
        """
        from taskwizard.model.exact import exact_bytes

        state = self.tw_app.state
        cwd = Path.cwd()
        synced = (
            state.task_only,
            state.config_only,
            state.task_path,
            state.config_path,
            cwd,
            None if state.task_path else state.entry.get("slug"),  # names a new task file
            state.entry.get("template"),
        )
        reused = False
        if reuse and synced == self._synced_template:
            reused = True
        else:
            state.sync_template_path()
            self._synced_template = (*synced[:-1], state.entry.get("template"))
        models = exact_bytes(state.config.get("models"))
        files = (state.task_only, state.config_path, cwd, models)
        last = self._files_checked
        if reuse and models is not None and last is not None and last[0] == files:
            problems = last[1]
            reused = True
        else:
            problems = state.file_problems()
            self._files_checked = (files, problems)
        self._disk_reused = reused
        return list(problems)

    def _settle_later(self) -> None:
        """Settle the indicators SETTLE_DELAY after the last edit (one timer, not one per key)."""
        self._settle_due = time.monotonic() + SETTLE_DELAY
        if self._settle_timer is None:
            self._settle_timer = self.set_timer(SETTLE_DELAY, self._settle_when_due)

    def _settle_when_due(self) -> None:
        self._settle_timer = None
        if self._settle_due is None:
            return  # settled meanwhile (an action flushed)
        wait = self._settle_due - time.monotonic()
        if wait > 0.001:
            self._settle_timer = self.set_timer(wait, self._settle_when_due)  # typed since
            return
        if self._disk_reused:
            self.revalidate()  # what the disk said while typing, looked at again; settles
        else:
            self.settle_indicators()

    @property
    def indicators_settled(self) -> bool:
        return self._settle_due is None and not self._stale

    def flush_validation(self) -> None:
        """Bring validation and the indicators up to date now: before any action decides.

        The focused field (or the Review step's focused file path) writes its editor's
        value first: a key typed right before Ctrl+N is in the editor already, but its
        Changed message may still be on its way.
        """
        focused = self.focused
        writer = None if focused is None else writer_of(focused)
        if writer is not None:
            writer.write_pending()
        if self._stale or self._disk_reused:
            self.revalidate()
        elif self._settle_due is not None:
            self.settle_indicators()

    def settle_indicators(self) -> None:
        """Show the step list's marks, the status line, the title and the footer's
        Next and Save for the problems validated last."""
        self._settle_due = None
        if self._settle_timer is not None:
            self._settle_timer.stop()
            self._settle_timer = None
        view = self.step_view
        if view is not None:
            view.settle()
        self._update_step_list()
        self._update_status()
        self._update_title()
        gates = (self._ready, self.errors_here() > 0, self.total_errors() > 0, self.step_id)
        if gates != self._binding_gates:
            # Next/Save greyed or not: the footer is redrawn only when that changes.
            self._binding_gates = gates
            self.refresh_bindings()

    def _update_title(self) -> None:
        self._set_text(self.query_one("#wizard-title", Static), self._title_text())

    def _title_text(self) -> str:
        state = self.tw_app.state
        source = state.config_source or state.task_source
        what = f"editing {Path(source.path).name}" if source else "new template"
        slug = state.entry.get("slug") if not state.task_only else None
        name = f" · {slug}" if isinstance(slug, str) and slug else ""
        # The step first: a long slug or path is what gets cut at 80 columns, not the step.
        return f"[b]{step_heading(self.step_id)}[/b]{name} · {what} · taskwizard"

    def _set_text(self, widget: Static, text: str) -> None:
        """Update a Static only when its text changes (an update re-lays the screen out)."""
        if self._texts.get(widget.id or "") != text:
            self._texts[widget.id or ""] = text
            update_static(widget, text)

    def _step_of(self, doc: DocName, path: DocPath) -> str:
        if path[:1] == ("__raw__",):
            return str(path[1])
        return step_of(doc, path)

    def step_problem_counts(self) -> dict[str, tuple[int, int]]:
        counts = {step: (0, 0) for step in STEP_IDS}
        for doc, problem in self.problems:
            step = self._step_of(doc, problem.path)
            errors, warnings = counts.get(step, (0, 0))
            counts[step] = (errors + problem.is_error, warnings + (not problem.is_error))
        return counts

    def errors_here(self) -> int:
        return self.step_problem_counts()[self.step_id][0]

    def total_errors(self) -> int:
        return sum(p.is_error for _, p in self.problems)

    def _update_step_list(self, *, validated: bool = True) -> None:
        state = self.tw_app.state
        counts = self.step_problem_counts() if validated else {s: (0, 0) for s in STEP_IDS}
        marks: list[tuple[str, str]] = []
        # A new template nobody has typed in yet does not shout (its fields do not either).
        untouched = not state.touched and state.config_source is None and state.task_source is None
        for step in STEP_IDS:
            errors, warnings = counts[step]
            if step not in state.visited or not validated or untouched:
                mark, style = "○", "dim"
            elif errors:
                mark, style = f"✗{errors}", "red"
            elif warnings:
                mark, style = "!", "yellow"
            else:
                mark, style = "✓", "green"
            marks.append((mark, style))
        step_list = self.query_one("#step-list", QuietOptionList)
        highlighted = STEP_IDS.index(self.step_id)
        if marks != self._step_marks:
            prompts = [
                Text.assemble((f"{n} ", "dim"), title, " ", mark)
                for n, ((_, title), mark) in enumerate(zip(STEPS, marks, strict=True), start=1)
            ]
            if len(self._step_marks) == len(marks) == step_list.option_count:
                # A mark changed (typing made or fixed an error): new prompts in place,
                # a repaint of the fixed-width list, not a rebuild and layout.
                for index, (old, new) in enumerate(zip(self._step_marks, marks, strict=True)):
                    if old != new:
                        step_list.set_prompt_in_place(index, prompts[index])
            else:
                step_list.set_options(
                    Option(prompt, id=step)
                    for prompt, (step, _) in zip(prompts, STEPS, strict=True)
                )
            self._step_marks = marks
        if step_list.highlighted != highlighted:
            step_list.highlighted = highlighted

    def refresh_status(self) -> None:
        self._update_status()

    def _update_status(self) -> None:
        state = self.tw_app.state
        errors = self.errors_here()
        total = self.total_errors()
        status = self.query_one("#step-status", Static)
        # Drafts that cannot be written: said in the status line while it lasts.
        off = "[b red]Drafts off[/] (Ctrl+S saves; quit asks). " if self.tw_app.drafts_off else ""

        def set_status(text: str) -> None:
            # One line or two as problems come and go: it keeps the taller height until
            # the step changes, so a keystroke repaints it instead of a layout.
            hold_height(status)
            self._set_text(status, off + text)

        untouched = "*" not in state.touched and not any(
            self._step_of(*split_field_key(key)) == self.step_id for key in state.touched
        )
        if errors and untouched:
            set_status("Fill in the fields marked * to go on. [b]F1[/b] explains each field.")
        elif errors:
            set_status(
                f"[b red]{errors} problem{'s' * (errors != 1)} on this step[/] — "
                "Next is unavailable. "
                "[b]F8[/b] goes to the first one.",
            )
        elif total:
            set_status(
                f"This step is fine. {total} problem{'s' * (total != 1)} elsewhere — "
                "[b]F8[/b] goes to the next one; Save waits until there are none.",
            )
        else:
            warnings = sum(not p.is_error for _, p in self.problems)
            note = (
                f"{warnings} warning{'s' * (warnings != 1)} (F8 shows them). "
                if warnings
                else "No problems. "
            )
            set_status(f"[green]{note}[/]Ctrl+S saves from any step.")

    def _update_preview(self) -> None:
        """Redraw the preview 0.2 s after the last edit: dumping a 50-template config
        on every keystroke costs 20-50 ms, and nobody reads the preview mid-word."""
        if not self.preview_shown:
            return
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(0.2, self._render_preview)

    def _render_preview(self) -> None:
        self._preview_timer = None
        if not self.preview_shown:
            return
        doc = preview_doc(self.step_id)
        text = self.tw_app.state.preview(doc)
        name = "task-templates config" if doc == "config" else "task YAML"
        body = self.query_one("#preview-body", Static)
        body.border_title = name
        from rich.syntax import Syntax  # pygments: only once a preview is shown

        if self._texts.get("#preview") == doc + text:
            return
        self._texts["#preview"] = doc + text
        body.update(Syntax(text, "yaml", theme="ansi_dark", line_numbers=True, word_wrap=False))

    # ----------------------------------------------------------- events
    def on_state_edited(self, event: StateEdited) -> None:
        # No query for the raw editor per keystroke: it is on screen only in raw mode.
        raw_step = self._raw_editor_step() if self.raw_mode else None
        if (
            raw_step is not None
            and raw_step.startswith(RAW_DOC_PREFIX)
            and raw_step not in self.tw_app.state.raw_text
        ):
            self.notify("The file parses now: its steps are open.", timeout=4)
            self.show_step(self.step_id)
            self.tw_app.autosave()
            return
        if event.structural and not self.raw_mode and self.step_view is not None:
            self.step_view.refresh(recompose=True)
            self.call_after_refresh(self.revalidate)
        else:
            self._schedule_revalidate(now=event.now)
        self.tw_app.autosave()

    def _raw_editor_step(self) -> str | None:
        """The step (or broken file) the raw YAML editor on screen is for, if one is."""
        editors = self.query("#raw-editor")
        if not editors:
            return None
        from taskwizard.tui.widgets.raw_yaml import RawYamlEditor

        return editors.first(RawYamlEditor).step_id

    def _schedule_revalidate(self, *, now: bool = False) -> None:
        """Validate once per burst of keystrokes: edits that queue up while one
        validation runs are validated together after the next refresh, so a key
        typed right after Tab is not kept waiting behind one validation per character.

        ``now``: the edit came from the editor's own key handler (messages.deliver_now);
        with no key waiting, validate in this call, before the frame with the character."""
        from taskwizard.tui.keys import keys_waiting

        self._stale = True
        waiting = keys_waiting(self)
        if now and not waiting:
            self._revalidate_now()
        elif not self._revalidate_pending:
            self._revalidate_pending = True
            if not waiting:
                # No key waiting behind this one: validate now, so the frame that shows
                # the character also shows its problem line (one frame per key, not two).
                self.call_next(self._revalidate_now)
            else:
                self.call_after_refresh(self._revalidate_now)

    def _revalidate_now(self) -> None:
        self._revalidate_pending = False
        if self._stale:  # not validated since the edit (by a key delivered now, a step change)
            self.revalidate(settle=False)

    @on(JumpTo)
    def _jump(self, event: JumpTo) -> None:
        self.jump_to(event.doc, event.path)

    def jump_to(self, doc: DocName, path: DocPath, message: str = "") -> None:
        from taskwizard.state import field_key

        state = self.tw_app.state
        state.touch_all()
        step = self._step_of(doc, path)
        if step != self.step_id or self.raw_mode:
            self._pending_focus_path = (doc, path, message)
            self.show_step(step, focus=None)
        else:
            self._focus_path(doc, path, message)
        state.focus = field_key(doc, path)

    def _focus_path(self, doc: DocName, path: DocPath, message: str = "") -> None:
        """Focus the field that shows the problem at ``path``, scrolled into view; a
        problem no field shows is listed at the bottom of the step: that is shown."""
        view = self.step_view
        if view is None:
            return
        self.revalidate()
        field = view.field_for_problem(doc, path, message)
        if field is not None:
            field.focus_editor()
            target: Widget = field
        else:
            target = view.query_one("#step-other-problems")
            view.focus()
        # After the layout: a step mounted a moment ago has no sizes yet to scroll by.
        self.call_after_refresh(view.scroll_to_widget, target, animate=False)

    def on_descendant_focus(self, event: Any) -> None:
        from taskwizard.tui.widgets.fields import Field

        for node in event.widget.ancestors_with_self:
            if isinstance(node, Field):
                self.tw_app.state.focus = node.key
                break

    @on(OptionList.OptionSelected, "#step-list")
    def _step_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != self.step_id:
            self.show_step(event.option.id)
            self.tw_app.autosave()

    # ---------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next", "save") and not self._ready:
            return True  # typed ahead while the validators load: queued (_queue_until_ready)
        if action in ("next", "save"):
            # Decided on the validation of every key typed so far, and shown: a Next
            # refused right after a key that made an error says why on the status line.
            self.flush_validation()
        if action == "next":
            return None if self.errors_here() or self.step_id == STEP_IDS[-1] else True
        if action == "save":
            return None if self.total_errors() else True
        return True

    def _queue_until_ready(self, action: str) -> bool:
        """Keep a key typed before the validators were loaded, to run once they are."""
        if self._ready:
            return False
        if action not in self._typed_ahead:
            self._typed_ahead.append(action)
        return True

    def action_next(self) -> None:
        if self._queue_until_ready("next"):
            return
        self.flush_validation()
        if self.errors_here():
            self.tw_app.state.touch_all()
            self.revalidate()
            return
        index = STEP_IDS.index(self.step_id)
        if index + 1 < len(STEP_IDS):
            self.show_step(STEP_IDS[index + 1])
            self.tw_app.autosave()

    def action_back(self) -> None:
        index = STEP_IDS.index(self.step_id)
        if index == 0:
            self.tw_app.leave_wizard()
            return
        self.show_step(STEP_IDS[index - 1])
        self.tw_app.autosave()

    def action_focus_steps(self) -> None:
        self.query_one("#step-list").focus()

    def action_first_problem(self) -> None:
        """F8: the next problem, errors first (this step's first), then warnings; pressed
        again it goes on to the one after, so every problem is reached in turn."""
        self.flush_validation()
        if not self.problems:
            self.notify("No problems left.", timeout=3)
            return
        order = {step: n for n, step in enumerate(STEP_IDS)}
        ranked = sorted(
            self.problems,
            key=lambda dp: (not dp[1].is_error, order.get(self._step_of(dp[0], dp[1].path), 99)),
        )
        keys = [(doc, p.path, p.message) for doc, p in ranked]
        if self._last_problem in keys:
            doc, problem = ranked[(keys.index(self._last_problem) + 1) % len(ranked)]
        else:
            here = [
                dp
                for dp in ranked
                if self._step_of(dp[0], dp[1].path) == self.step_id and dp[1].is_error
            ]
            doc, problem = (here or ranked)[0]
        self._last_problem = (doc, problem.path, problem.message)
        if problem.path[:1] == ("__raw__",):
            self.show_step(str(problem.path[1]), raw=True)
            return
        self.jump_to(doc, problem.path, problem.message)

    def action_bind_variable(self) -> None:
        """Ctrl+B on any field that can take a placeholder: bind it to a template variable."""
        from taskwizard.tui.widgets.variable_binding import bind_focused_field

        bind_focused_field(self)

    def action_toggle_preview(self) -> None:
        self._preview_forced = not self.preview_shown
        self._apply_preview_visibility()
        self.call_after_refresh(self._render_preview)  # once a new pane is mounted

    def action_toggle_raw(self) -> None:
        view_cls = step_view_class(self.step_id)
        if self.raw_mode:
            if self.step_id in self.tw_app.state.raw_text:
                self.notify(
                    "The raw YAML does not parse yet; "
                    "fix it first (its problem is shown under it).",
                    severity="warning",
                )
                return
            self.show_step(self.step_id)
        else:
            probe = view_cls()
            if probe.raw_view is None:
                self.notify("This step has no raw YAML view.")
                return
            self.show_step(self.step_id, raw=True)

    def action_help(self) -> None:
        from taskwizard.tui.dialogs.help import HelpDialog

        view_cls = step_view_class(self.step_id)
        lines = [f"# {view_cls.title or STEP_TITLES[self.step_id]}", "", view_cls.help_text, ""]
        view = self.step_view
        if view is not None:
            focused = self.focused
            for field in view.fields():
                marker = (
                    " (the field you are on)"
                    if focused is not None and focused in field.walk_children()
                    else ""
                )
                if field.help:
                    lines += [f"**{field.label}**{marker} — {field.help}", ""]
        lines += [
            "## Keys",
            "",
            "Tab / Shift+Tab move between fields · Ctrl+N next step · Escape previous step · "
            "Ctrl+L step list · F8 next problem · Ctrl+E raw YAML of this step · F2 preview · "
            "Ctrl+S save · Ctrl+P command palette · Ctrl+Q quit.",
            "",
            "Every change is saved as a draft within a second; `taskwizard resume` continues here.",
        ]
        self.app.push_screen(HelpDialog("\n".join(lines)))

    def action_save(self) -> None:
        if self._queue_until_ready("save"):
            return
        self.flush_validation()
        if self.total_errors():
            self.tw_app.state.touch_all()
            self.revalidate()
            self.notify("Fix the problems first — F8 goes to the next one.", severity="warning")
            return
        self.tw_app.save_documents()
