"""`taskwizard schema config|task`: every file the validator accepts validates against
the JSON Schema (it may accept more, never less), and the schema has real shapes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from taskwizard.commands import schema as schema_command
from taskwizard.model import catalog
from taskwizard.model.jsonschema import config_schema, task_schema
from taskwizard.model.problems import has_errors
from taskwizard.model.validate import detect_kind, validate_config, validate_task
from taskwizard.model.yamlio import load_yaml_file

jsonschema = pytest.importorskip("jsonschema")

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path("/work/shared/examples")


def validator(schema: dict[str, Any]) -> Any:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


CONFIG = validator(config_schema())
TASK = validator(task_schema())


def as_json(data: Any) -> Any:
    """What an editor sees: YAML's dates are text to a JSON Schema validator."""
    return json.loads(json.dumps(data, default=str))


def schema_errors(kind: str, data: Any) -> list[str]:
    target = CONFIG if kind == "config" else TASK
    return [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in target.iter_errors(as_json(data))
    ]


def yaml_files() -> list[Path]:
    files = sorted(FIXTURES.rglob("*.yaml"))
    if EXAMPLES.is_dir():
        files += sorted(EXAMPLES.glob("*.yaml"))
    return files


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_the_validator_accepts_validates_against_the_schema(path: Path) -> None:
    loaded = load_yaml_file(path)
    if not loaded.ok:
        pytest.skip("not YAML taskwizard can read")
    kind = detect_kind(loaded.data)
    if kind == "config":
        problems = validate_config(loaded.data)
    elif kind == "task":
        problems = validate_task(loaded.data)
    else:
        pytest.skip(f"not a config or task ({kind})")
    if has_errors(problems):
        pytest.skip("the validator rejects it")
    assert schema_errors(kind, loaded.data) == []


def minimal_task(protocol: str, algorithms: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "pods": {"identifiers": ["alice/pod"]},
        "task": {
            "protocol": {"name": protocol},
            "algorithm": algorithms,
            "data_structure": {"select": {"include": ["a"]}},
        },
    }


def with_defaults(component: catalog.Component) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": component.name}
    arguments = {a.name: a.default for a in component.arguments if a.default is not None}
    if arguments:
        entry["arguments"] = arguments
    return entry


SAMPLES: dict[str, Any] = {
    "str": "x",
    "path": "results",
    "float": 0.5,
    "bool": True,
    "str_list": ["a"],
    "str_mapping": {"a": "b"},
    "mapping": {"a": 1},
    "mapping_list": [{"a": 1}],
    "transformations": ["Normalize"],
    "split_transformations": {"train": ["Normalize"]},
    "aggregator": {"secure": False},
    "csv_filters": [{"column": "age", "operator": ">", "value": 3}],
    "patient_visit_match": {"cols_to_match": ["id"], "divergent_col": "d", "date_time_col": "t"},
    "column_ranges": {"age": {"lower": 1, "upper": 9}},
    "int_or_str": 8,
    "int_list": [1],
    "str_or_str_list": "a",
    "int_mapping": {"a": 1},
    "sort_pairs": [["a", "asc"]],
    "str_list_list": [["a"]],
    "code_groups": ["a"],
    "int_triple": [1, 2, 3],
    "float_list": [0.5],
    "any": "x",
}


def sample(arg: catalog.Argument) -> Any:
    if arg.kind == "int":
        return max(int(arg.minimum or 1), 1)
    if arg.kind == "choice":
        return arg.choices[0]
    if arg.kind == "choice_list":
        # A choice picked by the argument's name: two lists of one component get different
        # values (GATrialCalculation refuses a segmentation both included and excluded).
        return [arg.choices[sum(map(ord, arg.name)) % len(arg.choices)]]
    if arg.kind == "choice_mapping":
        return {"a-column": arg.choices[0]}
    if arg.kind == "keyed_choice_int_mappings":
        return {"A1": {arg.choices[0]: 6}}
    if arg.kind in ("nested", "nested_list"):
        nested = {f.name: sample(f) for f in arg.fields if f.required}
        return nested if arg.kind == "nested" else [nested]
    return SAMPLES[arg.kind]


def with_every_argument(component: catalog.Component) -> dict[str, Any]:
    arguments = {a.name: sample(a) for a in component.arguments if not a.deprecated}
    return {"name": component.name, **({"arguments": arguments} if arguments else {})}


@pytest.mark.parametrize("name", list(catalog.ALGORITHMS))
def test_each_algorithm_with_every_argument_set_accepted_by_both(name: str) -> None:
    component = catalog.ALGORITHMS[name]
    entry = with_every_argument(component)
    if component.takes_model:
        entry["model"] = {"bitfount_model": {"model_ref": "MyModel", "model_version": 2}}
    task = minimal_task("bitfount.ResultsOnly", [entry])
    problems = validate_task(task)
    if has_errors(problems):
        pytest.skip("sample values the validator refuses: " + problems[0].message[:80])
    assert schema_errors("task", task) == []


@pytest.mark.parametrize("name", list(catalog.PROTOCOLS))
def test_each_protocol_with_every_argument_set_accepted_by_both(name: str) -> None:
    task = minimal_task(name, [{"name": "bitfount.ModelInference"}])
    task["task"]["protocol"] = with_every_argument(catalog.PROTOCOLS[name])
    problems = validate_task(task)
    if has_errors(problems):
        pytest.skip("sample values the validator refuses: " + problems[0].message[:80])
    assert schema_errors("task", task) == []


@pytest.mark.parametrize("name", list(catalog.ALGORITHMS))
def test_each_algorithm_with_its_defaults_accepted_by_both(name: str) -> None:
    task = minimal_task("bitfount.ResultsOnly", [with_defaults(catalog.ALGORITHMS[name])])
    if has_errors(validate_task(task)):
        pytest.skip("needs arguments the defaults do not give")
    assert schema_errors("task", task) == []


@pytest.mark.parametrize("name", list(catalog.PROTOCOLS))
def test_each_protocol_with_its_defaults_accepted_by_both(name: str) -> None:
    task = minimal_task(name, [{"name": "bitfount.ModelInference"}])
    task["task"]["protocol"] = with_defaults(catalog.PROTOCOLS[name])
    if has_errors(validate_task(task)):
        pytest.skip("needs arguments the defaults do not give")
    assert schema_errors("task", task) == []


def test_lax_scalars_and_placeholders_bitfount_accepts_are_accepted() -> None:
    task = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    task["test_run"] = "yes"  # pydantic's lax bool, as Bitfount's
    task["message_service"] = {"port": "8443", "tls": "off"}
    task["run_on_new_data_only"] = "{{ only_new }}"
    task["template"] = {"only_new": {"type": "boolean", "label": "Only new", "default": False}}
    assert not has_errors(validate_task(task))
    assert schema_errors("task", task) == []


def test_the_schema_rejects_what_bitfount_rejects() -> None:
    task = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    task["task"]["protocol"]["name"] = "bitfount.NoSuchProtocol"
    assert schema_errors("task", task)
    task = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    task["task"]["unknown_key"] = 1
    assert schema_errors("task", task)
    task = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    task["test_run"] = "maybe"
    assert schema_errors("task", task)
    config = {
        "task-templates": [
            {
                "slug": "s",
                "title": "t",
                "type": "not-a-type",
                "description": "",
                "template": "t.yaml",
                "tags": ["NoSuchTag"],
            }
        ]
    }
    assert schema_errors("config", config)
    config["task-templates"][0]["type"] = "image-classification"
    assert schema_errors("config", config)  # the tag
    config["task-templates"][0]["tags"] = ["Prediction"]
    assert schema_errors("config", config) == []


def test_enums_descriptions_and_argument_shapes() -> None:
    config = config_schema()
    entry = config["$defs"]["TaskTemplateEntry"]["properties"]
    assert entry["type"]["enum"] == list(catalog.TEMPLATE_TYPES)
    assert entry["tags"]["items"]["enum"] == list(catalog.TAGS)
    assert "Bitfount" in entry["tags"]["description"]
    assert config["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    task = task_schema()
    protocol = task["$defs"]["ProtocolEntry"]
    assert set(catalog.PROTOCOLS) <= set(protocol["properties"]["name"]["enum"])
    algorithm = task["$defs"]["AlgorithmEntry"]
    assert set(catalog.ALGORITHMS) <= set(algorithm["properties"]["name"]["enum"])
    # one if/then per algorithm, giving its arguments their own shape
    branches = {tuple(b["if"]["properties"]["name"]["enum"])[0]: b for b in algorithm["allOf"]}
    assert set(branches) == set(catalog.ALGORITHMS)
    bad = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    bad["task"]["algorithm"][0]["arguments"] = {"class_outputs": "not a list"}
    assert any("class_outputs" in e for e in schema_errors("task", bad))
    assert has_errors(validate_task(bad))


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="taskwizard schema")
    schema_command.add_arguments("schema", parser)
    return schema_command.run("schema", parser.parse_args(argv))


def test_schema_command_writes_stdout_or_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["task"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Bitfount task YAML"
    out = tmp_path / "config.schema.json"
    assert run(["config", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["title"] == "Bitfount task-templates config"
    assert run(["config", "--output", str(tmp_path)]) == 2  # a folder
    assert "cannot write" in capsys.readouterr().err


def test_fields_checked_by_hand_have_shapes_as_wide_as_their_checks() -> None:
    task = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    task["version"] = "8.43.0"
    task["hub"] = {"url": "HTTPS://hub.bitfount.com/"}
    task["modeller"] = {"username": "alice"}
    structure = task["task"]["data_structure"]
    structure["schema_requirements"] = {"partial": ["image"], "full": []}
    structure["table_config"] = {"table": {"alice/pod": "table1"}}
    structure["assign"] = {"target": ["a", "b"]}
    assert not has_errors(validate_task(task))
    assert schema_errors("task", task) == []
    for key, value in (("version", 8.43), ("hub", {"url": "ftp://hub.bitfount.com"})):
        bad = {**task, key: value}
        assert has_errors(validate_task(bad)), key
        assert schema_errors("task", bad), key
    bad = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    bad["task"]["data_structure"]["schema_requirements"] = "most"
    assert has_errors(validate_task(bad)) and schema_errors("task", bad)


def test_template_variable_declarations_have_a_shape() -> None:
    task = minimal_task("bitfount.ResultsOnly", [{"name": "bitfount.ModelInference"}])
    task["test_run"] = "{{ dry }}"
    task["template"] = {
        "dry": {"label": "Dry run?", "type": "boolean", "default": False},
        "model": {"label": "Model", "type": {"model_slug": {"provider": "huggingface"}}},
    }
    variable = task["template"]["model"]["type"]["model_slug"]
    variable.update({"library": "transformers", "pipeline_tag": "x", "author": "y"})
    assert not has_errors(validate_task(task)), validate_task(task)
    assert schema_errors("task", task) == []
    for bad in (
        {"label": "Dry run?", "type": "bool"},  # no such type
        {"type": "boolean"},  # no label
        {"label": "x", "type": "boolean", "colour": "red"},  # unknown key
    ):
        broken = {**task, "template": {**task["template"], "dry": bad}}
        assert has_errors(validate_task(broken)), bad
        assert schema_errors("task", broken), bad
