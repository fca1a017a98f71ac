"""The counter against a real hub on a real mosquitto: keypad presses to the queue and back.

The test office: counters "1" [A, B], "2" [B, C], "3" [C]; nodes loket-1/2/3.
Presses come from gpiozero's mock pins and from evdev input events fed to the driver,
exactly as the hardware would produce them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from evdev import InputEvent, ecodes
from gpiozero.pins.mock import MockFactory

from common.mqtt import BrokerLink
from nodes.counter.keypad import GPIO_BOX6, NUMPAD_KEYS, EvdevKeypad, GpioKeypad
from tests.counter.conftest import Desk
from tests.harness import Collector, HubProcess, Mosquitto, client


@pytest.fixture
def kiosk(broker: Mosquitto, hub: HubProcess) -> Iterator[BrokerLink]:
    link = client(broker, "kiosk-1", "kiosk")
    yield link
    link.stop()


def issue(kiosk: BrokerLink, *services: str) -> list[str]:
    numbers = []
    for service in services:
        response = kiosk.request("ticket", {"service": service})
        assert response.ok, response
        numbers.append(response.data["number"])
    return numbers


def press(pins: MockFactory, gpio: int) -> None:
    pins.pin(gpio).drive_low()
    pins.pin(gpio).drive_high()


def numpad(keypad: EvdevKeypad, desk: Desk, *names: str) -> None:
    """Key down and up for each key, as a USB numpad sends them."""
    events = []
    for name in names:
        code = ecodes.ecodes[name]
        events += [
            InputEvent(0, 0, ecodes.EV_KEY, code, 1),
            InputEvent(0, 0, ecodes.EV_KEY, code, 0),
        ]
    keypad.feed(events, desk.desk)


@pytest.fixture
def loket1(broker: Mosquitto, hub: HubProcess, make_desk: Callable[..., Desk]) -> Desk:
    desk = make_desk(broker, "loket-1", "1").connect()
    desk.screen.wait_line("LOKET 1 | BUKA")  # config and retained state have arrived
    return desk


def test_call_next_calls_the_oldest_ticket_and_shows_it(
    pins: MockFactory, broker: Mosquitto, kiosk: BrokerLink, loket1: Desk
) -> None:
    assert issue(kiosk, "A", "A", "B") == ["A-001", "A-002", "B-001"]
    loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 3")
    keypad = GpioKeypad(GPIO_BOX6, bounce_time=None)
    keypad.start(loket1.desk)
    try:
        press(pins, 5)  # PANGGIL
        assert loket1.screen.wait_line("MEMANGGIL") == "LOKET 1 | MEMANGGIL A-001 | menunggu 2"
        press(pins, 13)  # MULAI
        loket1.screen.wait_line("LOKET 1 | MELAYANI A-001 | menunggu 2")
        press(pins, 19)  # SELESAI
        loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 2")
    finally:
        keypad.close()


def test_recall_sends_a_second_call_event(
    pins: MockFactory, broker: Mosquitto, kiosk: BrokerLink, loket1: Desk
) -> None:
    watcher = client(broker, "watcher", "test")
    calls = Collector(watcher, loket1.topics.event_call)
    try:
        issue(kiosk, "B")
        keypad = GpioKeypad(GPIO_BOX6, bounce_time=None)
        keypad.start(loket1.desk)
        press(pins, 5)  # PANGGIL
        loket1.screen.wait_line("MEMANGGIL B-001")
        press(pins, 6)  # ULANG
        loket1.screen.wait_line("Dipanggil ulang")
        found = calls.wait(lambda p: len(p) >= 2 and p)
        assert [(c["number"], c["counter"], c["recall"]) for c in found] == [
            ("B-001", "1", 0),
            ("B-001", "1", 1),
        ]
        keypad.close()
    finally:
        watcher.stop()


def test_transfer_keeps_the_tickets_place_in_the_other_service(
    broker: Mosquitto, kiosk: BrokerLink, loket1: Desk, make_desk: Callable[..., Desk]
) -> None:
    issue(kiosk, "A", "C", "C")  # A-001 is older than both C tickets
    keypad = EvdevKeypad(NUMPAD_KEYS)
    numpad(keypad, loket1, "KEY_KPENTER")  # call next
    loket1.screen.wait_line("MEMANGGIL A-001")
    numpad(keypad, loket1, "KEY_KPDOT")  # transfer ...
    loket1.screen.wait_line("ALIHKAN KE: 1=A 2=B 3=C")
    numpad(keypad, loket1, "KEY_KP3")  # ... to service 3 = C
    loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 0 | Dialihkan ke C")
    # Loket 3 serves C: the transferred ticket comes first, by its original issue time.
    loket3 = make_desk(broker, "loket-3", "3").connect()
    loket3.screen.wait_line("LOKET 3 | BUKA | menunggu 3")
    for number in ("A-001", "C-001", "C-002"):
        loket3.desk.press_key("call_next")
        loket3.screen.wait_line(f"MEMANGGIL {number}")


def test_call_a_specific_number_with_digits_then_enter(kiosk: BrokerLink, loket1: Desk) -> None:
    issue(kiosk, "A", "A", "B", "B")
    keypad = EvdevKeypad(NUMPAD_KEYS)
    numpad(keypad, loket1, "KEY_KP2", "KEY_KPENTER")  # number 2, of which service?
    loket1.screen.wait_line("LAYANAN? 2: 1=A 2=B")
    numpad(keypad, loket1, "KEY_KP2")  # B
    loket1.screen.wait_line("LOKET 1 | MEMANGGIL B-002 | menunggu 3")


def test_illegal_actions_show_a_short_message(kiosk: BrokerLink, loket1: Desk) -> None:
    loket1.desk.press_key("finish")  # nothing called
    loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 0 | Tindakan ditolak")
    loket1.desk.press_key("call_next")  # nobody waiting
    loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 0 | Antrian kosong")
    loket1.desk.press_key("pause")
    loket1.screen.wait_line("LOKET 1 | ISTIRAHAT | menunggu 0")
    loket1.desk.press_key("call_next")
    loket1.screen.wait_line("LOKET 1 | ISTIRAHAT | menunggu 0 | Loket tutup")
    # The notice goes away by itself.
    loket1.screen.wait_last("LOKET 1 | ISTIRAHAT | menunggu 0", timeout=5)


def test_presses_during_a_request_are_queued_in_order(
    broker: Mosquitto, kiosk: BrokerLink, loket1: Desk
) -> None:
    watcher = client(broker, "watcher", "test")
    events = Collector(watcher, loket1.topics.event_ticket)
    try:
        issue(kiosk, "A", "A")
        for key in ("call_next", "start", "finish", "call_next", "skip"):
            loket1.desk.press_key(key)  # all at once, without waiting for answers
        assert loket1.desk.wait_idle(10)
        loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 0")
        found = events.wait(lambda p: len(p) >= 7 and p)
        assert [(e["event"], e["number"]) for e in found] == [
            ("issued", "A-001"),
            ("issued", "A-002"),
            ("called", "A-001"),
            ("started", "A-001"),
            ("finished", "A-001"),
            ("called", "A-002"),
            ("skipped", "A-002"),
        ]
    finally:
        watcher.stop()


@pytest.mark.slow
def test_two_counters_pressing_call_next_together_never_share_a_ticket(
    broker: Mosquitto, kiosk: BrokerLink, loket1: Desk, make_desk: Callable[..., Desk]
) -> None:
    rounds = 100
    issue(kiosk, *["B"] * (2 * rounds))  # counters 1 and 2 both serve B
    loket2 = make_desk(broker, "loket-2", "2").connect()
    loket2.screen.wait_line(f"LOKET 2 | BUKA | menunggu {2 * rounds}")
    watcher = client(broker, "watcher", "test")
    calls = Collector(watcher, loket1.topics.event_call)
    shown: dict[str, list[str]] = {"1": [], "2": []}
    barrier = threading.Barrier(2)

    def officer(desk: Desk, counter: str) -> None:
        for _ in range(rounds):
            barrier.wait(5)
            desk.desk.press_key("call_next")
            assert desk.desk.wait_idle(10)
            ticket = desk.desk.view().state
            assert ticket is not None and ticket.ticket is not None
            shown[counter].append(ticket.ticket.number)

    try:
        threads = [
            threading.Thread(target=officer, args=(loket1, "1")),
            threading.Thread(target=officer, args=(loket2, "2")),
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert time.monotonic() - started < 60
        assert len(shown["1"]) == len(shown["2"]) == rounds
        everything = shown["1"] + shown["2"]
        assert len(set(everything)) == 2 * rounds  # never the same ticket twice
        found = calls.wait(lambda p: len(p) >= 2 * rounds and p, timeout=10)
        assert len({c["ticket_id"] for c in found}) == len(found) == 2 * rounds
        assert {c["counter"] for c in found} == {"1", "2"}
    finally:
        watcher.stop()


def test_hub_restarted_mid_day_the_counter_shows_the_same_ticket(
    broker: Mosquitto, hub: HubProcess, kiosk: BrokerLink, loket1: Desk,
    make_desk: Callable[..., Desk],
) -> None:  # fmt: skip
    issue(kiosk, "A", "B")
    loket1.desk.press_key("call_next")
    loket1.screen.wait_line("LOKET 1 | MEMANGGIL A-001 | menunggu 1")
    hub.kill()  # power cut on the hub's process: its Last Will says offline
    loket1.screen.wait_line("LOKET 1 | OFFLINE", timeout=10)
    hub.start()
    loket1.screen.wait_line("LOKET 1 | MEMANGGIL A-001 | menunggu 1", timeout=10)
    # A counter node that restarts too gets the same picture from retained state alone.
    fresh = make_desk(broker, "loket-1", "1").connect()
    fresh.screen.wait_line("LOKET 1 | MEMANGGIL A-001 | menunggu 1")


def test_broker_restart_shows_offline_then_recovers(
    broker: Mosquitto, kiosk: BrokerLink, loket1: Desk
) -> None:
    issue(kiosk, "C")
    broker.restart()
    loket1.screen.wait_line("LOKET 1 | OFFLINE")
    loket1.screen.wait_line("LOKET 1 | BUKA", timeout=15)  # paho reconnects with back-off


@pytest.mark.slow
def test_a_press_the_desk_gave_up_on_never_takes_effect_later(
    broker: Mosquitto, hub: HubProcess, kiosk: BrokerLink, make_desk: Callable[..., Desk]
) -> None:
    issue(kiosk, "A")
    desk = make_desk(broker, "loket-1", "1", request_timeout=3.0).connect()
    desk.screen.wait_line("LOKET 1 | BUKA | menunggu 1")
    hub.kill()
    desk.screen.wait_line("OFFLINE")
    desk.desk.press_key("call_next")
    desk.screen.wait_line("Server tak jawab", timeout=5)
    time.sleep(1.5)  # longer than the request's expiry
    hub.start()
    desk.screen.wait_line("LOKET 1 | BUKA | menunggu 1", timeout=10)
    # A later request on the same path reaches the hub after the stale one would have. A
    # recall tells them apart: it is refused only if nothing was called in between.
    marker = desk.link.request("counter", {"counter": "1", "action": "recall"}, timeout=10)
    assert marker.error_code == "invalid_state", marker
    assert not desk.screen.saw("MEMANGGIL")


def test_malformed_and_foreign_messages_change_nothing(
    broker: Mosquitto, kiosk: BrokerLink, loket1: Desk
) -> None:
    issue(kiosk, "A")
    loket1.desk.press_key("call_next")
    loket1.screen.wait_line("LOKET 1 | MEMANGGIL A-001 | menunggu 0")
    intruder = client(broker, "intruder", "test")
    topics = loket1.topics
    before = len(loket1.screen.lines)
    try:
        for topic, payload in (
            (topics.state_counter("1"), b"not json"),
            (topics.state_counter("1"), b"[1, 2, 3]"),
            (topics.state_counter("1"), b'{"status": 7, "ticket": "x", "waiting": "many"}'),
            (topics.state_counter("1"), b"\xff\xfe"),
            (topics.config, b"{"),
            (topics.config, b'{"services": "none", "counters": [1, null]}'),
            (topics.node_status("hub-2"), b"oops"),
            (topics.state_counter("2"), b'{"status": "closed", "ticket": null, "waiting": 0}'),
        ):
            intruder.publish(topic, payload)
        # A marker we can wait for: the next real answer from the hub.
        loket1.desk.press_key("recall")
        loket1.screen.wait_line("LOKET 1 | MEMANGGIL A-001 | menunggu 0 | Dipanggil ulang")
        assert loket1.desk.alive()
        # The hub's config still gives the digits their meaning: 2 = B.
        loket1.desk.press_key("transfer")
        loket1.desk.press_key("2")
        loket1.screen.wait_line("LOKET 1 | BUKA | menunggu 1 | Dialihkan ke B")
        after = loket1.screen.lines[before:]
        assert not any("TUTUP" in line for line in after)  # counter 2's state is not ours
        assert not any("MEMUAT" in line for line in after)  # bad state never blanked it
    finally:
        intruder.stop()


def test_a_node_driving_a_counter_it_is_not_assigned_to_is_refused(
    broker: Mosquitto, kiosk: BrokerLink, make_desk: Callable[..., Desk]
) -> None:
    issue(kiosk, "A")
    wrong = make_desk(broker, "loket-2", "1").connect()  # loket-2 is registered for counter 2
    wrong.screen.wait_line("LOKET 1 | BUKA | menunggu 1")  # state is public; commands are not
    wrong.desk.press_key("call_next")
    wrong.screen.wait_line("LOKET 1 | BUKA | menunggu 1 | Tidak diizinkan")
