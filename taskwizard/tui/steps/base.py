"""What every wizard step has in common.

A step is a scrollable form of :class:`Field` widgets over part of the wizard
state, plus a raw YAML view of the same part (Ctrl+E) for whatever the form
does not cover. Steps never validate anything themselves: the wizard screen
validates the whole state and calls :meth:`StepView.show_problems`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Static

from taskwizard.model.problems import DocPath, Problem, path_text
from taskwizard.state import DocName
from taskwizard.tui.app_node import TaskWizardNode
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.widgets.fields import Field
from taskwizard.tui.widgets.quiet import update_static

if TYPE_CHECKING:
    pass

#: (document, mapping path, keys shown or None for all) of a step's raw YAML view.
RawView = tuple[DocName, DocPath, tuple[str, ...] | None]


class StepView(TaskWizardNode, VerticalScroll):
    #: Not a Tab stop of its own (an invisible one: nothing highlighted, Enter did
    #: nothing); PageDown and the arrows still scroll it from the field in it.
    can_focus = False

    step_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    #: F1 help: Bitfount's explanation of the step (fields add their own).
    help_text: ClassVar[str] = ""
    #: What the raw YAML view of this step shows: (document, mapping path, keys or None for all).
    RAW_VIEW: ClassVar[RawView | None] = None

    DEFAULT_CSS = """
    StepView { padding: 0 1; }
    StepView > .step--intro { color: $text-muted; margin: 0 0 1 0; }
    StepView > #step-other-problems { color: $error; height: auto; }
    """

    @property
    def raw_view(self) -> RawView | None:
        """``RAW_VIEW``, unless a step works it out from the state."""
        return self.RAW_VIEW

    def compose(self) -> ComposeResult:
        if self.intro:
            yield Static(self.intro, classes="step--intro")
        yield from self.compose_form()
        yield Static("", id="step-other-problems", markup=False)  # messages quote input

    def compose_form(self) -> ComposeResult:
        yield from ()

    def focus(self, scroll_visible: bool = True) -> Self:
        """The step is no Tab stop itself: "focus the step" focuses its first control
        (a step with no fields yet, e.g. Variables' "+ Add variable"), so its keys work."""
        first = next((w for w in self.query("*") if w.focusable), None)
        if first is not None:
            first.focus(scroll_visible)
        return self

    def fields(self) -> list[Field]:
        # A walk, not a query: no selector to match on every node (0.03 ms, not 0.7 ms
        # on the Algorithms step, once or more per keystroke). Same order as a query.
        return list(self.walk_children(Field))

    def reload(self) -> None:
        """Show the state's values again (after a raw YAML edit or a resume)."""
        for field in self.fields():
            field.reload()

    def show_problems(self, problems: Sequence[tuple[DocName, Problem]], visible: set[str]) -> None:
        """Give each field its problems; list the rest at the bottom of the step.

        ``visible`` holds the field keys allowed to show problems (touched ones).
        """
        fields = self.fields()
        by_field: dict[int, list[Problem]] = {id(f): [] for f in fields}
        rest: list[Problem] = []
        for doc, problem in problems:
            owner = None
            for field in fields:
                if (
                    field.doc == doc
                    and field.owns(problem.path)
                    and (owner is None or len(field.path) > len(owner.path))
                ):
                    owner = field
            if owner is None:
                rest.append(problem)
            else:
                by_field[id(owner)].append(problem)
        for field in fields:
            shown = by_field[id(field)] if (field.key in visible or "*" in visible) else []
            field.show_problems(shown)
        try:  # a child: looked up by id, not by a query over the whole step
            other = self.get_child_by_id("step-other-problems", Static)
        except NoMatches:
            other = None
        if other is None:
            return  # mid-recompose (a model added or removed): validated again after it
        text = ""
        if rest and ("*" in visible or visible):
            text = "\n".join(
                ("✗ " if p.is_error else "! ")
                + (f"{path_text(p.path)}: " if p.path else "")
                + p.message
                for p in rest[:8]
            )
        if text != getattr(self, "_other_text", None):
            self._other_text = text  # update (and re-layout) only on a change
            update_static(other, text)

    def settle(self) -> None:
        """The wizard's indicators settle (after the typing, or before an action decides):
        a step that holds back a summary of its problems while a key is typed shows it now."""

    def field_for_problem(self, doc: DocName, path: DocPath, message: str = "") -> Field | None:
        """The field F8 lands on for a problem at ``path``.

        A problem about a whole mapping (``arguments is required: … needs model_id``,
        ``FederatedAveraging needs one of steps_… or epochs_…``, a variable declared but
        unused) is owned by no field, or only by a picker above it: then the field
        inside that mapping that the message names is chosen, else its first required
        empty one, else its first one.
        """
        inside = [
            f for f in self.fields() if f.doc == doc and f.path[: len(path)] == path and f.display
        ]
        if inside:
            named = [f for f in inside if str(f.path[-1]) in message and f.path != path]
            if named:
                return named[0]
            exact = [f for f in inside if f.path == path]
            if exact:
                return exact[0]
            empty = [f for f in inside if f.required and f.shown_value() in (None, "", [])]
            return (empty or inside)[0]
        return self.field_for(doc, path)

    def field_for(self, doc: DocName, path: DocPath) -> Field | None:
        best = None
        for field in self.fields():
            if (
                field.doc == doc
                and field.owns(path)
                and (best is None or len(field.path) > len(best.path))
            ):
                best = field
        return best


class RefocusingStep(StepView):
    """A step that rebuilds its form on structural edits and puts the focus back."""

    #: CSS selector (or ``field:<key>``) to focus after the next rebuild.
    refocus: str | None = None

    _rebuilding = False

    async def recompose(self) -> None:
        self._rebuilding = True
        try:
            await super().recompose()
        finally:
            self._rebuilding = False
        revalidate = getattr(self.screen, "revalidate", None)
        if callable(revalidate):
            revalidate()  # a validation that ran mid-rebuild could not show its problems
        target, self.refocus = self.refocus, None
        if target is None:
            return
        if target.startswith("field:"):
            field = next((f for f in self.fields() if f.key == target[6:]), None)
            if field is not None:
                field.focus_editor()
                self._reveal(field)
            return
        found = self.query(target)
        if found:
            found.first().focus()
            self._reveal(found.first())

    def _reveal(self, widget: Widget) -> None:
        """Scroll the focused field into view, once the rebuilt form has its sizes;
        a card's first field (an algorithm just added) shows the card from its top."""
        nodes = [n for n in widget.ancestors_with_self if isinstance(n, Widget)]
        field = next((n for n in nodes if isinstance(n, Field)), None)
        card = next((n for n in nodes if n.has_class("algorithm-card")), None)
        if card is not None and field is not None and card.query(Field).first() is field:
            self.call_after_refresh(self.scroll_to_widget, card, animate=False, top=True)
            return
        self.call_after_refresh(self.scroll_to_widget, field or widget, animate=False)

    def show_problems(self, problems: Sequence[tuple[DocName, Problem]], visible: set[str]) -> None:
        if self._rebuilding:
            return  # half-mounted; recompose() validates again when it is done
        super().show_problems(problems, visible)

    def rebuild(self, doc: str, path: DocPath, *, focus: str | None = None) -> None:
        """Tell the wizard the form's shape changed (it recomposes this step)."""
        self.refocus = focus
        self.post_message(StateEdited("task" if doc == "task" else "config", path, structural=True))
