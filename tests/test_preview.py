"""The YAML previews: the config's template being edited in full and the others as one
comment line each; any document cut, with a comment saying where, once it holds more
than a pane shows (taskwizard.model.preview)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from taskwizard.model import preview
from taskwizard.model.preview import preview_yaml
from taskwizard.model.yamlio import dump_yaml
from taskwizard.state import WizardState


def config(templates: int) -> dict[str, Any]:
    return {
        "task-templates": [
            {"slug": f"t-{i}", "title": f"Template {i}: a title", "tags": ["Prediction"]}
            for i in range(templates)
        ],
        "models": [{"private": True, "model_file": "models/Net.py"}],
    }


def test_the_config_shows_the_template_edited_and_counts_the_others() -> None:
    data = config(50)
    text = preview_yaml(data, template_index=12)
    lines = text.splitlines()
    assert lines[:3] == [
        "task-templates:",
        "  # ⋯ 12 templates before this one (unchanged)",
        "  - slug: t-12",
    ]
    assert "  # ⋯ 37 templates after this one (unchanged)" in lines
    assert text.count("slug:") == 1
    # Comments aside, it is the YAML of the entry and the rest of the config.
    assert yaml.safe_load(text) == {
        "task-templates": [data["task-templates"][12]],
        "models": data["models"],
    }
    assert len(data["task-templates"]) == 50  # the document itself is not touched


@pytest.mark.parametrize(("index", "before", "after"), [(0, None, 1), (1, 1, None)])
def test_first_and_last_templates_have_a_comment_on_one_side(
    index: int, before: int | None, after: int | None
) -> None:
    text = preview_yaml(config(2), template_index=index)
    assert ("before this one" in text) is (before is not None)
    assert ("after this one" in text) is (after is not None)
    assert "# ⋯ 1 template " in text  # one, not "1 templates"


def test_a_lone_template_and_the_task_yaml_are_shown_as_written() -> None:
    one = config(1)
    assert preview_yaml(one, template_index=0) == dump_yaml(one)
    task = {"pods": {"identifiers": ["a/b"]}, "task": {"protocol": {"name": "x"}}}
    assert preview_yaml(task) == dump_yaml(task)


def test_a_long_list_is_cut_with_a_comment_that_counts_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(preview, "PREVIEW_VALUES", 10)
    data = {"task": {"data_structure": {"select": {"include": [f"c{i}" for i in range(5000)]}}}}
    text = preview_yaml(data)
    assert "# ⋯ 4,994 more items not shown here" in text  # 4 keys and 6 items: 10
    assert "- c5" in text and "c6" not in text
    assert "\ue000" not in text


def test_a_mapping_with_too_many_keys_is_cut_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(preview, "PREVIEW_VALUES", 3)
    text = preview_yaml({"hyperparameters": {f"k{i}": i for i in range(10)}})
    assert text.splitlines()[-1] == "  # ⋯ 8 more keys not shown here"
    assert yaml.safe_load(text) == {"hyperparameters": {"k0": 0, "k1": 1}}


def test_a_long_string_and_a_long_text_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    text = preview_yaml({"description": "x" * 10_000})
    assert "⋯ (8,000 more characters)" in text
    assert len(text) < 2_100
    monkeypatch.setattr(preview, "PREVIEW_LINES", 5)
    text = preview_yaml({"script": "\n".join(f"line {i}" for i in range(100)) + "\n"})
    lines = text.splitlines()
    assert len(lines) == 6 and lines[-1] == "# ⋯ 96 more lines not shown here"


def test_a_value_that_looks_like_a_comment_stays_a_value() -> None:
    text = preview_yaml({"title": "# ⋯ 3 templates before this one (unchanged)"})
    assert yaml.safe_load(text) == {"title": "# ⋯ 3 templates before this one (unchanged)"}


def test_the_preview_of_30000_templates_is_a_few_lines() -> None:
    state = WizardState(config=config(30_000), template_index=29_998)
    text = state.preview("config")
    assert len(text.splitlines()) < 15
    assert "# ⋯ 29,998 templates before this one (unchanged)" in text
    assert "# ⋯ 1 template after this one (unchanged)" in text
