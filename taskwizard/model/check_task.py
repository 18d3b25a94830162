"""The task YAML's own checks (``validate_task``): the schema, pods, protocol and
algorithm entries dispatched on their names to the catalog, the components' rules,
the aggregator and the modeller. The data structure's checks are in
:mod:`check_data`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from taskwizard.model import catalog
from taskwizard.model.catalog import Component
from taskwizard.model.check_data import check_data_structure
from taskwizard.model.names import USERNAME_RE
from taskwizard.model.placeholders import is_placeholder
from taskwizard.model.problems import DocPath, Problem, error, warning
from taskwizard.model.rules import EntryContext
from taskwizard.model.schema import (
    convert_errors,
    describe,
    did_you_mean,
)
from taskwizard.model.schema_task import (
    POD_NAME_RE,
    TASK_ADAPTER,
    AlgorithmEntry,
    ModelAlgorithmEntry,
    ProtocolEntry,
    TaskYaml,
    argument_model,
)
from taskwizard.model.vocabulary import task_major_version


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
    pods = data.get("pods")
    identifiers = pods.get("identifiers") if isinstance(pods, Mapping) else None
    return [
        *_check_version(data),
        *_check_pod_ids(identifiers, templated),
        *_check_weights_pods(data.get("task"), identifiers),
        *_check_modeller_username(data.get("modeller")),
    ]


def _check_version(data: Mapping[str, Any]) -> list[Problem]:
    version = data.get("version")
    if not isinstance(version, str):
        return []
    if task_major_version(data) >= 9 and "task" in data:
        return [
            warning(
                f"version {version!r}: in Bitfount 13 a major version of 9 or more only "
                "switches the uploader's model username/version rewrites to the v9 path, "
                "which looks under config: — so the models in this file's task.algorithm "
                "do not get the uploader's username or the uploaded model's version. "
                f'For a pods/task file write version: "{catalog.LATEST_TASK_VERSION}"',
                ("version",),
            )
        ]
    if version not in catalog.KNOWN_TASK_VERSIONS and not is_placeholder(version):
        return [
            warning(
                f"version {version!r} is not one Bitfount 13 lists (it only warns); "
                f'the latest v8 is "{catalog.LATEST_TASK_VERSION}"',
                ("version",),
            )
        ]
    return []


def _check_pod_ids(identifiers: Any, templated: bool) -> list[Problem]:
    if not isinstance(identifiers, list):
        return []
    if not identifiers:
        return [
            error(
                'pods.identifiers is empty: Bitfount refuses a task with no pod ("Must '
                'provide at least one `pod_identifier`"); list at least one pod, e.g. '
                "identifiers: [owner/pod-name]",
                ("pods", "identifiers"),
            )
        ]
    problems: list[Problem] = []
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
    return problems


def _check_weights_pods(task: Any, identifiers: Any) -> list[Problem]:
    aggregator = task.get("aggregator") if isinstance(task, Mapping) else None
    weights = aggregator.get("weights") if isinstance(aggregator, Mapping) else None
    if not isinstance(weights, Mapping) or not isinstance(identifiers, list):
        return []
    pod_ids = [p for p in identifiers if isinstance(p, str)]
    return [
        warning(
            f"aggregator weight for {key!r}, which is not one of the task's pods; "
            "Bitfount needs one weight per pod id (owner/pod-name)",
            ("task", "aggregator", "weights", key),
        )
        for key in weights
        if isinstance(key, str)
        and not any(key == p or p.endswith("/" + key) or key.endswith("/" + p) for p in pod_ids)
    ]


def _check_modeller_username(modeller: Any) -> list[Problem]:
    username = modeller.get("username") if isinstance(modeller, Mapping) else None
    if (
        isinstance(username, str)
        and username != "_default"
        and username[:1].isalnum()
        and username[:1] == username[:1].lower()
        and not USERNAME_RE.match(username)
        and not is_placeholder(username)
    ):
        return [
            warning(
                f"modeller.username {username!r} passes Bitfount's schema but is not a valid "
                "Bitfount username (1-39 lowercase letters or digits, '-' or '_' only between "
                "them)",
                ("modeller", "username"),
            )
        ]
    return []


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
    protocol: Component | None = None
    if "protocol" in task:
        protocol = _check_entry(
            task["protocol"], "protocol", (*tpath, "protocol"), context, problems
        )
    algorithms = _check_algorithms(task, context, problems)

    entries = list(algorithms)
    if protocol is not None:
        entries.insert(0, ((*tpath, "protocol"), protocol))
    problems.extend(_component_rules(task, entries, templated, problems))
    if protocol is not None:
        problems.extend(_unsupported_algorithms(protocol, algorithms))

    proto_args = _get_in(task, ("protocol",)).get("arguments")
    if isinstance(proto_args, Mapping):
        problems.extend(
            _check_aggregator(
                proto_args.get("aggregator"), ("task", "protocol", "arguments", "aggregator")
            )
        )
    problems.extend(_check_aggregator(task.get("aggregator"), (*tpath, "aggregator")))
    ds = _get_in(task, ("data_structure",))
    problems.extend(check_data_structure(ds, (*tpath, "data_structure"), templated))
    return problems


def _check_algorithms(
    task: Mapping[str, Any], context: dict[str, Any], problems: list[Problem]
) -> list[tuple[DocPath, Component]]:
    """Each algorithm entry checked; the ones found in the catalog, with their paths."""
    if "algorithm" not in task:
        return []
    raw = task.get("algorithm")
    apath: DocPath = ("task", "algorithm")
    if raw is None:
        problems.append(error("algorithm must be an algorithm mapping or a list of them", apath))
        return []
    if not isinstance(raw, list):
        comp = _check_entry(raw, "algorithm", apath, context, problems)
        return [(apath, comp)] if comp is not None else []
    if not raw:
        problems.append(
            warning(
                "algorithm: [] passes Bitfount's schema but a task with no algorithm "
                "can never run; add at least one algorithm",
                apath,
            )
        )
    found: list[tuple[DocPath, Component]] = []
    for i, entry in enumerate(raw):
        comp = _check_entry(entry, "algorithm", (*apath, i), context, problems)
        if comp is not None:
            found.append(((*apath, i), comp))
    return found


def _component_rules(
    task: Mapping[str, Any],
    entries: list[tuple[DocPath, Component]],
    templated: bool,
    already: list[Problem],
) -> list[Problem]:
    """The rules across fields the components carry (catalog ``rules=``, rules.py)."""
    found: list[Problem] = []
    for epath, comp in entries:
        ctx = EntryContext(comp.name, _get_in(task, epath[1:]), epath, task, templated)
        for rule in comp.rules:
            found.extend(p for p in rule(ctx) if p not in already and p not in found)
    return found


def _unsupported_algorithms(
    protocol: Component, algorithms: list[tuple[DocPath, Component]]
) -> list[Problem]:
    supported = protocol.supported_algorithms
    if supported is None:
        return []
    return [
        error(
            f"{protocol.name} does not support {comp.name} (Bitfount raises a TypeError when "
            f"the task starts); it runs: {_short_names(supported)}",
            (*path, "name"),
        )
        for path, comp in algorithms
        if comp.name not in supported
    ]


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

    templated = bool(context["templated"])
    problems.extend(_check_entry_keys(entry, kind, component, path, templated))
    problems.extend(_check_arguments(entry, kind, component, (*path, "arguments"), templated))
    if component.takes_model:
        _check_model(entry, component, path, problems)
    return component


def _check_entry_keys(
    entry: Mapping[str, Any],
    kind: Literal["protocol", "algorithm"],
    component: Component,
    path: DocPath,
    templated: bool,
) -> list[Problem]:
    """The entry's own keys, checked against its config's schema."""
    entry_model: type[BaseModel]
    if kind == "protocol":
        entry_model = ProtocolEntry
    elif component.takes_model:
        entry_model = ModelAlgorithmEntry
    else:
        entry_model = AlgorithmEntry
    return _schema_problems(entry_model, entry, path, templated)


def _schema_problems(
    model: type[BaseModel], data: Any, path: DocPath, templated: bool
) -> list[Problem]:
    try:
        model.model_validate(data, context={"templated": templated})
    except ValidationError as exc:
        return convert_errors(exc, model, prefix=path, templated=templated, data=data)
    return []


def _check_arguments(
    entry: Mapping[str, Any],
    kind: Literal["protocol", "algorithm"],
    component: Component,
    apath: DocPath,
    templated: bool,
) -> list[Problem]:
    has_args = "arguments" in entry
    args = entry.get("arguments")
    required_args = [a.name for a in component.arguments if a.required]
    # every protocol's and algorithm's arguments is an explicit fields.Nested without
    # allow_none (protocol_schemas.py / algorithm_schemas.py): null is refused
    if has_args and args is None:
        return [
            error(
                "arguments: has no value, so YAML reads it as null and Bitfount refuses it "
                '("Field may not be null."); write the arguments indented under it, or remove '
                "the arguments: line",
                apath,
            )
        ]
    if kind == "algorithm" and has_args and isinstance(args, Mapping) and not args:
        if required_args:
            message = f"arguments is empty: {component.name} needs {', '.join(required_args)}"
        else:
            message = (
                "an empty arguments mapping on an algorithm is rejected by Bitfount 13 "
                '(it stops with "Must supply `patient_ids_file` in task input."); '
                "omit arguments"
            )
        return [error(message, apath)]
    if not has_args and component.arguments_required:
        if required_args:
            message = f"arguments is required: {component.name} needs {', '.join(required_args)}"
        else:
            message = (
                f"arguments is required: {component.name}'s config has no default for it "
                '(Bitfount stops with "missing 1 required positional argument: '
                "'arguments'\"); write arguments: {} to take every default"
            )
        return [error(message, apath)]
    if not isinstance(args, Mapping):
        return []
    problems = _schema_problems(argument_model(component.name), args, apath, templated)
    problems.extend(
        warning(f"{arg.deprecated}; remove it", (*apath, arg.name))
        for arg in component.arguments
        if arg.deprecated and arg.name in args
    )
    return problems


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
