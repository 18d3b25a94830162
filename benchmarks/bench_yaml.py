"""How long yamlio takes on what the wizard re-reads on every keystroke.

Run by hand: ``python benchmarks/bench_yaml.py``. Prints milliseconds per call
(best of several runs) for a 50-template config and a ~40-line task YAML,
with the C parser (when PyYAML has libyaml) and, for comparison, plain
``yaml.safe_load``.
"""

from __future__ import annotations

import argparse
import timeit

import yaml

from taskwizard.model import yamlio
from taskwizard.model.roundtrip import update_yaml_text

TASK = """\
# A task template
template:
  model_id:
    label: "Model"
    type: string
    default: "google/vit-base-patch16-224"
  batch:
    label: Batch size
    type: number
    default: 4
pods:
  identifiers:
    - "mnist-demo-dataset"
task:
  protocol:
    name: bitfount.InferenceAndCSVReport
  algorithm:
    - name: bitfount.HuggingFaceImageClassificationInference
      arguments:
        model_id: "{{ model_id }}"
        batch_size: 4
        top_k: 5
    - name: bitfount.CSVReportAlgorithm
      arguments:
        original_cols: [a, b, c]
        decimal_places: 2
  data_structure:
    table_config:
      table: "mnist-demo-dataset"
    select:
      include: ["file"]
    assign:
      image_cols: ["file"]
    filter:
      - filter_type: min-dob
        value: {year: 1950, month: 1, day: 1}
      - filter_type: modality
        value: OCT
version: "8.43.0"
"""


def config(templates: int) -> str:
    out = ["task-templates:"]
    for i in range(templates):
        out += [
            f"  - slug: template-{i}",
            f"    title: Template number {i}",
            "    type: image-classification",
            "    description: >",
            f"      Description of template {i}",
            "      over two lines.",
            f"    template: tasks/task-{i}.yaml",
            "    tags: [Prediction, Evaluation]",
        ]
    out += ["models:", "  - private: true", "    model_file: models/M.py"]
    return "\n".join(out) + "\n"


#: --smoke: each figure from one call (the test suite checks the script runs).
SMOKE = False


def best_ms(fn: object, number: int) -> float:
    if SMOKE:
        number = 1
    times = timeit.repeat(fn, number=number, repeat=1 if SMOKE else 5)  # type: ignore[arg-type]
    return min(times) / number * 1000


def report(label: str, ms: float) -> None:
    print(f"{label:<42} {ms:8.2f} ms")


def main() -> None:
    global SMOKE
    parser = argparse.ArgumentParser(description="YAML reading and writing speed")
    parser.add_argument(
        "--smoke", action="store_true", help="a few iterations, to check the script runs"
    )
    SMOKE = parser.parse_args().smoke
    cfg = config(50)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print(f"parser: {yamlio._Loader.__name__}")
    print(f"config: {cfg.count(chr(10))} lines, task: {TASK.count(chr(10))} lines")
    report("load_yaml_text(config, 50 templates)", best_ms(lambda: yamlio.load_yaml_text(cfg), 50))
    report("load_yaml_text(task, ~40 lines)", best_ms(lambda: yamlio.load_yaml_text(TASK), 200))
    report("reference: yaml.load C (config)", best_ms(lambda: yaml.load(cfg, Loader=loader), 50))
    report("reference: yaml.load C (task)", best_ms(lambda: yaml.load(TASK, Loader=loader), 200))

    def config_and_tasks() -> None:
        yamlio.load_yaml_text(cfg)
        for _ in range(50):
            yamlio.load_yaml_text(TASK)

    report("config + 50 task YAMLs", best_ms(config_and_tasks, 5))
    data = yamlio.load_yaml_text(TASK).data
    data["task"]["algorithm"][0]["arguments"]["top_k"] = 3
    report("update_yaml_text(task, one value)", best_ms(lambda: update_yaml_text(TASK, data), 100))
    cdata = yamlio.load_yaml_text(cfg).data
    cdata["task-templates"][25]["title"] = "Changed"
    report("update_yaml_text(config, one value)", best_ms(lambda: update_yaml_text(cfg, cdata), 20))
    report("dump_yaml(task)", best_ms(lambda: yamlio.dump_yaml(data), 200))


if __name__ == "__main__":
    main()
