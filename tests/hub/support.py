"""The test office (the same as tests/harness.py's hub config) and a clock for the hub's
pure tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nodes.hub.events import Command, Event
from nodes.hub.office import CounterSpec, NodeSpec, Office, OfficerSpec, ServiceSpec
from nodes.hub.queue import Queue, Ticket
from tests.harness import OFFICER_NAMES, OFFICER_PIN_HASHES

TZ = ZoneInfo("Asia/Jakarta")
#: Saturday 28 November 2026, 08:00 in Jakarta.
MORNING = datetime(2026, 11, 28, 8, 0, tzinfo=TZ)


def office(**service_changes: dict[str, Any]) -> Office:
    """The test office; `A={"daily_quota": 2}` changes service A."""
    services = [
        ServiceSpec("A", "Kartu Keluarga", "A"),
        ServiceSpec("B", "KTP Elektronik", "B"),
        ServiceSpec("C", "Akta Kelahiran", "C"),
    ]
    services = [replace(s, **service_changes.get(s.id, {})) for s in services]
    return Office(
        id="kantor",
        name="Kantor Kecamatan Contoh",
        timezone="Asia/Jakarta",
        address="Jl. Merdeka No. 1, Contoh",
        services=tuple(services),
        counters=(
            CounterSpec("1", "Loket 1", ("A", "B")),
            CounterSpec("2", "Loket 2", ("B", "C")),
            CounterSpec("3", "Loket 3", ("C",)),
        ),
        nodes=(
            NodeSpec("kiosk-1", "kiosk"),
            NodeSpec("kiosk-2", "kiosk"),
            NodeSpec("loket-1", "counter", ("1",)),
            NodeSpec("loket-2", "counter", ("2",)),
            NodeSpec("loket-3", "counter", ("3",)),
            NodeSpec("display-1", "display"),
            NodeSpec("web-1", "web"),
        ),
        officers=tuple(
            OfficerSpec(code, name, "", OFFICER_PIN_HASHES[code])
            for code, name in OFFICER_NAMES.items()
        ),
    )


#: Every counter of the test office with its device online (the estimate's `staffed`).
STAFFED = frozenset({"1", "2", "3"})

HOURS = {"opens": time(8, 0), "closes": time(12, 0)}


class Clock:
    """A hand-moved clock: tests say exactly when each command happens."""

    def __init__(self, start: datetime = MORNING) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Driver:
    """A queue driven like the hub daemon drives it: handle, then apply what it returns."""

    def __init__(self, queue: Queue | None = None, clock: Clock | None = None) -> None:
        self.queue = queue or Queue(office())
        self.clock = clock or Clock()
        self.log: list[Event] = []

    def __call__(self, command: Command) -> list[Event]:
        events = self.queue.handle(command, self.clock.now)
        for event in events:
            self.queue.apply(event)
        self.log.extend(events)
        return events

    def ticket(self, ticket_id: str) -> Ticket:
        ticket = self.queue.ticket(ticket_id)
        assert ticket is not None, ticket_id
        return ticket
