"""Keystroke latency: from a key press in a field to the next frame composed after it,
on every step of the wizard, against a bare Textual app measured the same way in the
same run.

The wizard opens a config with 50 templates and their 50 task YAMLs
(``bench_validate.build``, in a temporary folder) through the real edit flow
(``TaskWizardApp("edit", path=config)``, then the second template in the
TemplatePickDialog: template-1, the one with a template variable), with
``TASKWIZARD_*_DIR`` pointed at temporary folders, headless with
``App.run_test(size=(100, 30))``. On every step it types into at least one text
field, one number field, one list or selection, and one argument of a
catalog-generated form where the step has one (``SCENARIOS``), so that the field's
problem message appears and disappears; also a row of a key/value editor (its value,
in a row added first, and a key) and both file paths of the Review step (the config's,
with the problem it makes in Review's problem list).

The baseline (``BareApp``) is a Header, six Label + Input + Static triples and a
Footer; on ``Input.Changed`` it updates the Static under the first Input. It is
measured before and after the wizard, in the same process, and the two halves are
pooled.

Each key is posted at least two of Textual's frame slots (1/60 s each) after the last
frame composed, in both apps: a key posted sooner waits for Textual's frame grid, which
is not the app's work (see ``timed_key``). A person typing at 100-120 ms a key meets
that wait now and then, in any Textual app.

Each key event is posted the way ``Pilot.press`` posts it (to the driver) and the
clock runs until the next screen update composed (``App._display``; headless, so no
terminal is written: the figure is the app's own work) after

* the wizard: a ``WizardScreen.revalidate`` call (wrapped) has finished with the
  field's problem line holding the expected text;
* the baseline: its ``Input.Changed`` handler has updated the Static.

Per field it prints ``key -> next frame composed: median X p95 Y ms`` and the ratio
of each to the baseline's, plus the layouts per key (``Screen._refresh_layout``) and
the time inside ``revalidate()``; ``--profile-keystrokes`` adds a cProfile of the
whole key -> frame path of the field ``--profile-field`` names (the slug by default;
``PROFILE_LINES=N`` in the environment prints N lines of it rather than 25).

    python benchmarks/bench_keystroke.py [--keystrokes 60] [--profile-keystrokes 20]
    python benchmarks/bench_keystroke.py --smoke   # a few keys per field (the test suite)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import build  # noqa: E402  (the same 50-template config)

SIZE = (100, 30)
#: Polling interval while waiting: the figures come from the hooks' own time stamps, so
#: this only has to be short; it is not 0 so that polling does not eat the CPU it measures.
POLL = 0.001
#: How long after the mark a frame may still come (the screen draws at most 60 times a
#: second); later, the key changed nothing on screen. Shorter than the 0.2 s after which
#: the Review and preview panes follow the typing: those redraws are not the key's frame.
NO_FRAME = 0.1
#: How many slots of Textual's frame grid (1 / MAX_FPS each) a key waits after the last
#: frame composed (see timed_key): after a frame that ran past its slot, Textual's update
#: timer skips to the grid point after the next one, so two, with a margin.
FRAME_SLOTS = 2.2
ALGORITHMS = ("task", "algorithm")
#: The field --profile-keystrokes profiles (the start of its scenario's name).
PROFILED = ["Template: slug"]
#: A key, its character, and what the field's problem line must then contain
#: ("" means no problem at all, None means whatever validation says).
Key = tuple[str, str | None, str | None]
TOGGLE: list[Key] = [("x", "x", None), ("backspace", None, None)]
SPACE: list[Key] = [("space", " ", None)]


@dataclass
class Scenario:
    """Keys typed into one field of one step."""

    name: str
    step: str
    #: The field: a widget id on the step, or (doc, path) for ``StepView.field_for``.
    field: str | tuple[str, tuple[str | int, ...]]
    cycle: list[Key]
    #: Keys pressed (not timed) once the field has the focus: e.g. a key/value row added.
    setup: tuple[str, ...] = ()
    #: For a field that is no Field (a Field has its problem line): the id of the
    #: OptionList on the step that lists its problems (Review's).
    problems: str | None = None


SCENARIOS = [
    Scenario(
        "Template: slug (text, config of 50 entries)",
        "template",
        "#field-slug",
        [
            ("backspace", None, "becomes 'template'"),
            ("0", "0", "the same as task-templates[0]"),
            ("backspace", None, "becomes 'template'"),
            ("1", "1", ""),
        ],
    ),
    Scenario("Template: title (text)", "template", "#field-title", TOGGLE),
    Scenario("Template: tags (selection list)", "template", "#field-tags", SPACE),
    Scenario(
        "Models: model file (text)", "models", ("config", ("models", 0, "model_file")), TOGGLE
    ),
    Scenario("Models: checkbox (bool)", "models", "#model-0-private", SPACE),
    Scenario(
        "Pods: pod identifiers (list)",
        "pods",
        "#field-pods",
        [("slash", "/", "is not valid"), ("backspace", None, "")],
    ),
    Scenario("Pods: modeller username (text)", "pods", "#field-modeller-username", TOGGLE),
    Scenario(
        "Protocol: aggregator (catalog argument)",
        "protocol",
        ("task", ("task", "protocol", "arguments", "aggregator")),
        TOGGLE,
    ),
    Scenario(
        "Algorithms: decimal_places (catalog number)",
        "algorithms",
        ("task", (*ALGORITHMS, 1, "arguments", "decimal_places")),
        [("x", "x", "must be a whole number"), ("backspace", None, "")],
    ),
    Scenario(
        "Algorithms: columns_to_drop (catalog list)",
        "algorithms",
        ("task", (*ALGORITHMS, 1, "arguments", "columns_to_drop")),
        TOGGLE,
    ),
    Scenario(
        "Algorithms: sorting_columns value (key/value row)",
        "algorithms",
        ("task", (*ALGORITHMS, 1, "arguments", "sorting_columns")),
        [("x", "x", "must be one of"), ("backspace", None, "")],
        setup=("enter", "a", "g", "e", "tab", "a", "s", "c"),  # + Add row: age -> asc
    ),
    Scenario(
        "Algorithms: hyperparameters key (key/value row)",
        "algorithms",
        ("task", (*ALGORITHMS, 0, "model", "hyperparameters")),
        TOGGLE,
    ),
    Scenario(
        "Algorithms: model reference (text)",
        "algorithms",
        ("task", (*ALGORITHMS, 0, "model", "bitfount_model", "model_ref")),
        TOGGLE,
    ),
    Scenario(
        "Algorithms: model version (number)",
        "algorithms",
        ("task", (*ALGORITHMS, 0, "model", "bitfount_model", "model_version")),
        [("x", "x", "must be a whole number"), ("backspace", None, "")],
    ),
    Scenario(
        "Data: table (text)",
        "data",
        ("task", ("task", "data_structure", "table_config", "table")),
        TOGGLE,
    ),
    Scenario(
        "Data: target (list)",
        "data",
        ("task", ("task", "data_structure", "assign", "target")),
        TOGGLE,
    ),
    Scenario(
        "Variables: label (text)",
        "variables",
        ("task", ("template", "cols", "label")),
        [("backspace", None, None), ("s", "s", None)],
    ),
    Scenario(
        "Variables: minimum items (number)",
        "variables",
        ("task", ("template", "cols", "minItems")),
        [("x", "x", "whole number"), ("backspace", None, "")],
    ),
    Scenario("Review: task YAML path (text)", "review", "#task-path", TOGGLE),
    Scenario(
        "Review: config path (text)",
        "review",
        "#config-path",
        # Review's problem list follows the typing when the indicators settle (its
        # warning is in "indicators settled"): the key's frame holds the path alone.
        [("X", "X", None), ("backspace", None, None)],
        problems="#review-problems",
    ),
]


@dataclass
class Probe:
    """What the wrapped hooks saw, with perf_counter stamps."""

    #: (start, end, text of the watched problem line after the call): revalidate, or
    #: the baseline's Input.Changed handler.
    marks: list[tuple[float, float, str]] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)
    #: end stamps of the wizard's settle_indicators (the step list, status line, title
    #: and footer following the typing); None for the baseline, which has none.
    settles: list[float] | None = None
    #: (start, end) of each Screen._refresh_layout (a full layout of the screen)
    layouts: list[tuple[float, float]] = field(default_factory=list)
    watched: Callable[[], str] = lambda: ""


@dataclass
class Results:
    frame_ms: list[float] = field(default_factory=list)
    mark_ms: list[float] = field(default_factory=list)
    inside_ms: list[float] = field(default_factory=list)
    layout_calls: list[int] = field(default_factory=list)
    layout_ms: list[float] = field(default_factory=list)
    settled_ms: list[float] = field(default_factory=list)

    def extend(self, other: Results) -> None:
        for name in ("frame_ms", "mark_ms", "inside_ms", "layout_calls", "layout_ms", "settled_ms"):
            getattr(self, name).extend(getattr(other, name))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def hook(app: Any, screen: Any, probe: Probe) -> None:
    """Record every composed frame and every full layout of ``screen``."""
    original_display = app._display

    def display(screen_: Any, renderable: Any) -> None:
        if renderable is not None:
            probe.frames.append(time.perf_counter())
        original_display(screen_, renderable)

    app._display = display
    original_layout = screen._refresh_layout

    def refresh_layout(*args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        original_layout(*args, **kwargs)
        probe.layouts.append((start, time.perf_counter()))

    screen._refresh_layout = refresh_layout


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not reach the expected state")
        await asyncio.sleep(0.005)


async def timed_key(
    app: Any,
    pilot: Any,
    probe: Probe,
    key: Key,
    result: Results,
    profiler: cProfile.Profile | None = None,
) -> None:
    """Post one key; record key -> mark -> next frame, the time inside marks, layouts."""
    from textual import events
    from textual.constants import MAX_FPS

    name, char, expected = key
    seen = len(probe.marks)
    layouts_seen = len(probe.layouts)

    def matched() -> float | None:
        for _, end, text in probe.marks[seen:]:
            if expected is None or ((expected in text) if expected else text == ""):
                return end
        return None

    # Textual composes at most MAX_FPS frames a second, on a fixed grid: a screen
    # update asked for soon after the previous frame waits for a later grid point (up
    # to 16.7 ms, 33 ms after a frame that overran its slot), in any Textual app. The
    # wizard's indicators settle (a frame) 100 ms after a key, and a key posted right
    # after that frame measured that wait, not the app (keys that make or clear an
    # error, whose settling changes the step list, measured ~2x for it); the
    # baseline's keys did not. Every key, in both apps, is posted FRAME_SLOTS slots
    # after the last frame composed: the figure is the app's own work.
    slot = FRAME_SLOTS / MAX_FPS
    while probe.frames and time.perf_counter() - probe.frames[-1] < slot:
        await asyncio.sleep(POLL)
    if profiler is not None:
        profiler.enable()
    start = time.perf_counter()
    event = events.Key(name, char)
    event.set_sender(app)
    app._driver.send_message(event)
    while (mark := matched()) is None:
        if time.perf_counter() - start > 15:
            raise TimeoutError(f"no problem line {expected!r} after {name!r}: {probe.watched()!r}")
        await asyncio.sleep(POLL)
    # The frame that shows the key's whole effect: the first one composed after the mark.
    # When the mark changed nothing on screen no frame comes; NO_FRAME after the mark we
    # stop waiting. Waiting polls with asyncio.sleep: Pilot.pause would post a callback to
    # every widget of the screen and slow down the very work being measured.
    while not (probe.frames and probe.frames[-1] > mark):
        if time.perf_counter() - mark > NO_FRAME:
            break
        await asyncio.sleep(POLL)
    if profiler is not None:
        profiler.disable()
    # The key's effect is complete at the frame after the mark; when the mark changed
    # nothing on screen, at the mark itself (its work still counts).
    frame = next((t for t in probe.frames if t > mark), mark)
    if probe.settles is not None:
        # The indicators away from the field follow the typing once it pauses: the
        # frame composed after they settled (or the settling itself when it changed
        # nothing on screen). Waited for after every key, so it is the figure of a
        # key typed on its own (typing on, they settle once after the last key).
        settles = probe.settles
        while (settle := next((t for t in settles if t > start), None)) is None:
            if time.perf_counter() - start > 15:
                raise TimeoutError(f"the indicators did not settle after {name!r}")
            await asyncio.sleep(POLL)
        while not (probe.frames and probe.frames[-1] > settle):
            if time.perf_counter() - settle > NO_FRAME:
                break
            await asyncio.sleep(POLL)
        settled = next((t for t in probe.frames if t > settle), settle)
        result.settled_ms.append((settled - start) * 1000)
    result.frame_ms.append((frame - start) * 1000)
    result.mark_ms.append((mark - start) * 1000)
    during = [(s, e) for s, e, _ in probe.marks[seen:] if s < frame]
    result.inside_ms.append(sum(e - s for s, e in during) * 1000)
    layouts = [(s, e) for s, e in probe.layouts[layouts_seen:] if s < frame]
    result.layout_ms.append(sum(e - s for s, e in layouts) * 1000)
    result.layout_calls.append(len(layouts))
    await pilot.pause()  # let the app go idle before the next key (not timed)


# ------------------------------------------------------------------ the baseline
def bare_app_class() -> type[Any]:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Input, Label, Static

    class BareApp(App[None]):
        """The baseline: what a form in bare Textual costs per key."""

        BINDINGS = [("ctrl+n", "next", "Next"), ("ctrl+s", "save", "Save")]

        def __init__(self) -> None:
            super().__init__()
            self.probe = Probe()

        def compose(self) -> ComposeResult:
            yield Header()
            for n in range(6):
                yield Label(f"Field {n}")
                yield Input(f"value {n}", id=f"input-{n}")
                yield Static("", id=f"note-{n}")
            yield Footer()

        def on_input_changed(self, event: Input.Changed) -> None:
            start = time.perf_counter()
            if event.input.id == "input-0":
                note = self.query_one("#note-0", Static)
                note.update(f"{len(event.value)} characters" if "x" in event.value else "")
            self.probe.marks.append((start, time.perf_counter(), ""))

    return BareApp


async def run_baseline(keystrokes: int) -> Results:
    from textual.widgets import Input

    app = bare_app_class()()
    result = Results()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        hook(app, app.screen, app.probe)
        app.query_one("#input-0", Input).focus()
        await pilot.press("end")
        await pilot.pause()
        for n in range(keystrokes):
            await timed_key(app, pilot, app.probe, TOGGLE[n % 2], result)
    return result


# -------------------------------------------------------------------- the wizard
async def run_wizard(
    keystrokes: int, profile_keystrokes: int, config: Path
) -> tuple[dict[str, Results], cProfile.Profile]:
    from textual.widget import Widget
    from textual.widgets import Input, OptionList, Static

    from taskwizard.tui.app import TaskWizardApp
    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog
    from taskwizard.tui.screens.wizard import WizardScreen
    from taskwizard.tui.widgets.fields import Field

    app = TaskWizardApp("edit", path=config)
    probe = Probe()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: isinstance(app.screen, TemplatePickDialog))
        await pilot.press("down", "enter")  # template-1: the one with a variable
        await wait_for(lambda: isinstance(app.screen, WizardScreen) and app.screen._ready)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        assert len(app.state.config["task-templates"]) == 50
        assert app.state.entry.get("slug") == "template-1"

        original_revalidate = screen.revalidate
        original_settle = screen.settle_indicators
        probe.settles = []

        def revalidate(*, settle: bool = True) -> None:
            start = time.perf_counter()
            original_revalidate(settle=settle)
            probe.marks.append((start, time.perf_counter(), probe.watched()))

        def settle_indicators() -> None:
            original_settle()
            assert probe.settles is not None
            probe.settles.append(time.perf_counter())

        screen.revalidate = revalidate  # type: ignore[method-assign]
        screen.settle_indicators = settle_indicators  # type: ignore[method-assign]
        hook(app, screen, probe)

        def view_of() -> Widget:
            view = screen.step_view
            assert view is not None, "the step is not mounted"
            return view

        def listed_problems(selector: str | None) -> Callable[[], str]:
            if selector is None:
                return lambda: ""
            listed = view_of().query_one(selector, OptionList)

            def text() -> str:
                count = listed.option_count
                return "\n".join(str(listed.get_option_at_index(n).prompt) for n in range(count))

            return text

        def find(scenario: Scenario) -> Widget:
            view = view_of()
            if isinstance(scenario.field, str):
                return view.query_one(scenario.field)
            doc, path = scenario.field
            found = view.field_for(doc, path)  # type: ignore[arg-type]
            assert found is not None and found.path == path, f"no field for {path}"
            return found

        async def open_step(scenario: Scenario) -> None:
            if screen.step_id != scenario.step:
                screen.show_step(scenario.step)
            await wait_for(
                lambda: (
                    screen.step_view is not None and screen.step_view.id == f"step-{scenario.step}"
                )
            )
            await pilot.pause()
            target = find(scenario)
            if isinstance(target, Field):
                target.focus_editor()

                def problem_line() -> str:
                    # Read on every call: the line is mounted the first time it is needed.
                    boxes = list(target.query_children(".field--problem").results(Static))
                    return str(boxes[0].render()).strip() if boxes else ""

                probe.watched = problem_line
            else:
                target.focus()
                probe.watched = listed_problems(scenario.problems)
            await pilot.pause()
            if isinstance(app.focused, Input):  # the editor, or a key/value row's key
                await pilot.press("end")  # Input selects all on focus
                await pilot.pause()
            for key in scenario.setup:
                await pilot.press(key)
                await pilot.pause()

        results: dict[str, Results] = {}
        for scenario in SCENARIOS:
            await open_step(scenario)
            result = results[scenario.name] = Results()
            for n in range(keystrokes):
                await timed_key(app, pilot, probe, scenario.cycle[n % len(scenario.cycle)], result)

        # Where a keystroke's time goes: one field's whole key -> frame path, profiled.
        profiler = cProfile.Profile()
        slug = next(s for s in SCENARIOS if s.name.startswith(PROFILED[0]))
        await open_step(slug)
        for n in range(keystrokes, keystrokes + profile_keystrokes):  # where its cycle stopped
            await timed_key(app, pilot, probe, slug.cycle[n % len(slug.cycle)], Results(), profiler)
    return results, profiler


async def run(keystrokes: int, profile_keystrokes: int, config: Path) -> None:
    baseline = await run_baseline(max(2, keystrokes // 2))
    wizard, profiler = await run_wizard(keystrokes, profile_keystrokes, config)
    baseline.extend(await run_baseline(max(2, keystrokes // 2)))
    report(baseline, wizard, profiler if profile_keystrokes else None)


def line(result: Results, baseline: Results | None) -> str:
    median, high = statistics.median(result.frame_ms), p95(result.frame_ms)
    text = f"key -> next frame composed: median {median:.1f} p95 {high:.1f} ms"
    if baseline is not None:
        text += (
            f"  ({median / statistics.median(baseline.frame_ms):.2f}x / "
            f"{high / p95(baseline.frame_ms):.2f}x the bare Textual app)"
        )
    return text


def report(
    baseline: Results, wizard: dict[str, Results], profiler: cProfile.Profile | None
) -> None:
    from taskwizard.tui.screens.wizard import SETTLE_DELAY

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"wizard: 50 task templates + 50 task YAMLs, edit flow, run_test size={SIZE} "
        "(headless: nothing is drawn to a terminal; these are the app's own work per key)"
    )
    print(f"\nbare Textual app (baseline, n={len(baseline.frame_ms)})")
    print(f"  {line(baseline, None)}")
    print(f"  layouts per key: {statistics.mean(baseline.layout_calls):.1f}")
    worst = 0.0
    for name, result in wizard.items():
        print(f"\n{name} (n={len(result.frame_ms)})")
        print(f"  {line(result, baseline)}")
        if result.settled_ms:
            print(
                "  key -> indicators settled: "
                f"median {statistics.median(result.settled_ms):.1f}"
                f" p95 {p95(result.settled_ms):.1f} ms"
                " (step list, status line, title, footer; they follow the typing"
                f" {SETTLE_DELAY * 1000:.0f} ms after the last key)"
            )
        print(
            f"  inside revalidate(): median {statistics.median(result.inside_ms):.1f} ms;"
            f" layouts per key: {statistics.mean(result.layout_calls):.1f},"
            f" {statistics.median(result.layout_ms):.1f} ms median"
        )
        worst = max(
            worst,
            statistics.median(result.frame_ms) / statistics.median(baseline.frame_ms),
            p95(result.frame_ms) / p95(baseline.frame_ms),
        )
    print(f"\nworst ratio to the bare Textual app over all fields (median or p95): {worst:.2f}x")
    if profiler is not None:
        print(f"\ncProfile of {PROFILED[0]!r} keys, key -> frame (whole event loop), top 25:")
        print_stats(profiler, "cumulative", int(os.environ.get("PROFILE_LINES", "25")))


def print_stats(profiler: cProfile.Profile, order: str, limit: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(order).print_stats(limit)
    lines = out.getvalue().splitlines()
    start = next((i for i, text in enumerate(lines) if "ncalls" in text), 0)
    site = str(Path(asyncio.__file__).parent.parent)
    for text in lines[start:]:
        if text.strip():
            print("  " + text.replace(site + "/", "").replace(str(Path.cwd()) + "/", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--keystrokes", type=int, default=60, help="per field (default 60)")
    parser.add_argument("--profile-keystrokes", type=int, default=0)
    parser.add_argument(
        "--profile-field", default="Template: slug", help="the start of a field's name above"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a few keys per field, to check the script runs"
    )
    args = parser.parse_args()
    PROFILED[0] = args.profile_field
    if args.smoke:
        args.keystrokes, args.profile_keystrokes = 4, 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("config", "cache", "data"):
            (root / name).mkdir()
            os.environ[f"TASKWIZARD_{name.upper()}_DIR"] = str(root / name)
        project = root / "project"
        project.mkdir()
        config = build(project)
        os.chdir(project)  # relative template paths resolve here, as in a real session
        asyncio.run(run(args.keystrokes, args.profile_keystrokes, config))


if __name__ == "__main__":
    main()
