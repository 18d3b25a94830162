"""Messages at the edges: alias counting, UTF-32, huge integers, long values."""

from __future__ import annotations

from pathlib import Path

from taskwizard.model.problems import Problem, error
from taskwizard.model.validate import validate_paths
from taskwizard.model.yamlio import MAX_EXPANDED_NODES, load_yaml_text


def test_many_values_without_aliases_are_not_called_an_alias_bomb() -> None:
    flow = "a: {" + ", ".join(f"k{i}: {i}" for i in range(10_000)) + "}\n"
    keys = "".join(f"k{i:06d}: 1\n" for i in range(MAX_EXPANDED_NODES * 2))
    for text in (flow, keys):
        loaded = load_yaml_text(text)
        assert loaded.ok and loaded.problems == []


def test_an_alias_bomb_is_still_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    loaded = load_yaml_text("\n".join(lines) + "\n")
    assert not loaded.ok and "billion laughs" in loaded.problems[0].message


def test_utf32_is_called_utf32() -> None:
    for encoding, name in (("utf-32", "UTF-32"), ("utf-32-be", None), ("utf-16", "UTF-16")):
        raw = ("\ufeff" if name is None else "") + "a: 1\n"
        loaded = load_yaml_text(raw.encode(encoding))
        message = loaded.problems[0].message
        assert not loaded.ok and (name or "UTF-32") in message
        if name != "UTF-16":
            assert "UTF-16" not in message


def test_a_5000_digit_integer_gets_one_clear_message(tmp_path: Path) -> None:
    task = tmp_path / "t.yaml"
    digits = "9" * 5000
    task.write_text(f"pods:\n  identifiers: [a/b]\ntask:\n  data_structure: {{}}\n  x: {digits}\n")
    [report] = validate_paths([task], cwd=tmp_path)
    text = "\n".join(p.message for p in report.problems)
    assert "set_int_max_str_digits" not in text
    assert text.count("5,000 digits") == 1
    assert "quote it" in text


def test_a_long_value_is_cut_in_messages(tmp_path: Path) -> None:
    task = tmp_path / "t.yaml"
    value = "x" * (1 << 20)
    task.write_text(
        "pods:\n  identifiers: [a/b]\ntask:\n  data_structure: {}\n  protocol:\n"
        f"    name: {value}\n  algorithm:\n    - name: bitfount.ModelInference\n"
    )
    [report] = validate_paths([task], cwd=tmp_path)
    assert report.errors
    assert all(len(p.message) < 1000 for p in report.problems)
    assert any("x" * 60 + "…" in p.message for p in report.problems)


def test_short_values_and_apostrophes_are_left_alone() -> None:
    message = (
        "Bitfount's uploader lowercases the config path before opening it, so 'My.yaml' "
        "is not found on a case-sensitive file system; use a lowercase file name (the "
        "config's folder is fine) — " + "see the README for more " * 3
    )
    assert error(message).message == message
    path = "'/home/someone/" + "a" * 50 + "/task.yaml'"  # 74 characters: kept whole
    assert path in Problem("error", f"template file not found: {path} " + "." * 200).message


def test_a_5000_digit_version_string_does_not_crash_validate(tmp_path: Path) -> None:
    task = tmp_path / "t.yaml"
    task.write_text(f"version: '{'9' * 5000}'\npods:\n  identifiers: [a/b]\ntask: {{}}\n")
    [report] = validate_paths([task], cwd=tmp_path)  # raised ValueError before
    assert report.problems
    assert all(len(p.message) < 1000 for p in report.problems)
