"""The first frame draws the Type, empty Description and Tags editors with stand-ins
(tui/widgets/stand_in.py): they look exactly like the real Select, TextArea and
SelectionList, which take their place right after that frame, and keys that
reach a stand-in before then go to the real editor, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Select, SelectionList, TextArea
from tui_helpers import new_app, settle, wizard

from taskwizard.state import WizardState, field_key
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.screens.wizard import WizardScreen
from taskwizard.tui.widgets.stand_in import EditorStandIn

Cells = tuple[Region, list[list[tuple[str, Any]]]]


def _cells(widget: Widget) -> Cells:
    """What the screen shows where the widget is visible, cell by cell: the character and
    its style (without mouse meta; a plain space without its invisible text colour)."""
    region = widget.screen.find_widget(widget).visible_region  # below the fold: cut
    screen = widget.screen._compositor.render_strips()
    strips = [screen[y].crop(region.x, region.right) for y in range(region.y, region.bottom)]
    return region, [
        [_visible(char, segment.style) for segment in strip for char in segment.text]
        for strip in strips
    ]


def _visible(char: str, style: Style | None) -> tuple[str, Style]:
    style = style.clear_meta_and_links() if style is not None else Style()
    if char == " " and not (style.reverse or style.underline or style.strike or style.overline):
        style = Style(bgcolor=style.bgcolor)
    return char, style


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(80, 50), (100, 50), (120, 50)])  # every field on screen
async def test_the_stand_ins_draw_what_the_real_editors_then_draw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    first_frame: dict[str, tuple[type, Cells]] = {}
    real_complete = WizardScreen._complete_first_step

    async def look_first(self: WizardScreen) -> None:
        view = self.step_view
        assert view is not None
        for field in view.fields():
            first_frame[field.id or ""] = (type(field.editor), _cells(field.editor))
        await real_complete(self)

    monkeypatch.setattr(WizardScreen, "_complete_first_step", look_first)
    app = new_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        view = wizard(app).step_view
        assert view is not None
        fields = {field.id: field for field in view.fields()}
        for field_id in ("field-type", "field-description", "field-tags"):
            assert first_frame[field_id][0] is EditorStandIn, field_id
        assert isinstance(fields["field-type"].editor, Select)
        assert isinstance(fields["field-description"].editor, TextArea)
        assert isinstance(fields["field-tags"].editor, SelectionList)
        assert not app.screen.query(EditorStandIn)
        for field_id in ("field-type", "field-description", "field-tags"):
            assert _cells(fields[field_id].editor) == first_frame[field_id][1], field_id


@pytest.mark.anyio
async def test_keys_typed_into_a_stand_in_go_to_the_real_editor_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real editors are put in place only when a stand-in gets the focus (as if the
    # keys came before the first frame's follow-up had run), and slowly: the keys
    # come while the real editor is imported and mounted.
    import asyncio

    from taskwizard.tui.widgets.fields import Field

    async def not_yet(self: WizardScreen) -> None:
        return None

    real_complete = Field.complete_editor
    gate = asyncio.Event()

    async def slowly(self: Field) -> None:
        await gate.wait()
        await real_complete(self)

    monkeypatch.setattr(WizardScreen, "_complete_first_step", not_yet)
    monkeypatch.setattr(Field, "complete_editor", slowly)
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "a", "b", "enter", "c")
        view = wizard(app).step_view
        assert view is not None
        stand_in = view.query_one("#field-description #editor")
        assert isinstance(stand_in, EditorStandIn) and len(stand_in.typed) == 4
        gate.set()
        await settle(pilot, 5)
        await app.workers.wait_for_complete()
        await settle(pilot)
        description = next(f for f in view.fields() if f.id == "field-description")
        assert isinstance(description.editor, TextArea)
        assert app.focused is description.editor
        assert description.editor.text == "ab\nc"
        assert app.state.entry["description"] == "ab\nc"
        await pilot.press("tab", "space")  # Tags: a stand-in until now
        await settle(pilot, 5)
        await app.workers.wait_for_complete()
        await settle(pilot)
        tags = next(f for f in view.fields() if f.id == "field-tags")
        assert isinstance(tags.editor, SelectionList)
        assert tags.editor.has_focus
        assert app.state.entry["tags"] == ["Prediction"]


@pytest.mark.anyio
async def test_a_field_with_a_value_gets_its_real_editor_at_once(tmp_path: Path) -> None:
    from taskwizard.drafts import DraftStore

    state = WizardState()
    state.entry["description"] = "Finds things.\nIn images."
    state.focus = field_key("config", (*state.entry_path, "description"))
    draft_id = DraftStore().create(state)
    app = TaskWizardApp("resume", draft_id=draft_id)
    seen: list[type] = []
    async with app.run_test(size=(80, 24)) as pilot:
        view = None
        while view is None:
            await pilot.pause()
            if isinstance(app.screen, WizardScreen):
                view = app.screen.step_view
        seen = [type(f.editor) for f in view.fields() if f.id == "field-description"]
        await settle(pilot)
        assert isinstance(app.focused, TextArea)
        assert app.focused.text == "Finds things.\nIn images."
    assert len(seen) == 1 and issubclass(seen[0], TextArea)  # the real one (FieldTextArea)


@pytest.mark.anyio
async def test_leaving_the_step_while_its_editors_are_put_in_place_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from taskwizard.tui.widgets.fields import Field
    from taskwizard.wizard_steps import STEP_IDS

    real_complete = Field.complete_editor
    gate = asyncio.Event()

    async def slowly(self: Field) -> None:
        await gate.wait()
        await real_complete(self)

    monkeypatch.setattr(Field, "complete_editor", slowly)
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = wizard(app)
        screen.show_step(STEP_IDS[1])
        await settle(pilot, 5)
        gate.set()
        await settle(pilot, 5)
        await app.workers.wait_for_complete()
        assert app.is_running and app.return_code is None
        assert screen.step_id == STEP_IDS[1]
        assert not app.screen.query(EditorStandIn)


@pytest.mark.anyio
async def test_enter_on_the_type_stand_in_opens_the_real_select(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from taskwizard.tui.widgets.fields import Field

    async def not_yet(self: WizardScreen) -> None:
        return None

    real_complete = Field.complete_editor
    gate = asyncio.Event()

    async def slowly(self: Field) -> None:
        await gate.wait()
        await real_complete(self)

    monkeypatch.setattr(WizardScreen, "_complete_first_step", not_yet)
    monkeypatch.setattr(Field, "complete_editor", slowly)
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab", "enter")
        view = wizard(app).step_view
        assert view is not None
        assert isinstance(view.query_one("#field-type #editor"), EditorStandIn)
        gate.set()
        await settle(pilot, 5)
        await app.workers.wait_for_complete()
        await settle(pilot)
        select = view.query_one("#field-type #editor")
        assert isinstance(select, Select)
        assert select.expanded  # Enter opened its list, as on the real one
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.state.entry["type"] != "image-classification"
