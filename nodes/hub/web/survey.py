"""The SKM questionnaire on a finished ticket's page (PermenPAN-RB 14/2017).

The ticket's page (`/t/{id}`, the QR code the citizen holds) shows the nine questions once
the ticket is done and no answer is in the log yet; the answers go to the hub as
`request/survey` (common.wire.SurveyRequest), which alone decides (done? answered
already?). The form is checked here first, in the reader's language, never by the browser
(no `required`). After a thank-you the page shows no form again; a second answer is
refused politely, here when the log already shows one, else by the hub.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from common.bahasa import Lang
from common.skm import ELEMENTS, MAX_COMMENT, QUESTIONS
from common.wire import TICKET_ID_PATTERN
from nodes.hub.events import SurveyAnswered
from nodes.hub.web import i18n
from nodes.hub.web.site import WebState, client_address, error_page, lang_of, web, with_csrf

log = logging.getLogger(__name__)

WORDS: Final[dict[Lang, dict[str, str]]] = {
    "id": {
        "title": "Survei Kepuasan Masyarakat",
        "intro": "Pelayanan Anda sudah selesai. Bantu kami memperbaiki pelayanan: jawab"
        " sembilan pertanyaan singkat ini. Jawaban Anda tidak mencantumkan nama.",
        "comment": "Saran atau masukan (boleh dikosongkan)",
        "send": "Kirim jawaban",
        "thanks": "Terima kasih! Jawaban survei Anda sudah kami terima.",
        "already": "Survei untuk nomor antrian ini sudah diisi. Terima kasih atas partisipasi"
        " Anda.",
        "not_done": "Survei dapat diisi setelah pelayanan nomor antrian ini selesai.",
        "missing": "Mohon jawab semua pertanyaan. Belum dijawab: nomor {numbers}.",
        "too_long": "Saran paling banyak {n} huruf.",
    },
    "en": {
        "title": "Public Satisfaction Survey",
        "intro": "Your service is complete. Help us improve it: answer these nine short"
        " questions. Your answers carry no name.",
        "comment": "Suggestions or feedback (optional)",
        "send": "Send answers",
        "thanks": "Thank you! We have received your survey answers.",
        "already": "The survey for this ticket has already been answered. Thank you for"
        " taking part.",
        "not_done": "The survey can be answered once this ticket has been served.",
        "missing": "Please answer every question. Not answered yet: number {numbers}.",
        "too_long": "Suggestions may have at most {n} characters.",
    },
}


def questions(lang: Lang) -> list[dict[str, Any]]:
    return [
        {"key": key, "number": i + 1, "text": text, "options": list(enumerate(options, start=1))}
        for i, (key, (text, options)) in enumerate(zip(ELEMENTS, QUESTIONS[lang], strict=True))
    ]


def answered(state: WebState, ticket_id: str) -> bool:
    """Whether the log already holds this ticket's questionnaire (blocking: SQLite)."""
    rows = state.feed.read(lambda: state.feed.events.ticket(ticket_id))
    return any(isinstance(entry.event, SurveyAnswered) for entry in rows)


async def survey_context(
    request: Request, state: WebState, view: dict[str, Any]
) -> dict[str, Any] | None:
    """What the ticket page shows of the survey: None before the ticket is done."""
    if view.get("state") != "done":
        return None
    lang = lang_of(request)
    done = await run_in_threadpool(answered, state, view["ticket_id"])
    thanked = done and request.query_params.get("survei") == "terima-kasih"
    return {
        "w": WORDS[lang],
        "questions": questions(lang),
        "open": not done,
        "thanked": thanked,
        "max_comment": MAX_COMMENT,
    }


async def submit(request: Request) -> Response:
    state = web(request)
    lang = lang_of(request)
    words = WORDS[lang]
    ticket_id = request.path_params["ticket_id"]
    back = f"/t/{ticket_id}"
    if not TICKET_ID_PATTERN.match(ticket_id):
        return error_page(request, i18n.words(lang)["not_found"], 404)
    if not state.ticket_limit.allow(client_address(request), state.monotonic()):
        return error_page(request, i18n.words(lang)["err_rate"], 429, back=back)
    form = await request.form()
    answers: dict[str, int] = {}
    for key in ELEMENTS:
        value = form.get(key)
        if isinstance(value, str) and value in ("1", "2", "3", "4"):
            answers[key] = int(value)
    missing = [str(i + 1) for i, key in enumerate(ELEMENTS) if key not in answers]
    raw = form.get("comment")
    comment = raw.strip() if isinstance(raw, str) else ""
    if missing:
        return error_page(request, words["missing"].format(numbers=", ".join(missing)), 400,
                          back=back)  # fmt: skip
    if len(comment) > MAX_COMMENT:
        return error_page(request, words["too_long"].format(n=MAX_COMMENT), 400, back=back)
    if await run_in_threadpool(answered, state, ticket_id):
        return error_page(request, words["already"], 409, back=back, heading=words["title"])
    answer = await run_in_threadpool(state.desk.answer_survey, ticket_id, answers, comment)
    if not answer.ok:
        log.info("hub refused a survey for %s: %s", ticket_id, answer.error_code)
        if answer.error_code == "invalid_state":  # not served yet, or answered meanwhile
            message = i18n.hub_error(lang, answer.error_code, answer.error_message)
            return error_page(request, message, 409, back=back, heading=words["title"])
        return error_page(request, i18n.hub_error(lang, answer.error_code, answer.error_message),
                          503 if answer.error_code == "timeout" else 409, back=back)  # fmt: skip
    log.info("survey answered for ticket %s", ticket_id)
    return RedirectResponse(f"{back}?survei=terima-kasih", status_code=303)


ROUTES = [Route("/t/{ticket_id}/survei", with_csrf(submit), methods=["POST"])]
