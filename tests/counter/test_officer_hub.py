"""Officers sign in and out at a counter against the real hub on a real mosquitto: the
numpad's `0 0 enter`, code, `enter`, PIN, `enter`; wrong PINs refused, then locked.

The test office's officers (tests/harness.py): 1 Siti Aminah (PIN 1234), 2 Budi Santoso.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from evdev import InputEvent, ecodes

from common.mqtt import BrokerLink
from nodes.counter.keypad import NUMPAD_KEYS, EvdevKeypad
from tests.counter.conftest import Desk
from tests.harness import Collector, HubProcess, Mosquitto, client


@pytest.fixture
def loket1(broker: Mosquitto, hub: HubProcess, make_desk: Callable[..., Desk]) -> Desk:
    desk = make_desk(broker, "loket-1", "1").connect()
    desk.screen.wait_line("LOKET 1 | BUKA")
    return desk


def typed(desk: Desk, keys: str) -> None:
    """Keys as a USB numpad sends them: "0 0 enter 1 enter 1 2 3 4 enter"."""
    names = {"enter": "KEY_KPENTER", **{d: f"KEY_KP{d}" for d in "0123456789"}}
    events = []
    for key in keys.split():
        code = ecodes.ecodes[names[key]]
        events += [
            InputEvent(0, 0, ecodes.EV_KEY, code, 1),
            InputEvent(0, 0, ecodes.EV_KEY, code, 0),
        ]
    EvdevKeypad(NUMPAD_KEYS).feed(events, desk.desk)


def counter_state(watch: Collector, hub: HubProcess) -> dict[str, object] | None:
    return watch.latest(hub.topics.state_counter("1"))


def test_sign_in_calls_with_the_officer_and_sign_out(
    broker: Mosquitto, hub: HubProcess, loket1: Desk
) -> None:
    watcher = client(broker, "watcher")
    watch = Collector(watcher, hub.topics.state_counter("1"), hub.topics.event_call)
    kiosk: BrokerLink = client(broker, "kiosk-1", "kiosk")
    try:
        typed(loket1, "0 0 enter")
        loket1.screen.wait_line("KODE PETUGAS: _")
        typed(loket1, "1 enter 1 2 3 4 enter")
        loket1.screen.wait_line("Petugas masuk")
        watch.wait(lambda states: states and states[-1].get("officer") == "1",
                   hub.topics.state_counter("1"))  # fmt: skip
        assert counter_state(watch, hub)["officer_name"] == "Siti Aminah"  # type: ignore[index]
        assert kiosk.request("ticket", {"service": "A"}).ok
        typed(loket1, "enter")  # call next
        (call,) = watch.wait(lambda calls: calls, hub.topics.event_call)
        assert (call["number"], call["officer"]) == ("A-001", "1")
        typed(loket1, "0 0 enter enter")
        loket1.screen.wait_line("Petugas keluar")
        watch.wait(lambda states: states[-1].get("officer") is None, hub.topics.state_counter("1"))
        typed(loket1, "0 0 enter enter")  # nobody is signed in now
        loket1.screen.wait_line("Tindakan ditolak")  # invalid_state: nobody to sign out
    finally:
        kiosk.stop()
        watcher.stop()
    # The sign-in and sign-out are in the hub's event log like everything else.
    log = hub_log(hub)
    assert [kind for kind, _ in log] == ["officer_signed_in", "officer_signed_out"]
    assert all(data == {"officer": "1"} for _, data in log)


def hub_log(hub: HubProcess) -> list[tuple[str, dict[str, object]]]:
    import sqlite3

    with sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT kind, data FROM events WHERE kind LIKE 'officer_%' ORDER BY seq"
        ).fetchall()
    return [(kind, json.loads(data)) for kind, data in rows]


def test_a_wrong_pin_is_refused_then_locked(
    broker: Mosquitto, hub: HubProcess, loket1: Desk
) -> None:
    watcher = client(broker, "watcher")
    watch = Collector(watcher, hub.topics.state_counter("1"))
    try:
        typed(loket1, "0 0 enter 1 enter 9 9 9 9 enter")
        loket1.screen.wait_line("PIN salah. Sisa 4 kali coba.")
        for left in (3, 2, 1):
            typed(loket1, "0 0 enter 1 enter 9 9 9 9 enter")
            loket1.screen.wait_line(f"PIN salah. Sisa {left} kali coba.")
        typed(loket1, "0 0 enter 1 enter 9 9 9 9 enter")
        loket1.screen.wait_line("PIN salah 5x. Dikunci 5 menit.")
        # Locked: the right PIN is refused too, so guessing gains nothing.
        typed(loket1, "0 0 enter 1 enter 1 2 3 4 enter")
        loket1.screen.wait_line("PIN dikunci. Coba lagi 5 menit lagi.")
        # Another officer at another counter is not locked out.
        loket2 = client(broker, "loket-2", "counter")
        try:
            answer = loket2.request(
                "counter", {"counter": "2", "action": "sign_in", "officer": "2", "pin": "5678"}
            )
            assert answer.ok and answer.data["officer"] == "2"
        finally:
            loket2.stop()
        assert all(s.get("officer") is None for s in watch.payloads())
    finally:
        watcher.stop()
    assert hub_log(hub) == [("officer_signed_in", {"officer": "2"})]
