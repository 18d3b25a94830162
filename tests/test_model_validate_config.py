"""Task-templates config rules (bitfount-formats.md §1), one variant each, with
line and column through the YAML reader."""

from __future__ import annotations

import pytest

from taskwizard.model.problems import Problem
from taskwizard.model.validate import locate, validate_config
from taskwizard.model.yamlio import load_yaml_text

BASE = """\
task-templates:
  - slug: image-classification-custom-model
    title: Example image classification task template
    type: image-classification
    description: >
      Example image classification description
    template: mnist-inference-task.yaml
    tags: [Prediction]

models:
  - private: true
    model_file: models/MyCustomModel.py
    weights_file: models/MyCustomModel.pt
"""

SECOND = """\
  - slug: Image Classification Custom Model
    title: Second
    type: image-classification
    description: d
    template: other.yaml
    tags: []
"""


def problems_for(text: str) -> list[Problem]:
    loaded = load_yaml_text(text, "config.yaml")
    assert loaded.ok, loaded.problems
    return sorted(locate(loaded, validate_config(loaded.data)), key=Problem.sort_key)


def position(text: str, at: str) -> tuple[int, int]:
    index = text.index(at)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def variant(old: str, new: str, base: str = BASE) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


CASES = [
    (
        "type typo",
        variant("type: image-classification", "type: image-clasification"),
        "image-clasification",
        "type must be one of: image-classification, image-segmentation",
        "error",
    ),
    (
        "tag case",
        variant("[Prediction]", "[prediction]"),
        "prediction]",
        "tags[0] must be one of: Prediction, Training, Evaluation, Querying, Comparison, "
        "File Selection, Ophthalmology (got 'prediction'; did you mean 'Prediction'?)",
        "error",
    ),
    (
        "missing title",
        variant("    title: Example image classification task template\n", ""),
        "slug: image",
        "title is required",
        "error",
    ),
    (
        "missing tags",
        variant("    tags: [Prediction]\n", ""),
        "slug: image",
        "tags is required",
        "error",
    ),
    (
        "title is not a string",
        variant("title: Example image classification task template", "title: 42"),
        "42",
        "title must be a string (got 42)",
        "error",
    ),
    (
        "empty model_file",
        variant("model_file: models/MyCustomModel.py", "model_file: null"),
        "null",
        "model_file must be a string (got null",
        "error",
    ),
    (
        "empty template path",
        variant("template: mnist-inference-task.yaml", 'template: ""'),
        '""',
        "template is empty",
        "error",
    ),
    (
        "model_overrides needs all three fields",
        variant(
            "    tags: [Prediction]\n",
            "    tags: [Prediction]\n    model_overrides:\n      step1: {model_ref: m}\n",
        ),
        "step1",
        "model_username is required",
        "error",
    ),
    (
        "duplicate slugs after sanitising",
        variant("\nmodels:", SECOND + "\nmodels:"),
        "Image Classification Custom Model",
        "sanitises to 'image-classification-custom-model', the same as task-templates[0]",
        "error",
    ),
    (
        "slug with no letters",
        variant("slug: image-classification-custom-model", 'slug: "!!!"'),
        '"!!!"',
        "has no letters or digits",
        "error",
    ),
    (
        "slug is sanitised",
        variant("slug: image-classification-custom-model", "slug: Image Classification"),
        "Image Classification",
        "becomes 'image-classification' on the Hub",
        "warning",
    ),
    (
        "misspelt optional key",
        variant(
            "    tags: [Prediction]\n",
            "    tags: [Prediction]\n    sampleDatasetDownloadURL: https://x.org/d.zip\n",
        ),
        "sampleDatasetDownloadURL",
        "unknown key 'sampleDatasetDownloadURL' (Bitfount silently ignores keys it does not "
        "know; did you mean 'sampleDatasetDownloadUrl'?)",
        "warning",
    ),
    (
        "misspelt top-level key",
        variant("models:", "model:"),
        "model:",
        "did you mean 'models'?",
        "warning",
    ),
    (
        "unknown key in a model entry",
        variant("    weights_file:", "    weight_file:"),
        "weight_file",
        "did you mean 'weights_file'?",
        "warning",
    ),
    (
        "type contradicts the slug",
        variant("type: image-classification", "type: image-segmentation"),
        "image-segmentation",
        "the slug/title says 'classification'",
        "warning",
    ),
    (
        "duplicate tag",
        variant("[Prediction]", "[Prediction, Prediction]"),
        "Prediction]",
        "listed twice",
        "warning",
    ),
    (
        "sample dataset URL is not a URL",
        variant(
            "    tags: [Prediction]\n",
            "    tags: [Prediction]\n    sampleDatasetDownloadUrl: data.zip\n",
        ),
        "data.zip",
        "does not look like a URL",
        "warning",
    ),
    (
        "model file is not Python",
        variant("models/MyCustomModel.py", "models/MyCustomModel.txt"),
        "models/MyCustomModel.txt",
        "is not a .py file",
        "warning",
    ),
    (
        "archiving a template that is uploaded",
        BASE + "deprecated-task-templates:\n  - slug: Image-Classification-Custom-Model\n",
        "Image-Classification-Custom-Model",
        "is both uploaded",
        "warning",
    ),
]


@pytest.mark.parametrize(
    ("text", "at", "says", "severity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_config(text: str, at: str, says: str, severity: str) -> None:
    problems = problems_for(text)
    matching = [p for p in problems if says in p.message]
    assert matching, [p.format() for p in problems]
    found = matching[0]
    assert found.severity == severity
    assert (found.line, found.column) == position(text, at), found.format()
    if severity == "warning":
        assert not [p for p in problems if p.is_error], [p.format() for p in problems]


def test_base_config_is_valid() -> None:
    assert problems_for(BASE) == []


def test_duplicate_slugs_flag_both_entries() -> None:
    problems = [p for p in problems_for(variant("\nmodels:", SECOND + "\nmodels:")) if p.is_error]
    assert [p.path for p in problems] == [
        ("task-templates", 0, "slug"),
        ("task-templates", 1, "slug"),
    ]


def test_long_slugs_collide_after_the_cut() -> None:
    long = "t" * 50
    data = {
        "task-templates": [
            {
                "slug": long + "-one",
                "title": "a",
                "type": "data-transfer",
                "description": "d",
                "template": "a.yaml",
                "tags": [],
            },
            {
                "slug": long + "-two",
                "title": "b",
                "type": "data-transfer",
                "description": "d",
                "template": "b.yaml",
                "tags": [],
            },
        ]
    }
    assert sum(p.is_error for p in validate_config(data)) == 2


@pytest.mark.parametrize(
    "data", [None, {}, {"task-templates": []}, {"task-templates": None, "models": []}]
)
def test_empty_config_is_an_error(data: object) -> None:
    problems = validate_config(data)
    assert len(problems) == 1 and problems[0].is_error and "empty" in problems[0].message


def test_config_accepts_what_bitfount_accepts() -> None:
    data = {
        "task-templates": [
            {
                "slug": "s",
                "title": "t",
                "type": "ehr-search",
                "description": "d",
                "template": "t.yaml",
                "tags": ["File Selection", "Ophthalmology"],
                "sampleDatasetDownloadUrl": None,
                "model_overrides": {
                    "seg": {"model_ref": "m", "model_username": "u", "model_version": "3"}
                },
            },
        ],
        "models": [{"model_file": "M.py", "private": "yes"}],
        "deprecated-task-templates": [{"slug": "old-one"}],
    }
    assert [p for p in validate_config(data) if p.is_error] == []


def test_config_with_only_misspelt_keys_is_empty_and_says_why() -> None:
    problems = validate_config({"task_templates": [{"slug": "x"}]})
    assert [p.severity for p in problems] == ["error", "warning"]
    assert "did you mean 'task-templates'?" in problems[1].message
