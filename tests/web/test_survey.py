"""The SKM questionnaire on a finished ticket's page (TestClient, real hub + broker)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

from tests.harness import HubProcess, wait_for
from tests.web.conftest import WebNode, csrf_of

ANSWERS = {f"U{i}": str(1 + i % 4) for i in range(1, 10)}


def finished(web: WebNode, kiosk: Callable[[str], str], counter: Callable[..., Any]) -> str:
    ticket_id = kiosk("A")
    counter("call_next")
    counter("finish")
    with web.client() as browser:
        wait_for(lambda: browser.get(f"/api/t/{ticket_id}").json()["state"] == "done")
    return ticket_id


def stored(hub: HubProcess) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(hub.db_path) as db:
        rows = db.execute(
            "SELECT ticket_id, data FROM events WHERE kind = 'survey_answered'"
        ).fetchall()
    return [(ticket_id, json.loads(data)) for ticket_id, data in rows]


def test_a_finished_ticket_page_asks_the_nine_questions_once(
    web: WebNode,
    hub: HubProcess,
    kiosk: Callable[[str], str],
    counter: Callable[..., dict[str, Any]],
) -> None:
    waiting = kiosk("B")
    ticket_id = finished(web, kiosk, counter)
    with web.client() as browser:
        assert 'id="survey"' not in browser.get(f"/t/{waiting}").text  # not served yet
        page = browser.get(f"/t/{ticket_id}").text
        assert "Survei Kepuasan Masyarakat" in page
        assert len(re.findall(r"<fieldset>", page)) == 9
        assert "Bagaimana pendapat Anda tentang kewajaran biaya/tarif" in page
        assert "Sangat mahal" in page and "Gratis" in page
        assert " required" not in page  # checked by the server, in Indonesian
        assert '<meta http-equiv="refresh"' not in page  # a reload would wipe the answers
        token = csrf_of(page)
        # Without a token: refused like every other form.
        forged = browser.post(f"/t/{ticket_id}/survei", data=ANSWERS, follow_redirects=False)
        assert forged.status_code == 403
        # A question left out: said in Indonesian, nothing sent.
        partial = {k: v for k, v in ANSWERS.items() if k not in ("U3", "U7")}
        missing = browser.post(f"/t/{ticket_id}/survei", data={"csrf": token, **partial})
        assert missing.status_code == 400
        assert "Belum dijawab: nomor 3, 7." in missing.text
        bogus = browser.post(f"/t/{ticket_id}/survei", data={"csrf": token, **ANSWERS, "U1": "5"})
        assert bogus.status_code == 400 and "nomor 1." in bogus.text
        assert stored(hub) == []
        sent = browser.post(
            f"/t/{ticket_id}/survei",
            data={"csrf": token, **ANSWERS, "comment": "  Petugas ramah. "},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        thanks = browser.get(sent.headers["location"]).text
        assert "Terima kasih! Jawaban survei Anda sudah kami terima." in thanks
        assert "<fieldset>" not in thanks
        again = browser.post(f"/t/{ticket_id}/survei", data={"csrf": token, **ANSWERS})
        assert again.status_code == 409 and "sudah diisi" in again.text
        later = browser.get(f"/t/{ticket_id}").text
        assert "sudah diisi" in later and "<fieldset>" not in later
        early = browser.post(f"/t/{waiting}/survei", data={"csrf": token, **ANSWERS})
        assert early.status_code == 409 and "setelah pelayanannya selesai" in early.text
        english = browser.get(f"/t/{ticket_id}?lang=en").text
        assert "Public Satisfaction Survey" in english and "already been answered" in english
    assert stored(hub) == [
        (
            ticket_id,
            {"answers": {k: int(v) for k, v in ANSWERS.items()}, "comment": "Petugas ramah.",
             "node": "web-1"},
        )
    ]  # fmt: skip
