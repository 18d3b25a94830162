"""YAML reading with positions, the traps PyYAML hides, and dump_yaml's quoting."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from taskwizard.model import yamlio
from taskwizard.model.problems import Problem, error
from taskwizard.model.yamlio import (
    MAX_YAML_BYTES,
    Position,
    dump_yaml,
    load_yaml_file,
    load_yaml_text,
)

TASK = """\
pods:
  identifiers:
    - "mnist-demo-dataset"   # the pod
task:
  protocol:
    name: bitfount.InferenceAndCSVReport
  algorithm:
    - name: bitfount.ModelInference
      arguments:
        class_outputs: ["0", "1"]
    - name: bitfount.CSVReportAlgorithm
  data_structure: {}
"""


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def where(problem: Problem) -> tuple[int | None, int | None]:
    return problem.line, problem.column


# --------------------------------------------------------------------------- positions


def test_reads_plain_data_and_keeps_key_order() -> None:
    loaded = load_yaml_text(TASK, "task.yaml")
    assert loaded.ok and loaded.problems == []
    assert list(loaded.data) == ["pods", "task"]
    assert list(loaded.data["task"]) == ["protocol", "algorithm", "data_structure"]
    assert loaded.data["task"]["algorithm"][0]["arguments"]["class_outputs"] == ["0", "1"]
    assert loaded.text == TASK and loaded.filename == "task.yaml"


@pytest.mark.parametrize(
    ("path", "value_at", "key_at"),
    [
        (("pods",), (2, 3), (1, 1)),
        (("pods", "identifiers"), (3, 5), (2, 3)),
        (("pods", "identifiers", 0), (3, 7), (3, 7)),  # list item: no key, falls back to value
        (("task", "protocol", "name"), (6, 11), (6, 5)),
        (("task", "algorithm", 1), (11, 7), (11, 7)),
        (("task", "algorithm", 1, "name"), (11, 13), (11, 7)),
        (("task", "algorithm", 0, "arguments", "class_outputs"), (10, 24), (10, 9)),
        (("task", "algorithm", 0, "arguments", "class_outputs", 1), (10, 30), (10, 30)),
        (("task", "data_structure"), (12, 19), (12, 3)),
    ],
)
def test_positions_of_values_and_keys(
    path: tuple[str | int, ...], value_at: tuple[int, int], key_at: tuple[int, int]
) -> None:
    loaded = load_yaml_text(TASK)
    assert loaded.locate(path) == Position(*value_at)
    assert loaded.locate_key(path) == Position(*key_at)


def test_missing_path_falls_back_to_deepest_existing_ancestor() -> None:
    loaded = load_yaml_text(TASK)
    assert loaded.locate(("task", "algorithm", 1, "arguments", "x")) == Position(11, 7)
    assert loaded.locate(("task", "nope")) == Position(5, 3)
    assert loaded.locate_key(("task", "nope")) == Position(5, 3)


def test_span_is_exact_text_of_the_value() -> None:
    loaded = load_yaml_text(TASK)
    span = loaded.span(("pods", "identifiers", 0))
    assert span is not None
    assert TASK[span[0] : span[1]] == '"mnist-demo-dataset"'
    span = loaded.span(("task", "algorithm", 0, "arguments", "class_outputs"))
    assert span is not None and TASK[span[0] : span[1]] == '["0", "1"]'
    assert loaded.span(("nope",)) is None


def test_crlf_positions_and_spans() -> None:
    text = TASK.replace("\n", "\r\n")
    loaded = load_yaml_text(text)
    assert loaded.ok and loaded.data == load_yaml_text(TASK).data
    assert loaded.locate(("task", "protocol", "name")) == Position(6, 11)
    span = loaded.span(("task", "protocol", "name"))
    assert span is not None and text[span[0] : span[1]] == "bitfount.InferenceAndCSVReport"


def test_non_ascii_keeps_columns_in_characters() -> None:
    text = 'title: "Café 🎉"\nnext: x\nafter: [é, 🎉, z]\n'
    loaded = load_yaml_text(text)
    assert loaded.locate(("after", 2)) == Position(3, 15)
    span = loaded.span(("after", 2))
    assert span is not None and text[span[0] : span[1]] == "z"


def test_utf8_bom_is_accepted_and_remembered() -> None:
    loaded = load_yaml_text("\ufeffa: 1\n".encode())
    assert loaded.ok and loaded.data == {"a": 1} and loaded.bom
    assert loaded.text == "a: 1\n"
    assert loaded.locate(("a",)) == Position(1, 4)
    assert load_yaml_text("\ufeffa: 1\n").bom


def test_resolve_fills_file_line_and_column() -> None:
    loaded = load_yaml_text(TASK, "t.yaml")
    problems = loaded.resolve(
        [
            error("unknown key 'arguments'", ("task", "algorithm", 1, "name")),
            error("must be a bitfount name", ("task", "algorithm", 1, "name")),
            error("missing required key 'arguments'", ("task", "algorithm", 1, "arguments")),
            error("top-level problem"),
        ]
    )
    assert [(p.file, p.line, p.column) for p in problems] == [
        ("t.yaml", 11, 7),  # unknown key: on the key
        ("t.yaml", 11, 13),  # otherwise on the value
        ("t.yaml", 11, 7),  # missing: on the nearest existing parent
        ("t.yaml", 1, 1),
    ]
    assert where(
        loaded.resolve(
            [error("unknown key", ("task", "algorithm", 1, "name"))], key_for_unknown=False
        )[0]
    ) == (11, 13)
    unknown = loaded.resolve([error("Unknown field.", ("task", "protocol", "name"))])
    assert where(unknown[0]) == (6, 5)


# --------------------------------------------------------------------------- traps


def test_duplicate_key_reported_at_second_occurrence() -> None:
    loaded = load_yaml_text("task:\n  protocol: a\n  algorithm: []\n  protocol: b\n")
    problem = only(loaded.problems)
    assert problem.is_error and where(problem) == (4, 3)
    assert "duplicate key 'protocol'" in problem.message and "line 2" in problem.message
    assert problem.path == ("task", "protocol")
    assert loaded.data["task"]["protocol"] == "b"  # what PyYAML (and Bitfount) would see


def test_duplicate_keys_in_flow_mapping() -> None:
    problem = only(load_yaml_text("a: {x: 1, y: 2, x: 3}\n").problems)
    assert where(problem) == (1, 17) and "line 1" in problem.message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("task:\n\tprotocol: x\n", 2, 1),
        ("task:\n  protocol:\n  \tname: x\n", 3, 3),
        ("a: foo\n\tbar\n", 2, 1),
    ],
)
def test_tab_indentation_gets_a_plain_message(text: str, line: int, column: int) -> None:
    loaded = load_yaml_text(text)
    problem = only(loaded.problems)
    assert not loaded.ok and where(problem) == (line, column)
    assert "tab" in problem.message and "spaces" in problem.message


def test_tab_in_block_scalar_content_is_not_blamed_for_another_error() -> None:
    assert load_yaml_text("s: |\n  first\n  \tcontent\n").data == {"s": "first\n\tcontent\n"}
    problem = only(load_yaml_text("s: |\n  first\n  \tcontent\nb: [\n").problems)
    assert "tab character" not in problem.message and "unclosed '['" in problem.message


def test_tab_inside_a_quoted_value_is_fine() -> None:
    loaded = load_yaml_text('a: "x\\ty"\nb: "c\td"\n')
    assert loaded.ok and loaded.data == {"a": "x\ty", "b": "c\td"}


def test_tab_after_the_colon_is_refused_as_pyyaml_does() -> None:
    # libyaml reads 'b:\tc' as {'b': 'c'}; Bitfount's yaml.safe_load (pure Python) refuses it
    problem = only(load_yaml_text("a: 1\nb:\tc\n").problems)
    assert problem.is_error and (problem.line, problem.column) == (2, 3)
    assert "tab character here" in problem.message


def test_non_utf8_names_byte_offset_line_and_column() -> None:
    loaded = load_yaml_text(b"a: 1\nb: caf\xe9\n", "f.yaml")
    problem = only(loaded.problems)
    assert not loaded.ok and loaded.data is None and loaded.text == ""
    assert where(problem) == (2, 7)
    assert "UTF-8" in problem.message and "byte offset 11" in problem.message
    assert problem.file == "f.yaml"


def test_utf16_and_binary_files() -> None:
    assert "UTF-16" in only(load_yaml_text("a: 1\n".encode("utf-16")).problems).message
    loaded = load_yaml_text(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not loaded.ok and "not a text file" in only(loaded.problems).message


def test_control_character_is_located() -> None:
    problem = only(load_yaml_text("a: 1\nb: x\x07y\n").problems)
    assert where(problem) == (2, 5) and "U+0007" in problem.message


@pytest.mark.parametrize(
    ("text", "words", "at"),
    [
        ("- a\n- b\n", "a list", (1, 1)),
        ("just text\n", "a single value", (1, 1)),
        ("", "empty", (None, None)),
        ("# only a comment\n\n", "empty", (None, None)),
    ],
)
def test_top_level_must_be_a_mapping(text: str, words: str, at: tuple[int | None, ...]) -> None:
    loaded = load_yaml_text(text)
    problem = only(loaded.problems)
    assert not loaded.ok and loaded.data is None
    assert words in problem.message and where(problem) == at


def test_second_document_is_an_error_naming_its_line() -> None:
    loaded = load_yaml_text("---\na: 1\n# c\n---\nb: 2\n")
    problem = only(loaded.problems)
    assert not loaded.ok and where(problem) == (4, 1) and "line 4" in problem.message
    assert load_yaml_text("---\na: 1\n...\n").ok  # one explicit document is fine


def test_anchors_aliases_and_merge_keys_work() -> None:
    text = (
        "defaults: &d\n  batch_size: 4\n  epochs: 1\n"
        "train:\n  <<: *d\n  epochs: 3\n"
        "again: *d\n"
        "multi:\n  <<: [*d, {lr: 0.1, epochs: 9}]\n"
    )
    loaded = load_yaml_text(text)
    assert loaded.ok and loaded.problems == []
    assert loaded.data["train"] == {"batch_size": 4, "epochs": 3}
    assert loaded.data["again"] == {"batch_size": 4, "epochs": 1}
    assert loaded.data["multi"] == {"batch_size": 4, "epochs": 1, "lr": 0.1}
    # aliases are expanded into separate objects: editing one never edits another
    assert loaded.data["again"] is not loaded.data["defaults"]
    # the alias is located where it is written; values behind it where they are defined
    assert loaded.locate(("again",)) == Position(7, 8)
    assert loaded.locate(("train", "batch_size")) == Position(2, 15)
    assert loaded.locate(("train", "epochs")) == Position(6, 11)
    assert ("train", "batch_size") in loaded.indirect
    assert ("train", "epochs") not in loaded.indirect


def test_merge_key_with_a_scalar_is_an_error() -> None:
    problem = only(load_yaml_text("a:\n  <<: 3\n").problems)
    assert where(problem) == (2, 7) and "merge key" in problem.message


def test_billion_laughs_is_refused() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    loaded = load_yaml_text("\n".join(lines) + "\n")
    problem = only(loaded.problems)
    assert not loaded.ok and loaded.data is None
    assert "billion laughs" in problem.message
    assert where(problem) == (5, 45)  # the *a3 in line a4 that passes 100,000 values


def test_recursive_and_undefined_aliases() -> None:
    problem = only(load_yaml_text("a: &x [1, *x]\n").problems)
    assert where(problem) == (1, 11) and "recursive" in problem.message
    problem = only(load_yaml_text("a: 1\nb: *nope\n").problems)
    assert where(problem) == (2, 4) and "*nope" in problem.message


@pytest.mark.parametrize("depth", [300, 1200])
def test_deep_nesting_is_refused_not_crashing(depth: int) -> None:
    loaded = load_yaml_text("a: " + "[" * depth + "]" * depth + "\n")
    assert not loaded.ok and "nested" in only(loaded.problems).message


def test_too_big(tmp_path: Path) -> None:
    big = b"a: " + b"x" * MAX_YAML_BYTES + b"\n"
    assert "too big" in only(load_yaml_text(big).problems).message
    path = tmp_path / "big.yaml"
    path.write_bytes(big)
    loaded = load_yaml_file(path)
    assert not loaded.ok and "too big" in only(loaded.problems).message


@pytest.mark.parametrize(
    ("text", "at", "words"),
    [
        ("a: b: c\n", (1, 5), "check the indentation"),
        ("task:\n  protocol: x\n algorithm: y\n", (3, 2), "indentation"),
        ("a:\n  - 1\n  b: 2\n", (3, 3), "indentation"),
        ("a: 'unclosed\nb: 2\n", (1, 4), "not closed"),
        ("a: [1, 2\nb: 3\n", (1, 4), "not closed"),
        ("a: @x\n", (1, 4), "quotes"),
        ("a:\n b\nc\n", (3, 1), "':'"),
        ("a: [1,\n", (2, 1), "unclosed '['"),
        ("a: *\n", (1, 5), "'*defaults'"),
        ('a: "\\q"\n', (1, 5), "backslash"),
        ("a: 'x' y\n", (1, 8), "after the value"),
        ("a: |x\n  b\n", (1, 5), "after the value"),
        ("a: 1\nb\nc: 2\n", (2, 1), "missing its ':'"),
    ],
)
def test_syntax_errors_are_plain(text: str, at: tuple[int, int], words: str) -> None:
    loaded = load_yaml_text(text)
    problem = only(loaded.problems)
    assert not loaded.ok and problem.is_error
    assert problem.message.startswith("could not parse YAML: ")
    assert words in problem.message and where(problem) == at
    assert "Traceback" not in problem.message and "<block" not in problem.message


def test_non_string_keys_are_kept_with_a_warning() -> None:
    loaded = load_yaml_text("1: x\nnull: y\nok: z\n")
    assert loaded.ok and loaded.data == {1: "x", None: "y", "ok": "z"}
    assert [(p.severity, where(p)) for p in loaded.problems] == [
        ("warning", (1, 1)),
        ("warning", (2, 1)),
    ]
    assert "quote it" in loaded.problems[0].message


def test_complex_key_is_an_error() -> None:
    loaded = load_yaml_text("? [1, 2]\n: x\nb: 1\n")
    assert loaded.data == {"b": 1}
    assert where(only(loaded.problems)) == (1, 3)


def test_dates_stay_dates() -> None:
    loaded = load_yaml_text("value: 1950-01-01\nquoted: '1950-01-01'\n")
    assert loaded.data == {"value": datetime.date(1950, 1, 1), "quoted": "1950-01-01"}


def test_unknown_tag_is_an_error() -> None:
    loaded = load_yaml_text("a: !!python/object:os.system x\n")
    assert where(only(loaded.problems)) == (1, 4)
    assert loaded.data == {"a": "x"}


def test_load_yaml_file_missing_and_directory(tmp_path: Path) -> None:
    missing = load_yaml_file(tmp_path / "nope.yaml")
    assert not missing.ok and "not found" in only(missing.problems).message
    assert only(missing.problems).file == str(tmp_path / "nope.yaml")
    assert "folder" in only(load_yaml_file(tmp_path).problems).message
    good = tmp_path / "t.yaml"
    good.write_bytes(TASK.replace("\n", "\r\n").encode())
    loaded = load_yaml_file(good)
    assert loaded.ok and loaded.locate(("task",)) == Position(5, 3)


def test_uses_the_c_parser_when_available() -> None:
    import yaml

    if getattr(yaml, "__with_libyaml__", False):
        assert yamlio._Loader is yaml.CSafeLoader


# --------------------------------------------------------------------------- writing

NASTY = [
    "",
    " ",
    "  leading",
    "trailing ",
    "a: b",
    "a #b",
    "#x",
    "- x",
    "? x",
    "@x",
    "`x",
    "'",
    '"',
    "\\",
    "\t",
    "a\tb",
    "line\nline",
    "trailing newline\n",
    "\n",
    "\n\nx",
    "x\n\n",
    "  indented\nblock",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "True",
    "FALSE",
    "1",
    "-1",
    "1.0",
    ".5",
    "1e3",
    "1.5e-3",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "1:20",
    "2001-12-14t21:59:43.10-05:00",
    "1950-01-01",
    "8.43.0",
    "{{ name }}",
    "{{name}}",
    "[a]",
    "{a: b}",
    "*alias",
    "&anchor",
    "!tag",
    "%",
    "|",
    ">",
    "---",
    "...",
    "é",
    "日本語",
    "emoji 🎉",
    "a\u2028b",
    "a\x85b",
    "a\r\nb",
    "a\rb",
    "\x07",
    ".nan",
    ".inf",
    "-.inf",
    "=",
    "<<",
    "x" * 300,
    "word " * 40,
    "last line no newline\nsecond",
]


@pytest.mark.parametrize("value", NASTY)
def test_dump_yaml_round_trips_nasty_strings(value: str) -> None:
    data = {"key": value, value: "as a key", "list": [value, {"nested": value}]}
    text = dump_yaml(data)
    loaded = load_yaml_text(text)
    assert loaded.ok, (text, [p.format() for p in loaded.problems])
    assert loaded.data == data
    assert loaded.problems == []


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("8.43.0", "v: 8.43.0\n"),
        ("1.0", 'v: "1.0"\n'),
        ("yes", 'v: "yes"\n'),
        ("no", 'v: "no"\n'),
        ("on", 'v: "on"\n'),
        ("off", 'v: "off"\n'),
        ("null", 'v: "null"\n'),
        ("1950-01-01", 'v: "1950-01-01"\n'),
        ("{{ name }}", 'v: "{{ name }}"\n'),
        ("1e3", 'v: "1e3"\n'),
        ("bitfount.ModelInference", "v: bitfount.ModelInference\n"),
        ("Café", "v: Café\n"),
        ("a\nb\n", "v: |\n  a\n  b\n"),
    ],
)
def test_dump_yaml_quotes_only_when_needed(value: str, written: str) -> None:
    assert dump_yaml({"v": value}) == written


def test_dump_yaml_layout() -> None:
    data = {
        "task": {
            "protocol": {"name": "p"},
            "algorithm": [{"name": "a", "arguments": {"x": [1, 2]}}],
        },
        "version": "8.43.0",
        "empty": {},
        "none": None,
        "flag": True,
        "when": datetime.date(2024, 1, 2),
        "zeta": 1,
        "alpha": 2,
    }
    assert dump_yaml(data) == (
        "task:\n"
        "  protocol:\n"
        "    name: p\n"
        "  algorithm:\n"
        "    - name: a\n"
        "      arguments:\n"
        "        x:\n"
        "          - 1\n"
        "          - 2\n"
        "version: 8.43.0\n"
        "empty: {}\n"
        "none: null\n"
        "flag: true\n"
        "when: 2024-01-02\n"
        "zeta: 1\n"
        "alpha: 2\n"
    )
    assert load_yaml_text(dump_yaml(data)).data == data


def test_dump_yaml_is_safe() -> None:
    import yaml

    class Custom:
        pass

    with pytest.raises(yaml.representer.RepresenterError):
        dump_yaml({"x": Custom()})


def test_a_big_file_without_aliases_is_not_an_alias_bomb() -> None:
    # About 4.9 MiB and 200,000 values, none from an alias: the expansion cap is for aliases.
    entry = "  - slug: template-{i}\n    title: Template {i}\n    tags: [Prediction, Other]\n"
    text = "task-templates:\n" + "".join(entry.format(i=i) for i in range(50_000))
    assert len(text) < yamlio.MAX_YAML_BYTES
    loaded = yamlio.load_yaml_text(text)
    assert [p.message for p in loaded.problems] == []
    assert len(loaded.data["task-templates"]) == 50_000
