"""Step 3: the pods the task runs on and the modeller who runs it."""

from __future__ import annotations

from textual.app import ComposeResult

from taskwizard.model import catalog
from taskwizard.tui.steps.base import StepView
from taskwizard.tui.widgets.fields import Field


class PodsStep(StepView):
    step_id = "pods"
    title = "Pods & modeller"
    intro = (
        "A template's pods are replaced by the dataset the user picks on the Hub, "
        "so any valid pod id works here (e.g. your-username/my-pod)."
    )
    help_text = (
        "`pods.identifiers` lists the pods (datasets) the task runs on. Once the template is "
        "uploaded, the Hub replaces them with the dataset each user chooses, so the ids only "
        "have to be valid: 'owner/pod-name' or a bare 'pod-name' (then the modeller's username "
        "is the owner). The `modeller` section says who runs the task and how they prove it."
    )
    RAW_VIEW = ("task", (), ("pods", "modeller"))

    def compose_form(self) -> ComposeResult:
        help_ = catalog.FIELD_HELP
        yield Field(
            "task",
            ("pods", "identifiers"),
            "Pod identifiers",
            kind="str_list",
            required=True,
            keep_empty=True,
            id="field-pods",
            placeholder="owner/pod-name, another-pod",
            hint="One or more",
            help=help_.get("pods.identifiers", ""),
        )
        yield Field(
            "task",
            ("modeller", "identity_verification_method"),
            "Identity verification method",
            kind="choice",
            required=True,
            choices=catalog.IDENTITY_VERIFICATION_METHODS,
            id="field-identity",
            help=help_.get("modeller.identity_verification_method", ""),
        )
        yield Field(
            "task",
            ("modeller", "username"),
            "Modeller username",
            id="field-modeller-username",
            placeholder="optional: default is the logged-in user",
            help=help_.get("modeller.username", ""),
        )
