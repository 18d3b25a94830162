"""A small project to upload (a task-templates config, its task YAML, a model and its
weights), shared by the upload engine and upload screen tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

MODEL_CODE = """\
from bitfount.backends.pytorch import PyTorchBitfountModel


class MyModel(PyTorchBitfountModel):
    \"\"\"A model for tests.\"\"\"
"""

TASK_YAML = """\
pods:
  identifiers:
    - "mnist-demo-dataset"
task:
  protocol:
    name: bitfount.InferenceAndCSVReport
  algorithm:
    - name: bitfount.ModelInference
      arguments:
        class_outputs: ["0", "1"]
      model:
        bitfount_model:
          model_ref: MyModel
        hyperparameters:
          batch_size: 4
    - name: bitfount.CSVReportAlgorithm
  data_structure:
    assign:
      target: "target"
      image_cols: ["file"]
"""


def config_text(
    *,
    tags: str = "[Prediction]",
    description: str = "Classifies images",
    weights: bool = True,
    sample_url: str | None = "https://example.com/sample.zip",
    deprecated: tuple[str, ...] = (),
) -> str:
    """The project's task-templates config: one template, one model."""
    text = f"""\
task-templates:
  - slug: My Template
    title: My template
    type: image-classification
    description: {description}
    template: task.yaml
    tags: {tags}
"""
    if sample_url:
        text += f"    sampleDatasetDownloadUrl: {sample_url}\n"
    text += "models:\n  - model_file: MyModel.py\n"
    if weights:
        text += "    weights_file: MyModel.pt\n"
    if deprecated:
        text += "deprecated-task-templates:\n" + "".join(f"  - slug: {s}\n" for s in deprecated)
    return text


def weights_bytes(size: int, seed: object = "weights") -> bytes:
    """``size`` bytes of made-up weights; another ``seed`` gives other bytes."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def make_project(root: Path, *, weights_size: int = 200_000, config: str | None = None) -> Path:
    """Write the project into ``root``; returns the config's path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "MyModel.py").write_text(MODEL_CODE)
    (root / "MyModel.pt").write_bytes(weights_bytes(weights_size))
    (root / "task.yaml").write_text(TASK_YAML)
    path = root / "task-templates.yaml"
    path.write_text(config if config is not None else config_text())
    return path
