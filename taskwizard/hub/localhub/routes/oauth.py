"""Device-code login, as Auth0 does it for Bitfount: ``/oauth/device/code``,
``/oauth/token`` and the ``/activate`` page where the hub's owner approves."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from taskwizard.hub.localhub.core import DEVICE_CODE_LIFETIME, DeviceCode, TooManyDeviceLogins
from taskwizard.hub.localhub.routes.common import hub_of, json_reply, read_form


def oauth_error(status: int, error: str, description: str) -> Response:
    return json_reply(status, {"error": error, "error_description": description})


async def device_code(request: Request) -> Response:
    hub = hub_of(request)
    form = await read_form(request)
    try:
        code = hub.new_device_code(form.get("client_id", ""))
    except TooManyDeviceLogins:
        return oauth_error(
            429,
            "slow_down",
            "too many device logins are waiting for approval; approve one or wait "
            f"{DEVICE_CODE_LIFETIME // 60} minutes for them to expire",
        )
    return json_reply(
        200,
        {
            "device_code": code.device_code,
            "user_code": code.user_code,
            "verification_uri": f"{hub.base_url}/activate",
            "verification_uri_complete": f"{hub.base_url}/activate?user_code={code.user_code}",
            "interval": code.interval,
            "expires_in": DEVICE_CODE_LIFETIME,
        },
    )


async def token(request: Request) -> Response:
    hub = hub_of(request)
    form = await read_form(request)
    grant = form.get("grant_type", "")
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        polled = hub.poll_device_code(form.get("device_code", ""))
        if not isinstance(polled, DeviceCode):
            return oauth_error(400, *polled)
        return json_reply(200, hub.issue_tokens(hub.credentials.username, polled.client_id))
    if grant == "refresh_token":
        user = hub.use_refresh_token(form.get("refresh_token", ""))
        if user is None:
            return oauth_error(400, "invalid_grant", "unknown or used refresh token")
        return json_reply(200, hub.issue_tokens(user, form.get("client_id", "")))
    return oauth_error(400, "unsupported_grant_type", f"grant_type {grant[:100]!r}")


async def activate(request: Request) -> Response:
    hub = hub_of(request)
    message = ""
    user_code = request.query_params.get("user_code", "")
    if request.method == "POST":
        form = await read_form(request)
        user_code = form.get("user_code", "")
        # Approving needs the hub's API key: otherwise anyone on this machine could
        # start a device login and approve it themselves.
        if not hub.credentials.matches(form.get("api_key_id", ""), form.get("api_key", "")):
            message = "That API key pair is not this hub's. Nothing was approved."
        elif hub.approve_device_code(user_code):
            message = "Approved. You can close this page and go back to taskwizard."
        else:
            message = "No pending login has that code (it may have expired)."
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>Approve a login - taskwizard local hub</title></head><body>"
        "<h1>Approve a device login</h1>"
        f"<p>{html.escape(message)}</p>"
        "<form method='post' action='/activate'>"
        "<p>Code: <input name='user_code' value='{code}'></p>"
        "<p>API key ID: <input name='api_key_id'></p>"
        "<p>API key: <input name='api_key' type='password'></p>"
        "<p>(the pair <code>taskwizard hub</code> printed when it started)</p>"
        "<button type='submit'>Approve</button></form></body></html>"
    ).replace("{code}", html.escape(user_code, quote=True))
    return HTMLResponse(page)


routes = [
    Route("/oauth/device/code", device_code, methods=["POST"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/activate", activate, methods=["GET", "POST"]),
]
