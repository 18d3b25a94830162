"""Write an SVG of every taskwizard screen to screenshots/, from the real app.

    python scripts/screenshots.py            # all screens, into screenshots/
    python scripts/screenshots.py review     # only the scenes whose name contains "review"

Each scene starts the app with ``run_test`` at 100×30 in a throw-away settings
folder, fills in an example template (no secrets; the folder shown is the
placeholder /home/user/bitfount, nothing is written there) and exports a
screenshot. tests/test_snapshots.py compares the same scenes with snapshots.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from taskwizard.state import WizardState  # noqa: E402
from taskwizard.tui.app import StartMode, TaskWizardApp  # noqa: E402

SIZE = (100, 30)
#: What the screens show as the user's folder: a placeholder, never a real path.
FOLDER = Path("/home/user/bitfount")
OUT = ROOT / "screenshots"


def example_state() -> WizardState:
    """An image-classification template, filled in as a new user would."""
    state = WizardState()
    state.config_path = str(FOLDER / "task-templates.yaml")
    state.config["task-templates"][0].update(
        {
            "slug": "retina-image-classifier",
            "title": "Retina image classifier",
            "type": "image-classification",
            "description": "Classifies retinal fundus images into disease grades.",
            "tags": ["Prediction", "Ophthalmology"],
        }
    )
    state.task["pods"]["identifiers"] = ["bitfount/retina-images"]
    state.task["task"]["data_structure"] = {
        "assign": {"target": "grade", "image_cols": ["image_path"]},
    }
    state.sync_template_path()
    return state


class ScreenshotApp(TaskWizardApp):
    """The real app with a fixed default folder and, optionally, a prepared state."""

    # Relative CSS paths resolve against the defining class's file: point at the app's own.
    CSS_PATH = [
        str(Path(sys.modules[TaskWizardApp.__module__].__file__ or "").parent / css)
        for css in TaskWizardApp.CSS_PATH  # type: ignore[union-attr]
    ]

    def __init__(self, mode: StartMode, state: WizardState | None = None) -> None:
        super().__init__(mode)
        self.prepared = state

    def default_folder(self) -> Path:
        return FOLDER

    def _begin_session(self, state: WizardState | None) -> None:
        prepared, self.prepared = self.prepared, None
        super()._begin_session(state or prepared)


Setup = Callable[[Pilot[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    name: str
    mode: StartMode
    setup: Setup
    example: bool = True
    settings: bool = True

    def app(self) -> ScreenshotApp:
        return ScreenshotApp(self.mode, example_state() if self.example else None)

    async def run(self, pilot: Pilot[Any]) -> None:
        """Set the scene, then stop cursors blinking so every run draws the same picture."""
        from textual.widgets import Input, TextArea

        await self.setup(pilot)
        for _ in range(2):  # again after focus moved in a late callback
            await settle(pilot)
            for screen in pilot.app.screen_stack:
                for widget in screen.query("Input, TextArea"):
                    if isinstance(widget, Input | TextArea):
                        widget.cursor_blink = False
                        widget._pause_blink(visible=widget.has_focus)  # noqa: SLF001 - no public API
                        widget.refresh()
        await settle(pilot)


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()


def step(step_id: str, *, raw: bool = False, keys: tuple[str, ...] = ()) -> Setup:
    async def setup(pilot: Pilot[Any]) -> None:
        from taskwizard.tui.screens.wizard import WizardScreen

        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, WizardScreen)
        if step_id != screen.step_id:
            screen.show_step(step_id)
            await settle(pilot)
        if raw:
            await pilot.press("ctrl+e")
            await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return setup


async def nothing(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def save_dialog(pilot: Pilot[Any]) -> None:
    await step("review")(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("setup", "home", nothing, example=False, settings=False),
    Scene("home", "home", nothing, example=False),
    Scene("wizard-template", "new", nothing, example=False),
    Scene("template", "new", step("template")),
    Scene("models", "new", step("models")),
    Scene("pods", "new", step("pods")),
    Scene("protocol", "new", step("protocol")),
    Scene("algorithms", "new", step("algorithms")),
    Scene("data", "new", step("data")),
    Scene("variables", "new", step("variables")),
    Scene("review", "new", step("review")),
    Scene("raw-yaml", "new", step("data", raw=True)),
    Scene("help", "new", step("template", keys=("f1",))),
    Scene("save-dialog", "new", save_dialog),
)


def isolated_folders() -> tempfile.TemporaryDirectory[str]:
    """Settings, drafts and cache in a throw-away folder: the user's own are never touched."""
    tmp = tempfile.TemporaryDirectory(prefix="taskwizard-shots-")
    for name in ("config", "cache", "data"):
        folder = Path(tmp.name) / name
        folder.mkdir()
        os.environ[f"TASKWIZARD_{name.upper()}_DIR"] = str(folder)
    for var in ("BITFOUNT_API_KEY_ID", "BITFOUNT_API_KEY", "BITFOUNT_ENVIRONMENT"):
        os.environ.pop(var, None)
    return tmp


def write_example_settings() -> None:
    from taskwizard.settings import Settings, save_settings

    save_settings(Settings(username="example-user", hub="production", default_folder=str(FOLDER)))


def remove_settings() -> None:
    from taskwizard import paths

    paths.settings_file().unlink(missing_ok=True)


async def capture(scene: Scene) -> str:
    if scene.settings:
        write_example_settings()
    else:
        remove_settings()
    app = scene.app()
    async with app.run_test(size=SIZE) as pilot:
        await scene.run(pilot)
        return app.export_screenshot(title=f"taskwizard — {scene.name}")


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    OUT.mkdir(exist_ok=True)
    with isolated_folders():
        for number, scene in enumerate(SCENES, start=1):
            if wanted and not any(w in scene.name for w in wanted):
                continue
            try:
                svg = asyncio.run(capture(scene))
            except Exception as exc:  # a screen that does not exist yet, or fails to draw
                print(f"skipped {scene.name}: {type(exc).__name__}: {exc}")
                continue
            target = OUT / f"{number:02d}-{scene.name}.svg"
            target.write_text(svg, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    print("skipped upload: the upload screen needs a hub session (see its own tests)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
