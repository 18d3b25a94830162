"""Which hub, as whom, with which credentials: the upload's target, for the CLI and the TUI.

:func:`resolve_target` is what ``taskwizard upload`` uses; the upload screen offers the
hubs of the settings (:func:`hub_choices`) and asks :func:`find_identity`, which decides
exactly as the command does, for the one the user picks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from taskwizard.hub.auth import (
    AuthError,
    Credentials,
    credentials_from_environment,
    credentials_from_settings,
    local_hub_credentials,
)
from taskwizard.hub.environments import ENVIRONMENTS, Environment, HubConfigError, resolve_hub

if TYPE_CHECKING:
    from taskwizard.hub.client import HubClient
    from taskwizard.hub.plan import PlanItem
    from taskwizard.settings import Settings


# ------------------------------------------------------------------ the target
@dataclass(frozen=True, slots=True)
class HubTarget:
    """Which hub, as whom, with which credentials: what an upload talks to."""

    environment: Environment
    username: str
    credentials: Credentials | None

    @property
    def hub_url(self) -> str:
        return self.environment.hub_url

    def client(self, *, read_only: bool = False, **kwargs: Any) -> HubClient:
        if self.credentials is None:
            raise AuthError(
                f"no credentials for {self.hub_url}: set BITFOUNT_API_KEY_ID and "
                "BITFOUNT_API_KEY, or run `taskwizard setup`"
                + (
                    " (`taskwizard hub` prints the local hub's key pair)"
                    if self.environment.name == "local"
                    else ""
                )
            )
        from taskwizard.hub.client import HubClient

        return HubClient(self.hub_url, self.credentials, read_only=read_only, **kwargs)


def resolve_target(
    *, env: str | None = None, hub_url: str | None = None, username: str | None = None
) -> HubTarget:
    """The hub, user and credentials an upload uses; the command and the screen share it.

    Hub: ``env``/``hub_url`` if given, else ``BITFOUNT_ENVIRONMENT`` (as the SDK), else
    the settings. User: ``username``, else the settings. Credentials: the API key pair
    in ``BITFOUNT_API_KEY_ID``/``BITFOUNT_API_KEY``; else, for a local hub, the key pair
    ``taskwizard hub`` keeps for the user; else what ``taskwizard setup`` saved for that
    hub; else None. Raises :class:`HubConfigError` (no username, unknown
    hub) or :class:`AuthError` (half an API key pair, a login of another user), each
    with a message that says what to do.
    """
    from taskwizard import settings as settings_module

    settings = settings_module.load_settings()
    if env or hub_url:
        environment = resolve_hub(env, hub_url)
    elif "BITFOUNT_ENVIRONMENT" in os.environ:
        environment = resolve_hub(os.environ["BITFOUNT_ENVIRONMENT"].strip() or "production", None)
    elif settings.hub in ("local", "custom"):
        environment = resolve_hub(settings.hub, settings.hub_url)
    else:
        environment = resolve_hub(settings.hub, None)
    user = username or settings.username
    if not user:
        raise HubConfigError(
            "no Bitfount username: pass --username USER, or run `taskwizard setup` to save it"
        )
    credentials = credentials_from_environment()
    if credentials is None and environment.name == "local":
        credentials = local_hub_credentials(user)
    if credentials is None:
        credentials = credentials_from_settings(
            environment.hub_url, settings=settings, secrets=settings_module.load_secrets()
        )
    if credentials is not None and credentials.username and credentials.username != user:
        raise AuthError(
            f"{credentials.source} belongs to {credentials.username!r}, not {user!r}: "
            f"upload as {credentials.username} (--username), or log in as {user}"
        )
    return HubTarget(environment, user, credentials)


# ------------------------------------------------------ the upload screen's choices
@dataclass
class UploadIdentity:
    """The hub, the user and the credentials an upload will use (and what is missing)."""

    environment: Environment
    username: str | None
    credentials: Credentials | None
    #: Why the credentials found can't be used (half-set environment variables, ...).
    problem: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.username) and self.credentials is not None and self.problem is None


def settings_environment(settings: Settings) -> Environment:
    """The hub the settings name (a local or custom hub with its URL)."""
    url = settings.resolved_hub_url()
    if settings.hub in ENVIRONMENTS and settings.hub != "local":
        return ENVIRONMENTS[settings.hub]
    if settings.hub == "local":
        return Environment("local", url or ENVIRONMENTS["local"].hub_url)
    return Environment("custom", url or "")


def hub_choices(settings: Settings) -> list[Environment]:
    """The settings' hub first, then every other known hub (the local one included)."""
    first = settings_environment(settings)
    others = [env for name, env in ENVIRONMENTS.items() if name != first.name]
    return [first, *others] if first.hub_url else others


def find_identity(environment: Environment, username: str | None) -> UploadIdentity:
    """Whom to upload as and with what, exactly as ``taskwizard upload`` decides it
    (:func:`resolve_target`). Without a username only the
    environment's key pair can be known; the rest is looked up once the user gives one."""
    try:
        if not username:
            return UploadIdentity(environment, None, credentials_from_environment())
        target = resolve_target(
            env=environment.name,
            hub_url=environment.hub_url,
            username=username,
        )
    except (AuthError, HubConfigError) as exc:
        return UploadIdentity(environment, username, None, str(exc))
    return UploadIdentity(environment, target.username, target.credentials)


def hub_link(environment: Environment, user: str, item: PlanItem) -> str:
    """Where to find an uploaded item on the hub (link text, not a promise of a web page)."""
    base = environment.hub_url
    if item.kind in ("template", "deprecated"):
        if environment.name == "local":
            return f"{base}/api/task-templates/{user}/{item.slug}"
        return f"{base}/task-templates/{user}/{item.slug}"
    if environment.name == "local":
        return f"{base}/api/models?modellerName={user}&modelName={item.model_name}"
    return f"{base} → models → {user}/{item.model_name}"
