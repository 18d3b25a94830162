"""taskwizard's YAML verdict equals ``yaml.safe_load``'s (what Bitfount 13 loads with).

taskwizard composes with libyaml for speed; libyaml and PyYAML's pure-Python loader
disagree on some inputs (a tab after ``key:``, a second byte-order mark, ``[a?b]``,
``>#``, some tags). This differential test mutates the repository's fixtures with
the characters where they disagree and checks, on every mutant, that:

* ``safe_load`` refuses → taskwizard reports an error;
* ``safe_load`` accepts a mapping → taskwizard reports no syntax error, and when it
  reports no error at all its data equals ``safe_load``'s.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from taskwizard.model.validate import validate_paths
from taskwizard.model.yamlio import load_yaml_text

FIXTURES = sorted(
    p for p in (Path(__file__).parent / "fixtures").rglob("*") if p.suffix in (".yaml", ".yml")
)
INSERTS = [
    "\t", "\t\t", "\ufeff", " ", "\r", "\r\n", "\n", "\x85", "\u2028", "\u2029", "\xa0",
    "\u3000", "\x0b", "\x1b", "%", "#", ":", ": ", "-", "- ", "?", "? ", "!", "!!str ",
    "!x ", "![", "! ", "&a ", "*a", "<<: ", "|", ">", '"', "'", "{", "}", "[", "]", ",",
    "@", "`", "\\", "\U0001f600",
    "%YAML 1.2\n---\n", "...\n", "---\n",
]  # fmt: skip
SYNTAX = (
    "could not parse YAML",
    "a tab character",
    "the file starts with two byte-order marks",
    "the control character",
)
MUTANTS = 1500


def same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, float) and isinstance(theirs, float):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return list(ours) == list(theirs) and all(same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(
            same(a, b) for a, b in zip(ours, theirs, strict=True)
        )
    return bool(ours == theirs)


def mutants() -> list[str]:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in FIXTURES]
    rng = random.Random(12)
    out = []
    for _ in range(MUTANTS):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.15:
                text = text[:at] + text[at + 1 :]  # a deleted character
            else:
                text = text[:at] + rng.choice(INSERTS) + text[at:]
        out.append(text)
    return out


def check_parity(text: str) -> None:
    try:
        theirs = yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - any refusal by safe_load is a refusal by Bitfount
        refused = True
    else:
        refused = False
    loaded = load_yaml_text(text)
    errors = [p for p in loaded.problems if p.is_error]
    if refused:
        assert errors, f"safe_load refuses, taskwizard accepts: {text!r}"
        return
    syntax = [p.message for p in errors if p.message.startswith(SYNTAX)]
    assert not syntax, f"safe_load accepts, taskwizard says {syntax[0]!r}: {text!r}"
    if loaded.ok and not errors:
        assert same(loaded.data, theirs), f"data differs from safe_load's: {text!r}"


def test_fixture_corpus_is_there() -> None:
    assert len(FIXTURES) >= 10


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixtures_have_safe_loads_verdict(path: Path) -> None:
    check_parity(path.read_text(encoding="utf-8"))


def test_mutated_fixtures_have_safe_loads_verdict() -> None:
    for text in mutants():
        check_parity(text)


@pytest.mark.parametrize(
    "text",
    [
        "name:\tx\n",  # libyaml: {'name': 'x'}; safe_load: found character '\t'
        "task:\n  name:\tbitfount.ResultsOnly\n",
        "a: b\tc\n",
        "tags: [a, b\t]\n",
        "a: [x?y]\n",
        "a: {k?: 1}\n",
        "a: >#\n  x\n",
        "\ufeffa: 1\n\ufeffb: 2\n",
        "a: ![x]\n",
        "a: [b:]\n",
    ],
)
def test_known_libyaml_differences(text: str) -> None:
    check_parity(text)


def test_two_byte_order_marks_are_refused() -> None:
    loaded = load_yaml_text(b"\xef\xbb\xbf\xef\xbb\xbfpods: [a]\ntask: {}\n")
    assert not loaded.ok and "two byte-order marks" in loaded.problems[0].message


# ---------------------------------------------------------- config → template


CONFIG = """\
task-templates:
  - slug: retina
    title: Retina
    type: text-classification
    template: {template}
"""


def test_a_config_whose_template_is_itself_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "task-templates.yaml"
    config.write_text(CONFIG.format(template="task-templates.yaml"))
    [report] = validate_paths([config], cwd=tmp_path)
    assert report.errors
    assert any("is this config itself" in p.message for p in report.problems)


def test_a_template_outside_the_config_folder_is_warned(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "task.yaml").write_text("pods:\n  identifiers: [a/b]\ntask: {}\n")
    config = tmp_path / "configs" / "task-templates.yaml"
    config.write_text(CONFIG.format(template="../task.yaml"))
    reports = validate_paths([config], cwd=tmp_path / "configs")
    messages = [p.message for p in reports[0].problems]
    assert any("outside the config's folder" in m for m in messages)
