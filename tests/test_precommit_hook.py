"""The `taskwizard-validate` pre-commit hook (.pre-commit-hooks.yaml), run for real with
`pre-commit try-repo` on a sample repository. try-repo clones this repository locally and
installs it into a virtualenv from the package index (no other network)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def hook() -> dict[str, object]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (found,) = [h for h in hooks if h["id"] == "taskwizard-validate"]
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize(
    ("path", "matched"),
    [
        ("task-templates.yaml", True),
        ("bitfount/task_templates-production.yml", True),
        ("task-templates/config-production-public.yaml", True),
        ("task_templates/mnist.yaml", True),
        ("mnist-inference-task.yaml", True),
        ("tasks/eye_task.yml", True),
        ("task.yaml", True),
        (".github/workflows/ci.yaml", False),
        ("docker-compose.yaml", False),
        ("multitask.yaml", False),
        ("task-templates.json", False),
    ],
)
def test_the_hook_matches_configs_and_task_yamls_by_name(path: str, matched: bool) -> None:
    assert bool(re.search(str(hook()["files"]), path)) is matched


def pre_commit() -> str:
    found = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(found).exists():
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (REPO / ".git").exists():
        pytest.skip("taskwizard is not a git checkout here: try-repo needs one")
    return found


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.timeout(600)
def test_try_repo_on_a_sample_repository(tmp_path: Path) -> None:
    exe = pre_commit()
    sample = tmp_path / "sample"
    sample.mkdir()
    git(sample, "init", "-q")
    for name in ("task-templates.yaml", "mnist-inference-task.yaml"):
        shutil.copy(FIXTURES / name, sample / name)
    (sample / "models").mkdir()
    (sample / "models" / "MyCustomModel.py").write_text(
        "from bitfount.backends.pytorch import PyTorchBitfountModel\n\n\n"
        "class MyCustomModel(PyTorchBitfountModel):\n    pass\n"
    )
    (sample / "models" / "MyCustomModel.pt").write_bytes(b"w")
    (sample / "unrelated.yaml").write_text("not: [valid YAML\n")  # not a Bitfount file
    git(sample, "add", "-A")
    git(sample, "commit", "-qm", "sample")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PRE_COMMIT", None)

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, "try-repo", str(REPO), "taskwizard-validate", "--all-files"],
            cwd=sample,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
        )

    result = try_repo()
    if "Could not find a version" in result.stdout + result.stderr:
        pytest.skip("the package index is not reachable to install the hook's environment")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"taskwizard validate.*Passed", result.stdout)
    assert "unrelated.yaml" not in result.stdout

    task = sample / "mnist-inference-task.yaml"
    task.write_text(task.read_text().replace("pods:", "podz:", 1))
    git(sample, "add", "-A")
    result = try_repo()
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"taskwizard validate.*Failed", result.stdout)
    assert re.search(r"mnist-inference-task\.yaml:\d+:\d+: error: .*podz", result.stdout)
