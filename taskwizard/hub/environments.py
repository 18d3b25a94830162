"""The Bitfount hubs taskwizard knows, as Bitfount's SDK maps ``BITFOUNT_ENVIRONMENT``.

An :class:`Environment` also carries the OAuth domain and public client id that the
device-code login needs; a custom URL (or the local hub) has none, so it can only be
used with an API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

#: Where ``taskwizard hub`` listens unless told otherwise (the SDK's ``dev`` port).
LOCAL_HUB_URL = "http://127.0.0.1:3000"
#: The local hub runs its own device-code login at its own URL and takes any client id.
LOCAL_CLIENT_ID = "taskwizard"


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    hub_url: str
    #: Bitfount's auth domain (``auth.bitfount.com``), or a full URL for the local hub.
    auth_domain: str | None = None
    client_id: str | None = None

    @property
    def supports_device_code(self) -> bool:
        return self.auth_domain is not None and self.client_id is not None

    @property
    def auth_url(self) -> str | None:
        """Base URL of the OAuth server (``https://{auth_domain}``)."""
        if self.auth_domain is None:
            return None
        return self.auth_domain if "://" in self.auth_domain else f"https://{self.auth_domain}"


def local_environment(hub_url: str = LOCAL_HUB_URL) -> Environment:
    """The local hub at ``hub_url``: it is its own login server."""
    return Environment("local", hub_url, hub_url, LOCAL_CLIENT_ID)


ENVIRONMENTS: dict[str, Environment] = {
    "production": Environment(
        "production",
        "https://hub.bitfount.com",
        "auth.bitfount.com",
        "8iCJ33Kp6hc9ofrXTzr5GLxMRHWrlzZO",
    ),
    "staging": Environment(
        "staging",
        "https://hub.staging.bitfount.com",
        "auth.staging.bitfount.com",
        "Wk4XZHDKfY8F3OYcKdagIHETt6JYwX08",
    ),
    "sandbox": Environment(
        "sandbox",
        "https://hub.sandbox.bitfount.com",
        "auth.sandbox.bitfount.com",
        "nPU5aIZIOYqqYhUNX84j9OjKpUOnqfRB",
    ),
    "dev": Environment(
        "dev",
        "http://localhost:3000",
        "auth.sandbox.bitfount.com",
        "nPU5aIZIOYqqYhUNX84j9OjKpUOnqfRB",
    ),
}
ENVIRONMENTS["local"] = local_environment()


class HubConfigError(ValueError):
    """An unknown environment name or an unusable hub URL; the message says what to use."""


def normalise_hub_url(url: str) -> str:
    """``url`` without surrounding spaces or trailing ``/``; refuses anything but http(s)."""
    text = url.strip().rstrip("/")
    scheme, _, rest = text.partition("://")
    if scheme not in ("http", "https") or not rest:
        raise HubConfigError(
            f"hub URL {url!r} must start with http:// or https:// "
            "(for example https://hub.bitfount.com or http://127.0.0.1:3000)"
        )
    return text


def is_loopback_http(url: str) -> bool:
    """``http://127.0.0.1:…`` and friends: only a local hub runs there."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def resolve_hub(env: str | None, url: str | None) -> Environment:
    """The hub to talk to: an explicit ``url`` wins, then ``env``; neither means production.

    A URL equal to a known environment's URL gets that environment (so the device-code
    login still works); another ``http://`` loopback URL is a local hub on another port;
    any other URL is ``custom`` (API keys only).
    """
    if env is not None and env not in ENVIRONMENTS and env != "custom":
        raise HubConfigError(
            f"unknown hub environment {env!r}: use one of {', '.join(ENVIRONMENTS)}, "
            "or give a URL with --hub"
        )
    if url:
        hub_url = normalise_hub_url(url)
        if env == "local":
            return local_environment(hub_url)
        for known in ENVIRONMENTS.values():
            if known.hub_url == hub_url:
                return known
        if is_loopback_http(hub_url):
            return local_environment(hub_url)
        return Environment("custom", hub_url)
    if env == "custom":
        raise HubConfigError("the 'custom' hub needs a URL (--hub URL)")
    return ENVIRONMENTS[env or "production"]
