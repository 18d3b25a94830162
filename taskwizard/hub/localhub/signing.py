"""Presigned storage URLs: an HMAC of the path and an expiry time, like S3's.

Storage endpoints take no hub credentials (Bitfount's uploader sends none to
them), so the URL itself is the permission; the signature makes it
unguessable and the expiry makes it short-lived.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

DEFAULT_TTL = 3600


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, method: str, path: str, expires: int) -> str:
        message = f"{method.upper()}\n{path}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, method: str, path: str, ttl: int = DEFAULT_TTL) -> str:
        """``path?expires=...&signature=...`` for ``path`` (already URL-quoted)."""
        expires = int(time.time()) + ttl
        return f"{path}?expires={expires}&signature={self._signature(method, path, expires)}"

    def verify(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        """None when the URL is valid, else why it is not."""
        try:
            expires = int(query["expires"][0])
            signature = query["signature"][0]
        except (KeyError, IndexError, ValueError):
            return "the URL is not signed (expires and signature are missing)"
        if not hmac.compare_digest(signature, self._signature(method, path, expires)):
            return "the URL's signature does not match"
        if expires < time.time():
            return "the URL has expired; ask the hub for a new one"
        return None


def quote_key(key: str) -> str:
    return quote(key, safe="/")
