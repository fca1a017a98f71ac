"""The counter's quick satisfaction score: keys 1..4 right after "finish" score the ticket
just finished (request/survey), through the real hub; and the pure grammar of the window."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from common.mqtt import BrokerLink
from nodes.counter import keys
from nodes.counter.keys import Command, Entry, Office, Score, score_prompt
from nodes.counter.view import CounterView, lcd_lines
from tests.counter.conftest import Desk
from tests.harness import HubProcess, Mosquitto, client

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.fixture
def kiosk(broker: Mosquitto, hub: HubProcess) -> Iterator[BrokerLink]:
    link = client(broker, "kiosk-1", "kiosk")
    yield link
    link.stop()


def scores(hub: HubProcess) -> list[tuple[str, str, dict[str, object]]]:
    with sqlite3.connect(hub.db_path) as db:
        rows = db.execute(
            "SELECT ticket_id, counter, data FROM events WHERE kind = 'quick_scored' ORDER BY seq"
        ).fetchall()
    return [(t, c, json.loads(d)) for t, c, d in rows]


def test_a_key_after_finish_scores_the_ticket_once(
    broker: Mosquitto, hub: HubProcess, kiosk: BrokerLink, make_desk: Callable[..., Desk]
) -> None:
    first = kiosk.request("ticket", {"service": "A"}).data["ticket_id"]
    kiosk.request("ticket", {"service": "A"})
    loket = make_desk(broker, "loket-1", "1", score_window=60).connect()
    loket.screen.wait_line("LOKET 1 | BUKA | menunggu 2")
    loket.desk.press_key("call_next")
    loket.screen.wait_line("MEMANGGIL A-001")
    loket.desk.press_key("finish")
    assert loket.screen.wait_line("Nilai layanan: 1-4") == (
        "LOKET 1 | BUKA | menunggu 1 | Nilai layanan: 1-4"
    )
    loket.desk.press_key("3")
    loket.screen.wait_line("Terima kasih")
    assert "Nilai layanan" not in loket.screen.last
    assert scores(hub) == [(first, "1", {"node": "loket-1", "score": 3})]
    # The next finish opens the window again; another key closes it and does its own job.
    loket.desk.press_key("call_next")
    loket.screen.wait_line("MEMANGGIL A-002")
    loket.desk.press_key("finish")
    loket.screen.wait_line("Nilai layanan: 1-4")
    loket.desk.press_key("call_next")  # the officer moves on: no score
    loket.screen.wait_line("Antrian kosong")  # the hub answered the call_next
    loket.desk.press_key("4")  # now a digit of a ticket number, not a score
    loket.screen.wait_line("NOMOR: 4_")
    assert scores(hub) == [(first, "1", {"node": "loket-1", "score": 3})]


def test_the_score_window_closes_by_itself(
    broker: Mosquitto, hub: HubProcess, kiosk: BrokerLink, make_desk: Callable[..., Desk]
) -> None:
    kiosk.request("ticket", {"service": "A"})
    loket = make_desk(broker, "loket-1", "1", score_window=0.3).connect()
    loket.screen.wait_line("LOKET 1 | BUKA | menunggu 1")
    loket.desk.press_key("call_next")
    loket.screen.wait_line("MEMANGGIL A-001")
    loket.desk.press_key("finish")
    loket.screen.wait_line("Nilai layanan: 1-4")
    loket.screen.wait_last("LOKET 1 | BUKA | menunggu 0")  # the painter closed the window
    loket.desk.press_key("2")
    loket.screen.wait_line("NOMOR: 2_")
    assert scores(hub) == []


def test_the_grammar_of_the_score_window() -> None:
    office = Office()
    entry = score_prompt("20261128-A-001", T0, timedelta(seconds=10))
    for key, score in (("1", 1), ("2", 2), ("3", 3), ("4", 4)):
        assert keys.press(entry, key, office, "open", T0) == (
            keys.IDLE, Score("20261128-A-001", score)
        )  # fmt: skip
    assert keys.press(entry, "5", office, "open", T0)[0] == Entry("number", "5", T0)
    assert keys.press(entry, "enter", office, "open", T0) == (keys.IDLE, Command("call_next"))
    assert keys.press(entry, "clear", office, "open", T0) == (keys.IDLE, None)
    late = T0 + timedelta(seconds=10)
    assert keys.press(entry, "3", office, "open", late)[0] == Entry("number", "3", late)
    assert Score("20261128-A-001", 2).payload("1") == {"ticket_id": "20261128-A-001", "score": 2}
    view = CounterView("1", entry=entry, online=True)
    assert lcd_lines(view, 16, 2) == ["Nilai layanan   ", "1-4             "]
