"""Raw YAML for whatever the forms do not cover.

A step's raw view shows some keys of one mapping in the document (for
example ``algorithm`` under ``task``) as YAML. Every change is parsed with
the same reader and validators as files on disk; problems are shown with
their line and column in the text being typed. Text that does not parse
yet is kept in ``state.raw_text`` so a draft never loses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from taskwizard.model.problems import DocPath, Problem
from taskwizard.state import DocName
from taskwizard.tui.app_node import TaskWizardNode
from taskwizard.tui.messages import StateEdited

if TYPE_CHECKING:
    from taskwizard.model.yamlio import LoadedYaml


class RawYamlEditor(TaskWizardNode, Vertical):
    DEFAULT_CSS = """
    RawYamlEditor { height: 1fr; }
    RawYamlEditor > TextArea { height: 1fr; min-height: 8; }
    RawYamlEditor > #raw-problems { height: auto; max-height: 6; color: $error; }
    RawYamlEditor > #raw-problems.-ok { color: $success; }
    """

    def __init__(
        self,
        step_id: str,
        doc: DocName,
        parent: DocPath,
        keys: Sequence[str] | None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.step_id = step_id
        self.doc: DocName = doc
        self.mapping_path = parent
        #: None = the whole mapping at ``parent``.
        self.keys = tuple(keys) if keys is not None else None

    def current_subset(self) -> dict[str, Any]:
        node = self.tw_app.state.get(self.doc, self.mapping_path, {})
        if not isinstance(node, dict):
            return {}
        if self.keys is None:
            return dict(node)
        return {k: node[k] for k in self.keys if k in node}

    def compose(self) -> ComposeResult:
        from taskwizard.model.yamlio import dump_yaml

        pending = self.tw_app.state.raw_text.get(self.step_id)
        text = pending if pending is not None else dump_yaml(self.current_subset())
        area = TextArea(text, id="raw-text", show_line_numbers=True, tab_behavior="indent")
        area.indent_width = 2
        yield area
        yield Static("", id="raw-problems", markup=False)  # messages quote input

    def on_mount(self) -> None:
        problems = self._check(self.query_one(TextArea).text, write=False)
        first = next((p for p in problems if p.line), None)
        if first is not None and first.line is not None:
            # Open at the error: the cursor sits where the problem is.
            self.query_one(TextArea).move_cursor((first.line - 1, max((first.column or 1) - 1, 0)))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._check(event.text_area.text, write=True)

    def _check(self, text: str, *, write: bool) -> list[Problem]:
        from taskwizard.model.yamlio import load_yaml_text

        state = self.tw_app.state
        loaded = load_yaml_text(text, filename="raw YAML")
        problems: list[Problem] = [p for p in loaded.problems if p.is_error]
        if loaded.ok and not isinstance(loaded.data, dict):
            problems.append(
                Problem("error", "this must be a mapping of keys to values", (), None, 1, 1)
            )
        if problems or not loaded.ok:
            if write:
                state.raw_text[self.step_id] = text
                state.saved = False
                self.post_message(StateEdited(self.doc, self.mapping_path))
            self._show(problems)
            return problems
        had_pending = state.raw_text.pop(self.step_id, None) is not None
        data: dict[str, Any] = loaded.data
        if write:
            before = self.current_subset()
            if before != data or had_pending:
                self._apply(data)
                self.post_message(StateEdited(self.doc, self.mapping_path, structural=True))
        shown = self._validation_in_text(loaded)
        self._show(shown)
        return shown

    def _apply(self, data: dict[str, Any]) -> None:
        state = self.tw_app.state
        node = state.get(self.doc, self.mapping_path)
        if not isinstance(node, dict):
            if self.mapping_path:
                state.set(self.doc, self.mapping_path, {})
                node = state.get(self.doc, self.mapping_path)
            else:
                node = state.doc(self.doc)
        assert isinstance(node, dict)
        owned = set(data) if self.keys is None else set(self.keys) | set(data)
        for key in list(node):
            if key in owned and key not in data:
                del node[key]
        for key, value in data.items():
            node[key] = value
            state.mark_touched(self.doc, (*self.mapping_path, key))
        state.saved = False

    def _validation_in_text(self, loaded: LoadedYaml) -> list[Problem]:
        """The document's problems under this view, located in the raw text."""
        state = self.tw_app.state
        problems = state.config_problems() if self.doc == "config" else state.task_problems()
        n = len(self.mapping_path)
        inside: list[Problem] = []
        for problem in problems:
            if problem.path[:n] != self.mapping_path:
                continue
            rel = problem.path[n:]
            if self.keys is not None and (not rel or rel[0] not in self.keys):
                continue
            inside.append(problem.__class__(problem.severity, problem.message, rel))
        return loaded.resolve(inside)

    def _show(self, problems: Sequence[Problem]) -> None:
        box = self.query_one("#raw-problems", Static)
        if not problems:
            box.update("✓ valid YAML, no problems here")
            box.set_class(True, "-ok")
            return
        box.set_class(False, "-ok")
        lines = []
        for p in sorted(problems, key=lambda p: (p.line or 0, p.column or 0)):
            where = f"line {p.line}, column {p.column}: " if p.line else ""
            lines.append(("✗ " if p.is_error else "! ") + where + p.message)
        box.update("\n".join(lines[:6]))
