"""Task templates: ``/api/task-templates`` (list, create, versions, PATCH)."""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from taskwizard.hub.localhub.core import ApiError
from taskwizard.hub.localhub.routes.common import (
    authenticate,
    hub_of,
    is_form,
    json_reply,
    query_whole_number,
    read_form,
    read_json,
)

SLUG_RE = re.compile(r"[0-9a-z]+(?:-[0-9a-z]+)*")
TEMPLATE_FIELDS = {"title", "slug", "type", "template", "description", "tags"}


def require_owner(url_user: str, user: str) -> None:
    if url_user != user:
        raise ApiError(
            403, f"you are authenticated as {user!r} and cannot change {url_user!r}'s items"
        )


def validate_template_body(payload: Any, url_slug: str | None) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApiError(400, "the body must be a JSON object")
    missing = sorted(TEMPLATE_FIELDS - payload.keys())
    if missing:
        raise ApiError(400, f"missing field(s): {', '.join(missing)}")
    unknown = sorted(payload.keys() - TEMPLATE_FIELDS)
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}")
    slug = payload["slug"]
    if not isinstance(slug, str) or len(slug) > 50 or not SLUG_RE.fullmatch(slug):
        raise ApiError(
            400, f"slug {slug!r} is not a sanitised slug ([0-9a-z] and single '-', max 50)"
        )
    if url_slug is not None and slug != url_slug:
        raise ApiError(400, f"the body's slug {slug!r} differs from the URL's {url_slug!r}")
    for name in ("title", "type"):
        if not isinstance(payload[name], str) or not payload[name].strip():
            raise ApiError(400, f"{name} must be a non-empty string")
    if not isinstance(payload["description"], str):
        raise ApiError(400, "description must be a string")
    tags = payload["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ApiError(400, "tags must be a list of strings")
    if not isinstance(payload["template"], dict):
        raise ApiError(400, "template must be a JSON object (the parsed task YAML)")
    return payload


async def read_patch(request: Request) -> dict[str, Any]:
    if is_form(request):
        changes: dict[str, Any] = dict(await read_form(request))
    else:
        payload = await read_json(request)
        if not isinstance(payload, dict):
            raise ApiError(400, "the body must be a JSON object or a form")
        changes = payload
    allowed = {"state", "tags", "sampleDatasetDownloadUrl"}
    unknown = sorted(changes.keys() - allowed)
    if unknown:
        raise ApiError(400, f"cannot change {', '.join(unknown)} with PATCH")
    if not changes:
        raise ApiError(400, "nothing to change: send state, tags or sampleDatasetDownloadUrl")
    if "state" in changes and changes["state"] not in ("published", "archived"):
        raise ApiError(400, "state must be 'published' or 'archived'")
    if "tags" in changes and (
        not isinstance(changes["tags"], list)
        or not all(isinstance(t, str) for t in changes["tags"])
    ):
        raise ApiError(400, "tags must be a list of strings")
    url = changes.get("sampleDatasetDownloadUrl", "")
    if url is not None and not isinstance(url, str):
        raise ApiError(400, "sampleDatasetDownloadUrl must be a string or null")
    return changes


async def templates(request: Request) -> Response:
    """GET: every user's templates (``?username=`` for one); POST: create one."""
    user = authenticate(request)
    store = hub_of(request).store
    if request.method == "POST":
        payload = validate_template_body(await read_json(request), None)
        return json_reply(201, await run_in_threadpool(store.create_template, user, payload))
    owner = request.query_params.get("username")
    return json_reply(200, await run_in_threadpool(store.list_templates, owner))


async def user_templates(request: Request) -> Response:
    authenticate(request)
    owner = request.path_params["username"]
    return json_reply(200, await run_in_threadpool(hub_of(request).store.list_templates, owner))


async def template(request: Request) -> Response:
    user = authenticate(request)
    store = hub_of(request).store
    owner, slug = request.path_params["username"], request.path_params["slug"]
    if request.method == "POST":
        require_owner(owner, user)
        payload = validate_template_body(await read_json(request), slug)
        return json_reply(
            201, await run_in_threadpool(store.new_template_version, owner, slug, payload)
        )
    if request.method == "PATCH":
        require_owner(owner, user)
        changes = await read_patch(request)
        return json_reply(200, await run_in_threadpool(store.patch_template, owner, slug, changes))
    version = query_whole_number(request, "version")
    return json_reply(200, await run_in_threadpool(store.get_template, owner, slug, version))


async def template_versions(request: Request) -> Response:
    authenticate(request)
    owner, slug = request.path_params["username"], request.path_params["slug"]
    store = hub_of(request).store
    return json_reply(200, await run_in_threadpool(store.template_versions, owner, slug))


routes = [
    Route("/api/task-templates", templates, methods=["GET", "POST"]),
    Route("/api/task-templates/{username}", user_templates, methods=["GET"]),
    Route("/api/task-templates/{username}/{slug}", template, methods=["GET", "POST", "PATCH"]),
    Route("/api/task-templates/{username}/{slug}/versions", template_versions, methods=["GET"]),
]
