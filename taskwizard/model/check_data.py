"""The checks of a task's ``data_structure`` beyond its schema: data split
arguments (from the catalog's splitters), file filters, schema requirements and
datasource types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from taskwizard.model import catalog
from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.problems import DocPath, Problem, error, path_key, warning
from taskwizard.model.schema import (
    convert_errors,
    describe,
    did_you_mean,
    one_of,
)
from taskwizard.model.schema_task import (
    splitter_arguments_model,
)


def check_data_structure(ds: Mapping[str, Any], path: DocPath, templated: bool) -> list[Problem]:
    problems: list[Problem] = []
    filters = ds.get("filter")
    if isinstance(filters, list):
        for i, f in enumerate(filters):
            if isinstance(f, Mapping):
                problems.extend(_check_filter(f, (*path, "filter", i), templated))

    split = ds.get("data_split")
    if isinstance(split, Mapping):
        problems.extend(_check_data_split(split, (*path, "data_split"), templated))

    requirements = ds.get("schema_requirements")
    if isinstance(requirements, Mapping):
        for level, names in requirements.items():
            if isinstance(names, list):
                for i, n in enumerate(names):
                    if isinstance(n, str) and n not in catalog.DATASOURCE_TYPES:
                        problems.append(
                            warning(
                                f"{n!r} is not a datasource type Bitfount 13 knows "
                                f"({one_of(catalog.DATASOURCE_TYPES, n)[12:]}",
                                (*path, "schema_requirements", level, i),
                            )
                        )
    compatible = ds.get("compatible_datasources")
    if isinstance(compatible, list):
        for i, n in enumerate(compatible):
            if isinstance(n, str) and n not in catalog.DATASOURCE_TYPES:
                suggestion = did_you_mean(n, catalog.DATASOURCE_TYPES)
                hint = f"; did you mean {suggestion!r}?" if suggestion else ""
                problems.append(
                    warning(
                        f"{n!r} is not a datasource type Bitfount 13 knows{hint}",
                        (*path, "compatible_datasources", i),
                    )
                )
    return problems


def _check_data_split(split: Mapping[str, Any], path: DocPath, templated: bool) -> list[Problem]:
    """``data_split.args`` against the chosen splitter's arguments (from the catalog)."""
    args = split.get("args")
    splitter = split.get("data_splitter", "percentage")
    if not isinstance(args, Mapping) or splitter not in catalog.DATA_SPLIT_ARGS:
        return []
    own = catalog.DATA_SPLIT_ARGS[splitter]
    apath: DocPath = (*path, "args")
    # marshmallow tries each splitter's schema in turn: all keys must belong to one.
    fits = [s for s, names in catalog.DATA_SPLIT_ARGS.items() if all(k in names for k in args)]
    problems: list[Problem] = []
    for key in args:
        if key in own:
            continue
        other = next((s for s, names in catalog.DATA_SPLIT_ARGS.items() if key in names), None)
        if other is not None and fits:
            problems.append(
                warning(
                    f"data_split.args: unknown key {key!r} for the {splitter} splitter (it "
                    f"belongs to the {other} one); Bitfount's schema lets it through but "
                    f"building the {splitter} splitter with it fails when the task runs "
                    f"(unexpected argument); it takes: {', '.join(own)}",
                    (*apath, path_key(key)),
                )
            )
            continue
        if other is not None:
            why = (
                f"it belongs to the {other} splitter and cannot be mixed with the {splitter} one's"
            )
        else:
            suggestion = did_you_mean(key, own)
            why = f"did you mean {suggestion!r}?" if suggestion else "no splitter takes it"
        problems.append(
            error(
                f'data_split.args: unknown key {key!r} (Bitfount refuses it: "Unknown '
                f'field."; {why}); the {splitter} splitter takes: {", ".join(own)}',
                (*apath, path_key(key)),
            )
        )
    known = {k: v for k, v in args.items() if k in own}
    model = splitter_arguments_model(splitter)
    try:
        model.model_validate(known, context={"templated": templated})
    except ValidationError as exc:
        problems.extend(convert_errors(exc, model, prefix=apath, templated=templated, data=known))
    return problems


FilterCheck = Callable[[str, Any, DocPath], list[Problem]]


def _check_filter(f: Mapping[str, Any], path: DocPath, templated: bool) -> list[Problem]:
    ftype = f.get("filter_type")
    value = f.get("value")
    if not isinstance(ftype, str) or (templated and is_placeholder(value)):
        return []
    if isinstance(value, dt.date):
        return []  # an error already (the schema's value check)
    check: FilterCheck
    if ftype in catalog.INT_FILTER_TYPES:
        check = _int_filter
    elif ftype in catalog.NUMBER_FILTER_TYPES:
        check = _number_filter
    elif ftype in catalog.DATE_FILTER_TYPES:
        check = _date_filter
    else:
        check = _OTHER_FILTER_CHECKS.get(ftype, _no_check)
    return check(ftype, value, (*path, "value"))


def _no_check(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    return []


def _int_filter(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    if isinstance(value, bool):
        return [error(f"{ftype} needs a whole number of frames, not {describe(value)}", vpath)]
    if not isinstance(value, int):
        return [warning(f"{ftype} should be a whole number (got {describe(value)})", vpath)]
    return []


def _number_filter(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [warning(f"{ftype} should be a number of MB (got {describe(value)})", vpath)]
    return []


def _date_filter(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    if isinstance(value, Mapping):
        if "year" not in value:
            return [warning(f"{ftype}: a date mapping needs year (and month, day)", vpath)]
        month, day = value.get("month"), value.get("day")
        if isinstance(month, int) and not 1 <= month <= 12:
            return [warning(f"{ftype}: month {month} is not a month", (*vpath, "month"))]
        if isinstance(day, int) and not 1 <= day <= 31:
            return [warning(f"{ftype}: day {day} is not a day of a month", (*vpath, "day"))]
        return []
    if not isinstance(value, str):
        return [
            warning(
                f"{ftype} should be a date: {{year, month, day}} or a quoted string "
                f"(got {describe(value)})",
                vpath,
            )
        ]
    return []


def _bool_filter(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    if not isinstance(value, bool):
        return [warning(f"{ftype} should be true or false (got {describe(value)})", vpath)]
    return []


def _names_filter(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return [warning(f"{ftype} should be a list of field names (got {describe(value)})", vpath)]
    return []


def _modality_filter(ftype: str, value: Any, vpath: DocPath) -> list[Problem]:
    if value not in catalog.MODALITIES:
        return [warning(f"modality {one_of(catalog.MODALITIES, value)}", vpath)]
    return []


_OTHER_FILTER_CHECKS: dict[str, FilterCheck] = {
    "check-required-fields": _bool_filter,
    "required-field-names": _names_filter,
    "modality": _modality_filter,
}
