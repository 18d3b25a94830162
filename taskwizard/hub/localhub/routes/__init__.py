"""The local hub's route table: one list, built from a module per resource."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from taskwizard.hub.localhub.routes import models, oauth, storage, templates, users
from taskwizard.hub.localhub.routes.common import hub_of, json_reply


async def index_page(request: Request) -> Response:
    user = html.escape(hub_of(request).credentials.username)
    # The URL this page was reached at (the Host header is checked: loopback or --host), so
    # the command names the port the hub really runs on; `--env local` means port 3000 only.
    url = html.escape(f"{request.url.scheme}://{request.url.netloc}")
    same_as = " (same as <code>--env local</code>)" if request.url.port == 3000 else ""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>taskwizard local hub</title>"
        "</head><body><h1>taskwizard local hub</h1>"
        "<p>A local stand-in for the Bitfount Hub API that task templates and models "
        "are uploaded to. It speaks the subset of the Hub API that Bitfount's uploader "
        f"uses. User: <b>{user}</b>.</p>"
        f"<p>Upload with <code>taskwizard upload CONFIG --hub {url}</code>{same_as}. "
        "Health check: <a href='/api/health'>/api/health</a>.</p></body></html>"
    )
    return HTMLResponse(page)


async def health(request: Request) -> Response:
    return json_reply(200, {"status": "ok", "service": "taskwizard local hub"})


ROUTES: list[BaseRoute] = [
    Route("/", index_page, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
    *templates.routes,
    *models.routes,
    *storage.routes,
    *oauth.routes,
    *users.routes,
]
