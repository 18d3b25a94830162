"""`taskwizard edit` of a config with 30,000 templates: the first frame is drawn before the
read finishes, and the picker lists a few templates with a filter, never 30,000 options."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from rich.syntax import Syntax
from textual.app import App
from textual.widgets import Input, OptionList, Static
from tui_helpers import SIZE, settle

import taskwizard.editing
from taskwizard.editing import OpenedFile, open_file, read_for_edit
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.dialogs.template_pick import MAX_LISTED, NEW_TEMPLATE, TemplatePickDialog

pytestmark = pytest.mark.anyio

TEMPLATES = 30_000


def big_config(folder: Path) -> Path:
    """A config of 30,000 templates (1.4 MiB: above the size read in the background)."""
    path = folder / "task-templates.yaml"
    lines = ["task-templates:\n"]
    lines += [
        f"  - {{slug: t-{i}, title: Template {i}, template: task-{i}.yaml}}\n"
        for i in range(TEMPLATES)
    ]
    path.write_text("".join(lines))
    return path


def screen_text(app: App[Any]) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


class GatedRead:
    """``read_for_edit`` that waits until the test has seen the screen drawn during the read."""

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()

    def __call__(self, path: Path) -> bytes:
        self.reading.set()
        self.release.wait(10)
        try:
            return read_for_edit(path)
        finally:
            self.done.set()


@pytest.fixture()
def gated_read(monkeypatch: pytest.MonkeyPatch) -> GatedRead:
    gate = GatedRead()
    monkeypatch.setattr(taskwizard.editing, "read_for_edit", gate)
    return gate


async def test_first_frame_is_drawn_before_the_read_finishes(
    tmp_path: Path, gated_read: GatedRead
) -> None:
    config = big_config(tmp_path)
    app = TaskWizardApp("edit", path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gated_read.reading.wait(5), "the read never started"
        # The read is still going on, and the screen says so.
        assert not isinstance(app.screen, TemplatePickDialog)
        assert f"Reading {config}" in screen_text(app)
        gated_read.release.set()
        for _ in range(200):
            if isinstance(app.screen, TemplatePickDialog):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, TemplatePickDialog)
        await settle(pilot)  # pushed, and maybe not composed yet
        assert f"{TEMPLATES} task templates in this config" in screen_text(app)


async def test_escape_while_reading_goes_home(tmp_path: Path, gated_read: GatedRead) -> None:
    from taskwizard.tui.dialogs.reading import ReadingDialog
    from taskwizard.tui.screens.home import HomeScreen

    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gated_read.reading.wait(5)
        assert isinstance(app.screen, ReadingDialog)
        await pilot.press("escape")
        await settle(pilot)
        stack = list(app.screen_stack)
        assert any(isinstance(s, HomeScreen) for s in stack)  # (and setup, on a first run)
        assert not any(isinstance(s, ReadingDialog) for s in stack)
        gated_read.release.set()  # the read finishing later changes nothing
        assert gated_read.done.wait(10)
        await settle(pilot)
        assert list(app.screen_stack) == stack


class PickHost(App[None]):
    def __init__(self, opened: OpenedFile) -> None:
        super().__init__()
        self.opened = opened
        self.answers: list[int | None | str] = []

    def on_mount(self) -> None:
        self.push_screen(TemplatePickDialog(self.opened), self.answers.append)


async def test_picker_of_30000_templates_lists_a_few_and_filters(tmp_path: Path) -> None:
    opened = open_file(big_config(tmp_path))
    app = PickHost(opened)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TemplatePickDialog)
        choices = dialog.query_one("#template-choices", OptionList)
        # The first 50 templates and "add a new one", not 30,000 options.
        assert choices.option_count == MAX_LISTED + 1
        assert choices.get_option_at_index(0).id == "0"
        assert choices.get_option_at_index(MAX_LISTED).id == NEW_TEMPLATE
        more = str(dialog.query_one("#template-more", Static).render())
        assert more == f"{TEMPLATES - MAX_LISTED:,} more — type to filter"
        assert isinstance(app.focused, Input)
        await pilot.press(*"t-2999")  # t-2999 and t-29990 … t-29999
        await settle(pilot)
        assert [choices.get_option_at_index(i).id for i in range(choices.option_count)] == [
            "2999",
            *[str(29990 + i) for i in range(10)],
            NEW_TEMPLATE,
        ]
        assert str(dialog.query_one("#template-more", Static).render()) == ""
        assert choices.region.height == choices.option_count + 2  # every match on screen
        await pilot.press("down", "enter")  # the arrows move in the list from the filter
        await settle(pilot)
    assert app.answers == [29990]


async def test_picker_filter_without_a_match_offers_a_new_template(tmp_path: Path) -> None:
    app = PickHost(open_file(big_config(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"no such slug")
        await settle(pilot)
        choices = app.screen.query_one("#template-choices", OptionList)
        assert choices.option_count == 1
        assert "No template matches" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
    assert app.answers == [NEW_TEMPLATE]


async def test_a_big_task_yaml_read_in_the_background_opens_in_the_wizard(
    tmp_path: Path,
) -> None:
    from taskwizard.tui.screens.wizard import WizardScreen

    task = tmp_path / "task.yaml"
    padding = "".join(f"# note {i}: {'x' * 60}\n" for i in range(9_000))  # ~640 KiB
    task.write_text(
        padding + "pods:\n  identifiers: [retina-pod]\ntask:\n  protocol:\n"
        "    name: bitfount.InferenceAndCSVReport\n"
    )
    app = TaskWizardApp("edit", path=task)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            if isinstance(app.screen, WizardScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, WizardScreen)
        assert app.state.task["pods"]["identifiers"] == ["retina-pod"]


async def test_the_preview_of_30000_templates_shows_the_one_edited(tmp_path: Path) -> None:
    """At 130 columns the preview is beside the form: it shows the template chosen and
    one comment line for the others (it dumped and highlighted all 30,000 after every
    pause in the typing, and the app took no key for the seconds that took)."""
    from taskwizard.tui.screens.wizard import WizardScreen

    app = TaskWizardApp("edit", path=big_config(tmp_path))
    async with app.run_test(size=(130, 40)) as pilot:
        for _ in range(400):
            if isinstance(app.screen, TemplatePickDialog):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, TemplatePickDialog)
        await pilot.press("down", "down", "enter")  # the third template: t-2
        for _ in range(200):
            if isinstance(app.screen, WizardScreen) and app.screen._ready:
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, WizardScreen) and screen.preview_shown
        await pilot.press("end", "x")  # the slug is t-2x
        await pilot.pause(0.4)  # the preview follows the typing 0.2 s after the last key
        await settle(pilot)
        shown = screen.query_one("#preview-body", Static).content
        assert isinstance(shown, Syntax)
        preview = shown.code
        assert "# ⋯ 2 templates before this one (unchanged)" in preview
        assert "- slug: t-2x" in preview
        assert f"# ⋯ {TEMPLATES - 3:,} templates after this one (unchanged)" in preview
        assert "t-3" not in preview and preview.count("slug:") == 1
        assert len(app.state.config["task-templates"]) == TEMPLATES  # only the preview is cut
