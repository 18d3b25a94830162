"""Keystroke latency: from a key press in a field to the updated problem message under it.

Issue 3 asks that validation stays instant on a config with 50 templates. This
opens such a config (``bench_validate.build``: 50 templates and their 50 task
YAMLs, in a temporary folder) through the real edit flow
(``TaskWizardApp("edit", path=config)``, then Enter on the first template in
the TemplatePickDialog) with ``TASKWIZARD_*_DIR`` pointed at temporary
folders, headless with ``App.run_test(size=(100, 30))``, and types into three
fields so that their message appears and disappears on each key:

* Template step, slug ``template-0``: Backspace (warning: becomes 'template'),
  ``1`` (error: same slug as template 1), Backspace (warning), ``0`` (no message);
* Pods step, pod identifiers ``owner/pod-0``: ``/`` (error), Backspace (none);
* Algorithms step, CSVReportAlgorithm's ``decimal_places`` ``3``: ``x`` (error),
  Backspace (none).

Each key event is posted the way ``Pilot.press`` posts it (to the driver) and the
clock runs until

* *message*: a ``WizardScreen.revalidate`` call (wrapped) has finished with the
  field's problem Static holding the expected text,
* *frame*: the next screen update was composed after that (``App._display``;
  headless, so no terminal is written: the figure is the app's own work).

The time spent inside ``revalidate()`` itself is reported separately, plus a
breakdown of its parts called directly, and a cProfile of one revalidate.

    python benchmarks/bench_keystroke.py [--keystrokes 200] [--pilot-keystrokes 40]
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
ALGORITHM_FIELD = ("task", "algorithm", 1, "arguments", "decimal_places")


@dataclass
class Scenario:
    """Keys typed into one field, and what its problem message must say after each."""

    name: str
    step: str
    #: How to find the field on the step: a widget id, or (doc, path) for ``field_for``.
    field: str | tuple[str, tuple[str | int, ...]]
    #: (key, character, text the message must contain; "" means no message at all).
    cycle: list[tuple[str, str | None, str]]


SCENARIOS = [
    Scenario(
        "Template step: slug (config, 50 entries)",
        "template",
        "#field-slug",
        [
            ("backspace", None, "becomes 'template'"),
            ("1", "1", "the same as task-templates[1]"),
            ("backspace", None, "becomes 'template'"),
            ("0", "0", ""),
        ],
    ),
    Scenario(
        "Pods step: pod identifiers (task)",
        "pods",
        "#field-pods",
        [("slash", "/", "is not valid"), ("backspace", None, "")],
    ),
    Scenario(
        "Algorithms step: decimal_places (task)",
        "algorithms",
        ("task", ALGORITHM_FIELD),
        [("x", "x", "must be a whole number"), ("backspace", None, "")],
    ),
]


@dataclass
class Probe:
    """What the wrapped revalidate and _display saw, with perf_counter stamps."""

    #: (start, end, text of the watched problem Static after the call)
    revalidations: list[tuple[float, float, str]] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)
    #: (start, end) of each Screen._refresh_layout (a full layout of the screen)
    layouts: list[tuple[float, float]] = field(default_factory=list)
    watched: Any = None


@dataclass
class Results:
    message_ms: list[float] = field(default_factory=list)
    frame_ms: list[float] = field(default_factory=list)
    revalidate_ms: list[float] = field(default_factory=list)
    revalidate_calls: list[int] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    layout_ms: list[float] = field(default_factory=list)
    layout_calls: list[int] = field(default_factory=list)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):7.2f}  p95 {p95:7.2f}  "
        f"max {ordered[-1]:7.2f} ms  (n={len(ordered)})"
    )


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def static_text(widget: Any) -> str:
    return str(widget.content) if widget is not None else ""


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not reach the expected state")
        await asyncio.sleep(0.005)


async def run(
    keystrokes: int, pilot_keystrokes: int, profile_keystrokes: int, config: Path
) -> None:
    from textual import events
    from textual.widgets import Input, Static

    from taskwizard.tui.app import TaskWizardApp
    from taskwizard.tui.dialogs.template_pick import TemplatePickDialog
    from taskwizard.tui.screens.wizard import WizardScreen
    from taskwizard.tui.widgets.fields import Field

    app = TaskWizardApp("edit", path=config)
    probe = Probe()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: isinstance(app.screen, TemplatePickDialog))
        await pilot.press("enter")  # the first template: template-0
        await wait_for(lambda: isinstance(app.screen, WizardScreen) and app.screen._ready)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        assert len(app.state.config["task-templates"]) == 50

        # ------------------------------------------------------------ hooks
        original_revalidate = screen.revalidate

        def revalidate() -> None:
            start = time.perf_counter()
            original_revalidate()
            end = time.perf_counter()
            probe.revalidations.append((start, end, static_text(probe.watched)))

        screen.revalidate = revalidate  # type: ignore[method-assign]
        original_display = app._display

        def display(screen_: Any, renderable: Any) -> None:
            if renderable is not None:
                probe.frames.append(time.perf_counter())
            original_display(screen_, renderable)

        app._display = display  # type: ignore[method-assign,assignment]
        original_layout = screen._refresh_layout

        def refresh_layout(*args: Any, **kwargs: Any) -> None:
            start = time.perf_counter()
            original_layout(*args, **kwargs)
            probe.layouts.append((start, time.perf_counter()))

        screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
        driver = app._driver
        assert driver is not None

        def find_field(scenario: Scenario) -> Field:
            view = screen.step_view
            assert view is not None, "the step is not mounted"
            if isinstance(scenario.field, str):
                return view.query_one(scenario.field, Field)
            doc, path = scenario.field
            found = view.field_for(doc, path)  # type: ignore[arg-type]
            assert found is not None, f"no field for {path}"
            return found

        async def open_step(scenario: Scenario) -> Field:
            if screen.step_id != scenario.step:
                screen.show_step(scenario.step)
            await wait_for(
                lambda: (
                    screen.step_view is not None and screen.step_view.id == f"step-{scenario.step}"
                )
            )
            await pilot.pause()
            target = find_field(scenario)
            target.focus_editor()
            await pilot.pause()
            await pilot.press("end")  # Input selects all on focus
            await pilot.pause()
            assert isinstance(target.editor, Input)
            probe.watched = target.query_one(".field--problem", Static)
            return target

        async def timed_key(
            key: str,
            char: str | None,
            expected: str,
            result: Results,
            profiler: cProfile.Profile | None = None,
        ) -> None:
            """Post one key; record key -> message and -> frame, revalidate, layout, CPU."""
            seen = len(probe.revalidations)
            layouts_seen = len(probe.layouts)
            if profiler is not None:
                profiler.enable()

            def matched() -> float | None:
                for _, end, text in probe.revalidations[seen:]:
                    if (expected in text) if expected else text == "":
                        return end
                return None

            cpu_start = time.process_time()
            start = time.perf_counter()
            event = events.Key(key, char)
            event.set_sender(app)
            driver.send_message(event)
            while (message_end := matched()) is None:
                if time.perf_counter() - start > 15:
                    raise TimeoutError(f"no message {expected!r} after {key!r}")
                await asyncio.sleep(POLL)
            while not (probe.frames and probe.frames[-1] > message_end):
                if time.perf_counter() - start > 15:
                    raise TimeoutError("no frame after the message")
                await asyncio.sleep(POLL)
            cpu = time.process_time() - cpu_start
            if profiler is not None:
                profiler.disable()
            frame = next(t for t in probe.frames if t > message_end)
            result.message_ms.append((message_end - start) * 1000)
            result.frame_ms.append((frame - start) * 1000)
            during = [(s, e) for s, e, _ in probe.revalidations[seen:] if s < frame]
            result.revalidate_ms.append(sum(e - s for s, e in during) * 1000)
            result.revalidate_calls.append(len(during))
            result.cpu_ms.append(cpu * 1000)
            layouts = [(s, e) for s, e in probe.layouts[layouts_seen:] if s < frame]
            result.layout_ms.append(sum(e - s for s, e in layouts) * 1000)
            result.layout_calls.append(len(layouts))
            await pilot.pause()  # let the app go idle before the next key (not timed)

        results: dict[str, Results] = {}
        for scenario in SCENARIOS:
            await open_step(scenario)
            result = results[scenario.name] = Results()
            for n in range(keystrokes):
                await timed_key(*scenario.cycle[n % len(scenario.cycle)], result)

        # ------------------- where a keystroke's time goes (the whole path, profiled)
        slug = SCENARIOS[0]
        await open_step(slug)
        path_profiler = cProfile.Profile()
        profiled = Results()
        for n in range(profile_keystrokes):
            await timed_key(*slug.cycle[n % len(slug.cycle)], profiled, path_profiler)

        # --------------------------------- the same keys through Pilot.press
        pilot_ms: list[float] = []
        for n in range(pilot_keystrokes):
            key, _, expected = slug.cycle[n % len(slug.cycle)]
            start = time.perf_counter()
            await pilot.press(key)
            while not (
                (expected in static_text(probe.watched))
                if expected
                else static_text(probe.watched) == ""
            ):
                await pilot.pause(0)
            pilot_ms.append((time.perf_counter() - start) * 1000)
            await pilot.pause()

        # ----------------------------------------- revalidate, part by part
        state = app.state
        view = screen.step_view
        assert view is not None
        problems = list(screen.problems)
        parts: list[tuple[str, Callable[[], Any]]] = [
            ("revalidate() whole, preview hidden (100 cols)", original_revalidate),
            ("  state.sync_template_path()", state.sync_template_path),
            ("  state.config_problems() = validate_config(50 entries)", state.config_problems),
            ("  state.file_problems() (model files on disk)", state.file_problems),
            ("  state.task_problems() = validate_task", state.task_problems),
            ("  _update_step_list() (OptionList.set_options)", screen._update_step_list),
            (
                "  step_view.show_problems()",
                lambda: view.show_problems(
                    [(d, p) for d, p in problems if screen._step_of(d, p.path) == screen.step_id],
                    set(state.touched),
                ),
            ),
            ("  _update_status()", screen._update_status),
            ("  _update_title()", screen._update_title),
            ("  refresh_bindings()", screen.refresh_bindings),
            ("outside revalidate: app.autosave() (model_dump of the state)", app.autosave),
            (
                "if the preview showed: state.render('config') (dump_yaml)",
                lambda: state.render("config"),
            ),
        ]
        one_entry = {"task-templates": [state.entry], "models": state.config.get("models", [])}
        from taskwizard.model.validate import validate_config

        parts.append(
            ("for comparison: validate_config(1 entry)", lambda: validate_config(one_entry))
        )
        breakdown = [(label, median_ms(fn, 100)) for label, fn in parts]

        screen.action_toggle_preview()  # force the preview on, as at >= 110 columns
        await pilot.pause()
        preview_on = median_ms(original_revalidate, 100)
        screen.action_toggle_preview()
        await pilot.pause()

        profiler = cProfile.Profile()
        profiler.enable()
        original_revalidate()
        profiler.disable()

    report(results, pilot_ms, breakdown, preview_on, profiler, path_profiler, profile_keystrokes)


def report(
    results: dict[str, Results],
    pilot_ms: list[float],
    breakdown: list[tuple[str, float]],
    preview_on: float,
    profiler: cProfile.Profile,
    path_profiler: cProfile.Profile,
    profile_keystrokes: int,
) -> None:
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"config: 50 task templates + 50 task YAMLs, edit flow, run_test size={SIZE} "
        "(headless: nothing is drawn to a terminal — these are the app's own work per key)"
    )
    for name, result in results.items():
        print(f"\n{name}")
        print(f"  key -> message in the field's Static:  {summary(result.message_ms)}")
        print(f"  key -> next frame composed:            {summary(result.frame_ms)}")
        print(f"  inside revalidate() per key:           {summary(result.revalidate_ms)}")
        print(
            f"  process CPU time, key -> frame:        {summary(result.cpu_ms)}"
            f"   revalidate calls per key: {statistics.mean(result.revalidate_calls):.1f}"
        )
        print(
            f"  Screen._refresh_layout per key:        {summary(result.layout_ms)}"
            f"   layouts per key: {statistics.mean(result.layout_calls):.1f}"
        )
    if pilot_ms:
        print(
            "\nslug keys via await pilot.press(key) + pause(0) polling "
            "(includes Pilot's wait_for_idle sleeps):"
        )
        print(f"  {summary(pilot_ms)}")
    print("\nrevalidate on the Template step, parts called directly (median of 100):")
    for label, ms in breakdown:
        print(f"  {label:62s} {ms:8.3f} ms")
    print(f"  {'revalidate() whole, preview shown (F2 / >= 110 cols)':62s} {preview_on:8.3f} ms")
    print("\ncProfile of one revalidate() on the Template step, top 10 by cumulative time:")
    print_stats(profiler, "cumulative", 10)
    if profile_keystrokes:
        print(
            f"\ncProfile of {profile_keystrokes} slug keystrokes, key -> frame (whole event loop), "
            "top 25 by cumulative time:"
        )
        print_stats(path_profiler, "cumulative", 25)
        print("... and top 15 by own time:")
        print_stats(path_profiler, "tottime", 15)


def print_stats(profiler: cProfile.Profile, order: str, limit: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(order).print_stats(limit)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    site = str(Path(asyncio.__file__).parent.parent)
    for line in lines[start:]:
        if line.strip():
            print("  " + line.replace(site + "/", "").replace(str(Path.cwd()) + "/", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--keystrokes", type=int, default=200, help="per field (default 200)")
    parser.add_argument("--pilot-keystrokes", type=int, default=40)
    parser.add_argument("--profile-keystrokes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("config", "cache", "data"):
            (root / name).mkdir()
            os.environ[f"TASKWIZARD_{name.upper()}_DIR"] = str(root / name)
        project = root / "project"
        project.mkdir()
        config = build(project)
        os.chdir(project)  # relative template paths resolve here, as in a real session
        asyncio.run(run(args.keystrokes, args.pilot_keystrokes, args.profile_keystrokes, config))


if __name__ == "__main__":
    main()
