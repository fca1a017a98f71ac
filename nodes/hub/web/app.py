"""The web front end's routes: public board, online queue, ticket pages, dashboard.

Pages are rendered on the server (Jinja2) and work without JavaScript; a small local script
upgrades them to live pages with server-sent events (`/live/...`), and falls back to
polling the JSON twins (`/api/...`) where EventSource is missing. Every form carries a
CSRF token bound to the session; every blocking call (MQTT requests, SQLite, argon2) runs
in a worker thread so the event loop only ever waits on sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import qrcode
import qrcode.image.svg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.bahasa import Lang, clock, duration_minutes_phrase
from common.wire import ID_PATTERN, TICKET_ID_PATTERN, parse_iso
from nodes.hub.web import accounts, i18n
from nodes.hub.web.config import WebConfig
from nodes.hub.web.guard import (
    RateLimit,
    SignInGuard,
    csrf_ok,
    holder_digest,
    new_csrf_token,
    normalise_nik,
    normalise_phone,
)
from nodes.hub.web.live import LiveModel
from nodes.hub.web.office import OfficeFeed, TicketDesk
from nodes.hub.web.reports import ReportShelf
from nodes.hub.web.stream import Broadcaster

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "antrian_sesi"
#: How often a live stream sends a comment line when nothing changes: keeps proxies and
#: phones from closing an idle connection, and lets the server notice a gone client.
KEEPALIVE_S = 15.0
RECHECK_S = 3.0
LIVE_CACHE_SIZE = 5000
#: Without JavaScript or EventSource, pages reload themselves this often.
REFRESH_S = 20


@dataclass
class WebState:
    """What the routes share; built once by `create_app`."""

    config: WebConfig
    feed: OfficeFeed
    desk: TicketDesk
    reports: ReportShelf
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    ticket_limit: RateLimit = field(init=False)
    sign_in_guard: SignInGuard = field(init=False)
    #: holder digest (phone/NIK, keyed hash) -> the ticket it holds today
    holders: dict[str, str] = field(default_factory=dict)
    holders_day: str = ""
    monotonic: Callable[[], float] = time.monotonic
    _live_cache: dict[tuple[str, ...], tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ticket_limit = RateLimit(self.config.rate_limit_per_minute)
        self.sign_in_guard = SignInGuard(self.config.sign_in_attempts, self.config.sign_in_lock_s)

    @property
    def model(self) -> LiveModel:
        return self.feed.model

    def now(self) -> datetime:
        return self.feed.clock()

    def today(self) -> str:
        return self.now().astimezone(self.feed.tz).date().isoformat()

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


# --- presentation ---------------------------------------------------------------------------


def wait_text(seconds: float | None, lang: Lang) -> str:
    return duration_minutes_phrase(seconds, lang) if seconds is not None else "-"


def call_time(text: str, lang: Lang) -> str:
    moment = parse_iso(text)
    return clock(moment, lang) if moment else ""


def board_view(model: LiveModel, lang: Lang) -> dict[str, Any]:
    view = model.board()
    for service in view["services"]:
        service["estimate_text"] = wait_text(service["estimated_wait_s"], lang)
    for call in view["calls"]:
        call["time_text"] = call_time(call["called_at"], lang)
    return view


def ticket_view(
    model: LiveModel, ticket_id: str, lang: Lang, near_ahead: int
) -> dict[str, Any] | None:
    view = model.ticket(ticket_id)
    if view is None:
        return None
    words = i18n.words(lang)
    ahead = view["ahead"]
    view["estimate_text"] = (
        words["soon"] if ahead == 0 else wait_text(view["estimated_wait_s"], lang)
    )
    view["state_text"] = words[f"state_{view['state']}"]
    if view["state"] in ("called", "serving") and view["counter_name"]:
        view["state_text"] += f" {view['counter_name']}"
    view["near"] = view["state"] == "called" or (ahead is not None and ahead <= near_ahead)
    return view


def qr_svg(url: str) -> str:
    """A QR code as inline SVG (no image files, no JavaScript)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    text = buffer.getvalue().decode()
    return text[text.index("<svg") :]


# --- request helpers ------------------------------------------------------------------------


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


class Pages:
    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    def render(
        self, request: Request, name: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = lang_of(request)
        state = web(request)
        with state.feed.lock:
            office = state.model.office_name or state.config.identity.office_name
        response = self.templates.TemplateResponse(
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
                **context,
            },
            status_code=status_code,
        )
        if request.query_params.get("lang") == lang:
            response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def error(
        self, request: Request, message: str, status_code: int, back: str = "/"
    ) -> HTMLResponse:
        return self.render(request, "error.html", status_code, message=message, back=back)


Handler = Callable[[Request], Awaitable[Response]]


def with_csrf(pages: Pages, handler: Handler) -> Handler:
    """Refuse a form post whose token is not this session's (403, with a clear message)."""

    async def checked(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session.get("csrf"), form.get("csrf")):
            log.info("refused a form post to %s with a bad CSRF token", request.url.path)
            return pages.error(request, i18n.words(lang_of(request))["err_csrf"], 403)
        return await handler(request)

    return checked


# --- the application ------------------------------------------------------------------------

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


def create_app(state: WebState) -> Starlette:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    pages = Pages(templates)
    config = state.config

    # --- public board -------------------------------------------------------------------------

    async def board(request: Request) -> Response:
        with state.feed.lock:
            view = board_view(state.model, lang_of(request))
        return pages.render(request, "board.html", view=view)

    async def board_json(request: Request) -> Response:
        with state.feed.lock:
            view = board_view(state.model, lang_of(request))
        return JSONResponse(view, headers={"Cache-Control": "no-store"})

    async def board_live(request: Request) -> Response:
        lang = lang_of(request)
        return live_stream(state, ("board", lang), lambda: board_view(state.model, lang))

    # --- online queue -------------------------------------------------------------------------

    def services_for_form() -> list[dict[str, Any]]:
        with state.feed.lock:
            return [s for s in state.model.board()["services"]]

    async def take_form(request: Request) -> Response:
        current = request.session.get("ticket")
        with state.feed.lock:
            active = isinstance(current, str) and state.model.is_active(current)
        return pages.render(
            request,
            "take.html",
            services=services_for_form(),
            active=current if active else None,
            requires=config.online_requires,
        )

    async def take(request: Request) -> Response:
        words = i18n.words(lang := lang_of(request))
        form = await request.form()
        service = form.get("service")

        def refuse(message: str, status_code: int) -> Response:
            return pages.render(
                request,
                "take.html",
                status_code,
                services=services_for_form(),
                active=None,
                requires=config.online_requires,
                message=message,
            )

        if not isinstance(service, str) or not ID_PATTERN.match(service):
            return refuse(words["err_service"], 400)
        with state.feed.lock:
            known = service in state.model.services
            is_open = state.model.service_open(service)
            current = request.session.get("ticket")
            active = isinstance(current, str) and state.model.is_active(current)
        if not known:
            return refuse(words["err_service"], 404)
        if active:
            return RedirectResponse(f"/t/{current}?sudah=1", status_code=303)
        if not is_open:
            return refuse(words["err_closed"], 409)
        digest: str | None = None
        if config.online_requires != "none":
            raw = form.get("holder")
            text = raw if isinstance(raw, str) else ""
            value = (
                normalise_phone(text) if config.online_requires == "phone" else normalise_nik(text)
            )
            if value is None:
                return refuse(
                    words["err_phone" if config.online_requires == "phone" else "err_nik"], 400
                )
            today = state.today()
            if state.holders_day != today:  # yesterday's digests can never match again
                state.holders.clear()
                state.holders_day = today
            digest = holder_digest(config.secret_key, today, config.online_requires, value)
            held = state.holders.get(digest)
            with state.feed.lock:
                holds_one = held is not None and state.model.is_active(held)
            if holds_one:
                return refuse(words["err_holder_active"], 409)
        if not state.ticket_limit.allow(client_address(request), state.monotonic()):
            log.info("online ticket refused: rate limit for %s", client_address(request))
            return refuse(words["err_rate"], 429)
        answer = await run_in_threadpool(state.desk.take, service)
        if not answer.ok:
            log.info("hub refused an online ticket for %s: %s", service, answer.error_code)
            status = 503 if answer.error_code == "timeout" else 409
            return refuse(i18n.hub_error(lang, answer.error_code, answer.error_message), status)
        ticket_id = answer.data.get("ticket_id")
        if not isinstance(ticket_id, str) or not TICKET_ID_PATTERN.match(ticket_id):
            log.error("hub answered a ticket request without a valid ticket_id: %r", answer.data)
            return refuse(i18n.hub_error(lang, "internal_error", None), 502)
        request.session["ticket"] = ticket_id
        if digest is not None:
            state.holders[digest] = ticket_id
        log.info("online ticket %s taken for service %s", ticket_id, service)
        await run_in_threadpool(state.feed.refresh)
        return RedirectResponse(f"/t/{ticket_id}", status_code=303)

    # --- ticket pages -------------------------------------------------------------------------

    async def find_ticket(ticket_id: str, lang: Lang) -> dict[str, Any] | None:
        with state.feed.lock:
            view = ticket_view(state.model, ticket_id, lang, config.near_alert_ahead)
        if view is None and ticket_id.startswith(state.today().replace("-", "")):
            await run_in_threadpool(state.feed.refresh)  # the log may be a moment ahead
            with state.feed.lock:
                view = ticket_view(state.model, ticket_id, lang, config.near_alert_ahead)
        if view is None:
            view = await run_in_threadpool(past_ticket, state, ticket_id, lang)
        return view

    async def ticket_page(request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        lang = lang_of(request)
        if not TICKET_ID_PATTERN.match(ticket_id):
            return pages.error(request, i18n.words(lang)["not_found"], 404)
        view = await find_ticket(ticket_id, lang)
        if view is None:
            return pages.error(request, i18n.words(lang)["not_found"], 404)
        mine = request.session.get("ticket") == ticket_id
        return pages.render(
            request,
            "ticket.html",
            view=view,
            mine=mine,
            already=request.query_params.get("sudah") == "1",
            qr=qr_svg(f"{config.base_url}/t/{ticket_id}"),
            near_ahead=config.near_alert_ahead,
        )

    async def ticket_json(request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        if not TICKET_ID_PATTERN.match(ticket_id):
            return JSONResponse({"error": "not_found"}, status_code=404)
        view = await find_ticket(ticket_id, lang_of(request))
        if view is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return JSONResponse(view, headers={"Cache-Control": "no-store"})

    async def ticket_live(request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        lang = lang_of(request)
        if not TICKET_ID_PATTERN.match(ticket_id) or await find_ticket(ticket_id, lang) is None:
            return PlainTextResponse("not found", status_code=404)

        def build() -> dict[str, Any]:
            view = ticket_view(state.model, ticket_id, lang, config.near_alert_ahead)
            return view or {"ticket_id": ticket_id, "state": "unknown", "active": False}

        return live_stream(state, ("ticket", ticket_id, lang), build)

    async def cancel(request: Request) -> Response:
        ticket_id = request.path_params["ticket_id"]
        lang = lang_of(request)
        words = i18n.words(lang)
        if not TICKET_ID_PATTERN.match(ticket_id) or request.session.get("ticket") != ticket_id:
            return pages.error(request, words["err_cancel"], 403, back=f"/t/{ticket_id}")
        if not state.ticket_limit.allow(client_address(request), state.monotonic()):
            return pages.error(request, words["err_rate"], 429, back=f"/t/{ticket_id}")
        with state.feed.lock:
            ticket = state.model.tickets.get(ticket_id)
            service = ticket.service if ticket else ticket_id.split("-")[1]
        answer = await run_in_threadpool(state.desk.cancel, ticket_id, service, "online")
        if not answer.ok:
            message = i18n.hub_error(lang, answer.error_code, answer.error_message)
            return pages.error(request, message, 409, back=f"/t/{ticket_id}")
        request.session.pop("ticket", None)
        log.info("online ticket %s cancelled by its holder", ticket_id)
        await run_in_threadpool(state.feed.refresh)
        return RedirectResponse(f"/t/{ticket_id}", status_code=303)

    # --- dashboard ----------------------------------------------------------------------------

    async def sign_in_form(request: Request) -> Response:
        return pages.render(
            request, "signin.html", next=safe_next(request.query_params.get("next"))
        )

    async def sign_in(request: Request) -> Response:
        form = await request.form()
        words = i18n.words(lang_of(request))
        name = form.get("user")
        password = form.get("password")
        name = name.strip()[:64] if isinstance(name, str) else ""
        password = password if isinstance(password, str) else ""
        keys = (f"user:{name.lower()}", f"addr:{client_address(request)}")
        target = safe_next(form.get("next"))
        now = state.monotonic()
        if state.sign_in_guard.locked(keys, now):
            log.warning("sign-in refused for %r from %s: locked", name, client_address(request))
            return pages.render(request, "signin.html", 429, message=words["locked"], next=target)
        user = config.user(name)
        if not await run_in_threadpool(accounts.verify, user, password[:1024]):
            state.sign_in_guard.failed(keys, now)
            log.warning("failed sign-in for %r from %s", name, client_address(request))
            return pages.render(
                request, "signin.html", 401, message=words["bad_sign_in"], next=target
            )
        state.sign_in_guard.succeeded(keys)
        assert user is not None
        request.session.clear()  # a fresh session (and CSRF token) for the signed-in user
        request.session.update({"user": user.name, "role": user.role, "csrf": new_csrf_token()})
        log.info("%s (%s) signed in from %s", user.name, user.role, client_address(request))
        return RedirectResponse(target, status_code=303)

    async def sign_out(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/", status_code=303)

    def signed_in(request: Request) -> bool:
        name = request.session.get("user")
        return isinstance(name, str) and config.user(name) is not None

    def role(request: Request) -> str | None:
        name = request.session.get("user")
        user = config.user(name) if isinstance(name, str) else None
        return user.role if user else None

    async def dashboard(request: Request) -> Response:
        if not signed_in(request):
            return RedirectResponse(f"/masuk?next={request.url.path}", status_code=303)
        now = state.now()
        with state.feed.lock:
            view = dashboard_view(state.model, now, lang_of(request))
        return pages.render(
            request,
            "dashboard.html",
            view=view,
            admin=role(request) == "admin",
            today=state.today(),
            reports_available=state.reports.available(),
            message=request.query_params.get("pesan"),
        )

    async def dashboard_json(request: Request) -> Response:
        if not signed_in(request):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        with state.feed.lock:
            view = dashboard_view(state.model, state.now(), lang_of(request))
        return JSONResponse(view, headers={"Cache-Control": "no-store"})

    async def dashboard_live(request: Request) -> Response:
        if not signed_in(request):
            return PlainTextResponse("sign in first", status_code=403)
        lang = lang_of(request)

        def build() -> dict[str, Any]:
            view = dashboard_view(state.model, state.now(), lang)
            for service in view["services"]:
                service.pop("longest_text")  # grows every second; not a reason to push
            return view

        return live_stream(state, ("dashboard", lang), build)

    async def set_accepting(request: Request) -> Response:
        words = i18n.words(lang := lang_of(request))
        if not signed_in(request):
            return pages.error(request, words["err_forbidden"], 403, back="/masuk")
        if role(request) != "admin":
            return pages.error(request, words["err_role"], 403, back="/dasbor")
        service = request.path_params["service"]
        form = await request.form()
        with state.feed.lock:
            known = service in state.model.services
        if not known:
            return pages.error(request, words["err_service"], 404, back="/dasbor")
        accepting = form.get("accepting") == "1"
        answer = await run_in_threadpool(state.desk.set_accepting, service, accepting)
        if not answer.ok:
            return pages.error(
                request,
                i18n.hub_error(lang, answer.error_code, answer.error_message),
                409,
                back="/dasbor",
            )
        log.info(
            "%s %s service %s for new tickets",
            request.session.get("user"),
            "opened" if accepting else "closed",
            service,
        )
        return RedirectResponse("/dasbor", status_code=303)

    async def reports_page(request: Request) -> Response:
        words = i18n.words(lang_of(request))
        if not signed_in(request):
            return RedirectResponse(f"/masuk?next={request.url.path}", status_code=303)
        day = parse_day(request.query_params.get("hari"), state.today())
        if day is None:
            return pages.error(request, words["err_day"], 400, back="/dasbor/laporan")
        return pages.render(
            request,
            "reports.html",
            day=day,
            available=state.reports.available(),
            formats=state.reports.formats(),
        )

    async def report_file(request: Request) -> Response:
        """A day's report: HTML shown in the dashboard's frame, other formats downloaded."""
        lang = lang_of(request)
        if not signed_in(request):
            return RedirectResponse("/masuk", status_code=303)
        day = parse_day(request.path_params["day"], state.today())
        fmt = request.path_params["fmt"]
        if day is None or fmt not in state.reports.formats():
            return PlainTextResponse("not found", status_code=404)
        with state.feed.lock:
            model = state.model
            names = (
                model.office_name or config.identity.office_name,
                tuple((s.id, s.name) for s in model.services.values()),
                tuple((c.id, c.name) for c in model.counters.values()),
            )
        try:
            content = await run_in_threadpool(
                state.reports.render, date.fromisoformat(day), fmt, lang, *names, state.now()
            )
        except FileNotFoundError:
            log.warning("report for %s asked for, but the hub database is missing", day)
            return pages.error(request, i18n.words(lang)["reports_no_data"], 404, back="/dasbor")
        disposition = "inline" if fmt == "html" else "attachment"
        return Response(
            content,
            media_type=state.reports.media_type(fmt),
            headers={
                "Content-Disposition": f'{disposition}; filename="laporan-{day}.{fmt}"',
                "Cache-Control": "no-store",
            },
        )

    async def healthz(request: Request) -> Response:
        connected = state.feed.link.connected
        return JSONResponse({"broker": connected}, status_code=200 if connected else 503)

    routes = [
        Route("/", board),
        Route("/api/papan", board_json),
        Route("/live/papan", board_live),
        Route("/ambil", take_form, methods=["GET"]),
        Route("/ambil", with_csrf(pages, take), methods=["POST"]),
        Route("/t/{ticket_id}", ticket_page),
        Route("/api/t/{ticket_id}", ticket_json),
        Route("/live/t/{ticket_id}", ticket_live),
        Route("/t/{ticket_id}/batal", with_csrf(pages, cancel), methods=["POST"]),
        Route("/masuk", sign_in_form, methods=["GET"]),
        Route("/masuk", with_csrf(pages, sign_in), methods=["POST"]),
        Route("/keluar", with_csrf(pages, sign_out), methods=["POST"]),
        Route("/dasbor", dashboard),
        Route("/api/dasbor", dashboard_json),
        Route("/live/dasbor", dashboard_live),
        Route("/dasbor/layanan/{service}", with_csrf(pages, set_accepting), methods=["POST"]),
        Route("/dasbor/laporan", reports_page),
        Route("/dasbor/laporan/{day}.{fmt}", report_file),
        Route("/healthz", healthz),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.broadcaster.bind(asyncio.get_running_loop())
        state.feed.listeners.append(state.broadcaster.wake)
        yield
        state.feed.listeners.remove(state.broadcaster.wake)

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=config.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=12 * 3600,
                same_site="lax",
                https_only=config.secure_cookies,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.web = state
    return app


def live_stream(
    state: WebState, key: tuple[str, ...], build: Callable[[], dict[str, Any]]
) -> StreamingResponse:
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

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def past_ticket(state: WebState, ticket_id: str, lang: Lang) -> dict[str, Any] | None:
    """A ticket of another day, folded from its own events (blocking: SQLite)."""
    rows = state.feed.events.ticket(ticket_id)
    if not rows:
        return None
    model = LiveModel()
    with state.feed.lock:
        model.services = dict(state.model.services)
        model.counters = dict(state.model.counters)
    model.apply_events(rows)
    return ticket_view(model, ticket_id, lang, state.config.near_alert_ahead)


def dashboard_view(model: LiveModel, now: datetime, lang: Lang) -> dict[str, Any]:
    """Node health, counters and queues for the signed-in dashboard."""
    words = i18n.words(lang)
    nodes = []
    for node_id, health in sorted(model.nodes.items()):
        nodes.append(
            {
                "id": node_id,
                "online": health.online,
                "role": health.role,
                "version": health.version,
                "last_seen": clock(health.last_seen.astimezone(now.tzinfo), lang, seconds=True),
                "details": ", ".join(
                    f"{k}: {v}" for k, v in sorted(health.details.items()) if k != "pid"
                ),
            }
        )
    counters = []
    for counter in model.counters.values():
        current = model.counter_states.get(counter.id)
        counters.append(
            {
                "id": counter.id,
                "name": counter.name,
                "status": current.status if current else "closed",
                "ticket": current.ticket if current else None,
                "waiting": current.waiting if current else 0,
            }
        )
    services = board_view(model, lang)["services"]
    for service in services:
        longest = model.longest_wait_s(service["id"], now)
        service["longest_text"] = wait_text(longest, lang) if longest is not None else "-"
        service["open_text"] = words["open"] if service["open"] else words["closed"]
    return {"version": model.version, "nodes": nodes, "counters": counters, "services": services}


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
    if text is None or text == "":
        return default
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None
