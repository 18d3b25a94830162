"""Each thing in one place, under a name that says what it holds (issue 16)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "taskwizard"


def modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(PACKAGE).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_every_modal_screen_lives_in_dialogs() -> None:
    found: dict[str, list[str]] = {}
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                "ModalScreen" in ast.unparse(base) for base in node.bases
            ):
                found.setdefault(name, []).append(node.name)
    assert found, "no modal screens found: the test is looking in the wrong place"
    outside = {name: classes for name, classes in found.items() if "/dialogs/" not in name}
    assert outside == {}


def test_tw_app_is_defined_once() -> None:
    places = [
        name
        for name, tree in modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "tw_app"
    ]
    assert places == ["tui/app_node.py"]


def test_one_steps_table_and_titles_in_one_place() -> None:
    steps = []
    titles = []
    for name, tree in modules().items():
        for node in tree.body:
            targets = (
                [node.target]
                if isinstance(node, ast.AnnAssign)
                else node.targets
                if isinstance(node, ast.Assign)
                else []
            )
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "STEPS":
                    steps.append(name)
                if isinstance(target, ast.Name) and target.id == "STEP_TITLES":
                    titles.append(name)
    assert steps == ["wizard_steps.py"]
    assert titles == ["wizard_steps.py"]


def test_class_names_are_not_reused() -> None:
    """Two classes of one name (there were two ``Credentials``) read as one thing."""
    seen: dict[str, list[str]] = {}
    for name, tree in modules().items():
        if name.startswith("model/schema"):
            continue  # the schema's classes are named after Bitfount's own YAML keys
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(name)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}


def test_names_say_what_the_modules_hold() -> None:
    tui = PACKAGE / "tui"
    assert not (tui / "widgets" / "binding.py").exists()
    assert not (tui / "dialogs" / "rename.py").exists()
    assert not (tui / "screens" / "open_file.py").exists()
    assert "class TextPromptDialog" in (tui / "dialogs" / "text_prompt.py").read_text()
    assert "def bind_focused_field" in (tui / "widgets" / "variable_binding.py").read_text()
    assert "class RefocusingStep" in (tui / "steps" / "base.py").read_text()


def test_dead_code_is_gone() -> None:
    from dataclasses import fields

    from taskwizard.drafts import DraftSummary
    from taskwizard.hub import upload

    assert not hasattr(upload, "FINAL_STATES")
    assert "editing" not in {f.name for f in fields(DraftSummary)}
    wizard = (PACKAGE / "tui" / "screens" / "wizard.py").read_text()
    assert 'if action == "toggle_raw"' not in wizard  # check_action allowed it anyway
