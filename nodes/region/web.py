"""The regional dashboard: Starlette + Jinja2, the office web's stylesheet, words and
sign-in (argon2 accounts, CSRF-checked forms, a session the server can end).

    /                      every office's live state, and the offices compared over a period
    /kantor/{id}           one office: its services and counters now, its report links
    /kantor/{id}/laporan   the office's report over the region's data (html, xlsx, pdf, csv)

Database reads run in worker threads; the comparison reads the per-day summaries
(`summary.py`), never a month of events.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from nodes.hub.reports import FORMATS, MEDIA_TYPES, render
from nodes.hub.web import accounts
from nodes.hub.web.guard import SignInGuard, csrf_ok, new_csrf_token
from nodes.hub.web.i18n import LANG_COOKIE, pick
from nodes.hub.web.site import REPORT_POLICY, SecurityHeaders, safe_next
from nodes.region import views
from nodes.region.config import RegionConfig
from nodes.region.store import Reader
from nodes.region.summary import build_report, office_info
from nodes.region.words import words

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
HUB_STATIC = HERE.parent / "hub" / "web" / "static"
#: The sign-in page is the hub's, drawn in the region's layout (its `layout`).
HUB_TEMPLATES = HERE.parent / "hub" / "web" / "templates"
SESSION_COOKIE = "antrian_wilayah"
MAX_SESSIONS = 1000
MAX_REPORT_DAYS = 366
REPORT_FORMATS = FORMATS


#: How long the overview's rows are shown again to other viewers: an office's state comes
#: at most every 5 s, so a page this much older says nothing older than the office's own.
OVERVIEW_TTL_S = 3.0


class ShortCache:
    """Values built at most once per `ttl_s` per key, however many pages ask at once (a
    regency's leaders all opening the dashboard at nine). Thread-safe; a few keys."""

    def __init__(self, ttl_s: float, size: int = 32) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._lock = threading.Lock()
        self._values: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, now: float, build: Callable[[], Any]) -> Any:
        with self._lock:  # one build at a time: the others wait and take its result
            hit = self._values.get(key)
            if hit is not None and 0 <= now - hit[0] < self.ttl_s:
                return hit[1]
            value = build()
            if len(self._values) >= self.size:
                self._values.clear()
            self._values[key] = (now, value)
            return value


@dataclass
class RegionState:
    config: RegionConfig
    reader: Reader
    clock: Callable[[], datetime] = lambda: datetime.now().astimezone()
    monotonic: Callable[[], float] = time.monotonic
    sessions: OrderedDict[str, str] = field(default_factory=OrderedDict)
    guard: SignInGuard = field(init=False)
    overviews: ShortCache = field(default_factory=lambda: ShortCache(OVERVIEW_TTL_S))

    def __post_init__(self) -> None:
        self.guard = SignInGuard(self.config.web.sign_in_attempts, self.config.web.sign_in_lock_s)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def name(self, office_id: str, state: dict[str, Any] | None = None) -> str:
        entry = self.config.office(office_id)
        if entry is not None:
            return entry.name
        return str(((state or {}).get("office") or {}).get("name") or office_id)


def region(request: Request) -> RegionState:
    state: RegionState = request.app.state.region
    return state


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = pick(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    state = region(request)
    csrf = request.session.get("csrf")
    if not isinstance(csrf, str):
        csrf = request.session["csrf"] = new_csrf_token()
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": words(lang),
            "lang": lang,
            "other_lang": "en" if lang == "id" else "id",
            "region": state.config.name,
            "csrf": csrf,
            "user": request.session.get("user"),
            "layout": "region_base.html",
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def lang_of(request: Request) -> Any:
    return pick(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def signed_in(request: Request) -> str | None:
    state = region(request)
    sid = request.session.get("sid")
    name = state.sessions.get(sid) if isinstance(sid, str) else None
    return name if name is not None and state.config.web.user(name) is not None else None


def to_sign_in(request: Request) -> Response:
    return RedirectResponse(f"/masuk?next={safe_next(request.url.path)}", status_code=303)


def problem(request: Request, key: str, status: int) -> HTMLResponse:
    t = words(lang_of(request))
    return page(request, "region_error.html", status, message=t.get(key, key))


def day_param(request: Request, name: str) -> date | bool | None:
    """A YYYY-MM-DD query value, None when absent, False when malformed."""
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return False


# --- sign in / out --------------------------------------------------------------------------


async def sign_in_form(request: Request) -> Response:
    return page(request, "signin.html", next=safe_next(request.query_params.get("next")))


async def sign_in(request: Request) -> Response:
    state = region(request)
    form = await request.form()
    if not csrf_ok(request.session.get("csrf"), form.get("csrf")):
        return problem(request, "err_csrf", 403)
    t = words(lang_of(request))
    name, password = form.get("user"), form.get("password")
    name = name.strip()[:64] if isinstance(name, str) else ""
    password = password[:1024] if isinstance(password, str) else ""
    target = safe_next(form.get("next"))
    target = "/" if target == "/dasbor" else target
    address = request.client.host if request.client else "unknown"
    keys = (f"user:{name.lower()}", f"addr:{address}")
    now = state.monotonic()
    if not name or not password:
        return page(request, "signin.html", 400, message=t["err_sign_in_missing"], next=target)
    if state.guard.locked(keys, now):
        log.warning("sign-in refused for %r from %s: locked", name, address)
        return page(request, "signin.html", 429, message=t["locked"], next=target)
    user = state.config.web.user(name)
    if not await run_in_threadpool(accounts.verify, user, password) or user is None:
        state.guard.failed(keys, now)
        log.warning("failed sign-in for %r from %s", name, address)
        return page(request, "signin.html", 401, message=t["bad_sign_in"], next=target)
    state.guard.succeeded(keys)
    sid = secrets.token_urlsafe(24)
    state.sessions[sid] = user.name
    while len(state.sessions) > MAX_SESSIONS:
        state.sessions.popitem(last=False)
    request.session.clear()
    request.session.update({"user": user.name, "sid": sid, "csrf": new_csrf_token()})
    log.info("%s signed in from %s", user.name, address)
    return RedirectResponse(target, status_code=303)


async def sign_out(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request.session.get("csrf"), form.get("csrf")):
        return problem(request, "err_csrf", 403)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        region(request).sessions.pop(sid, None)
    request.session.clear()
    return RedirectResponse("/masuk", status_code=303)


# --- pages ----------------------------------------------------------------------------------


async def overview(request: Request) -> Response:
    if signed_in(request) is None:
        return to_sign_in(request)
    state, lang = region(request), lang_of(request)
    first, last = day_param(request, "dari"), day_param(request, "sampai")
    if first is False or last is False:
        return problem(request, "bad_day", 400)
    now = state.now()
    first, last = views.period(now.date(), first or None, last or None)  # type: ignore[arg-type]

    def build() -> tuple[list[views.LiveRow], list[views.CompareRow]]:
        rows, totals = state.reader.offices(), state.reader.totals(first, last)
        known = {r.id: r for r in rows}
        listed = [o.id for o in state.config.offices]
        live, compare = [], []
        for office_id in listed + sorted(set(known) - set(listed)):
            row = known.get(office_id)
            name = state.name(office_id, row.state if row else None)
            live.append(
                views.live_row(row, name, now, lang) if row else views.unheard(office_id, name)
            )
            compare.append(views.compare_row(office_id, name, totals.get(office_id), lang))
        return live, compare

    live, compare = await run_in_threadpool(
        state.overviews.get, (first, last, lang), now.timestamp(), build
    )
    return page(
        request,
        "region.html",
        refresh=True,
        live=live,
        compare=compare,
        first=first,
        last=last,
        today=now.date(),
    )


async def office_page(request: Request) -> Response:
    if signed_in(request) is None:
        return to_sign_in(request)
    state, lang = region(request), lang_of(request)
    office_id = request.path_params["office"]
    rows = {r.id: r for r in await run_in_threadpool(state.reader.offices)}
    row = rows.get(office_id)
    if row is None and state.config.office(office_id) is None:
        return problem(request, "unknown_office", 404)
    name = state.name(office_id, row.state if row else None)
    now = state.now()
    live = views.live_row(row, name, now, lang) if row else None
    snapshot = (row.state if row else None) or {}
    return page(
        request,
        "region_office.html",
        refresh=True,
        office_id=office_id,
        name=name,
        live=live,
        services=[s for s in snapshot.get("services") or [] if isinstance(s, dict)],
        counters=[c for c in snapshot.get("counters") or [] if isinstance(c, dict)],
        today=now.date(),
        month_start=now.date().replace(day=1),
        formats=REPORT_FORMATS,
    )


async def report_file(request: Request) -> Response:
    if signed_in(request) is None:
        return to_sign_in(request)
    state, lang = region(request), lang_of(request)
    office_id = request.path_params["office"]
    fmt = request.query_params.get("format", "html")
    first, last = day_param(request, "dari"), day_param(request, "sampai")
    if first is False or last is False or fmt not in REPORT_FORMATS:
        return problem(request, "bad_day", 400)
    now = state.now()
    first = first or now.date()
    last = last or first
    assert isinstance(first, date) and isinstance(last, date)
    if last < first or (last - first) > timedelta(days=MAX_REPORT_DAYS - 1):
        return problem(request, "long_period", 400)

    def make() -> bytes | None:
        rows = {r.id: r for r in state.reader.offices()}
        row = rows.get(office_id)
        if row is None:
            return None
        info = office_info(
            office_id, state.name(office_id, row.state), row.state, state.config.timezone
        )
        return render(build_report(state.reader, info, first, last), fmt, lang, now)

    body = await run_in_threadpool(make)
    if body is None:
        return problem(request, "unknown_office", 404)
    headers = {"Content-Security-Policy": REPORT_POLICY, "Cache-Control": "no-store"}
    if fmt != "html":
        headers["Content-Disposition"] = (
            f'attachment; filename="laporan-{office_id}-{first}-{last}.{fmt}"'
        )
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    t = words(lang_of(request))
    message = (
        t["page_missing"]
        if status == 404
        else t["method_not_allowed"]
        if status == 405
        else t["err_title"]
    )
    return page(request, "region_error.html", status, message=message)


def create_app(state: RegionState) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", overview),
            Route("/masuk", sign_in_form, methods=["GET"]),
            Route("/masuk", sign_in, methods=["POST"]),
            Route("/keluar", sign_out, methods=["POST"]),
            Route("/kantor/{office}", office_page),
            Route("/kantor/{office}/laporan", report_file),
            Mount("/static", StaticFiles(directory=str(HUB_STATIC)), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=state.config.web.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=12 * 3600,
                same_site="lax",
                https_only=state.config.web.secure_cookies,
            ),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.region = state
    app.state.templates = Jinja2Templates(directory=[HERE / "templates", HUB_TEMPLATES])
    return app
