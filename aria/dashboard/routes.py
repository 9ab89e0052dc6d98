"""The dashboard's pages, fragments and live stream.

Sign-in takes an API key with the ``read`` scope in a form (never in a URL) and answers
with an http-only, SameSite=Strict session cookie (Secure over https). The sign-in and
sign-out forms carry a CSRF token: the sign-in form's is a double-submitted cookie, the
sign-out form's is the session's own. A page asked for without a session redirects to the
sign-in form.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from aria.api.deps import AccountId
from aria.dashboard.chart import chart
from aria.dashboard.hub import Hub
from aria.dashboard.render import render
from aria.service import dashboard, web_sessions
from aria.service.changes import ChangeFeed, visible
from aria.service.context import Context
from aria.service.errors import NotFound
from aria.service.web_sessions import WebSession

log = logging.getLogger("aria.dashboard")
router = APIRouter(prefix="/dashboard", include_in_schema=False)
SESSION_COOKIE, LOGIN_CSRF_COOKIE = "aria_session", "aria_login_csrf"
KEEPALIVE_SECONDS = 15.0  # a comment line this often keeps proxies from closing the stream
READY_SECONDS = 10.0  # the longest a new stream waits for the feed to listen
NO_STORE = {"Cache-Control": "no-store"}
MAX_FORM = 4096  # bytes: a sign-in form is a key and a token


def _context(request: Request) -> Context:
    return request.app.state.context  # type: ignore[no-any-return]


def _session(request: Request) -> WebSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    return web_sessions.resume(_context(request), token) if token else None


def _to_login() -> RedirectResponse:
    return RedirectResponse("/dashboard/login", status_code=303, headers=NO_STORE)


# Only ARIA's own script and stylesheet run; no other site may frame the pages.
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _hub(request: Request) -> Hub:
    """The process's hub over its change feed: the feed the app was given
    (``app.state.change_feed``), else one for the configured database."""
    state = request.app.state
    hub: Hub | None = getattr(state, "dashboard_hub", None)
    if hub is None:
        feed: ChangeFeed | None = getattr(state, "change_feed", None)
        if feed is None:
            from aria.settings import Settings
            from storage.changes import feed_for

            feed = feed_for(Settings().database_url)
        hub = state.dashboard_hub = Hub(feed)
    return hub


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The sign-in form."""
    return _login_page(request)


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = _page(render("login.html", csrf=csrf, error=error), status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/dashboard",
    )
    return response


async def _form(request: Request) -> dict[str, str]:
    """A small url-encoded form's fields (the first value of each; a large body is none)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:  # more fields than any dashboard form has
        return {}
    return {name: values[0] for name, values in fields.items()}


Fields = Annotated[dict[str, str], Depends(_form)]


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: Fields) -> Response:
    """Exchange an API key (``read`` scope) for a session cookie."""
    api_key, csrf = form.get("api_key", ""), form.get("csrf", "")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        return _login_page(request, "The form expired; sign in again.", 403)
    session = web_sessions.sign_in(_context(request), api_key)
    if session is None:
        log.info("dashboard: a sign-in was refused")
        return _login_page(request, "That key is unknown, revoked, or lacks the read scope.", 401)
    response = RedirectResponse("/dashboard", status_code=303, headers=NO_STORE)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        # Relative: the browser's clock and the server's need not agree.
        max_age=web_sessions.SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/dashboard",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dashboard")
    return response


@router.post("/logout")
def logout(request: Request, form: Fields) -> Response:
    """End the session (the form's CSRF token must be the session's)."""
    csrf = form.get("csrf", "")
    session = _session(request)
    if session is None:
        return _to_login()
    if not web_sessions.csrf_ok(session, csrf):
        return _page(render("message.html", message="The sign-out form was not valid."), 403)
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")
    return response


@router.get("", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    """Every account the session's key may read."""
    session = _session(request)
    if session is None:
        return _to_login()
    ctx = _context(request)
    owner = session.principal.owner
    rows, alerts = dashboard.rows(ctx, owner), dashboard.latest_alerts(ctx, owner)
    return _page(render("overview.html", session=session, rows=rows, alerts=alerts))


@router.get("/fragments/accounts/{account_id}", response_class=HTMLResponse)
def account_row(request: Request, account_id: AccountId) -> Response:
    """One account's table row, for the live updates."""
    session = _session(request)
    if session is None:
        return Response(status_code=401, headers=NO_STORE)
    try:
        found = dashboard.row(_context(request), account_id, session.principal.owner)
    except NotFound:
        return Response(status_code=404, headers=NO_STORE)
    return _page(render("row.html", row=found))


@router.get("/fragments/alerts", response_class=HTMLResponse)
def alerts(request: Request) -> Response:
    """The latest alerts list, for the live updates."""
    session = _session(request)
    if session is None:
        return Response(status_code=401, headers=NO_STORE)
    found = dashboard.latest_alerts(_context(request), session.principal.owner)
    return _page(render("alerts.html", alerts=found))


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(request: Request, account_id: AccountId) -> Response:
    """One account: equity against its floors over time, its decisions and events."""
    session = _session(request)
    if session is None:
        return _to_login()
    try:
        found = dashboard.history(_context(request), account_id, session.principal.owner)
    except NotFound:
        return _page(render("message.html", message=f"Unknown account {account_id!r}."), 404)
    return _page(render("account.html", session=session, page=found, chart=chart(found.points)))


@router.get("/stream")
async def stream(request: Request) -> Response:
    """Server-sent events: ``change`` with the account id whenever one of the session's
    accounts is written to (state, decision or rule event)."""
    ctx = _context(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    session = await asyncio.to_thread(web_sessions.resume, ctx, token) if token else None
    if session is None:
        return Response(status_code=401, headers=NO_STORE)
    owner, hub = session.principal.owner, _hub(request)

    async def events() -> AsyncIterator[str]:
        queue = hub.subscribe()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hub.ready.wait(), READY_SECONDS)
            yield "retry: 2000\n: connected\n\n"
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    # The key may have been revoked meanwhile: that ends the stream too.
                    if await asyncio.to_thread(web_sessions.resume, ctx, token) is None:
                        return
                    yield ": keepalive\n\n"
                    continue
                if change is None:
                    yield "event: resync\ndata: *\n\n"
                elif visible(change, owner):
                    yield f"event: change\ndata: {change.account_id}\n\n"
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )
