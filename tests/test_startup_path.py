"""What `taskwizard new` does before its first frame stays small: no heavy imports and
only the requested command's arguments; and that frame holds the whole first step
(checked here by what is imported and laid out, not by time; the time is measured
by benchmarks/bench_startup.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tui_helpers import focused_field, new_app, settle, wizard

from taskwizard.cli import build_parser, requested_command
from taskwizard.drafts import DraftStore
from taskwizard.state import WizardState, field_key
from taskwizard.tui.app import TaskWizardApp

if TYPE_CHECKING:
    from textual.dom import DOMNode

TEMPLATE_FIELDS = [
    "field-slug",
    "field-title",
    "field-type",
    "field-description",
    "field-tags",
    "field-sample-url",
]


def _modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_the_wizard_path_imports_no_validator_yaml_or_heavy_widget() -> None:
    loaded = _modules_after(
        "from taskwizard.cli import build_parser, requested_command\n"
        "build_parser(requested_command(['new'])).parse_args(['new'])\n"
        "from taskwizard.tui.app import TaskWizardApp\n"
        "from taskwizard.tui.screens.wizard import WizardScreen\n"
        "from taskwizard.tui.steps.template import TemplateStep\n"
        "TaskWizardApp('new')"
    )
    for heavy in (
        "pydantic",
        "yaml",
        "httpx",
        "taskwizard.model.catalog",
        "taskwizard.model.validate",
        "taskwizard.model.variables",
        "taskwizard.commands.upload",
        "taskwizard.commands.hub",
        "textual.widgets._text_area",
        "textual.widgets._selection_list",
    ):
        assert heavy not in loaded, f"{heavy} is imported on the way to the first frame"


def test_only_the_requested_commands_arguments_are_built() -> None:
    assert requested_command(["new"]) == "new"
    assert requested_command(["--version"]) is None
    assert requested_command(["upload", "--username", "new"]) == "upload"
    assert requested_command(["bogus"]) is None
    validate = build_parser("validate")
    assert validate.parse_args(["validate", "--format", "json", "a.yaml"]).format == "json"
    every = build_parser()
    assert every.parse_args(["upload", "--dry-run", "c.yaml"]).dry_run is True


def test_help_still_lists_every_command() -> None:
    exe = Path(sys.executable).parent / "taskwizard"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for name in ("new", "edit", "resume", "drafts", "validate", "upload", "hub", "setup"):
        assert f"    {name} " in out


@pytest.mark.anyio
async def test_the_first_steps_fields_are_in_the_tab_order(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = wizard(app).step_view
        assert view is not None
        assert [f.id for f in view.fields()] == TEMPLATE_FIELDS  # in the Tab order
        assert focused_field(app) is view.fields()[0]
        for _ in range(3):
            await pilot.press("tab")
        await settle(pilot, 1)
        assert focused_field(app) is view.fields()[3]  # Description, after Type


@pytest.mark.anyio
async def test_a_resumed_draft_focuses_the_field_it_stopped_in(
    tmp_path: Path,
) -> None:
    state = WizardState()
    state.focus = field_key("config", (*state.entry_path, "sampleDatasetDownloadUrl"))
    draft_id = DraftStore().create(state)
    app = TaskWizardApp("resume", draft_id=draft_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = focused_field(app)
        assert target is not None and target.id == "field-sample-url"


@pytest.mark.anyio
async def test_new_prunes_drafts_only_once_its_whole_first_step_is_mounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pruning (an import and a file-reading thread) ran right after the first frame and
    # delayed the fields that follow it; now it starts once they are mounted, and once.
    mounted_when_pruned: list[list[str]] = []
    app = new_app(tmp_path)
    real = TaskWizardApp.prune_drafts

    def watch(self: TaskWizardApp) -> None:
        view = wizard(self).step_view
        mounted_when_pruned.append([f.id or "" for f in view.fields()] if view else [])
        real(self)

    monkeypatch.setattr(TaskWizardApp, "prune_drafts", watch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        app.prune_drafts()  # a second call does nothing
    assert mounted_when_pruned[0] == TEMPLATE_FIELDS
    assert app._drafts_pruned


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["edit", "resume"])
async def test_edit_and_resume_prune_drafts_once_the_wizard_is_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    # They pruned right after the first frame, on a thread that rebuilt each draft from its
    # files while the file was being read: with drafts of a 5 MiB config, the template
    # picker came at 1.1-1.4 s instead of 0.6 s (benchmarks/bench_startup.py).
    config = tmp_path / "task-templates.yaml"
    config.write_text(
        "task-templates:\n  - slug: a\n    title: A\n    type: image-classification\n"
        "    description: d\n    template: t.yaml\n    tags: []\n"
    )
    (tmp_path / "t.yaml").write_text("pods:\n  identifiers: [a/b]\ntask: {}\n")
    draft_id = DraftStore().create(WizardState())
    screens_when_pruned: list[str] = []
    real = TaskWizardApp.prune_drafts

    def watch(self: TaskWizardApp) -> None:
        screens_when_pruned.append(type(self.screen).__name__)
        real(self)

    monkeypatch.setattr(TaskWizardApp, "prune_drafts", watch)
    if mode == "edit":
        app = TaskWizardApp("edit", path=config)
    else:
        app = TaskWizardApp("resume", draft_id=draft_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if mode == "edit":
            assert not screens_when_pruned  # on the template picker: not yet
            await pilot.press("enter")
            await settle(pilot)
        wizard(app)
        await app.workers.wait_for_complete()
    assert screens_when_pruned and screens_when_pruned[0] == "WizardScreen"
    assert app._drafts_pruned


@pytest.mark.anyio
async def test_the_first_frame_holds_the_whole_first_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Holding Description, Tags and Sample dataset URL back for a second frame made the
    # whole step take 1.8x a Textual hello-world; in the first frame it takes ~1.3x.
    from textual.screen import Screen

    from taskwizard.tui.screens.wizard import WizardScreen

    laid_out: list[list[str]] = []
    real_layout = Screen._refresh_layout

    def watch_layout(self: Screen[object], *args: object, **kwargs: object) -> None:
        if isinstance(self, WizardScreen) and not laid_out:
            view = self.step_view
            laid_out.append([f.id or "" for f in view.fields()] if view else [])
        real_layout(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", watch_layout)
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 50)) as pilot:
        await settle(pilot)
    assert laid_out == [TEMPLATE_FIELDS]


@pytest.mark.anyio
async def test_the_first_frame_applies_styles_once_and_they_match_a_full_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Textual styles each widget as it is mounted, then (ScreenResume) every widget of
    # the screen again before the first layout: 8-10 ms of the first frame, for the
    # same result. The wizard skips that second pass; this checks the result is the same.
    from textual.css.stylesheet import Stylesheet
    from textual.screen import Screen

    from taskwizard.tui.screens.wizard import WizardScreen

    restyled: list[int] = []
    mismatched: list[str] = []
    checked: list[int] = []
    real_update = Stylesheet.update_nodes
    real_layout = Screen._refresh_layout

    def count_update(self: Stylesheet, nodes: Iterable[DOMNode], animate: bool = False) -> None:
        listed = list(nodes)
        if not checked:
            restyled.append(len(listed))
        real_update(self, listed, animate=animate)

    def check_layout(self: Screen[object], *args: object, **kwargs: object) -> None:
        if isinstance(self, WizardScreen) and not checked:
            nodes: list[DOMNode] = list(self.walk_children(with_self=True))
            checked.append(len(nodes))
            before = [dict(n._css_styles.get_rules()) for n in nodes]
            real_update(self.app.stylesheet, nodes)  # what Textual's second pass would do
            for node, rules in zip(nodes, before, strict=True):
                if dict(node._css_styles.get_rules()) != rules:
                    mismatched.append(repr(node))
        real_layout(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Stylesheet, "update_nodes", count_update)
    monkeypatch.setattr(Screen, "_refresh_layout", check_layout)
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 50)) as pilot:
        await settle(pilot)
    assert checked and checked[0] > 30  # the whole first step was there
    assert not any(n >= checked[0] for n in restyled), restyled  # no pass over every widget
    assert mismatched == []
