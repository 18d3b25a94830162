"""Argument kinds: what a value of a catalog argument must look like, one spec each.

Each :class:`KindSpec` says, in one place, everything that follows from a kind:

* ``schema``: the pydantic type the validator checks a value against
  (Bitfount's marshmallow field, mirrored);
* ``form``: the wizard's field that edits it (a text field, a number, a choice,
  a key/value editor, or raw YAML);
* ``variable_types``: the template-variable declaration types whose values can
  fill it, best first (the Variables step and Ctrl+B binding).

Adding a kind is one entry in :data:`ArgumentKind` and one in :data:`KINDS`;
:mod:`schema_task`, the arguments form and :mod:`variables` read them from here.
``Argument.kind`` is typed :data:`ArgumentKind`, so a typo fails mypy.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    Field,
    PlainValidator,
    ValidationInfo,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from taskwizard.model import vocabulary
from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.schema import (
    TEMPLATABLE,
    Forbid,
    describe,
    fail,
    fail_message,
    one_of,
    warn,
)


class ArgumentLike(Protocol):
    """What a kind's schema reads of a catalog ``Argument`` (kinds does not import the
    catalog, which imports kinds)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> ArgumentKind: ...

    @property
    def default(self) -> Any: ...

    @property
    def required(self) -> bool: ...

    @property
    def nullable(self) -> bool: ...

    @property
    def templatable(self) -> bool: ...

    @property
    def fields(self) -> Sequence[ArgumentLike]: ...

    @property
    def one_of_required(self) -> tuple[str, ...]: ...

    @property
    def choices(self) -> tuple[str, ...]: ...

    @property
    def case_insensitive(self) -> bool: ...

    @property
    def minimum(self) -> float | None: ...

    @property
    def maximum(self) -> float | None: ...

    @property
    def exclusive_minimum(self) -> bool: ...

    @property
    def pattern(self) -> str | None: ...

    @property
    def pattern_help(self) -> str: ...


__all__ = [
    "ARGUMENT_KINDS",
    "KINDS",
    "Aggregator",
    "ArgumentKind",
    "ColumnRange",
    "CsvFilter",
    "Float",
    "FormKind",
    "Int",
    "KindSpec",
    "PatientVisitMatch",
    "StrOrStrList",
    "Transformations",
    "argument_type",
    "choice_validator",
    "fields_model",
]

# ------------------------------------------------------------------ value checkers


def _str_or_str_list(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise fail(f"must be a column name or a list of column names (got {describe(value)})")


def _transformations(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str | Mapping) for v in value):
        return value
    raise fail(f"must be a list of transformation names or mappings (got {describe(value)})")


def choice_validator(options: tuple[str, ...], case_insensitive: bool) -> Any:
    lowered = {o.lower() for o in options}

    def check(value: Any) -> Any:
        if isinstance(value, str) and (
            value in options or (case_insensitive and value.lower() in lowered)
        ):
            return value
        raise fail(one_of(options, value))

    return PlainValidator(check)


def _marshmallow_int(value: Any, handler: Any) -> Any:
    # marshmallow's Integer refuses booleans and truncates a float (1.5 -> 1).
    if isinstance(value, bool):
        raise fail(f"must be a whole number (got {describe(value)})")
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        raise warn(
            f"is {value}: Bitfount reads it as {int(value)} (it drops the fraction); "
            "write a whole number"
        )
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return handler(value)


def _marshmallow_float(value: Any, handler: Any) -> Any:
    # marshmallow's Float refuses booleans, NaN and infinity.
    if isinstance(value, bool):
        raise fail(f"must be a number (got {describe(value)})")
    return handler(value)


def _int_or_str(value: Any) -> Any:
    # marshmallow_union.Union([Integer(), String()]): Integer first (it takes 4, 4.0,
    # "4" and truncates 4.5), else String (any string); booleans, lists and mappings
    # fail both.
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        if not value.is_integer():
            raise warn(
                f"is {value}: Bitfount reads it as {int(value)} (it drops the fraction); "
                "write a whole number"
            )
        return value
    raise fail(f"must be a whole number or a string (got {describe(value)})")


def _str(arg: ArgumentLike) -> Any:
    if arg.pattern is None:
        return str
    regex = re.compile(arg.pattern)
    what = arg.pattern_help or f"match {arg.pattern!r} at its start"

    def check(value: str) -> str:
        if regex.match(value) is None:
            raise fail(f"must {what} (got {describe(value)})")
        return value

    return Annotated[str, AfterValidator(check)]


Int = Annotated[int, WrapValidator(_marshmallow_int)]
Float = Annotated[float, AllowInfNan(False), WrapValidator(_marshmallow_float)]

StrOrStrList = Annotated[Any, PlainValidator(_str_or_str_list)]
Transformations = Annotated[Any, PlainValidator(_transformations)]


# ------------------------------------------------------------------ shared parts


class Aggregator(Forbid):
    secure: bool
    weights: dict[str, Float] | None = None


class ColumnRange(Forbid):
    lower: Int
    upper: Int


class CsvFilter(Forbid):
    column: str
    operator: Annotated[str, choice_validator(vocabulary.CSV_FILTER_OPERATORS, False)]
    value: Annotated[Any, PlainValidator(lambda v: _csv_filter_value(v))]
    how: Annotated[str, choice_validator(vocabulary.CSV_FILTER_HOW, False)] = "all"

    @field_validator("value", mode="after")
    @classmethod
    def _inequality_needs_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # Bitfount's ColumnFilter.__post_init__: float(value) for every operator
        # but the equality ones (operator is validated first: it comes first).
        operator = info.data.get("operator")
        if (
            operator is None
            or operator in vocabulary.CSV_FILTER_EQUALITY_OPERATORS
            or is_placeholder(value)
        ):
            return value
        try:
            float(value)
        except ValueError:
            raise PydanticCustomError(
                "tw_message",
                "{message}",
                {
                    "message": f"filter value {value!r} cannot be compared with "
                    f'{operator!r}: Bitfount refuses it ("Filter value `{value}` '
                    f'incompatible with operator type `{operator}`"); an inequality '
                    "needs a number, or use equal / not equal for text"
                },
            ) from None
        return value


def _csv_filter_value(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        if isinstance(value, dt.date):
            raise fail(
                f"must be a string or a number (got {describe(value)}: YAML reads it as a "
                f'date; quote it: "{value.isoformat()}")'
            )
        raise fail(f"must be a string or a number (got {describe(value)})")
    return value


class PatientVisitMatch(Forbid):
    cols_to_match: list[str]
    divergent_col: str
    date_time_col: str
    how: Annotated[str, choice_validator(vocabulary.MERGE_HOW, False)] = "outer"


# ------------------------------------------------------------------ the kinds

ArgumentKind = Literal[
    "str",
    "path",
    "int",
    "int_or_str",
    "int_list",
    "int_triple",
    "float",
    "float_list",
    "bool",
    "choice",
    "choice_list",
    "str_list",
    "str_or_str_list",
    "str_list_list",
    "code_groups",
    "str_mapping",
    "choice_mapping",
    "keyed_choice_int_mappings",
    "int_mapping",
    "sort_pairs",
    "mapping",
    "mapping_list",
    "transformations",
    "split_transformations",
    "aggregator",
    "csv_filters",
    "patient_visit_match",
    "column_ranges",
    "nested",
    "nested_list",
    "any",
]

#: The wizard field that edits a kind: the simple fields of ``tui/widgets/fields``,
#: a key/value editor (``mapping``: typed values; ``str_mapping``: strings), or YAML.
FormKind = Literal[
    "str", "int", "float", "bool", "choice", "multi", "str_list", "mapping", "str_mapping", "yaml"
]

_OBJECT: tuple[str, ...] = ("object",)


@dataclass(frozen=True)
class KindSpec:
    doc: str
    schema: Callable[[ArgumentLike], Any]
    form: FormKind
    variable_types: tuple[str, ...]


def _ranged(arg: ArgumentLike, base: Any, number: Callable[[float], float]) -> Any:
    """marshmallow's ``Range(min=, max=, min_inclusive=)`` as pydantic's ge/gt/le."""
    low = None if arg.minimum is None else number(arg.minimum)
    high = None if arg.maximum is None else number(arg.maximum)
    if low is None and high is None:
        return base
    exclusive = arg.exclusive_minimum
    return Annotated[
        base,
        Field(ge=None if exclusive else low, gt=low if exclusive else None, le=high),
    ]


def _int(arg: ArgumentLike) -> Any:
    return _ranged(arg, Int, int)


def _float(arg: ArgumentLike) -> Any:
    return _ranged(arg, Float, float)


def _split_transformations(arg: ArgumentLike) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise fail(
                f"must be a mapping of split name to transformations (got {describe(value)})"
            )
        for key in value:
            if key not in arg.choices:
                raise fail(f"keys {one_of(arg.choices, key)}")
        return value

    return Annotated[Any, PlainValidator(check)]


def _one_of(arg: ArgumentLike) -> Any:
    return Annotated[str, choice_validator(arg.choices, arg.case_insensitive)]


def _code_groups(value: Any) -> Any:
    # marshmallow_union.Union([List(String()), List(List(String(), Length(min=1)))]):
    # all strings, or all non-empty lists of strings; a mix fails both.
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return value
        if all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value):
            if any(not v for v in value):
                raise fail("must not hold an empty code list (Bitfount: Length(min=1))")
            return value
    raise fail(
        f"must be a list of codes, or a list of code lists (not a mix) (got {describe(value)})"
    )


def _keyed_choice_int_mappings(arg: ArgumentLike) -> Any:
    # Dict(keys=String(), values=Dict(keys=String(validate=OneOf(choices)), values=Integer()))
    def keys(value: Any) -> Any:
        if isinstance(value, Mapping):
            for outer, inner in value.items():
                if isinstance(inner, Mapping):
                    for key in inner:
                        if key not in arg.choices:
                            raise fail(f"keys of {outer!r} {one_of(arg.choices, key)}")
        return value

    return Annotated[dict[str, dict[str, Int]], BeforeValidator(keys)]


def _sort_pairs(arg: ArgumentLike) -> Any:
    # List(Tuple((String(), String(validate=OneOf(choices)))))
    def pair(value: Any) -> Any:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise fail(f"must be a [column, {'/'.join(arg.choices)}] pair (got {describe(value)})")
        return value

    item = Annotated[tuple[str, _one_of(arg)], BeforeValidator(pair)]  # type: ignore[misc,valid-type]
    return list[item]  # type: ignore[valid-type]


def _int_triple(arg: ArgumentLike) -> Any:
    # marshmallow's Tuple((Integer(), Integer(), Integer())): exactly three, each an Integer
    def check(value: Any) -> Any:
        if not isinstance(value, list | tuple) or len(value) != 3:
            raise fail(f"must be a list of three whole numbers (got {describe(value)})")
        return value

    item = _int(arg)
    return Annotated[tuple[item, item, item], BeforeValidator(check)]  # type: ignore[valid-type]


def _nested(arg: ArgumentLike) -> Any:
    return fields_model(f"{arg.name}Fields", arg.fields, one_of_required=arg.one_of_required)


# ------------------------------------------------------------------ arguments -> pydantic


def argument_type(arg: ArgumentLike) -> Any:
    """The pydantic type of an argument: its kind's schema, then null and template
    variables where the catalog allows them (a null it does not allow is refused in
    Bitfount's words)."""
    tp = KINDS[arg.kind].schema(arg)
    if arg.nullable and arg.kind != "any":
        tp = tp | None
    elif not arg.nullable:
        tp = Annotated[tp, BeforeValidator(_refuse_null(arg))]
    if arg.templatable:
        tp = Annotated[tp, TEMPLATABLE]
    return tp


def _refuse_null(arg: ArgumentLike) -> Callable[[Any], Any]:
    """A null for an argument Bitfount's schema builds with ``allow_none`` false, in
    Bitfount's words, saying what to do instead."""
    if arg.required or arg.default is None:
        todo = "give a value"
    else:
        todo = f"give a value, or remove the key to use the default ({describe(arg.default)})"
    message = f'may not be null (Bitfount: "Field may not be null."); {todo}'

    def check(value: Any) -> Any:
        if value is None:
            raise fail(message)
        return value

    return check


def fields_model(
    name: str,
    arguments: Sequence[ArgumentLike],
    *,
    all_optional: bool = False,
    one_of_required: tuple[str, ...] = (),
) -> type[BaseModel]:
    """A pydantic model of a desert schema given as arguments (unknown keys refused, as
    desert's ``unknown=RAISE`` schemas do): a component's ``arguments``, a splitter's
    ``args``, or a nested schema (kind ``nested``)."""
    fields: dict[str, Any] = {}
    for arg in arguments:
        default: Any = ... if arg.required and not all_optional else arg.default
        fields[arg.name] = (argument_type(arg), Field(default=default))
    validators: dict[str, Any] = {}
    if one_of_required:
        names = one_of_required
        wanted = " or a ".join(names)

        def either(model: BaseModel) -> BaseModel:
            if all(getattr(model, n) is None for n in names):
                raise fail_message(
                    f"needs a {wanted}: Bitfount refuses an entry with neither (its "
                    "__post_init__ raises)"
                )
            return model

        validators["one_of_required"] = model_validator(mode="after")(either)
    model: type[BaseModel] = create_model(
        name, __base__=Forbid, __validators__=validators, **fields
    )
    return model


KINDS: dict[ArgumentKind, KindSpec] = {
    "str": KindSpec(
        "a string (``pattern`` optional: marshmallow's Regexp, matched at the start)",
        _str,
        "str",
        ("string", "file_path", "model_slug", "schema_column_name"),
    ),
    "path": KindSpec(
        "a string naming a file or folder", lambda a: str, "str", ("file_path", "string")
    ),
    "int": KindSpec("a whole number (``minimum``, ``maximum`` optional)", _int, "int", ("number",)),
    "int_list": KindSpec(
        "a list of whole numbers",
        lambda a: list[_int(a)],  # type: ignore[misc]
        "yaml",
        (),  # Bitfount has no "array of numbers" variable type
    ),
    "int_triple": KindSpec(
        "three whole numbers (``minimum``/``maximum`` apply to each)",
        _int_triple,
        "yaml",
        (),  # Bitfount has no "array of numbers" variable type
    ),
    "int_or_str": KindSpec(
        "a whole number or a string (marshmallow Union of Integer and String)",
        lambda a: Annotated[Any, PlainValidator(_int_or_str)],
        "yaml",
        ("number", "string"),
    ),
    "float": KindSpec(
        "a number, ints accepted (``minimum``, ``exclusive_minimum``, ``maximum`` optional)",
        _float,
        "float",
        ("number",),
    ),
    "float_list": KindSpec(
        "a list of numbers",
        lambda a: list[_float(a)],  # type: ignore[misc]
        "yaml",
        (),  # Bitfount has no "array of numbers" variable type
    ),
    "bool": KindSpec(
        'true/false (Bitfount also accepts "yes"/"off" etc.)', lambda a: bool, "bool", ("boolean",)
    ),
    "choice": KindSpec(
        "one of ``choices`` (``case_insensitive`` optional)", _one_of, "choice", ("string",)
    ),
    "choice_list": KindSpec(
        "a list whose items are each one of ``choices``",
        lambda a: list[_one_of(a)],  # type: ignore[misc]
        "multi",
        ("array of strings",),
    ),
    "str_list": KindSpec(
        "a list of strings",
        lambda a: list[str],
        "str_list",
        ("array of strings", "schema_column_name_array"),
    ),
    "str_or_str_list": KindSpec(
        "a string or a list of strings (marshmallow Union of String and List(String))",
        lambda a: StrOrStrList,
        "yaml",
        ("string", "array of strings"),
    ),
    "str_list_list": KindSpec(
        "a list of lists of strings",
        lambda a: list[list[str]],
        "yaml",
        ("array of string arrays",),
    ),
    "code_groups": KindSpec(
        "a list of strings, or a list of non-empty lists of strings",
        lambda a: Annotated[Any, PlainValidator(_code_groups)],
        "yaml",
        ("array of strings", "array of string arrays"),
    ),
    "str_mapping": KindSpec(
        "a mapping of string -> string", lambda a: dict[str, str], "str_mapping", _OBJECT
    ),
    "choice_mapping": KindSpec(
        "a mapping of string -> one of ``choices``",
        lambda a: dict[str, _one_of(a)],  # type: ignore[misc]
        "str_mapping",
        _OBJECT,
    ),
    "keyed_choice_int_mappings": KindSpec(
        "a mapping of string -> {one of ``choices``: whole number}",
        _keyed_choice_int_mappings,
        "yaml",
        _OBJECT,
    ),
    "int_mapping": KindSpec(
        "a mapping of string -> whole number", lambda a: dict[str, Int], "yaml", _OBJECT
    ),
    "sort_pairs": KindSpec(
        "a list of [column, one of ``choices``] pairs (marshmallow Tuple(String, OneOf))",
        _sort_pairs,
        "yaml",
        ("array of objects",),
    ),
    "mapping": KindSpec(
        "a free mapping (not checked inside)", lambda a: dict[str, Any], "mapping", _OBJECT
    ),
    "mapping_list": KindSpec(
        "a list of mappings (not checked inside)",
        lambda a: list[dict[str, Any]],
        "yaml",
        ("array of objects", "task_filters"),
    ),
    "transformations": KindSpec(
        "a list whose items are strings or mappings",
        lambda a: Transformations,
        "yaml",
        ("array of objects", "array of strings"),
    ),
    "split_transformations": KindSpec(
        "a mapping of split name (one of ``choices``) -> ``transformations``; Bitfount "
        "checks only the names",
        _split_transformations,
        "yaml",
        _OBJECT,
    ),
    "aggregator": KindSpec(
        "``{secure: bool, weights: {pod-id: number} or null}``",
        lambda a: Aggregator,
        "yaml",
        _OBJECT,
    ),
    "csv_filters": KindSpec(
        "CSVReportAlgorithm's ``[{column, operator, value, how}]``",
        lambda a: list[CsvFilter],
        "yaml",
        ("array of objects",),
    ),
    "patient_visit_match": KindSpec(
        "``{cols_to_match, divergent_col, date_time_col, how}``",
        lambda a: PatientVisitMatch,
        "yaml",
        _OBJECT,
    ),
    "column_ranges": KindSpec(
        "mapping column -> ``{lower: int, upper: int}``",
        lambda a: dict[str, ColumnRange],
        "yaml",
        _OBJECT,
    ),
    "nested": KindSpec(
        "a mapping checked against ``fields`` (each an argument; unknown keys refused)",
        _nested,
        "yaml",
        _OBJECT,
    ),
    "nested_list": KindSpec(
        "a list of mappings, each checked against ``fields``",
        lambda a: list[_nested(a)],  # type: ignore[misc]
        "yaml",
        ("array of objects",),
    ),
    "any": KindSpec("anything", lambda a: Any, "yaml", vocabulary.VARIABLE_TYPES),
}

ARGUMENT_KINDS: tuple[ArgumentKind, ...] = typing.get_args(ArgumentKind)
assert set(KINDS) == set(ARGUMENT_KINDS), "every argument kind needs exactly one KindSpec"
