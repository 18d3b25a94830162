"""Write an SVG of every taskwizard screen to screenshots/, from the real app.

    python scripts/screenshots.py            # all screens, into screenshots/
    python scripts/screenshots.py review     # only the scenes whose name contains "review"
    python scripts/screenshots.py --sizes    # also 80x24 and 120x40, into screenshots/80x24/ …

80×24 is the size the screens are designed for first; 120×40 shows the YAML preview
beside the form (from 110 columns).

Each scene starts the app with ``run_test`` at 100×30 in a throw-away settings
folder, fills in an example template (no secrets; the folder shown is the
placeholder /home/user/bitfount, nothing is written there) and exports a
screenshot. tests/test_snapshots.py compares the same scenes with snapshots.

Scenes (file name: what it shows):

    01-setup.svg                first start: the setup screen (no settings yet)
    02-home.svg                 the home screen
    03-wizard-template.svg      a new wizard, empty, on its first step
    04-template.svg             the example template: Template step
    05-models.svg               ... Models step
    06-pods.svg                 ... Pods step
    07-protocol.svg             ... Protocol step
    08-algorithms.svg           ... Algorithms step
    09-data.svg                 ... Data step
    10-variables.svg            ... Variables step
    11-review.svg               ... Review step
    12-raw-yaml.svg             the Data step in the raw YAML editor (ctrl+e)
    13-help.svg                 the help (F1) over the Template step
    14-save-dialog.svg          the save dialog (ctrl+s on Review)
    15-upload-plan.svg          the upload screen's plan: a model, its weights, one template
    16-upload-done.svg          the same upload finished, every row done (no speeds or times)
    17-open-template-pick.svg   opening a config with three templates: which one to edit?
    18-file-picker.svg          the file picker (Open on the home screen)
    19-open-from-hub.svg        Open from the Hub: the user's templates, searched for "image"

Scenes 15-19 (FILE_SCENES: not in tests/test_snapshots.py) need real files: they
are written to a throw-away folder named ``bitfount`` and the app runs in its parent
folder, so the screens show the short relative path ``bitfount/task-templates.yaml``,
never a temporary path. Scenes 15-16 upload to a LocalHub this script starts on
127.0.0.1:3000 (the local hub's usual port, so no random port shows), its data in a
throw-away folder; if port 3000 is taken they are skipped with a note. Scene 19 uploads
the three example templates to such a hub too (its URL shows in the title).
The hub's key pair is made up for the run: the key id shown is the fixed ``example-key-id``, the key
itself is random and never shown (the script checks that neither it nor a temporary
path is in a screenshot before writing it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from taskwizard.state import WizardState  # noqa: E402
from taskwizard.tui.app import StartMode, TaskWizardApp  # noqa: E402
from taskwizard.wizard_steps import STEP_IDS  # noqa: E402

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
        for css in TaskWizardApp.CSS_PATH
    ]

    def __init__(
        self, mode: StartMode, state: WizardState | None = None, folder: Path = FOLDER
    ) -> None:
        super().__init__(mode)
        self.prepared = state
        self.folder = folder

    def default_folder(self) -> Path:
        return self.folder

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
    #: Writes real files into the given folder (shown as ``bitfount/``).
    project: Callable[[Path], None] | None = None
    #: Uploads to a LocalHub on 127.0.0.1:3000 that the script starts.
    hub: bool = False
    #: The hub's port (0: any free port, for scenes that do not show it in full).
    hub_port: int = 3000

    def app(self, folder: Path = FOLDER) -> ScreenshotApp:
        return ScreenshotApp(self.mode, example_state() if self.example else None, folder)

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


# ------------------------------------------------------ scenes with real files
#: The project folder as the screens show it (relative: the app runs in its parent).
PROJECT = Path("bitfount")
CONFIG = PROJECT / "task-templates.yaml"
HUB_PORT = 3000
HUB_USER = "example-user"
HUB_KEY_ID = "example-key-id"

MODEL_CODE = """\
from bitfount.backends.pytorch import PyTorchBitfountModel


class RetinaClassifier(PyTorchBitfountModel):
    \"\"\"Grades retinal fundus images.\"\"\"
"""


def task_yaml(pod: str, model: str | None = None) -> str:
    if model is None:
        algorithm = "    - name: bitfount.CSVReportAlgorithm\n"
    else:
        algorithm = (
            "    - name: bitfount.ModelInference\n"
            "      arguments:\n"
            '        class_outputs: ["0", "1", "2", "3", "4"]\n'
            "      model:\n"
            "        bitfount_model:\n"
            f"          model_ref: {model}\n"
            "        hyperparameters:\n"
            "          batch_size: 8\n"
            "    - name: bitfount.CSVReportAlgorithm\n"
        )
    return (
        f'pods:\n  identifiers:\n    - "{pod}"\n'
        "task:\n  protocol:\n    name: bitfount.InferenceAndCSVReport\n"
        f"  algorithm:\n{algorithm}"
        '  data_structure:\n    assign:\n      target: "grade"\n      image_cols: ["image_path"]\n'
    )


def template_entry(slug: str, title: str, kind: str, description: str) -> str:
    return (
        f"  - slug: {slug}\n    title: {title}\n    type: {kind}\n"
        f"    description: {description}\n    template: templates/{slug}.yaml\n"
        "    tags: [Prediction, Ophthalmology]\n"
    )


def weights_bytes(size: int) -> bytes:
    """Made-up weights, the same on every run (so the size shown is too)."""
    block = hashlib.sha256(b"example weights").digest() * 2048
    return (block * (size // len(block) + 1))[:size]


def upload_project(folder: Path) -> None:
    """One template whose model (code and weights) is in the config."""
    (folder / "templates").mkdir(parents=True)
    (folder / "models").mkdir()
    (folder / "models" / "RetinaClassifier.py").write_text(MODEL_CODE)
    (folder / "models" / "RetinaClassifier.pt").write_bytes(weights_bytes(1_400_000))
    slug = "retina-image-classifier"
    (folder / "templates" / f"{slug}.yaml").write_text(
        task_yaml("bitfount/retina-images", "RetinaClassifier")
    )
    (folder / "task-templates.yaml").write_text(
        "task-templates:\n"
        + template_entry(
            slug,
            "Retina image classifier",
            "image-classification",
            "Classifies retinal fundus images into disease grades.",
        )
        + "models:\n  - model_file: models/RetinaClassifier.py\n"
        "    weights_file: models/RetinaClassifier.pt\n"
    )


def three_template_project(folder: Path) -> None:
    """A config with three templates (and a model folder the picker does not list)."""
    upload_project(folder)
    entries = [
        (
            "retina-image-classifier",
            "Retina image classifier",
            "image-classification",
            "Classifies retinal fundus images into disease grades.",
        ),
        (
            "oct-layer-segmentation",
            "OCT layer segmentation",
            "image-segmentation",
            "Marks the retinal layers in OCT scans.",
        ),
        (
            "fundus-csv-report",
            "Fundus image report",
            "image-classification",
            "Lists the fundus images of a dataset in a CSV report.",
        ),
    ]
    for slug, *_ in entries[1:]:
        (folder / "templates" / f"{slug}.yaml").write_text(task_yaml("bitfount/retina-images"))
    (folder / "task-templates.yaml").write_text(
        "task-templates:\n"
        + "".join(template_entry(*entry) for entry in entries)
        + "models:\n  - model_file: models/RetinaClassifier.py\n"
        "    weights_file: models/RetinaClassifier.pt\n"
    )


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await pilot.pause(0.05)


async def upload_screen(pilot: Pilot[Any], *, upload: bool) -> None:
    from taskwizard.tui.screens.upload import UploadScreen

    await settle(pilot)
    screen = UploadScreen(CONFIG, show_rates=False)
    pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: screen.phase in ("planned", "plan-failed"), "the plan")
    if screen.phase != "planned":
        raise RuntimeError(f"no plan: {screen.error}")
    if upload:
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.phase == "finished", "the upload")
        if screen.result is None or not screen.result.ok:
            raise RuntimeError(f"the upload did not finish cleanly: {screen.error}")


async def upload_plan(pilot: Pilot[Any]) -> None:
    await upload_screen(pilot, upload=False)


async def upload_done(pilot: Pilot[Any]) -> None:
    await upload_screen(pilot, upload=True)


async def open_from_hub(pilot: Pilot[Any]) -> None:
    """The three templates uploaded to the local hub, then Home → Open from the Hub."""
    from textual.widgets import DataTable

    from taskwizard.hub.plan import build_plan
    from taskwizard.hub.targets import resolve_target
    from taskwizard.hub.upload import execute_plan
    from taskwizard.tui.screens.hub_open import HubOpenScreen

    target = resolve_target()
    with target.client() as client:
        plan = build_plan(CONFIG, client, target.username, cwd=PROJECT)
        if not execute_plan(plan, client, on_progress=lambda event: None).ok:
            raise RuntimeError("the example templates did not upload")
    await settle(pilot)
    await pilot.press("h")
    screen = pilot.app.screen
    assert isinstance(screen, HubOpenScreen)
    table = screen.query_one("#hub-templates", DataTable)
    await wait_until(pilot, lambda: table.row_count == 3, "the hub's templates")
    await pilot.press(*"image")
    await wait_until(pilot, lambda: table.row_count == 2, "the search")
    await pilot.press("down", "down")
    await settle(pilot)


async def open_template_pick(pilot: Pilot[Any]) -> None:
    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog

    await settle(pilot)
    app = pilot.app
    assert isinstance(app, TaskWizardApp)
    app.open_file(CONFIG)
    await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickDialog), "the dialog")


async def file_picker(pilot: Pilot[Any]) -> None:
    from taskwizard.tui.dialogs.file_picker import FilePickerDialog

    await settle(pilot)
    await pilot.press("o")  # Open, on the home screen: which file?
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FilePickerDialog), "the picker")
    await settle(pilot)
    tree = pilot.app.screen.query_one("#picker-tree")
    tree.focus()
    await settle(pilot)
    # Expand templates/ (space: Enter would choose the folder, typing its full path).
    await pilot.press("down", "down", "space")
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("setup", "home", nothing, example=False, settings=False),
    Scene("home", "home", nothing, example=False),
    Scene("wizard-template", "new", nothing, example=False),
    # one scene per wizard step, from the step registry
    *(Scene(step_id, "new", step(step_id)) for step_id in STEP_IDS),
    Scene("raw-yaml", "new", step("data", raw=True)),
    Scene("help", "new", step("template", keys=("f1",))),
    Scene("save-dialog", "new", save_dialog),
)

#: Scenes that need real files (and 15-16 a hub on port 3000): taken by this script only,
#: not by tests/test_snapshots.py, which runs SCENES without a project folder.
FILE_SCENES: tuple[Scene, ...] = (
    Scene("upload-plan", "home", upload_plan, example=False, project=upload_project, hub=True),
    Scene("upload-done", "home", upload_done, example=False, project=upload_project, hub=True),
    Scene(
        "open-template-pick",
        "home",
        open_template_pick,
        example=False,
        project=three_template_project,
    ),
    Scene("file-picker", "home", file_picker, example=False, project=three_template_project),
    Scene(
        "open-from-hub",
        "home",
        open_from_hub,
        example=False,
        project=three_template_project,
        hub=True,  # on 3000 like 15-16, so the URL in its title is the same every run
    ),
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


class Skip(Exception):
    """A scene that cannot be taken here (the message says why)."""


@contextlib.contextmanager
def project_folder(scene: Scene) -> Iterator[Path]:
    """Run in a throw-away folder holding the scene's ``bitfount/`` project."""
    if scene.project is None:
        yield FOLDER
        return
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="taskwizard-shots-project-") as tmp:
        scene.project(Path(tmp) / PROJECT)
        os.chdir(tmp)
        try:
            yield PROJECT
        finally:
            os.chdir(before)


@contextlib.contextmanager
def local_hub(scene: Scene) -> Iterator[str | None]:
    """A LocalHub on 127.0.0.1:3000 with a made-up key pair, and settings for it."""
    if not scene.hub:
        yield None
        return
    from taskwizard.hub.localhub import LocalHub, LocalHubError
    from taskwizard.settings import Settings, save_settings

    key = secrets.token_hex(24)
    with tempfile.TemporaryDirectory(prefix="taskwizard-shots-hub-") as data:
        hub = LocalHub(
            Path(data),
            username=HUB_USER,
            api_key_id=HUB_KEY_ID,
            api_key=key,
            host="127.0.0.1",
            port=scene.hub_port,
        )
        try:
            hub.start()
        except (LocalHubError, OSError) as exc:
            raise Skip(f"port {scene.hub_port} is not free for the local hub ({exc})") from exc
        try:
            save_settings(Settings(username=HUB_USER, hub="local", hub_url=hub.url))
            os.environ["BITFOUNT_API_KEY_ID"] = HUB_KEY_ID
            os.environ["BITFOUNT_API_KEY"] = key
            yield key
        finally:
            os.environ.pop("BITFOUNT_API_KEY_ID", None)
            os.environ.pop("BITFOUNT_API_KEY", None)
            hub.stop()


#: The extra sizes of ``--sizes``, each in its own folder under screenshots/.
EXTRA_SIZES = ((80, 24), (120, 40))


async def capture(scene: Scene) -> str:
    if scene.settings:
        write_example_settings()
    else:
        remove_settings()
    with project_folder(scene) as folder, local_hub(scene) as secret:
        app = scene.app(folder)
        async with app.run_test(size=SIZE) as pilot:
            await scene.run(pilot)
            svg = app.export_screenshot(title=f"taskwizard — {scene.name}")
        if secret is not None and secret in svg:
            raise RuntimeError("the API key shows in the screenshot: not written")
        if tempfile.gettempdir() in svg:
            raise RuntimeError("a temporary path shows in the screenshot: not written")
        return svg


def main(argv: list[str]) -> int:
    global SIZE
    wanted = [a for a in argv[1:] if a != "--sizes"]
    runs = [(SIZE, OUT)]
    if "--sizes" in argv[1:]:
        runs += [(size, OUT / f"{size[0]}x{size[1]}") for size in EXTRA_SIZES]
    default = SIZE
    try:
        for size, out in runs:
            SIZE = size
            write_scenes(wanted, out)
    finally:
        SIZE = default
    return 0


def write_scenes(wanted: list[str], out: Path) -> None:
    out.mkdir(exist_ok=True)
    with isolated_folders():
        for number, scene in enumerate((*SCENES, *FILE_SCENES), start=1):
            if wanted and not any(w in scene.name for w in wanted):
                continue
            try:
                svg = asyncio.run(capture(scene))
            except Skip as exc:
                print(f"skipped {scene.name}: {exc}")
                continue
            except Exception as exc:  # a screen that does not exist yet, or fails to draw
                print(f"skipped {scene.name}: {type(exc).__name__}: {exc}")
                continue
            target = out / f"{number:02d}-{scene.name}.svg"
            target.write_text(svg, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
