"""Validation of task-templates configs and task YAMLs, as Bitfount 13 does it
(and a little better: it says where and what to change).

``validate_task`` and ``validate_config`` are pure and fast (the wizard calls
them on every keystroke): plain data in, path-based :class:`Problem` s out.
``check_*`` look at the file system; ``validate_paths`` reads files with
positions and returns one :class:`FileReport` per file.

Severity policy: a file Bitfount accepts (schema and the runtime checks it
makes before a task runs) is never given an error, only warnings; the YAML
traps :mod:`yamlio` reports are the exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from taskwizard.model import catalog
from taskwizard.model.catalog import Component
from taskwizard.model.modelfile import check_model_file, check_weights_file
from taskwizard.model.names import USERNAME_RE
from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.problems import DocPath, Problem, error, warning
from taskwizard.model.rules import EntryContext
from taskwizard.model.schema import (
    convert_errors,
    describe,
    did_you_mean,
    one_of,
    unknown_key_message,
)
from taskwizard.model.schema_config import CONFIG_ADAPTER, TaskTemplatesConfig
from taskwizard.model.schema_task import (
    POD_NAME_RE,
    TASK_ADAPTER,
    AlgorithmEntry,
    ModelAlgorithmEntry,
    ProtocolEntry,
    TaskYaml,
    argument_model,
    splitter_arguments_model,
)
from taskwizard.model.slug import sanitise_slug
from taskwizard.model.vocabulary import task_major_version

__all__ = [
    "FileReport",
    "check_config_files",
    "check_model_file",
    "check_task_files",
    "check_weights_file",
    "detect_kind",
    "find_config_file",
    "locate",
    "task_major_version",
    "validate_config",
    "validate_paths",
    "validate_task",
]

Kind = Literal["config", "task", "unknown"]

_TASK_KEYS = frozenset(
    {"pods", "task", "modeller", "template", "version", "secrets", "hub", "message_service"}
)


# ====================================================================== detection


def detect_kind(data: Any) -> Kind:
    """Which of Bitfount's two formats ``data`` is (by its top-level keys)."""
    if not isinstance(data, Mapping):
        return "unknown"
    keys = {k for k in data if isinstance(k, str)}
    normalised = {k.lower().replace("_", "-") for k in keys}
    if normalised & set(catalog.CONFIG_TOP_LEVEL_KEYS):
        return "config"
    if keys & _TASK_KEYS or keys & set(catalog.V9_FLOW_KEYS) or "data_structure" in keys:
        return "task"
    # Misspelt keys only (``task_template:``, ``taks:``): guess, so the unknown-key
    # messages can say what was meant.
    for key in keys:
        if did_you_mean(key, catalog.CONFIG_TOP_LEVEL_KEYS):
            return "config"
    for key in keys:
        if did_you_mean(key, ("pods", "task", "modeller")):
            return "task"
    return "unknown"


# ====================================================================== task YAML


def validate_task(data: Any) -> list[Problem]:
    """Every problem Bitfount 13 would find in a task YAML (or template), path-based."""
    if data is None:
        return [error("the task YAML is empty: it needs at least pods: and task:")]
    if not isinstance(data, Mapping):
        return [error(f"a task YAML must be a mapping with pods: and task: (got {describe(data)})")]
    if "task" not in data and any(k in data for k in catalog.V9_FLOW_KEYS):
        return [
            warning(
                "this looks like a v9 flow spec (federation/roles/worker); taskwizard checks "
                "only v7/v8 task YAMLs (pods: and task:), so it was not validated"
            )
        ]
    templated = "template" in data
    context = {"templated": templated}
    problems: list[Problem] = []

    body: Mapping[str, Any] = data
    if "data_structure" in data:
        problems.append(
            error(
                "data_structure belongs under task: (Bitfount 13 rejects it at the top level "
                "as an unknown field); move it into task:",
                ("data_structure",),
            )
        )
        body = {k: v for k, v in data.items() if k != "data_structure"}

    try:
        TASK_ADAPTER.validate_python(body, context=context)
    except ValidationError as exc:
        for p in convert_errors(exc, TaskYaml, templated=templated, data=body):
            if p.path == ("task", "data_structure") and p.message.endswith("is required"):
                p = error(
                    "data_structure is required under task: (an empty mapping "
                    "`data_structure: {}` is enough)",
                    p.path,
                )
            problems.append(p)

    task = data.get("task")
    if isinstance(task, Mapping):
        problems.extend(_check_task(task, templated))
    problems.extend(_check_top_level(data, templated))

    if templated:
        problems.extend(_template_variable_problems(data))
    return problems


def _template_variable_problems(data: Mapping[str, Any]) -> list[Problem]:
    from taskwizard.model.variables import check_template_variables

    return check_template_variables(data, validate_task)


def _check_top_level(data: Mapping[str, Any], templated: bool) -> list[Problem]:
    problems: list[Problem] = []
    version = data.get("version")
    if isinstance(version, str):
        major = task_major_version(data)
        if major >= 9 and "task" in data:
            problems.append(
                warning(
                    f"version {version!r}: in Bitfount 13 a major version of 9 or more only "
                    "switches the uploader's model username/version rewrites to the v9 path, "
                    "which looks under config: — so the models in this file's task.algorithm "
                    "do not get the uploader's username or the uploaded model's version. "
                    f'For a pods/task file write version: "{catalog.LATEST_TASK_VERSION}"',
                    ("version",),
                )
            )
        elif version not in catalog.KNOWN_TASK_VERSIONS and not is_placeholder(version):
            problems.append(
                warning(
                    f"version {version!r} is not one Bitfount 13 lists (it only warns); "
                    f'the latest v8 is "{catalog.LATEST_TASK_VERSION}"',
                    ("version",),
                )
            )

    pods = data.get("pods")
    identifiers = pods.get("identifiers") if isinstance(pods, Mapping) else None
    if isinstance(identifiers, list):
        if not identifiers:
            problems.append(
                error(
                    'pods.identifiers is empty: Bitfount refuses a task with no pod ("Must '
                    'provide at least one `pod_identifier`"); list at least one pod, e.g. '
                    "identifiers: [owner/pod-name]",
                    ("pods", "identifiers"),
                )
            )
        seen: set[str] = set()
        for i, pod in enumerate(identifiers):
            if not isinstance(pod, str) or (templated and is_placeholder(pod)):
                continue
            message = _pod_id_problem(pod)
            if message:
                problems.append(error(message, ("pods", "identifiers", i)))
            elif pod in seen:
                problems.append(warning(f"pod {pod!r} is listed twice", ("pods", "identifiers", i)))
            seen.add(pod)

    task = data.get("task")
    aggregator = task.get("aggregator") if isinstance(task, Mapping) else None
    weights = aggregator.get("weights") if isinstance(aggregator, Mapping) else None
    if isinstance(weights, Mapping) and isinstance(identifiers, list):
        pod_ids = [p for p in identifiers if isinstance(p, str)]
        for key in weights:
            if not isinstance(key, str) or any(
                key == p or p.endswith("/" + key) or key.endswith("/" + p) for p in pod_ids
            ):
                continue
            problems.append(
                warning(
                    f"aggregator weight for {key!r}, which is not one of the task's pods; "
                    "Bitfount needs one weight per pod id (owner/pod-name)",
                    ("task", "aggregator", "weights", key),
                )
            )

    modeller = data.get("modeller")
    username = modeller.get("username") if isinstance(modeller, Mapping) else None
    if (
        isinstance(username, str)
        and username != "_default"
        and username[:1].isalnum()
        and username[:1] == username[:1].lower()
        and not USERNAME_RE.match(username)
        and not is_placeholder(username)
    ):
        problems.append(
            warning(
                f"modeller.username {username!r} passes Bitfount's schema but is not a valid "
                "Bitfount username (1-39 lowercase letters or digits, '-' or '_' only between "
                "them)",
                ("modeller", "username"),
            )
        )
    return problems


def _pod_id_problem(pod: str) -> str | None:
    """Bitfount's runtime pod id rule (``_check_and_update_pod_ids``)."""
    parts = pod.split("/")
    if len(parts) > 2:
        return f"pod id {pod!r} is not valid: write 'owner/pod-name' or just 'pod-name'"
    name = parts[-1]
    if len(parts) == 2 and not USERNAME_RE.match(parts[0]):
        return (
            f"pod id {pod!r}: the owner {parts[0]!r} is not a valid Bitfount username "
            "(lowercase letters and digits, '-' or '_' between them)"
        )
    if not POD_NAME_RE.match(name):
        return (
            f'pod id {pod!r}: Bitfount rejects this pod name ("Invalid Pod name"); pod names '
            "are lowercase letters and digits in groups joined by single '-' or '_'"
        )
    return None


def _check_task(task: Mapping[str, Any], templated: bool) -> list[Problem]:
    problems: list[Problem] = []
    context = {"templated": templated}
    tpath: DocPath = ("task",)

    # ---- protocol
    protocol_component: Component | None = None
    if "protocol" in task:
        protocol_component = _check_entry(
            task["protocol"], "protocol", (*tpath, "protocol"), context, problems
        )

    # ---- algorithms
    algorithms: list[tuple[DocPath, Component]] = []
    raw = task.get("algorithm")
    if "algorithm" in task:
        apath: DocPath = (*tpath, "algorithm")
        if isinstance(raw, list):
            if not raw:
                problems.append(
                    warning(
                        "algorithm: [] passes Bitfount's schema but a task with no algorithm "
                        "can never run; add at least one algorithm",
                        apath,
                    )
                )
            for i, entry in enumerate(raw):
                comp = _check_entry(entry, "algorithm", (*apath, i), context, problems)
                if comp is not None:
                    algorithms.append(((*apath, i), comp))
        elif raw is None:
            problems.append(
                error("algorithm must be an algorithm mapping or a list of them", apath)
            )
        else:
            comp = _check_entry(raw, "algorithm", apath, context, problems)
            if comp is not None:
                algorithms.append((apath, comp))

    # ---- rules across fields, carried by the components (catalog / rules.py)
    data_structure = task.get("data_structure")
    ds = data_structure if isinstance(data_structure, Mapping) else {}
    entries: list[tuple[DocPath, Component]] = list(algorithms)
    if protocol_component is not None:
        entries.insert(0, ((*tpath, "protocol"), protocol_component))
    for epath, comp in entries:
        entry = _get_in(task, epath[1:])
        ctx = EntryContext(comp.name, entry, epath, task, templated)
        for rule in comp.rules:
            problems.extend(p for p in rule(ctx) if p not in problems)

    if protocol_component is not None and protocol_component.supported_algorithms is not None:
        for apath_i, comp in algorithms:
            if comp.name not in protocol_component.supported_algorithms:
                problems.append(
                    error(
                        f"{protocol_component.name} does not support {comp.name} (Bitfount "
                        f"raises a TypeError when the task starts); it runs: "
                        f"{_short_names(protocol_component.supported_algorithms)}",
                        (*apath_i, "name"),
                    )
                )

    protocol = task.get("protocol")
    proto_args = protocol.get("arguments") if isinstance(protocol, Mapping) else None
    if isinstance(proto_args, Mapping):
        problems.extend(
            _check_aggregator(
                proto_args.get("aggregator"), ("task", "protocol", "arguments", "aggregator")
            )
        )
    problems.extend(_check_aggregator(task.get("aggregator"), (*tpath, "aggregator")))

    problems.extend(_check_data_structure(ds, (*tpath, "data_structure"), templated))
    return problems


def _short_names(names: Sequence[str]) -> str:
    return ", ".join(n.removeprefix("bitfount.") for n in names)


def _check_entry(
    entry: Any,
    kind: Literal["protocol", "algorithm"],
    path: DocPath,
    context: dict[str, Any],
    problems: list[Problem],
) -> Component | None:
    """One protocol/algorithm entry, dispatched on its name; returns its catalog entry."""
    if not isinstance(entry, Mapping):
        problems.append(
            error(
                f"{kind} must be a mapping with name: (and arguments:) (got {describe(entry)})",
                path,
            )
        )
        return None
    if "name" not in entry:
        problems.append(
            error(f"{kind} name is required (e.g. name: bitfount.ModelInference)", (*path, "name"))
        )
        return None
    component = _resolve_name(entry["name"], kind, (*path, "name"), problems)
    if component is None:
        return None

    if component.arguments_known:
        entry_model: type[BaseModel]
        if kind == "protocol":
            entry_model = ProtocolEntry
        elif component.takes_model:
            entry_model = ModelAlgorithmEntry
        else:
            entry_model = AlgorithmEntry
        try:
            entry_model.model_validate(entry, context=context)
        except ValidationError as exc:
            problems.extend(
                convert_errors(
                    exc,
                    entry_model,
                    prefix=path,
                    templated=bool(context["templated"]),
                    data=entry,
                )
            )
    else:
        allowed = {"name", "arguments", "model", "pretrained_file"}
        for key in entry:
            if key not in allowed:
                problems.append(
                    warning(
                        f"unknown key {key!r} in {component.name} (taskwizard does not know "
                        "this component's fields; Bitfount may reject it)",
                        (*path, key),
                    )
                )

    apath: DocPath = (*path, "arguments")
    has_args = "arguments" in entry
    args = entry.get("arguments")
    required_args = [a.name for a in component.arguments if a.required]
    empty = args is None or (isinstance(args, Mapping) and not args)
    if has_args and args is None and (kind == "algorithm" or component.arguments_required):
        problems.append(
            error(
                "arguments: has no value, so YAML reads it as null and Bitfount refuses it "
                '("Field may not be null."); write the arguments indented under it, or remove '
                "the arguments: line",
                apath,
            )
        )
    elif kind == "algorithm" and has_args and empty:
        if required_args:
            message = f"arguments is empty: {component.name} needs {', '.join(required_args)}"
        else:
            message = (
                "an empty arguments mapping on an algorithm is rejected by Bitfount 13 "
                '(it stops with "Must supply `patient_ids_file` in task input."); '
                "omit arguments"
            )
        problems.append(error(message, apath))
    elif not has_args and component.arguments_required:
        needs = ", ".join(required_args) or "its arguments"
        problems.append(error(f"arguments is required: {component.name} needs {needs}", apath))
    elif isinstance(args, Mapping) and component.arguments_known:
        model = argument_model(component.name)
        try:
            model.model_validate(args, context=context)
        except ValidationError as exc:
            problems.extend(
                convert_errors(
                    exc, model, prefix=apath, templated=bool(context["templated"]), data=args
                )
            )
        for arg in component.arguments:
            if arg.deprecated and arg.name in args:
                problems.append(warning(f"{arg.deprecated}; remove it", (*apath, arg.name)))
    if component.takes_model:
        _check_model(entry, component, path, problems)
    return component


def _resolve_name(
    name: Any, kind: Literal["protocol", "algorithm"], path: DocPath, problems: list[Problem]
) -> Component | None:
    table = catalog.PROTOCOLS if kind == "protocol" else catalog.ALGORITHMS
    other = catalog.ALGORITHMS if kind == "protocol" else catalog.PROTOCOLS
    other_kind = "algorithm" if kind == "protocol" else "protocol"
    if not isinstance(name, str):
        problems.append(error(f"{kind} name must be a string (got {describe(name)})", path))
        return None
    if is_placeholder(name):
        problems.append(
            error(
                f"the {kind} name cannot be a template variable: Bitfount picks the {kind} by "
                "its name when it checks the template, before substituting",
                path,
            )
        )
        return None
    component = table.get(name)
    if component is not None:
        if component.deprecated:
            problems.append(warning(f"{name} is a {component.deprecated}", path))
        return component
    prefixed = name if name.startswith("bitfount.") else f"bitfount.{name}"
    if prefixed in other or did_you_mean(prefixed, other) == prefixed:
        problems.append(
            error(
                f"{prefixed} is a Bitfount {other_kind}, not a {kind}; "
                f"put it under task.{other_kind}",
                path,
            )
        )
        return None
    if not name.startswith("bitfount."):
        if prefixed in table and not table[prefixed].general_purpose:
            # A few domain-specific classes still accept their legacy unprefixed name.
            problems.append(
                warning(
                    f"write {prefixed!r}: only a few domain-specific {kind}s still accept "
                    f"their old name without the 'bitfount.' prefix",
                    path,
                )
            )
            return table[prefixed]
        if prefixed in table:
            problems.append(
                error(
                    f"{kind} name {name!r} needs the 'bitfount.' prefix: write {prefixed!r} "
                    f"(without it Bitfount can only match its plugin fallback, which modeller "
                    f"tasks refuse)",
                    path,
                )
            )
            return None
        suggestion = did_you_mean(prefixed, table)
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        problems.append(
            error(
                f"{name!r} is not a Bitfount {kind}: built-in names start with 'bitfount.' "
                f"(plugin {kind}s cannot be used in modeller tasks){hint}",
                path,
            )
        )
        return None
    suggestion = did_you_mean(name, table)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    problems.append(
        error(
            f"{name!r} is not a Bitfount {kind} (names starting with 'bitfount.' are reserved "
            f"for Bitfount's own){hint}",
            path,
        )
    )
    return None


def _check_model(
    entry: Mapping[str, Any], component: Component, path: DocPath, problems: list[Problem]
) -> None:
    model = entry.get("model")
    mpath: DocPath = (*path, "model")
    if model is None:
        problems.append(
            warning(
                f"{component.name} has no model: Bitfount accepts the file but the task "
                "cannot run without model.bitfount_model (model_ref, model_version)",
                # At the model reference it lacks: the wizard's F8 lands on that field;
                # in a file the position falls back to the algorithm entry.
                (*mpath, "bitfount_model", "model_ref"),
            )
        )
        return
    if not isinstance(model, Mapping):
        return  # reported by the schema
    name = model.get("name")
    if name:
        problems.append(
            error(
                'model.name is no longer supported ("Model name support has been removed. '
                'Must specify a bitfount model."); use model.bitfount_model with model_ref',
                (*mpath, "name"),
            )
        )
    if model.get("bitfount_model") is None:
        problems.append(
            error(
                "No model specified: add model.bitfount_model with model_ref (the model's "
                "name on the Hub) and model_version",
                (*mpath, "bitfount_model"),
            )
        )
    if model.get("dp_config") is not None:
        problems.append(
            warning(
                "dp_config: Bitfount refuses differential privacy with custom models "
                "(bitfount_model) when the task runs",
                (*mpath, "dp_config"),
            )
        )


def _get_in(data: Mapping[str, Any], path: DocPath) -> Mapping[str, Any]:
    node: Any = data
    for step in path:
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return {}
    return node if isinstance(node, Mapping) else {}


def _check_aggregator(aggregator: Any, path: DocPath) -> list[Problem]:
    secure = isinstance(aggregator, Mapping) and aggregator.get("secure") is True
    if secure and aggregator.get("weights"):
        return [
            error(
                'secure aggregation does not support weights ("SecureAggregation does not '
                'support update weighting"): remove weights or set secure: false',
                (*path, "weights"),
            )
        ]
    return []


def _check_data_structure(ds: Mapping[str, Any], path: DocPath, templated: bool) -> list[Problem]:
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
                    (*apath, _key(key)),
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
                (*apath, _key(key)),
            )
        )
    known = {k: v for k, v in args.items() if k in own}
    model = splitter_arguments_model(splitter)
    try:
        model.model_validate(known, context={"templated": templated})
    except ValidationError as exc:
        problems.extend(convert_errors(exc, model, prefix=apath, templated=templated, data=known))
    return problems


def _check_filter(f: Mapping[str, Any], path: DocPath, templated: bool) -> list[Problem]:
    ftype = f.get("filter_type")
    value = f.get("value")
    vpath: DocPath = (*path, "value")
    if not isinstance(ftype, str) or (templated and is_placeholder(value)):
        return []
    if isinstance(value, dt.date):
        return []  # an error already (the schema's value check)
    if ftype in catalog.INT_FILTER_TYPES:
        if isinstance(value, bool):
            return [error(f"{ftype} needs a whole number of frames, not {describe(value)}", vpath)]
        if not isinstance(value, int):
            return [warning(f"{ftype} should be a whole number (got {describe(value)})", vpath)]
    elif ftype in catalog.NUMBER_FILTER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [warning(f"{ftype} should be a number of MB (got {describe(value)})", vpath)]
    elif ftype in catalog.DATE_FILTER_TYPES:
        if isinstance(value, Mapping):
            if "year" not in value:
                return [warning(f"{ftype}: a date mapping needs year (and month, day)", vpath)]
            month, day = value.get("month"), value.get("day")
            if isinstance(month, int) and not 1 <= month <= 12:
                return [warning(f"{ftype}: month {month} is not a month", (*vpath, "month"))]
            if isinstance(day, int) and not 1 <= day <= 31:
                return [warning(f"{ftype}: day {day} is not a day of a month", (*vpath, "day"))]
        elif not isinstance(value, str):
            return [
                warning(
                    f"{ftype} should be a date: {{year, month, day}} or a quoted string "
                    f"(got {describe(value)})",
                    vpath,
                )
            ]
    elif ftype == "check-required-fields" and not isinstance(value, bool):
        return [warning(f"{ftype} should be true or false (got {describe(value)})", vpath)]
    elif ftype == "required-field-names" and not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return [warning(f"{ftype} should be a list of field names (got {describe(value)})", vpath)]
    elif ftype == "modality" and value not in catalog.MODALITIES:
        return [warning(f"modality {one_of(catalog.MODALITIES, value)}", vpath)]
    return []


# ====================================================================== task-templates config


def validate_config(data: Any) -> list[Problem]:
    """Every problem with a task-templates config itself (no files read), path-based."""
    if data is not None and not isinstance(data, Mapping):
        return [
            error(
                "a task-templates config must be a mapping with task-templates:, models: and/or "
                f"deprecated-task-templates: (got {describe(data)})"
            )
        ]
    unknown_top = [
        warning(unknown_key_message(key, catalog.CONFIG_TOP_LEVEL_KEYS, ignored=True), (_key(key),))
        for key in (data or {})
        if key not in catalog.CONFIG_TOP_LEVEL_KEYS
    ]
    if data is None or all(not data.get(k) for k in catalog.CONFIG_TOP_LEVEL_KEYS):
        return [
            error(
                "the task-templates config is empty (Bitfount's uploader logs \"Config file is "
                'empty" and does nothing): add task-templates: entries'
            ),
            *unknown_top,
        ]
    problems: list[Problem] = []
    try:
        CONFIG_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems.extend(convert_errors(exc, TaskTemplatesConfig, ignored_unknown=True))

    problems.extend(unknown_top)

    templates = data.get("task-templates")
    if isinstance(templates, list):
        problems.extend(_check_template_entries(templates))
    models = data.get("models")
    if isinstance(models, list):
        problems.extend(_check_model_entries(models))
    deprecated = data.get("deprecated-task-templates")
    if isinstance(deprecated, list):
        live = (
            {
                sanitise_slug(e["slug"])
                for e in templates or []
                if isinstance(e, Mapping) and isinstance(e.get("slug"), str)
            }
            if isinstance(templates, list)
            else set()
        )
        for i, entry in enumerate(deprecated):
            if not isinstance(entry, Mapping):
                continue
            problems.extend(_unknown_entry_keys(entry, ("slug",), ("deprecated-task-templates", i)))
            slug = entry.get("slug")
            if isinstance(slug, str) and sanitise_slug(slug) in live:
                problems.append(
                    warning(
                        f"slug {slug!r} is both uploaded (task-templates) and archived "
                        "(deprecated-task-templates); the upload archives it again",
                        ("deprecated-task-templates", i, "slug"),
                    )
                )
    return problems


def _key(key: Any) -> str | int:
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


def _unknown_entry_keys(
    entry: Mapping[Any, Any], allowed: Sequence[str], path: DocPath
) -> list[Problem]:
    return [
        warning(unknown_key_message(key, allowed, ignored=True), (*path, _key(key)))
        for key in entry
        if key not in allowed
    ]


_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "classification": ("image-classification", "text-classification", "tabular-classification"),
    "segmentation": ("image-segmentation",),
    "regression": ("tabular-regression",),
    "detection": ("object-detection",),
    "generation": ("text-generation",),
}


def _check_template_entries(templates: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    by_slug: dict[str, list[tuple[int, str]]] = {}
    for i, entry in enumerate(templates):
        epath: DocPath = ("task-templates", i)
        if not isinstance(entry, Mapping):
            continue
        problems.extend(_unknown_entry_keys(entry, catalog.TEMPLATE_ENTRY_KEYS, epath))
        slug = entry.get("slug")
        if isinstance(slug, str):
            clean = sanitise_slug(slug)
            if not clean:
                problems.append(
                    error(
                        f"slug {slug!r} has no letters or digits: Bitfount would sanitise it to "
                        "an empty slug",
                        (*epath, "slug"),
                    )
                )
            else:
                by_slug.setdefault(clean, []).append((i, slug))
                if clean != slug:
                    problems.append(
                        warning(
                            f"slug {slug!r} becomes {clean!r} on the Hub (Bitfount sanitises "
                            f"slugs); write slug: {clean}",
                            (*epath, "slug"),
                        )
                    )
        template = entry.get("template")
        if isinstance(template, str) and not template.strip():
            problems.append(
                error("template is empty: name the task YAML file", (*epath, "template"))
            )
        for name in ("title", "description"):
            value = entry.get(name)
            if isinstance(value, str) and not value.strip():
                problems.append(warning(f"{name} is empty", (*epath, name)))
        ttype = entry.get("type")
        if isinstance(ttype, str) and ttype in catalog.TEMPLATE_TYPES:
            words = " ".join(
                v for v in (entry.get("slug"), entry.get("title")) if isinstance(v, str)
            ).lower()
            for word, types in _TYPE_WORDS.items():
                if word in words and ttype not in types and word not in ttype:
                    problems.append(
                        warning(
                            f"type is {ttype!r} but the slug/title says {word!r}; check the type",
                            (*epath, "type"),
                        )
                    )
                    break
        tags = entry.get("tags")
        if isinstance(tags, list):
            seen: set[Any] = set()
            for j, tag in enumerate(tags):
                if isinstance(tag, str) and tag in seen:
                    problems.append(warning(f"tag {tag!r} is listed twice", (*epath, "tags", j)))
                seen.add(tag if isinstance(tag, str) else id(tag))
        url = entry.get("sampleDatasetDownloadUrl")
        if isinstance(url, str) and not url.lower().startswith(("http://", "https://")):
            problems.append(
                warning(
                    f"sampleDatasetDownloadUrl {url!r} does not look like a URL (Bitfount does "
                    "not check it)",
                    (*epath, "sampleDatasetDownloadUrl"),
                )
            )
        overrides = entry.get("model_overrides")
        if isinstance(overrides, Mapping):
            for section, override in overrides.items():
                if isinstance(override, Mapping):
                    problems.extend(
                        _unknown_entry_keys(
                            override,
                            ("model_ref", "model_username", "model_version"),
                            (*epath, "model_overrides", _key(section)),
                        )
                    )
    for clean, entries in by_slug.items():
        if len(entries) < 2:
            continue
        for i, slug in entries:
            others = ", ".join(f"task-templates[{j}] ({other!r})" for j, other in entries if j != i)
            problems.append(
                error(
                    f"slug {slug!r} sanitises to {clean!r}, the same as {others}: Bitfount "
                    "refuses duplicate task template slugs",
                    ("task-templates", i, "slug"),
                )
            )
    return problems


def _check_model_entries(models: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    stems: dict[str, int] = {}
    for i, entry in enumerate(models):
        epath: DocPath = ("models", i)
        if not isinstance(entry, Mapping):
            continue
        problems.extend(_unknown_entry_keys(entry, catalog.MODEL_ENTRY_KEYS, epath))
        model_file = entry.get("model_file")
        if isinstance(model_file, str):
            if not model_file.strip():
                problems.append(
                    error("model_file is empty: name the model's .py file", (*epath, "model_file"))
                )
                continue
            path = Path(model_file)
            if path.suffix != ".py":
                problems.append(
                    warning(
                        f"model_file {model_file!r} is not a .py file; Bitfount loads the model "
                        "class from Python code",
                        (*epath, "model_file"),
                    )
                )
            if path.stem in stems:
                problems.append(
                    warning(
                        f"models[{stems[path.stem]}] has the same model name {path.stem!r}: on "
                        "the Hub this one becomes a new version of it",
                        (*epath, "model_file"),
                    )
                )
            stems.setdefault(path.stem, i)
        weights = entry.get("weights_file")
        if isinstance(weights, str) and not weights.strip():
            problems.append(
                error(
                    "weights_file is empty: name the file or remove the key",
                    (*epath, "weights_file"),
                )
            )
    return problems


# ====================================================================== files


def find_config_file(name: str, config_dir: Path, cwd: Path) -> tuple[Path | None, bool]:
    """Where a path named in a config is: ``(path or None, found_only_via_cwd)``.

    The config's folder first (what taskwizard does), then the current directory
    (what Bitfount's uploader does, so a file found only there works only when the
    upload runs from that directory).
    """
    candidate = Path(name).expanduser()
    if candidate.is_absolute():
        return (candidate if _present(candidate) else None), False
    in_config = config_dir / candidate
    if _present(in_config):
        return in_config, False
    in_cwd = cwd / candidate
    if _present(in_cwd):
        return in_cwd, True
    return None, False


def _present(path: Path) -> bool:
    """It exists, or is a symbolic link (a broken link or a loop is reported as such when read,
    not as a missing file)."""
    return path.exists() or path.is_symlink()


def _template_is_config_or_outside(
    found: Path, config: Path, name: str, tpath: DocPath, via_cwd: bool
) -> Problem | None:
    """An error when ``template:`` names the config itself; a warning when it leaves the
    config's folder (``../x``, an absolute path elsewhere): the file travels with the config
    only if it lives under it, and a path like ``../secrets.json`` is likely a mistake."""
    if found == config:  # both resolved (``_identity``)
        return error(
            f"template {name!r} is this config itself; name the task YAML file (the one with "
            "pods: and task:)",
            tpath,
        )
    folder = config.parent
    if not via_cwd and not found.is_relative_to(folder):
        return warning(
            f"template {name!r} is outside the config's folder ({folder}); keep the task YAML "
            "next to the config (or below it) so the two travel together",
            tpath,
        )
    return None


def _cwd_warning(what: str, name: str) -> str:
    return (
        f"{what} {name!r} is not next to the config but was found relative to the current "
        "directory; Bitfount resolves it against the current directory, so the upload works "
        "only when run from here. Make the path relative to the config's folder"
    )


@dataclass
class _TemplateRef:
    index: int
    name: str
    path: Path
    display: str


def check_config_files(data: Any, config_path: Path, *, cwd: Path | None = None) -> list[Problem]:
    """The files a task-templates config names: task YAMLs, model code, weights."""
    problems, _ = _check_config_files(data, config_path, Path(config_path), cwd or Path.cwd(), {})
    return problems


def _check_config_files(
    data: Any,
    config_path: Path,
    config_display: Path,
    cwd: Path,
    loaded: dict[Path, Any],
) -> tuple[list[Problem], list[_TemplateRef]]:
    problems: list[Problem] = []
    refs: list[_TemplateRef] = []
    if not isinstance(data, Mapping):
        return problems, refs
    config_dir = config_path.parent
    if config_path.name != config_path.name.lower():
        problems.append(
            warning(
                f"Bitfount's uploader lowercases the config path before opening it, so "
                f"{config_path.name!r} is not found on a case-sensitive file system; use a "
                "lowercase file name"
            )
        )
    templates = data.get("task-templates")
    config_real = _identity(config_path)
    for i, entry in enumerate(templates if isinstance(templates, list) else []):
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("template")
        if not isinstance(name, str) or not name.strip():
            continue
        tpath: DocPath = ("task-templates", i, "template")
        found, via_cwd = find_config_file(name, config_dir, cwd)
        if found is None:
            problems.append(
                error(
                    f"template file not found: {name!r} (looked in the config's folder and the "
                    "current directory)",
                    tpath,
                )
            )
            continue
        if found.is_dir():
            problems.append(error(f"template {name!r} is a folder, not a task YAML", tpath))
            continue
        own = _template_is_config_or_outside(_identity(found), config_real, name, tpath, via_cwd)
        if own is not None:
            problems.append(own)
            if own.is_error:
                continue
        if via_cwd:
            problems.append(warning(_cwd_warning("template", name), tpath))
            display = name
        else:
            display = str(config_display.parent / name) if not Path(name).is_absolute() else name
        refs.append(_TemplateRef(i, name, found, display))
        if entry.get("model_overrides"):
            task_data = _load(found, display, loaded).data
            if task_major_version(task_data) < 9:
                problems.append(
                    error(
                        "model_overrides are only supported for v9+ task templates (Bitfount's "
                        f"uploader raises this); {name!r} is a v7/v8 task",
                        ("task-templates", i, "model_overrides"),
                    )
                )
    models = data.get("models")
    for i, entry in enumerate(models if isinstance(models, list) else []):
        if not isinstance(entry, Mapping):
            continue
        for key, checker, what in (
            ("model_file", check_model_file, "model file"),
            ("weights_file", check_weights_file, "weights file"),
        ):
            name = entry.get(key)
            if not isinstance(name, str) or not name.strip():
                continue
            kpath: DocPath = ("models", i, key)
            found, via_cwd = find_config_file(name, config_dir, cwd)
            if found is None:
                problems.append(
                    error(
                        f"{what} not found: {name!r} (looked in the config's folder and the "
                        "current directory)",
                        kpath,
                    )
                )
                continue
            if via_cwd:
                problems.append(warning(_cwd_warning(what, name), kpath))
                display = name
            else:
                display = (
                    str(config_display.parent / name) if not Path(name).is_absolute() else name
                )
            for p in checker(found, display=display):
                # Problems inside the model file keep their own place; the rest go on the entry.
                problems.append(p if p.line is not None else Problem(p.severity, p.message, kpath))
    return problems, refs


def check_task_files(data: Any, task_path: Path, *, cwd: Path | None = None) -> list[Problem]:
    """Files a task YAML names that Bitfount needs on the machine that runs it."""
    task = data.get("task") if isinstance(data, Mapping) else None
    name = task.get("transformation_file") if isinstance(task, Mapping) else None
    if not isinstance(name, str) or not name.strip() or is_placeholder(name):
        return []
    found, _ = find_config_file(name, task_path.parent, cwd or Path.cwd())
    if found is None:
        return [
            warning(
                f"transformation_file {name!r} not found here; Bitfount checks that it exists "
                "before it runs the task, so it must be there on the machine that runs it",
                ("task", "transformation_file"),
            )
        ]
    return []


# ====================================================================== paths


@dataclass
class FileReport:
    path: str
    kind: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if not p.is_error)


def _identity(path: Path) -> Path:
    """The real path, to validate each file once (a symlink loop keeps its own name)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _load(path: Path, display: str, cache: dict[Path, Any]) -> Any:
    from taskwizard.model.yamlio import load_yaml_file

    key = _identity(path)
    if key not in cache:
        loaded = load_yaml_file(path)
        loaded.filename = display
        loaded.problems = [
            p if p.file != str(path) else p.at(display, p.line, p.column) for p in loaded.problems
        ]
        cache[key] = loaded
    return cache[key]


# Problems about a mapping key (not its value) besides "unknown key" ones, which
# yamlio already places on the key.
_KEY_PROBLEM_PREFIXES = ("the keys of ", "aggregator weight for ")


def locate(loaded: Any, problems: Sequence[Problem]) -> list[Problem]:
    """``loaded.resolve``, with problems about a key placed on the key."""
    out: list[Problem] = []
    for p in problems:
        if p.line is None and p.message.startswith(_KEY_PROBLEM_PREFIXES):
            pos = loaded.locate_key(p.path)
            if pos is not None:
                p = p.at(p.file or loaded.filename, pos.line, pos.column)
        out.append(p)
    return list(loaded.resolve(out))


def swallowed_keys(text: str, problems: Sequence[Problem]) -> list[Problem]:
    """A required top-level key that a comment swallowed (``# Task detailstask:``, when
    a line break was lost) is reported on that comment line, not at 1:1."""
    comments = [
        (number, line.rstrip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.lstrip().startswith("#")
    ]

    def lost(key: str) -> tuple[int, int] | None:
        for number, line in comments:
            if line.lower().endswith(f"{key}:"):
                return number, len(line) - len(key)
        return None

    out: list[Problem] = []
    for p in problems:
        key = p.path[0] if len(p.path) == 1 else None
        where = lost(key) if isinstance(key, str) and "is required" in p.message else None
        if p.line is None and where is not None:
            line, column = where
            p = Problem(
                p.severity,
                f"{key}: is missing because line {line} is a comment that ends in '{key}:' "
                f"(everything after # is a comment, so the key was lost there, and the lines "
                f"under it read as other keys); put {key}: on a line of its own",
                p.path,
                p.file,
                line,
                column,
            )
        out.append(p)
    return out


def validate_paths(paths: Sequence[Path], *, cwd: Path | None = None) -> list[FileReport]:
    """Validate files; a config's task YAMLs are validated too, each as its own report."""
    cwd = cwd or Path.cwd()
    cache: dict[Path, Any] = {}
    reports: list[FileReport] = []
    done: set[Path] = set()

    def run(path: Path, display: str, expect: Kind | None) -> list[_TemplateRef]:
        key = _identity(path)
        if key in done:
            return []
        done.add(key)
        if not path.exists() and not path.is_symlink():
            reports.append(
                FileReport(
                    display,
                    "unknown",
                    [Problem("error", f"file not found: {display}", (), display)],
                )
            )
            return []
        loaded = _load(path, display, cache)
        problems: list[Problem] = list(loaded.problems)
        kind: str = detect_kind(loaded.data) if loaded.ok else (expect or "unknown")
        refs: list[_TemplateRef] = []
        if loaded.ok:
            if expect == "task" and kind != "task":
                looks = "a task-templates config" if kind == "config" else "neither format"
                found: list[Problem] = [
                    error(
                        "a task-templates entry points at this file, but it is not a task YAML "
                        f"(it looks like {looks}; a task YAML has pods: and task: at the top "
                        "level)"
                    )
                ]
            elif kind == "config":
                found = validate_config(loaded.data)
                files, refs = _check_config_files(loaded.data, path, Path(display), cwd, cache)
                found.extend(files)
            elif kind == "task":
                found = validate_task(loaded.data) + check_task_files(loaded.data, path, cwd=cwd)
            else:
                found = [
                    error(
                        "not a task-templates config (task-templates:, models:) nor a task YAML "
                        "(pods:, task:)"
                        if loaded.data is not None
                        else "the file is empty"
                    )
                ]
            problems.extend(locate(loaded, swallowed_keys(loaded.text, found)))
        problems = [p if p.file else p.at(display, p.line, p.column) for p in problems]
        problems.sort(key=Problem.sort_key)
        reports.append(FileReport(display, kind, problems))
        return refs

    for path in paths:
        refs = run(Path(path), str(path), None)
        for ref in refs:
            run(ref.path, ref.display, "task")
    return reports
