"""The catalog is the one place the wizard and the validator read Bitfount's
vocabulary from: check it is complete where it must be and consistent."""

from __future__ import annotations

from taskwizard.model import catalog

GENERAL_PROTOCOLS = {
    "ResultsOnly",
    "FederatedAveraging",
    "InferenceAndCSVReport",
    "InferenceAndReturnCSVReport",
    "InferenceAndImageOutput",
    "InferenceAndCSVReportWithAggregateReporting",
    "InstrumentedInferenceAndCSVReport",
}
GENERAL_ALGORITHMS = {
    "ModelInference",
    "ModelTrainingAndEvaluation",
    "ModelEvaluation",
    "FederatedModelTraining",
    "CSVReportAlgorithm",
    "SqlQuery",
    "PrivateSqlQuery",
    "HuggingFacePerplexityEvaluation",
    "HuggingFaceTextGenerationInference",
    "HuggingFaceImageTextGenerationInference",
    "HuggingFaceImageClassificationInference",
    "HuggingFaceImageSegmentationInference",
    "HuggingFaceTextClassificationInference",
    "HuggingFaceNERInference",
    "TIMMInference",
    "TIMMFineTuning",
}


def test_vocabularies_match_bitfount_13() -> None:
    assert len(catalog.TEMPLATE_TYPES) == 13
    assert "image-text-to-text" in catalog.TEMPLATE_TYPES
    assert catalog.TAGS == (
        "Prediction",
        "Training",
        "Evaluation",
        "Querying",
        "Comparison",
        "File Selection",
        "Ophthalmology",
    )
    assert catalog.IDENTITY_VERIFICATION_METHODS == (
        "key-based",
        "oidc-auth-code",
        "oidc-device-code",
    )
    assert len(catalog.FILTER_TYPES) == 17
    assert catalog.SCHEMA_REQUIREMENT_LEVELS == ("empty", "partial", "full")


def test_task_versions() -> None:
    versions = catalog.KNOWN_TASK_VERSIONS
    assert catalog.LATEST_TASK_VERSION == "8.43.0"
    assert versions[0] == "7.0.0"
    for v in ("7.63.0", "8.0.0", "8.43.0", "9.0.0", "9.21.0", "2.0.0", "6.6.0"):
        assert v in versions
    for v in ("7.64.0", "8.44.0", "9.22.0", "10.0.0", "8.43"):
        assert v not in versions
    assert len(set(versions)) == len(versions)


def test_general_protocols_and_algorithms_are_complete() -> None:
    for short in GENERAL_PROTOCOLS:
        comp = catalog.find_protocol(f"bitfount.{short}")
        assert comp is not None and comp.general_purpose, short
        assert comp.kind == "protocol"
        assert comp.argument("aggregator") is not None
    for short in GENERAL_ALGORITHMS:
        comp = catalog.find_algorithm(f"bitfount.{short}")
        assert comp is not None and comp.general_purpose, short
        assert comp.kind == "algorithm"
        assert comp.summary and "\n" not in comp.summary


def test_argument_details_from_the_reference() -> None:
    fa = catalog.PROTOCOLS["bitfount.FederatedAveraging"]
    assert {a.name for a in fa.arguments} == {
        "aggregator",
        "steps_between_parameter_updates",
        "epochs_between_parameter_updates",
        "auto_eval",
        "secure_aggregation",
    }
    assert all(a.templatable for a in fa.arguments if a.name != "aggregator")
    hf = catalog.ALGORITHMS["bitfount.HuggingFaceImageClassificationInference"]
    model_id = hf.argument("model_id")
    assert model_id is not None and model_id.required and hf.arguments_required
    fmt = hf.argument("model_input_format")
    assert fmt is not None and fmt.choices == ("torch_tensor", "numpy_array")
    ner = catalog.ALGORITHMS["bitfount.HuggingFaceNERInference"]
    assert not ner.arguments_required
    csv = catalog.ALGORITHMS["bitfount.CSVReportAlgorithm"]
    save_path = csv.argument("save_path")
    assert save_path is not None and save_path.deprecated
    assert catalog.ALGORITHMS["bitfount.ModelTrainingAndEvaluation"].arguments == ()
    assert {c.short_name for c in catalog.ALGORITHMS.values() if c.takes_model} == {
        "ModelInference",
        "ModelTrainingAndEvaluation",
        "ModelEvaluation",
        "FederatedModelTraining",
    }
    psql = catalog.ALGORITHMS["bitfount.PrivateSqlQuery"]
    func = psql.argument("aggregation_func")
    assert func is not None and func.templatable and func.case_insensitive


def test_other_names_are_present_but_honest() -> None:
    for name in (
        "bitfount.GAScreeningProtocolAmethyst",
        "bitfount.WetAMDScreeningProtocolSapphire",
    ):
        comp = catalog.find_protocol(name)
        assert comp is not None and not comp.general_purpose
    for name in (
        "bitfount.CSVReportGeneratorAlgorithm",
        "bitfount.CSVReportGeneratorOphthalmologyAlgorithm",
    ):
        comp = catalog.find_algorithm(name)
        assert comp is not None and comp.deprecated
    for name in ("bitfount.PatientIDExtractAlgorithm", "bitfount.NextGenPatientQueryAlgorithm"):
        assert catalog.find_algorithm(name) is None  # not in Bitfount 13
    assert len(catalog.PROTOCOLS) >= 7 + 17


def test_every_argument_kind_is_known_and_help_is_one_line() -> None:
    for comp in (*catalog.PROTOCOLS.values(), *catalog.ALGORITHMS.values()):
        assert comp.name.startswith("bitfount.")
        for arg in comp.arguments:
            assert arg.kind in catalog.ARGUMENT_KINDS, (comp.name, arg.name)
            assert "\n" not in arg.help
            if arg.kind in ("choice", "choice_list"):
                assert arg.choices


def test_field_help_covers_the_wizard_fields() -> None:
    for key in (
        "slug",
        "title",
        "type",
        "description",
        "tags",
        "sampleDatasetDownloadUrl",
        "model_file",
        "weights_file",
        "private",
        "pods.identifiers",
        "modeller.identity_verification_method",
        "model_ref",
        "model_version",
        "username",
        "hyperparameters",
        "table",
        "target",
        "image_cols",
        "select.include",
        "select.exclude",
    ):
        assert catalog.FIELD_HELP[key].strip(), key


def test_every_known_component_has_an_arguments_model_matching_the_catalog() -> None:
    from taskwizard.model.schema_task import argument_model

    for comp in (*catalog.PROTOCOLS.values(), *catalog.ALGORITHMS.values()):
        model = argument_model(comp.name)
        assert list(model.model_fields) == [a.name for a in comp.arguments], comp.name
        required = {n for n, f in model.model_fields.items() if f.is_required()}
        assert required == {a.name for a in comp.arguments if a.required}, comp.name


def test_the_readme_lists_each_domain_component_as_mirrored_or_accepted_as_written() -> None:
    """README "How parity with Bitfount is kept" names exactly what the catalog mirrors."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    lists: dict[tuple[str, str], set[str]] = {}
    pattern = r"^- \*\*([^*\n]+)\*\* (protocols|algorithms): ([^.]+)\.$"
    for label, kind, text in re.findall(pattern, readme, re.M):
        text = " ".join(text.split()).split(" (and the deprecated")[0]
        names = {n.strip() for n in text.replace("\n", " ").split(",")}
        lists[(label, kind)] = set() if names == {"none"} else names
    for kind, table in (("protocols", catalog.PROTOCOLS), ("algorithms", catalog.ALGORITHMS)):
        domain = [c for c in table.values() if not c.general_purpose and not c.deprecated]
        assert lists[("Mirrored", kind)] == {c.short_name for c in domain}
