"""Step 4: the protocol — how the pods and the modeller work together."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from taskwizard.model import catalog
from taskwizard.model.problems import DocPath
from taskwizard.tui.steps.base import RefocusingStep
from taskwizard.tui.widgets.arguments import ArgumentsForm, ComponentField, component_options
from taskwizard.tui.widgets.fields import Field

NAME_PATH: DocPath = ("task", "protocol", "name")
ARGUMENTS_PATH: DocPath = ("task", "protocol", "arguments")


class ProtocolStep(RefocusingStep):
    step_id = "protocol"
    title = "Protocol"
    intro = (
        "How the pods and you (the modeller) work together. Enter on the protocol picks another."
    )
    help_text = (
        "The protocol decides how the task runs across pods: ResultsOnly runs the algorithms "
        "and returns their results; FederatedAveraging trains a model across pods; the "
        "InferenceAnd… protocols run a model and report its predictions. Names need the "
        "'bitfount.' prefix. Arguments left empty take Bitfount's defaults (shown greyed)."
    )
    RAW_VIEW = ("task", ("task",), ("protocol",))

    def compose_form(self) -> ComposeResult:
        name = self.tw_app.state.get("task", NAME_PATH)
        component = catalog.find_protocol(name) if isinstance(name, str) else None
        yield ComponentField(
            "task",
            NAME_PATH,
            "Protocol",
            on_pick=self.pick_protocol,
            help=catalog.FIELD_HELP.get("protocol", ""),
            id="field-protocol",
        )
        if component is not None:
            yield Static(
                ("" if component.general_purpose else "Domain-specific: ") + component.summary,
                classes="field--hint",
                id="protocol-summary",
            )
        yield ArgumentsForm("task", ("task", "protocol"), component, id="protocol-arguments")

    def pick_protocol(self, field: Field) -> None:
        from taskwizard.tui.dialogs.pick import PickDialog

        current = self.tw_app.state.get("task", NAME_PATH)
        self.app.push_screen(
            PickDialog(
                "Choose the protocol",
                component_options(catalog.PROTOCOLS),
                current=current if isinstance(current, str) else None,
                allow_custom=True,
            ),
            self._picked,
        )

    def _picked(self, name: str | None) -> None:
        state = self.tw_app.state
        if not name or name == state.get("task", NAME_PATH):
            return
        arguments = state.get("task", ARGUMENTS_PATH)
        if arguments:
            from taskwizard.tui.dialogs.confirm import ConfirmDialog

            set_names = (
                ", ".join(map(str, arguments)) if isinstance(arguments, dict) else "as written"
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self._apply(name)

            self.app.push_screen(
                ConfirmDialog(
                    f"Switching to {name} clears the arguments set for the current protocol "
                    f"({set_names}).",
                    title="Change the protocol?",
                    yes="Change and clear",
                ),
                answered,
            )
            return
        self._apply(name)

    def _apply(self, name: str) -> None:
        state = self.tw_app.state
        state.set("task", NAME_PATH, name)
        state.set("task", ARGUMENTS_PATH, None)
        self.rebuild("task", ("task", "protocol"), focus="#field-protocol #editor")
