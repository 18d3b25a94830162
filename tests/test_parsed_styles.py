"""Textual's parsed styles are kept between runs (tui/parsed_styles.py): the next start
skips parsing them, gets the very same rules, and ignores a file it must not trust."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from tui_helpers import new_app, settle

from taskwizard.paths import parsed_styles_file
from taskwizard.tui.app import TaskWizardApp
from taskwizard.tui.parsed_styles import load_parsed_styles, parsed_styles, save_parsed_styles


def _rules_css(app: TaskWizardApp) -> list[str]:
    """Every rule of the stylesheet: its selectors and declarations, as text."""
    return [
        f"{rule.selectors} {rule.is_default_rules} {rule.tie_breaker} "
        + repr(sorted((key, _text(value)) for key, value in rule.styles.get_rules().items()))
        for rule in app.stylesheet.rules
    ]


def _text(value: object) -> str:
    # A layout is an object without ==: its class says which it is.
    return type(value).__name__ if hasattr(value, "arrange") else repr(value)


async def _first_frame_rules(tmp_path: Path) -> tuple[int, list[str]]:
    """How many parsed sources the app loaded, and its rules once its first step is drawn."""
    app = new_app(tmp_path)
    loaded = app._styles_loaded
    async with app.run_test(size=(80, 50)) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        rules = _rules_css(app)
    return loaded, rules


@pytest.mark.anyio
async def test_the_second_start_uses_the_first_ones_parsed_styles_and_gets_the_same_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_loaded, first_rules = await _first_frame_rules(tmp_path)
    assert first_loaded == 0
    path = parsed_styles_file()
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600

    from textual.css import stylesheet as textual_stylesheet

    parsed: list[str] = []
    real_parse = textual_stylesheet.__dict__["parse"]

    def watch_parse(scope: str, css: str, *args: object, **kwargs: object) -> object:
        parsed.append(css)
        return real_parse(scope, css, *args, **kwargs)

    monkeypatch.setattr(textual_stylesheet, "parse", watch_parse)
    second_loaded, second_rules = await _first_frame_rules(tmp_path)
    assert second_loaded > 20
    assert parsed == []  # nothing of the first frame was parsed again
    assert second_rules == first_rules


@pytest.mark.anyio
async def test_a_changed_theme_an_untrusted_or_a_broken_file_is_not_used(tmp_path: Path) -> None:
    await _first_frame_rules(tmp_path)
    path = parsed_styles_file()
    app = TaskWizardApp("new")
    assert app._styles_loaded > 20

    other_theme = TaskWizardApp("new")
    other_theme.stylesheet._variables = {**other_theme.stylesheet._variables, "primary": "red"}
    other_theme.stylesheet._parse_cache.clear()
    assert load_parsed_styles(other_theme.stylesheet) == 0

    os.chmod(path, 0o620)  # others may change it: it could run their code
    assert TaskWizardApp("new")._styles_loaded == 0
    os.chmod(path, 0o600)

    path.write_bytes(path.read_bytes()[:200])  # cut short
    assert TaskWizardApp("new")._styles_loaded == 0
    path.write_bytes(pickle.dumps("not a fingerprint"))
    assert TaskWizardApp("new")._styles_loaded == 0


def test_nothing_new_parsed_nothing_written_and_an_unwritable_folder_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TaskWizardApp("new")
    app.keep_parsed_styles()  # nothing parsed yet: no worker, no file
    assert not parsed_styles_file().exists()
    app.stylesheet.add_source("Screen { color: red; }", read_from=("test", "css"))
    app.stylesheet.parse()
    fingerprint, entries = parsed_styles(app.stylesheet)
    assert len(entries) == 1
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("TASKWIZARD_CACHE_DIR", str(not_a_folder))
    assert not save_parsed_styles(fingerprint, entries)  # no exception either
    monkeypatch.setenv("TASKWIZARD_CACHE_DIR", str(tmp_path / "cache"))
    assert save_parsed_styles(fingerprint, entries)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["parsed-styles.pickle"]
    assert TaskWizardApp("new")._styles_loaded == 1
