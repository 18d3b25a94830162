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
of its box). Within those lines a widget is rendered across its width: a dirty
region's edges need not fall on the compositor's cuts. A widget's lines outside the
update stay marked dirty in its own cache, as when Textual renders a scrolled
widget partly, and are drawn when they are next on show. Full updates (a resize, a
layout) are Textual's own. tests/test_line_cropped_compositor.py draws every
partial update both ways while typing and compares them cell by cell.

Textual has no public hook for this: ``_render_chops`` and ``_get_renders`` are
private methods of its compositor (Textual 8.2, pinned in ``pyproject.toml``).
When the compositor lacks either (another Textual), screens keep
Textual's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class LineCroppedCompositor(Compositor):
    #: The runs of lines (y, end) being drawn by the update in progress.
    _runs: list[tuple[int, int]] | None = None

    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        runs: list[tuple[int, int]] = []
        for y in crop.line_range:
            if is_rendered_line(y):
                if runs and runs[-1][1] == y:
                    runs[-1] = (runs[-1][0], y + 1)
                else:
                    runs.append((y, y + 1))
        self._runs = runs
        try:
            return super()._render_chops(crop, is_rendered_line)
        finally:
            self._runs = None

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        runs = self._runs
        if crop is None or runs is None:
            yield from super()._get_renders(crop)
            return
        left, right = crop.x, crop.right
        for widget, (region, clip) in self.visible_widgets.items():
            x1 = max(region.x, clip.x)
            x2 = min(region.right, clip.right)
            if x2 <= max(x1, left) or min(x2, right) <= x1:
                continue  # beside the update
            top = max(region.y, clip.y)
            bottom = min(region.bottom, clip.bottom)
            for start, end in runs:
                # The lines where the widget's region, its clip and a run of the update meet.
                y1, y2 = max(top, start), min(bottom, end)
                if y2 <= y1:
                    continue
                yield (
                    region,
                    Region(x1, y1, x2 - x1, y2 - y1),
                    widget.render_lines(Region(x1 - region.x, y1 - region.y, x2 - x1, y2 - y1)),
                )


def use_line_cropped_compositor(screen: Screen[Any]) -> None:
    """Give ``screen`` a :class:`LineCroppedCompositor` (call in its ``__init__``)."""
    hooks = ("_render_chops", "_get_renders")
    if isinstance(getattr(screen, "_compositor", None), Compositor) and all(
        callable(getattr(Compositor, name, None)) for name in hooks
    ):
        screen._compositor = LineCroppedCompositor()
