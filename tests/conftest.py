"""Shared fixtures. Every test runs with taskwizard's folders pointed at a
temporary directory, so no test ever reads or writes a real user's settings,
drafts or hub data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# ``local_hub`` / ``local_hub_factory``: a real local hub on 127.0.0.1 for tests that upload.
pytest_plugins = ["plugins.localhub_fixture"]


@pytest.fixture(autouse=True)
def tw_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("twdirs")
    dirs = {name: root / name for name in ("config", "cache", "data")}
    for name, path in dirs.items():
        path.mkdir()
        monkeypatch.setenv(f"TASKWIZARD_{name.upper()}_DIR", str(path))
    for var in ("BITFOUNT_API_KEY_ID", "BITFOUNT_API_KEY", "BITFOUNT_ENVIRONMENT"):
        monkeypatch.delenv(var, raising=False)
    yield dirs


@pytest.fixture()
def anyio_backend() -> str:
    """Pilot tests (marked ``anyio``) run on asyncio, as Textual does."""
    return "asyncio"
