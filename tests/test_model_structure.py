"""How model/ is put together: no import cycles, one spec per argument kind, rules
carried by components."""

from __future__ import annotations

import typing

import grimp

from taskwizard.model import catalog, kinds
from taskwizard.model.rules import one_of_steps_or_epochs, one_selected_column


def test_no_import_cycle_in_model() -> None:
    graph = grimp.build_graph("taskwizard")
    model = sorted(m for m in graph.modules if m.startswith("taskwizard.model."))
    on_a_cycle = [
        (a, b)
        for a in model
        for b in graph.find_modules_directly_imported_by(a)
        if b.startswith("taskwizard.model.") and graph.find_shortest_chain(importer=b, imported=a)
    ]
    assert on_a_cycle == []


def test_every_argument_kind_has_one_spec_used_by_the_schema_form_and_variables() -> None:
    from taskwizard.model.variables import FIELD_KINDS
    from taskwizard.tui.widgets.arguments import FIELD_KIND_OF, MAPPING_KINDS

    assert set(kinds.KINDS) == set(typing.get_args(kinds.ArgumentKind))
    for name, spec in kinds.KINDS.items():
        assert FIELD_KINDS[name] == spec.variable_types
        if spec.form in ("mapping", "str_mapping"):
            assert MAPPING_KINDS[name] == (spec.form == "mapping")
        elif spec.form != "yaml":
            assert FIELD_KIND_OF[name] == spec.form
    # Argument.kind is typed as the set of kinds (a typo fails mypy).
    assert typing.get_type_hints(catalog.Argument)["kind"] == kinds.ArgumentKind


def test_rules_across_fields_are_carried_by_components() -> None:
    assert one_of_steps_or_epochs in catalog.PROTOCOLS["bitfount.FederatedAveraging"].rules
    assert {
        name for name, c in catalog.ALGORITHMS.items() if one_selected_column in c.rules
    } == catalog.SINGLE_COLUMN_ALGORITHMS
    assert "bitfount.TIMMInference" in catalog.SINGLE_COLUMN_ALGORITHMS
