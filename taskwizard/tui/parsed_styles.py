"""Textual's parsed styles, kept between runs in the cache folder.

Textual parses the CSS of the app and of every widget class it shows at each start:
for `taskwizard new` that is ~10 ms of the first frame (a bare hello-world parses
a third of it). What the parser makes of each source — a list of rule sets, the
stylesheet's own parse cache — is pickled after the first frame and handed back to
that cache at the next start, so only CSS that changed is parsed again.

Each entry is keyed by its CSS text (Textual's key), so an edited stylesheet simply
misses. The file as a whole is used only with the same CSS variables (the theme's
colours are substituted while parsing), the same Python, and the same Textual
install (the files of the classes that are pickled, by size and modification time);
anything else, or a file that cannot be read, is ignored and rewritten. The file is
the user's own (0600, like the drafts beside it) and is not loaded if it is not.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taskwizard.paths import parsed_styles_file

if TYPE_CHECKING:
    from textual.css.stylesheet import Stylesheet

#: Modules whose classes are in the pickle (rule sets, selectors, styles, scalars, colours).
_PICKLED_FROM = (
    "textual/__init__.py",
    "textual/css/model.py",
    "textual/css/styles.py",
    "textual/css/scalar.py",
    "textual/css/types.py",
    "textual/color.py",
    "textual/geometry.py",
    "textual/layouts/vertical.py",
    "textual/layouts/horizontal.py",
    "textual/layouts/grid.py",
)


def _fingerprint(stylesheet: Stylesheet) -> str:
    """What the pickled rule sets depend on besides their own CSS text."""
    import textual

    root = Path(textual.__file__).parent.parent
    parts: list[str] = [sys.version, str(root)]
    for name in _PICKLED_FROM:
        try:
            stat = os.stat(root / name)
        except OSError:
            parts.append(f"{name}:-")
            continue
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    variables = stylesheet._variables  # the theme's colours, substituted while parsing
    parts += [f"{key}={value}" for key, value in sorted(variables.items())]
    return "\n".join(parts)  # compared whole: hashlib's import costs more than it saves


def load_parsed_styles(stylesheet: Stylesheet) -> int:
    """Fill ``stylesheet``'s parse cache from the last run; the number of entries used."""
    path = parsed_styles_file()
    try:
        with open(path, "rb") as file:
            stat = os.fstat(file.fileno())
            if stat.st_uid != os.getuid() or stat.st_mode & 0o077:
                return 0  # written by someone else, or others may change it: not run
            if pickle.load(file) != _fingerprint(stylesheet):
                return 0
            entries: dict[tuple[Any, ...], Any] = pickle.load(file)
    except Exception:  # missing, cut short, from another version: parsed as usual
        return 0
    cache = stylesheet._parse_cache
    for key, rules in entries.items():
        cache.set(key, rules)
    return len(entries)


def parsed_styles(stylesheet: Stylesheet) -> tuple[str, dict[tuple[Any, ...], Any]]:
    """What :func:`save_parsed_styles` writes: the fingerprint and the parse cache's
    entries (taken on the UI thread: the cache is not made for other threads)."""
    cache = stylesheet._parse_cache
    return _fingerprint(stylesheet), {key: cache.get(key) for key in list(cache.keys())}


def save_parsed_styles(fingerprint: str, entries: dict[tuple[Any, ...], Any]) -> bool:
    """Keep parsed sources (from :func:`parsed_styles`) for the next start. Atomic, 0600;
    False (and nothing changed) if it cannot be written."""
    path = parsed_styles_file()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            pickle.dump(fingerprint, file, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(entries, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # a full disk or a read-only cache folder: parsed again next time
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True
