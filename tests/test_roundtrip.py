"""Editing hand-written YAML in place: only what changed may change.

The corpus in tests/fixtures/roundtrip/ holds Bitfount's examples and files
written with comments everywhere, anchors, flow lists, block scalars, CRLF
line endings, a BOM and no final newline. For every file we change every
scalar, add and remove every key and list item we can, and check with difflib
that exactly the expected lines moved and that the result loads to the data
we asked for.
"""

from __future__ import annotations

import copy
import datetime
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model.roundtrip import unified_diff, update_yaml_text
from taskwizard.model.yamlio import MAPPING, SCALAR, SEQUENCE, LoadedYaml, load_yaml_text

CORPUS_DIR = Path(__file__).parent / "fixtures" / "roundtrip"
CORPUS = sorted(CORPUS_DIR.glob("*.yaml"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # keeps CRLF and the BOM character


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def parent_and_key(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    return get(data, path[:-1]), path[-1]


def strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(strict_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(strict_equal, a, b))
    return type(a) is type(b) and a == b


def assert_loads_to(text: str, data: Any) -> None:
    loaded = load_yaml_text(text)
    assert loaded.ok, [p.format() for p in loaded.problems]
    assert strict_equal(loaded.data, data), (loaded.data, data)


def changes(old: str, new: str) -> tuple[set[int], list[tuple[int, list[str]]]]:
    """(1-based old lines replaced or deleted, [(insert after old line n, inserted lines)])."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    replaced: set[int] = set()
    inserted: list[tuple[int, list[str]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            replaced.update(range(i1 + 1, i2 + 1))
        if tag == "insert":
            inserted.append((i1, b[j1:j2]))
    return replaced, inserted


def lines_of(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n")


def block_lines(text: str, first_line: int, column: int, key: bool = False) -> range:
    """Lines of the block starting at ``first_line`` (1-based) whose owner is at ``column``:
    following lines indented deeper (or, under a key, an indentless "- " list at its column),
    without trailing blank or comment-only lines."""
    lines = lines_of(text)
    last = first_line
    for number in range(first_line + 1, len(lines) + 1):
        line = lines[number - 1]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        closing = stripped[0] in "]}"  # the end of a flow collection that spans lines
        if indent > column or closing or (key and indent == column and stripped.startswith("-")):
            last = number
        else:
            break
    return range(first_line, last + 1)


def direct(loaded: LoadedYaml, path: tuple[Any, ...]) -> bool:
    return all(path[:n] not in loaded.indirect for n in range(len(path) + 1)) and all(
        loaded.values[path[:n]].kind != "alias" for n in range(len(path))
    )


def under_anchor(loaded: LoadedYaml, path: tuple[Any, ...]) -> bool:
    """Inside an anchored node: its aliases and merges may need pinning elsewhere."""
    return any(loaded.values[path[:n]].anchor is not None for n in range(len(path) + 1))


def involves_aliases(loaded: LoadedYaml, path: tuple[Any, ...]) -> bool:
    """Removing this may drop an anchor others use, or uncover a merged value."""
    if under_anchor(loaded, path):
        return True
    if any(p[: len(path)] == path and n.anchor is not None for p, n in loaded.values.items()):
        return True
    parent = loaded.values[path[:-1]]
    return parent.kind == MAPPING and any(k.value == "<<" for k, _ in parent.value)


def scalar_paths(loaded: LoadedYaml) -> Iterator[tuple[Any, ...]]:
    for path, node in loaded.values.items():
        if path and node.kind == SCALAR and direct(loaded, path):
            yield path


def mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.25
    if isinstance(value, datetime.date):
        return value + datetime.timedelta(days=1)
    if value is None:
        return "now set"
    assert isinstance(value, str)
    return value + " changed" if value else "changed"


def corpus_cases(kind: str) -> list[Any]:
    cases = []
    for file in CORPUS:
        loaded = load_yaml_text(read(file))
        assert loaded.ok, (file, [p.format() for p in loaded.problems])
        paths: list[tuple[Any, ...]] = []
        for path, node in loaded.values.items():
            if not direct(loaded, path):
                continue
            # Removing the only key or item would leave the mapping or list empty: that
            # has its own tests below, so no case is generated for it here.
            siblings = len(get(loaded.data, path[:-1])) if path else 0
            wanted = {
                "scalar": bool(path) and node.kind == SCALAR,
                "mapping": node.kind == MAPPING,
                "sequence": node.kind == SEQUENCE,
                "entry": bool(path)
                and isinstance(path[-1], str)
                and path in loaded.keys
                and siblings > 1,
                "item": bool(path) and isinstance(path[-1], int) and siblings > 1,
            }
            if wanted[kind]:
                paths.append(path)
        cases += [pytest.param(file, path, id=f"{file.stem}:{path!r}") for path in paths]
    return cases


# --------------------------------------------------------------------------- whole files


@pytest.mark.parametrize("file", CORPUS, ids=lambda f: f.stem)
def test_no_change_is_byte_identical(file: Path) -> None:
    text = read(file)
    data = load_yaml_text(text).data
    result = update_yaml_text(text, copy.deepcopy(data))
    assert not result.changed and result.text == text and result.reformatted == []


def test_corpus_has_what_it_should() -> None:
    texts = {f.name: read(f) for f in CORPUS}
    assert "mnist-inference-task.yaml" in texts and "task-templates.yaml" in texts
    assert any("\r\n" in t for t in texts.values())
    assert any(t.startswith("\ufeff") for t in texts.values())
    assert any(not t.endswith("\n") for t in texts.values())
    joined = "\n".join(texts.values())
    for needle in ("<<: *", "&", ": |", ": >", "[", "{{ ", "'", '"', "# "):
        assert needle in joined


# --------------------------------------------------------------------------- one value


@pytest.mark.parametrize(("file", "path"), corpus_cases("scalar"))
def test_changing_one_value_changes_only_its_lines(file: Path, path: tuple[Any, ...]) -> None:
    text = read(file)
    loaded = load_yaml_text(text)
    data = copy.deepcopy(loaded.data)
    parent, key = parent_and_key(data, path)
    parent[key] = mutated(parent[key])
    result = update_yaml_text(text, data)
    assert result.changed
    assert_loads_to(result.text, data)
    if under_anchor(loaded, path):
        assert all("alias" in note for note in result.reformatted)
        return
    assert result.reformatted == []
    node = loaded.values[path]
    owner = loaded.keys.get(path)
    column = owner.start.column if owner is not None else node.start.column - 2
    window = block_lines(text, node.start.line + 1, column)
    replaced, inserted = changes(text, result.text)
    assert replaced and replaced <= set(window), (replaced, window)
    assert all(after in window for after, _ in inserted)
    if node.start.line == node.end.line and node.style not in ("|", ">"):
        assert replaced == {node.start.line + 1} and inserted == []
    assert result.text.startswith("\ufeff") == text.startswith("\ufeff")
    assert result.text.endswith("\n") == text.endswith("\n")
    assert ("\r\n" in text) == ("\r\n" in result.text)


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize(("file", "path"), corpus_cases("mapping"))
def test_adding_a_key_inserts_one_line(file: Path, path: tuple[Any, ...]) -> None:
    text = read(file)
    loaded = load_yaml_text(text)
    data = copy.deepcopy(loaded.data)
    get(data, path)["zz_added"] = "new value"
    result = update_yaml_text(text, data)
    assert_loads_to(result.text, data)
    if under_anchor(loaded, path):
        assert "the whole file" not in " ".join(result.reformatted)
        return
    assert result.reformatted == []
    replaced, inserted = changes(text, result.text)
    node = loaded.values[path]
    if node.flow:
        assert replaced == set(range(node.start.line + 1, node.end.line + 2)) and inserted == []
        return
    assert replaced == set() or (not text.endswith("\n") and len(replaced) == 1)
    column = next(iter(node.value))[0].start.column
    newline = "\r\n" if "\r\n" in text else "\n"
    if text.endswith("\n"):
        assert len(inserted) == 1 and inserted[0][1] == [
            " " * column + "zz_added: new value" + newline
        ]
    assert "zz_added: new value" in result.text


@pytest.mark.parametrize(("file", "path"), corpus_cases("entry"))
def test_removing_a_key_removes_only_its_lines(file: Path, path: tuple[Any, ...]) -> None:
    text = read(file)
    loaded = load_yaml_text(text)
    parent_node = loaded.values[path[:-1]]
    data = copy.deepcopy(loaded.data)
    parent, key = parent_and_key(data, path)
    assert len(parent) > 1  # corpus_cases("entry") leaves out the only key of a mapping
    del parent[key]
    result = update_yaml_text(text, data)
    assert_loads_to(result.text, data)
    if involves_aliases(loaded, path):
        assert "the whole file" not in " ".join(result.reformatted)
        return
    assert result.reformatted == []
    replaced, inserted = changes(text, result.text)
    key_node = loaded.keys[path]
    if parent_node.flow:
        lines = set(range(parent_node.start.line + 1, parent_node.end.line + 2))
        assert replaced == lines and inserted == []
        return
    window = set(block_lines(text, key_node.start.line + 1, key_node.start.column, key=True))
    line = lines_of(text)[key_node.start.line]
    if line.lstrip().startswith("? "):  # an explicit key: its ": value" line goes too
        assert replaced == window | {max(window) + 1} and inserted == []
    elif not text.endswith("\n") and max(window) == len(lines_of(text)):
        # the new last line loses its newline, as the file had none
        assert replaced == window | {min(window) - 1} and not result.text.endswith("\n")
    elif line[: key_node.start.column].strip(" ") == "":
        assert replaced == window and inserted == []
    else:  # "- key: ..." the next key moves up onto the dash line
        assert window <= replaced <= window | {max(window) + 1}
        assert len(inserted) <= 1


# --------------------------------------------------------------------------- list items


@pytest.mark.parametrize(("file", "path"), corpus_cases("sequence"))
def test_appending_a_list_item(file: Path, path: tuple[Any, ...]) -> None:
    text = read(file)
    loaded = load_yaml_text(text)
    data = copy.deepcopy(loaded.data)
    get(data, path).append("appended")
    result = update_yaml_text(text, data)
    assert_loads_to(result.text, data)
    if under_anchor(loaded, path):
        assert all("alias" in note for note in result.reformatted)
        return
    assert result.reformatted == []
    replaced, inserted = changes(text, result.text)
    node = loaded.values[path]
    if node.flow:
        assert replaced == set(range(node.start.line + 1, node.end.line + 2)) and inserted == []
        assert "appended]" in result.text or '"appended"]' in result.text
        return
    last_line = len(lines_of(text))
    if not text.endswith("\n") and replaced == {last_line}:  # the old last line gains its newline
        assert result.text.endswith("\n- appended".replace("\n", "\n" + " " * node.start.column))
        return
    assert replaced == set() and len(inserted) == 1
    dash_column = node.start.column
    quoted = all(item.style == '"' for item in node.value)  # new items follow their siblings
    expected = '- "appended"' if quoted else "- appended"
    assert inserted[0][1][0].rstrip("\r\n") == " " * dash_column + expected


@pytest.mark.parametrize(("file", "path"), corpus_cases("item"))
def test_removing_a_list_item_removes_only_its_lines(file: Path, path: tuple[Any, ...]) -> None:
    text = read(file)
    loaded = load_yaml_text(text)
    data = copy.deepcopy(loaded.data)
    items = get(data, path[:-1])
    assert len(items) > 1  # corpus_cases("item") leaves out the only item of a list
    del items[path[-1]]
    result = update_yaml_text(text, data)
    assert_loads_to(result.text, data)
    if involves_aliases(loaded, path):
        assert "the whole file" not in " ".join(result.reformatted)
        return
    assert result.reformatted == []
    replaced, inserted = changes(text, result.text)
    sequence = loaded.values[path[:-1]]
    if sequence.flow:
        lines = set(range(sequence.start.line + 1, sequence.end.line + 2))
        assert replaced == lines and inserted == []
        return
    item = loaded.values[path]
    dash_line = item.start.line + 1
    dash_column = lines_of(text)[item.start.line].index("-")
    assert replaced == set(block_lines(text, dash_line, dash_column)) and inserted == []


def test_unified_diff_for_the_confirmation_dialog() -> None:
    assert unified_diff("a: 1\n", "a: 1\n", "t.yaml") == ""
    diff = unified_diff("a: 1\nb: 2\n", "a: 1\nb: 3", "t.yaml")
    assert diff.splitlines() == [
        "--- a/t.yaml",
        "+++ b/t.yaml",
        "@@ -1,2 +1,2 @@",
        " a: 1",
        "-b: 2",
        "+b: 3",
        "\\ No newline at end of file",
    ]


# --------------------------------------------------------------------------- specific cases


def edited(text: str, change: Any) -> tuple[str, list[str]]:
    """Apply ``change`` (a function editing the data in place) through update_yaml_text."""
    data = copy.deepcopy(load_yaml_text(text).data)
    change(data)
    result = update_yaml_text(text, data)
    assert_loads_to(result.text, data)
    return result.text, result.reformatted


STYLES = """\
# header comment
single: 'text'   # a comment
double: "text"
plain: text
literal: |
  line one
  line two
folded: >
  folded text
items:
  - x
tags: []
table: {}
pair: [1, 2]
empty:
"""


def test_quoting_style_is_kept_where_safe() -> None:
    text, notes = edited(STYLES, lambda d: d.update(single="it's", double='say "hi"', plain="yes"))
    assert notes == []
    assert text.splitlines()[1:4] == [
        "single: 'it''s'   # a comment",
        'double: "say \\"hi\\""',
        'plain: "yes"',  # plain would read as a boolean
    ]


def test_placeholders_and_dates_are_quoted() -> None:
    text, _ = edited(STYLES, lambda d: d.update(plain="{{ model_id }}", single="1950-01-01"))
    assert 'plain: "{{ model_id }}"' in text and "single: '1950-01-01'   # a comment" in text
    text, _ = edited("value: 1950-01-01  # a date\n", lambda d: d.update(value="1950-01-01"))
    assert text == 'value: "1950-01-01"  # a date\n'


def test_types_are_compared_strictly() -> None:
    assert edited("a: 1\n", lambda d: d.update(a=True))[0] == "a: true\n"
    assert edited("a: 1\n", lambda d: d.update(a=1.0))[0] == "a: 1.0\n"
    assert edited("a: 1\n", lambda d: d.update(a="1"))[0] == 'a: "1"\n'


def test_block_scalars_keep_their_style() -> None:
    text, notes = edited(STYLES, lambda d: d.update(literal="new one\nnew two\nnew three\n"))
    assert notes == [] and "literal: |\n  new one\n  new two\n  new three\nfolded" in text
    text, _ = edited(STYLES, lambda d: d.update(literal="no newline"))
    assert "literal: |-\n  no newline\nfolded" in text
    text, _ = edited(STYLES, lambda d: d.update(folded="other text\n"))
    assert "folded: >\n  other text\nitems" in text
    text, _ = edited(STYLES, lambda d: d.update(plain="two\nlines"))
    assert "plain: |-\n  two\n  lines\nliteral" in text


def test_flow_collections_stay_flow() -> None:
    text, notes = edited(STYLES, lambda d: (d["pair"].append(3), d["tags"].append("Prediction")))
    assert notes == [] and "pair: [1, 2, 3]\n" in text and "tags: [Prediction]\n" in text
    text, notes = edited(STYLES, lambda d: d["table"].update(table="retina"))
    assert notes == [] and "table: {table: retina}\n" in text
    text, _ = edited("x: {a: 1, b: [1, 2]}  # keep\n", lambda d: d["x"].pop("a"))
    assert text == "x: {b: [1, 2]}  # keep\n"


def test_new_list_items_follow_double_quoted_siblings() -> None:
    text = 'ids:\n  - "a"\n  - "b"\ncols: ["x"]\nplain: [p]\n'

    def change(d: dict[str, Any]) -> None:
        d["ids"].append("c")
        d["cols"].append("y")
        d["plain"].append("q")

    result, notes = edited(text, change)
    assert notes == []
    assert result == 'ids:\n  - "a"\n  - "b"\n  - "c"\ncols: ["x", "y"]\nplain: [p, q]\n'


def test_null_values_can_be_set() -> None:
    text, _ = edited(STYLES, lambda d: d.update(empty="now"))
    assert text.endswith("\nempty: now\n")


def test_shape_change_is_re_rendered_and_noted() -> None:
    text, notes = edited(STYLES, lambda d: d.update(plain={"a": 1, "b": [1, 2]}))
    assert "plain:\n  a: 1\n  b:\n    - 1\n    - 2\nliteral: |" in text
    assert notes == [
        "plain changed from a single value to a mapping and was re-written in taskwizard's style"
    ]
    text, notes = edited(STYLES, lambda d: d.update(items=[]))
    assert "items: []\ntags" in text and notes


def test_new_key_goes_after_the_key_before_it() -> None:
    def change(d: dict[str, Any]) -> None:
        items = list(d.items())
        d.clear()
        d.update(items[:2])
        d["inserted"] = {"k": "v"}
        d.update(items[2:])

    text, notes = edited(STYLES, change)
    assert notes == []
    assert 'double: "text"\ninserted:\n  k: v\nplain: text\n' in text


def test_removing_keys_keeps_other_comments() -> None:
    text = "# about a\na: 1\n# about b\nb:\n  c: 2  # inner\n# about d\nd: 3\n"
    assert edited(text, lambda d: d.pop("b"))[0] == "# about a\na: 1\n# about b\n# about d\nd: 3\n"


def test_removing_the_first_key_of_a_list_item_keeps_the_dash() -> None:
    text = "algorithm:\n  - name: a\n    arguments:\n      x: 1\n  - name: b\n"
    result, notes = edited(text, lambda d: d["algorithm"][0].pop("name"))
    assert result == "algorithm:\n  - arguments:\n      x: 1\n  - name: b\n" and notes == []


def test_list_items_insert_and_remove_in_place() -> None:
    text = "l:\n  - a  # first\n  - b\n  - c\nz: 1\n"
    assert edited(text, lambda d: d["l"].insert(1, "new"))[0] == (
        "l:\n  - a  # first\n  - new\n  - b\n  - c\nz: 1\n"
    )
    assert edited(text, lambda d: d["l"].insert(0, "new"))[0] == (
        "l:\n  - new\n  - a  # first\n  - b\n  - c\nz: 1\n"
    )
    assert edited(text, lambda d: d["l"].remove("b"))[0] == "l:\n  - a  # first\n  - c\nz: 1\n"
    assert edited(text, lambda d: d["l"].append({"name": "x", "n": [1]}))[0] == (
        "l:\n  - a  # first\n  - b\n  - c\n  - name: x\n    n:\n      - 1\nz: 1\n"
    )


def test_crlf_stays_crlf_including_new_lines() -> None:
    text = "a: 1\r\nb:\r\n  - x\r\nc: |\r\n  one\r\n  two\r\n"

    def change(d: dict[str, Any]) -> None:
        d["b"].append("y")
        d["c"] = "three\nfour\n"
        d["new"] = {"k": "multi\nline\n"}

    result, notes = edited(text, change)
    assert notes == []
    assert result.count("\n") == result.count("\r\n")
    assert result == (
        "a: 1\r\nb:\r\n  - x\r\n  - y\r\nc: |\r\n  three\r\n  four\r\n"
        "new:\r\n  k: |\r\n    multi\r\n    line\r\n"
    )


def test_bom_and_missing_final_newline_are_kept() -> None:
    text = "\ufeffa: 1\nb: 2"
    assert edited(text, lambda d: d.update(b=3))[0] == "\ufeffa: 1\nb: 3"
    assert edited(text, lambda d: d.update(c=4))[0] == "\ufeffa: 1\nb: 2\nc: 4"
    assert edited(text, lambda d: d.pop("b"))[0] == "\ufeffa: 1"


def test_anchor_and_alias_changed_together_keep_the_alias() -> None:
    text = "a: &x 1\nb: *x\n"
    assert edited(text, lambda d: d.update(a=2, b=2)) == ("a: &x 2\nb: *x\n", [])


def test_anchor_changed_alone_writes_the_alias_out() -> None:
    text = "a: &x 1\nb: *x\n"
    result, notes = edited(text, lambda d: d.update(a=2))
    assert result == "a: &x 2\nb: 1\n"
    assert notes == ["b was written out in full instead of the alias *x"]


def test_merged_value_change_adds_an_override_key() -> None:
    text = "base: &b\n  lr: 1\n  epochs: 2\nrun:\n  <<: *b\n  epochs: 3  # more\n"
    result, notes = edited(text, lambda d: d["run"].update(lr=5))
    assert notes == []
    assert (
        result == "base: &b\n  lr: 1\n  epochs: 2\nrun:\n  <<: *b\n  lr: 5\n  epochs: 3  # more\n"
    )
    result, _ = edited(text, lambda d: d["base"].update(lr=7))  # run keeps lr 1
    assert (
        result == "base: &b\n  lr: 7\n  epochs: 2\nrun:\n  <<: *b\n  lr: 1\n  epochs: 3  # more\n"
    )


def test_whole_document_fallback_keeps_the_header_comment() -> None:
    result = update_yaml_text("# header\n\na: 1  # one\n", {"b": 2})
    assert result.text == "# header\n\nb: 2\n" and result.changed
    assert result.reformatted == [
        "the whole file was re-written in taskwizard's style (comments are lost)"
    ]


def test_unreadable_original_is_rewritten_in_full() -> None:
    result = update_yaml_text("a: [\n", {"a": [1]})
    assert result.text == "a:\n  - 1\n" and result.changed
    assert "could not be read" in result.reformatted[0]


def test_a_wrong_in_place_edit_is_caught_by_the_reparse(monkeypatch: pytest.MonkeyPatch) -> None:
    from taskwizard.model import roundtrip

    monkeypatch.setattr(roundtrip._Editor, "apply", lambda self: "a: [broken\n")
    result = update_yaml_text("# keep me\na: 1  # one\nb: 2\n", {"a": 5, "b": 2})
    assert_loads_to(result.text, {"a": 5, "b": 2})
    assert result.text == "# keep me\na: 5\nb: 2\n"
    assert "whole file" in result.reformatted[0]


def test_duplicate_keys_in_the_original_are_edited_where_they_win() -> None:
    result, _ = edited("a: 1\na: 2\n", lambda d: d.update(a=3))
    assert result == "a: 1\na: 3\n"


# --------------------------------------------------------------------------- random edits

EDIT_VALUES: list[Any] = [
    "x",
    "yes",
    "1.0",
    "{{ name }}",
    "two\nlines\n",
    "",
    " leading space",
    3,
    2.5,
    True,
    None,
    [],
    {},
    ["a", "b"],
    {"k": "v", "l": [1, {"m": None}]},
    "a: b",
    "# not a comment",
    "it's",
]


def random_edit(data: Any, rng: Any) -> None:
    containers: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict | list):
            containers.append(value)
            for child in value.values() if isinstance(value, dict) else value:
                walk(child)

    walk(data)
    target = rng.choice(containers)
    choice = rng.random()
    new = copy.deepcopy(rng.choice(EDIT_VALUES))
    if isinstance(target, dict):
        if target and choice < 0.5:
            target[rng.choice(list(target))] = new
        elif target and choice < 0.7:
            del target[rng.choice(list(target))]
        else:
            target[f"new{rng.randint(0, 99)}"] = new
    elif target and choice < 0.5:
        target[rng.randrange(len(target))] = new
    elif target and choice < 0.7:
        del target[rng.randrange(len(target))]
    else:
        target.insert(rng.randint(0, len(target)), new)


@pytest.mark.parametrize("file", CORPUS, ids=lambda f: f.stem)
def test_random_edits_load_back_and_never_rewrite_the_whole_file(file: Path) -> None:
    import random

    rng = random.Random(file.name)
    text = read(file)
    original = load_yaml_text(text).data
    for _ in range(25):
        data = copy.deepcopy(original)
        for _ in range(rng.randint(1, 3)):
            random_edit(data, rng)
        result = update_yaml_text(text, data)
        assert_loads_to(result.text, data)
        if set(data) & set(original):
            assert not any("whole file" in note for note in result.reformatted), data


def test_an_editor_crash_falls_back_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    from taskwizard.model import roundtrip

    def crash(*args: Any) -> None:
        raise KeyError("unexpected")

    monkeypatch.setattr(roundtrip._Editor, "diff", crash)
    result = update_yaml_text("a: 1\n", {"a": 2})
    assert result.text == "a: 2\n" and "whole file" in result.reformatted[0]


def test_mixed_line_endings_keep_each_line_as_it_was() -> None:
    text = "a: 1\r\nb:\n  - x\r\n  - y\nd: {k: v}  # c\r\n"

    def change(d: dict[str, Any]) -> None:
        d["a"] = 2
        d["b"].append("z")
        d["d"]["q"] = 1

    result, notes = edited(text, change)
    assert notes == []
    assert result == "a: 2\r\nb:\n  - x\r\n  - y\n  - z\nd: {k: v, q: 1}  # c\r\n"


def test_removing_several_keys_of_a_list_item_including_the_dash_line_one() -> None:
    text = "l:\n  - a: 1\n    b: 2\n    c: 3\n    d: 4\n"
    result, notes = edited(
        text, lambda d: (d["l"][0].pop("a"), d["l"][0].pop("b"), d["l"][0].pop("d"))
    )
    assert (result, notes) == ("l:\n  - c: 3\n", [])


def test_a_new_block_string_never_swallows_the_comment_after_it() -> None:
    text = "models:\n  - private: true\n\n    # about the next model\n  - model_file: b.py\n"
    result, notes = edited(text, lambda d: d["models"].__setitem__(0, "two\nlines\n"))
    assert result == (
        'models:\n  - "two\\nlines\\n"\n\n    # about the next model\n  - model_file: b.py\n'
    )
