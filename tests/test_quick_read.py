"""The quick look at a config (``model.quick_read``) that fills the template picker before
the full read: whenever it answers, it answers what the full read shows in the picker.

Checked on the fixtures, on a config written to hold what YAML allows around the values
read (anchors and aliases, flow mappings, merge keys, duplicate keys, quoted and odd
scalars, tags, complex keys), and on thousands of mutants of both made by inserting the
characters where parsers disagree (as ``test_yaml_parity.py`` does)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from test_yaml_parity import INSERTS

from taskwizard.editing import CannotOpen, open_bytes, quick_read
from taskwizard.model.quick_read import template_summaries
from taskwizard.model.yamlio import _PURE_ONLY, needs_pure_parser

FIXTURES = Path(__file__).parent / "fixtures"

#: What YAML allows around the values the quick look reads.
ODD_CONFIG = """\
# Comments, anchors, aliases, flow and block styles.
defaults: &defaults {type: image-classification, tags: [Prediction]}
models:
  - {model_file: m.py, private: true}
task-templates:
  - slug: plain-slug
    title: "A \\"quoted\\" title"
    template: 'single ''quoted''.yaml'
    description: &d >
      Folded
      text
    extra: *d
  - {slug: flow-slug, title: Flow, template: flow.yaml, other: {a: [1, 2, {b: c}]}}
  - slug: anchored
    title: &t Anchored title
    template: anchored.yaml
    note: *t
  - slug:
    title: ~
    template: null
  - slug: "123"
    title: '2020-01-01'
    template: "true"
  - "not a mapping"
  - [a, list]
  -
  - title: no slug
  - slug: ünïcödé-☃
    title: |
      Literal
      block
    template: "é.yaml"
  - [complex, key]: value
    slug: after-complex
  - "slug": quoted-key
    'title': Quoted key
  - slug: a
    x: {slug: nested-not-read}
    y: [slug, title]
"""

#: Each makes the quick look unsure: it must answer None (the full read decides).
UNSURE = {
    "merge key in a template": "task-templates:\n  - <<: {slug: merged}\n    title: t\n",
    "merge key at the top": "<<: {task-templates: [{slug: s}]}\ntask-templates: []\n",
    "alias as a template": "x: &e {slug: s}\ntask-templates:\n  - *e\n",
    "alias as a slug": "x: &s slug-a\ntask-templates:\n  - slug: *s\n",
    "alias as a key": "x: &k slug\ntask-templates:\n  - *k : s\n",
    "number slug": "task-templates:\n  - slug: 123\n",
    "float title": "task-templates:\n  - title: 1.5\n",
    "bool slug": "task-templates:\n  - slug: yes\n",
    "date title": "task-templates:\n  - title: 2020-01-01\n",
    "tagged slug": "task-templates:\n  - slug: !!str 1\n",
    "tagged template": "task-templates:\n  - !!map {slug: s}\n",
    "list as slug": "task-templates:\n  - slug: [a]\n",
    "duplicate slug": "task-templates:\n  - slug: a\n    slug: b\n",
    "duplicate list": "task-templates: []\ntask-templates:\n  - slug: b\n",
    "no templates key": "models: []\n",
    "templates not a list": "task-templates: {slug: s}\n",
    "templates empty value": "task-templates:\n",
    "two documents": "task-templates: []\n---\ntask-templates: []\n",
    "top is a list": "- task-templates: []\n",
    "a tab": "task-templates:\n  - slug:\ts\n",
    "a question mark": "task-templates:\n  - slug: s?\n",
    "not YAML": "task-templates: [\n",
    "a control character": "task-templates:\n  - slug: \x1b\n",
    "a second BOM": "\ufefftask-templates: []\n",
}


_SCRATCH = Path(tempfile.mkdtemp(prefix="quick-read-")) / "task-templates.yaml"


def full_choices(text: str) -> list[tuple[str, str, str]] | None:
    """What the full read shows in the picker; None when it shows no picker."""
    raw = text.encode("utf-8", "surrogatepass")
    _SCRATCH.write_bytes(raw)  # the full read names its source file: it must be there
    try:
        opened = open_bytes(_SCRATCH, raw)
    except CannotOpen:
        return None
    if not (opened.parsed and opened.kind == "config"):
        return None
    return [(c.slug, c.title, c.template) for c in opened.templates()]


def agrees(text: str) -> bool:
    """The quick look gives the full read's list, or no answer. Where the full read shows
    no picker at all (a file with an error it alone finds, such as an alias to no anchor),
    the picker's own full read overrules any answer (``test_edit_quick_picker.py``)."""
    quick = template_summaries(text)
    full = full_choices(text)
    return quick is None or full is None or quick == full


def configs() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.yaml"))] + [ODD_CONFIG]


def test_the_odd_config_is_read_quickly_and_as_the_full_read_reads_it() -> None:
    quick = template_summaries(ODD_CONFIG)
    assert quick is not None
    assert quick == full_choices(ODD_CONFIG)
    assert quick[0] == ("plain-slug", 'A "quoted" title', "single 'quoted'.yaml")
    assert quick[3] == ("", "", "")  # empty and null values
    assert quick[4] == ("123", "2020-01-01", "true")  # quoted: text
    assert quick[5:8] == [("", "", "")] * 3  # not mappings


@pytest.mark.parametrize("name", sorted(UNSURE))
def test_what_the_quick_look_cannot_be_sure_of_waits_for_the_full_read(name: str) -> None:
    assert template_summaries(UNSURE[name]) is None


@pytest.mark.parametrize("text", configs(), ids=lambda t: t.splitlines()[0][:40])
def test_fixtures_agree(text: str) -> None:
    assert agrees(text)


def test_mutated_configs_agree_with_the_full_read() -> None:
    rng = random.Random(15)
    # The configs it answers for, and the texts it must not answer for, mutated.
    sure = [t for t in configs() if template_summaries(t) is not None]
    assert len(sure) >= 3
    answered = overruled = 0
    for _ in range(3000):
        text = rng.choice(sure if rng.random() < 0.8 else list(UNSURE.values()))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.15:
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + rng.choice(INSERTS) + text[at:]
        quick = template_summaries(text)
        if quick is None:
            continue
        full = full_choices(text)
        if full is None:
            overruled += 1  # an error only the full read finds: it wins in the picker
            continue
        answered += 1
        assert quick == full, text
    # It answers for most mutants, so the check means something.
    assert answered > 600 and overruled < answered / 5, (answered, overruled)


def test_bytes_that_are_not_utf8_are_refused_before_either_read(tmp_path: Path) -> None:
    from taskwizard.editing import read_for_edit

    path = tmp_path / "task-templates.yaml"
    path.write_bytes(b"task-templates:\n  - slug: caf\xe9\n")
    with pytest.raises(CannotOpen, match="not UTF-8"):
        read_for_edit(path)  # the reading dialog's first step: neither read runs


def test_quick_read_numbers_the_templates(tmp_path: Path) -> None:
    quick = quick_read(tmp_path / "c.yaml", ODD_CONFIG.encode())
    assert quick is not None
    assert [c.index for c in quick.choices] == list(range(len(quick.choices)))
    assert quick.choices[1].slug == "flow-slug"


@pytest.mark.parametrize("text", [*INSERTS, *configs(), "a|#", "b>-1#", "|x#", "#>", "x>+#"])
def test_needs_pure_parser_is_the_regular_expression(text: str) -> None:
    assert needs_pure_parser(text) == bool(_PURE_ONLY.search(text))
