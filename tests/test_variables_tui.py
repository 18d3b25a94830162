"""The Variables step (every declaration type through its form), the preview, and Ctrl+B binding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea
from tui_helpers import field, focus_field, new_app, settle, tw_app, wizard

from taskwizard.model import variables
from taskwizard.model.yamlio import dump_yaml
from taskwizard.tui.dialogs.confirm import ConfirmDialog
from taskwizard.tui.dialogs.new_variable import NewVariableDialog
from taskwizard.tui.dialogs.pick import PickDialog
from taskwizard.tui.screens.wizard import WizardScreen

pytestmark = pytest.mark.anyio
SIZE = (100, 30)


async def open_step(pilot: Pilot[Any], step: str, task: dict[str, Any] | None = None) -> None:
    await settle(pilot)
    tw_app(pilot).state.task.update(task or {})
    wizard(tw_app(pilot)).show_step(step)
    await settle(pilot)


def text_of(widget: Static) -> str:
    return str(widget.render())


async def add_variable(pilot: Pilot[Any], name: str, label: str, type_key: str) -> None:
    """Ctrl+T, then the dialog with the keyboard: name, label, type (searched in the list)."""
    await pilot.press("ctrl+t")
    await settle(pilot, 1)
    assert isinstance(pilot.app.screen, NewVariableDialog)
    await pilot.press(*name, "enter", *label, "tab")
    await pilot.press("enter")  # open the type list, search it, choose
    await settle(pilot, 1)
    await pilot.press(*type_key, "enter")
    await settle(pilot, 1)
    await pilot.press("tab", "tab", "enter")  # Cancel, Create
    await settle(pilot)
    assert isinstance(pilot.app.screen, WizardScreen)


#: Per declaration type: (field suffix -> text typed, expected VariableSpec fields).
FORMS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "string": (
        {"pattern": "^a", "minLength": "2", "enum": "ab, ac", "default": "ab"},
        {"pattern": "^a", "min_length": 2, "enum": ["ab", "ac"], "default": "ab"},
    ),
    "boolean": ({"default": "true"}, {"default": True}),
    "number": ({"minimum": "1", "default": "2.5"}, {"minimum": 1, "default": 2.5}),
    "array of strings": (
        {"minItems": "1", "default": "x, y"},
        {"min_items": 1, "default": ["x", "y"]},
    ),
    "array of string arrays": ({"default": "[[a, b], [c]]"}, {"default": [["a", "b"], ["c"]]}),
    "array of objects": ({"default": "[{a: 1}]"}, {"default": [{"a": 1}]}),
    "object": ({"default": "{a: 1}"}, {"default": {"a": 1}}),
    "file_path": (
        {"extension": "csv", "default": "f.csv"},
        {"extension": "csv", "default": "f.csv"},
    ),
    "model_slug": (
        {"provider": "hf", "library": "tr", "pipeline_tag": "x", "author": "me"},
        {
            "provider": "hf",
            "library": "tr",
            "pipeline_tag": "x",
            "author": "me",
            "has_default": False,
        },
    ),
    "schema_column_name": ({"default": "col"}, {"default": "col"}),
    "schema_column_name_array": ({"default": "a, b"}, {"default": ["a", "b"]}),
    "task_filters": (
        {"default": "[{filter_type: min-frames, value: 2}]"},
        {"default": [{"filter_type": "min-frames", "value": 2}]},
    ),
}


@pytest.mark.parametrize(
    "types",
    [variables.VARIABLE_TYPES[:6], variables.VARIABLE_TYPES[6:]],
    ids=["scalar-and-arrays", "object-and-nested"],
)
async def test_every_declaration_type_through_the_form(tmp_path: Path, types: Any) -> None:
    assert set(variables.VARIABLE_TYPES) == set(FORMS)  # a new type needs a row here
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, "variables")
        for index, type_key in enumerate(types):
            name = f"v{index}"
            await add_variable(pilot, name, f"Question {index}", type_key)
            decl = app.state.task["template"][name]
            spec, problems = variables.parse_declaration(name, decl)
            assert spec is not None and spec.type_key == type_key
            # The new variable's label has focus; fill the type's own fields.
            assert app.focused is field(app, f"variable-{index}-label").editor
            typed, expected = FORMS[type_key]
            for suffix, text in typed.items():
                # Into the form's own editor (one change event, not one per character).
                target = await focus_field(pilot, f"variable-{index}-{suffix}")
                editor = target.editor
                if isinstance(editor, TextArea):
                    editor.text = text
                else:
                    assert isinstance(editor, Input)
                    editor.value = text
                await settle(pilot, 1)
            if type_key == "task_filters":
                await focus_field(pilot, f"variable-{index}-filter_types")
                # min-frames is the 9th filter type: move down to it, Space toggles it.
                await pilot.press(*["down"] * 8, "space")
                await settle(pilot, 1)
                expected = {**expected, "filter_types": ["min-frames"]}
            if type_key == "schema_column_name":
                await focus_field(pilot, f"variable-{index}-semantic_type")
                await pilot.press("enter")
                await settle(pilot, 1)
                await pilot.press(*"text", "enter")
                await settle(pilot, 1)
                expected = {**expected, "semantic_type": "text"}
            decl = app.state.task["template"][name]
            spec, problems = variables.parse_declaration(name, decl)
            assert not [p for p in problems if p.is_error], (decl, problems)
            assert spec is not None and spec.label == f"Question {index}"
            for attribute, value in expected.items():
                assert getattr(spec, attribute) == value, (type_key, attribute, decl)
            if type_key != "model_slug":
                assert spec.has_default
        assert list(app.state.task)[0] == "template"  # declared first, where readers look


async def test_preview_substitutes_defaults_or_typed_values_and_validates(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    task = {
        "template": {
            "how": {
                "label": "How?",
                "type": "string",
                "enum": ["simple", "first"],
                "default": "simple",
            },
        },
    }
    async with app.run_test(size=SIZE) as pilot:
        app.state.task["pods"]["identifiers"] = ["owner/pod-a"]  # Bitfount needs one pod
        app.state.task["task"]["algorithm"] = [
            {
                "name": "bitfount.HuggingFaceNERInference",
                "arguments": {"aggregation_strategy": "{{ how }}"},
            },
        ]
        await open_step(pilot, "variables", task)
        preview = wizard(app).query_one("#variables-preview", Static)
        problems = wizard(app).query_one("#variables-preview-problems", Static)
        view = wizard(app).step_view
        result, _ = view.preview()  # type: ignore[union-attr]
        assert result["task"]["algorithm"][0]["arguments"]["aggregation_strategy"] == "simple"
        assert "template" not in result
        await pilot.pause(0.3)
        assert "valid" in text_of(problems)
        wizard(app).query_one("#try-0", Input).focus()
        await pilot.press(*"first")
        await settle(pilot, 1)
        result, _ = view.preview()  # type: ignore[union-attr]
        assert result["task"]["algorithm"][0]["arguments"]["aggregation_strategy"] == "first"
        await pilot.press("x")  # "firstx" is not one of the enum's values
        await pilot.pause(0.3)
        assert "not one of" in text_of(problems)
        assert preview.display


async def test_remove_variable_with_confirmation(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    task = {"template": {"n": {"label": "N", "type": "number", "default": 1}}}
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, "variables", task)
        await focus_field(pilot, "variable-0-label")
        await pilot.press("ctrl+r")
        await settle(pilot, 1)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert "template" not in app.state.task  # the last one takes the block with it


async def test_bind_and_unbind_a_templatable_argument(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    task = {
        "template": {
            "k": {"label": "How many?", "type": "number", "default": 3},
            "s": {"label": "Text", "type": "string", "default": "x"},
            "flag": {"label": "Evaluate?", "type": "boolean", "default": False},
        },
    }
    algorithm = [
        {
            "name": "bitfount.HuggingFaceImageClassificationInference",
            "arguments": {"model_id": "m", "top_k": 2},
        }
    ]
    async with app.run_test(size=SIZE) as pilot:
        app.state.task["task"]["algorithm"] = algorithm
        await open_step(pilot, "algorithms", task)
        top_k = await focus_field(pilot, "arg-top_k")
        assert top_k.templatable and top_k.variable_kind == "int"
        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        dialog = app.screen
        assert isinstance(dialog, PickDialog)
        # Only the number variable fits an int argument, plus "new variable".
        assert [o.id for o in dialog.options][:-1] == ["k"]
        await pilot.press("enter")
        await settle(pilot)
        args = ("task", "algorithm", 0, "arguments")
        assert app.state.get("task", (*args, "top_k")) == "{{ k }}"
        top_k = field(app, "arg-top_k")
        assert "bound to {{ k }}" in text_of(top_k.query_one(".field--bound", Static))
        assert app.focused is top_k.editor
        assert "{{ k }}" in dump_yaml(app.state.task)

        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        assert isinstance(app.screen, PickDialog)
        assert app.screen.options[0].label.startswith("Unbind")
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.get("task", (*args, "top_k")) == 3  # the variable's default
        bound_lines = field(app, "arg-top_k").query(".field--bound")
        assert all(line.has_class("-empty") for line in bound_lines)  # no binding shown

        # A field that cannot take a placeholder says so instead of opening the list.
        await focus_field(pilot, "arg-apply_softmax_to_predictions")
        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        assert isinstance(app.screen, WizardScreen)


async def test_bind_a_boolean_argument_shows_the_placeholder_then_unbinds(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    task = {"template": {"flag": {"label": "Evaluate?", "type": "boolean"}}}
    async with app.run_test(size=SIZE) as pilot:
        app.state.task["task"]["protocol"] = {"name": "bitfount.FederatedAveraging"}
        await open_step(pilot, "protocol", task)
        await focus_field(pilot, "arg-auto_eval")
        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        await pilot.press("enter")
        await settle(pilot)
        path = ("task", "protocol", "arguments", "auto_eval")
        assert app.state.get("task", path) == "{{ flag }}"
        auto_eval = field(app, "arg-auto_eval")
        assert isinstance(auto_eval.editor, Input) and auto_eval.editor.value == "{{ flag }}"
        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        await pilot.press("enter")  # Unbind: no default, so no value (Bitfount's default)
        await settle(pilot)
        assert app.state.get("task", ("task", "protocol")) == {
            "name": "bitfount.FederatedAveraging"
        }


async def test_new_variable_from_a_field_takes_its_value_as_default(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.state.task["task"]["algorithm"] = [
            {"name": "bitfount.HuggingFaceImageClassificationInference"}
        ]
        await open_step(pilot, "algorithms")
        await focus_field(pilot, "arg-model_id")
        await pilot.press(*"google/vit")
        await settle(pilot, 1)
        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        assert [o.label for o in app.screen.options] == ["New variable from this field…"]  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot, 1)
        assert isinstance(app.screen, NewVariableDialog)
        assert app.screen.query_one("#variable-name", Input).value == "model_id"
        await pilot.press("enter", "ctrl+u", *"Which model?", "enter")  # name kept, label, Create
        await settle(pilot)
        assert app.state.task["template"] == {
            "model_id": {"label": "Which model?", "type": "string", "default": "google/vit"}
        }
        assert list(app.state.task)[0] == "template"
        args = ("task", "algorithm", 0, "arguments", "model_id")
        assert app.state.get("task", args) == "{{ model_id }}"
        # A name already taken is refused in the dialog, not with a traceback.
        await pilot.press("ctrl+b")
        await settle(pilot, 1)
        await pilot.press(*"new variable", "enter")
        await settle(pilot, 1)
        assert isinstance(app.screen, NewVariableDialog)
        await pilot.press("ctrl+u", *"model_id", "enter", *"Again", "enter")
        await settle(pilot, 1)
        assert isinstance(app.screen, NewVariableDialog)
        assert "already exists" in text_of(app.screen.query_one("#variable-error", Static))
        await pilot.press("escape")
        await settle(pilot, 1)
        assert list(app.state.task["template"]) == ["model_id"]
