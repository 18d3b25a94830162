"""How fast is validation? The wizard validates on every keystroke.

Generates a task-templates config with 50 templates and their 50 task YAMLs in
a temporary folder, then times (median of many runs):

* ``validate_paths`` on the config (reads and validates all 51 files, checks
  the model files),
* ``validate_task`` on one task YAML's data (a plain task and a template),
* ``validate_config`` on the config's data.

Run: ``python benchmarks/bench_validate.py`` (numbers depend on the machine).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TASK = """\
version: "8.43.0"
pods:
  identifiers:
    - "owner/pod-{i}"
task:
  protocol:
    name: bitfount.InferenceAndCSVReport
  algorithm:
    - name: bitfount.ModelInference
      arguments:
        class_outputs: ["0", "1"]
      model:
        bitfount_model:
          model_ref: MyCustomModel
          model_version: 1
          username: bitfount
        hyperparameters:
          batch_size: 4
    - name: bitfount.CSVReportAlgorithm
      arguments:
        columns_to_drop: [a, b]
        decimal_places: 3
  data_structure:
    table_config:
      table: "pod-{i}"
    assign:
      target: "target"
      image_cols: ["file"]
    select:
      include: {include}
    filter:
      - filter_type: min-dob
        value: {{year: 1950, month: 1, day: 1}}
"""

TEMPLATE_HEADER = """\
template:
  cols:
    label: Columns
    type: array
    items: {type: string}
    default: [file]
"""

ENTRY = """\
  - slug: template-{i}
    title: Template {i}
    type: image-classification
    description: Template number {i}
    template: tasks/task-{i}.yaml
    tags: [Prediction]
"""


def build(root: Path) -> Path:
    (root / "tasks").mkdir()
    (root / "models").mkdir()
    (root / "models" / "MyCustomModel.py").write_text(
        "from bitfount.backends.pytorch import PyTorchBitfountModel\n\n\n"
        "class MyCustomModel(PyTorchBitfountModel):\n    pass\n"
    )
    (root / "models" / "MyCustomModel.pt").write_bytes(b"w" * 1024)
    entries = []
    for i in range(50):
        if i % 2:
            text = TEMPLATE_HEADER + TASK.format(i=i, include='"{{ cols }}"')
        else:
            text = TASK.format(i=i, include="[file]")
        (root / "tasks" / f"task-{i}.yaml").write_text(text)
        entries.append(ENTRY.format(i=i))
    config = root / "task-templates.yaml"
    config.write_text(
        "task-templates:\n"
        + "".join(entries)
        + "models:\n  - model_file: models/MyCustomModel.py\n"
        "    weights_file: models/MyCustomModel.pt\n"
    )
    return config


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description="How fast is validation?")
    parser.add_argument(
        "--smoke", action="store_true", help="a few iterations, to check the script runs"
    )
    args = parser.parse_args()
    #: Runs per figure are divided by this (--smoke: one or two runs each).
    scale = 1000 if args.smoke else 1
    start = time.perf_counter()
    from taskwizard.model.validate import validate_config, validate_paths, validate_task
    from taskwizard.model.yamlio import load_yaml_file

    import_ms = (time.perf_counter() - start) * 1000

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = build(root)
        reports = validate_paths([config], cwd=root)
        assert len(reports) == 51, len(reports)
        bad = [p.format() for r in reports for p in r.problems if p.is_error]
        assert not bad, bad[:5]
        task_0 = root / "tasks" / "task-0.yaml"
        task_data = load_yaml_file(task_0).data
        template_data = load_yaml_file(root / "tasks" / "task-1.yaml").data
        config_data = load_yaml_file(config).data

        print("machine: see `nproc`; median of N runs")
        print(f"import taskwizard.model.validate:          {import_ms:8.1f} ms (once)")
        print(
            "validate_paths(config + 50 task YAMLs):   "
            f"{median_ms(lambda: validate_paths([config], cwd=root), max(1, 30 // scale)):8.2f} ms"
        )
        print(
            "validate_task(one task YAML):             "
            f"{median_ms(lambda: validate_task(task_data), max(1, 2000 // scale)):8.3f} ms"
        )
        print(
            "validate_task(one task template):         "
            f"{median_ms(lambda: validate_task(template_data), max(1, 1000 // scale)):8.3f} ms"
        )
        print(
            "validate_config(50 templates):            "
            f"{median_ms(lambda: validate_config(config_data), max(1, 1000 // scale)):8.3f} ms"
        )
        print(
            "load_yaml_file(one task YAML):            "
            f"{median_ms(lambda: load_yaml_file(task_0), max(1, 500 // scale)):8.3f} ms"
        )


if __name__ == "__main__":
    main()
