"""Everything taskwizard knows about Bitfount 13's vocabulary, as data, in one place.

Template types, tags, identity methods, filter types, task versions and the
protocols/algorithms with their arguments. The validator builds its pydantic
models from this catalog and the wizard builds its forms and F1 help from it,
so a fact about Bitfount lives here once. (The plain lists are kept in
:mod:`taskwizard.model.vocabulary`, which is cheap to import, and re-exported here.)

Argument ``kind`` values (what a value of the argument must look like) are specified
in :mod:`taskwizard.model.kinds`, one spec each.

``nullable``: null is accepted. Bitfount 13 builds its schemas with desert 2022.9.22
(marshmallow 3.26), which allows null exactly for: a plain ``x: Optional[T] = ...``
field; an explicit ``desert.field(fields.X(allow_none=True))`` (or ``load_default=None``).
A plain ``x: T = default`` is NOT nullable (desert builds ``fields.X(dump_default=...)``,
so marshmallow's ``allow_none`` stays false: "Field may not be null."), and neither is an
explicit ``fields.X(...)`` without ``allow_none``, even when the default is None. ``_arg``
guesses from the default (null default -> nullable); the catalog says ``nullable=`` where
that guess is wrong. ``tests/test_bitfount_parity.py`` has a row for each such argument.
``templatable``: a ``"{{ name }}"`` placeholder is accepted in place of the
whole value in a task template even though the field is not a string.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

# The plain vocabularies (template types, tags, keys, limits, filter types,
# task versions, field help) are in vocabulary.py, re-exported here.
from taskwizard.model.kinds import ARGUMENT_KINDS as ARGUMENT_KINDS
from taskwizard.model.kinds import ArgumentKind
from taskwizard.model.rules import (
    Rule,
    ga_include_exclude_apart,
    hf_checkpoint_together,
    one_of_steps_or_epochs,
    one_selected_column,
)
from taskwizard.model.vocabulary import *  # noqa: F403
from taskwizard.model.vocabulary import (
    SAVE_LOCATIONS,
    SORT_ORDERS,
    SQL_AGGREGATION_FUNCS,
    TORCH_DTYPES,
)

# --------------------------------------------------------------------------
# Protocols and algorithms
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Argument:
    name: str
    kind: ArgumentKind
    default: Any = None
    required: bool = False
    help: str = ""
    templatable: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = True
    deprecated: str | None = None
    case_insensitive: bool = False
    # marshmallow's Range(min=minimum, max=maximum, min_inclusive=not exclusive_minimum)
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    # marshmallow's Regexp(pattern): re.match, so the value must START with a match
    pattern: str | None = None
    pattern_help: str = ""  # what the pattern asks, in words, for the message
    # kind "nested"/"nested_list": the nested desert schema's fields, as arguments
    fields: tuple[Argument, ...] = ()
    # ...of which at least one must have a value (a __post_init__ "either ... or ..." check)
    one_of_required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    name: str  # full "bitfount.X"
    kind: Literal["protocol", "algorithm"]
    summary: str
    help: str = ""
    arguments: tuple[Argument, ...] = ()
    arguments_required: bool = False
    takes_model: bool = False
    general_purpose: bool = False
    supported_algorithms: tuple[str, ...] | None = None
    deprecated: str | None = None
    # Rules across fields this component brings (model/rules.py); validate runs them.
    rules: tuple[Rule, ...] = ()

    @property
    def short_name(self) -> str:
        return self.name.removeprefix("bitfount.")

    def argument(self, name: str) -> Argument | None:
        for arg in self.arguments:
            if arg.name == name:
                return arg
        return None


def _arg(
    name: str,
    kind: ArgumentKind,
    default: Any = None,
    help: str = "",
    *,
    required: bool = False,
    templatable: bool = False,
    choices: tuple[str, ...] = (),
    nullable: bool | None = None,
    deprecated: str | None = None,
    case_insensitive: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    pattern: str | None = None,
    pattern_help: str = "",
    fields: tuple[Argument, ...] = (),
    one_of_required: tuple[str, ...] = (),
) -> Argument:
    assert kind in ARGUMENT_KINDS, kind
    return Argument(
        name=name,
        kind=kind,
        default=default,
        required=required,
        help=help,
        templatable=templatable,
        choices=choices,
        nullable=(default is None and not required) if nullable is None else nullable,
        deprecated=deprecated,
        case_insensitive=case_insensitive,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        pattern=pattern,
        pattern_help=pattern_help,
        fields=fields,
        one_of_required=one_of_required,
    )


_AGGREGATOR = _arg(
    "aggregator",
    "aggregator",
    None,
    "how the pods' results are combined: {secure: true/false, weights: {pod: number}}",
)
_SAVE_PATH_DEPRECATED = "save_path is deprecated: Bitfount warns and drops the value"
_SEED = _arg("seed", "int", 42, "random seed, for reproducible results", nullable=False)
_ACCESS_TOKEN = _arg(
    "access_token", "str", None, "HuggingFace access token, for gated or private models"
)
_POSTPROCESSORS = _arg(
    "postprocessors", "mapping_list", None, "post-processing steps applied to the predictions"
)


def _model_id(help: str = "HuggingFace model id, e.g. 'google/vit-base-patch16-224'") -> Argument:
    return _arg("model_id", "str", None, help, required=True, nullable=False)


def _batch_size(default: int = 1, *, nullable: bool = False) -> Argument:
    return _arg(
        "batch_size",
        "int",
        default,
        "how many items run through the model at once",
        templatable=True,
        nullable=nullable,
    )


def _protocol(
    short: str,
    summary: str,
    help: str,
    arguments: tuple[Argument, ...] = (),
    *,
    general: bool = False,
    required: bool = False,
    supported: tuple[str, ...] | None = None,
    rules: tuple[Rule, ...] = (),
) -> Component:
    return Component(
        name=f"bitfount.{short}",
        kind="protocol",
        summary=summary,
        help=help,
        arguments=arguments,
        arguments_required=required,
        general_purpose=general,
        supported_algorithms=supported,
        rules=rules,
    )


def _algorithm(
    short: str,
    summary: str,
    help: str,
    arguments: tuple[Argument, ...] = (),
    *,
    general: bool = False,
    required: bool = False,
    model: bool = False,
    deprecated: str | None = None,
    rules: tuple[Rule, ...] = (),
) -> Component:
    return Component(
        name=f"bitfount.{short}",
        kind="algorithm",
        summary=summary,
        help=help,
        arguments=arguments,
        arguments_required=required,
        takes_model=model,
        general_purpose=general,
        deprecated=deprecated,
        rules=rules,
    )


_INFERENCE_AND_CSV_ALGORITHMS: tuple[str, ...] = tuple(
    f"bitfount.{n}"
    for n in (
        "ModelInference",
        "HuggingFaceImageClassificationInference",
        "HuggingFaceImageSegmentationInference",
        "HuggingFaceImageTextGenerationInference",
        "HuggingFaceTextClassificationInference",
        "HuggingFaceTextGenerationInference",
        "HuggingFaceNERInference",
        "HuggingFacePerplexityEvaluation",
        "CSVReportAlgorithm",
        "TIMMInference",
        "MONAIBundleInference",
    )
)

_GENERAL_PROTOCOLS: tuple[Component, ...] = (
    _protocol(
        "ResultsOnly",
        "run the algorithms and return their results",
        "Runs the algorithm(s) on each pod and sends back only the results, "
        "optionally combined by an aggregator.",
        (
            _AGGREGATOR,
            _arg(
                "secure_aggregation",
                "bool",
                False,
                "combine the pods' results with secure aggregation",
                nullable=False,
            ),
            _arg(
                "save_location",
                "choice_list",
                ["Modeller"],
                "where results are saved: Worker (the pod), Modeller (you), or both",
                templatable=True,
                choices=SAVE_LOCATIONS,
            ),
            # FilePath(allow_none=True): a string or null
            _arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),
        ),
        general=True,
    ),
    _protocol(
        "FederatedAveraging",
        "train a model across pods by averaging their updates",
        "Trains the model on each pod and averages the parameter updates between rounds. "
        "Give exactly one of steps_between_parameter_updates or "
        "epochs_between_parameter_updates, matching how the model trains.",
        (
            _AGGREGATOR,
            _arg(
                "steps_between_parameter_updates",
                "int",
                None,
                "training steps on each pod between averaging rounds",
                templatable=True,
            ),
            _arg(
                "epochs_between_parameter_updates",
                "int",
                None,
                "training epochs on each pod between averaging rounds",
                templatable=True,
            ),
            _arg(
                "auto_eval",
                "bool",
                True,
                "evaluate the model after training",
                templatable=True,
                nullable=False,
            ),
            _arg(
                "secure_aggregation",
                "bool",
                False,
                "combine the updates with secure aggregation",
                templatable=True,
                nullable=False,
            ),
        ),
        general=True,
        supported=("bitfount.FederatedModelTraining",),
        rules=(one_of_steps_or_epochs,),
    ),
    _protocol(
        "InferenceAndCSVReport",
        "run a model and save its predictions as a CSV report on the pod",
        "Runs inference with the model algorithm, then writes the predictions with "
        "the CSVReportAlgorithm into a CSV report.",
        (_AGGREGATOR,),
        general=True,
        supported=_INFERENCE_AND_CSV_ALGORITHMS,
    ),
    _protocol(
        "InferenceAndReturnCSVReport",
        "run a model and send its predictions back to you as a CSV",
        "Runs inference with the model algorithm and returns the CSV report to the modeller.",
        (_AGGREGATOR,),
        general=True,
    ),
    _protocol(
        "InferenceAndImageOutput",
        "run a model and save its image outputs (e.g. masks)",
        "Runs inference and saves the resulting images; rename_columns renames output columns.",
        (
            _AGGREGATOR,
            # an explicit fields.Dict(...) with default=None: allow_none stays false
            _arg(
                "rename_columns", "str_mapping", None, "output column -> new name", nullable=False
            ),
        ),
        general=True,
    ),
    _protocol(
        "InferenceAndCSVReportWithAggregateReporting",
        "CSV report of predictions plus an aggregate report",
        "Like InferenceAndCSVReport, and also reports aggregate figures.",
        (_AGGREGATOR,),
        general=True,
    ),
    _protocol(
        "InstrumentedInferenceAndCSVReport",
        "CSV report of predictions, with usage instrumentation",
        "Like InferenceAndCSVReport, with extra instrumentation of the run.",
        (_AGGREGATOR,),
        general=True,
    ),
)

# Domain-specific protocols whose arguments schema is mirrored
# (runners/config_schemas/protocol_schemas.py, each ``<Name>ArgumentsConfig``; desert
# schemas, so an unknown key is "Unknown field." and the protocol Union ends in
# GenericProtocolConfig, which refuses every ``bitfount.`` name).
_RESULTS_NOTIFICATION_EMAIL = _arg(
    "results_notification_email",
    "bool",
    False,
    "e-mail a notification when the results are ready",
    templatable=True,
    nullable=True,
)
# fields.Dict()/fields.String() given explicitly with default=None: desert keeps the field as
# given, so allow_none stays False and null is "Field may not be null.".
_RENAME_COLUMNS = _arg(
    "rename_columns", "str_mapping", None, "output column -> new name", nullable=False
)
_TRIAL_NAME = _arg("trial_name", "str", None, "trial name written into the outputs", nullable=False)


def _aggregator_only(short: str, summary: str) -> Component:
    return _protocol(short, summary, f"{summary}. Takes only an aggregator.", (_AGGREGATOR,))


_MIRRORED_DOMAIN_PROTOCOLS: tuple[Component, ...] = (
    # RetinalDiseaseProtocolCobaltConfig also takes the BasicOCTProtocol name.
    _aggregator_only("RetinalDiseaseProtocolCobalt", "ophthalmology: retinal disease screening"),
    _aggregator_only("BasicOCTProtocol", "ophthalmology: OCT screening (Cobalt's old name)"),
    _aggregator_only("EHRNERProtocol", "EHR: find named entities in patients' records"),
    _protocol(
        "PatientTrialMatchingProtocol",
        "EHR: match patients to clinical trials",
        "Matches the pod's patients to clinical trials from a trials database.",
        (
            _AGGREGATOR,
            _arg("trials_connection_string", "str", None, "connection string of the trials DB"),
            _arg("trials_database_url", "str", None, "URL of the trials database"),
        ),
    ),
    _protocol(
        "NextGenSearchProtocol",
        "EHR: search NextGen records",
        "Searches the NextGen EHR for the pod's patients; rename_columns renames output columns.",
        (_RENAME_COLUMNS,),
    ),
    _protocol(
        "InSiteInsightsProtocol",
        "ophthalmology: in-site insights report",
        "Produces in-site insights from the pod's scans.",
        (
            _AGGREGATOR,
            _arg(
                "results_notification_email",
                "bool",
                False,
                "e-mail a notification when the results are ready",
                nullable=True,
            ),
        ),
    ),
    _protocol(
        "FluidVolumeScreeningProtocol",
        "ophthalmology: fluid volume screening",
        "Screens the pod's OCT scans for fluid volume and writes a CSV report.",
        (_AGGREGATOR, _RESULTS_NOTIFICATION_EMAIL, _TRIAL_NAME, _RENAME_COLUMNS),
    ),
    _protocol(
        "GenericBiomarkerProtocolGranite",
        "ophthalmology: biomarker report",
        "Reports biomarkers of the pod's scans: the latest scan of each eye or all scans.",
        (
            _AGGREGATOR,
            _RESULTS_NOTIFICATION_EMAIL,
            _arg(
                "scan_selection",
                "choice",
                "latest",
                "which scans: latest or all",
                templatable=True,
                choices=("latest", "all"),
                nullable=True,
            ),
            _arg("biomarker_groups", "str_list", None, "biomarker groups", templatable=True),
            _arg("biomarker_names", "str_list", None, "biomarker names", templatable=True),
        ),
    ),
    _protocol(
        "EHRScreeningProtocol",
        "EHR: screen patients for a trial",
        "Screens the pod's EHR patients against a trial's criteria and writes a CSV.",
        (
            _arg(
                "output_eligible_only",
                "bool",
                False,
                "only output eligible patients",
                templatable=True,
                nullable=False,
            ),
            _arg("trial_name", "str", None, "trial name", templatable=True),
            _RENAME_COLUMNS,
            _arg(
                "column_order",
                "str_list",
                None,
                "left-to-right column order (names after rename_columns)",
                templatable=True,
            ),
            _arg(
                "columns_to_drop",
                "str_list",
                None,
                "columns to leave out (names after rename_columns)",
                templatable=True,
            ),
            _arg(
                "include_practitioner_name",
                "bool",
                False,
                "look up each patient's most recent practitioner",
                templatable=True,
                nullable=False,
            ),
        ),
    ),
)

_MIRRORED_DOMAIN_PROTOCOLS += (
    _protocol(
        "DataExtractionProtocolCharcoal",
        "ophthalmology: extract and upload the pod's scan data",
        "Extracts the pod's scan data and uploads it; stops early when the disk runs low.",
        (
            _arg("trial_name", "str", None, "trial name", templatable=True),
            _arg(
                "skip_upload",
                "bool",
                False,
                "extract without uploading",
                templatable=True,
                nullable=False,
            ),
            _arg(
                "low_disk_free_gb",
                "float",
                None,
                "low-disk threshold in GB (at least 0)",
                templatable=True,
                minimum=0,
            ),
            _arg(
                "low_disk_free_percent",
                "int",
                None,
                "low-disk threshold in % (0 to 100)",
                templatable=True,
                minimum=0,
                maximum=100,
            ),
            _arg(
                "delete_uploaded_on_low_disk",
                "bool",
                False,
                "delete uploaded files when the disk runs low",
                templatable=True,
                nullable=False,
            ),
        ),
        # desert.field(fields.Nested(...)) with no default: the dataclass cannot be
        # built without it ("missing 1 required positional argument: 'arguments'")
        required=True,
    ),
)

_PLAIN_NOTIFICATION_EMAIL = _arg(  # plain ``Optional[bool] = False``: not templatable
    "results_notification_email",
    "bool",
    False,
    "e-mail a notification when the results are ready",
    nullable=True,
)
_TEMPLATED_TRIAL_NAME = _arg("trial_name", "str", None, "trial name", templatable=True)
# common_schemas.py TemplatedGroupingConfig.
_BATCH_GROUPING = _arg(
    "batch_grouping",
    "nested",
    None,
    "how files are grouped into batches: {group_by, order_by, per_group_head, ...}",
    fields=(
        # desert.field(TemplatedOrTyped(List(String()))) without a default: the
        # dataclass cannot be built without it
        _arg(
            "group_by",
            "str_list",
            None,
            "columns that group files into cohorts",
            required=True,
            nullable=False,
            templatable=True,
        ),
        _arg(
            "order_by",
            "sort_pairs",
            None,
            "[column, asc/desc] pairs ordering a cohort",
            templatable=True,
            choices=SORT_ORDERS,
        ),
        _arg(
            "per_group_head",
            "int_mapping",
            None,
            "column -> how many to keep per sub-group",
            templatable=True,
        ),
        _arg(
            "include_non_new_group_files",
            "bool",
            True,
            "process a cohort's old files with its new ones",
            nullable=False,
        ),
    ),
)
_GA_JADE_ARGUMENTS = (_AGGREGATOR, _RESULTS_NOTIFICATION_EMAIL, _TRIAL_NAME, _RENAME_COLUMNS)
_GA_BRONZE_ARGUMENTS = (
    _AGGREGATOR,
    _PLAIN_NOTIFICATION_EMAIL,
    _TEMPLATED_TRIAL_NAME,
    _RENAME_COLUMNS,
)
_GA_HELP = "Screens the pod's OCT scans for geographic atrophy and writes a CSV report."

_MIRRORED_DOMAIN_PROTOCOLS += (
    # GAScreeningProtocolJadeConfig also takes the GAScreeningProtocol name.
    _protocol(
        "GAScreeningProtocolJade", "ophthalmology: GA screening", _GA_HELP, _GA_JADE_ARGUMENTS
    ),
    _protocol(
        "GAScreeningProtocol",
        "ophthalmology: GA screening (Jade's old name)",
        _GA_HELP,
        _GA_JADE_ARGUMENTS,
    ),
    _protocol(
        "GAScreeningProtocolAmethyst",
        "ophthalmology: GA screening",
        _GA_HELP,
        (_AGGREGATOR, _RESULTS_NOTIFICATION_EMAIL, _TEMPLATED_TRIAL_NAME, _RENAME_COLUMNS),
    ),
    _protocol(
        "GAScreeningProtocolBronze", "ophthalmology: GA screening", _GA_HELP, _GA_BRONZE_ARGUMENTS
    ),
    _protocol(
        "GAScreeningProtocolBronzeWithEHR",
        "ophthalmology: GA screening with EHR data",
        _GA_HELP,
        _GA_BRONZE_ARGUMENTS,
    ),
    _protocol(
        "GAScreeningProtocolCharcoal",
        "ophthalmology: GA screening in batches",
        _GA_HELP,
        (
            *_GA_BRONZE_ARGUMENTS,
            _arg(
                "skip_upload",
                "bool",
                False,
                "do not upload the results",
                templatable=True,
                nullable=False,
            ),
            _BATCH_GROUPING,
        ),
    ),
    _protocol(
        "WetAMDScreeningProtocolSapphire",
        "ophthalmology: wet AMD screening",
        "Screens the pod's OCT scans for wet AMD and writes a CSV report.",
        (_AGGREGATOR, _PLAIN_NOTIFICATION_EMAIL, _TRIAL_NAME, _RENAME_COLUMNS, _BATCH_GROUPING),
    ),
)

PROTOCOLS: dict[str, Component] = {
    c.name: c
    for c in (
        *_GENERAL_PROTOCOLS,
        *_MIRRORED_DOMAIN_PROTOCOLS,
    )
}

_CLASS_OUTPUTS = _arg(
    "class_outputs", "str_list", None, "names of the model's output classes, in order"
)

# TemplatedTimmTrainingConfig (algorithm_schemas.py, over hugging_face_algorithms/utils.py's
# TIMMTrainingConfig): the `args` of TIMMFineTuning and TIMMFederatedTraining, field by
# field, generated from SDK 13's own schema (desert.schema(TemplatedTimmTrainingConfig)).
_TIMM_TRAINING_FIELDS: tuple[Argument, ...] = (
    _arg("pretrained", "bool", True, nullable=False),
    _arg("initial_checkpoint", "str", "", nullable=False),
    _arg("num_classes", "int", None, nullable=True),
    _arg("gp", "str", None, nullable=True),
    _arg("img_size", "int", None, nullable=True),
    _arg("in_chans", "int", None, nullable=True),
    _arg("input_size", "int_triple", None, nullable=True),
    _arg("crop_pct", "float", None, nullable=True),
    _arg("mean", "float_list", None, nullable=True),
    _arg("std", "float_list", None, nullable=True),
    _arg("interpolation", "str", "", nullable=False),
    _arg("batch_size", "int", 16, nullable=False, templatable=True),
    _arg("validation_batch_size", "int", None, nullable=True),
    _arg("channels_last", "bool", False, nullable=False),
    _arg("fuser", "str", "", nullable=False),
    _arg("grad_accum_steps", "int", 1, nullable=False),
    _arg("grad_checkpointing", "bool", False, nullable=False),
    _arg("fast_norm", "bool", False, nullable=False),
    _arg("model_kwargs", "mapping", None, nullable=False),
    _arg("head_init_scale", "float", None, nullable=True),
    _arg("head_init_bias", "float", None, nullable=True),
    _arg("torchscript", "bool", False, nullable=False),
    _arg("torchcompile", "str", None, nullable=True),
    _arg("opt", "str", "sgd", nullable=False),
    _arg("opt_eps", "float", None, nullable=True),
    _arg("opt_betas", "float_list", None, nullable=True),
    _arg("momentum", "float", 0.9, nullable=False),
    _arg("weight_decay", "float", 0.05, nullable=False),
    _arg("clip_grad", "float", None, nullable=True),
    _arg("clip_mode", "str", "norm", nullable=False),
    _arg("layer_decay", "float", 0.65, nullable=True),
    _arg("opt_kwargs", "mapping", None, nullable=False),
    _arg("sched", "str", "constant_with_warmup", nullable=False),
    _arg("sched_on_updates", "bool", False, nullable=False),
    _arg("lr", "float", 1e-05, nullable=True, templatable=True),
    _arg("lr_base", "float", 0.005, nullable=False),
    _arg("lr_base_size", "int", 256, nullable=False),
    _arg("lr_base_scale", "str", "", nullable=False),
    _arg("lr_noise", "float_list", None, nullable=True),
    _arg("lr_noise_pct", "float", 0.67, nullable=False),
    _arg("lr_noise_std", "float", 1.0, nullable=False),
    _arg("lr_cycle_mul", "float", 1.0, nullable=False),
    _arg("lr_cycle_decay", "float", 0.5, nullable=False),
    _arg("lr_cycle_limit", "int", 1, nullable=False),
    _arg("lr_k_decay", "float", 1.0, nullable=False),
    _arg("warmup_lr", "float", 1e-05, nullable=False),
    _arg("min_lr", "float", 0, nullable=False),
    _arg("epochs", "int", 300, nullable=False, templatable=True),
    _arg("epoch_repeats", "float", 0.0, nullable=False),
    _arg("start_epoch", "int", None, nullable=True),
    _arg("decay_milestones", "int_list", (90, 180, 270), nullable=False),
    _arg("decay_epochs", "float", 90, nullable=False),
    _arg("warmup_epochs", "int", 5, nullable=False),
    _arg("warmup_prefix", "bool", False, nullable=False),
    _arg("cooldown_epochs", "int", 0, nullable=False),
    _arg("patience_epochs", "int", 10, nullable=False),
    _arg("decay_rate", "float", 1.0, nullable=False),
    _arg("aug_splits", "int", 0, nullable=False),
    _arg("jsd_loss", "bool", False, nullable=False),
    _arg("bce_loss", "bool", False, nullable=False),
    _arg("bce_target_thresh", "float", None, nullable=True),
    _arg("resplit", "bool", False, nullable=False),
    _arg("mixup", "float", 0.0, nullable=False),
    _arg("cutmix", "float", 0.0, nullable=False),
    _arg("cutmix_minmax", "float_list", None, nullable=True),
    _arg("mixup_prob", "float", 1.0, nullable=False),
    _arg("mixup_switch_prob", "float", 0.5, nullable=False),
    _arg("mixup_mode", "str", "batch", nullable=False),
    _arg("mixup_off_epoch", "int", 0, nullable=False),
    _arg("smoothing", "float", 0.1, nullable=False),
    _arg("drop", "float", 0.0, nullable=False),
    _arg("drop_connect", "float", None, nullable=True),
    _arg("drop_path", "float", 0.2, nullable=True),
    _arg("drop_block", "float", None, nullable=True),
    _arg("bn_momentum", "float", None, nullable=True),
    _arg("bn_eps", "float", None, nullable=True),
    _arg("sync_bn", "bool", False, nullable=False),
    _arg("dist_bn", "str", "reduce", nullable=False),
    _arg("split_bn", "bool", False, nullable=False),
    _arg("model_ema", "bool", False, nullable=False),
    _arg("model_ema_force_cpu", "bool", False, nullable=False),
    _arg("model_ema_decay", "float", 0.9998, nullable=False),
    _arg("seed", "int", 42, nullable=False),
    _arg("log_interval", "int", 50, nullable=False),
    _arg("recovery_interval", "int", 0, nullable=False),
    _arg("checkpoint_hist", "int", 10, nullable=False),
    _arg("workers", "int", 4, nullable=False),
    _arg("save_images", "bool", False, nullable=False),
    _arg("amp", "bool", False, nullable=False),
    _arg("amp_dtype", "str", "float16", nullable=False),
    _arg("amp_impl", "str", "native", nullable=False),
    _arg("no_ddp_bb", "bool", False, nullable=False),
    _arg("synchronize_step", "bool", False, nullable=False),
    _arg("no_prefetcher", "bool", False, nullable=False),
    _arg("eval_metric", "str", "top1", nullable=False),
    _arg("tta", "int", 0, nullable=False),
    _arg("local_rank", "int", 0, nullable=False),
)
_TIMM_TRAINING_ARGS = _arg(
    "args",
    "nested",
    None,
    "timm training options (epochs, lr, batch_size, ...)",
    fields=_TIMM_TRAINING_FIELDS,
)

_GENERAL_ALGORITHMS: tuple[Component, ...] = (
    _algorithm(
        "ModelInference",
        "run a model on the pod's data and return predictions",
        "Runs your model (model.bitfount_model) on each pod's data and returns the predictions.",
        (
            _CLASS_OUTPUTS,
            _POSTPROCESSORS,
        ),
        general=True,
        model=True,
    ),
    _algorithm(
        "ModelTrainingAndEvaluation",
        "train a model on one pod and evaluate it",
        "Trains the model on the pod's training split and evaluates it on the test split. "
        "Takes no arguments (omit `arguments`).",
        general=True,
        model=True,
    ),
    _algorithm(
        "ModelEvaluation",
        "evaluate a model on the pod's test data",
        "Evaluates the model on the pod's test split and returns the metrics. "
        "Takes no arguments (omit `arguments`).",
        general=True,
        model=True,
    ),
    _algorithm(
        "FederatedModelTraining",
        "train a model across pods (use with FederatedAveraging)",
        "The training half of federated learning; pair it with the FederatedAveraging protocol.",
        (
            _arg(
                "modeller_checkpointing",
                "bool",
                True,
                "keep a checkpoint of the model on your side between rounds",
                nullable=False,
            ),
            _arg("checkpoint_filename", "str", None, "file name of the modeller's checkpoint"),
        ),
        general=True,
        model=True,
    ),
    _algorithm(
        "CSVReportAlgorithm",
        "write the results into a CSV report",
        "Writes the pod's data and previous algorithms' results into a CSV report, "
        "with column selection, renaming, filtering and sorting.",
        (
            _arg("original_cols", "str_list", None, "source columns to include in the report"),
            _arg("rename_columns", "str_mapping", None, "column -> new name in the report"),
            _arg("columns_to_drop", "str_list", None, "columns to leave out"),
            _arg("columns_to_drop_prefix", "str_list", None, "drop columns starting with these"),
            _arg("columns_to_include", "str_list", None, "only these columns"),
            _arg(
                "filter",
                "csv_filters",
                None,
                "row filters: [{column, operator, value, how: any/all}]",
            ),
            _arg(
                "sorting_columns",
                "choice_mapping",
                None,
                "column -> asc/desc",
                choices=SORT_ORDERS,
            ),
            _arg(
                "decimal_places",
                "int",
                2,
                "decimal places for numbers in the report",
                nullable=False,
                minimum=0,
            ),
            _arg("trial_name", "str", None, "trial name written into the report"),
            _arg("aux_cols", "str_list", None, "auxiliary columns"),
            _arg(
                "match_patient_visit",
                "patient_visit_match",
                None,
                "match rows of the same patient visit: {cols_to_match, divergent_col, "
                "date_time_col, how}",
            ),
            _arg(
                "matched_csv_path",
                "path",
                None,
                "where the matched CSV is written",
                deprecated="matched_csv_path is deprecated: Bitfount warns and drops the value",
            ),
            _arg(
                "produce_matched_only",
                "bool",
                True,
                "only output matched rows",
                nullable=False,
            ),
            _arg(
                "produce_trial_notes_csv",
                "bool",
                False,
                "also write a trial-notes CSV",
                nullable=False,
            ),
            _arg("csv_extensions", "str_list", None, "extensions of the CSV files to produce"),
            _arg(
                "ophthalmology_args",
                "nested",
                None,
                "ophthalmology-specific options",
                # algorithm_schemas.py OphthalmologyArgsConfig
                fields=(
                    _arg("trial_name", "str", None, "trial name written into the report"),
                    _arg("aux_cols", "str_list", None, "auxiliary columns"),
                    _arg(
                        "match_patient_visit",
                        "patient_visit_match",
                        None,
                        "match rows of the same patient visit",
                    ),
                    _arg("produce_matched_only", "bool", True, "only matched rows", nullable=False),
                    _arg(
                        "produce_trial_notes_csv",
                        "bool",
                        False,
                        "also write a trial-notes CSV",
                        nullable=False,
                    ),
                    _arg("csv_extensions", "str_list", None, "extensions of the CSVs to produce"),
                ),
            ),
            # FilePath(allow_none=True): a string or null
            _arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),
        ),
        general=True,
    ),
    _algorithm(
        "SqlQuery",
        "run an SQL query on the pod's data",
        "Runs the SQL query on each pod and returns its result. The table is "
        "named after the pod unless `table` is given.",
        (
            _arg("query", "str", None, "the SQL query", required=True, nullable=False),
            _arg("table", "str", None, "table to query"),
        ),
        general=True,
        required=True,
    ),
    _algorithm(
        "PrivateSqlQuery",
        "run an SQL query with differential privacy",
        "Runs the SQL query with differential privacy: results get noise controlled "
        "by epsilon and delta; every queried column needs a range.",
        (
            _arg(
                "epsilon",
                "float",
                None,
                "privacy budget (smaller = more private)",
                required=True,
                nullable=False,
            ),
            _arg(
                "delta", "float", None, "privacy failure probability", required=True, nullable=False
            ),
            _arg("query", "str", None, "the SQL query"),
            _arg(
                "column_ranges",
                "column_ranges",
                None,
                "column -> {lower, upper}: the range of each queried column",
            ),
            _arg("table", "str", None, "table to query"),
            _arg("db_schema", "str", None, "database schema"),
            _arg("aggregate_columns", "str_list", None, "columns to aggregate", templatable=True),
            _arg("group_by_columns", "str_list", None, "columns to group by", templatable=True),
            _arg(
                "aggregation_func",
                "choice",
                None,
                "aggregation function (AVG, SUM, COUNT, VAR, STD, ...)",
                templatable=True,
                choices=SQL_AGGREGATION_FUNCS,
                case_insensitive=True,
            ),
        ),
        general=True,
        required=True,
    ),
    _algorithm(
        "HuggingFacePerplexityEvaluation",
        "measure a HuggingFace language model's perplexity on text",
        "Computes the perplexity of a HuggingFace causal language model on the selected "
        "text column.",
        (
            _model_id(),
            _arg("stride", "int", 512, "sliding-window stride in tokens", nullable=False),
            _SEED,
            _ACCESS_TOKEN,
        ),
        general=True,
        required=True,
        rules=(one_selected_column,),
    ),
    _algorithm(
        "HuggingFaceTextGenerationInference",
        "generate text with a HuggingFace model",
        "Generates text with a HuggingFace text-generation model from the selected column.",
        (
            _model_id(),
            _arg("prompt_format", "str", None, "format of the prompt"),
            _arg("max_length", "int", 50, "maximum length of the generated text", nullable=False),
            _arg("num_return_sequences", "int", 1, "how many texts per input", nullable=False),
            _SEED,
            _arg("min_new_tokens", "int", 1, "minimum number of new tokens", nullable=False),
            _arg("repetition_penalty", "float", 1.0, "penalty for repetition", nullable=False),
            _arg("num_beams", "int", 1, "beam-search width", nullable=False),
            _arg("early_stopping", "bool", True, "stop beam search early", nullable=False),
            _arg("pad_token_id", "int", None, "padding token id"),
            _arg("eos_token_id", "int", None, "end-of-sequence token id"),
            _arg("device", "str", None, "device to run on (e.g. cpu, cuda)"),
            _arg(
                "torch_dtype",
                "choice",
                "float32",
                "torch dtype",
                choices=TORCH_DTYPES,
                nullable=False,
            ),
            _ACCESS_TOKEN,
        ),
        general=True,
        required=True,
        rules=(one_selected_column,),
    ),
    _algorithm(
        "HuggingFaceImageTextGenerationInference",
        "answer a prompt about each image with a HuggingFace model",
        "Runs a HuggingFace image-text-to-text model on each image with a prompt.",
        (
            _arg(
                "model_id",
                "str",
                None,
                "HuggingFace model id",
                required=True,
                templatable=True,
                nullable=False,
            ),
            _arg(
                "max_new_tokens",
                "int",
                2000,
                "maximum number of generated tokens",
                templatable=True,
                nullable=False,
            ),
            _SEED,
            _batch_size(1),
            _arg(
                "torch_dtype",
                "choice",
                "bfloat16",
                "torch dtype",
                choices=TORCH_DTYPES,
                nullable=False,
            ),
            _arg("prompt_template", "str", None, "the prompt", templatable=True),
            _ACCESS_TOKEN,
        ),
        general=True,
        required=True,
    ),
    _algorithm(
        "HuggingFaceImageClassificationInference",
        "classify images with a HuggingFace model",
        "Classifies each image with a HuggingFace image-classification model.",
        (
            _model_id(),
            _arg(
                "model_input_format",
                "choice",
                "torch_tensor",
                "how images are fed to the model",
                choices=("torch_tensor", "numpy_array"),
                nullable=False,
            ),
            _arg(
                "apply_softmax_to_predictions",
                "bool",
                True,
                "turn scores into probabilities",
                nullable=False,
            ),
            _batch_size(1),
            _SEED,
            _arg(
                "top_k",
                "int",
                5,
                "how many top classes to return",
                templatable=True,
                nullable=False,
            ),
            _arg("subfolder", "str", None, "subfolder of the model repository"),
            _POSTPROCESSORS,
            _ACCESS_TOKEN,
        ),
        general=True,
        required=True,
        rules=(one_selected_column,),
    ),
    _algorithm(
        "HuggingFaceImageSegmentationInference",
        "segment images with a HuggingFace model",
        "Segments each image with a HuggingFace image-segmentation model.",
        (
            _model_id(),
            _arg("alpha", "float", 0.3, "mask overlay transparency", nullable=False),
            _batch_size(1),
            _arg(
                "dataframe_output", "bool", False, "return the results as a table", nullable=False
            ),
            _arg("mask_threshold", "float", 0.5, "threshold for mask pixels", nullable=False),
            _arg(
                "overlap_mask_area_threshold",
                "float",
                0.5,
                "overlap threshold for masks",
                nullable=False,
            ),
            _SEED,
            _arg("save_path", "str", None, "where the output images are saved"),
            _arg("subtask", "str", None, "segmentation subtask (e.g. panoptic)"),
            _arg("threshold", "float", 0.9, "score threshold", nullable=False),
            _ACCESS_TOKEN,
        ),
        general=True,
        required=True,
        rules=(one_selected_column,),
    ),
    _algorithm(
        "HuggingFaceTextClassificationInference",
        "classify texts with a HuggingFace model",
        "Classifies the selected text column with a HuggingFace text-classification model.",
        (
            _model_id(),
            _batch_size(1),
            _arg("function_to_apply", "str", None, "function on the scores (sigmoid, softmax)"),
            _SEED,
            _arg(
                "top_k",
                "int",
                5,
                "how many top classes to return",
                templatable=True,
                nullable=False,
            ),
            _ACCESS_TOKEN,
        ),
        general=True,
        required=True,
        rules=(one_selected_column,),
    ),
    _algorithm(
        "HuggingFaceNERInference",
        "find named entities in text with a HuggingFace model",
        "Labels entities (e.g. diseases) in text with a HuggingFace token-classification model.",
        (
            _arg(
                "model_id",
                "str",
                "OpenMed/OpenMed-NER-PathologyDetect-PubMed-v2-109M",
                "HuggingFace model id",
                templatable=True,
                nullable=False,
            ),
            # explicit fields with allow_none=True: null is accepted
            _batch_size(16, nullable=True),
            _arg(
                "aggregation_strategy",
                "str",
                "simple",
                "how tokens are grouped into entities",
                templatable=True,
                nullable=True,
            ),
            replace(_SEED, nullable=True),
            _POSTPROCESSORS,
            _ACCESS_TOKEN,
        ),
        general=True,
    ),
    _algorithm(
        "TIMMInference",
        "classify images with a timm model",
        "Runs a timm (PyTorch Image Models) model on each image.",
        (
            _model_id("timm model id, e.g. 'resnet50' or 'hf-hub:org/model'"),
            _arg("num_classes", "int", None, "number of output classes"),
            _arg("checkpoint_path", "path", None, "local checkpoint file"),
            _arg(
                "class_outputs", "str_list", None, "names of the output classes", templatable=True
            ),
            _arg(
                "batch_transformations",
                "transformations",
                None,
                "transformations applied to each batch",
            ),
            _arg("hf_checkpoint_repo_id", "str", None, "HuggingFace repo holding the checkpoint"),
            _arg("hf_checkpoint_filename", "str", None, "checkpoint file in that repo"),
            _POSTPROCESSORS,
        ),
        general=True,
        required=True,
        rules=(one_selected_column, hf_checkpoint_together),
    ),
    _algorithm(
        "TIMMFineTuning",
        "fine-tune a timm model on the pod's images",
        "Fine-tunes a timm model; `args` takes timm's training options (epochs, lr, "
        "batch_size, opt, sched, num_classes, img_size, ...).",
        (
            _model_id("timm model id, e.g. 'resnet50'"),
            _TIMM_TRAINING_ARGS,
            _arg(
                "batch_transformations",
                "split_transformations",
                None,
                "split (train/validation) -> transformations",
                choices=("train", "validation"),
                nullable=False,  # an explicit fields.Dict(...) with default=None
            ),
            _arg("labels", "str_list", None, "class labels", templatable=True),
            _arg(
                "return_weights",
                "bool",
                False,
                "send the trained weights back to you",
                nullable=False,
            ),
            _arg("save_path", "path", None, "where the weights are saved"),
        ),
        general=True,
        required=True,
    ),
)

# FilterStrategy (federated/algorithms/filtering_algorithm.py), by value.
RECORD_FILTER_STRATEGIES: tuple[str, ...] = (
    "latest",
    "frequency",
    "required_column_present",
    "numeric_threshold",
    "age_range",
    "series_description_latest",
    "patient_id",
    "patient_id_with_previous_runs",
    "scan_frequency",
    "scan_in_period",
    "continuous_scan_history",
)


def _no_arguments(short: str, summary: str) -> Component:
    """An algorithm whose arguments schema has no fields: any key is "Unknown field."."""
    return _algorithm(short, summary, f"{summary}. Takes no arguments (omit `arguments`).")


def _strict_bool(name: str, default: bool, help: str) -> Argument:
    return _arg(name, "bool", default, help, templatable=True, nullable=False)


# ALL_SEGMENTATION_LABELS (federated/algorithms/ophthalmology/ophth_algo_types.py).
SEGMENTATION_LABELS: tuple[str, ...] = (
    "hypertransmission",
    "hard_drusen",
    "soft_drusen",
    "confluent_drusen",
    "diffuse_edema",
    "is_os_disruption",
    "epiretinal_fibrosis",
    "hard_exudates",
    "intraretinal_cystoid_fluid",
    "intraretinal_hyperreflective_foci",
    "neurosensory_retina_atrophy",
    "reticular_pseudodrusen",
    "rpe_atrophy",
    "rpe_disruption",
    "serous_rpe_detachment",
    "subretinal_fluid",
    "subretinal_hyperreflective_material__shrm_",
    "ellipsoid_zone_loss",
)


def _ga_calculation_arguments(fovea: bool) -> tuple[Argument, ...]:
    """_GATrialCalculation(WithFovea)AlgorithmBaseArgumentsConfig."""
    lists = tuple(
        _arg(
            name,
            "choice_list",
            None,
            help,
            templatable=True,
            choices=SEGMENTATION_LABELS,
        )
        for name, help in (
            ("ga_area_include_segmentations", "segmentations counted in the GA area"),
            ("ga_area_exclude_segmentations", "segmentations left out of the GA area"),
            ("extra_segmentations", "further segmentations to report"),
        )
    )
    if not fovea:
        return lists
    # plain ``Optional[int] = FOVEA_CENTRE_LANDMARK_INDEX``: null accepted, not templatable
    return (*lists, _arg("fovea_landmark_idx", "int", 2, "fovea landmark index", nullable=True))


# GATrialPDFGeneratorAlgorithm{Jade,Amethyst}ArgumentsConfig (the same fields).
# ophth_algo_types.py ReportMetadata and its TextFieldType / ImageFieldType (desert
# schemas, unknown keys refused; TextFieldType.__post_init__: "Either value of the field or
# the column name is required.").
_REPORT_METADATA_FIELDS: tuple[Argument, ...] = (
    _arg(
        "text_fields",
        "nested_list",
        None,
        "the report's top table: [{heading, column or value, datetime_format}]",
        # fields.Nested(many=True) without a default: the dataclass needs it
        required=True,
        nullable=False,
        one_of_required=("value", "column"),
        fields=(
            _arg("heading", "str", None, "the row's heading", required=True, nullable=False),
            _arg("column", "str", None, "the datasource column it shows"),
            _arg("value", "str", None, "a fixed value shown in every report"),
            _arg("datetime_format", "str", None, "how a date in the column is written"),
        ),
    ),
    _arg("heading", "str", None, "the report's heading"),
    _arg(
        "image_field",
        "nested",
        None,
        "the image in the top table: {column}",
        fields=(_arg("column", "str", None, "the image column", required=True, nullable=False),),
    ),
)
# ophth_algo_types.py: column names (plain `str = default`, so not null).
_SLO_LOCATION_PREFIXES = tuple(
    _arg(name, "str", f"loc_{name}_", "column prefix", nullable=False)
    for name in ("start_x_image", "start_y_image", "end_x_image", "end_y_image")
)
_SLO_IMAGE_METADATA_COLUMNS = tuple(
    _arg(
        f"{d}_mm_column", "str", f"slo_dimensions_mm_{d}", f"column of the SLO {d}", nullable=False
    )
    for d in ("height", "width")
)
_OCT_IMAGE_METADATA_COLUMNS = tuple(
    _arg(f"{d}_mm_column", "str", f"dimensions_mm_{d}", f"column of the OCT {d}", nullable=False)
    for d in ("height", "width", "depth")
)

_GA_PDF_ARGUMENTS: tuple[Argument, ...] = (
    _arg(
        "report_metadata",
        "nested",
        None,
        "metadata printed in the report: {text_fields, heading, image_field}",
        nullable=False,  # an explicit fields.Nested(...) with default=None
        fields=_REPORT_METADATA_FIELDS,
    ),
    _arg(
        "filename_prefix",
        "str",
        None,
        "prefix of the PDF file names (starts with a letter)",
        nullable=False,
        pattern="[a-zA-Z]+",  # fields.String(validate=Regexp("[a-zA-Z]+"))
        pattern_help='start with a letter, a-z or A-Z (Bitfount: "String does not match '
        'expected pattern.")',
    ),
    _arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),
    _arg(
        "filter",
        "csv_filters",
        None,
        "row filters: [{column, operator, value, how: any/all}]",
    ),
    _arg("pdf_filename_columns", "str_list", None, "columns that make up the PDF file names"),
    _arg("trial_name", "str", None, "trial name", nullable=False),
)


# algorithm_schemas.py _ClassCountConfigSchema (a plain marshmallow Schema: unknown keys
# refused), the shape of procedures_/medications_exclusion_class_count.
_CLASS_COUNT_FIELDS: tuple[Argument, ...] = (
    _arg("classes", "str_list_list", None, "lists of codes, one per class", templatable=True),
    _arg("min_classes", "int", None, "how many classes exclude a patient", templatable=True),
)


def _class_count(name: str) -> Argument:
    return _arg(
        name,
        "nested",
        None,
        "{classes: [[codes]], min_classes}",
        templatable=True,
        fields=_CLASS_COUNT_FIELDS,
    )


def _templated(name: str, kind: ArgumentKind, default: Any, help: str) -> Argument:
    """A ``TemplatedOrTyped(fields.X())`` field: a placeholder is accepted; null only if
    the inner field allows it (i.e. the default is None)."""
    return _arg(name, kind, default, help, templatable=True)


# _TrialInclusionCriteriaMatchAlgorithmBaseArgumentsConfig (defaults: ophth_algo_types.py).
_TRIAL_CRITERIA_ARGUMENTS: tuple[Argument, ...] = (
    _templated("cnv_threshold", "float", 0.5, "CNV probability threshold"),
    _templated("largest_ga_lesion_lower_bound", "float", 1.26, "largest GA lesion, min (mm²)"),
    _templated("largest_ga_lesion_upper_bound", "float", None, "largest GA lesion, max (mm²)"),
    _templated("total_ga_area_lower_bound", "float", 2.5, "total GA area, min (mm²)"),
    _templated("total_ga_area_upper_bound", "float", 17.5, "total GA area, max (mm²)"),
    _templated("patient_age_lower_bound", "int", None, "youngest patient age"),
    _templated("patient_age_upper_bound", "int", None, "oldest patient age"),
)
# _CodeFilterArgumentsConfig, plus Bronze's own fields.
_CODE_FILTER_ARGUMENTS: tuple[Argument, ...] = (
    *(
        _templated(name, "str_list", None, help)
        for name, help in (
            ("conditions_inclusion_study_eye_codes", "condition codes required in the study eye"),
            ("conditions_exclusion_study_eye_codes", "condition codes excluded in the study eye"),
            ("conditions_exclusion_codes", "condition codes that exclude a patient"),
            ("procedures_exclusion_study_eye_codes", "procedure codes excluded in the study eye"),
            ("procedures_exclusion_codes", "procedure codes that exclude a patient"),
        )
    ),
    _arg(
        "eligible_on_inclusion_codes_lat_unknown",
        "bool",
        True,
        "eligible when an inclusion code's eye is unknown",
        templatable=True,
        nullable=False,
    ),
    _arg(
        "eligible_on_exclusion_codes_lat_unknown",
        "bool",
        True,
        "eligible when an exclusion code's eye is unknown",
        templatable=True,
        nullable=False,
    ),
    _arg(
        "code_exclusion_time_windows",
        "keyed_choice_int_mappings",
        None,
        "code -> {within_days/within_months/within_years: whole number}",
        templatable=True,
        choices=("within_days", "within_months", "within_years"),
    ),
    _class_count("procedures_exclusion_class_count"),
)
_TRIAL_CRITERIA_BRONZE_ARGUMENTS: tuple[Argument, ...] = (
    *_TRIAL_CRITERIA_ARGUMENTS,
    *_CODE_FILTER_ARGUMENTS,
    _templated("conditions_inclusion_codes", "str_list", None, "condition codes required"),
    _arg(
        "distance_from_fovea_lower_bound",
        "float",
        0.0,
        "GA distance from the fovea, min (mm)",
        templatable=True,
        nullable=False,
    ),
    _arg(
        "distance_from_fovea_upper_bound",
        "float",
        None,  # Bitfount's default is infinity: no upper bound
        "GA distance from the fovea, max (mm; default: no limit)",
        templatable=True,
        nullable=False,
    ),
    _arg(
        "exclude_foveal_ga",
        "bool",
        False,
        "exclude GA at the fovea",
        templatable=True,
        nullable=False,
    ),
)

# _nestable_conditions_inclusion_codes_field: a list of codes or a list of non-empty code
# lists (not type-checked here: "any" is wider than Bitfount's Union).
_NESTABLE_INCLUSION_CODES = _templated(
    "conditions_inclusion_codes",
    "code_groups",
    None,
    "condition codes required: [codes] (any of) or [[codes], ...] (all groups)",
)


def _ranged_float(name: str, help: str, maximum: float | None) -> Argument:
    """``TemplatedOrTyped(fields.Float(allow_none=True, validate=Range(min=0, max=...)))``."""
    return _arg(name, "float", None, help, templatable=True, minimum=0, maximum=maximum)


# TrialInclusionCriteriaMatchAlgorithmCharcoalArgumentsConfig: Bronze's base and code
# filters, flat inclusion codes, per-biomarker thresholds (0 to 1) and typical widths (>= 0).
_TRIAL_CRITERIA_CHARCOAL_ARGUMENTS: tuple[Argument, ...] = (
    *_TRIAL_CRITERIA_ARGUMENTS,
    *_CODE_FILTER_ARGUMENTS,
    _templated("conditions_inclusion_codes", "str_list", None, "condition codes required"),
    _ranged_float("hypertransmission_threshold", "hypertransmission threshold (>= 0)", None),
    _ranged_float(
        "neurosensory_retina_atrophy_threshold", "neurosensory retina atrophy threshold", None
    ),
    *(
        _ranged_float(f"{biomarker}_threshold", f"{biomarker} threshold (0 to 1)", 1)
        for biomarker in (
            "drusen",
            "diffuse_edema",
            "epiretinal_fibrosis",
            "hard_exudates",
            "intraretinal_cystoid_fluid",
            "serous_rpe_detachment",
            "subretinal_fluid",
            "subretinal_hyperreflective_material__shrm_",
            "diabetic_macular_edema",
            "wet_amd",
        )
    ),
    *(
        _ranged_float(
            f"{biomarker}_typical_width_micrometers", f"typical {biomarker} width (µm)", None
        )
        for biomarker in (
            "diffuse_edema",
            "epiretinal_fibrosis",
            "intraretinal_cystoid_fluid",
            "subretinal_fluid",
            "subretinal_hyperreflective_material",
            "diabetic_macular_edema",
        )
    ),
    _arg(
        "require_imaging_inclusion",
        "bool",
        True,
        "require the imaging criteria to include a patient",
        templatable=True,
        nullable=False,
    ),
)

# Domain-specific algorithms whose arguments schema is mirrored
# (runners/config_schemas/algorithm_schemas.py, each ``<Name>ArgumentsConfig``).
#: S3UploadAlgorithm and its MRN-tracking subclass take the same arguments.
_S3_UPLOAD_ARGUMENTS: tuple[Argument, ...] = (
    _arg("s3_bucket", "str", None, "S3 bucket name", templatable=True),
    _arg("aws_region", "str", None, "AWS region", templatable=True),
    _arg("aws_profile", "str", "default", "AWS profile", templatable=True, nullable=True),
    _arg(
        "upload_url_expiration",
        "int",
        3,
        "hours the upload URLs stay valid (at least 1)",
        templatable=True,
        nullable=False,
        minimum=1,
    ),
)


_MIRRORED_DOMAIN_ALGORITHMS: tuple[Component, ...] = (
    _algorithm(
        "MONAIBundleInference",
        "run a MONAI bundle on the pod's images",
        "Runs a MONAI model bundle (by name, optionally a version) on each image.",
        (
            _arg("bundle_name", "str", None, "MONAI bundle name", required=True, nullable=False),
            _arg("bundle_version", "str", None, "bundle version (default: the latest)"),
            _arg("dataframe_output", "bool", True, "return the results as a table", nullable=False),
            _arg("nifti_output", "bool", False, "also write NIfTI files", nullable=False),
            _batch_size(1),
            _arg(
                "num_workers",
                "int",
                1,
                "data-loading worker processes",
                templatable=True,
                nullable=False,
            ),
            _arg(
                "inference_config_overrides",
                "mapping",
                None,
                "overrides of the bundle's inference config",
            ),
            _arg(
                "restore_spatial",
                "bool",
                True,
                "restore the outputs to the input's spatial shape",
                nullable=False,
            ),
            _arg(
                "invert_orientation",
                "bool",
                True,
                "invert the orientation transform on the outputs",
                nullable=False,
            ),
        ),
        required=True,
    ),
    _algorithm(
        "TIMMFederatedTraining",
        "train a timm model across pods",
        "Trains a timm model federated across pods; `args` takes timm's training options "
        "(epochs, lr, batch_size, ...).",
        (
            _model_id("timm model id, e.g. 'resnet50'"),
            _TIMM_TRAINING_ARGS,
            _arg("labels", "str_list", None, "class labels", templatable=True),
            _arg("pretrained_file", "str", None, "pretrained weights file"),
            _arg("lora_rank", "int_or_str", None, "LoRA rank: a whole number or a string"),
        ),
        required=True,
    ),
    _algorithm(
        "RecordFilterAlgorithm",
        "filter the pod's records with one or more strategies",
        "Filters records: strategies[i] is applied with filter_args_list[i].",
        (
            _arg(
                "strategies",
                "choice_list",
                None,
                "filter strategies, in order",
                required=True,
                choices=RECORD_FILTER_STRATEGIES,
                nullable=False,
            ),
            _arg(
                "filter_args_list",
                "mapping_list",
                None,
                "one mapping of options per strategy",
                required=True,
                nullable=False,
            ),
        ),
        required=True,
    ),
    _algorithm(
        "PatientIDExchangeAlgorithm",
        "exchange patient ids with the pod",
        "Sends the patient ids in patient_ids_file to the pod.",
        (
            _arg(
                "patient_ids_file",
                "path",
                None,
                'file of patient ids (Bitfount: "Must supply `patient_ids_file`")',
                required=True,
                templatable=True,
                nullable=False,
            ),
        ),
        required=True,
    ),
    _algorithm(
        "CSTCalculationAlgorithm",
        "ophthalmology: central subfield thickness",
        "Computes the central subfield thickness between two retinal layers.",
        (
            _arg("cst_radius_mm", "float", 0.5, "radius in mm", templatable=True, nullable=False),
            _arg("ilm_layer_name", "str", "ILM", "inner layer", templatable=True, nullable=False),
            _arg(
                "rpe_layer_name",
                "str",
                "RPE Layer",
                "outer layer",
                templatable=True,
                nullable=False,
            ),
            _arg(
                "fovea_landmark_idx",
                "int",
                2,
                "index of the fovea centre landmark",
                templatable=True,
                nullable=False,
            ),
            _strict_bool("strict_measurement", False, "refuse partial measurements"),
        ),
    ),
    _algorithm(
        "GCCCalculationAlgorithm",
        "ophthalmology: ganglion cell complex thickness",
        "Computes the ganglion cell complex thickness between two retinal layers.",
        (
            _arg(
                "region_radius_mm",
                "float",
                3.0,
                "radius in mm",
                templatable=True,
                nullable=False,
            ),
            _arg(
                "inner_layer_name", "str", "RNFL", "inner layer", templatable=True, nullable=False
            ),
            _arg("outer_layer_name", "str", "IPL", "outer layer", templatable=True, nullable=False),
            _arg(
                "macula_landmark_idx",
                "int",
                2,
                "index of the macula centre landmark",
                templatable=True,
                nullable=False,
            ),
            _strict_bool("strict_measurement", True, "refuse partial measurements"),
        ),
    ),
    _algorithm(
        "TrialMatchingAlgorithm",
        "EHR: find the clinical trials nearest each patient",
        "Matches each patient to clinical trials: the top_n best within max_distance_km.",
        (
            _arg(
                "top_n",
                "int",
                5,
                "how many trials per patient",
                templatable=True,
                nullable=False,
            ),
            _arg(
                "max_distance_km",
                "float",
                None,
                "only trials within this distance (more than 0)",
                templatable=True,
                minimum=0,
                exclusive_minimum=True,
            ),
            # plain `str = "us"`: desert builds String(dump_default="us"), allow_none false
            _arg(
                "default_country",
                "str",
                "us",
                "country of patients with none given",
                nullable=False,
            ),
        ),
    ),
    _algorithm(
        "EHRPatientIDExtractAlgo",
        "EHR: extract the pod's patient ids",
        "Extracts patient ids from the EHR, page_size at a time.",
        (
            _arg(
                "page_size",
                "int",
                None,
                "patients per EHR request (at least 1)",
                templatable=True,
                minimum=1,
            ),
        ),
    ),
    _algorithm(
        "S3UploadAlgorithm",
        "upload the results to an S3 bucket",
        "Uploads the task's results to an S3 bucket through pre-signed URLs.",
        _S3_UPLOAD_ARGUMENTS,
    ),
    _algorithm(
        "S3UploadAlgorithmWithMRNTracking",
        "upload the results to an S3 bucket, tracking patients' MRNs",
        "Uploads the task's results to an S3 bucket through pre-signed URLs.",
        _S3_UPLOAD_ARGUMENTS,
    ),
    _algorithm(
        "FluidVolumeCalculationAlgorithm",
        "ophthalmology: fluid volume from the segmentations",
        "Computes fluid volumes from the OCT segmentations named in the arguments.",
        (
            _arg(
                "fluid_volume_include_segmentations",
                "str_list",
                None,
                "segmentations counted as fluid",
                templatable=True,
            ),
        ),
    ),
    _algorithm(
        "FoveaCoordinatesAlgorithm",
        "ophthalmology: locate the fovea on each scan",
        "Finds the fovea's coordinates from the B-scan width and the SLO segmentation.",
        (
            _arg(
                "bscan_width_col",
                "str",
                "size_width",
                "column with the B-scan width",
                nullable=False,
            ),
            _arg(
                "location_prefixes",
                "nested",
                None,
                "prefixes of the SLO segmentation location columns",
                fields=_SLO_LOCATION_PREFIXES,
            ),
        ),
    ),
    _algorithm(
        "BscanImageAndMaskGenerationAlgorithm",
        "ophthalmology: B-scan images with segmentation masks",
        "Writes each B-scan as an image with the masks of segmentation_configs drawn on it.",
        (
            _arg(
                "segmentation_configs",
                "nested_list",
                None,
                "masks to draw: [{id, color: [r, g, b], label}]",
                required=True,
                nullable=False,
                # bscan_image_and_mask_generation_algorithm.py SegmentationConfig, with
                # its __post_init__ checks (non-empty id, colour values 0-255)
                fields=(
                    _arg(
                        "id",
                        "str",
                        None,
                        "the mask's id",
                        required=True,
                        nullable=False,
                        pattern="(?s).",
                        pattern_help='not be empty (Bitfount: "Segmentation ID must be a '
                        'non-empty string.")',
                    ),
                    _arg(
                        "color",
                        "int_triple",
                        None,
                        "the mask's colour: [r, g, b], each 0-255",
                        required=True,
                        nullable=False,
                        minimum=0,
                        maximum=255,
                    ),
                    _arg("label", "str", None, "the mask's label (default: its id)"),
                ),
            ),
            _arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),
            _arg(
                "output_original_bscans",
                "bool",
                False,
                "also output the plain B-scans",
                nullable=True,
            ),
            _arg(
                "image_format",
                "choice",
                "JPEG",
                "image format",
                choices=("JPEG", "PNG"),
                nullable=True,
            ),
            _arg("image_optimize", "bool", True, "optimise the images", nullable=True),
            _arg("image_quality", "int", 90, "image quality", nullable=True),
            _arg("image_subsampling", "int", 0, "JPEG chroma subsampling", nullable=True),
            _arg("image_progressive", "bool", True, "progressive JPEG", nullable=True),
            _arg("image_transparency", "bool", False, "keep transparency", nullable=True),
        ),
        required=True,
    ),
    _algorithm(
        "ReduceCSVAlgorithmCharcoal",
        "ophthalmology: reduce the CSV reports into one",
        "Combines the pods' CSV reports; eligible_only keeps only eligible patients.",
        (
            _arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),
            _strict_bool("eligible_only", True, "keep only eligible patients"),
            _arg(
                "delete_intermediate",
                "bool",
                None,
                "deprecated",
                templatable=True,
                deprecated="delete_intermediate is deprecated: Bitfount warns and ignores it",
            ),
        ),
    ),
    _algorithm(
        "_SimpleCSVAlgorithm",
        "write the results as a simple CSV",
        "Writes the results into a CSV. Takes only the deprecated save_path.",
        (_arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),),
    ),
    *(
        _algorithm(
            name,
            "ophthalmology: GA trial calculations",
            "Computes geographic-atrophy figures; the include/exclude lists name "
            "segmentations (no segmentation in both).",
            _ga_calculation_arguments(fovea),
            rules=(ga_include_exclude_apart,),
        )
        for name, fovea in (
            ("GATrialCalculationAlgorithmJade", False),
            ("GATrialCalculationAlgorithm", False),
            ("GATrialCalculationAlgorithmAmethyst", False),
            ("GATrialCalculationAlgorithmCharcoal", False),
            ("GATrialCalculationAlgorithmBronze", True),
        )
    ),
    *(
        _algorithm(
            name,
            "ophthalmology: GA trial PDF reports",
            "Writes a PDF report per patient, optionally filtered like the CSV report.",
            _GA_PDF_ARGUMENTS,
        )
        for name in (
            "GATrialPDFGeneratorAlgorithmJade",
            "GATrialPDFGeneratorAlgorithm",
            "GATrialPDFGeneratorAlgorithmAmethyst",
        )
    ),
    _algorithm(
        "ETDRSAlgorithm",
        "ophthalmology: ETDRS grid figures",
        "Computes figures on the ETDRS grid for the given eye (laterality).",
        (
            _arg(
                "laterality", "str", None, "which eye (e.g. L or R)", required=True, nullable=False
            ),
            _arg(
                "slo_photo_location_prefixes",
                "nested",
                None,
                "SLO location column prefixes",
                fields=_SLO_LOCATION_PREFIXES,
            ),
            _arg(
                "slo_image_metadata_columns",
                "nested",
                None,
                "SLO image metadata columns",
                fields=_SLO_IMAGE_METADATA_COLUMNS,
            ),
            _arg(
                "oct_image_metadata_columns",
                "nested",
                None,
                "OCT image metadata columns",
                fields=_OCT_IMAGE_METADATA_COLUMNS,
            ),
            _arg("threshold", "float", 0.7, "segmentation threshold", nullable=False),
            _arg("calculate_on_oct", "bool", False, "calculate on the OCT", nullable=False),
            _arg("slo_mm_width", "float", 8.8, "SLO width in mm", nullable=False),
            _arg("slo_mm_height", "float", 8.8, "SLO height in mm", nullable=False),
        ),
        required=True,
    ),
    _no_arguments(
        "TrialInclusionCriteriaMatchAlgorithmJade", "ophthalmology: match trial inclusion criteria"
    ),
    _no_arguments(
        "TrialInclusionCriteriaMatchAlgorithm",
        "ophthalmology: match trial inclusion criteria (Jade's old name)",
    ),
    *(
        _algorithm(
            name,
            "ophthalmology: match trial inclusion criteria",
            "Marks the patients who meet the trial's criteria (CNV, GA area and lesion bounds, "
            "age).",
            _TRIAL_CRITERIA_ARGUMENTS,
        )
        for name in (
            "TrialInclusionCriteriaMatchAlgorithmAmethyst",
            "TrialInclusionCriteriaMatchAlgorithmSapphire",
        )
    ),
    _algorithm(
        "TrialInclusionCriteriaMatchAlgorithmBronze",
        "ophthalmology: match trial inclusion criteria with codes",
        "Marks the patients who meet the trial's criteria, including condition and procedure "
        "codes and the GA's distance from the fovea.",
        _TRIAL_CRITERIA_BRONZE_ARGUMENTS,
    ),
    _algorithm(
        "TrialInclusionCriteriaMatchAlgorithmCharcoal",
        "ophthalmology: match trial inclusion criteria with codes and biomarkers",
        "Marks the patients who meet the trial's criteria, including condition and procedure "
        "codes and per-biomarker thresholds.",
        _TRIAL_CRITERIA_CHARCOAL_ARGUMENTS,
    ),
    _algorithm(
        "TrialInclusionCriteriaMatchAlgorithmGlaucomaCharcoal",
        "ophthalmology: match glaucoma trial criteria with codes",
        "Marks the patients who meet a glaucoma trial's code and age criteria.",
        (
            *_CODE_FILTER_ARGUMENTS,
            _templated("patient_age_lower_bound", "int", None, "youngest patient age"),
            _NESTABLE_INCLUSION_CODES,
        ),
    ),
    _algorithm(
        "TrialInclusionCriteriaMatchAlgorithmEHR",
        "EHR: match trial criteria with codes",
        "Marks the EHR patients who meet a trial's code, medication and age criteria.",
        (
            *_CODE_FILTER_ARGUMENTS,
            _templated("patient_age_lower_bound", "int", None, "youngest patient age"),
            _templated("patient_age_upper_bound", "int", None, "oldest patient age"),
            _NESTABLE_INCLUSION_CODES,
            _templated("conditions_flag_codes", "str_list", None, "condition codes to flag"),
            _class_count("medications_exclusion_class_count"),
        ),
    ),
    _no_arguments("ImageSelectionAlgorithm", "ophthalmology: select the images to analyse"),
    _no_arguments("LongitudinalAlgorithm", "ophthalmology: compare a patient's scans over time"),
    _no_arguments("CodeNormalisationAlgorithm", "EHR: normalise diagnosis and procedure codes"),
    _no_arguments("EHRPatientQueryAlgorithm", "EHR: query patients' records"),
    _no_arguments("EHRPatientInfoDownloadAlgorithm", "EHR: download patients' information"),
)

# Every protocol and algorithm Bitfount 13 has is mirrored argument by argument. (Bitfount
# 13's AlgorithmType has no NextGenPatientQueryAlgorithm, NextGenPatientInfoDownloadAlgorithm
# or PatientIDExtractAlgorithm: such a name falls to GenericAlgorithmConfig, which refuses
# every ``bitfount.`` name, so they are not in the catalog; the extract algorithm is
# EHRPatientIDExtractAlgo.)

# CSVReportGeneratorOphthalmologyAlgorithmArgumentsConfig.
_CSV_REPORT_GENERATOR_ARGUMENTS: tuple[Argument, ...] = (
    _arg("save_path", "path", None, "deprecated", deprecated=_SAVE_PATH_DEPRECATED),
    _arg("trial_name", "str", None, "trial name written into the report", nullable=False),
    _arg("original_cols", "str_list", None, "source columns to include in the report"),
    _arg("aux_cols", "str_list", None, "auxiliary columns"),
    _arg("rename_columns", "str_mapping", None, "column -> new name", nullable=False),
    _arg("filter", "csv_filters", None, "row filters: [{column, operator, value, how}]"),
    _arg(
        "match_patient_visit",
        "patient_visit_match",
        None,
        "match rows of the same patient visit",
    ),
    _arg("matched_csv_path", "path", None, "where the matched CSV is written"),
    _arg("produce_matched_only", "bool", True, "only output matched rows", nullable=False),
    _arg("csv_extensions", "str_list", None, "extensions of the CSV files to produce"),
    _arg("produce_trial_notes_csv", "bool", False, "also write a trial-notes CSV", nullable=False),
    _arg(
        "sorting_columns",
        "choice_mapping",
        None,
        "column -> asc/desc",
        choices=SORT_ORDERS,
        nullable=False,
    ),
)

_DEPRECATED_ALGORITHMS: dict[str, str] = {
    "CSVReportGeneratorAlgorithm": "deprecated alias of bitfount.CSVReportAlgorithm",
    "CSVReportGeneratorOphthalmologyAlgorithm": "deprecated alias of bitfount.CSVReportAlgorithm",
}

ALGORITHMS: dict[str, Component] = {
    c.name: c
    for c in (
        *_GENERAL_ALGORITHMS,
        *_MIRRORED_DOMAIN_ALGORITHMS,
        *(
            _algorithm(
                n,
                why,
                "The old ophthalmology CSV report (CSVReportGeneratorOphthalmologyAlgorithmConfig "
                "takes both names); use bitfount.CSVReportAlgorithm.",
                _CSV_REPORT_GENERATOR_ARGUMENTS,
                deprecated=why,
            )
            for n, why in _DEPRECATED_ALGORITHMS.items()
        ),
    )
}

# Bitfount's PercentageSplitter and SplitterDefinedInData dataclasses
# (bitfount/data/datasplitters.py): ``data_split.args`` is loaded with either
# one's schema (marshmallow ``Union``, ``unknown=RAISE``), then the chosen
# splitter is built with ``**args``.
DATA_SPLITTER_ARGUMENTS: dict[str, tuple[Argument, ...]] = {
    "percentage": (
        _arg("validation_percentage", "int", 10, "% of rows for validation", nullable=False),
        _arg("test_percentage", "int", 10, "% of rows for testing", nullable=False),
        _arg("shuffle", "bool", True, "shuffle before splitting", nullable=False),
        _arg("seed", "int", 42, "random seed for the shuffle", nullable=False),
        _arg("iterative_splitting", "bool", False, "split file by file", nullable=False),
        # M_Union([String(), List(String())], allow_none=True)
        _arg("time_series_sort_by", "str_or_str_list", None, "sort by these columns instead"),
    ),
    "predefined": (
        _arg(
            "column_name",
            "str",
            "BITFOUNT_SPLIT_CATEGORY",
            "column holding the labels",
            nullable=False,
        ),
        _arg("training_set_label", "str", "TRAIN", nullable=False),
        _arg("validation_set_label", "str", "VALIDATION", nullable=False),
        _arg("test_set_label", "str", "TEST", nullable=False),
        _arg("infer_data_split_labels", "bool", False, nullable=False),
    ),
}
DATA_SPLIT_ARGS: dict[str, tuple[str, ...]] = {
    splitter: tuple(a.name for a in arguments)
    for splitter, arguments in DATA_SPLITTER_ARGUMENTS.items()
}

# The uploader's model check (``upload_task_templates._upload_model_and_weights``):
# ``issubclass(model_cls, BaseModelProtocol)``, a runtime-checkable Protocol whose
# members are ``__init__``, ``initialise_model`` and ``deserialize``. Else: "Model
# <file> must implement BaseModelProtocol." (after other files were uploaded).
MODEL_PROTOCOL_METHODS: tuple[str, ...] = ("initialise_model", "deserialize")
# Bitfount 13 classes that define (or inherit) both methods: models/base_models.py
# ``_BaseModel``, models/bitfount_model.py, backends/pytorch/models/bitfount_model.py,
# backends/pytorch/models/inference_model.py, backends/onnx/models.py, and the
# protocols of bitfount/types.py (subclassing a Protocol inherits its methods).
MODEL_BASES_WITH_PROTOCOL: frozenset[str] = frozenset(
    {
        "_BaseModel",
        "BitfountModel",
        "BasePyTorchBitfountModel",
        "PyTorchBitfountModel",
        "PyTorchBitfountModelv2",
        "_BaseInferenceModel",
        "PytorchInferenceModel",
        "PytorchLightningInferenceModel",
        "ONNXModel",
        "BaseModelProtocol",
        "ModelProtocol",
        "InferrableModelProtocol",
        "EvaluableModelProtocol",
        "BaseDistributedModelProtocol",
        "DistributedModelProtocol",
    }
)
# Bases known to define neither method (Python's, torch's, Lightning's, and
# Bitfount's mixins in models/base_models.py and backends/pytorch/models/base_models.py).
MODEL_BASES_WITHOUT_PROTOCOL: frozenset[str] = frozenset(
    {
        "object",
        "ABC",
        "Generic",
        "Module",
        "LightningModule",
        "ClassifierMixIn",
        "RegressorMixIn",
        "SegmentationMixIn",
        "PyTorchClassifierMixIn",
    }
)

# Those that need exactly one column in data_structure.select.include (derived).
SINGLE_COLUMN_ALGORITHMS: frozenset[str] = frozenset(
    name for name, c in ALGORITHMS.items() if one_selected_column in c.rules
)


def find_protocol(name: str) -> Component | None:
    return PROTOCOLS.get(name)


def find_algorithm(name: str) -> Component | None:
    return ALGORITHMS.get(name)


# --------------------------------------------------------------------------
# Top-level templatable fields of the task YAML (the reference marks them)
# --------------------------------------------------------------------------

TEMPLATABLE_TASK_FIELDS: frozenset[str] = frozenset(
    {
        "run_on_new_data_only",
        "test_run",
        "force_rerun_failed_files",
        "enable_anonymized_tracker_upload",
        "requires_ehr_connection",
        "data_structure.select.include",
        "data_structure.assign.image_cols",
        "data_structure.assign.image_prefix",
        "data_structure.filter",
    }
)
