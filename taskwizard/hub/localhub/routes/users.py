"""Users: ``GET /api/users/me``, whose credentials a request carries
(``HubClient.whoami`` asks before an upload writes anything)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from taskwizard.hub.localhub.routes.common import authenticate, json_reply


async def whoami(request: Request) -> Response:
    return json_reply(200, {"username": authenticate(request)})


routes = [Route("/api/users/me", whoami, methods=["GET"])]
