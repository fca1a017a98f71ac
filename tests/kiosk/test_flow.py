"""The kiosk's flow with the real hub logic on an in-process broker (tests/local_broker.py):
fast, with the buttons on gpiozero's mock pins and python-escpos' Dummy as the printer.
tests/kiosk/test_kiosk_hub.py runs the same parts against mosquitto and a hub process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from nodes.kiosk.buttons import ButtonPins, GpioButtons
from nodes.kiosk.flow import Kiosk, KioskSettings
from nodes.kiosk.printer import EscposPrinter
from nodes.kiosk.ticket import OfficeInfo
from tests.harness import wait_for
from tests.hub.support import TZ, Clock
from tests.kiosk.devices import PAPER_OK, PAPER_OUT, SensorDummy
from tests.kiosk.test_kiosk_hub import Rig
from tests.local_broker import LocalBroker, LocalLink
from tests.local_hub import TOPICS, LocalHub

BUTTON = {"A": 2, "B": 4}
LED = {"A": 3, "B": 5}


@pytest.fixture
def office_broker() -> LocalBroker:
    return LocalBroker()


@pytest.fixture
def hub(office_broker: LocalBroker, tmp_path: Path) -> Iterator[LocalHub]:
    started = LocalHub(office_broker, tmp_path / "hub.db", Clock()).start()
    yield started
    started.stop()


@pytest.fixture
def rig(office_broker: LocalBroker, hub: LocalHub, pins: MockFactory) -> Iterator[Rig]:
    buttons = GpioButtons([ButtonPins(s, BUTTON[s], LED[s]) for s in ("A", "B")])
    dummy = SensorDummy()
    printer = EscposPrinter(lambda: dummy, profile="TM-T20II", reads_status=True)
    link = LocalLink(office_broker, TOPICS, "kiosk-1", "kiosk")
    office = OfficeInfo(name="Kantor Kecamatan Contoh", base_url="http://hub.local:8080")
    settings = KioskSettings(request_timeout_s=0.6, attempt_timeout_s=0.2, health_interval_s=0.1)
    kiosk = Kiosk(link, buttons, printer, office, settings, tz=TZ, clock=lambda: Clock().now)
    kiosk.start()
    link.start()
    started = Rig(kiosk, dummy, link, pins, BUTTON, LED)
    wait_for(lambda: started.led_state("A") == 1)
    yield started
    started.stop()


def test_a_press_prints_the_hubs_number(rig: Rig, hub: LocalHub) -> None:
    rig.tap("A")
    outcome = rig.outcome()
    assert (outcome.result, outcome.number) == ("printed", "A-001")
    assert rig.dummy.tickets() == 1
    ticket = hub.hub.queue.ticket(outcome.ticket_id or "")
    assert ticket is not None and ticket.node == "kiosk-1"


def test_no_paper_sends_nothing_and_darkens_every_lamp(rig: Rig, hub: LocalHub) -> None:
    rig.dummy.paper = PAPER_OUT
    wait_for(lambda: rig.led_state("A") == 0 and rig.led_state("B") == 0)
    rig.tap("A")
    assert rig.outcome().result == "refused"
    rig.dummy.paper = PAPER_OK
    wait_for(lambda: rig.led_state("B") == 1)
    rig.tap("B")  # answered after anything the kiosk sent before it
    printed = rig.outcome()
    assert printed.number == "B-001" and printed.ticket_id is not None
    assert hub.hub.queue.ticket(printed.ticket_id.replace("-B-", "-A-")) is None


def test_a_hub_gone_offline_darkens_the_lamps_and_a_press_times_out(
    rig: Rig, hub: LocalHub
) -> None:
    hub.stop()  # its retained status now says offline
    wait_for(lambda: rig.led_state("A") == 0)
    rig.tap("A")
    outcome = rig.outcome()
    assert outcome.result == "timeout" and rig.dummy.tickets() == 0
