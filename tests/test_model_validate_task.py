"""Task YAML rules, one broken variant each: the problem must come out with the
right severity, at the right line and column (through the YAML reader), and
files Bitfount accepts must never get an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from taskwizard.model.catalog import ALGORITHMS, PROTOCOLS, TEMPLATABLE_TASK_FIELDS
from taskwizard.model.problems import Problem
from taskwizard.model.validate import detect_kind, locate, validate_task
from taskwizard.model.vocabulary import task_major_version
from taskwizard.model.yamlio import load_yaml_text

BASE = """\
version: "8.43.0"
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
          model_ref: MyCustomModel
          model_version: 1
          username: bitfount
        hyperparameters:
          batch_size: 4
    - name: bitfount.CSVReportAlgorithm
  data_structure:
    table_config:
      table: "mnist-demo-dataset"
    assign:
      target: "target"
      image_cols: ["file"]
"""

HF_TASK = """\
pods:
  identifiers: [my-pod]
task:
  protocol:
    name: bitfount.InferenceAndReturnCSVReport
  algorithm:
    name: bitfount.HuggingFaceImageClassificationInference
    arguments:
      model_id: google/vit-base-patch16-224
  data_structure:
    select:
      include: [image]
"""

TEMPLATE_BLOCK = """\
template:
  n:
    label: Number
    type: number
    default: 1
  flag:
    label: Flag
    type: boolean
    default: false
"""


def problems_for(text: str) -> list[Problem]:
    loaded = load_yaml_text(text, "task.yaml")
    assert loaded.ok, loaded.problems
    return sorted(
        loaded.problems + locate(loaded, validate_task(loaded.data)), key=Problem.sort_key
    )


def position(text: str, at: str) -> tuple[int, int]:
    index = text.index(at)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


@dataclass
class Case:
    id: str
    text: str
    at: str  # the text where the problem must be reported (its first occurrence)
    says: str  # a piece of the message
    severity: str = "error"


def variant(old: str, new: str, base: str = BASE) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


CASES = [
    Case(
        "data_structure at top level",
        variant("  data_structure:\n    table_config:", "data_structure:\n    table_config:"),
        "data_structure:",
        "belongs under task",
    ),
    Case(
        "data_structure missing under task",
        BASE.split("  data_structure:")[0],
        "task:",
        "data_structure is required under task",
    ),
    Case(
        "unknown top-level key",
        BASE + "podz: {}\n",
        "podz",
        "unknown key 'podz' (Bitfount rejects keys it does not know; did you mean 'pods'?)",
    ),
    Case(
        "unknown key in task",
        variant("  data_structure:", "  primary_result_path: out\n  data_structure:"),
        "primary_result_path",
        "did you mean 'primary_results_path'?",
    ),
    Case(
        "unknown algorithm argument",
        variant("class_outputs:", "class_output:"),
        "class_output:",
        "unknown key 'class_output' (Bitfount rejects keys it does not know; "
        "did you mean 'class_outputs'?)",
    ),
    Case(
        "unknown key in model",
        variant("        hyperparameters:", "        hyperparameter:"),
        "hyperparameter:",
        "did you mean 'hyperparameters'?",
    ),
    Case(
        "protocol without bitfount. prefix",
        variant("name: bitfount.InferenceAndCSVReport", "name: InferenceAndCSVReport"),
        "InferenceAndCSVReport",
        "needs the 'bitfount.' prefix: write 'bitfount.InferenceAndCSVReport'",
    ),
    Case(
        "unknown bitfount. protocol",
        variant("bitfount.InferenceAndCSVReport", "bitfount.InferenceAndCSVReprot"),
        "bitfount.InferenceAndCSVReprot",
        "not a Bitfount protocol (names starting with 'bitfount.' are reserved for "
        "Bitfount's own); did you mean 'bitfount.InferenceAndCSVReport'?",
    ),
    Case(
        "unknown algorithm without prefix",
        variant("name: bitfount.ModelInference", "name: ModelInferenc"),
        "ModelInferenc",
        "did you mean 'bitfount.ModelInference'?",
    ),
    Case(
        "algorithm used as protocol",
        variant("name: bitfount.InferenceAndCSVReport", "name: bitfount.ModelInference"),
        "bitfount.ModelInference",
        "is a Bitfount algorithm, not a protocol",
    ),
    Case(
        "empty arguments on an algorithm",
        variant(
            "- name: bitfount.CSVReportAlgorithm",
            "- name: bitfount.CSVReportAlgorithm\n      arguments: {}",
        ),
        "{}",
        "omit arguments",
    ),
    Case(
        "SqlQuery needs arguments",
        variant(
            "    - name: bitfount.CSVReportAlgorithm\n",
            "    - name: bitfount.SqlQuery\n",
            variant("name: bitfount.InferenceAndCSVReport", "name: bitfount.ResultsOnly"),
        ),
        "name: bitfount.SqlQuery",
        "arguments is required: bitfount.SqlQuery needs query",
    ),
    Case(
        "SqlQuery without query",
        variant(
            "    - name: bitfount.CSVReportAlgorithm\n",
            "    - name: bitfount.SqlQuery\n      arguments:\n        table: t\n",
            variant("name: bitfount.InferenceAndCSVReport", "name: bitfount.ResultsOnly"),
        ),
        "arguments:\n        table",
        "query is required",
    ),
    Case(
        "model.name is dead",
        variant("        bitfount_model:", "        name: resnet\n        bitfount_model:"),
        "resnet",
        "Model name support has been removed",
    ),
    Case(
        "model without bitfount_model",
        variant(
            "        bitfount_model:\n          model_ref: MyCustomModel\n"
            "          model_version: 1\n          username: bitfount\n",
            "        structure:\n          name: x\n",
        ),
        "model:\n        structure",
        "No model specified",
    ),
    Case(
        "bitfount_model without model_ref",
        variant("          model_ref: MyCustomModel\n", ""),
        "bitfount_model:",
        "model_ref is required",
    ),
    Case(
        "model_version is not a number",
        variant("model_version: 1", "model_version: one"),
        "one",
        "model_version must be a whole number (got 'one')",
    ),
    Case(
        "version is a number",
        variant('version: "8.43.0"', "version: 8.43"),
        "8.43",
        'write version: "8.43.0"',
    ),
    Case(
        "identity verification method",
        BASE + "modeller:\n  identity_verification_method: oidc\n",
        "oidc\n",
        "identity_verification_method must be one of: key-based, oidc-auth-code, "
        "oidc-device-code (got 'oidc'",
    ),
    Case(
        "username must start lowercase",
        BASE + "modeller:\n  username: Bitfount\n",
        "Bitfount\n",
        "must start with a lowercase letter or digit",
    ),
    Case(
        "pod id with two slashes",
        variant('"mnist-demo-dataset"\n', '"a/b/c"\n'),
        '"a/b/c"',
        "write 'owner/pod-name' or just 'pod-name'",
    ),
    Case(
        "pod name with capitals",
        variant('"mnist-demo-dataset"\n', '"owner/My Pod"\n'),
        '"owner/My Pod"',
        "Invalid Pod name",
    ),
    Case(
        "HuggingFace needs one selected column",
        variant("include: [image]", "include: [image, label]", HF_TASK),
        "[image, label]",
        "needs exactly one column in data_structure.select.include (got 2 columns)",
    ),
    Case(
        "HuggingFace with no select",
        variant("    select:\n      include: [image]\n", "    {}\n", HF_TASK).replace(
            "data_structure:\n    {}", "data_structure: {}"
        ),
        "data_structure: {}",
        "needs exactly one column",
    ),
    Case(
        "secure aggregation with weights",
        variant(
            "  data_structure:",
            "  aggregator:\n    secure: true\n    weights: {a: 1}\n  data_structure:",
        ),
        "{a: 1}",
        "secure aggregation does not support weights",
    ),
    Case(
        "min-frames given a boolean",
        variant(
            "    assign:",
            "    filter:\n      - filter_type: min-frames\n        value: true\n    assign:",
        ),
        "true",
        "min-frames needs a whole number of frames",
    ),
    Case(
        "unquoted date as a filter value",
        variant(
            "    assign:",
            "    filter:\n      - filter_type: min-dob\n        value: 1950-01-01\n    assign:",
        ),
        "1950-01-01",
        "write {year: 1950, month: 1, day: 1} or quote it",
    ),
    Case(
        "unknown filter type",
        variant(
            "    assign:",
            "    filter:\n      - filter_type: min-frame\n        value: 2\n    assign:",
        ),
        "min-frame\n",
        "did you mean 'min-frames'?",
    ),
    Case(
        "placeholder in a non-templatable number field",
        TEMPLATE_BLOCK + variant("model_version: 1", 'model_version: "{{ n }}"'),
        '"{{ n }}"',
        "model_version cannot take a template variable",
    ),
    Case(
        "placeholder as the protocol name",
        TEMPLATE_BLOCK + variant("name: bitfount.InferenceAndCSVReport", 'name: "{{ flag }}"'),
        '"{{ flag }}"',
        "the protocol name cannot be a template variable",
    ),
    Case(
        "placeholder without a template block",
        BASE + 'test_run: "{{ flag }}"\n',
        '"{{ flag }}"',
        "has no top-level template: block",
    ),
    Case(
        "protocol does not support the algorithm",
        variant("name: bitfount.ModelInference", "name: bitfount.ModelEvaluation"),
        "bitfount.ModelEvaluation",
        "bitfount.InferenceAndCSVReport does not support bitfount.ModelEvaluation",
    ),
    Case(
        "FederatedAveraging with steps and epochs",
        """\
pods: {identifiers: [p]}
task:
  protocol:
    name: bitfount.FederatedAveraging
    arguments:
      steps_between_parameter_updates: 2
      epochs_between_parameter_updates: 1
  algorithm:
    name: bitfount.FederatedModelTraining
    model: {bitfount_model: {model_ref: M, model_version: 1}}
  data_structure: {}
""",
        "1\n  algorithm",
        "exactly one of steps_between_parameter_updates and epochs_between_parameter_updates",
    ),
    Case(
        "FederatedAveraging with neither",
        """\
pods: {identifiers: [p]}
task:
  protocol:
    name: bitfount.FederatedAveraging
  algorithm:
    name: bitfount.FederatedModelTraining
    model: {bitfount_model: {model_ref: M, model_version: 1}}
  data_structure: {}
""",
        "name: bitfount.FederatedAveraging",
        "needs one of steps_between_parameter_updates or epochs_between_parameter_updates",
    ),
    Case(
        "decimal_places below zero",
        variant(
            "- name: bitfount.CSVReportAlgorithm",
            "- name: bitfount.CSVReportAlgorithm\n      arguments: {decimal_places: -1}",
        ),
        "-1",
        "decimal_places must be at least 0",
    ),
    Case(
        "choice argument",
        variant(
            "model_id: google/vit-base-patch16-224",
            "model_id: x\n      model_input_format: tensor",
            HF_TASK,
        ),
        "tensor",
        "model_input_format must be one of: torch_tensor, numpy_array (got 'tensor'; "
        "did you mean 'torch_tensor'?)",
    ),
    Case(
        "schema_requirements level",
        variant("    assign:", "    schema_requirements: partia\n    assign:"),
        "partia\n",
        "did you mean 'partial'?",
    ),
    Case(
        "data splitter",
        variant("    assign:", "    data_split:\n      data_splitter: random\n    assign:"),
        "random",
        "data_splitter must be one of: percentage, predefined (got 'random')",
    ),
    Case(
        "dp_config needs epsilon",
        variant(
            "        hyperparameters:",
            "        dp_config: {delta: 0.001}\n        hyperparameters:",
        ),
        "dp_config",
        "epsilon is required",
    ),
    Case(
        "logger_config unknown key",
        variant(
            "        hyperparameters:",
            "        logger_config: {name: tb, savedir: x}\n        hyperparameters:",
        ),
        "savedir",
        "did you mean 'save_dir'?",
    ),
    Case(
        "boolean field with a word",
        BASE + "test_run: maybe\n",
        "maybe",
        "test_run must be true or false (got 'maybe')",
    ),
    Case(
        "hub url",
        BASE + "hub:\n  url: hub.bitfount.com\n",
        "hub.bitfount.com",
        "must be a URL",
    ),
    Case(
        "save_location items",
        variant(
            "name: bitfount.InferenceAndCSVReport",
            "name: bitfount.ResultsOnly\n    arguments:\n      save_location: [Pod]",
        ),
        "Pod]",
        "save_location[0] must be one of: Worker, Modeller (got 'Pod')",
    ),
    Case(
        "algorithm entry not a mapping",
        variant("    - name: bitfount.CSVReportAlgorithm\n", "    - bitfount.CSVReportAlgorithm\n"),
        "bitfount.CSVReportAlgorithm",
        "algorithm must be a mapping with name:",
    ),
    Case(
        "task missing protocol",
        variant("  protocol:\n    name: bitfount.InferenceAndCSVReport\n", ""),
        "task:",
        "protocol is required",
    ),
    Case(
        "pods missing",
        variant('pods:\n  identifiers:\n    - "mnist-demo-dataset"\n', ""),
        "version",
        "pods is required",
    ),
    Case(
        "model on a non-model algorithm",
        variant(
            "- name: bitfount.CSVReportAlgorithm",
            "- name: bitfount.CSVReportAlgorithm\n      model: {bitfount_model: {model_ref: M}}",
        ),
        "model: {",
        "unknown key 'model'",
    ),
    Case(
        "boolean where a whole number is expected",
        variant("model_version: 1", "model_version: true"),
        "true",
        "model_version must be a whole number (got true)",
    ),
    Case(
        "number key in a free mapping",
        variant("batch_size: 4", "1: 4"),
        "1: 4",
        "the keys of hyperparameters must be text (got 1); quote it",
    ),
    Case(
        "dp_config max_grad_norm",
        variant(
            "        hyperparameters:",
            "        dp_config: {epsilon: 1, max_grad_norm: big}\n        hyperparameters:",
        ),
        "big",
        "max_grad_norm must be a number or a list of numbers (got 'big')",
    ),
    # ---- warnings only (Bitfount accepts these files)
    Case(
        "a fraction where Bitfount wants a whole number",
        variant("model_version: 1", "model_version: 2.5"),
        "2.5",
        "model_version is 2.5: Bitfount reads it as 2 (it drops the fraction)",
        "warning",
    ),
    Case(
        "aggregator weight for a pod the task does not use",
        variant(
            "  data_structure:",
            "  aggregator:\n    secure: false\n    weights: {other-pod: 1}\n  data_structure:",
        ),
        "other-pod",
        "aggregator weight for 'other-pod', which is not one of the task's pods",
        "warning",
    ),
    Case(
        "save_path is deprecated",
        variant(
            "- name: bitfount.CSVReportAlgorithm",
            "- name: bitfount.CSVReportAlgorithm\n      arguments:\n        save_path: .",
        ),
        ".\n",
        "save_path is deprecated",
        "warning",
    ),
    Case(
        "version 9 on a pods/task file",
        variant('"8.43.0"', '"9.1.0"'),
        '"9.1.0"',
        "v9 path",
        "warning",
    ),
    Case(
        "unlisted version",
        variant('"8.43.0"', '"8.43"'),
        '"8.43"',
        "not one Bitfount 13 lists",
        "warning",
    ),
    Case(
        "empty algorithm list",
        """\
pods: {identifiers: [p]}
task:
  protocol: {name: bitfount.ResultsOnly}
  algorithm: []
  data_structure: {}
""",
        "[]",
        "algorithm: [] passes Bitfount's schema but",
        "warning",
    ),
    Case(
        "empty pod list",
        variant('\n    - "mnist-demo-dataset"\n', " []\n"),
        "[]",
        "pods.identifiers is empty",
        "error",
    ),
    Case(
        "username valid for the schema only",
        BASE + "modeller:\n  username: bitfount!!\n",
        "bitfount!!",
        "passes Bitfount's schema but is not a valid Bitfount username",
        "warning",
    ),
    Case(
        "percentage split given predefined arguments",
        variant("    assign:", "    data_split:\n      args: {column_name: split}\n    assign:"),
        "column_name",
        "unknown key 'column_name' for the percentage splitter (it belongs to the predefined one)",
        "warning",
    ),
    Case(
        "date filter with month 13",
        variant(
            "    assign:",
            "    filter:\n      - filter_type: min-dob\n"
            "        value: {year: 1950, month: 13}\n    assign:",
        ),
        "13}",
        "month 13 is not a month",
        "warning",
    ),
    Case(
        "dp_config with a custom model",
        variant(
            "        hyperparameters:", "        dp_config: {epsilon: 3}\n        hyperparameters:"
        ),
        "{epsilon: 3}",
        "refuses differential privacy with custom models",
        "warning",
    ),
    Case(
        "model algorithm without a model",
        variant(
            "      model:\n        bitfount_model:\n          model_ref: MyCustomModel\n"
            "          model_version: 1\n          username: bitfount\n"
            "        hyperparameters:\n          batch_size: 4\n",
            "",
        ),
        "name: bitfount.ModelInference",
        "has no model",
        "warning",
    ),
    Case(
        "unknown datasource name",
        variant("    assign:", "    compatible_datasources: [CSVsource]\n    assign:"),
        "CSVsource",
        "did you mean 'CSVSource'?",
        "warning",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_variant(case: Case) -> None:
    problems = problems_for(case.text)
    line, column = position(case.text, case.at)
    matching = [p for p in problems if case.says in p.message]
    assert matching, [p.format() for p in problems]
    found = matching[0]
    assert found.severity == case.severity, found.format()
    assert (found.line, found.column) == (line, column), found.format()
    if case.severity == "warning":
        assert not [p for p in problems if p.is_error], [p.format() for p in problems]


def test_base_is_valid() -> None:
    assert problems_for(BASE) == []
    assert problems_for(HF_TASK) == []


ACCEPTED_BY_BITFOUNT = {
    "yes/off booleans": BASE + "test_run: yes\nrun_on_new_data_only: off\n",
    "string port": BASE + 'message_service:\n  port: "8443"\n',
    "missing private key file": BASE + "modeller:\n  private_key_file: /nope/key.pem\n",
    "arguments {} on a protocol": variant(
        "name: bitfount.InferenceAndCSVReport",
        "name: bitfount.InferenceAndCSVReport\n    arguments: {}",
    ),
    "NER with several columns": """\
pods: {identifiers: [owner/pod_1]}
task:
  protocol: {name: bitfount.InferenceAndCSVReport}
  algorithm:
    - name: bitfount.HuggingFaceNERInference
    - name: bitfount.CSVReportAlgorithm
  data_structure:
    select: {include: [a, b]}
""",
    "image-text generation with several columns": """\
pods: {identifiers: [p]}
task:
  protocol: {name: bitfount.InferenceAndCSVReport}
  algorithm:
    - name: bitfount.HuggingFaceImageTextGenerationInference
      arguments: {model_id: m}
  data_structure:
    select: {include: [a, b]}
""",
    "aggregation function in lower case": """\
pods: {identifiers: [p]}
task:
  protocol: {name: bitfount.ResultsOnly}
  algorithm:
    name: bitfount.PrivateSqlQuery
    arguments: {epsilon: 1, delta: 0.00001, query: "SELECT 1", aggregation_func: avg}
  data_structure: {}
""",
    "placeholders in templatable fields": TEMPLATE_BLOCK
    + variant(
        "    assign:",
        '    select:\n      include: "{{ cols }}"\n    assign:',
        BASE + 'test_run: "{{ flag }}"\n',
    ).replace("model_version: 1", 'model_version: 1\n          weights: "{{ w }}"'),
    "hyperparameters are free": variant("batch_size: 4", "anything: {goes: [1, 2]}"),
    "a float where Bitfount truncates to int": variant("model_version: 1", "model_version: 1.0"),
    "matching aggregator weights": variant(
        "  data_structure:",
        "  aggregator:\n    secure: false\n"
        "    weights: {someone/mnist-demo-dataset: 2}\n  data_structure:",
    ),
    "target as a list": variant('target: "target"', "target: [a, b]"),
    "table as a mapping": variant('table: "mnist-demo-dataset"', "table: {pod-a: t1}"),
    "schema requirements as a mapping": variant(
        "    assign:", "    schema_requirements: {full: [CSVSource]}\n    assign:"
    ),
    "transform is not schema-checked": variant(
        "    assign:", "    transform:\n      image: [{anything: {x: 1}}]\n    assign:"
    ),
    "single algorithm as a mapping": HF_TASK,
}


@pytest.mark.parametrize("text", ACCEPTED_BY_BITFOUNT.values(), ids=ACCEPTED_BY_BITFOUNT.keys())
def test_files_bitfount_accepts_get_no_error(text: str) -> None:
    if "{{ cols }}" in text:
        text = text.replace(
            "template:\n",
            "template:\n  cols:\n    label: Columns\n    type: array\n    items: {type: string}\n"
            "    default: [file]\n  w:\n    label: Weights\n    type: string\n    default: w.pt\n",
            1,
        )
    errors = [p.format() for p in problems_for(text) if p.is_error]
    assert errors == []


def test_template_variables_are_checked() -> None:
    text = TEMPLATE_BLOCK + BASE + 'test_run: "{{ undeclared }}"\n'
    messages = [p.message for p in problems_for(text) if p.is_error]
    assert any("undeclared" in m for m in messages), messages


def test_only_the_matching_class_is_reported() -> None:
    text = variant("class_outputs:", "batch_size: 3\n        class_outputz:")
    problems = [p for p in problems_for(text) if p.is_error]
    assert len(problems) == 2
    assert all(p.path[:4] == ("task", "algorithm", 0, "arguments") for p in problems)


def test_non_mapping_and_empty_documents() -> None:
    assert validate_task(None)[0].is_error
    assert validate_task(["a"])[0].is_error
    v9 = {"name": "x", "federation": {}, "roles": {}}
    assert [p.severity for p in validate_task(v9)] == ["warning"]


def test_detect_kind() -> None:
    assert detect_kind({"task-templates": []}) == "config"
    assert detect_kind({"models": []}) == "config"
    assert detect_kind({"pods": {}, "task": {}}) == "task"
    assert detect_kind({"something": 1}) == "unknown"
    assert detect_kind({"task_template": []}) == "config"
    assert detect_kind({"taks": {}, "pod": {}}) == "task"
    assert detect_kind([1]) == "unknown"


def _set(data: dict[str, Any], dotted: str, value: object) -> None:
    node: Any = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _base_data() -> dict[str, Any]:
    loaded = load_yaml_text(BASE, "task.yaml")
    data: dict[str, Any] = loaded.data
    return data


@pytest.mark.parametrize("field", sorted(TEMPLATABLE_TASK_FIELDS))
def test_templatable_task_fields_take_a_placeholder_only_in_a_template(field: str) -> None:
    dotted = "task." + field if field.startswith("data_structure") else field
    plain = _base_data()
    _set(plain, dotted, "{{ v }}")
    path = tuple(dotted.split("."))
    if not field.endswith(("image_prefix",)):  # a string field takes any string
        assert any(p.path == path and p.is_error for p in validate_task(plain)), field
    templated = {"template": {"v": {"label": "V", "type": "object"}}, **plain}
    assert not [p for p in validate_task(templated) if p.path == path and p.is_error], field


@pytest.mark.parametrize(
    ("component", "argument"),
    [
        (c.name, a.name)
        for c in (*PROTOCOLS.values(), *ALGORITHMS.values())
        for a in c.arguments
        if a.kind not in ("str", "path", "int_or_str", "any")  # these take any string
    ],
)
def test_argument_placeholders_follow_the_templatable_flag(component: str, argument: str) -> None:
    comp = PROTOCOLS.get(component) or ALGORITHMS[component]
    arg = comp.argument(argument)
    assert arg is not None
    args: dict[str, object] = {a.name: "x" for a in comp.arguments if a.required}
    args[argument] = "{{ v }}"
    kind = "protocol" if comp.kind == "protocol" else "algorithm"
    other = (
        {"algorithm": {"name": "bitfount.FederatedModelTraining"}}
        if kind == "protocol"
        else {"protocol": {"name": "bitfount.ResultsOnly"}}
    )
    data = {
        "template": {"v": {"label": "V", "type": "object"}},
        "pods": {"identifiers": ["p"]},
        "task": {kind: {"name": component, "arguments": args}, **other, "data_structure": {}},
    }
    problems = [p for p in validate_task(data) if p.path[-1:] == (argument,) and p.is_error]
    if arg.templatable:
        assert problems == []
    else:
        assert len(problems) == 1 and "cannot take a template variable" in problems[0].message


def test_unprefixed_domain_names_only_warn() -> None:
    data = {
        "pods": {"identifiers": ["p"]},
        "task": {
            "protocol": {"name": "GAScreeningProtocolAmethyst"},
            "algorithm": [{"name": "bitfount.ModelInference"}],
            "data_structure": {},
        },
    }
    problems = [p for p in validate_task(data) if p.path == ("task", "protocol", "name")]
    assert [p.severity for p in problems] == ["warning"]
    assert "'bitfount.GAScreeningProtocolAmethyst'" in problems[0].message


@pytest.mark.parametrize(
    ("version", "major"),
    [
        ("8.43.0", 8),
        ("9.1", 9),
        (" 9.0", 9),  # int() strips spaces
        ("10", 10),
        # Bitfount 13: int(version.split(".")[0]); these raise, so legacy (8).
        ("v9", 8),
        ("V9", 8),
        (" v10.0", 8),
        ("9-rc1", 8),
        ("latest", 8),
        (8.43, 8),  # not a string: unparsable, as the uploader reads it
        (None, 8),
    ],
)
def test_one_reading_of_the_major_version(version: object, major: int) -> None:
    from taskwizard.hub import plan
    from taskwizard.model import validate

    task = {} if version is None else {"version": version}
    assert task_major_version(task) == major
    # The validator and the upload plan read it the same way (one function).
    assert validate.task_major_version is plan.task_major_version is task_major_version  # type: ignore[attr-defined]
