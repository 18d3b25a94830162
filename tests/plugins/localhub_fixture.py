"""pytest plugin: a real local hub on 127.0.0.1 (free port) for tests that upload.

Register it in tests/conftest.py with ``pytest_plugins = ["plugins.localhub_fixture"]``.

- ``local_hub``: a started :class:`LocalHub` (user ``testuser``, default sizes),
  its data in a temporary folder; stopped after the test.
- ``local_hub_factory``: ``local_hub_factory(**kwargs)`` starts another one with
  any LocalHub keyword (``multipart_threshold``, ``chunk_size``, ``faults``,
  ``username``, ``data_dir`` ...); all are stopped after the test.

Faults: every hub has ``hub.faults`` (a FaultPlan), e.g.
``local_hub.faults.fail("POST", r"^/api/models", status=503)``,
``local_hub.faults.drop("PUT", r"^/storage/part/", after_bytes=1000)`` or
``local_hub.faults.delay("GET", r"^/api/", seconds=2)``. The hub is served by
uvicorn over real loopback HTTP; faults are applied by its ASGI middleware.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskwizard.hub.localhub import LocalHub

TEST_USERNAME = "testuser"


class LocalHubFactory:
    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self.started: list[LocalHub] = []

    def __call__(self, *, data_dir: Path | None = None, **kwargs: Any) -> LocalHub:
        kwargs.setdefault("username", TEST_USERNAME)
        folder = data_dir if data_dir is not None else self._tmp.mktemp("localhub")
        hub = LocalHub(folder, **kwargs)
        hub.start()
        self.started.append(hub)
        return hub

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()


@pytest.fixture
def local_hub_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHubFactory]:
    factory = LocalHubFactory(tmp_path_factory)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def local_hub(local_hub_factory: LocalHubFactory) -> LocalHub:
    return local_hub_factory()
