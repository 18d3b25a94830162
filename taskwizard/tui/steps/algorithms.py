"""Step 5: the algorithms — what runs on each pod's data, in order."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from taskwizard.model import catalog
from taskwizard.model.problems import DocPath
from taskwizard.state import field_key
from taskwizard.tui.dialogs.pick import PickDialog, PickOption
from taskwizard.tui.messages import StateEdited
from taskwizard.tui.steps.base import RefocusingStep
from taskwizard.tui.widgets.arguments import (
    ArgumentsForm,
    ComponentField,
    component_options,
    prune_empty,
)
from taskwizard.tui.widgets.fields import Field
from taskwizard.tui.widgets.keyvalue import KeyValueEditor

ALGORITHM_PATH: DocPath = ("task", "algorithm")


def model_stems(config: Any) -> list[str]:
    """The model names the config's ``models:`` entries upload (their files' stems)."""
    stems: list[str] = []
    models = config.get("models") if isinstance(config, dict) else None
    for entry in models if isinstance(models, list) else []:
        model_file = entry.get("model_file") if isinstance(entry, dict) else None
        if isinstance(model_file, str) and model_file.strip():
            stem = PurePath(model_file.strip()).stem
            if stem and stem not in stems:
                stems.append(stem)
    return stems


class AlgorithmCard(Vertical):
    DEFAULT_CSS = """
    AlgorithmCard { height: auto; border: round $primary 50%; padding: 0 1; margin: 0 0 1 0; }
    AlgorithmCard:focus-within { border: round $accent; }
    AlgorithmCard > .card--buttons { height: auto; }
    AlgorithmCard > .card--buttons Button { min-width: 8; margin: 0 1 0 0; }
    AlgorithmCard > .card--section { text-style: bold; margin: 1 0 0 0; }
    AlgorithmCard > .card--note { color: $text-muted; }
    """

    def __init__(self, index: int, base: DocPath, count: int) -> None:
        super().__init__(id=f"algorithm-{index}", classes="algorithm-card")
        self.index = index
        self.base = base
        self.count = count
        self.border_title = f"Algorithm {index + 1} of {count}"


class AlgorithmsStep(RefocusingStep):
    step_id = "algorithms"
    title = "Algorithms"
    intro = (
        "What runs on each pod's data, in order. Ctrl+T adds one, Ctrl+R removes the one you "
        "are in, Alt+↑/↓ (or Ctrl+↑/↓) move it."
    )
    help_text = (
        "Each algorithm is a bitfount.X name with its arguments. Model algorithms "
        "(ModelInference, ModelTrainingAndEvaluation, ...) also name the Bitfount model they "
        "run: its model_ref (the model's name on the Hub, i.e. its file name without .py — "
        "pick one of this config's models), version, owner and hyperparameters. An algorithm "
        "without arguments has no 'arguments' key at all: Bitfount rejects an empty one."
    )
    RAW_VIEW = ("task", ("task",), ("algorithm",))
    BINDINGS = [
        # The footer keeps room for Save, Help and Quit at 80 columns: only "Add" is
        # shown; the intro and the card's buttons name the others.
        Binding("ctrl+t", "add_algorithm", "Add"),
        Binding("ctrl+r", "remove_algorithm", "Remove algorithm", show=False),
        Binding("alt+up,ctrl+up", "move_algorithm(-1)", "Move up", show=False),
        Binding("alt+down,ctrl+down", "move_algorithm(1)", "Move down", show=False),
    ]

    # ------------------------------------------------------------ reading
    def entries(self) -> list[tuple[DocPath, dict[str, Any]]]:
        """(path, algorithm) for each algorithm; a single mapping counts as a list of one."""
        node = self.tw_app.state.get("task", ALGORITHM_PATH)
        if isinstance(node, dict):
            return [(ALGORITHM_PATH, node)]
        if isinstance(node, list):
            return [
                ((*ALGORITHM_PATH, i), a if isinstance(a, dict) else {}) for i, a in enumerate(node)
            ]
        return []

    def _as_list(self) -> list[Any]:
        node = self.tw_app.state.get("task", ALGORITHM_PATH)
        if isinstance(node, dict):
            return [node]
        return list(node) if isinstance(node, list) else []

    # ------------------------------------------------------------ compose
    def compose_form(self) -> ComposeResult:
        entries = self.entries()
        if not entries:
            yield Static("No algorithm yet: a task needs at least one.", classes="field--hint")
        for index, (base, algorithm) in enumerate(entries):
            with AlgorithmCard(index, base, len(entries)):
                yield from self._compose_card(index, base, algorithm, len(entries))
        yield Button("+ Add algorithm (Ctrl+T)", id="add-algorithm")

    def _compose_card(
        self, index: int, base: DocPath, algorithm: dict[str, Any], count: int
    ) -> ComposeResult:
        name = algorithm.get("name")
        component = catalog.find_algorithm(name) if isinstance(name, str) else None
        yield ComponentField(
            "task",
            (*base, "name"),
            "Algorithm",
            on_pick=self.pick_algorithm,
            help=catalog.FIELD_HELP.get("algorithm", ""),
            id=f"algorithm-{index}-name",
        )
        if component is not None:
            yield Static(component.deprecated or component.summary, classes="card--note")
        with Horizontal(classes="card--buttons"):
            yield Button("▲ Up", classes="move-up", disabled=index == 0)
            yield Button("▼ Down", classes="move-down", disabled=index == count - 1)
            yield Button("✕ Remove", classes="remove", variant="error")
        yield ArgumentsForm("task", base, component, id=f"algorithm-{index}-arguments")
        if component is not None and component.takes_model:
            yield from self._compose_model(index, base)

    def _compose_model(self, index: int, base: DocPath) -> ComposeResult:
        help_ = catalog.FIELD_HELP
        model = (*base, "model", "bitfount_model")
        yield Static("Model", classes="card--section")
        yield Field(
            "task",
            (*model, "model_ref"),
            "Model reference",
            required=True,
            placeholder="the model's name (its file name without .py)",
            help=help_.get("model_ref", ""),
            keep_empty=False,
            id=f"algorithm-{index}-model-ref",
        )
        stems = model_stems(self.tw_app.state.config)
        if stems:
            yield Button(
                "Pick one of this config's models…",
                classes="pick-model",
                id=f"algorithm-{index}-pick-model",
            )
        yield Field(
            "task",
            (*model, "model_version"),
            "Model version",
            kind="int",
            placeholder="latest (set on upload for this config's models)",
            help=help_.get("model_version", ""),
            id=f"algorithm-{index}-model-version",
        )
        yield Field(
            "task",
            (*model, "username"),
            "Owner (username)",
            placeholder="empty: the uploader's username",
            help=help_.get("username", ""),
            id=f"algorithm-{index}-model-owner",
        )
        yield KeyValueEditor(
            "task",
            (*base, "model", "hyperparameters"),
            "Hyperparameters",
            hint="value text is read as YAML: 4 → number, 0.1 → float, true → boolean",
            help=help_.get("hyperparameters", ""),
            id=f"algorithm-{index}-hyperparameters",
        )

    # ------------------------------------------------------------ clean-up
    def on_state_edited(self, event: StateEdited) -> None:
        # Not stopped: the wizard screen validates after this clean-up.
        state = self.tw_app.state
        for base, _ in self.entries():
            prune_empty(state, "task", (*base, "model", "bitfount_model"))
            prune_empty(state, "task", (*base, "model"))
            prune_empty(state, "task", (*base, "arguments"))

    # ------------------------------------------------------------ actions
    def _current_index(self) -> int | None:
        focused = self.app.focused
        if focused is None:
            return None
        for node in focused.ancestors_with_self:
            if isinstance(node, AlgorithmCard):
                return node.index
        return None

    def _store(self, algorithms: list[Any], *, focus: str | None) -> None:
        state = self.tw_app.state
        state.set("task", ALGORITHM_PATH, algorithms)
        self.rebuild("task", ALGORITHM_PATH, focus=focus)

    def action_add_algorithm(self) -> None:
        self.app.push_screen(
            PickDialog(
                "Add an algorithm", component_options(catalog.ALGORITHMS), allow_custom=True
            ),
            self._add_picked,
        )

    def _add_picked(self, name: str | None) -> None:
        if not name:
            return
        algorithms = self._as_list()
        algorithms.append({"name": name})
        self._store(algorithms, focus=f"#algorithm-{len(algorithms) - 1}-name #editor")

    def action_remove_algorithm(self, index: int | None = None) -> None:
        index = self._current_index() if index is None else index
        entries = self.entries()
        if index is None or not 0 <= index < len(entries):
            self.notify("Move into an algorithm first (Tab), then remove it.", timeout=3)
            return
        algorithm = entries[index][1]

        def remove(yes: bool | None = True) -> None:
            if not yes:
                return
            algorithms = self._as_list()
            del algorithms[index]
            focus = (
                f"#algorithm-{min(index, len(algorithms) - 1)}-name #editor"
                if algorithms
                else "#add-algorithm"
            )
            self._store(algorithms, focus=focus)

        if set(algorithm) - {"name"}:
            from taskwizard.tui.dialogs.confirm import ConfirmDialog

            self.app.push_screen(
                ConfirmDialog(
                    f"Remove algorithm {index + 1} ({algorithm.get('name', 'unnamed')}) and "
                    "everything set on it?",
                    title="Remove the algorithm?",
                    yes="Remove",
                    danger=True,
                ),
                remove,
            )
        else:
            remove()

    def action_move_algorithm(self, step: int, index: int | None = None) -> None:
        index = self._current_index() if index is None else index
        algorithms = self._as_list()
        if index is None:
            return
        target = index + step
        if not (0 <= index < len(algorithms) and 0 <= target < len(algorithms)):
            return
        algorithms[index], algorithms[target] = algorithms[target], algorithms[index]
        self._store(algorithms, focus=f"#algorithm-{target}-name #editor")

    def pick_algorithm(self, field: Field) -> None:
        current = self.tw_app.state.get("task", field.path)
        self.app.push_screen(
            PickDialog(
                "Choose the algorithm",
                component_options(catalog.ALGORITHMS),
                current=current if isinstance(current, str) else None,
                allow_custom=True,
            ),
            lambda name: self._replace_picked(field.path[:-1], name),
        )

    def _replace_picked(self, base: DocPath, name: str | None) -> None:
        state = self.tw_app.state
        algorithm = state.get("task", base)
        if not name or not isinstance(algorithm, dict) or name == algorithm.get("name"):
            return
        new_component = catalog.find_algorithm(name)
        keeps_model = new_component is not None and new_component.takes_model
        replacement: dict[str, Any] = {"name": name}
        if keeps_model and "model" in algorithm:
            replacement["model"] = algorithm["model"]
        lost = [k for k in algorithm if k not in replacement]

        def apply(yes: bool | None = True) -> None:
            if yes:
                state.set("task", base, replacement)
                self.rebuild("task", base, focus="field:" + field_key("task", (*base, "name")))

        if lost:
            from taskwizard.tui.dialogs.confirm import ConfirmDialog

            self.app.push_screen(
                ConfirmDialog(
                    f"Switching to {name} clears what was set for the current algorithm "
                    f"({', '.join(map(str, lost))}).",
                    title="Change the algorithm?",
                    yes="Change and clear",
                ),
                apply,
            )
        else:
            apply()

    # ------------------------------------------------------------ buttons
    @on(Button.Pressed, "#add-algorithm")
    def _add_pressed(self) -> None:
        self.action_add_algorithm()

    @on(Button.Pressed, ".algorithm-card .remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        self.action_remove_algorithm(self._card_of(event.button))

    @on(Button.Pressed, ".algorithm-card .move-up")
    def _up_pressed(self, event: Button.Pressed) -> None:
        self.action_move_algorithm(-1, self._card_of(event.button))

    @on(Button.Pressed, ".algorithm-card .move-down")
    def _down_pressed(self, event: Button.Pressed) -> None:
        self.action_move_algorithm(1, self._card_of(event.button))

    @on(Button.Pressed, ".pick-model")
    def _pick_model(self, event: Button.Pressed) -> None:
        index = self._card_of(event.button)
        base = self.entries()[index][0]
        path = (*base, "model", "bitfount_model", "model_ref")
        current = self.tw_app.state.get("task", path)
        options = [
            PickOption(s, s, "from this config's models")
            for s in model_stems(self.tw_app.state.config)
        ]

        def picked(stem: str | None) -> None:
            if not stem:
                return
            self.tw_app.state.set("task", path, stem)
            field = next((f for f in self.fields() if f.path == path), None)
            if field is not None:
                field.reload()
                field.focus_editor()
            self.post_message(StateEdited("task", path))

        self.app.push_screen(
            PickDialog(
                "Model reference",
                options,
                current=current if isinstance(current, str) else None,
                allow_custom=True,
            ),
            picked,
        )

    def _card_of(self, widget: Any) -> int:
        for node in widget.ancestors_with_self:
            if isinstance(node, AlgorithmCard):
                return node.index
        raise LookupError("not inside an algorithm card")
