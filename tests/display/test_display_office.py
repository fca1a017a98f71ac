"""The display in a real office: mosquitto + the hub daemon + kiosk and counter clients.

A citizen takes a ticket, the officer at Loket 1 presses "call next", and the waiting
room must show it and say it; after a broker restart the display rebuilds from what the
hub republishes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.mqtt import BrokerLink
from tests.display.test_display_daemon import RunningDisplay
from tests.harness import HubProcess, Mosquitto, client, wait_for


@pytest.fixture
def office_display(hub: HubProcess, broker: Mosquitto, tmp_path: Path) -> Iterator[RunningDisplay]:
    running = RunningDisplay(tmp_path / "display", broker.port)
    running.thread.start()
    try:
        yield running
    finally:
        running.node.stopping.set()
        running.node.changed.set()
        running.thread.join(10)


@pytest.fixture
def kiosk_and_counter(broker: Mosquitto) -> Iterator[tuple[BrokerLink, BrokerLink]]:
    kiosk = client(broker, "kiosk-1", "kiosk")
    counter = client(broker, "loket-1", "counter")
    try:
        yield kiosk, counter
    finally:
        kiosk.stop()
        counter.stop()


def test_call_next_is_shown_and_announced(
    office_display: RunningDisplay, kiosk_and_counter: tuple[BrokerLink, BrokerLink]
) -> None:
    kiosk, counter = kiosk_and_counter
    display = office_display
    wait_for(lambda: "Loket 3" in display.texts("counters"), timeout=15)
    wait_for(lambda: display.texts("header") == ["Kantor Kecamatan Contoh"])

    ticket = kiosk.request("ticket", {"service": "A"}, timeout=10)
    assert ticket.ok, ticket.error_message
    number = ticket.data["number"]
    wait_for(lambda: "1" in display.texts("services"), timeout=5)  # one waiting for A

    called = counter.request("counter", {"counter": "1", "action": "call_next"}, timeout=10)
    assert called.ok, called.error_message
    assert called.data["ticket"]["number"] == number
    wait_for(lambda: display.featured() == (number, "1"), timeout=5)
    assert "LOKET 1" in display.texts("featured")
    wait_for(lambda: display.log_lines, timeout=20)
    assert display.log_lines[0].split(", ", 3)[1:3] == [number, "1"]
    assert display.log_lines[0].endswith("silakan menuju loket satu")
    wait_for(lambda: list((display.dir / "shots").glob("screen-*.png")))

    recalled = counter.request("counter", {"counter": "1", "action": "recall"}, timeout=10)
    assert recalled.ok, recalled.error_message
    wait_for(lambda: len(display.log_lines) == 2, timeout=20)
    assert [line.split(", ")[1] for line in display.log_lines] == [number, number]


def test_display_rebuilds_after_broker_restart(
    office_display: RunningDisplay,
    kiosk_and_counter: tuple[BrokerLink, BrokerLink],
    broker: Mosquitto,
    tmp_path: Path,
) -> None:
    kiosk, counter = kiosk_and_counter
    display = office_display
    wait_for(lambda: "Loket 3" in display.texts("counters"), timeout=15)
    assert kiosk.request("ticket", {"service": "B"}, timeout=10).ok
    assert counter.request("counter", {"counter": "1", "action": "call_next"}, timeout=10).ok
    wait_for(lambda: "B-001" in display.texts("featured"), timeout=5)

    broker.restart()  # mosquitto without persistence: every retained message is lost
    wait_for(lambda: display.texts("status") == ["Terputus dari server"], timeout=10)
    assert "B-001" in display.texts("featured")  # the last picture stays while offline
    wait_for(lambda: display.texts("status") == [], timeout=30)

    # The hub republished its retained state: a display starting now sees all of it.
    fresh = RunningDisplay(tmp_path / "fresh", broker.port)
    fresh.thread.start()
    try:
        wait_for(lambda: "B-001" in fresh.texts("counters"), timeout=30)
        assert "Loket 2" in fresh.texts("counters")
        wait_for(lambda: "B-001" in fresh.texts("featured"), timeout=5)  # from state/calls
    finally:
        fresh.node.stopping.set()
        fresh.node.changed.set()
        fresh.thread.join(10)

    # And the first display's subscriptions came back: a new call reaches it.
    assert counter.wait_connected(20) and kiosk.wait_connected(20)
    assert kiosk.request("ticket", {"service": "A"}, timeout=10).ok
    assert counter.request("counter", {"counter": "1", "action": "call_next"}, timeout=10).ok
    wait_for(lambda: "A-001" in display.texts("featured"), timeout=10)


def test_killed_hub_shows_offline_and_comes_back(
    office_display: RunningDisplay,
    hub: HubProcess,
    kiosk_and_counter: tuple[BrokerLink, BrokerLink],
) -> None:
    kiosk = kiosk_and_counter[0]
    display = office_display
    assert kiosk.request("ticket", {"service": "C"}, timeout=10).ok
    wait_for(lambda: "Loket 3" in display.texts("counters"), timeout=15)
    # Regions are repainted one by one, the status line last: wait for it, not for another.
    wait_for(lambda: display.texts("status") == [], timeout=10)

    hub.kill()  # SIGKILL: the broker publishes the hub's Last Will
    wait_for(lambda: display.texts("status") == ["Terputus dari server"], timeout=30)
    assert "Loket 3" in display.texts("counters")  # the last known state stays

    hub.start()
    wait_for(lambda: display.texts("status") == [], timeout=30)


def test_the_featured_call_clears_when_its_counter_moves_on(
    office_display: RunningDisplay, kiosk_and_counter: tuple[BrokerLink, BrokerLink]
) -> None:
    kiosk, counter = kiosk_and_counter
    display = office_display
    wait_for(lambda: "Loket 3" in display.texts("counters"), timeout=15)
    ticket = kiosk.request("ticket", {"service": "A"}, timeout=10)
    assert ticket.ok, ticket.error_message
    number = ticket.data["number"]
    assert counter.request("counter", {"counter": "1", "action": "call_next"}, timeout=10).ok
    wait_for(lambda: display.featured() == (number, "1"), timeout=10)

    skipped = counter.request("counter", {"counter": "1", "action": "skip"}, timeout=10)
    assert skipped.ok, skipped.error_message
    # Loket 1 no longer calls it: the big area says so calmly instead of a stale number.
    wait_for(lambda: display.featured() is None, timeout=10)
    assert display.texts("featured")[-1] == "Silakan menunggu nomor Anda dipanggil"
    assert number in display.texts("recent")  # it was featured, so it is a previous call
    frame = display.frame()
    for name, region in frame["regions"].items():
        x, y, w, h = region["rect"]
        for text in region["texts"]:
            tx, ty, tw, th = text["rect"]
            assert x <= tx and y <= ty and tx + tw <= x + w and ty + th <= y + h, (name, text)
