"""A compositor that renders, for a partial update, only the lines being updated.

Textual's compositor, asked to draw the regions that changed (a keystroke: the
editor, its problem line), renders every widget whose *clip* touches the box
around them, over the widget's whole height, and then keeps the lines in the
update. The clip of a widget in a container is the container's viewport, so the
containers around a form (screen, columns, the step), the step list and every field
on the step are rendered top to bottom: 19 widgets and ~300 lines for a 7-line
update on the Template step, 2-3 ms a key, more than the rest of a key's work.

:class:`LineCroppedCompositor` renders each widget that meets the update over the
lines being updated alone, and skips the widgets wholly beside it (left or right
of its box) and, line by line, those whose columns are already painted by widgets
in front of them (a container behind its fields). Within those lines a widget is
rendered across its width: a dirty region's edges need not fall on the
compositor's cuts. A widget's lines left out stay marked dirty in its own cache, as
when Textual renders a scrolled widget partly, and are drawn when they are next on
show. Full updates (a resize, a layout) are Textual's own.
tests/test_line_cropped_compositor.py draws every partial update both ways while
typing and compares them cell by cell.

Textual has no public hook for this: ``_render_chops`` is a private method of its
compositor (Textual 8.2, pinned in ``pyproject.toml``), rewritten here for partial
updates (Textual's own paints front to back the same way). When the compositor
lacks it, or the ``cuts`` and ``visible_widgets`` it reads (another Textual),
screens keep Textual's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class LineCroppedCompositor(Compositor):
    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        """Textual's ``_render_chops`` for a partial update, rendering less.

        As Textual's: the widgets are painted front to back into the chops (each
        line's pieces between two cuts), the first piece for a cut wins. Unlike it,
        each widget is rendered over the runs of updated lines it meets, not over its
        visible height, and only over the lines where a piece in its columns is still
        unpainted: a container whose children cover those lines is not rendered.
        """
        if crop == self.size.region and all(is_rendered_line(y) for y in crop.line_range):
            return super()._render_chops(crop, is_rendered_line)  # a full update
        runs: list[tuple[int, int]] = []
        for y in crop.line_range:
            if is_rendered_line(y):
                if runs and runs[-1][1] == y:
                    runs[-1] = (runs[-1][0], y + 1)
                else:
                    runs.append((y, y + 1))
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(line[:-1]) for line in cuts]
        left, right = crop.x, crop.right
        for widget, (region, clip) in self.visible_widgets.items():
            x1 = max(region.x, clip.x)
            x2 = min(region.right, clip.right)
            if x2 <= max(x1, left) or min(x2, right) <= x1:
                continue  # beside the update
            top = max(region.y, clip.y)
            bottom = min(region.bottom, clip.bottom)
            for start, end in runs:
                # The lines where the widget meets this run and has a piece to paint.
                open_lines = [
                    y
                    for y in range(max(top, start), min(bottom, end))
                    if any(chops[y][cut] is None for cut in cuts[y] if x1 <= cut < x2)
                ]
                if not open_lines:
                    continue
                y1, y2 = open_lines[0], open_lines[-1] + 1
                strips = widget.render_lines(Region(x1 - region.x, y1 - region.y, x2 - x1, y2 - y1))
                for y, strip in zip(range(y1, y2), strips, strict=False):
                    line = chops[y]
                    line_cuts = [cut for cut in cuts[y] if x1 <= cut <= x2]
                    pieces = strip.divide([cut - x1 for cut in line_cuts[1:]])
                    for cut, piece in zip(line_cuts, pieces, strict=False):
                        # Unpainted so far; a cut at the screen's right edge is no piece.
                        if line.get(cut, piece) is None:
                            line[cut] = piece
        return cast("Sequence[Mapping[int, Strip]]", chops)


def use_line_cropped_compositor(screen: Screen[Any]) -> None:
    """Give ``screen`` a :class:`LineCroppedCompositor` (call in its ``__init__``)."""
    if (
        isinstance(getattr(screen, "_compositor", None), Compositor)
        and callable(getattr(Compositor, "_render_chops", None))
        and all(hasattr(Compositor, name) for name in ("cuts", "visible_widgets"))
    ):
        screen._compositor = LineCroppedCompositor()
