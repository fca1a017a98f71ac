"""The kiosk against a real mosquitto and a real hub process.

Real everything except the hardware edge: gpiozero's MockFactory pins for the buttons and
LEDs, and python-escpos' Dummy (with a paper sensor) for the printer.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gpiozero.pins.mock import MockFactory

from common.mqtt import BrokerLink
from common.payloads import QueueState, ServiceQueue
from common.wire import Topics
from nodes.kiosk.buttons import ButtonPins, GpioButtons
from nodes.kiosk.flow import Kiosk, KioskSettings, Outcome
from nodes.kiosk.printer import EscposPrinter
from nodes.kiosk.ticket import OfficeInfo
from tests.harness import Collector, HubProcess, Mosquitto, client, wait_for
from tests.kiosk.devices import PAPER_OK, PAPER_OUT, QR_COMMAND, SensorDummy
from tests.local_broker import LocalLink

WIB = ZoneInfo("Asia/Jakarta")
TOPICS = Topics("kantor")
#: A queue state a test publishes as a marker: B going dark shows it has arrived.


def queue_state(a_open: bool, b_open: bool) -> dict[str, Any]:
    """A well-formed retained `state/queue` (common.payloads.QueueState) for A and B."""
    return QueueState(
        (
            ServiceQueue("A", "Kartu Keluarga", "A", open=a_open),
            ServiceQueue("B", "KTP Elektronik", "B", open=b_open),
        )
    ).to_payload()


OPEN_A_CLOSED_B = queue_state(True, False)


@dataclass
class Rig:
    """One kiosk wired from real parts; `pins` numbers its buttons and LEDs."""

    kiosk: Kiosk
    dummy: SensorDummy
    link: BrokerLink | LocalLink
    factory: MockFactory
    button: dict[str, int]
    led: dict[str, int]

    def tap(self, service: str = "A", hold: float = 0.0) -> None:
        pin = self.factory.pin(self.button[service])
        pin.drive_low()
        if hold:
            time.sleep(hold)
        pin.drive_high()

    def led_state(self, service: str = "A") -> int:
        return int(self.factory.pin(self.led[service]).state)

    def led_steady(self, service: str, state: int, seconds: float = 0.6) -> bool:
        """The LED holds `state` for `seconds` (so it is not blinking)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.led_state(service) != state:
                return False
            time.sleep(0.02)
        return True

    def outcome(self, timeout: float = 10.0) -> Outcome:
        """The newest outcome that is not an ignored press, once the kiosk is idle (a tap
        has been taken when it returns: gpiozero's mock calls back in the driving thread)."""
        assert self.kiosk.wait_idle(timeout)
        served = [o for o in self.kiosk.outcomes if o.result != "ignored"]
        assert served, "no press was served"
        return served[-1]

    def served(self) -> list[Outcome]:
        return [o for o in self.kiosk.outcomes if o.result != "ignored"]

    def stop(self) -> None:
        self.kiosk.stop()
        self.link.stop()
        self.kiosk.buttons.close()


def start_kiosk(
    broker: Mosquitto,
    factory: MockFactory,
    node_id: str = "kiosk-1",
    first_pin: int = 2,
    clock: Callable[[], float] = time.monotonic,
) -> Rig:
    """`clock` is the buttons' (for their debounce)."""
    button = {"A": first_pin, "B": first_pin + 2}
    led = {"A": first_pin + 1, "B": first_pin + 3}
    buttons = GpioButtons([ButtonPins(s, button[s], led[s]) for s in ("A", "B")], clock=clock)
    dummy = SensorDummy()
    printer = EscposPrinter(lambda: dummy, profile="TM-T20II", reads_status=True)
    link = BrokerLink(broker.config, TOPICS, node_id, role="kiosk")
    office = OfficeInfo(name="Kantor Kecamatan Contoh", base_url="http://hub.local:8080")
    settings = KioskSettings(request_timeout_s=3.0, attempt_timeout_s=0.5, health_interval_s=0.2)
    kiosk = Kiosk(link, buttons, printer, office, settings, tz=WIB)
    kiosk.start()
    assert link.start(wait=10)
    rig = Rig(kiosk, dummy, link, factory, button, led)
    wait_for(lambda: rig.led_state("A") == 1, timeout=10)
    return rig


@pytest.fixture
def rig(hub: HubProcess, broker: Mosquitto, pins: MockFactory) -> Iterator[Rig]:
    started = start_kiosk(broker, pins)
    try:
        yield started
    finally:
        started.stop()


def hub_events(hub: HubProcess, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT ticket_id, data FROM events WHERE kind = ? ORDER BY seq", (kind,)
        ).fetchall()
    return [(ticket_id, json.loads(data)) for ticket_id, data in rows]


def test_a_press_prints_exactly_one_ticket(rig: Rig, hub: HubProcess) -> None:
    rig.tap("A")
    outcome = rig.outcome()
    assert outcome.result == "printed", outcome
    assert outcome.number == "A-001"
    data = bytes(rig.dummy.output)
    assert rig.dummy.tickets() == 1
    assert b"A-001" in data and b"Kartu Keluarga" in data and QR_COMMAND in data
    assert outcome.ticket_id is not None
    assert b"/t/" + outcome.ticket_id.encode() in data
    issued = hub_events(hub, "ticket_issued")
    assert [t for t, _ in issued] == [outcome.ticket_id]
    assert issued[0][1]["node"] == "kiosk-1"
    assert rig.led_steady("A", 1)  # lit again, ready for the next citizen


def test_mashed_or_held_button_gives_one_ticket(
    hub: HubProcess, broker: Mosquitto, pins: MockFactory
) -> None:
    # The buttons' clock is the test's: mashing is fast however slow the machine is.
    now = [1000.0]
    rig = start_kiosk(broker, pins, clock=lambda: now[0])
    try:
        for _ in range(10):  # ten presses in 50 ms, inside the 300 ms debounce window
            rig.tap("A")
            now[0] += 0.005
        held = rig.factory.pin(rig.button["B"])
        held.drive_low()
        now[0] += 3.0  # held for three seconds
        held.drive_high()
        # A press is taken in the tap itself (gpiozero's mock calls back in the driving
        # thread), so once the kiosk is idle every press let through has an outcome: a
        # second one, even one ignored while the first ticket was on its way, would show.
        assert rig.kiosk.wait_idle(15)
        assert [(o.result, o.number) for o in rig.kiosk.outcomes] == [
            ("printed", "A-001"),
            ("printed", "B-001"),
        ]
        assert rig.dummy.tickets() == 2
        assert len(hub_events(hub, "ticket_issued")) == 2
    finally:
        rig.stop()


def test_malformed_messages_change_nothing(rig: Rig, broker: Mosquitto) -> None:
    sender = client(broker, "prankster")
    try:
        for payload in (b"not json", b"[1, 2]", b'{"services": 5}', b'{"A": "open"}'):
            sender.publish(TOPICS.state_queue, payload)
        sender.publish(TOPICS.node_status("hub"), b"\xff\xfe")
        sender.publish(TOPICS.config, b'{"office": 7}')
        # A well-formed state last, from the same sender: once B goes dark, everything
        # before it has been delivered, and A must still be lit.
        sender.publish(TOPICS.state_queue, OPEN_A_CLOSED_B)
        wait_for(lambda: rig.led_state("B") == 0)
        assert rig.led_steady("A", 1)
        rig.tap("A")
        assert rig.outcome().result == "printed"
    finally:
        sender.stop()


def test_two_kiosks_pressing_at_once_get_different_numbers(
    hub: HubProcess, broker: Mosquitto, pins: MockFactory
) -> None:
    one = start_kiosk(broker, pins, "kiosk-1", first_pin=2)
    two = start_kiosk(broker, pins, "kiosk-2", first_pin=10)
    try:
        barrier = threading.Barrier(2)

        def press(rig: Rig) -> None:
            barrier.wait()
            rig.tap("A")

        threads = [threading.Thread(target=press, args=(r,)) for r in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        numbers = {one.outcome().number, two.outcome().number}
        assert numbers == {"A-001", "A-002"}
        assert one.dummy.tickets() == 1 and two.dummy.tickets() == 1
        nodes = sorted(d["node"] for _, d in hub_events(hub, "ticket_issued"))
        assert nodes == ["kiosk-1", "kiosk-2"]
    finally:
        one.stop()
        two.stop()


def test_hub_down_prints_nothing_shows_offline_then_recovers(rig: Rig, hub: HubProcess) -> None:
    hub.kill()
    rig.tap("A")
    wait_for(lambda: rig.kiosk.wait_idle(0) and rig.served(), timeout=6)
    assert rig.outcome().result == "timeout"
    assert rig.dummy.tickets() == 0
    assert rig.led_steady("A", 0) and rig.led_steady("B", 0)  # off, not blinking
    hub.start()
    wait_for(lambda: rig.led_state("A") == 1, timeout=10)
    time.sleep(0.35)
    rig.tap("A")
    outcome = rig.outcome()
    assert outcome.result == "printed"
    # The request the kiosk gave up on expired in the broker: it never became a ticket.
    assert outcome.number == "A-001"
    assert len(hub_events(hub, "ticket_issued")) == 1


def test_broker_restart_darkens_the_leds_until_reconnected(rig: Rig, broker: Mosquitto) -> None:
    broker.stop()
    wait_for(lambda: rig.led_state("A") == 0, timeout=5)
    broker.start()
    wait_for(lambda: rig.led_state("A") == 1, timeout=15)  # paho's back-off, then state
    time.sleep(0.35)
    rig.tap("A")
    assert rig.outcome().result == "printed"


def test_printer_failing_mid_print_cancels_the_ticket(rig: Rig, hub: HubProcess) -> None:
    rig.dummy.jam_next_ticket = True
    rig.tap("A")
    outcome = rig.outcome()
    assert outcome.result == "print_failed" and outcome.ticket_id
    assert rig.dummy.tickets() == 0
    cancelled = wait_for(lambda: hub_events(hub, "ticket_cancelled"))
    assert cancelled[0][0] == outcome.ticket_id
    assert "print failed" in cancelled[0][1]["reason"]
    assert cancelled[0][1]["node"] == "kiosk-1"
    # The next press works (the sensor says paper is fine) and is not A-001's ghost.
    wait_for(lambda: rig.led_state("A") == 1)
    time.sleep(0.35)
    rig.tap("A")
    assert rig.outcome().number == "A-002"
    assert rig.dummy.tickets() == 1


def test_cancel_is_retried_until_a_restarted_hub_confirms(
    rig: Rig, hub: HubProcess, caplog: pytest.LogCaptureFixture
) -> None:
    rig.dummy.jam_next_ticket = True
    rig.dummy.jam_delay = 1.0  # the printer hangs, then fails ...
    rig.tap("A")
    issued = wait_for(lambda: hub_events(hub, "ticket_issued"))
    hub.kill()  # ... and meanwhile the hub dies, so the first cancel goes unanswered
    outcome = rig.outcome()
    assert outcome.result == "print_failed"
    assert "not confirmed yet; will retry" in caplog.text
    caplog.set_level(logging.INFO, "nodes.kiosk.flow")
    hub.start()
    cancelled = wait_for(lambda: hub_events(hub, "ticket_cancelled"), timeout=10)
    assert [t for t, _ in cancelled] == [issued[0][0]] == [outcome.ticket_id]
    # The kiosk has heard the answer and the hub's return, and logged both: nothing of
    # this test is still under way when it ends.
    wait_for(lambda: f"ticket {outcome.ticket_id} cancelled at the hub" in caplog.text)
    wait_for(lambda: rig.led_state("A") == 1, timeout=10)


def test_stop_waits_for_the_press_in_flight(
    rig: Rig, hub: HubProcess, caplog: pytest.LogCaptureFixture
) -> None:
    rig.dummy.jam_next_ticket = True
    rig.dummy.jam_delay = 3.0  # the printer hangs, then fails ...
    rig.tap("A")
    issued = wait_for(lambda: hub_events(hub, "ticket_issued"))
    hub.kill()  # ... and its cancel then waits out the whole request timeout (2 s)
    rig.kiosk.stop()
    # Nothing of the kiosk runs on (or logs) after stop() has returned.
    running = [thread.name for thread in threading.enumerate()]
    assert "kiosk-presses" not in running and "kiosk-health" not in running
    assert [o.result for o in rig.served()] == ["print_failed"]
    # The ticket stays at the hub, and the log says so rather than promising a retry.
    assert f"not cancelled at the hub: {issued[0][0]}" in caplog.text


def test_paper_out_turns_leds_off_and_a_press_requests_nothing(
    rig: Rig, hub: HubProcess, broker: Mosquitto
) -> None:
    watcher = client(broker, "watcher")
    statuses = Collector(watcher, TOPICS.node_status("kiosk-1"))
    try:
        rig.dummy.paper = PAPER_OUT
        wait_for(lambda: rig.led_state("A") == 0 and rig.led_state("B") == 0, timeout=3)
        statuses.wait(lambda found: found and found[-1].get("printer") == "paper_out")
        rig.tap("A")
        outcome = rig.outcome()
        assert outcome.result == "refused" and "paper_out" in outcome.detail
        assert hub_events(hub, "ticket_issued") == []
        assert rig.dummy.tickets() == 0
        rig.dummy.paper = PAPER_OK
        wait_for(lambda: rig.led_state("A") == 1, timeout=3)
        statuses.wait(lambda found: found[-1].get("printer") == "ok")
    finally:
        watcher.stop()


def test_quota_used_up_turns_the_led_off(
    broker: Mosquitto, pins: MockFactory, tmp_path: Path
) -> None:
    hub = HubProcess(broker, tmp_path / "quota-hub", service_a_extra="daily_quota = 1")
    hub.start()
    rig = start_kiosk(broker, pins)
    sender = client(broker, "stale-state")
    try:
        rig.tap("A")
        assert rig.outcome().result == "printed"
        wait_for(lambda: rig.led_state("A") == 0)  # the hub's queue state: A is closed
        assert rig.led_steady("A", 0)
        assert rig.led_steady("B", 1)  # other services are unaffected
        # A queue state that still says A is open (one from before that ticket, say):
        # the kiosk asks, the hub refuses, and A stays dark for the rest of the day.
        sender.publish(TOPICS.state_queue, queue_state(True, True))
        wait_for(lambda: rig.led_state("A") == 1)
        rig.tap("A")
        outcome = rig.outcome()
        assert outcome.result == "hub_error" and outcome.detail == "quota_exhausted"
        sender.publish(TOPICS.state_queue, OPEN_A_CLOSED_B)
        wait_for(lambda: rig.led_state("B") == 0)  # delivered: A's "open" came with it
        assert rig.led_steady("A", 0)
        assert rig.dummy.tickets() == 1
    finally:
        sender.stop()
        rig.stop()
        hub.stop()
