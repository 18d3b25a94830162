"""File checks: model code (read, never run), weights, the files a config names,
and validate_paths over real files (examples, YAML traps)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from taskwizard.model.catalog import MODEL_FILE_MAX_BYTES, WEIGHTS_FILE_MAX_BYTES
from taskwizard.model.validate import (
    FileReport,
    check_config_files,
    check_model_file,
    check_weights_file,
    validate_paths,
)

FIXTURES = Path(__file__).parent / "fixtures" / "validate"

MODEL_CODE = """\
from bitfount.backends.pytorch import PyTorchBitfountModel


class MyCustomModel(PyTorchBitfountModel):
    def forward(self, x):
        return x
"""


def make_examples(root: Path, *, with_models: bool) -> Path:
    for name in ("task-templates.yaml", "mnist-inference-task.yaml"):
        shutil.copy(FIXTURES / name, root / name)
    if with_models:
        (root / "models").mkdir()
        (root / "models" / "MyCustomModel.py").write_text(MODEL_CODE)
        (root / "models" / "MyCustomModel.pt").write_bytes(b"\x80\x02weights")
    return root / "task-templates.yaml"


def errors(reports: list[FileReport]) -> list[str]:
    return [p.format() for r in reports for p in r.problems if p.is_error]


# ---------------------------------------------------------------- model code


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_model_file_ok(tmp_path: Path) -> None:
    assert check_model_file(write(tmp_path, "MyCustomModel.py", MODEL_CODE), display="m") == []


def test_model_file_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = MODEL_CODE + f"\nopen({str(marker)!r}, 'w').close()\n"
    assert check_model_file(write(tmp_path, "MyCustomModel.py", code), display="m") == []
    assert not marker.exists()


def test_model_file_is_read_again_only_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "MyCustomModel.py", MODEL_CODE)
    assert check_model_file(path, display="m") == []
    reads: list[Path] = []
    real_read = Path.read_bytes

    def counting_read(self: Path) -> bytes:
        reads.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", counting_read)
    assert check_model_file(path, display="m") == []  # unchanged: not read again
    assert reads == []
    path.write_text(MODEL_CODE.replace("MyCustomModel(", "Other("))
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    [problem] = check_model_file(path, display="m")  # changed: read and checked again
    assert "defines no class named 'MyCustomModel'" in problem.message
    assert reads == [path.absolute()]


def test_model_file_missing(tmp_path: Path) -> None:
    [problem] = check_model_file(tmp_path / "Nope.py", display="models/Nope.py")
    assert problem.is_error and "not found: models/Nope.py" in problem.message


def test_model_class_named_unlike_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "OtherName.py", MODEL_CODE)
    [problem] = check_model_file(path, display="OtherName.py")
    assert problem.is_error
    assert "no class named 'OtherName'" in problem.message and "MyCustomModel" in problem.message


def test_model_class_defined_twice(tmp_path: Path) -> None:
    path = write(tmp_path, "MyCustomModel.py", MODEL_CODE + "\n\nclass MyCustomModel:\n    pass\n")
    [problem] = check_model_file(path, display="m.py")
    assert problem.is_error and (problem.file, problem.line, problem.column) == ("m.py", 9, 1)


def test_second_model_class(tmp_path: Path) -> None:
    code = (
        MODEL_CODE
        + "\n\nclass Helper(PyTorchBitfountModel):\n    pass\n\n\nclass Plain:\n    pass\n"
    )
    [problem] = check_model_file(write(tmp_path, "MyCustomModel.py", code), display="m.py")
    assert problem.is_error and "'Helper'" in problem.message and problem.line == 9


def test_model_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "MyCustomModel.py", "class MyCustomModel:\n    def f(:\n        pass\n")
    [problem] = check_model_file(path, display="m.py")
    assert problem.is_error and problem.message.startswith("syntax error")
    assert (problem.file, problem.line) == ("m.py", 2)


def test_model_file_too_big(tmp_path: Path) -> None:
    path = write(tmp_path, "MyCustomModel.py", MODEL_CODE)
    with path.open("ab") as f:
        f.write(b"#" * (MODEL_FILE_MAX_BYTES + 1 - path.stat().st_size))
    [problem] = check_model_file(path, display="m.py")
    assert problem.is_error and "3 MiB" in problem.message
    path.write_bytes(path.read_bytes()[:-1])
    assert check_model_file(path, display="m.py") == []


def test_model_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "MyCustomModel.py"
    path.write_bytes(b"class MyCustomModel:\n    x = '\xff'\n")
    [problem] = check_model_file(path, display="m.py")
    assert problem.is_error and "UTF-8" in problem.message


# ---------------------------------------------------------------- weights


def test_weights(tmp_path: Path) -> None:
    path = tmp_path / "w.pt"
    assert check_weights_file(path, display="w.pt")[0].is_error
    path.write_bytes(b"")
    assert [p.severity for p in check_weights_file(path, display="w.pt")] == ["warning"]
    with path.open("wb") as f:  # sparse: no real disk use
        f.truncate(WEIGHTS_FILE_MAX_BYTES)
    assert check_weights_file(path, display="w.pt") == []
    with path.open("r+b") as f:
        f.truncate(WEIGHTS_FILE_MAX_BYTES + 1)
    [problem] = check_weights_file(path, display="w.pt")
    assert problem.is_error and "500 MiB" in problem.message


# ---------------------------------------------------------------- configs and paths


def test_examples_are_valid_once_the_model_files_exist(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    reports = validate_paths([config], cwd=tmp_path)
    assert [r.kind for r in reports] == ["config", "task"]
    assert errors(reports) == []
    # Bitfount itself warns about CSVReportAlgorithm's save_path in the example.
    [warning] = reports[1].problems
    assert "save_path is deprecated" in warning.message and warning.line == 26


def test_examples_report_the_missing_model_files(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=False)
    reports = validate_paths([config], cwd=tmp_path)
    found = errors(reports)
    assert len(found) == 2
    assert "16:17: error: model file not found: 'models/MyCustomModel.py'" in found[0]
    assert "17:19: error: weights file not found: 'models/MyCustomModel.pt'" in found[1]


def test_template_found_only_via_the_cwd_warns(tmp_path: Path) -> None:
    cwd = tmp_path / "here"
    (cwd / "configs").mkdir(parents=True)
    config = make_examples(cwd / "configs", with_models=True)
    shutil.move(cwd / "configs" / "mnist-inference-task.yaml", cwd / "mnist-inference-task.yaml")
    problems = check_config_files(_load(config), config, cwd=cwd)
    [problem] = problems
    assert problem.severity == "warning" and "current directory" in problem.message
    assert problem.path == ("task-templates", 0, "template")
    reports = validate_paths([config], cwd=cwd)
    assert [r.path for r in reports][1] == "mnist-inference-task.yaml"
    assert errors(reports) == []


def test_template_not_found(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    (tmp_path / "mnist-inference-task.yaml").unlink()
    reports = validate_paths([config], cwd=tmp_path)
    assert len(reports) == 1
    [problem] = errors(reports)
    assert ":11:15: error: template file not found: 'mnist-inference-task.yaml'" in problem


def test_model_overrides_need_a_v9_template(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    text = config.read_text().replace(
        "    tags: [Prediction]\n",
        "    tags: [Prediction]\n    model_overrides:\n"
        "      seg: {model_ref: m, model_username: u, model_version: 1}\n",
    )
    config.write_text(text)
    found = errors(validate_paths([config], cwd=tmp_path))
    assert (
        len(found) == 1 and ":14:7: error: model_overrides are only supported for v9+" in found[0]
    )


def test_config_problems_inside_the_model_file_keep_their_place(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    (tmp_path / "models" / "MyCustomModel.py").write_text("class MyCustomModel(:\n")
    found = errors(validate_paths([config], cwd=tmp_path))
    assert len(found) == 1 and found[0].startswith(
        str(tmp_path / "models" / "MyCustomModel.py") + ":1:"
    )


def test_uppercase_config_name_warns(tmp_path: Path) -> None:
    make_examples(tmp_path, with_models=True)
    config = tmp_path / "Task-Templates.yaml"
    (tmp_path / "task-templates.yaml").rename(config)
    reports = validate_paths([config], cwd=tmp_path)
    assert errors(reports) == []
    assert any("lowercases the config path" in p.message for p in reports[0].problems)


def test_a_config_pointing_at_a_non_task(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    (tmp_path / "mnist-inference-task.yaml").write_text("hello: world\n")
    reports = validate_paths([config], cwd=tmp_path)
    assert any("is not a task YAML" in e for e in errors(reports))


def test_each_file_once(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    task = tmp_path / "mnist-inference-task.yaml"
    reports = validate_paths([task, config, config], cwd=tmp_path)
    assert [r.kind for r in reports] == ["task", "config"]


TRAPS = {
    "duplicate key": ("pods:\n  identifiers: [a]\npods:\n  identifiers: [b]\n", 3, 1),
    "tab indentation": ("pods:\n\tidentifiers: [a]\n", 2, 1),
    "syntax error": ("pods:\n  identifiers: [a\ntask: x\n", 2, 16),
    "not UTF-8": (b"pods: \xff\xfe\n", 1, 7),
    "not a mapping": ("- a\n- b\n", 1, 1),
    "alias bomb": (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        5,  # the alias whose expansion crosses the limit
        29,
    ),
}


@pytest.mark.parametrize(("content", "line", "column"), TRAPS.values(), ids=TRAPS.keys())
def test_yaml_traps_surface_with_line_and_column(
    tmp_path: Path, content: str | bytes, line: int, column: int
) -> None:
    path = tmp_path / "task.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    [report] = validate_paths([path], cwd=tmp_path)
    where = [(p.file, p.line, p.column) for p in report.problems if p.is_error]
    assert (str(path), line, column) in where, report.problems


def test_huge_and_empty_files(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (6 * 1024 * 1024) + "\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    reports = validate_paths([big, empty], cwd=tmp_path)
    assert all(r.problems and r.problems[0].is_error for r in reports)


def _load(path: Path) -> object:
    import yaml

    return yaml.safe_load(path.read_text())


def test_model_class_inside_a_top_level_try(tmp_path: Path) -> None:
    code = "try:\n    import torch\nexcept ImportError:\n    pass\nelse:\n" + "".join(
        "    " + line + "\n" for line in MODEL_CODE.splitlines()
    )
    assert check_model_file(write(tmp_path, "MyCustomModel.py", code), display="m.py") == []
    nested = "def f():\n    class MyCustomModel:\n        pass\n"
    [problem] = check_model_file(write(tmp_path, "MyCustomModel.py", nested), display="m.py")
    assert "defines no class named 'MyCustomModel'" in problem.message


def test_model_file_with_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "MyCustomModel.py"
    path.write_bytes(b"class MyCustomModel:\n    x = 1\x00\n")
    [problem] = check_model_file(path, display="m.py")
    assert problem.is_error and "m.py" in (problem.file or problem.message)


def test_missing_transformation_file_warns(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    text = (FIXTURES / "mnist-inference-task.yaml").read_text()
    task.write_text(
        text.replace("  data_structure:", "  transformation_file: t.yaml\n  data_structure:")
    )
    [report] = validate_paths([task], cwd=tmp_path)
    problems = [p for p in report.problems if "transformation_file" in p.message]
    assert [p.severity for p in problems] == ["warning"]
    (tmp_path / "t.yaml").write_text("x: 1\n")
    [report] = validate_paths([task], cwd=tmp_path)
    assert not [p for p in report.problems if "transformation_file" in p.message]


def test_model_overrides_on_a_v9_template_pass(tmp_path: Path) -> None:
    config = make_examples(tmp_path, with_models=True)
    config.write_text(
        config.read_text().replace(
            "    tags: [Prediction]\n",
            "    tags: [Prediction]\n    model_overrides:\n"
            "      seg: {model_ref: m, model_username: u, model_version: 1}\n",
        )
    )
    (tmp_path / "mnist-inference-task.yaml").write_text(
        'name: flow\nversion: "9.2.0"\nfederation: {strategy: x}\nroles: {}\n'
    )
    reports = validate_paths([config], cwd=tmp_path)
    assert errors(reports) == []
    assert "v9 flow spec" in reports[1].problems[0].message
