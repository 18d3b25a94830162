"""A drawing of an empty TextArea, SelectionList or Select, for the app's first frame.

Importing, mounting and drawing Textual's TextArea and SelectionList took ~15 ms
of `taskwizard new`'s first frame (its whole first step), its Select ~4 ms. In
that frame an empty multi-line field, tag list or choice is drawn by this
stand-in instead: the same
box, colours and lines as the real editor shows while it is not focused. Right
after the frame the field puts the real editor in its place
(:meth:`Field.complete_editor`), so the user works with the real one; a stand-in
reached by Tab before that puts it in place at once, and keys typed (or text
pasted) into it meanwhile are handed to the real editor in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

#: Longer than any editor is wide: a line that fills its width (cut there, text-overflow: clip).
_FILL = " " * 512


def _text_lines() -> Content:
    """An empty TextArea: its first line (the cursor's) in the cursor-line colour."""
    return Content.assemble((_FILL, "$foreground on $boost"))


def _tag_lines(choices: Sequence[str]) -> Content:
    """SelectionList's lines, nothing selected, the first option highlighted (as the
    real list shows it unfocused): a toggle button, a space, the prompt."""
    lines = []
    for index, choice in enumerate(choices):
        # The button is `selection-list--button` ($panel-darken-2 on $panel); its
        # half-block sides take the button's background as colour, on the line's.
        # (Styles as (text, style) pairs: parsing markup took 4 ms here.)
        line = "$block-cursor-blurred-background" if index == 0 else "$surface"
        lines.append(
            Content.assemble(
                ("▐", f"$panel on {line}"),
                ("X", "$panel-darken-2 on $panel"),
                ("▌", f"$panel on {line}"),
                (f" {choice}{_FILL}", f"$foreground on {line}"),
            )
        )
    return Content("\n").join(lines)


class EditorStandIn(Static):
    """Stands for the field's editor (``kind`` "text" or "multi") until it is mounted."""

    # The box of an unfocused TextArea / SelectionList in a Field (their DEFAULT_CSS,
    # and Field's height rules); tests/test_startup_path.py compares the two drawings.
    DEFAULT_CSS = """
    EditorStandIn {
        width: 1fr;
        border: tall $border-blurred;
        padding: 0 1;
        color: $foreground;
        background: $surface;
        margin: 0;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    EditorStandIn.-text { height: 6; }
    EditorStandIn.-multi { height: auto; max-height: 9; }
    EditorStandIn.-choice { height: 3; padding: 0 2; }
    """

    can_focus = True

    def __init__(
        self,
        kind: str,
        choices: Sequence[str] = (),
        *,
        prompt: str = "",
        chosen: bool = False,
        id: str | None = None,
    ) -> None:
        lines = _tag_lines(choices) if kind == "multi" else _text_lines()
        super().__init__(lines, id=id, classes=f"-{kind}")
        self.kind = kind
        self.prompt = prompt
        self.chosen = chosen
        #: Keys and pastes that came to the stand-in before the real editor took its place.
        self.typed: list[events.Key | events.Paste] = []

    def render(self) -> Content:
        if self.kind != "choice":
            return super().render()  # type: ignore[return-value]
        # A Select: its choice (or its prompt, dimmed as SelectCurrent does), and its
        # arrow at the right edge.
        gap = max(1, self.content_size.width - len(self.prompt) - 1)
        label = "$foreground" if self.chosen else "$foreground 50%"
        return Content.assemble((self.prompt, label), " " * gap, ("▼", "$foreground 50%"))

    def on_focus(self) -> None:
        field = self.parent
        complete = getattr(field, "complete_editor", None)
        if isinstance(field, Widget) and complete is not None:
            # The field's worker, not this one's: removing the stand-in would cancel it.
            field.run_worker(complete(), group="stand-in")

    def on_key(self, event: events.Key) -> None:
        # Kept for the real editor, which handles them (and their bindings) in order.
        event.stop()
        event.prevent_default()
        self.typed.append(events.Key(event.key, event.character))

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self.typed.append(events.Paste(event.text))
