"""Parity with Bitfount 13's own validation, one row per constraint taskwizard mirrors.

Each row names where the constraint is in the SDK (``/work/sdk/src/bitfount``), then
gives a task YAML Bitfount refuses (taskwizard must report an error at that place,
saying what Bitfount says) and one it accepts (taskwizard must report no error).
The files are a small valid task with one change each (``changes``: document path
-> new value; ``None`` as a path's value deletes nothing, it sets null).

Adding a constraint to the catalog means adding its row here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from taskwizard.model.modelfile import check_model_file
from taskwizard.model.problems import DocPath
from taskwizard.model.validate import validate_task

BASE: dict[str, Any] = {
    "pods": {"identifiers": ["owner/pod-a"]},
    "modeller": {"identity_verification_method": "oidc-device-code"},
    "task": {
        "protocol": {"name": "bitfount.InferenceAndCSVReport"},
        "algorithm": [
            {
                "name": "bitfount.ModelInference",
                "arguments": {"class_outputs": ["a", "b"]},
                "model": {"bitfount_model": {"model_ref": "Net", "model_version": 1}},
            },
            {"name": "bitfount.CSVReportAlgorithm"},
        ],
        "data_structure": {},
    },
}
CSV_ARGS: DocPath = ("task", "algorithm", 1, "arguments")
SPLIT: DocPath = ("task", "data_structure", "data_split")
ALGO0: DocPath = ("task", "algorithm", 0)


def _filter(operator: str, value: Any) -> list[dict[str, Any]]:
    return [{"column": "age", "operator": operator, "value": value}]


@dataclass(frozen=True)
class Row:
    constraint: str
    sdk: str  # where Bitfount 13 makes the check
    refused: dict[DocPath, Any]
    accepted: dict[DocPath, Any]
    at: DocPath  # where taskwizard reports it
    says: str  # part of taskwizard's message (Bitfount's meaning)


_NOT_NULL = 'may not be null (Bitfount: "Field may not be null.")'

ROWS: list[Row] = [
    Row(
        "CSVReportAlgorithm filter.operator OneOf",
        "federated/algorithms/ophthalmology/trial_inclusion_filters.py ColumnFilter.operator",
        {CSV_ARGS: {"filter": _filter("contains", "x")}},
        {CSV_ARGS: {"filter": _filter("equals", "x")}},
        (*CSV_ARGS, "filter", 0, "operator"),
        "must be one of: ==, !=, <",
    ),
    Row(
        "CSVReportAlgorithm filter: inequality needs a number",
        "trial_inclusion_filters.py ColumnFilter.__post_init__ (float(value))",
        {CSV_ARGS: {"filter": _filter("greater than", "sixty")}},
        {CSV_ARGS: {"filter": _filter("greater than", "60")}},
        (*CSV_ARGS, "filter", 0, "value"),
        "incompatible with operator type `greater than`",
    ),
    Row(
        "CSVReportAlgorithm filter.how OneOf",
        "trial_inclusion_filters.py ColumnFilter.how",
        {CSV_ARGS: {"filter": [{"column": "a", "operator": "==", "value": 1, "how": "some"}]}},
        {CSV_ARGS: {"filter": [{"column": "a", "operator": "==", "value": 1, "how": "any"}]}},
        (*CSV_ARGS, "filter", 0, "how"),
        "must be one of: any, all",
    ),
    Row(
        "CSVReportAlgorithm filter: unknown key (unknown=RAISE)",
        "desert schema of ColumnFilter",
        {CSV_ARGS: {"filter": [{"column": "a", "operator": "==", "value": 1, "op": "x"}]}},
        {CSV_ARGS: {"filter": [{"column": "a", "operator": "==", "value": 1}]}},
        (*CSV_ARGS, "filter", 0, "op"),
        "unknown key 'op'",
    ),
    Row(
        "CSVReportAlgorithm sorting_columns values OneOf(asc, desc)",
        "runners/config_schemas/algorithm_schemas.py CSVReportAlgorithmArgumentsConfig",
        {CSV_ARGS: {"sorting_columns": {"age": "up"}}},
        {CSV_ARGS: {"sorting_columns": {"age": "desc"}}},
        (*CSV_ARGS, "sorting_columns", "age"),
        "must be one of: asc, desc",
    ),
    Row(
        "CSVReportAlgorithm decimal_places Range(min=0)",
        "algorithm_schemas.py CSVReportAlgorithmArgumentsConfig.decimal_places",
        {CSV_ARGS: {"decimal_places": -1}},
        {CSV_ARGS: {"decimal_places": 0}},
        (*CSV_ARGS, "decimal_places"),
        "must be at least 0",
    ),
    Row(
        "data_split.args: unknown key (Union of the splitters' schemas, unknown=RAISE)",
        "runners/config_schemas/common_schemas.py DataSplitConfig.args",
        {SPLIT: {"args": {"validation_split": 10}}},
        {SPLIT: {"args": {"validation_percentage": 10}}},
        (*SPLIT, "args", "validation_split"),
        'Unknown field."',
    ),
    Row(
        "data_split.args: keys of both splitters mixed",
        "common_schemas.py DataSplitConfig.args (each schema refuses the other's keys)",
        {SPLIT: {"args": {"test_percentage": 10, "column_name": "split"}}},
        {SPLIT: {"data_splitter": "predefined", "args": {"column_name": "split"}}},
        (*SPLIT, "args", "column_name"),
        "cannot be mixed",
    ),
    Row(
        "data_split.args: types of the splitter's fields",
        "data/datasplitters.py PercentageSplitter.test_percentage: int",
        {SPLIT: {"args": {"test_percentage": "ten"}}},
        {SPLIT: {"args": {"test_percentage": 20}}},
        (*SPLIT, "args", "test_percentage"),
        "must be a whole number",
    ),
    Row(
        "data_split.args may not be null",
        "common_schemas.py DataSplitConfig.args (default {}, so allow_none is false)",
        {SPLIT: {"args": None}},
        {SPLIT: {"args": {}}},
        (*SPLIT, "args"),
        "must be a mapping",
    ),
    Row(
        "data_split.data_splitter OneOf(percentage, predefined)",
        "common_schemas.py DataSplitConfig.data_splitter",
        {SPLIT: {"data_splitter": "random"}},
        {SPLIT: {"data_splitter": "predefined"}},
        (*SPLIT, "data_splitter"),
        "must be one of: percentage, predefined",
    ),
    Row(
        "pods.identifiers: at least one pod",
        "runners/modeller_runner.py setup_modeller ('Must provide at least one `pod_identifier`')",
        {("pods", "identifiers"): []},
        {("pods", "identifiers"): ["pod-a"]},
        ("pods", "identifiers"),
        "Must provide at least one `pod_identifier`",
    ),
    Row(
        "pods.identifiers: list of strings",
        "runners/config_schemas/modeller_schemas.py PodsConfig.identifiers: list[str]",
        {("pods", "identifiers"): [{"pod_identifier": None}]},
        {("pods", "identifiers"): ["owner/pod-b"]},
        ("pods", "identifiers", 0),
        "unquoted braces make YAML read",
    ),
    Row(
        "pods is a mapping (PodsConfig)",
        "modeller_schemas.py ModellerConfig.pods",
        {("pods",): ["owner/pod-a"]},
        {("pods",): {"identifiers": ["owner/pod-a"]}},
        ("pods",),
        "identifiers:",
    ),
    Row(
        "modeller.identity_verification_method OneOf",
        "modeller_schemas.py ModellerUserConfig.identity_verification_method",
        {("modeller", "identity_verification_method"): "password"},
        {("modeller", "identity_verification_method"): "key-based"},
        ("modeller", "identity_verification_method"),
        "must be one of",
    ),
    Row(
        "algorithm arguments may not be null",
        "algorithm_schemas.py ModelInferenceAlgorithmConfig.arguments (Nested, no allow_none)",
        {(*ALGO0, "arguments"): None},
        {(*ALGO0, "arguments"): {"class_outputs": ["a"]}},
        (*ALGO0, "arguments"),
        'Field may not be null."',
    ),
    Row(
        "model.structure.arguments may not be null",
        "runners/config_schemas/model_schemas.py ModelStructureConfig.arguments (default {})",
        {(*ALGO0, "model", "structure"): {"name": "resnet", "arguments": None}},
        {(*ALGO0, "model", "structure"): {"name": "resnet", "arguments": {}}},
        (*ALGO0, "model", "structure", "arguments"),
        "must be a mapping",
    ),
    Row(
        "HuggingFace generation torch_dtype",
        "algorithm_schemas.py HuggingFaceTextGenerationInferenceArgumentsConfig.__post_init__",
        {
            ("task", "algorithm"): [
                {
                    "name": "bitfount.HuggingFaceTextGenerationInference",
                    "arguments": {"model_id": "gpt2", "torch_dtype": "float8"},
                }
            ],
            ("task", "data_structure"): {"select": {"include": ["text"]}},
        },
        {
            ("task", "algorithm"): [
                {
                    "name": "bitfount.HuggingFaceTextGenerationInference",
                    "arguments": {"model_id": "gpt2", "torch_dtype": "float16"},
                }
            ],
            ("task", "data_structure"): {"select": {"include": ["text"]}},
        },
        ("task", "algorithm", 0, "arguments", "torch_dtype"),
        "must be one of: bfloat16, float16, float32, float64",
    ),
    Row(
        "TIMMFineTuning batch_transformations keys OneOf(train, validation)",
        "algorithm_schemas.py TIMMFineTuningArgumentsConfig.batch_transformations",
        {
            ("task", "protocol"): {"name": "bitfount.ResultsOnly"},
            ("task", "algorithm"): [
                {
                    "name": "bitfount.TIMMFineTuning",
                    "arguments": {"model_id": "r", "batch_transformations": {"test": []}},
                }
            ],
        },
        {
            ("task", "protocol"): {"name": "bitfount.ResultsOnly"},
            ("task", "algorithm"): [
                {
                    "name": "bitfount.TIMMFineTuning",
                    "arguments": {"model_id": "r", "batch_transformations": {"train": []}},
                }
            ],
        },
        ("task", "algorithm", 0, "arguments", "batch_transformations"),
        "keys must be one of: train, validation",
    ),
    Row(
        "TIMMInference hf_checkpoint_repo_id and hf_checkpoint_filename together",
        "algorithm_schemas.py TIMMInferenceArgumentsConfig.__post_init__",
        {
            ("task", "algorithm"): [
                {
                    "name": "bitfount.TIMMInference",
                    "arguments": {"model_id": "r", "hf_checkpoint_repo_id": "org/repo"},
                }
            ],
            ("task", "data_structure"): {"select": {"include": ["image"]}},
        },
        {
            ("task", "algorithm"): [
                {
                    "name": "bitfount.TIMMInference",
                    "arguments": {
                        "model_id": "r",
                        "hf_checkpoint_repo_id": "org/repo",
                        "hf_checkpoint_filename": "model.pt",
                    },
                }
            ],
            ("task", "data_structure"): {"select": {"include": ["image"]}},
        },
        ("task", "algorithm", 0, "arguments", "hf_checkpoint_repo_id"),
        "must be provided together",
    ),
    Row(
        "PrivateSqlQuery aggregation_func",
        "algorithm_schemas.py PrivateSqlQueryArgumentsConfig (_validate_aggregation_func)",
        {
            ("task", "protocol"): {"name": "bitfount.ResultsOnly"},
            ("task", "algorithm"): [
                {
                    "name": "bitfount.PrivateSqlQuery",
                    "arguments": {
                        "query": "SELECT 1",
                        "epsilon": 1.0,
                        "delta": 1e-5,
                        "aggregation_func": "MEDIAN",
                    },
                }
            ],
        },
        {
            ("task", "protocol"): {"name": "bitfount.ResultsOnly"},
            ("task", "algorithm"): [
                {
                    "name": "bitfount.PrivateSqlQuery",
                    "arguments": {
                        "query": "SELECT 1",
                        "epsilon": 1.0,
                        "delta": 1e-5,
                        "aggregation_func": "avg",
                    },
                }
            ],
        },
        ("task", "algorithm", 0, "arguments", "aggregation_func"),
        "must be one of: AVG",
    ),
    Row(
        "HuggingFaceImageClassificationInference model_input_format OneOf(DataFormat)",
        "algorithm_schemas.py HuggingFaceImageClassificationInferenceArgumentsConfig",
        {
            ("task", "algorithm"): [
                {
                    "name": "bitfount.HuggingFaceImageClassificationInference",
                    "arguments": {"model_id": "m", "model_input_format": "pil"},
                }
            ],
            ("task", "data_structure"): {"select": {"include": ["image"]}},
        },
        {
            ("task", "algorithm"): [
                {
                    "name": "bitfount.HuggingFaceImageClassificationInference",
                    "arguments": {"model_id": "m", "model_input_format": "numpy_array"},
                }
            ],
            ("task", "data_structure"): {"select": {"include": ["image"]}},
        },
        ("task", "algorithm", 0, "arguments", "model_input_format"),
        "must be one of: torch_tensor, numpy_array",
    ),
    Row(
        "aggregator: secure aggregation takes no weights",
        "algorithm_schemas.py AggregatorConfig.__post_init__",
        {("task", "aggregator"): {"secure": True, "weights": {"owner/pod-a": 1.0}}},
        {("task", "aggregator"): {"secure": False, "weights": {"owner/pod-a": 1.0}}},
        ("task", "aggregator", "weights"),
        "SecureAggregation does not support update weighting",
    ),
    Row(
        "data_structure.schema_requirements OneOf(empty, partial, full)",
        "modeller_schemas.py DataStructureConfig.schema_requirements",
        {("task", "data_structure"): {"schema_requirements": "most"}},
        {("task", "data_structure"): {"schema_requirements": "partial"}},
        ("task", "data_structure", "schema_requirements"),
        "must be one of: empty, partial, full",
    ),
    Row(
        "data_structure.filter filter_type OneOf(TaskFilterType)",
        "modeller_schemas.py TaskFilterConfig.filter_type",
        {("task", "data_structure"): {"filter": [{"filter_type": "min-age", "value": 3}]}},
        {("task", "data_structure"): {"filter": [{"filter_type": "min-frames", "value": 3}]}},
        ("task", "data_structure", "filter", 0, "filter_type"),
        "must be one of",
    ),
]

# ------------------------------------------------------------------ domain-specific components
# Each is a desert dataclass schema (unknown=RAISE) in runners/config_schemas; a value it
# refuses makes the algorithm/protocol Union fall through to GenericAlgorithmConfig /
# GenericProtocolConfig, which refuse every ``bitfount.`` name.
ALGOS: DocPath = ("task", "algorithm")
PROTO: DocPath = ("task", "protocol")
RESULTS_ONLY = {PROTO: {"name": "bitfount.ResultsOnly"}}


def _algo(name: str, arguments: dict[str, Any] | None) -> dict[DocPath, Any]:
    entry: dict[str, Any] = {"name": f"bitfount.{name}"}
    if arguments is not None:
        entry["arguments"] = arguments
    return {**RESULTS_ONLY, ALGOS: [entry]}


def _proto(name: str, arguments: dict[str, Any]) -> dict[DocPath, Any]:
    return {PROTO: {"name": f"bitfount.{name}", "arguments": arguments}}


A0_ARGS: DocPath = ("task", "algorithm", 0, "arguments")
P_ARGS: DocPath = ("task", "protocol", "arguments")

DOMAIN_ROWS: list[Row] = [
    Row(
        "MONAIBundleInference arguments required (bundle_name has no default)",
        "algorithm_schemas.py MONAIBundleInferenceAlgorithmConfig.arguments (required=True)",
        _algo("MONAIBundleInference", None),
        _algo("MONAIBundleInference", {"bundle_name": "spleen_ct_segmentation"}),
        A0_ARGS,
        "needs bundle_name",
    ),
    Row(
        "MONAIBundleInference unknown key",
        "algorithm_schemas.py MONAIBundleInferenceArgumentsConfig (desert, unknown=RAISE)",
        _algo("MONAIBundleInference", {"bundle_name": "b", "bundle": "x"}),
        _algo("MONAIBundleInference", {"bundle_name": "b", "bundle_version": "0.5"}),
        (*A0_ARGS, "bundle"),
        "unknown key 'bundle'",
    ),
    Row(
        "MONAIBundleInference batch_size Integer (templatable)",
        "MONAIBundleInferenceArgumentsConfig.batch_size TemplatedOrTyped(Integer)",
        _algo("MONAIBundleInference", {"bundle_name": "b", "batch_size": "two"}),
        _algo("MONAIBundleInference", {"bundle_name": "b", "batch_size": 2}),
        (*A0_ARGS, "batch_size"),
        "must be a whole number",
    ),
    Row(
        "MONAIBundleInference dataframe_output Boolean",
        "MONAIBundleInferenceArgumentsConfig.dataframe_output: bool = True",
        _algo("MONAIBundleInference", {"bundle_name": "b", "dataframe_output": "table"}),
        _algo("MONAIBundleInference", {"bundle_name": "b", "dataframe_output": False}),
        (*A0_ARGS, "dataframe_output"),
        "must be true or false",
    ),
    Row(
        "TIMMFederatedTraining model_id required",
        "algorithm_schemas.py TIMMFederatedTrainingArgumentsConfig.model_id: str",
        _algo("TIMMFederatedTraining", {"labels": ["a"]}),
        _algo("TIMMFederatedTraining", {"model_id": "resnet50", "labels": ["a"]}),
        (*A0_ARGS, "model_id"),
        "model_id is required",
    ),
    Row(
        "TIMMFederatedTraining labels List(String)",
        "TIMMFederatedTrainingArgumentsConfig.labels TemplatedOrTyped(List(String))",
        _algo("TIMMFederatedTraining", {"model_id": "r", "labels": [{"a": 1}]}),
        _algo("TIMMFederatedTraining", {"model_id": "r", "labels": ["cat", "dog"]}),
        (*A0_ARGS, "labels", 0),
        "must be a string",
    ),
    Row(
        "RecordFilterAlgorithm strategies OneOf(FilterStrategy)",
        "algorithm_schemas.py RecordFilterAlgorithmArgumentsConfig.strategies (Enum by value)",
        _algo("RecordFilterAlgorithm", {"strategies": ["newest"], "filter_args_list": [{}]}),
        _algo("RecordFilterAlgorithm", {"strategies": ["latest"], "filter_args_list": [{}]}),
        (*A0_ARGS, "strategies", 0),
        "must be one of: latest, frequency",
    ),
    Row(
        "RecordFilterAlgorithm filter_args_list required",
        "RecordFilterAlgorithmArgumentsConfig.filter_args_list (required=True)",
        _algo("RecordFilterAlgorithm", {"strategies": ["latest"]}),
        _algo("RecordFilterAlgorithm", {"strategies": ["age_range"], "filter_args_list": [{}]}),
        (*A0_ARGS, "filter_args_list"),
        "filter_args_list is required",
    ),
    Row(
        "PatientIDExchangeAlgorithm patient_ids_file must be given",
        "algorithm_schemas.py PatientIDExchangeAlgorithmArgumentsConfig.__post_init__",
        _algo("PatientIDExchangeAlgorithm", {"patient_ids_file": None}),
        _algo("PatientIDExchangeAlgorithm", {"patient_ids_file": "ids.csv"}),
        (*A0_ARGS, "patient_ids_file"),
        "patient_ids_file",
    ),
    Row(
        "CSTCalculationAlgorithm cst_radius_mm Float",
        "algorithm_schemas.py CSTCalculationAlgorithmArgumentsConfig.cst_radius_mm",
        _algo("CSTCalculationAlgorithm", {"cst_radius_mm": "wide"}),
        _algo("CSTCalculationAlgorithm", {"cst_radius_mm": 1}),
        (*A0_ARGS, "cst_radius_mm"),
        "must be a number",
    ),
    Row(
        "GCCCalculationAlgorithm strict_measurement Boolean, not null",
        "algorithm_schemas.py GCCCalculationAlgorithmArgumentsConfig.strict_measurement",
        _algo("GCCCalculationAlgorithm", {"strict_measurement": None}),
        _algo("GCCCalculationAlgorithm", {"strict_measurement": False}),
        (*A0_ARGS, "strict_measurement"),
        _NOT_NULL,
    ),
    Row(
        "TrialMatchingAlgorithm max_distance_km Range(min=0, min_inclusive=False)",
        "algorithm_schemas.py TrialMatchingAlgorithmArgumentsConfig.max_distance_km",
        _algo("TrialMatchingAlgorithm", {"max_distance_km": 0}),
        _algo("TrialMatchingAlgorithm", {"max_distance_km": 0.5}),
        (*A0_ARGS, "max_distance_km"),
        "must be more than 0",
    ),
    Row(
        "TrialMatchingAlgorithm top_n Integer, not null",
        "TrialMatchingAlgorithmArgumentsConfig.top_n TemplatedOrTyped(Integer())",
        _algo("TrialMatchingAlgorithm", {"top_n": None}),
        _algo("TrialMatchingAlgorithm", {"top_n": 3, "default_country": "gb"}),
        (*A0_ARGS, "top_n"),
        _NOT_NULL,
    ),
    Row(
        "EHRPatientIDExtractAlgo page_size Range(min=1)",
        "algorithm_schemas.py EHRPatientIDExtractArgumentsConfig.page_size",
        _algo("EHRPatientIDExtractAlgo", {"page_size": 0}),
        _algo("EHRPatientIDExtractAlgo", {"page_size": 1}),
        (*A0_ARGS, "page_size"),
        "must be at least 1",
    ),
    Row(
        "S3UploadAlgorithm upload_url_expiration Range(min=1)",
        "algorithm_schemas.py S3UploadAlgorithmArgumentsConfig.upload_url_expiration",
        _algo("S3UploadAlgorithm", {"upload_url_expiration": 0}),
        _algo("S3UploadAlgorithm", {"upload_url_expiration": 1, "aws_profile": None}),
        (*A0_ARGS, "upload_url_expiration"),
        "must be at least 1",
    ),
    Row(
        "FluidVolumeCalculationAlgorithm fluid_volume_include_segmentations List(String)",
        "algorithm_schemas.py FluidVolumeCalculationAlgorithmArgumentsConfig",
        _algo("FluidVolumeCalculationAlgorithm", {"fluid_volume_include_segmentations": [1]}),
        _algo("FluidVolumeCalculationAlgorithm", {"fluid_volume_include_segmentations": ["irf"]}),
        (*A0_ARGS, "fluid_volume_include_segmentations", 0),
        "must be a string",
    ),
    Row(
        "FoveaCoordinatesAlgorithm unknown key",
        "algorithm_schemas.py FoveaCoordinatesAlgorithmArgumentsConfig",
        _algo("FoveaCoordinatesAlgorithm", {"bscan_width": "w"}),
        _algo("FoveaCoordinatesAlgorithm", {"bscan_width_col": "w", "location_prefixes": None}),
        (*A0_ARGS, "bscan_width"),
        "did you mean 'bscan_width_col'",
    ),
    Row(
        "BscanImageAndMaskGenerationAlgorithm segmentation_configs required",
        "algorithm_schemas.py BscanImageAndMaskGenerationAlgorithmArgumentsConfig (required=True)",
        _algo("BscanImageAndMaskGenerationAlgorithm", {"image_format": "PNG"}),
        _algo(
            "BscanImageAndMaskGenerationAlgorithm",
            {"segmentation_configs": [{"id": "fluid", "color": [0, 0, 255]}]},
        ),
        (*A0_ARGS, "segmentation_configs"),
        "segmentation_configs is required",
    ),
    Row(
        "BscanImageAndMaskGenerationAlgorithm image_format OneOf(ImageFormats)",
        "BscanImageAndMaskGenerationAlgorithmArgumentsConfig.image_format (Enum by value)",
        _algo(
            "BscanImageAndMaskGenerationAlgorithm",
            {"segmentation_configs": [], "image_format": "GIF"},
        ),
        _algo(
            "BscanImageAndMaskGenerationAlgorithm",
            {"segmentation_configs": [], "image_format": None, "image_quality": None},
        ),
        (*A0_ARGS, "image_format"),
        "must be one of: JPEG, PNG",
    ),
    Row(
        "ReduceCSVAlgorithmCharcoal eligible_only Boolean, not null",
        "algorithm_schemas.py ReduceCSVAlgorithmCharcoalArgumentsConfig.eligible_only",
        _algo("ReduceCSVAlgorithmCharcoal", {"eligible_only": None}),
        _algo("ReduceCSVAlgorithmCharcoal", {"eligible_only": False}),
        (*A0_ARGS, "eligible_only"),
        _NOT_NULL,
    ),
    Row(
        "_SimpleCSVAlgorithm takes only save_path",
        "algorithm_schemas.py _SimpleCSVAlgorithmArgumentsConfig",
        _algo("_SimpleCSVAlgorithm", {"path": "out.csv"}),
        _algo("_SimpleCSVAlgorithm", {"save_path": "out.csv"}),
        (*A0_ARGS, "path"),
        "unknown key 'path'",
    ),
    Row(
        "GATrialCalculationAlgorithmJade segmentations OneOf(ALL_SEGMENTATION_LABELS)",
        "algorithm_schemas.py _GATrialCalculationAlgorithmBaseArgumentsConfig",
        _algo("GATrialCalculationAlgorithmJade", {"extra_segmentations": ["drusen"]}),
        _algo("GATrialCalculationAlgorithmJade", {"extra_segmentations": ["soft_drusen"]}),
        (*A0_ARGS, "extra_segmentations", 0),
        "must be one of: hypertransmission",
    ),
    *(
        Row(
            f"{name} include and exclude segmentations do not overlap",
            "_GATrialCalculation*BaseArgumentsConfig.__post_init__ (ValidationError)",
            _algo(
                name,
                {
                    "ga_area_include_segmentations": ["rpe_atrophy", "hypertransmission"],
                    "ga_area_exclude_segmentations": ["hypertransmission"],
                },
            ),
            _algo(
                name,
                {
                    "ga_area_include_segmentations": ["rpe_atrophy"],
                    "ga_area_exclude_segmentations": ["hypertransmission"],
                },
            ),
            (*A0_ARGS, "ga_area_exclude_segmentations"),
            "overlapping include and exclude segmentation",
        )
        for name in (
            "GATrialCalculationAlgorithmJade",
            "GATrialCalculationAlgorithm",
            "GATrialCalculationAlgorithmAmethyst",
            "GATrialCalculationAlgorithmCharcoal",
            "GATrialCalculationAlgorithmBronze",
        )
    ),
    Row(
        "GATrialCalculationAlgorithmBronze fovea_landmark_idx (only Bronze takes it)",
        "algorithm_schemas.py _GATrialCalculationWithFoveaAlgorithmBaseArgumentsConfig",
        _algo("GATrialCalculationAlgorithmCharcoal", {"fovea_landmark_idx": 2}),
        _algo("GATrialCalculationAlgorithmBronze", {"fovea_landmark_idx": 2}),
        (*A0_ARGS, "fovea_landmark_idx"),
        "unknown key 'fovea_landmark_idx'",
    ),
    Row(
        "ETDRSAlgorithm laterality required",
        "algorithm_schemas.py ETDRSAlgorithmArgumentsConfig.laterality: str (arguments required)",
        _algo("ETDRSAlgorithm", {"threshold": 0.5}),
        _algo("ETDRSAlgorithm", {"laterality": "L", "threshold": 0.5}),
        (*A0_ARGS, "laterality"),
        "laterality is required",
    ),
    Row(
        "GATrialPDFGeneratorAlgorithmJade filter operator OneOf (ColumnFilter)",
        "algorithm_schemas.py GATrialPDFGeneratorAlgorithmJadeArgumentsConfig.filter",
        _algo("GATrialPDFGeneratorAlgorithmJade", {"filter": _filter("contains", "x")}),
        _algo("GATrialPDFGeneratorAlgorithmJade", {"filter": _filter(">=", 50)}),
        (*A0_ARGS, "filter", 0, "operator"),
        "must be one of: ==, !=, <",
    ),
    Row(
        "GATrialPDFGeneratorAlgorithmAmethyst trial_name may not be null",
        "GATrialPDFGeneratorAlgorithmAmethystArgumentsConfig.trial_name (explicit String())",
        _algo("GATrialPDFGeneratorAlgorithmAmethyst", {"trial_name": None}),
        _algo("GATrialPDFGeneratorAlgorithmAmethyst", {"pdf_filename_columns": None}),
        (*A0_ARGS, "trial_name"),
        _NOT_NULL,
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmAmethyst cnv_threshold Float, not null",
        "algorithm_schemas.py _TrialInclusionCriteriaMatchAlgorithmBaseArgumentsConfig",
        _algo("TrialInclusionCriteriaMatchAlgorithmAmethyst", {"cnv_threshold": None}),
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmAmethyst",
            {"cnv_threshold": 0.4, "patient_age_lower_bound": None},
        ),
        (*A0_ARGS, "cnv_threshold"),
        _NOT_NULL,
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmSapphire patient_age_upper_bound Integer",
        "_TrialInclusionCriteriaMatchAlgorithmBaseArgumentsConfig.patient_age_upper_bound",
        _algo("TrialInclusionCriteriaMatchAlgorithmSapphire", {"patient_age_upper_bound": "old"}),
        _algo("TrialInclusionCriteriaMatchAlgorithmSapphire", {"patient_age_upper_bound": 90}),
        (*A0_ARGS, "patient_age_upper_bound"),
        "must be a whole number",
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmBronze codes List(String); Amethyst takes none",
        "algorithm_schemas.py TrialInclusionCriteriaMatchAlgorithmBronzeArgumentsConfig",
        _algo("TrialInclusionCriteriaMatchAlgorithmAmethyst", {"conditions_exclusion_codes": []}),
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmBronze",
            {"conditions_exclusion_codes": ["H35.3"], "exclude_foveal_ga": True},
        ),
        (*A0_ARGS, "conditions_exclusion_codes"),
        "unknown key 'conditions_exclusion_codes'",
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmBronze exclude_foveal_ga Boolean, not null",
        "TrialInclusionCriteriaMatchAlgorithmBronzeArgumentsConfig.exclude_foveal_ga",
        _algo("TrialInclusionCriteriaMatchAlgorithmBronze", {"exclude_foveal_ga": None}),
        _algo("TrialInclusionCriteriaMatchAlgorithmBronze", {"exclude_foveal_ga": False}),
        (*A0_ARGS, "exclude_foveal_ga"),
        _NOT_NULL,
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmCharcoal thresholds Range(0, 1)",
        "algorithm_schemas.py TrialInclusionCriteriaMatchAlgorithmCharcoalArgumentsConfig",
        _algo("TrialInclusionCriteriaMatchAlgorithmCharcoal", {"drusen_threshold": 1.5}),
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmCharcoal",
            {"drusen_threshold": 1, "hypertransmission_threshold": 4.0},
        ),
        (*A0_ARGS, "drusen_threshold"),
        "must be at most 1",
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmCharcoal widths Range(min=0)",
        "TrialInclusionCriteriaMatchAlgorithmCharcoalArgumentsConfig.*_typical_width_micrometers",
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmCharcoal",
            {"subretinal_fluid_typical_width_micrometers": -5},
        ),
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmCharcoal",
            {"subretinal_fluid_typical_width_micrometers": 0, "wet_amd_threshold": None},
        ),
        (*A0_ARGS, "subretinal_fluid_typical_width_micrometers"),
        "must be at least 0",
    ),
    Row(
        "TrialInclusionCriteriaMatchAlgorithmEHR age upper bound; GlaucomaCharcoal has none",
        "algorithm_schemas.py TrialInclusionCriteriaMatchAlgorithm{EHR,GlaucomaCharcoal}Args",
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmGlaucomaCharcoal", {"patient_age_upper_bound": 80}
        ),
        _algo(
            "TrialInclusionCriteriaMatchAlgorithmEHR",
            {"patient_age_upper_bound": 80, "conditions_inclusion_codes": [["H40"], ["H40.1"]]},
        ),
        (*A0_ARGS, "patient_age_upper_bound"),
        "unknown key 'patient_age_upper_bound'",
    ),
    Row(
        "S3UploadAlgorithmWithMRNTracking upload_url_expiration Range(min=1)",
        "algorithm_schemas.py S3UploadAlgorithmWithMRNTrackingConfig (S3Upload's arguments)",
        _algo("S3UploadAlgorithmWithMRNTracking", {"upload_url_expiration": -1}),
        _algo("S3UploadAlgorithmWithMRNTracking", {"s3_bucket": "results"}),
        (*A0_ARGS, "upload_url_expiration"),
        "must be at least 1",
    ),
    *(
        Row(
            f"{name} (deprecated) sorting_columns OneOf(asc, desc)",
            "algorithm_schemas.py CSVReportGeneratorOphthalmologyAlgorithmArgumentsConfig",
            _algo(name, {"sorting_columns": {"age": "up"}}),
            _algo(name, {"sorting_columns": {"age": "asc"}, "produce_matched_only": False}),
            (*A0_ARGS, "sorting_columns", "age"),
            "must be one of: asc, desc",
        )
        for name in ("CSVReportGeneratorAlgorithm", "CSVReportGeneratorOphthalmologyAlgorithm")
    ),
    *(
        Row(
            f"{name} takes no arguments (empty schema)",
            "algorithm_schemas.py TrialInclusionCriteriaMatchAlgorithmJadeArgumentsConfig",
            _algo(name, {"cnv_threshold": 0.5}),
            _algo(name, None),
            (*A0_ARGS, "cnv_threshold"),
            "unknown key 'cnv_threshold'",
        )
        for name in (
            "TrialInclusionCriteriaMatchAlgorithmJade",
            "TrialInclusionCriteriaMatchAlgorithm",
        )
    ),
    Row(
        "an algorithm name Bitfount 13 does not have (PatientIDExtractAlgorithm)",
        "algorithm_schemas.py GenericAlgorithmConfig.__post_init__ (bitfount. names reserved)",
        _algo("PatientIDExtractAlgorithm", None),
        _algo("EHRPatientIDExtractAlgo", None),
        ("task", "algorithm", 0, "name"),
        "PatientIDExtractAlgorithm",
    ),
    *(
        Row(
            f"{name} takes no arguments (empty schema, unknown=RAISE)",
            f"algorithm_schemas.py {name}ArgumentsConfig (no fields)",
            _algo(name, {"limit": 5}),
            _algo(name, None),
            (*A0_ARGS, "limit"),
            "unknown key 'limit'",
        )
        for name in (
            "ImageSelectionAlgorithm",
            "LongitudinalAlgorithm",
            "CodeNormalisationAlgorithm",
            "EHRPatientQueryAlgorithm",
            "EHRPatientInfoDownloadAlgorithm",
        )
    ),
    *(
        Row(
            f"{name} takes only an aggregator",
            f"protocol_schemas.py {name}ArgumentsConfig (aggregator only, unknown=RAISE)",
            _proto(name, {"trial_name": "t"}),
            _proto(name, {"aggregator": {"secure": False}}),
            (*P_ARGS, "trial_name"),
            "unknown key 'trial_name'",
        )
        for name in ("RetinalDiseaseProtocolCobalt", "BasicOCTProtocol", "EHRNERProtocol")
    ),
    Row(
        "PatientTrialMatchingProtocol unknown key",
        "protocol_schemas.py PatientTrialMatchingProtocolArgumentsConfig",
        _proto("PatientTrialMatchingProtocol", {"trials_db_url": "x"}),
        _proto("PatientTrialMatchingProtocol", {"trials_database_url": "x"}),
        (*P_ARGS, "trials_db_url"),
        "did you mean 'trials_database_url'",
    ),
    Row(
        "NextGenSearchProtocol rename_columns Dict(Str, Str)",
        "protocol_schemas.py NextGenSearchProtocolArgumentsConfig.rename_columns",
        _proto("NextGenSearchProtocol", {"rename_columns": {"a": 1}}),
        _proto("NextGenSearchProtocol", {"rename_columns": {"a": "b"}}),
        (*P_ARGS, "rename_columns", "a"),
        "must be a string",
    ),
    Row(
        "InSiteInsightsProtocol results_notification_email Boolean (not templatable)",
        "protocol_schemas.py InSiteInsightsProtocolArgumentsConfig: Optional[bool]",
        _proto("InSiteInsightsProtocol", {"results_notification_email": "yes please"}),
        _proto("InSiteInsightsProtocol", {"results_notification_email": None}),
        (*P_ARGS, "results_notification_email"),
        "must be true or false",
    ),
    Row(
        "FluidVolumeScreeningProtocol results_notification_email Boolean",
        "protocol_schemas.py FluidVolumeScreeningProtocolArgumentsConfig",
        _proto("FluidVolumeScreeningProtocol", {"results_notification_email": "often"}),
        _proto("FluidVolumeScreeningProtocol", {"results_notification_email": True}),
        (*P_ARGS, "results_notification_email"),
        "must be true or false",
    ),
    Row(
        "FluidVolumeScreeningProtocol trial_name may not be null (explicit fields.String())",
        "protocol_schemas.py FluidVolumeScreeningProtocolArgumentsConfig.trial_name",
        _proto("FluidVolumeScreeningProtocol", {"trial_name": None}),
        _proto("FluidVolumeScreeningProtocol", {"trial_name": "AMD-1"}),
        (*P_ARGS, "trial_name"),
        _NOT_NULL,
    ),
    Row(
        "DataExtractionProtocolCharcoal low_disk_free_percent Range(0, 100)",
        "protocol_schemas.py DataExtractionProtocolCharcoalArgumentsConfig",
        _proto("DataExtractionProtocolCharcoal", {"low_disk_free_percent": 101}),
        _proto("DataExtractionProtocolCharcoal", {"low_disk_free_percent": 100}),
        (*P_ARGS, "low_disk_free_percent"),
        "must be at most 100",
    ),
    Row(
        "DataExtractionProtocolCharcoal low_disk_free_gb Range(min=0)",
        "protocol_schemas.py DataExtractionProtocolCharcoalArgumentsConfig",
        _proto("DataExtractionProtocolCharcoal", {"low_disk_free_gb": -1}),
        _proto("DataExtractionProtocolCharcoal", {"low_disk_free_gb": 0, "trial_name": None}),
        (*P_ARGS, "low_disk_free_gb"),
        "must be at least 0",
    ),
    Row(
        "GAScreeningProtocolJade trial_name may not be null (explicit fields.String())",
        "protocol_schemas.py GAScreeningProtocolJadeArgumentsConfig.trial_name",
        _proto("GAScreeningProtocolJade", {"trial_name": None}),
        _proto(
            "GAScreeningProtocolJade", {"trial_name": "GA-1", "results_notification_email": None}
        ),
        (*P_ARGS, "trial_name"),
        _NOT_NULL,
    ),
    Row(
        "GAScreeningProtocol (Jade's old name) unknown key",
        "protocol_schemas.py GAScreeningProtocolJadeConfig.name OneOf (GAScreeningProtocol kept)",
        _proto("GAScreeningProtocol", {"trial": "GA-1"}),
        _proto("GAScreeningProtocol", {"trial_name": "GA-1"}),
        (*P_ARGS, "trial"),
        "did you mean 'trial_name'",
    ),
    Row(
        "GAScreeningProtocolAmethyst trial_name null accepted, rename_columns not",
        "protocol_schemas.py GAScreeningProtocolAmethystArgumentsConfig",
        _proto("GAScreeningProtocolAmethyst", {"rename_columns": None}),
        _proto("GAScreeningProtocolAmethyst", {"trial_name": None}),
        (*P_ARGS, "rename_columns"),
        _NOT_NULL,
    ),
    Row(
        "GAScreeningProtocolBronze results_notification_email not templatable",
        "protocol_schemas.py GAScreeningProtocolBronzeArgumentsConfig (plain Optional[bool])",
        _proto("GAScreeningProtocolBronze", {"results_notification_email": "sometimes"}),
        _proto("GAScreeningProtocolBronze", {"results_notification_email": None}),
        (*P_ARGS, "results_notification_email"),
        "must be true or false",
    ),
    Row(
        "GAScreeningProtocolBronzeWithEHR unknown key",
        "protocol_schemas.py GAScreeningProtocolBronzeWithEHRConfig (Bronze's arguments)",
        _proto("GAScreeningProtocolBronzeWithEHR", {"skip_upload": True}),
        _proto("GAScreeningProtocolBronzeWithEHR", {"trial_name": "GA"}),
        (*P_ARGS, "skip_upload"),
        "unknown key 'skip_upload'",
    ),
    Row(
        "GAScreeningProtocolCharcoal skip_upload Boolean, not null",
        "protocol_schemas.py GAScreeningProtocolCharcoalArgumentsConfig.skip_upload",
        _proto("GAScreeningProtocolCharcoal", {"skip_upload": None}),
        _proto("GAScreeningProtocolCharcoal", {"skip_upload": True, "batch_grouping": None}),
        (*P_ARGS, "skip_upload"),
        _NOT_NULL,
    ),
    Row(
        "WetAMDScreeningProtocolSapphire batch_grouping is a mapping",
        "protocol_schemas.py WetAMDScreeningProtocolSapphireArgumentsConfig.batch_grouping",
        _proto("WetAMDScreeningProtocolSapphire", {"batch_grouping": ["by-patient"]}),
        _proto("WetAMDScreeningProtocolSapphire", {"batch_grouping": None}),
        (*P_ARGS, "batch_grouping"),
        "must be a mapping",
    ),
    Row(
        "GenericBiomarkerProtocolGranite scan_selection OneOf(latest, all)",
        "protocol_schemas.py GenericBiomarkerProtocolGraniteArgumentsConfig.scan_selection",
        _proto("GenericBiomarkerProtocolGranite", {"scan_selection": "first"}),
        _proto("GenericBiomarkerProtocolGranite", {"scan_selection": "all"}),
        (*P_ARGS, "scan_selection"),
        "must be one of: latest, all",
    ),
    Row(
        "EHRScreeningProtocol output_eligible_only Boolean, not null",
        "protocol_schemas.py EHRScreeningProtocolArgumentsConfig.output_eligible_only",
        _proto("EHRScreeningProtocol", {"output_eligible_only": None}),
        _proto("EHRScreeningProtocol", {"output_eligible_only": True}),
        (*P_ARGS, "output_eligible_only"),
        _NOT_NULL,
    ),
    Row(
        "EHRScreeningProtocol column_order List(String)",
        "EHRScreeningProtocolArgumentsConfig.column_order TemplatedOrTyped(List(Str))",
        _proto("EHRScreeningProtocol", {"column_order": "Age"}),
        _proto("EHRScreeningProtocol", {"column_order": ["Age", "Name"]}),
        (*P_ARGS, "column_order"),
        "list",
    ),
]
ROWS.extend(DOMAIN_ROWS)

# Null, argument by argument. desert 2022.9.22 (what SDK 13 pins) builds a plain
# `x: T = default` as fields.T(dump_default=default): marshmallow's allow_none stays
# false, so null is "Field may not be null." Only `Optional[T]` plain fields and
# explicit fields with allow_none=True take null. Checked by loading SDK 13's own
# ModellerConfig schema (see tests/bitfount13_nulls.py).
NULL_ROWS: list[Row] = [
    *(
        Row(
            f"{algo} {arg} may not be null (plain `{decl}`)",
            f"algorithm_schemas.py {config}.{arg}: {decl}",
            _algo(algo, {**base, arg: None}),
            _algo(algo, {**base, arg: good}),
            (*A0_ARGS, arg),
            _NOT_NULL,
        )
        for algo, config, base, arg, decl, good in (
            (
                "MONAIBundleInference",
                "MONAIBundleInferenceArgumentsConfig",
                {"bundle_name": "b"},
                "dataframe_output",
                "bool = True",
                False,
            ),
            (
                "MONAIBundleInference",
                "MONAIBundleInferenceArgumentsConfig",
                {"bundle_name": "b"},
                "nifti_output",
                "bool = False",
                True,
            ),
            (
                "MONAIBundleInference",
                "MONAIBundleInferenceArgumentsConfig",
                {"bundle_name": "b"},
                "restore_spatial",
                "bool = True",
                False,
            ),
            (
                "MONAIBundleInference",
                "MONAIBundleInferenceArgumentsConfig",
                {"bundle_name": "b"},
                "invert_orientation",
                "bool = True",
                False,
            ),
            (
                "ETDRSAlgorithm",
                "ETDRSAlgorithmArgumentsConfig",
                {"laterality": "L"},
                "threshold",
                "float = 0.7",
                0.5,
            ),
            (
                "ETDRSAlgorithm",
                "ETDRSAlgorithmArgumentsConfig",
                {"laterality": "L"},
                "calculate_on_oct",
                "bool = False",
                True,
            ),
            (
                "ETDRSAlgorithm",
                "ETDRSAlgorithmArgumentsConfig",
                {"laterality": "L"},
                "slo_mm_width",
                "float = 8.8",
                9.0,
            ),
            (
                "ETDRSAlgorithm",
                "ETDRSAlgorithmArgumentsConfig",
                {"laterality": "L"},
                "slo_mm_height",
                "float = 8.8",
                9.0,
            ),
            (
                "FoveaCoordinatesAlgorithm",
                "FoveaCoordinatesAlgorithmArgumentsConfig",
                {},
                "bscan_width_col",
                'str = "size_width"',
                "width",
            ),
            (
                "TrialMatchingAlgorithm",
                "TrialMatchingAlgorithmArgumentsConfig",
                {},
                "default_country",
                'str = "us"',
                "gb",
            ),
            (
                "CSVReportGeneratorAlgorithm",
                "CSVReportGeneratorAlgorithmArgumentsConfig",
                {},
                "produce_matched_only",
                "bool = True",
                False,
            ),
            (
                "CSVReportGeneratorAlgorithm",
                "CSVReportGeneratorAlgorithmArgumentsConfig",
                {},
                "produce_trial_notes_csv",
                "bool = False",
                True,
            ),
            (
                "CSVReportGeneratorOphthalmologyAlgorithm",
                "CSVReportGeneratorAlgorithmArgumentsConfig",
                {},
                "produce_matched_only",
                "bool = True",
                False,
            ),
            (
                "CSVReportGeneratorOphthalmologyAlgorithm",
                "CSVReportGeneratorAlgorithmArgumentsConfig",
                {},
                "produce_trial_notes_csv",
                "bool = False",
                True,
            ),
        )
    ),
    Row(
        "TIMMFineTuning batch_transformations may not be null (explicit fields.Dict, default None)",
        "algorithm_schemas.py TIMMFineTuningArgumentsConfig.batch_transformations",
        _algo("TIMMFineTuning", {"model_id": "resnet50", "batch_transformations": None}),
        _algo("TIMMFineTuning", {"model_id": "resnet50", "batch_transformations": {}}),
        (*A0_ARGS, "batch_transformations"),
        _NOT_NULL,
    ),
    Row(
        "InferenceAndImageOutput rename_columns may not be null (explicit fields.Dict)",
        "protocol_schemas.py InferenceAndImageOutputArgumentsConfig.rename_columns",
        _proto("InferenceAndImageOutput", {"rename_columns": None}),
        _proto("InferenceAndImageOutput", {"rename_columns": {"a": "b"}}),
        (*P_ARGS, "rename_columns"),
        _NOT_NULL,
    ),
    *(
        Row(
            f"HuggingFaceNERInference {arg} null accepted (explicit allow_none=True)",
            f"algorithm_schemas.py HuggingFaceNERInferenceArgumentsConfig.{arg}: {decl}",
            _algo("HuggingFaceNERInference", {arg: bad}),
            _algo("HuggingFaceNERInference", {arg: None}),
            (*A0_ARGS, arg),
            says,
        )
        for arg, decl, bad, says in (
            (
                "batch_size",
                "TemplatedOrTyped(Integer(allow_none=True))",
                "many",
                "must be a whole number",
            ),
            (
                "aggregation_strategy",
                "TemplatedOrTyped(String(allow_none=True))",
                3,
                "must be a string",
            ),
            ("seed", "Integer(allow_none=True)", "x", "must be a whole number"),
        )
    ),
]
ROWS.extend(NULL_ROWS)

# Checked against SDK 13's own schema (scripts/bitfount13_oracle.py's setup): each
# refused file is refused by desert.schema(ModellerConfig).load, each accepted one loads.
_PDF_JADE = "GATrialPDFGeneratorAlgorithmJade"
LOOSE_ROWS: list[Row] = [
    Row(
        "TIMMFederatedTraining lora_rank Union(Integer, String)",
        "algorithm_schemas.py TIMMFederatedTrainingArgumentsConfig.lora_rank M_Union",
        _algo("TIMMFederatedTraining", {"model_id": "resnet50", "lora_rank": True}),
        _algo("TIMMFederatedTraining", {"model_id": "resnet50", "lora_rank": "auto"}),
        (*A0_ARGS, "lora_rank"),
        "must be a whole number or a string",
    ),
    Row(
        "TIMMFederatedTraining lora_rank: a list is neither",
        "algorithm_schemas.py TIMMFederatedTrainingArgumentsConfig.lora_rank M_Union",
        _algo("TIMMFederatedTraining", {"model_id": "resnet50", "lora_rank": [8]}),
        _algo("TIMMFederatedTraining", {"model_id": "resnet50", "lora_rank": 8}),
        (*A0_ARGS, "lora_rank"),
        "must be a whole number or a string",
    ),
    *(
        Row(
            f"{algo} filename_prefix Regexp('[a-zA-Z]+'): starts with a letter",
            f"algorithm_schemas.py {algo}ArgumentsConfig.filename_prefix (validate.Regexp)",
            _algo(algo, {"filename_prefix": "2024-report"}),
            _algo(algo, {"filename_prefix": "R-2024"}),
            (*A0_ARGS, "filename_prefix"),
            "must start with a letter",
        )
        for algo in (
            _PDF_JADE,
            "GATrialPDFGeneratorAlgorithm",
            "GATrialPDFGeneratorAlgorithmAmethyst",
        )
    ),
    Row(
        "filename_prefix Regexp: an empty string does not match",
        "algorithm_schemas.py GATrialPDFGeneratorAlgorithmJadeArgumentsConfig.filename_prefix",
        _algo(_PDF_JADE, {"filename_prefix": ""}),
        _algo(_PDF_JADE, {"filename_prefix": "a"}),
        (*A0_ARGS, "filename_prefix"),
        "String does not match expected pattern.",
    ),
    Row(
        "DataExtractionProtocolCharcoal arguments has no default",
        "protocol_schemas.py DataExtractionProtocolCharcoalConfig.arguments (no default)",
        {PROTO: {"name": "bitfount.DataExtractionProtocolCharcoal"}},
        _proto("DataExtractionProtocolCharcoal", {}),
        P_ARGS,
        "write arguments: {} to take every default",
    ),
    *(
        Row(
            f"{proto} arguments may not be null",
            f"protocol_schemas.py {proto}Config.arguments (fields.Nested, no allow_none)",
            {PROTO: {"name": f"bitfount.{proto}", "arguments": None}},
            {PROTO: {"name": f"bitfount.{proto}", "arguments": {}}},
            P_ARGS,
            'Field may not be null."',
        )
        for proto in ("InferenceAndCSVReport", "GAScreeningProtocolJade")
    ),
]
ROWS.extend(LOOSE_ROWS)

_TIMM = {"model_id": "resnet50"}
_BSCAN = "BscanImageAndMaskGenerationAlgorithm"
_MASK = {"id": "ga", "color": [255, 0, 0]}
_TEXT = {"heading": "Patient", "column": "name"}
NESTED_ROWS: list[Row] = [
    *(
        Row(
            f"{algo} args: TemplatedTimmTrainingConfig, {what}",
            f"algorithm_schemas.py {algo}ArgumentsConfig.args (TIMMTrainingConfig fields)",
            _algo(algo, {**_TIMM, "args": refused}),
            _algo(algo, {**_TIMM, "args": accepted}),
            (*A0_ARGS, "args", key),
            says,
        )
        for algo in ("TIMMFederatedTraining", "TIMMFineTuning")
        for what, refused, accepted, key, says in (
            ("unknown key", {"epoch": 3}, {"epochs": 3}, "epoch", "did you mean 'epochs'"),
            ("Integer", {"epochs": "three"}, {"epochs": "3"}, "epochs", "must be a whole number"),
            ("plain int not null", {"epochs": None}, {"lr": None}, "epochs", _NOT_NULL),
            ("String", {"opt": 5}, {"opt": "adamw"}, "opt", "must be a string"),
            (
                "Tuple of three",
                {"input_size": [3, 224]},
                {"input_size": [3, 224, 224]},
                "input_size",
                "three whole numbers",
            ),
            ("List(Float)", {"mean": "0.5"}, {"mean": [0.5, "0.4", 0.3]}, "mean", "list"),
            (
                "dict not null",
                {"model_kwargs": None},
                {"model_kwargs": {"a": 1}},
                "model_kwargs",
                _NOT_NULL,
            ),
        )
    ),
    Row(
        "BscanImageAndMaskGeneration segmentation_configs: unknown key in an entry",
        "bscan_image_and_mask_generation_algorithm.py SegmentationConfig (desert schema)",
        _algo(_BSCAN, {"segmentation_configs": [{**_MASK, "colour": [1, 2, 3]}]}),
        _algo(_BSCAN, {"segmentation_configs": [{**_MASK, "label": "GA"}]}),
        (*A0_ARGS, "segmentation_configs", 0, "colour"),
        "did you mean 'color'",
    ),
    Row(
        "BscanImageAndMaskGeneration segmentation_configs: color required",
        "SegmentationConfig.color: tuple[int, int, int] (no default)",
        _algo(_BSCAN, {"segmentation_configs": [{"id": "ga"}]}),
        _algo(_BSCAN, {"segmentation_configs": [_MASK]}),
        (*A0_ARGS, "segmentation_configs", 0, "color"),
        "color is required",
    ),
    Row(
        "BscanImageAndMaskGeneration segmentation_configs: colour values 0-255",
        "SegmentationConfig.validate_args (ValueError: ... in the range 0-255 for RGB.)",
        _algo(_BSCAN, {"segmentation_configs": [{"id": "ga", "color": [256, 0, 0]}]}),
        _algo(_BSCAN, {"segmentation_configs": [{"id": "ga", "color": [255, "0", 0]}]}),
        (*A0_ARGS, "segmentation_configs", 0, "color", 0),
        "must be at most 255",
    ),
    Row(
        "BscanImageAndMaskGeneration segmentation_configs: id not empty",
        "SegmentationConfig.validate_args (ValueError: Segmentation ID must be a non-empty ...)",
        _algo(_BSCAN, {"segmentation_configs": [{"id": "", "color": [1, 2, 3]}]}),
        _algo(_BSCAN, {"segmentation_configs": [{"id": "g", "color": [1, 2, 3]}]}),
        (*A0_ARGS, "segmentation_configs", 0, "id"),
        "Segmentation ID must be a non-empty string.",
    ),
    *(
        Row(
            f"{algo} report_metadata: ReportMetadata, {what}",
            "ophth_algo_types.py ReportMetadata / TextFieldType / ImageFieldType",
            _algo(algo, {"report_metadata": refused}),
            _algo(algo, {"report_metadata": accepted}),
            (*A0_ARGS, "report_metadata", *at),
            says,
        )
        for algo in (_PDF_JADE, "GATrialPDFGeneratorAlgorithmAmethyst")
        for what, refused, accepted, at, says in (
            (
                "text_fields has no default",
                {"heading": "Report"},
                {"heading": "Report", "text_fields": []},
                ("text_fields",),
                "text_fields is required",
            ),
            (
                "unknown key",
                {"text_fields": [], "headings": "x"},
                {"text_fields": [], "heading": "x"},
                ("headings",),
                "did you mean 'heading'",
            ),
            (
                "a text field's heading is required",
                {"text_fields": [{"column": "name"}]},
                {"text_fields": [_TEXT]},
                ("text_fields", 0, "heading"),
                "heading is required",
            ),
            (
                "a text field needs a value or a column",
                {"text_fields": [{"heading": "Eye"}]},
                {"text_fields": [{"heading": "Eye", "value": "OD"}]},
                ("text_fields", 0),
                "needs a value or a column",
            ),
            (
                "image_field needs its column",
                {"text_fields": [], "image_field": {}},
                {"text_fields": [], "image_field": {"column": "img"}},
                ("image_field", "column"),
                "column is required",
            ),
        )
    ),
]
_EHR = "TrialInclusionCriteriaMatchAlgorithmEHR"
NESTED_ROWS += [
    *(
        Row(
            f"{proto} batch_grouping: TemplatedGroupingConfig, {what}",
            "common_schemas.py TemplatedGroupingConfig",
            _proto(proto, {"batch_grouping": refused}),
            _proto(proto, {"batch_grouping": accepted}),
            (*P_ARGS, "batch_grouping", key),
            says,
        )
        for proto in ("GAScreeningProtocolCharcoal", "WetAMDScreeningProtocolSapphire")
        for what, refused, accepted, key, says in (
            (
                "group_by has no default",
                {"order_by": [["date", "desc"]]},
                {"group_by": ["BitfountPatientID"], "order_by": [["date", "desc"]]},
                "group_by",
                "group_by is required",
            ),
            (
                "unknown key",
                {"group_by": ["a"], "groupby": ["a"]},
                {"group_by": ["a"]},
                "groupby",
                "did you mean 'group_by'",
            ),
            (
                "plain bool not null",
                {"group_by": ["a"], "include_non_new_group_files": None},
                {"group_by": ["a"], "include_non_new_group_files": False},
                "include_non_new_group_files",
                _NOT_NULL,
            ),
        )
    ),
    Row(
        "FoveaCoordinatesAlgorithm location_prefixes: SLOSegmentationLocationPrefix",
        "ophth_algo_types.py SLOSegmentationLocationPrefix (desert schema)",
        _algo("FoveaCoordinatesAlgorithm", {"location_prefixes": {"start_x": "x_"}}),
        _algo("FoveaCoordinatesAlgorithm", {"location_prefixes": {"start_x_image": "x_"}}),
        (*A0_ARGS, "location_prefixes", "start_x"),
        "did you mean 'start_x_image'",
    ),
    Row(
        "ETDRSAlgorithm slo_image_metadata_columns: SLOImageMetadataColumns (no depth)",
        "ophth_algo_types.py SLOImageMetadataColumns",
        _algo(
            "ETDRSAlgorithm",
            {"laterality": "L", "slo_image_metadata_columns": {"depth_mm_column": "d"}},
        ),
        _algo(
            "ETDRSAlgorithm",
            {"laterality": "L", "oct_image_metadata_columns": {"depth_mm_column": "d"}},
        ),
        (*A0_ARGS, "slo_image_metadata_columns", "depth_mm_column"),
        "unknown key 'depth_mm_column'",
    ),
    Row(
        "ETDRSAlgorithm oct_image_metadata_columns: a plain str field, not null",
        "ophth_algo_types.py OCTImageMetadataColumns.depth_mm_column: str = ...",
        _algo(
            "ETDRSAlgorithm",
            {"laterality": "L", "oct_image_metadata_columns": {"depth_mm_column": None}},
        ),
        _algo("ETDRSAlgorithm", {"laterality": "L", "oct_image_metadata_columns": None}),
        (*A0_ARGS, "oct_image_metadata_columns", "depth_mm_column"),
        _NOT_NULL,
    ),
    Row(
        "procedures_exclusion_class_count: _ClassCountConfigSchema unknown key",
        "algorithm_schemas.py _ClassCountConfigSchema (marshmallow Schema, unknown=RAISE)",
        _algo(_EHR, {"procedures_exclusion_class_count": {"classes": [["a"]], "min": 1}}),
        _algo(_EHR, {"procedures_exclusion_class_count": {"classes": [["a"]], "min_classes": 1}}),
        (*A0_ARGS, "procedures_exclusion_class_count", "min"),
        "unknown key 'min'",
    ),
    Row(
        "medications_exclusion_class_count classes: List(List(String))",
        "algorithm_schemas.py _ClassCountConfigSchema.classes",
        _algo(_EHR, {"medications_exclusion_class_count": {"classes": ["a"]}}),
        _algo(_EHR, {"medications_exclusion_class_count": {"classes": None, "min_classes": None}}),
        (*A0_ARGS, "medications_exclusion_class_count", "classes", 0),
        "must be a list",
    ),
    *(
        Row(
            f"{algo} conditions_inclusion_codes: codes or code lists, {what}",
            "algorithm_schemas.py _nestable_conditions_inclusion_codes_field (M_Union)",
            _algo(algo, {"conditions_inclusion_codes": refused}),
            _algo(algo, {"conditions_inclusion_codes": accepted}),
            (*A0_ARGS, "conditions_inclusion_codes"),
            says,
        )
        for algo in (_EHR, "TrialInclusionCriteriaMatchAlgorithmGlaucomaCharcoal")
        for what, refused, accepted, says in (
            ("not a mix", ["a", ["b"]], [["a"], ["b", "c"]], "not a mix"),
            ("no empty group", [["a"], []], ["a", "b"], "empty code list"),
        )
    ),
]
NESTED_ROWS += [
    Row(
        "batch_grouping.order_by: [column, asc/desc] pairs",
        "common_schemas.py TemplatedGroupingConfig.order_by List(Tuple(String, OneOf))",
        _proto(
            "GAScreeningProtocolCharcoal",
            {"batch_grouping": {"group_by": ["a"], "order_by": [["date", "up"]]}},
        ),
        _proto(
            "GAScreeningProtocolCharcoal",
            {"batch_grouping": {"group_by": ["a"], "order_by": [["date", "desc"]]}},
        ),
        (*P_ARGS, "batch_grouping", "order_by", 0, 1),
        "must be one of: asc, desc",
    ),
    Row(
        "batch_grouping.order_by: each entry a pair",
        "common_schemas.py TemplatedGroupingConfig.order_by (Tuple of two)",
        _proto(
            "WetAMDScreeningProtocolSapphire",
            {"batch_grouping": {"group_by": ["a"], "order_by": ["date"]}},
        ),
        _proto(
            "WetAMDScreeningProtocolSapphire",
            {"batch_grouping": {"group_by": ["a"], "order_by": []}},
        ),
        (*P_ARGS, "batch_grouping", "order_by", 0),
        "must be a [column, asc/desc] pair",
    ),
    Row(
        "batch_grouping.per_group_head values Integer",
        "common_schemas.py TemplatedGroupingConfig.per_group_head Dict(values=Integer())",
        _proto(
            "WetAMDScreeningProtocolSapphire",
            {"batch_grouping": {"group_by": ["a"], "per_group_head": {"Scan Laterality": "two"}}},
        ),
        _proto(
            "WetAMDScreeningProtocolSapphire",
            {"batch_grouping": {"group_by": ["a"], "per_group_head": {"Scan Laterality": "2"}}},
        ),
        (*P_ARGS, "batch_grouping", "per_group_head", "Scan Laterality"),
        "must be a whole number",
    ),
    Row(
        "CSVReportAlgorithm ophthalmology_args: OphthalmologyArgsConfig unknown key",
        "algorithm_schemas.py OphthalmologyArgsConfig (desert schema)",
        {CSV_ARGS: {"ophthalmology_args": {"trial": "GA-1"}}},
        {CSV_ARGS: {"ophthalmology_args": {"trial_name": "GA-1", "aux_cols": ["a"]}}},
        (*CSV_ARGS, "ophthalmology_args", "trial"),
        "did you mean 'trial_name'",
    ),
    Row(
        "CSVReportAlgorithm save_path FilePath: a string (deprecated, still typed)",
        "algorithm_schemas.py CSVReportAlgorithmArgumentsConfig.save_path FilePath",
        {CSV_ARGS: {"save_path": 3}},
        {CSV_ARGS: {"save_path": "results"}},
        (*CSV_ARGS, "save_path"),
        "must be a string",
    ),
    Row(
        "code_exclusion_time_windows: {code: {within_days|within_months|within_years: int}}",
        "algorithm_schemas.py _CodeFilterArgumentsConfig.code_exclusion_time_windows",
        _algo(_EHR, {"code_exclusion_time_windows": {"A1": {"months": 6}}}),
        _algo(_EHR, {"code_exclusion_time_windows": {"A1": {"within_months": 6}}}),
        (*A0_ARGS, "code_exclusion_time_windows"),
        "must be one of: within_days, within_months, within_years",
    ),
    Row(
        "code_exclusion_time_windows window values Integer",
        "algorithm_schemas.py _CodeFilterArgumentsConfig.code_exclusion_time_windows",
        _algo(_EHR, {"code_exclusion_time_windows": {"*": {"within_days": "a week"}}}),
        _algo(_EHR, {"code_exclusion_time_windows": {"*": {"within_days": "7"}}}),
        (*A0_ARGS, "code_exclusion_time_windows", "*", "within_days"),
        "must be a whole number",
    ),
]
NESTED_ROWS.append(
    Row(
        "data_split.args time_series_sort_by: a column or a list of columns",
        "data/datasplitters.py PercentageSplitter.time_series_sort_by M_Union(String, List)",
        {SPLIT: {"args": {"time_series_sort_by": {"date": "asc"}}}},
        {SPLIT: {"args": {"time_series_sort_by": ["date", "visit"]}}},
        (*SPLIT, "args", "time_series_sort_by"),
        "must be a column name or a list of column names",
    )
)
ROWS.extend(NESTED_ROWS)


def _apply(changes: dict[DocPath, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        node: Any = doc
        for step in path[:-1]:
            node = node.setdefault(step, {}) if isinstance(node, dict) else node[step]
        node[path[-1]] = value
    return doc


def test_the_base_file_is_accepted() -> None:
    assert [p for p in validate_task(BASE) if p.is_error] == []


@pytest.mark.parametrize("row", ROWS, ids=[r.constraint for r in ROWS])
def test_bitfount_refuses_and_so_does_taskwizard(row: Row) -> None:
    problems = [p for p in validate_task(_apply(row.refused)) if p.is_error]
    found = [p for p in problems if p.path == row.at and row.says in p.message]
    assert found, [(p.path, p.message) for p in problems]


@pytest.mark.parametrize("row", ROWS, ids=[r.constraint for r in ROWS])
def test_bitfount_accepts_and_so_does_taskwizard(row: Row) -> None:
    problems = [p for p in validate_task(_apply(row.accepted)) if p.is_error]
    assert problems == [], [(p.path, p.message) for p in problems]


# ------------------------------------------------------------------ the uploader's model check

MODEL_ROWS: list[tuple[str, str, str, str]] = [
    # (what, code Bitfount's uploader refuses, code it accepts, message)
    (
        "no initialise_model/deserialize and no Bitfount base",
        "import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n",
        "from bitfount import PyTorchBitfountModelv2\n\n\nclass Net(PyTorchBitfountModelv2):\n"
        "    pass\n",
        "must implement BaseModelProtocol",
    ),
    (
        "a local base that defines only one of the two",
        "class Base:\n    def initialise_model(self):\n        pass\n\n\nclass Net(Base):\n"
        "    pass\n",
        "class Base:\n    def initialise_model(self):\n        pass\n\n\nclass Net(Base):\n"
        "    def deserialize(self, content):\n        pass\n",
        "neither defines deserialize",
    ),
]


@pytest.mark.parametrize("row", MODEL_ROWS, ids=[r[0] for r in MODEL_ROWS])
def test_model_protocol_refused_and_accepted(
    tmp_path: Path, row: tuple[str, str, str, str]
) -> None:
    _, refused, accepted, says = row
    path = tmp_path / "Net.py"
    path.write_text(refused)
    errors = [p for p in check_model_file(path, display="Net.py") if p.is_error]
    assert errors and says in errors[0].message, errors
    path.write_text(accepted + "\n")  # a new size: the cache keyed by size/mtime misses
    assert check_model_file(path, display="Net.py") == []


def test_model_with_unknown_bases_is_a_warning_saying_what_bitfount_checks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Net.py"
    path.write_text("from mylib import Trainer\n\n\nclass Net(Trainer):\n    pass\n")
    (problem,) = check_model_file(path, display="Net.py")
    assert problem.severity == "warning"
    assert "Trainer" in problem.message
    assert "initialise_model and deserialize" in problem.message
    assert (problem.line, problem.column) == (4, 1)


# ------------------------------------------------------------------ messages found wanting


def test_a_task_key_swallowed_by_a_comment_is_reported_on_that_line(tmp_path: Path) -> None:
    from taskwizard.model.validate import validate_paths

    path = tmp_path / "task.yaml"
    path.write_text(
        "pods:\n  identifiers: [owner/pod-a]\n\n# Task detailstask:\n"
        "  protocol:\n    name: bitfount.ResultsOnly\n  data_structure: {}\n"
    )
    (report,) = validate_paths([path], cwd=tmp_path)
    lost = [p for p in report.problems if p.path == ("task",)]
    assert len(lost) == 1
    assert (lost[0].line, lost[0].column) == (4, 15)
    assert "line 4 is a comment that ends in 'task:'" in lost[0].message


def test_version_9_on_a_pods_task_file_says_what_bitfount_13_does_with_it() -> None:
    doc = copy.deepcopy(BASE)
    doc["version"] = "13.0.0"
    (problem,) = [p for p in validate_task(doc) if p.path == ("version",)]
    assert problem.severity == "warning"
    assert "only switches the uploader's model username/version rewrites to the v9 path" in (
        problem.message
    )
    assert "flow spec" not in problem.message


def test_an_emptied_arguments_mapping_is_pruned_by_the_model() -> None:
    """The rule lives in model/rules.py (the wizard's forms call it after each edit)."""
    from taskwizard.model.rules import prune_empty

    doc = copy.deepcopy(BASE)
    doc["task"]["algorithm"][1]["arguments"] = {}
    problems = validate_task(doc)
    assert any(p.path == (*CSV_ARGS,) and p.is_error for p in problems)
    assert prune_empty(doc, CSV_ARGS) is True
    assert "arguments" not in doc["task"]["algorithm"][1]
    assert [p for p in validate_task(doc) if p.is_error] == []
    assert prune_empty(doc, ALGO0 + ("arguments",)) is False  # not empty: kept
    assert prune_empty(doc, ("task", "algorithm", 9, "arguments")) is False  # no such entry
