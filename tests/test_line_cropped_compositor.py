"""The wizard's compositor draws, on every partial update, what Textual's own draws.

LineCroppedCompositor (taskwizard/tui/compositor.py) renders only the lines being
updated and skips the widgets beside them. Here every partial update composed while
typing on several steps (with and without the preview beside the form) is drawn both
ways, and the two must match cell for cell on every line the update draws, over the
whole width of its box; a cell left undrawn by ours fails too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from test_keystroke_frame import edit_app, on_pods, on_step, typing_at_end
from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Input
from tui_helpers import SIZE, field, new_app, settle, wizard

from taskwizard.tui.compositor import LineCroppedCompositor, use_line_cropped_compositor

pytestmark = pytest.mark.anyio

Cells = list[tuple[str, Style | None]]


def cells(
    compositor: Compositor, chops: Sequence[Mapping[int, Strip | None]], y: int, x1: int, x2: int
) -> Cells:
    """Line ``y`` of ``chops`` from column x1 to x2, one (character, style) per cell."""
    out: Cells = []
    cuts = compositor.cuts[y]
    for (x, strip), end in zip(chops[y].items(), cuts[1:], strict=True):
        if end <= x1 or x >= x2:
            continue
        assert strip is not None, f"line {y}, columns {x}-{end} were not drawn"
        piece = strip.crop(max(x1 - x, 0), min(x2, end) - x)
        out += [(char, segment.style) for segment in piece for char in segment.text]
    return out


@contextmanager
def both_ways(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Region, int]]]:
    """Draw each partial update with Textual's compositor too, and compare; yields the
    (box, lines drawn) of every partial update compared."""
    ours = LineCroppedCompositor._render_chops
    compared: list[tuple[Region, int]] = []

    def checked(
        self: LineCroppedCompositor, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip | None]]:
        chops = ours(self, crop, is_rendered_line)
        if crop == self.size.region:
            return chops  # a full update is Textual's own
        theirs = Compositor._render_chops(self, crop, is_rendered_line)
        lines = [y for y in crop.line_range if is_rendered_line(y)]
        for y in lines:
            mine = cells(self, chops, y, crop.x, crop.right)
            textual = cells(self, theirs, y, crop.x, crop.right)
            assert mine == textual, f"line {y} of {crop} differs"
        compared.append((crop, len(lines)))
        return chops

    monkeypatch.setattr(LineCroppedCompositor, "_render_chops", checked)
    yield compared


async def type_and_back(pilot: Any, text: str) -> None:
    for char in text:
        await pilot.press(char)
        await pilot.pause()
    for _ in text:
        await pilot.press("backspace")
        await pilot.pause()


@pytest.mark.parametrize("size", [SIZE, (160, 40)], ids=["form-only", "with-preview"])
async def test_typing_on_the_template_step_draws_what_textual_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(wizard(app)._compositor, LineCroppedCompositor)
        with both_ways(monkeypatch) as compared:
            for field_id in ("field-slug", "field-title"):
                editor = field(app, field_id).editor
                assert isinstance(editor, Input)
                await typing_at_end(pilot, editor)
                await type_and_back(pilot, "Odd Slug!")
                await settle(pilot)
        assert len(compared) >= 20
        # A key's update draws a few lines, not the screen (the settling ones, step list
        # and status line included, draw more).
        drawn = sorted(lines for _, lines in compared)
        assert drawn[len(drawn) // 2] <= 8, drawn


async def test_typing_on_pods_and_algorithms_draws_what_textual_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = edit_app(tmp_path)
    async with app.run_test(size=(140, 36)) as pilot:
        await on_pods(pilot, app)
        with both_ways(monkeypatch) as compared:
            await type_and_back(pilot, ", BAD POD")  # an error line comes and goes
            await settle(pilot)
            await on_step(pilot, app, "algorithms")
            inputs = [i for i in wizard(app).step_view.query(Input) if i.display]  # type: ignore[union-attr]
            assert inputs
            await typing_at_end(pilot, inputs[0])
            await type_and_back(pilot, "x9")
            await settle(pilot)
        assert len(compared) >= 10


async def test_other_textual_keeps_its_own_compositor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Compositor, "_render_chops")
    screen: Screen[None] = Screen()
    use_line_cropped_compositor(screen)
    assert type(screen._compositor) is Compositor
