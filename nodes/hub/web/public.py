"""The citizen's pages: the board, taking a number online, a ticket's live page, cancel.

The online-queue limits are checked here, in this order: known service, a valid phone/NIK
(when required), one active ticket per browser and per phone/NIK (checked and reserved in
one step: `OnlineHolds`), rate limit per address; then the hub decides (closed service,
opening hours, quotas) and its answer is shown in the citizen's language. A refusal frees
the reservation.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from common.bahasa import Lang
from common.wire import ID_PATTERN, TICKET_ID_PATTERN
from nodes.hub.web import i18n, survey
from nodes.hub.web.guard import PENDING, holder_digest, normalise_nik, normalise_phone
from nodes.hub.web.live import LiveModel
from nodes.hub.web.site import (
    WebState,
    client_address,
    error_page,
    lang_of,
    live_stream,
    render,
    web,
    with_csrf,
)
from nodes.hub.web.views import board_view, qr_svg, ticket_view

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}

# --- board ----------------------------------------------------------------------------------


async def board(request: Request) -> Response:
    state = web(request)
    with state.feed.lock:
        view = board_view(state.model, lang_of(request))
    return render(request, "board.html", view=view, refresh=True)


async def board_json(request: Request) -> Response:
    state = web(request)
    with state.feed.lock:
        view = board_view(state.model, lang_of(request))
    return JSONResponse(view, headers=NO_STORE)


async def board_live(request: Request) -> Response:
    state = web(request)
    lang = lang_of(request)
    return live_stream(state, ("board", lang), lambda: board_view(state.model, lang))


# --- online queue ---------------------------------------------------------------------------


def take_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    state = web(request)
    current = request.session.get("ticket")
    with state.feed.lock:
        services = board_view(state.model, lang_of(request))["services"]
        active = isinstance(current, str) and state.model.is_active(current)
    context.setdefault("active", current if active else None)
    return render(
        request,
        "take.html",
        status_code,
        services=services,
        requires=state.config.online_requires,
        **context,
    )


async def take_form(request: Request) -> Response:
    return take_page(request)


async def take(request: Request) -> Response:
    state = web(request)
    config = state.config
    words = i18n.words(lang := lang_of(request))
    form = await request.form()
    service = form.get("service")

    def refuse(message: str, status_code: int) -> Response:
        chosen = service if isinstance(service, str) else None
        return take_page(request, status_code, active=None, message=message, chosen=chosen)

    if not service:  # the page asks in Indonesian, not the browser in its own language
        return refuse(words["err_choose_service"], 400)
    if not isinstance(service, str) or not ID_PATTERN.match(service):
        return refuse(words["err_service"], 400)
    with state.feed.lock:
        known = service in state.model.services
        current = request.session.get("ticket")
        active = isinstance(current, str) and state.model.is_active(current)
    if not known:
        return refuse(words["err_service"], 404)
    if active:
        return RedirectResponse(f"/t/{current}?sudah=1", status_code=303)
    # A closed service is still asked: the hub's refusal says when it opens again.
    today = state.today()
    # The session's CSRF token (with_csrf checked it) names this browser on the server too:
    # the signed cookie alone could be replayed from before it held a ticket.
    keys = [f"browser:{request.session['csrf']}"]
    if config.online_requires != "none":
        raw = form.get("holder")
        text = raw if isinstance(raw, str) else ""
        phone = config.online_requires == "phone"
        if not text.strip():
            return refuse(words["err_phone_missing" if phone else "err_nik_missing"], 400)
        value = normalise_phone(text) if phone else normalise_nik(text)
        if value is None:
            return refuse(words["err_phone" if phone else "err_nik"], 400)
        keys.append(
            f"holder:{holder_digest(config.secret_key, today, config.online_requires, value)}"
        )
    state.holds.start_day(today)  # yesterday's holds (and digests) can never match again
    taken = state.holds.claim(keys, lambda ticket: still_held(state, ticket, today))
    if taken is not None:
        key, ticket = taken
        if ticket == PENDING:
            log.info("online ticket refused: a request for the same holder is in progress")
            return refuse(words["err_pending"], 409)
        if key == keys[0]:
            request.session["ticket"] = ticket
            return RedirectResponse(f"/t/{ticket}?sudah=1", status_code=303)
        return refuse(words["err_holder_active"], 409)
    ticket_id: str | None = None
    try:
        if not state.ticket_limit.allow(client_address(request), state.monotonic()):
            log.info("online ticket refused: rate limit for %s", client_address(request))
            return refuse(words["err_rate"], 429)
        answer = await run_in_threadpool(state.desk.take, service)
        if not answer.ok:
            log.info("hub refused an online ticket for %s: %s", service, answer.error_code)
            status = 503 if answer.error_code == "timeout" else 409
            return refuse(i18n.hub_error(lang, answer.error_code, answer.error_message), status)
        issued = answer.data.get("ticket_id")
        if not isinstance(issued, str) or not TICKET_ID_PATTERN.match(issued):
            log.error("hub answered a ticket request without a valid ticket_id: %r", answer.data)
            return refuse(i18n.hub_error(lang, "internal_error", None), 502)
        ticket_id = issued
        state.holds.settle(keys, ticket_id)
    finally:
        if ticket_id is None:
            state.holds.release(keys)
    request.session["ticket"] = ticket_id
    log.info("online ticket %s taken for service %s", ticket_id, service)
    await run_in_threadpool(state.feed.refresh)
    return RedirectResponse(f"/t/{ticket_id}", status_code=303)


def still_held(state: WebState, ticket_id: str, today: str) -> bool:
    """Whether an online ticket still blocks its holder from taking another.

    One the day's log does not show yet was issued moments ago (the hub answered): held.
    """
    with state.feed.lock:
        if ticket_id in state.model.tickets:
            return state.model.is_active(ticket_id)
    return ticket_id.startswith(today.replace("-", ""))


# --- a ticket's page ------------------------------------------------------------------------


def past_ticket(state: WebState, ticket_id: str, lang: Lang) -> dict[str, Any] | None:
    """A ticket of another day, folded from its own events (blocking: SQLite)."""
    rows = state.feed.read(lambda: state.feed.events.ticket(ticket_id))
    if not rows:
        return None
    model = LiveModel()
    with state.feed.lock:
        model.services = dict(state.model.services)
        model.counters = dict(state.model.counters)
    model.apply_events(rows)
    return ticket_view(model, ticket_id, lang, state.config.near_alert_ahead)


async def find_ticket(state: WebState, ticket_id: str, lang: Lang) -> dict[str, Any] | None:
    near = state.config.near_alert_ahead
    with state.feed.lock:
        view = ticket_view(state.model, ticket_id, lang, near)
    if view is None and ticket_id.startswith(state.today().replace("-", "")):
        await run_in_threadpool(state.feed.refresh)  # the log may be a moment ahead of us
        with state.feed.lock:
            view = ticket_view(state.model, ticket_id, lang, near)
    if view is None:
        view = await run_in_threadpool(past_ticket, state, ticket_id, lang)
    return view


async def ticket_page(request: Request) -> Response:
    state = web(request)
    ticket_id = request.path_params["ticket_id"]
    lang = lang_of(request)
    view = await find_ticket(state, ticket_id, lang) if TICKET_ID_PATTERN.match(ticket_id) else None
    if view is None:
        return error_page(request, i18n.words(lang)["not_found"], 404)
    skm = await survey.survey_context(request, state, view)
    return render(
        request,
        "ticket.html",
        view=view,
        mine=request.session.get("ticket") == ticket_id,
        already=request.query_params.get("sudah") == "1",
        survey=skm,
        refresh=not (skm and skm["open"]),  # a reload would wipe the answers being given
        qr=qr_svg(f"{state.config.base_url}/t/{ticket_id}"),
    )


async def ticket_json(request: Request) -> Response:
    ticket_id = request.path_params["ticket_id"]
    view = None
    if TICKET_ID_PATTERN.match(ticket_id):
        view = await find_ticket(web(request), ticket_id, lang_of(request))
    if view is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    return JSONResponse(view, headers=NO_STORE)


async def ticket_live(request: Request) -> Response:
    state = web(request)
    ticket_id = request.path_params["ticket_id"]
    lang = lang_of(request)
    if not TICKET_ID_PATTERN.match(ticket_id) or await find_ticket(state, ticket_id, lang) is None:
        return PlainTextResponse("not found", status_code=404)

    def build() -> dict[str, Any]:
        view = ticket_view(state.model, ticket_id, lang, state.config.near_alert_ahead)
        return view or {"ticket_id": ticket_id, "state": "unknown", "active": False}

    return live_stream(state, ("ticket", ticket_id, lang), build)


async def cancel(request: Request) -> Response:
    """Only the browser that took the ticket may cancel it (the hub checks the node too)."""
    state = web(request)
    ticket_id = request.path_params["ticket_id"]
    lang = lang_of(request)
    words = i18n.words(lang)
    back = f"/t/{ticket_id}"
    if not TICKET_ID_PATTERN.match(ticket_id) or request.session.get("ticket") != ticket_id:
        return error_page(request, words["err_cancel"], 403, back=back)
    if not state.ticket_limit.allow(client_address(request), state.monotonic()):
        return error_page(request, words["err_rate"], 429, back=back)
    with state.feed.lock:
        ticket = state.model.tickets.get(ticket_id)
        service = ticket.service if ticket else ticket_id.split("-")[1]
    answer = await run_in_threadpool(state.desk.cancel, ticket_id, service, "online")
    if not answer.ok:
        message = i18n.hub_error(lang, answer.error_code, answer.error_message)
        return error_page(request, message, 409, back=back)
    request.session.pop("ticket", None)
    log.info("online ticket %s cancelled by its holder", ticket_id)
    await run_in_threadpool(state.feed.refresh)
    return RedirectResponse(back, status_code=303)


async def healthz(request: Request) -> Response:
    connected = web(request).feed.link.connected
    return JSONResponse({"broker": connected}, status_code=200 if connected else 503)


ROUTES = [
    Route("/", board),
    Route("/api/papan", board_json),
    Route("/live/papan", board_live),
    Route("/ambil", take_form, methods=["GET"]),
    Route("/ambil", with_csrf(take), methods=["POST"]),
    Route("/t/{ticket_id}", ticket_page),
    Route("/api/t/{ticket_id}", ticket_json),
    Route("/live/t/{ticket_id}", ticket_live),
    Route("/t/{ticket_id}/batal", with_csrf(cancel), methods=["POST"]),
    *survey.ROUTES,
    Route("/healthz", healthz),
]
