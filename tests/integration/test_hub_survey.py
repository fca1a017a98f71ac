"""`request/survey` on the real hub and broker: the SKM questionnaire from the web node and
the quick score from a counter, each once per finished ticket, stored as events."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from common.mqtt import BrokerLink
from tests.harness import HubProcess, Mosquitto, client

ANSWERS = {f"U{i}": 1 + i % 4 for i in range(1, 10)}


def served_ticket(kiosk: BrokerLink, loket: BrokerLink, service: str = "A") -> dict[str, Any]:
    """A ticket taken, called at counter 1 and finished there."""
    taken = kiosk.request("ticket", {"service": service})
    assert taken.ok, taken
    assert loket.request("counter", {"counter": "1", "action": "call_next"}).ok
    assert loket.request("counter", {"counter": "1", "action": "finish"}).ok
    return taken.data


def survey_rows(hub: HubProcess) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    with sqlite3.connect(hub.db_path) as db:
        rows = db.execute(
            "SELECT kind, ticket_id, service, counter, data FROM events"
            " WHERE kind IN ('survey_answered', 'quick_scored') ORDER BY seq"
        ).fetchall()
    return [(k, t, s, c, json.loads(d)) for k, t, s, c, d in rows]


def test_the_web_answers_the_skm_once_for_a_finished_ticket(
    broker: Mosquitto, hub: HubProcess
) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    loket = client(broker, "loket-1", "counter")
    web = client(broker, "web-1", "web")
    waiting = kiosk.request("ticket", {"service": "B"}).data["ticket_id"]
    refused = web.request("survey", {"ticket_id": waiting, "answers": ANSWERS})
    assert refused.error_code == "invalid_state" and "selesai" in (refused.error_message or "")
    ticket_id = served_ticket(kiosk, loket)["ticket_id"]  # counter 1 takes A before B
    request = {"ticket_id": ticket_id, "answers": ANSWERS, "comment": " Ruang tunggu panas ",
               "transaction": "skm-1"}  # fmt: skip
    answered = web.request("survey", request)
    assert answered.ok, answered
    assert answered.data == {"ticket_id": ticket_id, "number": "A-001", "survey": "survey_answered"}
    assert web.request("survey", request).data == answered.data  # a repeat: the same answer
    again = web.request("survey", {"ticket_id": ticket_id, "answers": ANSWERS})
    assert again.error_code == "invalid_state" and "sudah diisi" in (again.error_message or "")
    rows = survey_rows(hub)
    assert [r[:4] for r in rows] == [("survey_answered", ticket_id, "A", "1")]
    assert web.request("survey", {"ticket_id": waiting, "answers": ANSWERS}).error_code == (
        "invalid_state"
    )
    assert rows[0][4]["answers"] == ANSWERS and rows[0][4]["comment"] == "Ruang tunggu panas"
    assert rows[0][4]["node"] == "web-1"
    for link in (kiosk, loket, web):
        link.stop()


def test_bad_scores_and_wrong_senders_are_refused(broker: Mosquitto, hub: HubProcess) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    loket = client(broker, "loket-1", "counter")
    other = client(broker, "loket-2", "counter")
    web = client(broker, "web-1", "web")
    ticket_id = served_ticket(kiosk, loket)["ticket_id"]
    bad = [
        {"ticket_id": ticket_id, "answers": {**ANSWERS, "U3": 5}},
        {"ticket_id": ticket_id, "answers": {**ANSWERS, "U9": 0}},
        {"ticket_id": ticket_id, "answers": {**ANSWERS, "U1": True}},
        {"ticket_id": ticket_id, "answers": {**ANSWERS, "U2": "4"}},
        {"ticket_id": ticket_id, "answers": {k: v for k, v in ANSWERS.items() if k != "U8"}},
        {"ticket_id": ticket_id, "answers": {**ANSWERS, "U10": 4}},
        {"ticket_id": ticket_id, "answers": ANSWERS, "comment": "x" * 1001},
        {"ticket_id": ticket_id, "answers": ANSWERS, "score": 4},
        {"ticket_id": ticket_id},
        {"ticket_id": "A-001", "answers": ANSWERS},
    ]
    for payload in bad:
        answer = web.request("survey", payload)
        assert answer.error_code == "bad_request", (payload, answer)
    for score in (0, 5, 2.5, "3", None):
        answer = loket.request("survey", {"ticket_id": ticket_id, "score": score})
        assert answer.error_code == "bad_request", (score, answer)
    # The quick score comes from the counter that served the ticket, the SKM from the web.
    assert other.request("survey", {"ticket_id": ticket_id, "score": 4}).error_code == "forbidden"
    assert web.request("survey", {"ticket_id": ticket_id, "score": 4}).error_code == "forbidden"
    assert (
        loket.request("survey", {"ticket_id": ticket_id, "answers": ANSWERS}).error_code
        == "forbidden"
    )
    assert kiosk.request("survey", {"ticket_id": ticket_id, "score": 4}).error_code == "forbidden"
    assert survey_rows(hub) == []
    # Every refusal changed nothing: the ticket can still be rated once of each kind.
    assert loket.request("survey", {"ticket_id": ticket_id, "score": 3}).ok
    assert web.request("survey", {"ticket_id": ticket_id, "answers": ANSWERS}).ok
    second = loket.request("survey", {"ticket_id": ticket_id, "score": 4})
    assert second.error_code == "invalid_state"
    assert [r[0] for r in survey_rows(hub)] == ["quick_scored", "survey_answered"]
    for link in (kiosk, loket, other, web):
        link.stop()


def test_a_rating_survives_a_restart_and_is_still_once(broker: Mosquitto, hub: HubProcess) -> None:
    kiosk = client(broker, "kiosk-1", "kiosk")
    loket = client(broker, "loket-1", "counter")
    ticket_id = served_ticket(kiosk, loket)["ticket_id"]
    skipped = kiosk.request("ticket", {"service": "A"}).data["ticket_id"]
    assert loket.request("counter", {"counter": "1", "action": "call_next"}).ok
    assert loket.request("counter", {"counter": "1", "action": "skip"}).ok
    assert loket.request("survey", {"ticket_id": ticket_id, "score": 4}).ok
    assert loket.request("survey", {"ticket_id": skipped, "score": 4}).error_code == "invalid_state"
    hub.stop()
    hub.start()
    again = loket.request("survey", {"ticket_id": ticket_id, "score": 1}, timeout=10)
    assert again.error_code == "invalid_state"
    assert [(r[0], r[4]["score"]) for r in survey_rows(hub)] == [("quick_scored", 4)]
    for link in (kiosk, loket):
        link.stop()
