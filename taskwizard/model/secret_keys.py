"""Which keys hold secrets, and how to take them out of data and of YAML text.

Bitfount 13 reads API keys from a task YAML's ``secrets:`` section
(``runners/config_schemas/modeller_schemas.py``: ``secrets`` is an
``APIKeys`` — ``access_key_id``, ``access_key`` — or ``{bitfount: APIKeys,
ehr: APIKeys}``; ``RefreshableJWT``'s ``jwt`` cannot come from YAML but is a
secret all the same). taskwizard's own secrets file holds ``api_key_id``,
``api_key`` and ``tokens`` (``access_token``, ``refresh_token``, ``id_token``).
A template may point at any file, so the common names of other credentials
count as well.

Keys match whatever their case, quoting, or ``-``/``_``/space spelling:
``"ACCESS-KEY"`` is ``access_key``.

:func:`without_secret_keys` drops them from parsed data. :func:`text_without_secrets`
drops them from YAML (or JSON) text that may not parse: by structure where it
parses, and line by line where it does not — every line holding a secret key
in any form (block, flow, quoted, a list item, JSON) and every line of its
value (continuation lines, block scalars, nested mappings, open brackets).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

#: Normalised (lower case, ``_`` for ``-`` and spaces) key names whose value is a secret.
SECRET_KEYS: frozenset[str] = frozenset(
    {
        # Bitfount task YAML (APIKeys, the secrets section, RefreshableJWT)
        "secrets",
        "access_key_id",
        "access_key",
        "jwt",
        # taskwizard's secrets file and OAuth tokens
        "api_key",
        "api_key_id",
        "apikey",
        "tokens",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        # other credentials a file a template points at may hold
        "secret",
        "secret_key",
        "secret_access_key",
        "aws_secret_access_key",
        "aws_access_key_id",
        "client_secret",
        "password",
        "passwd",
        "private_key",
        "auth",
    }
)

_SEP = re.compile(r"[-\s]+")


def normalise_key(name: str) -> str:
    return _SEP.sub("_", name.strip().strip("\"'").strip()).lower()


def is_secret_key(name: object) -> bool:
    return isinstance(name, str) and _is_secret_name(name)


@functools.lru_cache(maxsize=4096)
def _is_secret_name(name: str) -> bool:
    return normalise_key(name) in SECRET_KEYS


def without_secret_keys(data: Any) -> tuple[Any, list[tuple[str | int, ...]]]:
    """``data`` with every secret key dropped (at any depth), and the paths dropped.

    The input is not changed; untouched branches are shared, not copied.
    """
    dropped: list[tuple[str | int, ...]] = []
    return _strip(data, (), dropped), dropped


def _strip(data: Any, where: tuple[str | int, ...], dropped: list[tuple[str | int, ...]]) -> Any:
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        changed = False
        for key, value in data.items():
            path = (*where, key)
            if is_secret_key(key):
                dropped.append(path)
                changed = True
                continue
            new = _strip(value, path, dropped)
            changed = changed or new is not value
            out[key] = new
        return out if changed else data
    if isinstance(data, list):
        items = [_strip(item, (*where, i), dropped) for i, item in enumerate(data)]
        if any(new is not old for new, old in zip(items, data, strict=True)):
            return items
        return data
    return data


def without_values(data: Any, values: set[str]) -> tuple[Any, list[tuple[str | int, ...]]]:
    """``data`` without mapping entries whose value is one of ``values`` (a secret that an
    anchor also put under another key), and the paths dropped."""
    dropped: list[tuple[str | int, ...]] = []
    if not values:
        return data, dropped
    return _drop_values(data, (), values, dropped), dropped


def _drop_values(
    data: Any, where: tuple[str | int, ...], values: set[str], dropped: list[tuple[str | int, ...]]
) -> Any:
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        changed = False
        for key, value in data.items():
            if isinstance(value, str) and value.strip() in values:
                dropped.append((*where, key))
                changed = True
                continue
            new = _drop_values(value, (*where, key), values, dropped)
            changed = changed or new is not value
            out[key] = new
        return out if changed else data
    if isinstance(data, list):
        items = ["" if isinstance(item, str) and item.strip() in values else item for item in data]
        items = [_drop_values(item, (*where, i), values, dropped) for i, item in enumerate(items)]
        if any(new is not old for new, old in zip(items, data, strict=True)):
            return items
        return data
    return data


def secret_values(data: Any) -> set[str]:
    """Every scalar under a secret key, as text (to find the same value elsewhere)."""
    found: set[str] = set()
    _collect(data, False, found)
    return found


def _collect(data: Any, inside: bool, found: set[str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _collect(value, inside or is_secret_key(key), found)
    elif isinstance(data, list):
        for item in data:
            _collect(item, inside, found)
    elif inside and data is not None and not isinstance(data, bool):
        text = str(data).strip()
        if len(text) >= _MIN_VALUE_LEN:
            found.add(text)


#: Values shorter than this are not searched for elsewhere (``true``, ``1``, ``""``).
_MIN_VALUE_LEN = 6
#: The C loader when built (the line scan catches what either loader would refuse).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ----------------------------------------------------------------- text
@dataclass
class CleanText:
    text: str
    #: 1-based numbers of the lines left out.
    dropped_lines: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.dropped_lines)


#: A secret key as a key: bare or quoted, then ``:`` (a quoted key may have its
#: ``:`` on the next line, as JSON allows).
_KEY_RE = re.compile(
    r"""(?x)
    (?<![A-Za-z0-9_\-"'])               # not inside a longer name
    (?=(?P<key>
        "(?P<n1>[A-Za-z][A-Za-z0-9_\- ]*)" \s* (?::|$)
      | '(?P<n2>[A-Za-z][A-Za-z0-9_\- ]*)' \s* (?::|$)
      | (?P<n3>[A-Za-z][A-Za-z0-9_\- ]*?) \s* :(?=\s|$|[,{\[\]}"'])
    ))
    """
)
#: ``? access_key`` (YAML's explicit key).
_EXPLICIT_KEY_RE = re.compile(r"^\s*(?:-\s+)*\?\s+([\"']?)([^\"':#]+)\1\s*$")


def text_without_secrets(text: str, known: set[str] | frozenset[str] = frozenset()) -> CleanText:
    """``text`` with every line that holds a secret key or its value left out.

    ``known``: secret values found elsewhere; a line holding one is left out too.
    """
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    values: set[str] = set(known)
    _drop_by_structure(text, lines, drop, values)
    _drop_by_lines(lines, drop, values)
    if values:
        for index, line in enumerate(lines):
            if index not in drop and any(v in line for v in values):
                drop.add(index)
    if not drop:
        return CleanText(text)
    kept = "".join(line for i, line in enumerate(lines) if i not in drop)
    return CleanText(kept, sorted(i + 1 for i in drop))


def _drop_by_structure(text: str, lines: list[str], drop: set[int], values: set[str]) -> None:
    try:
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except (yaml.YAMLError, ValueError, RecursionError):
        return  # what does not parse is handled line by line
    seen: set[int] = set()
    for node in nodes:
        if node is not None:
            _walk(node, lines, drop, values, seen)


def _walk(node: Any, lines: list[str], drop: set[int], values: set[str], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and is_secret_key(key.value):
                first, last = _lines_of(key)
                v_first, v_last = _lines_of(value)
                if v_first >= first:
                    drop.update(range(first, max(last, v_last) + 1))
                else:  # an alias to a value defined above
                    drop.update(range(first, last + 1))
                    drop.update(range(v_first, v_last + 1))
                _scalars(value, values, set())
            else:
                _walk(key, lines, drop, values, seen)
                _walk(value, lines, drop, values, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, lines, drop, values, seen)


def _lines_of(node: Any) -> tuple[int, int]:
    start, end = node.start_mark, node.end_mark
    last = end.line
    if end.column == 0 and end.line > start.line:
        last -= 1  # block scalars end at the start of the next line
    return start.line, last


def _scalars(node: Any, values: set[str], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        text = str(node.value).strip()
        if len(text) >= _MIN_VALUE_LEN:
            values.add(text)
    elif isinstance(node, yaml.MappingNode):
        for _, value in node.value:  # keys are names (bitfount, ehr), not secrets
            _scalars(value, values, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _scalars(item, values, seen)


def _drop_by_lines(lines: list[str], drop: set[int], values: set[str]) -> None:
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r\n")
        keys = _secret_keys_on(line)
        if not keys:
            index += 1
            continue
        drop.add(index)
        for _, value_start in keys:
            _value_words(line[value_start:], values)
        column = keys[0][0]
        # The value goes on while brackets or a quote opened after the key are open,
        # and over every line indented deeper than the key (or blank).
        depth, quote = _scan(line[column:], 0, "")
        index += 1
        while index < len(lines):
            nxt = lines[index].rstrip("\r\n")
            stripped = nxt.strip()
            indent = len(nxt) - len(nxt.lstrip(" \t"))
            inside = depth > 0 or bool(quote)
            # a block sequence may sit at its key's own indentation (``tokens:\n- abc``)
            same_indent_item = indent == column and (stripped == "-" or stripped.startswith("- "))
            if not (
                inside
                or not stripped
                or indent > column
                or stripped.startswith(":")
                or same_indent_item
            ):
                break
            if stripped:
                drop.add(index)
                _value_words(nxt, values)
                depth, quote = _scan(nxt, depth, quote)
            index += 1


def secret_key_column(line: str) -> int | None:
    """Where the first secret key on ``line`` starts, or None."""
    keys = _secret_keys_on(line)
    return keys[0][0] if keys else None


def _secret_keys_on(line: str) -> list[tuple[int, int]]:
    """(where the key starts, where its value starts) for each secret key on ``line``."""
    code = _without_comment(line)
    explicit = _EXPLICIT_KEY_RE.match(code)
    if explicit and is_secret_key(explicit.group(2)):
        return [(len(code) - len(code.lstrip()), len(code))]
    found = [
        (match.start(), match.end("key"))
        for match in _KEY_RE.finditer(code)
        if is_secret_key(_key_name(match))
    ]
    if found:
        return found
    # a comment may hold a pasted key line too (``# access_key: ...``)
    comment = line[len(code) :]
    for match in _KEY_RE.finditer(comment):
        if is_secret_key(_key_name(match)):
            return [(len(code), len(code) + match.end("key"))]
    return []


def _key_name(match: re.Match[str]) -> str:
    return match.group("n1") or match.group("n2") or match.group("n3") or ""


def _without_comment(line: str) -> str:
    quote = ""
    prev = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and prev in _SCALAR_START:
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
        if not char.isspace():
            prev = char
    return line


#: A quote starts a quoted scalar only where a scalar starts (not in ``it's``).
_SCALAR_START = frozenset({"", ":", ",", "[", "{", "-", "?"})


def _scan(text: str, depth: int, quote: str) -> tuple[int, str]:
    """Flow brackets and quote still open at the end of ``text``, from the given ones."""
    prev = "" if not quote else "x"
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and prev in _SCALAR_START:
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth = max(0, depth - 1)
        elif char == "#" and depth == 0:
            break
        if not char.isspace():
            prev = char
    return depth, quote


_WORD = re.compile(r"[^\s\"',{}\[\]:#]{" + str(_MIN_VALUE_LEN) + ",}")


def _value_words(text: str, values: set[str]) -> None:
    """Long words of a secret's value: a line elsewhere holding one is left out too.

    Only the value is read: up to the ``,`` or bracket that ends it in a flow.
    """
    depth, quote, prev, end = 0, "", ":", len(text)
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and prev in _SCALAR_START:
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth < 0:
                end = i
                break
        elif depth == 0 and (char == "," or (char == "#" and (i == 0 or text[i - 1] in " \t"))):
            end = i
            break
        if not char.isspace():
            prev = char
    for word in _WORD.findall(text[:end]):
        if not is_secret_key(word) and word.lower() not in _NOT_SECRET_WORDS:
            values.add(word)


#: Words in a secret's value that are structure, not secret (``{bitfount: {...}}``).
_NOT_SECRET_WORDS = frozenset({"bitfount", "null", "true", "false"})
