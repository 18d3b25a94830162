"""Form fields bound to one value of a document in the wizard state.

A field reads its value from ``app.state`` when mounted, writes every change
straight back to it and posts :class:`StateEdited`; it never keeps a copy.
The wizard screen validates the whole state and hands each field the problems
at its path, which it shows underneath — once the user has touched it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from taskwizard.model.placeholders import is_placeholder, placeholder_name
from taskwizard.model.problems import DocPath, Problem
from taskwizard.state import DocName, field_key
from taskwizard.tui.app_node import TaskWizardNode
from taskwizard.tui.messages import StateEdited, deliver_now
from taskwizard.tui.widgets.quiet import hold_height, release_height, update_static

if TYPE_CHECKING:
    from textual.widgets import Checkbox, SelectionList, TextArea


# Checkbox, SelectionList and TextArea are imported where they are used: the
# wizard's first frame has none of them, and TextArea alone takes ~10 ms to import.

FieldKind = Literal["str", "text", "int", "float", "bool", "choice", "multi", "str_list"]


def parse_number(text: str, kind: Literal["int", "float"]) -> Any:
    """What the user typed as a number, or the text itself so the validator can say why not."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        if kind == "float":
            return text
        try:
            as_float = float(text)
        except ValueError:
            return text
        return int(as_float) if as_float.is_integer() else text


def format_value(value: Any, kind: FieldKind) -> str:
    if value is None:
        return ""
    if kind == "str_list":
        if isinstance(value, list):
            from taskwizard.model.lists import format_list_text

            return format_list_text(value)
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _templatable_in_catalog(path: DocPath) -> bool:
    """A non-string task field Bitfount marks templatable (``catalog.TEMPLATABLE_TASK_FIELDS``)."""
    from taskwizard.model.catalog import TEMPLATABLE_TASK_FIELDS

    parts = path[1:] if path[:1] == ("task",) else path
    return ".".join(str(p) for p in parts) in TEMPLATABLE_TASK_FIELDS


class FieldInput(Input):
    """A field's one-line editor: a keystroke repaints it, it does not re-lay the screen out.

    Textual's Input sets its virtual size (the text's width) on every change, and
    that reactive asks for a layout of the whole screen: 10-20 ms per character on
    the Algorithms step. The Input's own size never depends on it (width 100%,
    height 3, no scrollbar), so a repaint is enough.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self and write_field_now(self):
            event.stop()


class FieldSelect(Select[str]):
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select is self and write_field_now(self):
            event.stop()


def write_field_now(editor: Widget) -> bool:
    """Have the field ``editor`` belongs to write its change, and the wizard validate
    it, in this call: from the editor's own Changed handler, before the editor goes
    idle and Textual draws the change, so that the same frame shows the field's
    problem line (see :func:`taskwizard.tui.messages.deliver_now`).

    The field is the nearest :class:`WritesState` above the editor: its Field, also
    when the editor is one of several in it (a KeyValueEditor's rows), or the Review
    step for its file paths. False (the Changed message goes on as usual) when there
    is none, or when keys typed after this one are waiting: the screen then
    validates once after the burst, not once per key.
    """
    from taskwizard.tui.keys import keys_waiting

    field = writer_of(editor)
    if field is None or keys_waiting(editor):
        return False
    field.write_now()
    return True


def _problem_line(text: str, problem: Problem) -> Content:
    """A line of a field's problem line: plain text (never markup), a warning's in $warning."""
    return Content(text) if problem.is_error else Content.styled(text, "$warning")


class WritesState:
    """A widget that writes what its editors hold to the wizard state: each
    :class:`Field`, and the Review step (its file paths are no document's values).

    An edit reaches it through :func:`write_field_now`; before an action decides,
    the wizard has the one around the focus write what is still pending.
    """

    def write_now(self) -> None:
        """Write the editors' values, and have the step and screen see them in this call."""
        raise NotImplementedError

    def write_pending(self) -> None:
        """Write, in this call, what was typed and is not written yet (its Changed
        message still on the way): before Next or Save decide."""
        raise NotImplementedError


def writer_of(widget: Widget) -> WritesState | None:
    """The nearest :class:`WritesState` at or above ``widget`` on its screen."""
    return next((n for n in widget.ancestors_with_self if isinstance(n, WritesState)), None)


class Field(TaskWizardNode, WritesState, Vertical):
    """A labelled editor for the value at ``doc``/``path``, with its problems below."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 1 0; }
    Field > .field--label { color: $text; text-style: bold; }
    Field > .field--hint { color: $text-muted; }
    /* Once mounted, the problem line takes the place of the margin below the field and
       stays (blank when there is no problem): a message coming or going on a keystroke
       keeps the field's height, so the screen is only repainted, not laid out again. */
    Field.-noted { margin: 0; }
    Field > .field--problem { color: $error; height: auto; min-height: 1; }
    Field > .field--bound { color: $accent; }
    Field > .field--bound.-empty { display: none; }
    Field Input, Field Select, Field TextArea, Field SelectionList { margin: 0; }
    Field TextArea { height: 6; }
    Field SelectionList { height: auto; max-height: 9; }
    """

    def __init__(
        self,
        doc: DocName,
        path: DocPath,
        label: str,
        *,
        kind: FieldKind = "str",
        hint: str = "",
        help: str = "",
        choices: Sequence[str] = (),
        placeholder: str = "",
        required: bool = False,
        keep_empty: bool | None = None,
        templatable: bool | None = None,
        variable_kind: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="field")
        self.doc: DocName = doc
        self.path = path
        self.label = label
        self.kind: FieldKind = kind
        if kind == "str_list":
            # One rule for every list field (model.lists): say it in the hint and in F1.
            from taskwizard.model.lists import LIST_HELP, LIST_HINT

            hint = f"{hint}: {LIST_HINT}" if hint else f"List: {LIST_HINT}"
            help = f"{help.rstrip('.')}. {LIST_HELP}" if help else LIST_HELP
        self.hint = hint
        self.help = help
        self.choices = tuple(choices)
        self.placeholder = placeholder
        self.required = required
        # Required fields keep an empty value in the document so the key keeps its place.
        self.keep_empty = required if keep_empty is None else keep_empty
        self._shown_problems: tuple[tuple[str, str], ...] | None = None
        #: Why the list typed in a str_list field is not a list (model.lists), if it is not.
        self._list_problem: str | None = None
        self._shown_binding = ""
        #: The real editor replaced a first-frame stand-in (complete_editor): no other.
        self._completed = False
        #: Set while :meth:`write_now` runs: the edit is delivered in the same call.
        self._deliver_now = False
        #: The editor's contents when last written (or mounted): see write_pending.
        self._seen_editor: object = None
        #: Can hold a ``"{{ name }}"`` placeholder (Ctrl+B binds it to a template variable):
        #: string fields of the task by default; others when the catalog says templatable.
        self.templatable = (
            (
                doc == "task"
                and path[:1] != ("template",)
                and (kind in ("str", "text") or _templatable_in_catalog(path))
            )
            if templatable is None
            else templatable
        )
        #: The kind ``variables.compatible_variables`` matches variables against.
        self.variable_kind = variable_kind or ("str" if kind == "text" else kind)

    @property
    def key(self) -> str:
        return field_key(self.doc, self.path)

    @property
    def bound_variable(self) -> str | None:
        """The template variable this field is bound to (its value is a placeholder)."""
        return placeholder_name(self.tw_app.state.get(self.doc, self.path))

    def shown_value(self) -> Any:
        """The value the editor shows (subclasses may show a default for a missing key)."""
        return self.tw_app.state.get(self.doc, self.path)

    # ----------------------------------------------------------- compose
    def compose(self) -> ComposeResult:
        # The binding and problem lines are mounted when first needed: most
        # fields never show either, and every widget costs start-up time.
        label = self.label + (" *" if self.required else "")
        yield Label(label, classes="field--label")
        yield self._make_editor()
        self._shown_binding = self._binding_text()
        if self._shown_binding:
            yield Static(self._shown_binding, classes="field--bound")
        if self.hint:
            yield Static(self.hint, classes="field--hint")

    def _binding_text(self) -> str:
        name = self.bound_variable
        return f"⇄ bound to {{{{ {name} }}}}  (Ctrl+B to unbind)" if name else ""

    def _note(self, kind: Literal["bound", "problem"]) -> Static:
        """The field's binding or problem line, mounted the first time it is needed."""
        found = self.query_children(f".field--{kind}").results(Static)
        box = next(found, None)
        if box is None:
            if kind == "bound":
                box = Static("", classes="field--bound -empty")
                self.mount(box, after=self.editor)
            else:
                # Not markup: a message quotes what was typed ("slug 'a[b]' becomes …").
                box = Static("", classes="field--problem", markup=False)
                self.add_class("-noted")
                self.mount(box)
        return box

    def show_binding(self) -> None:
        text = self._binding_text()
        if text == self._shown_binding:
            return  # unchanged: no re-layout on this keystroke
        self._shown_binding = text
        box = self._note("bound")
        box.update(text)
        box.set_class(not text, "-empty")

    def _make_editor(self) -> Widget:
        value = self.shown_value()
        editor_id = "editor"
        stand_in = getattr(self.screen, "editor_stand_ins", False) and not self._completed
        chosen = self.kind == "choice" and value in self.choices
        if stand_in and self.kind in ("text", "multi", "choice") and (chosen or value in ("", [])):
            # The app's first frame: an empty TextArea or SelectionList, or a Select, is
            # drawn by a stand-in, replaced by the real one right after it (complete_editor).
            from taskwizard.tui.widgets.stand_in import EditorStandIn

            prompt = str(value) if chosen else self.placeholder or "Choose…"  # as the Select's
            return EditorStandIn(
                self.kind, self.choices, prompt=prompt, chosen=chosen, id=editor_id
            )
        if self.kind in ("bool", "choice", "multi") and placeholder_name(value) is not None:
            # Bound: the placeholder is shown as text until the field is unbound.
            return FieldInput(str(value), id=editor_id, type="text")
        if self.kind == "text":
            from taskwizard.tui.widgets.editors import FieldTextArea

            area = FieldTextArea(format_value(value, "str"), id=editor_id, soft_wrap=True)
            area.show_line_numbers = False
            return area
        if self.kind == "bool":
            from taskwizard.tui.widgets.editors import FieldCheckbox

            return FieldCheckbox(self.label, bool(value), id=editor_id)
        if self.kind == "choice":
            options = [(c, c) for c in self.choices]
            initial = value if value in self.choices else Select.NULL
            return FieldSelect(
                options,
                value=initial,
                allow_blank=not self.required or initial is Select.NULL,
                id=editor_id,
                prompt=self.placeholder or "Choose…",
            )
        if self.kind == "multi":
            from taskwizard.tui.widgets.editors import FieldSelectionList

            selected = set(value) if isinstance(value, list) else set()
            return FieldSelectionList(*[(c, c, c in selected) for c in self.choices], id=editor_id)
        return FieldInput(
            format_value(value, self.kind),
            placeholder=self.placeholder,
            id=editor_id,
            type="text",
        )

    @property
    def editor(self) -> Widget:
        return self.query_one("#editor")

    async def complete_editor(self) -> None:
        """Put the real editor in place of a first-frame stand-in (once; focus and the
        keys typed into the stand-in go to it)."""
        from textual.widget import MountError

        from taskwizard.tui.keys import focus_now
        from taskwizard.tui.widgets.stand_in import EditorStandIn

        stand_in = next(self.query_children("#editor").results(EditorStandIn), None)
        if stand_in is None or stand_in.has_class("-replacing") or not self.is_attached:
            return
        stand_in.add_class("-replacing")
        had_focus = stand_in.has_focus
        self._completed = True
        editor = self._make_editor()
        with self.app.batch_update():  # no frame with neither of them
            await stand_in.remove()
            if not self.is_attached:
                return  # the step was left meanwhile
            try:
                await self.mount(editor, after=self.query_one(".field--label"))
            except MountError:
                return  # being removed
        self._seen_editor = self._editor_state()  # the real editor's, nothing typed yet
        # Focus lost on the way (None) was on the stand-in, too.
        if had_focus or self.screen.focused is None:
            focus_now(editor)
        for key in stand_in.typed:
            editor.post_message(key)

    # ----------------------------------------------------- state <-> widget
    def reload(self) -> None:
        """Show the value from the state again (after a raw edit, resume, …)."""
        value = self.shown_value()
        editor = self.editor
        self.show_binding()
        # The Changed events this causes carry the state's own value, which
        # _write ignores: nothing is marked touched by a reload.
        if isinstance(editor, Input):
            text = format_value(value, self.kind)
            if editor.value != text:
                editor.value = text
            return
        if isinstance(editor, Select):
            editor.value = value if value in self.choices else Select.NULL
            return
        from textual.widgets import Checkbox, SelectionList, TextArea

        if isinstance(editor, TextArea):
            text = format_value(value, "str")
            if editor.text != text:
                editor.text = text
        elif isinstance(editor, Checkbox):
            editor.value = bool(value)
        elif isinstance(editor, SelectionList):
            selected = set(value) if isinstance(value, list) else set()
            editor.deselect_all()
            for choice in self.choices:
                if choice in selected:
                    editor.select(choice)

    def _value_from_editor(self) -> Any:
        editor = self.editor
        if isinstance(editor, Input):
            text = editor.value
            if is_placeholder(text.strip()):
                return text.strip()
            if self.kind in ("int", "float"):
                return parse_number(text, self.kind)
            if self.kind == "str_list":
                from taskwizard.model.lists import parse_list_text

                parsed = parse_list_text(text)
                self._list_problem = parsed.problem
                if parsed.problem:
                    return text  # kept as typed (never split into junk): not a list, flagged
                return parsed.items if parsed.items or self.keep_empty else None
            if not text and not self.keep_empty:
                return None
            return text
        if isinstance(editor, Select):
            return None if editor.value is Select.NULL else editor.value
        from textual.widgets import Checkbox, SelectionList, TextArea

        if isinstance(editor, TextArea):
            text = editor.text
            return text if text or self.keep_empty else None
        if isinstance(editor, Checkbox):
            return editor.value
        if isinstance(editor, SelectionList):
            chosen = set(editor.selected)
            # Keep Bitfount's order of choices, not the order of clicks.
            return [c for c in self.choices if c in chosen]
        return None

    def _write(self) -> None:
        value = self._value_from_editor()
        state = self.tw_app.state
        if state.get(self.doc, self.path) == value:
            return
        state.set(self.doc, self.path, value)
        self.show_binding()
        self.post_edit(StateEdited(self.doc, self.path))

    def write_now(self) -> None:
        self._deliver_now = True
        try:
            self._write_from_editor()
        finally:
            self._deliver_now = False

    def write_pending(self) -> None:
        """A field whose editor did not change since its last write is left alone (a
        write of an unchanged value is not always nothing: see YamlValueField)."""
        if self.is_attached and self._editor_state() != self._seen_editor:
            self.write_now()

    def on_mount(self) -> None:
        self._seen_editor = self._editor_state()

    def _editor_state(self) -> object:
        """What the editor holds, to tell whether it changed since the last write."""
        try:
            editor = self.query_one("#editor")
        except NoMatches:
            return None
        if isinstance(editor, Input | Select):
            return editor.value
        from textual.widgets import Checkbox, SelectionList, TextArea

        if isinstance(editor, TextArea):
            return editor.text
        if isinstance(editor, Checkbox):
            return editor.value
        if isinstance(editor, SelectionList):
            return tuple(editor.selected)
        return None  # nothing typed into (a button, rows of their own)

    def _write_from_editor(self) -> None:
        self._seen_editor = self._editor_state()
        self._write()

    def post_edit(self, event: StateEdited) -> None:
        """Tell the step and the screen about an edit: in this call under :meth:`write_now`."""
        if self._deliver_now:
            deliver_now(self, event)
        else:
            self.post_message(event)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._write_from_editor()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._write_from_editor()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._write_from_editor()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._write_from_editor()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        self._write_from_editor()

    # ------------------------------------------------------------ problems
    def owns(self, problem_path: DocPath) -> bool:
        return problem_path[: len(self.path)] == self.path

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show the problems at this field's path (the caller picks the visible ones)."""
        if self._list_problem:
            problems = [Problem("error", self._list_problem, self.path), *problems]
        shown = tuple((p.severity, p.message) for p in problems)
        if shown == self._shown_problems or (not shown and self._shown_problems is None):
            return  # nothing changed: no re-layout on this keystroke
        self._shown_problems = shown
        box = self._note("problem")
        self._hold_problem_height(box)
        if not problems:
            update_static(box, "")
            return
        # An error's line takes the box's colour ($error), a warning's is styled $warning
        # in the text itself: no class changes, which would restyle the box on a key.
        ordered = sorted(problems, key=lambda p: (not p.is_error, p.message))
        lines = [_problem_line(("✗ " if p.is_error else "! ") + p.message, p) for p in ordered[:3]]
        if len(ordered) > 3:
            lines.append(_problem_line(f"… and {len(ordered) - 3} more", ordered[3]))
        update_static(box, Content("\n").join(lines))

    def _hold_problem_height(self, box: Static) -> None:
        """While the user types in this field, its problem line does not shrink.

        A message that wraps to two lines coming and going on every other key (a model
        file that is not found, then found) would otherwise move every field below it,
        a layout of the whole step per key. The line keeps the height it had while
        the field has focus, and gives it back when focus leaves (one layout then).
        """
        if self.has_focus_within:
            hold_height(box)

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._release_problem_height)

    def _release_problem_height(self) -> None:
        if self.has_focus_within or not self.is_attached:
            return
        for box in self.query_children(".field--problem").results(Static):
            release_height(box)

    def focus_editor(self) -> None:
        from taskwizard.tui.keys import focus_now

        focus_now(self.editor)  # keys typed right after Ctrl+N/F8 land here
