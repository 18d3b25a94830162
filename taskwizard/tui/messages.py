"""Domain events of the TUI."""

from __future__ import annotations

from textual.message import Message

from taskwizard.model.problems import DocPath
from taskwizard.state import DocName


class StateEdited(Message):
    """A widget changed a value in the wizard state (already written to it)."""

    def __init__(self, doc: DocName, path: DocPath, *, structural: bool = False) -> None:
        super().__init__()
        self.doc: DocName = doc
        self.path = path
        #: True when the change adds/removes fields (the step must rebuild its form).
        self.structural = structural


class JumpTo(Message):
    """Go to the step and field that show a value (from the review's problem list)."""

    def __init__(self, doc: DocName, path: DocPath) -> None:
        super().__init__()
        self.doc: DocName = doc
        self.path = path
