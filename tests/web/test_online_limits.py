"""The online queue's limits under parallel posts: real uvicorn, real hub, real broker.

A script can send the same form many times at once; the limits (one active ticket per
browser, one per phone number) must hold however the requests interleave.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from tests.harness import HubProcess, wait_for
from tests.web.conftest import WebFactory, csrf_of

PENDING_TEXT = "sedang diproses"
HOLDER_TEXT = "sudah memiliki antrian aktif"


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    text: str


def issued(db: Path) -> int:
    """Tickets the hub has issued (it commits before it answers)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM events WHERE kind = 'ticket_issued'"
        ).fetchone()
    return int(count)


def post_together(url: str, forms: list[tuple[dict[str, str], dict[str, str]]]) -> list[Answer]:
    """Each (cookies, form) posted to /ambil from its own thread, all released at once."""
    barrier = threading.Barrier(len(forms))
    answers: list[Answer | None] = [None] * len(forms)

    def post(index: int, cookies: dict[str, str], form: dict[str, str]) -> None:
        with httpx.Client(base_url=url, cookies=cookies, timeout=20) as browser:
            barrier.wait(timeout=20)
            response = browser.post("/ambil", data=form)
            answers[index] = Answer(
                response.status_code, response.headers.get("location", ""), response.text
            )

    threads = [
        threading.Thread(target=post, args=(i, cookies, form))
        for i, (cookies, form) in enumerate(forms)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(a is not None for a in answers), "a post did not finish"
    return [a for a in answers if a is not None]


def session(url: str) -> tuple[dict[str, str], str]:
    """A fresh browser session: its cookies and its form token."""
    with httpx.Client(base_url=url, timeout=10) as browser:
        token = csrf_of(browser.get("/ambil").text)
        return dict(browser.cookies), token


def test_one_browser_posting_six_times_at_once_gets_one_ticket(
    make_web: WebFactory, hub: HubProcess
) -> None:
    web = make_web(hub)
    url = web.serve()
    cookies, token = session(url)
    answers = post_together(url, [(cookies, {"csrf": token, "service": "A"})] * 6)
    assert issued(hub.db_path) == 1
    taken = [a for a in answers if a.status == 303 and "?" not in a.location]
    assert len(taken) == 1, answers
    ticket = taken[0].location
    for answer in answers:
        if answer is taken[0]:
            continue
        # still at the hub: a clear Indonesian refusal; already issued: back to the ticket
        refused = answer.status == 409 and PENDING_TEXT in answer.text
        assert refused or answer.location == f"{ticket}?sudah=1", answer
    # The same cookie again later (a replay of the form) is still this browser's ticket.
    again = post_together(url, [(cookies, {"csrf": token, "service": "B"})])
    assert again[0].location == f"{ticket}?sudah=1"
    assert issued(hub.db_path) == 1


def test_one_phone_number_from_five_browsers_at_once_gets_one_ticket(
    make_web: WebFactory, hub: HubProcess
) -> None:
    web = make_web(hub, requires="phone")
    url = web.serve()
    # A refusal by the hub frees the number again: the service is closed, then B is asked.
    assert web.state.desk.set_accepting("A", False).ok
    wait_for(lambda: not web.model.service_open("A"))
    cookies, token = session(url)
    closed = post_together(
        url, [(cookies, {"csrf": token, "service": "A", "holder": "0812 1111 2222"})]
    )
    assert closed[0].status == 409 and "ditutup" in closed[0].text
    written = [
        "081211112222",
        "+62 812 1111 2222",
        "0812-1111-2222",
        "62812 1111 2222",
        "0812 1111 2222",
    ]
    forms = []
    for holder in written:
        cookies, token = session(url)
        forms.append((cookies, {"csrf": token, "service": "B", "holder": holder}))
    answers = post_together(url, forms)
    assert issued(hub.db_path) == 1
    taken = [a for a in answers if a.status == 303]
    assert len(taken) == 1 and taken[0].location.startswith("/t/"), answers
    refused = [a for a in answers if a.status == 409]
    assert len(refused) == 4, answers
    assert all(PENDING_TEXT in a.text or HOLDER_TEXT in a.text for a in refused), answers
