"""Ask Bitfount 13's own schemas which arguments take null; writes the verdicts that
tests/test_bitfount_nulls.py holds taskwizard to. A developer tool, never a dependency.

Bitfount 13 needs Python 3.12 and ~80 heavy packages; its config schemas need only
marshmallow and desert. So: a scratch venv with the SDK installed ``--no-deps`` plus
the schema libraries SDK 13 pins, and every other missing module stubbed (the stubs are
never called while a schema loads)::

    python3.12 -m venv /tmp/bf && /tmp/bf/bin/pip install --no-deps bitfount==13.0.0
    /tmp/bf/bin/pip install desert==2022.9.22 'marshmallow>=3.23,<3.27' \\
        'marshmallow-union~=0.1.15' 'marshmallow-polyfield~=5.11' marshmallow-enum \\
        pydantic pydantic-settings pyyaml protobuf
    cd /tmp && /tmp/bf/bin/python .../scripts/bitfount13_oracle.py > .../null_verdicts.json

With ``--values`` (written to ``value_verdicts.json``), each argument is tried with every
value of :data:`VALUES` instead of null (``null`` in the output: a ``__post_init__`` raised,
so the field's own verdict is unknown); each field of a nested schema (``arg.field``, or
``arg[].field`` in a list) with null and then every value.

For each protocol/algorithm config class (``ProtocolConfig``/``AlgorithmConfig``
subclasses, keyed by the ``bitfount.`` names its ``name`` field accepts) and each field
of its ``arguments`` schema, the arguments schema loads ``{field: null}``: the verdict
is whether that field reports an error (marshmallow's "Field may not be null.").
"""

from __future__ import annotations

import abc
import contextlib
import importlib.abc
import importlib.machinery
import json
import logging
import re
import sys
import types
import warnings
from typing import Any

REAL = {
    "marshmallow", "desert", "marshmallow_union", "marshmallow_polyfield", "marshmallow_enum",
    "typing_inspect", "attr", "attrs", "mypy_extensions", "typing_extensions", "bitfount",
    "yaml", "pydantic", "pydantic_settings", "pydantic_core", "annotated_types",
    "typing_inspection", "dotenv", "google",
}  # fmt: skip


class _Meta(abc.ABCMeta):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _make(name)

    def __getitem__(cls, item: Any) -> Any:
        return cls

    def __or__(cls, other: Any) -> Any:
        return cls

    def __ror__(cls, other: Any) -> Any:
        return cls

    def __call__(cls, *a: Any, **k: Any) -> Any:
        if len(a) == 1 and callable(a[0]) and not k:
            return a[0]  # used as a decorator
        return super().__call__(*a, **k)

    def __iter__(cls) -> Any:
        return iter(())


def _make(name: str) -> Any:
    return _Meta(
        name,
        (object,),
        {
            "__init__": lambda self, *a, **k: None,
            "__getattr__": lambda self, n: _make(n),
            "__call__": lambda self, *a, **k: (
                a[0] if len(a) == 1 and callable(a[0]) else _make("r")()
            ),
            "__iter__": lambda self: iter(()),
            "__bool__": lambda self: False,
            "__getitem__": lambda self, i: _make("i")(),
        },
    )


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name == "__version__":
            return "1.75.1"  # grpc's generated code compares it
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = _make(name)
        setattr(self, name, value)
        return value


class _Stubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.split(".")[0] in REAL:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            try:
                if finder.find_spec(fullname, path, target) is not None:  # type: ignore[attr-defined]
                    return None
            except Exception:
                pass
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> Any:
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: Any) -> None:
        pass


# The values tried on every argument for ``--values`` (null is ``null_verdicts.json``'s).
VALUES: list[Any] = [
    True, 0, 1, 7, -3, 1.5, "x", "3", "", "yes", [], {}, ["x"], [1], [["x"]],
    {"a": "b"}, {"a": 1}, "{{ v }}",
]  # fmt: skip


def _row(schema: Any, key: str, values: list[Any]) -> list[bool | None]:
    """Whether ``schema`` takes ``{key: value}`` for each value, as far as ``key`` goes."""
    import marshmallow

    row: list[bool | None] = []
    for value in values:
        try:
            schema.load({key: value}, many=False)  # one entry, also of a many=True Nested
            row.append(True)
        except marshmallow.ValidationError as e:
            row.append(not (isinstance(e.messages, dict) and key in e.messages))
        except Exception:  # a __post_init__ check: not this field's verdict
            row.append(None)
    return row


def _nested_schema(field: Any, fields: Any) -> tuple[Any, bool]:
    """The schema inside ``Nested``, ``List(Nested)`` or ``TemplatedOrTyped`` of either."""
    field = getattr(field, "inner_field", field)  # TemplatedOrTyped
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        return field.inner.schema, True
    if isinstance(field, fields.Nested):
        return field.schema, bool(field.many)
    return None, False


def main() -> None:
    values_mode = "--values" in sys.argv[1:]
    warnings.filterwarnings("ignore")
    sys.meta_path.insert(0, _Stubs())
    with contextlib.redirect_stdout(sys.stderr):  # its loggers print to stdout
        import bitfount  # noqa: F401  (its __init__ sets the import order)

    logging.disable(logging.CRITICAL)
    import desert
    import marshmallow
    from bitfount.runners.config_schemas.algorithm_schemas import AlgorithmConfig
    from bitfount.runners.config_schemas.protocol_schemas import ProtocolConfig
    from marshmallow import fields, validate

    versions = (
        f"desert {getattr(desert, '__version__', '?')}, marshmallow {marshmallow.__version__}"
    )
    verdicts: dict[str, dict[str, Any]] = {}
    for base in (ProtocolConfig, AlgorithmConfig):
        for cls in base._get_subclasses():
            schema = desert.schema(cls)
            names: list[str] = []
            for v in getattr(schema.fields.get("name"), "validators", []):
                if isinstance(v, validate.Equal):
                    names.append(v.comparable)
                elif isinstance(v, validate.OneOf):
                    names.extend(v.choices)
            arguments = schema.fields.get("arguments")
            if not isinstance(arguments, fields.Nested):
                continue
            nested = arguments.schema
            nulls: dict[str, Any] = {}
            for name, field in nested.fields.items():
                key = field.data_key or name
                if not values_mode:
                    try:
                        nested.load({key: None})
                        nulls[key] = True
                    except marshmallow.ValidationError as e:
                        nulls[key] = not (isinstance(e.messages, dict) and key in e.messages)
                    except Exception:  # a __post_init__ refusing the null
                        nulls[key] = False
                    continue
                nulls[key] = _row(nested, key, VALUES)
                # a nested desert schema: each of its fields too, null included
                inner, many = _nested_schema(field, fields)
                if inner is not None:
                    for inner_name, inner_field in inner.fields.items():
                        inner_key = inner_field.data_key or inner_name
                        label = f"{key}{'[]' if many else ''}.{inner_key}"
                        nulls[label] = _row(inner, inner_key, [None, *VALUES])
            for n in names:
                if n.startswith("bitfount."):
                    verdicts.setdefault(n, nulls)  # the first class the Union tries
    # the data splitters' args (DataSplitConfig.args: a Union of the two schemas)
    from bitfount.data.datasplitters import PercentageSplitter, SplitterDefinedInData

    splitters: dict[str, dict[str, Any]] = {}
    for splitter, cls in (
        ("percentage", PercentageSplitter),
        ("predefined", SplitterDefinedInData),
    ):
        schema = desert.schema(cls)
        splitters[splitter] = {
            field.data_key or name: _row(schema, field.data_key or name, [None, *VALUES])
            for name, field in schema.fields.items()
        }
    text = json.dumps(
        {
            "sdk": f"bitfount 13.0.0, {versions}",
            **({"values": VALUES, "nested_values": [None, *VALUES]} if values_mode else {}),
            ("accepted" if values_mode else "null_accepted"): {
                k: verdicts[k] for k in sorted(verdicts)
            },
            **({"data_split_args": splitters} if values_mode else {}),
        },
        indent=1,
    )
    # one line per argument's row of verdicts (and for the values), for readable diffs
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: json.dumps(json.loads(m.group())), text)
    sys.stdout.write(text)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
