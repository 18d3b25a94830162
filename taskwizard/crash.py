"""What a crash leaves: a traceback file with no secret in it, and a short message.

Textual prints an unhandled exception with the local variables of every frame,
which may hold an API key or a task YAML's ``secrets:``. taskwizard writes the
traceback without locals to a 0600 file instead (in ``<cache>/crashes/``, or the
temp folder when the cache cannot be written), with every known secret value
(the saved API key and tokens, the BITFOUNT_API_KEY variables) and every line
holding a secret key replaced, and prints only where it is.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from taskwizard import paths

#: Shown instead of a secret value in a crash report.
HIDDEN = "[secret hidden]"


def write_crash_report(error: BaseException) -> Path | None:
    """Write the traceback of ``error``; returns where, or None if nowhere could be written."""
    text = scrub("".join(traceback.format_exception(error)))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    header = f"taskwizard crash report {stamp} (no local variables; secrets hidden)\n\n"
    data = (header + text).encode("utf-8", "backslashreplace")
    try:
        folder = paths.cache_dir() / "crashes"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        target = folder / f"crash-{stamp}-{os.getpid()}.txt"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        try:
            fd, name = tempfile.mkstemp(prefix=f"taskwizard-crash-{stamp}-", suffix=".txt")
        except OSError:
            return None
        target = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError:
        return None
    return target


def scrub(text: str) -> str:
    """``text`` with known secret values replaced and lines holding secret keys left out."""
    from taskwizard.model.secret_keys import secret_key_column, text_without_secrets

    for value in sorted(known_secret_values(), key=len, reverse=True):
        text = text.replace(value, HIDDEN)
    clean = text_without_secrets(text)
    if not clean.changed:
        return text
    # What precedes a secret key stays (``RuntimeError: bad task: ``); the rest is hidden.
    lines = text.splitlines(keepends=True)
    for number in clean.dropped_lines:
        line = lines[number - 1]
        column = secret_key_column(line.rstrip("\r\n"))
        kept = line[:column] if column is not None else ""
        lines[number - 1] = kept + HIDDEN + "\n"
    return "".join(lines)


def known_secret_values() -> set[str]:
    """The secrets taskwizard knows of: saved API key and tokens, the environment's keys."""
    values: set[str] = set()
    for name in ("BITFOUNT_API_KEY", "BITFOUNT_API_KEY_ID"):
        value = os.environ.get(name)
        if value:
            values.add(value)
    try:
        from taskwizard.settings import load_secrets

        secrets = load_secrets()
    except Exception:  # a crash report must not fail on a bad secrets file
        return {v for v in values if len(v) >= 4}
    if secrets.api_key is not None:
        values.add(secrets.api_key.get_secret_value())
    if secrets.api_key_id:
        values.add(secrets.api_key_id)
    for tokens in secrets.tokens.values():
        for value in tokens.values():
            if isinstance(value, str):
                values.add(value)
    return {v for v in values if len(v) >= 4}
