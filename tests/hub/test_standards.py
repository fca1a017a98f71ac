"""The published service standard (PermenPAN-RB 15/2014) in the hub's file and in today's
figures of the queue core."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from common.config import ConfigError, Table
from nodes.hub.events import CounterCommand, IssueTicket
from nodes.hub.office import read_office
from nodes.hub.queue import Queue
from tests.hub.support import Driver, office


def root(service: dict[str, Any]) -> Table:
    data = {
        "services": [{"id": "A", "name": "Kartu Keluarga", **service}],
        "counters": [{"id": "1", "services": ["A"]}],
    }
    return Table(data, "hub.toml")


def test_a_service_may_carry_its_standard() -> None:
    (service,) = read_office(root({})).services
    assert (service.standard_wait_minutes, service.standard_service_minutes) == (None, None)
    (service,) = read_office(
        root({"standard_wait_minutes": 15, "standard_service_minutes": 7.5})
    ).services
    assert (service.standard_wait_minutes, service.standard_service_minutes) == (15.0, 7.5)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"standard_wait_minutes": 0}, "services[0].standard_wait_minutes: must be at least 1"),
        ({"standard_wait_minutes": 601}, "must be at most 600 minutes, not 601"),
        ({"standard_service_minutes": "15"}, "standard_service_minutes: must be a number"),
        ({"standard_minutes": 15}, "services[0].standard_minutes: unknown key"),
    ],
)
def test_a_wrong_standard_stops_the_hub_naming_the_key(value: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        read_office(root(value))


def test_todays_average_wait_and_service_time_per_service() -> None:
    drive = Driver(Queue(office()))
    drive(IssueTicket("A", False, "kiosk-1"))  # 08:00
    drive.clock.advance(minutes=4)
    drive(IssueTicket("A", False, "kiosk-1"))  # 08:04
    drive.clock.advance(minutes=6)
    drive(CounterCommand("1", "call_next"))  # 08:10: A-001 waited 10 minutes
    today = drive.clock.now.date()
    assert drive.queue.average_wait_s("A", today) == 600
    assert drive.queue.average_service_s("A", today) is None
    drive.clock.advance(minutes=3)
    drive(CounterCommand("1", "recall"))  # a recall neither ends nor restarts a wait
    drive(CounterCommand("1", "call_next"))  # 08:13: A-001 served 3 min, A-002 waited 9
    assert drive.queue.average_wait_s("A", today) == (600 + 540) / 2
    assert drive.queue.average_service_s("A", today) == 180
    assert drive.queue.average_wait_s("B", today) is None
    # The next day starts its own figures.
    drive.clock.advance(days=1)
    drive(IssueTicket("A", False, "kiosk-1"))
    assert drive.queue.average_wait_s("A", today + timedelta(days=1)) is None
