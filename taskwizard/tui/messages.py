"""Domain events of the TUI."""

from __future__ import annotations

from textual.dom import DOMNode
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
        #: Set by :func:`deliver_now`: the edit reached the screen within the key's own
        #: handler, so the screen validates before returning (see there).
        self.now = False


def deliver_now(origin: DOMNode, event: StateEdited) -> None:
    """Hand ``event`` to the ``on_state_edited`` of ``origin`` and each of its ancestors up
    to its screen, in this call, as posting it to ``origin`` would (no handler stops a
    StateEdited).

    Posted, the edit reaches the screen a few message hops after the editor has gone
    idle, and by then Textual has composed the frame with the new character: the
    field's problem line then waits for the next frame, 17-33 ms later (the screen's
    update timer). Called from the editor's own Changed handler, the step's tidy-up
    and the validation run before the editor goes idle, and one frame shows both.
    """
    from textual.screen import Screen

    event.now = True
    for node in origin.ancestors_with_self:
        # As Textual dispatches: the handler of each class in the node's MRO that has one.
        for cls in type(node).__mro__:
            handler = cls.__dict__.get("on_state_edited")
            if callable(handler):
                handler(node, event)
        if isinstance(node, Screen):
            break


class JumpTo(Message):
    """Go to the step and field that show a value (from the review's problem list)."""

    def __init__(self, doc: DocName, path: DocPath) -> None:
        super().__init__()
        self.doc: DocName = doc
        self.path = path
