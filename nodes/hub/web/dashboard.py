"""The office dashboard: sign-in, node health, counters, queues, services, reports.

Two roles: `supervisor` sees everything; `admin` may also open and close a service for new
tickets (the hub's `request/admin`). A signed-in session carries a random id that the
node remembers (`WebState.sessions`); signing out forgets it, so a copied cookie is
useless afterwards. The user's role is looked up in the config on every request.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from common.bahasa import clock
from nodes.hub.reports import FORMATS, MEDIA_TYPES, OfficeInfo
from nodes.hub.reports.source import standards_of
from nodes.hub.web import accounts, i18n
from nodes.hub.web.config import ADMIN_ROLES, User
from nodes.hub.web.guard import new_csrf_token
from nodes.hub.web.site import (
    client_address,
    error_page,
    lang_of,
    live_stream,
    parse_day,
    render,
    safe_next,
    set_flash,
    web,
    with_csrf,
)
from nodes.hub.web.views import dashboard_view

log = logging.getLogger(__name__)


def signed_in_user(request: Request) -> User | None:
    """The session's user while its session is open and the account still exists."""
    state = web(request)
    session_id = request.session.get("sid")
    name = state.sessions.get(session_id) if isinstance(session_id, str) else None
    return state.config.user(name) if name is not None else None


def to_sign_in(request: Request) -> Response:
    return RedirectResponse(f"/masuk?next={safe_next(request.url.path)}", status_code=303)


# --- sign in / out --------------------------------------------------------------------------


async def sign_in_form(request: Request) -> Response:
    return render(request, "signin.html", next=safe_next(request.query_params.get("next")))


async def sign_in(request: Request) -> Response:
    state = web(request)
    form = await request.form()
    words = i18n.words(lang_of(request))
    name = form.get("user")
    password = form.get("password")
    name = name.strip()[:64] if isinstance(name, str) else ""
    password = password if isinstance(password, str) else ""
    address = client_address(request)
    keys = (f"user:{name.lower()}", f"addr:{address}")
    target = safe_next(form.get("next"))
    if not name or not password:  # said by the page in its language, not by the browser
        return render(
            request, "signin.html", 400, message=words["err_sign_in_missing"], next=target
        )
    now = state.monotonic()
    if state.sign_in_guard.locked(keys, now):
        log.warning("sign-in refused for %r from %s: locked", name, address)
        return render(request, "signin.html", 429, message=words["locked"], next=target)
    user = state.config.user(name)
    if user is None or not await run_in_threadpool(accounts.verify, user, password[:1024]):
        if user is None:  # spend the same time as for a wrong password
            await run_in_threadpool(accounts.verify, None, password[:1024])
        state.sign_in_guard.failed(keys, now)
        log.warning("failed sign-in for %r from %s", name, address)
        return render(request, "signin.html", 401, message=words["bad_sign_in"], next=target)
    state.sign_in_guard.succeeded(keys)
    request.session.clear()  # a fresh session (and CSRF token) for the signed-in user
    request.session.update(
        {"user": user.name, "sid": state.open_session(user.name), "csrf": new_csrf_token()}
    )
    log.info("%s (%s) signed in from %s", user.name, user.role, address)
    return RedirectResponse(target, status_code=303)


async def sign_out(request: Request) -> Response:
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        web(request).sessions.pop(session_id, None)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


# --- dashboard ------------------------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    user = signed_in_user(request)
    if user is None:
        return to_sign_in(request)
    state = web(request)
    with state.feed.lock:
        view = dashboard_view(state.model, state.now(), lang_of(request))
    return render(
        request,
        "dashboard.html",
        view=view,
        admin=user.role in ADMIN_ROLES,
        today=state.today(),
        refresh=True,  # its forms are buttons: nothing typed is lost by a reload
    )


async def dashboard_json(request: Request) -> Response:
    if signed_in_user(request) is None:
        return JSONResponse({"error": "forbidden"}, status_code=403)
    state = web(request)
    with state.feed.lock:
        view = dashboard_view(state.model, state.now(), lang_of(request))
    return JSONResponse(view, headers={"Cache-Control": "no-store"})


async def dashboard_live(request: Request) -> Response:
    if signed_in_user(request) is None:
        return PlainTextResponse("sign in first", status_code=403)
    state = web(request)
    lang = lang_of(request)

    def build() -> dict[str, Any]:
        view = dashboard_view(state.model, state.now(), lang)
        for service in view["services"]:
            service.pop("longest_text")  # grows every second; not a reason to push
        return view

    return live_stream(state, ("dashboard", lang), build)


#: How long a dashboard action waits for the hub's new state before showing the dashboard.
SETTLE_S = 3.0


def admin_service(request: Request) -> tuple[str, str] | Response:
    """The service an admin acts on (its id and name), or the page refusing the request."""
    state = web(request)
    words = i18n.words(lang_of(request))
    user = signed_in_user(request)
    if user is None:
        return error_page(request, words["err_forbidden"], 403, back="/masuk")
    if user.role not in ADMIN_ROLES:
        return error_page(request, words["err_role"], 403, back="/dasbor")
    service = request.path_params["service"]
    with state.feed.lock:
        known = state.model.services.get(service)
    if known is None:
        return error_page(request, words["err_service"], 404, back="/dasbor")
    return service, known.name


async def confirm_accepting(request: Request) -> Response:
    """The step before opening or closing a service: what it does, then yes or back."""
    target = admin_service(request)
    if isinstance(target, Response):
        return target
    service, name = target
    accepting = request.query_params.get("terima") == "1"
    words = i18n.words(lang_of(request))
    kind = "open" if accepting else "close"
    return render(
        request,
        "confirm.html",
        service=service,
        accepting=accepting,
        heading=words[f"confirm_{kind}_title"].format(name=name),
        explanation=words[f"confirm_{kind}"],
        button=words[f"confirm_{kind}_button"],
    )


async def set_accepting(request: Request) -> Response:
    """Open or close a service for new tickets (admins only), then back to the dashboard
    with the result said in words and the new state shown (post, redirect, get)."""
    state = web(request)
    lang = lang_of(request)
    target = admin_service(request)
    if isinstance(target, Response):
        return target
    service, name = target
    accepting = (await request.form()).get("accepting") == "1"
    answer = await run_in_threadpool(state.desk.set_accepting, service, accepting)
    if not answer.ok:
        message = i18n.hub_error(lang, answer.error_code, answer.error_message)
        return error_page(request, message, 409, back="/dasbor")
    user = signed_in_user(request)
    verb = "opened" if accepting else "closed"
    log.info("%s %s service %s for new tickets", user.name if user else "?", verb, service)
    # The hub answers before its retained queue state reaches us: wait for it, so the
    # dashboard (also without JavaScript) shows the service as it now is.
    settled = await run_in_threadpool(
        state.feed.wait_until, lambda: state.model.service_open(service) == accepting, SETTLE_S
    )
    if not settled:
        log.warning(
            "service %s %s, but its new state did not arrive within %.0f s", service, verb, SETTLE_S
        )
    done = "done_opened" if accepting else "done_closed"
    when = clock(state.now().astimezone(state.feed.tz), lang)
    set_flash(request, state, i18n.words(lang)[done].format(time=when, name=name))
    return RedirectResponse("/dasbor", status_code=303)


# --- reports --------------------------------------------------------------------------------


async def reports_page(request: Request) -> Response:
    if signed_in_user(request) is None:
        return to_sign_in(request)
    state = web(request)
    day = parse_day(request.query_params.get("hari"), state.today())
    if day is None:
        words = i18n.words(lang_of(request))
        return error_page(request, words["err_day"], 400, back="/dasbor/laporan")
    return render(request, "reports.html", day=day, formats=FORMATS)


async def report_file(request: Request) -> Response:
    """A day's report: HTML shown in the dashboard's frame, other formats downloaded. The
    per-officer table is in the head of office's report only."""
    user = signed_in_user(request)
    if user is None:
        return to_sign_in(request)
    state = web(request)
    lang = lang_of(request)
    day = parse_day(request.path_params["day"], state.today())
    fmt = request.path_params["fmt"]
    if day is None or fmt not in FORMATS:
        return PlainTextResponse("not found", status_code=404)
    with state.feed.lock:
        model = state.model
        office = OfficeInfo(
            name=model.office_name or state.config.identity.office_name,
            services=tuple((s.id, s.name) for s in model.services.values()),
            counters=tuple((c.id, c.name) for c in model.counters.values()),
            officers=tuple((o.id, o.name) for o in model.officers.values()),
            show_officers=user.role == "head",
            standards=standards_of(model.services.values()),
        )
    try:
        content = await run_in_threadpool(
            state.reports.render, date.fromisoformat(day), fmt, lang, office, state.now()
        )
    except FileNotFoundError:
        log.warning("report for %s asked for, but the hub database is missing", day)
        return error_page(request, i18n.words(lang)["reports_no_data"], 404, back="/dasbor")
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'{disposition}; filename="laporan-{day}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [
    Route("/masuk", sign_in_form, methods=["GET"]),
    Route("/masuk", with_csrf(sign_in), methods=["POST"]),
    Route("/keluar", with_csrf(sign_out), methods=["POST"]),
    Route("/dasbor", dashboard),
    Route("/api/dasbor", dashboard_json),
    Route("/live/dasbor", dashboard_live),
    Route("/dasbor/layanan/{service}", confirm_accepting, methods=["GET"]),
    Route("/dasbor/layanan/{service}", with_csrf(set_accepting), methods=["POST"]),
    Route("/dasbor/laporan", reports_page),
    Route("/dasbor/laporan/{day}.{fmt}", report_file),
]
