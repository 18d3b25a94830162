"""Every place on disk taskwizard uses, in one module.

Built on platformdirs; each root can be overridden through the environment
(tests point all of them at temporary folders):

- ``TASKWIZARD_CONFIG_DIR``: settings and secrets
- ``TASKWIZARD_CACHE_DIR``: drafts, the parsed styles of the last run
- ``TASKWIZARD_DATA_DIR``: the local hub's database and files, upload records
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "taskwizard"


def _root(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override).expanduser()
    import platformdirs

    if kind == "config":
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return _root("TASKWIZARD_CONFIG_DIR", "config")


def cache_dir() -> Path:
    return _root("TASKWIZARD_CACHE_DIR", "cache")


def data_dir() -> Path:
    return _root("TASKWIZARD_DATA_DIR", "data")


def settings_file() -> Path:
    return config_dir() / "settings.json"


def secrets_file() -> Path:
    """API keys and OAuth tokens; always written with mode 0600."""
    return config_dir() / "secrets.json"


def parsed_styles_file() -> Path:
    """Textual's parsed CSS from the last run (tui/parsed_styles.py): start-up skips parsing."""
    return cache_dir() / "parsed-styles.pickle"


def drafts_dir() -> Path:
    return cache_dir() / "drafts"


def corrupt_drafts_dir() -> Path:
    return drafts_dir() / "corrupt"


def local_hub_dir() -> Path:
    return data_dir() / "localhub"


def upload_records_file() -> Path:
    """What taskwizard has sent to each hub (weights hashes), to skip re-uploads."""
    return data_dir() / "uploads.json"
