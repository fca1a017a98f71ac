"""What every route shares: the `WebState`, page rendering, CSRF, live streams, headers."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.bahasa import Lang
from nodes.hub.web import i18n
from nodes.hub.web.capacity import RETRY_AFTER_S, Capacity, LiveGate, Throttle, fd_limit, plan
from nodes.hub.web.config import WebConfig
from nodes.hub.web.guard import OnlineHolds, RateLimit, SignInGuard, csrf_ok, new_csrf_token
from nodes.hub.web.live import LiveModel
from nodes.hub.web.office import OfficeFeed, TicketDesk
from nodes.hub.web.reports import ReportShelf
from nodes.hub.web.stream import Broadcaster

log = logging.getLogger(__name__)

SESSION_COOKIE = "antrian_sesi"
#: How often a live stream sends a comment line when nothing changes: keeps proxies and
#: phones from closing an idle connection, and lets the server notice a gone client.
KEEPALIVE_S = 15.0
#: A live stream looks at its view at least this often, even without a wake-up.
RECHECK_S = 3.0
LIVE_CACHE_SIZE = 5000
MAX_SESSIONS = 1000
#: Without JavaScript or EventSource, pages reload themselves this often.
REFRESH_S = 20


@dataclass
class WebState:
    """The parts the routes share; one per application."""

    config: WebConfig
    feed: OfficeFeed
    desk: TicketDesk
    reports: ReportShelf
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    ticket_limit: RateLimit = field(init=False)
    sign_in_guard: SignInGuard = field(init=False)
    #: browser / holder digest (phone/NIK, keyed hash) -> the online ticket it holds today
    holds: OnlineHolds = field(default_factory=OnlineHolds)
    #: Signed-in dashboard sessions (random id -> user name), oldest first. The cookie alone
    #: is not enough: signing out (or restarting the node) ends a session for good, even if
    #: its signed cookie was copied.
    sessions: OrderedDict[str, str] = field(default_factory=OrderedDict)
    monotonic: Callable[[], float] = time.monotonic
    #: Connections and live pages at most, planned from the file limit (capacity.py).
    capacity: Capacity = field(default_factory=lambda: plan(fd_limit(), None))
    live_gate: LiveGate = field(init=False)
    live_refusals: Throttle = field(default_factory=Throttle)
    _live_cache: dict[tuple[str, ...], tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ticket_limit = RateLimit(self.config.rate_limit_per_minute)
        self.sign_in_guard = SignInGuard(self.config.sign_in_attempts, self.config.sign_in_lock_s)
        self.live_gate = LiveGate(self.capacity.live)

    @property
    def model(self) -> LiveModel:
        return self.feed.model

    def now(self) -> datetime:
        return self.feed.clock()

    def today(self) -> str:
        return self.now().astimezone(self.feed.tz).date().isoformat()

    def open_session(self, user: str) -> str:
        session_id = secrets.token_urlsafe(24)
        self.sessions[session_id] = user
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)
        return session_id

    def live_json(self, key: tuple[str, ...], build: Callable[[], dict[str, Any]]) -> str:
        """A live view as JSON, rendered once per model version however many pages follow it.

        `version` is left out: it moves on every change anywhere, which is not news by itself.
        """
        with self.feed.lock:
            version = self.model.version
            hit = self._live_cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            view = build()
            view.pop("version", None)
            text = json.dumps(view, ensure_ascii=False, separators=(",", ":"))
            if len(self._live_cache) >= LIVE_CACHE_SIZE:
                self._live_cache.clear()
            self._live_cache[key] = (version, text)
            return text


# --- per request ----------------------------------------------------------------------------


def web(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def lang_of(request: Request) -> Lang:
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE))


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = new_csrf_token()
    return token


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the request's language, with what every template uses."""
    lang = lang_of(request)
    state = web(request)
    templates: Jinja2Templates = request.app.state.templates
    with state.feed.lock:
        office = state.model.office_name or state.config.identity.office_name
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": i18n.words(lang),
            "lang": lang,
            "other_lang": "en" if lang == "id" else "id",
            "office": office,
            "csrf": csrf_token(request),
            "user": request.session.get("user"),
            "refresh_s": REFRESH_S,
            "refresh": False,
            "flash": flash_of(request, state),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def error_page(
    request: Request, message: str, status_code: int, back: str = "/", heading: str = ""
) -> HTMLResponse:
    words = i18n.words(lang_of(request))
    heading = heading or words["err_title"]
    return render(request, "error.html", status_code, message=message, back=back, heading=heading)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such page, wrong method) as pages in the reader's language."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    words = i18n.words(lang_of(request))
    if status == 404:
        return error_page(request, words["page_missing"], 404, heading=words["page_missing_title"])
    message = words["method_not_allowed"] if status == 405 else words["err_title"]
    response = error_page(request, message, status)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)  # e.g. Allow on a 405
    return response


#: How long a dashboard action's result message stays on the dashboard: long enough to read
#: it after the live page reloaded for the change it made.
FLASH_S = 120


def set_flash(request: Request, state: WebState, message: str) -> None:
    request.session["flash"] = [message, state.now().timestamp() + FLASH_S]


def flash_of(request: Request, state: WebState) -> str | None:
    """The session's result message while it is fresh; dropped once stale."""
    flash = request.session.get("flash")
    if not (isinstance(flash, list) and len(flash) == 2 and isinstance(flash[0], str)):
        return None
    if not isinstance(flash[1], int | float) or state.now().timestamp() > flash[1]:
        request.session.pop("flash", None)
        return None
    return flash[0]


Handler = Callable[[Request], Awaitable[Response]]


def with_csrf(handler: Handler) -> Handler:
    """Refuse a form post whose token is not this session's (403, with a clear message)."""

    async def checked(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session.get("csrf"), form.get("csrf")):
            log.info("refused a form post to %s with a bad CSRF token", request.url.path)
            return error_page(request, i18n.words(lang_of(request))["err_csrf"], 403)
        return await handler(request)

    return checked


def safe_next(value: object) -> str:
    """Only same-site paths after sign-in (no open redirect to another host)."""
    if (
        isinstance(value, str)
        and re.fullmatch(r"/[A-Za-z0-9/_.-]*", value)
        and not value.startswith("//")
    ):
        return value
    return "/dasbor"


def parse_day(text: str | None, default: str) -> str | None:
    """A YYYY-MM-DD query value; `default` when absent, None when malformed."""
    if text is None or text == "":
        return default
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


# --- live streams ---------------------------------------------------------------------------


def live_stream(
    state: WebState, key: tuple[str, ...], build: Callable[[], dict[str, Any]]
) -> Response:
    """Server-sent events: the view now, then again after every change that alters it."""

    async def events() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        last: str | None = None
        quiet = 0.0
        while True:
            version = state.model.version
            data = state.live_json(key, build)
            if data != last:
                yield f"event: update\ndata: {data}\n\n"
                last = data
            if state.model.version != version:
                continue  # changed while we rendered: go again before sleeping
            if await state.broadcaster.wait(RECHECK_S):
                quiet = 0.0
                continue
            # No wake-up for a while: look again anyway (a safety net that bounds any missed
            # wake-up to RECHECK_S), and now and then tell the connection we are alive.
            quiet += RECHECK_S
            if quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ": ping\n\n"

    return LiveResponse(
        state,
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class LiveResponse(StreamingResponse):
    """A live stream that counts against the live-page cap for exactly as long as it runs.

    Past the cap: 503 with Retry-After and `Connection: close` (the descriptor is freed at
    once); EventSource gives up on a 503 and the page's script polls the JSON twin instead.
    """

    def __init__(self, state: WebState, content: AsyncIterator[str], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = self.state.live_gate
        if not gate.enter():
            await self.body_iterator.aclose()  # type: ignore[attr-defined]
            refused = self.state.live_refusals.note(self.state.monotonic())
            if refused is not None:
                log.warning(
                    "live pages at their cap (%d open): refused %d with 503 since the last "
                    "such line; those pages poll instead (raise [web] max_live and the "
                    "unit's LimitNOFILE together)",
                    gate.open,
                    refused,
                )
            busy = PlainTextResponse(
                "Terlalu banyak halaman langsung; halaman ini diperbarui berkala.",
                status_code=503,
                headers={
                    "Retry-After": str(RETRY_AFTER_S),
                    "Cache-Control": "no-store",
                    "Connection": "close",
                },
            )
            await busy(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            gate.leave()


# --- headers --------------------------------------------------------------------------------

#: Every page may load only what this node serves; nothing may frame it from elsewhere.
#: The reports package's HTML report brings its own inline style, so it gets a looser policy.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


class SecurityHeaders:
    """Adds the same protective headers to every response (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        report = scope["path"].startswith("/dasbor/laporan/")
        policy = REPORT_POLICY if report else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
