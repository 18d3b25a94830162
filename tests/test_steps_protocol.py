"""The Protocol step: pick from the catalog, generated argument form, unknown protocols kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, SelectionList, TextArea
from tui_helpers import field, focus_field, new_app, settle, tw_app, type_text, wizard

from taskwizard.model.yamlio import dump_yaml
from taskwizard.tui.dialogs.confirm import ConfirmDialog
from taskwizard.tui.dialogs.pick import PickDialog
from taskwizard.tui.widgets.arguments import YamlValueField
from taskwizard.tui.widgets.keyvalue import KeyValueEditor, KeyValueRow

pytestmark = pytest.mark.anyio
SIZE = (100, 30)


PROTOCOL = ("task", "protocol")


def protocol(app: Any) -> Any:
    return app.state.get("task", PROTOCOL)


async def open_step(pilot: Pilot[Any], step: str = "protocol", **task: Any) -> None:
    """Show a step after putting ``task`` entries (e.g. protocol=...) into the new task."""
    await settle(pilot)
    tw_app(pilot).state.task["task"].update(task)
    wizard(tw_app(pilot)).show_step(step)
    await settle(pilot)


async def pick(pilot: Pilot[Any], search: str) -> None:
    """Enter on the focused protocol button, search, Enter."""
    await pilot.press("enter")
    await settle(pilot, 1)
    assert isinstance(pilot.app.screen, PickDialog)
    await type_text(pilot, search)
    await pilot.press("enter")
    await settle(pilot)


async def test_pick_lists_general_protocols_first_and_marks_domain_ones(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        assert field(app, "field-protocol").editor.has_focus
        await pilot.press("enter")
        await settle(pilot, 1)
        dialog = app.screen
        assert isinstance(dialog, PickDialog)
        options = dialog.options
        general = [o for o in options if o.group == "General-purpose"]
        assert general and list(options[: len(general)]) == general
        assert any(o.id == "bitfount.ResultsOnly" and o.note for o in general)
        domain = next(o for o in options if o.id == "bitfount.GAScreeningProtocolJade")
        # its arguments are mirrored now: the note is its summary, like a general one's
        assert domain.group == "Domain-specific" and domain.note == "ophthalmology: GA screening"
        await pilot.press("escape")
        await settle(pilot, 1)
        assert protocol(app) == {"name": "bitfount.InferenceAndCSVReport"}


async def test_argument_edits_land_typed_and_default_or_empty_removes_the_key(
    tmp_path: Path,
) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        await pick(pilot, "FederatedAveraging")
        assert protocol(app) == {"name": "bitfount.FederatedAveraging"}
        assert app.focused is field(app, "field-protocol").editor

        steps = await focus_field(pilot, "arg-steps_between_parameter_updates")
        assert isinstance(steps.editor, Input) and steps.editor.placeholder == ""  # no default
        await type_text(pilot, "10")
        await settle(pilot, 1)
        assert protocol(app)["arguments"] == {"steps_between_parameter_updates": 10}
        assert isinstance(protocol(app)["arguments"]["steps_between_parameter_updates"], int)

        # auto_eval defaults to true: the checkbox shows it; unticking writes false,
        # ticking again is the default, so the key goes.
        auto_eval = await focus_field(pilot, "arg-auto_eval")
        assert isinstance(auto_eval.editor, Checkbox) and auto_eval.editor.value is True
        await pilot.press("space")
        await settle(pilot, 1)
        assert protocol(app)["arguments"]["auto_eval"] is False
        await pilot.press("space")
        await settle(pilot, 1)
        assert "auto_eval" not in protocol(app)["arguments"]

        await focus_field(pilot, "arg-steps_between_parameter_updates")
        await pilot.press("backspace", "backspace")
        await settle(pilot, 1)
        # Nothing set any more: no arguments key at all (clean YAML).
        assert protocol(app) == {"name": "bitfount.FederatedAveraging"}


async def test_choice_list_and_string_mapping_arguments(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        await pick(pilot, "ResultsOnly")
        save_location = await focus_field(pilot, "arg-save_location")
        editor = save_location.editor
        assert isinstance(editor, SelectionList)
        assert list(editor.selected) == ["Modeller"]  # the default, shown
        await pilot.press("space")  # Worker, the first choice
        await settle(pilot, 1)
        assert protocol(app)["arguments"]["save_location"] == ["Worker", "Modeller"]


async def test_string_mapping_argument_as_rows_keeps_values_strings(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, protocol={"name": "bitfount.InferenceAndImageOutput"})
        rename = field(app, "arg-rename_columns")
        assert isinstance(rename, KeyValueEditor) and not rename.typed
        await focus_field(pilot, "arg-rename_columns")
        await pilot.press("enter")  # + Add row
        await settle(pilot)
        await type_text(pilot, "prediction")
        await pilot.press("tab")
        await type_text(pilot, "1")
        await settle(pilot, 1)
        # str -> str mapping: the value stays a string.
        assert protocol(app)["arguments"] == {"rename_columns": {"prediction": "1"}}


async def test_changing_protocol_asks_before_clearing_arguments(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(
            pilot,
            protocol={
                "name": "bitfount.FederatedAveraging",
                "arguments": {"epochs_between_parameter_updates": 2},
            },
        )
        await pick(pilot, "ResultsOnly")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert protocol(app) == {
            "name": "bitfount.FederatedAveraging",
            "arguments": {"epochs_between_parameter_updates": 2},
        }
        await pick(pilot, "ResultsOnly")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert protocol(app) == {"name": "bitfount.ResultsOnly"}
        assert wizard(app).query("#arg-save_location")  # the form follows the new protocol


async def test_unknown_protocol_kept_and_editable_as_yaml_and_raw(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    # A plugin protocol (Bitfount's GenericProtocolConfig takes any arguments for a name
    # outside bitfount.); every bitfount. protocol's arguments are in the catalog.
    original = {"name": "my_plugin.ScreeningProtocol", "arguments": {"trial": {"x": 1}}}
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, protocol=dict(original))
        assert protocol(app) == original  # showing the step changes nothing
        yaml_field = field(app, "arg-yaml")
        assert isinstance(yaml_field, YamlValueField)
        area = yaml_field.editor
        assert isinstance(area, TextArea) and "trial:" in area.text
        await focus_field(pilot, "arg-yaml")
        area.text = "trial: {x: 2}\nextra: [a, b]\n"
        await settle(pilot)
        assert protocol(app)["arguments"] == {"trial": {"x": 2}, "extra": ["a", "b"]}
        area.text = "trial: [unclosed\n"
        await settle(pilot)
        assert protocol(app)["arguments"] == {"trial": {"x": 2}, "extra": ["a", "b"]}
        assert "not valid YAML yet" in str(yaml_field.query_one(".field--problem").render())

        # The raw YAML view (Ctrl+E) of the step edits the same mapping.
        await focus_field(pilot, "field-protocol")
        await pilot.press("ctrl+e")
        await settle(pilot)
        raw = wizard(app).query_one("#raw-editor TextArea", TextArea)
        assert "my_plugin.ScreeningProtocol" in raw.text
        raw.text = raw.text.replace("x: 2", "x: 3")
        await settle(pilot)
        assert protocol(app)["arguments"]["trial"] == {"x": 3}


async def test_protocol_outside_the_catalog_typed_in_the_pick_list(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        await pick(pilot, "my_plugin.CustomProtocol")
        assert protocol(app) == {"name": "my_plugin.CustomProtocol"}
        assert "arguments" not in dump_yaml(app.state.task["task"]["protocol"])
        assert isinstance(field(app, "arg-yaml"), YamlValueField)


async def test_key_value_rows_add_and_remove(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(
            pilot,
            protocol={
                "name": "bitfount.InferenceAndImageOutput",
                "arguments": {"rename_columns": {"a": "b", "c": "d"}},
            },
        )
        editor = field(app, "arg-rename_columns")
        rows = list(editor.query(KeyValueRow))
        assert [(r.key_text, r.value_text) for r in rows] == [("a", "b"), ("c", "d")]
        rows[0].query_one(".kv--remove").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert protocol(app)["arguments"] == {"rename_columns": {"c": "d"}}
        list(editor.query(KeyValueRow))[0].query_one(".kv--remove").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert protocol(app) == {"name": "bitfount.InferenceAndImageOutput"}
