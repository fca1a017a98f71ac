"""What the hub tells the world, as pure functions of the queue: the payloads of
MQTT-API.md (responses, retained state, events). No I/O; the daemon publishes them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal, cast

from common import payloads
from common.wire import iso
from nodes.hub.events import (
    Event,
    QuickScored,
    SurveyAnswered,
    TicketCalled,
    TicketCancelled,
    TicketIssued,
    TicketTransferred,
)
from nodes.hub.office import Office
from nodes.hub.queue import Queue, Rejected, number_of


def ticket_data(
    queue: Queue, ticket_id: str, now: datetime, staffed: Collection[str]
) -> dict[str, Any]:
    """The `data` of a ticket response: what the kiosk prints and a phone follows.
    `staffed`: the counters whose device is online (nodes/hub/staffing.py)."""
    ticket = queue.ticket(ticket_id)
    if ticket is None:
        raise Rejected("unknown_ticket", f"Nomor antrian {number_of(ticket_id)} tidak ditemukan.")
    spec = queue.office.service(ticket.service)
    waiting = ticket.state == "waiting"
    ahead = queue.ahead(ticket_id) if waiting else 0
    return {
        "ticket_id": ticket.ticket_id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": spec.name if spec else ticket.service,
        "issued_at": iso(ticket.issued_at),
        "ahead": ahead,
        "estimated_wait_s": (
            queue.estimated_wait_s(ticket.service, ahead, now, staffed) if waiting else None
        ),
        "state": ticket.state,
        "priority": ticket.priority,
    }


def counter_data(queue: Queue, counter_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The `data` of a counter response and the retained `state/counter/{id}`. With `now`,
    an officer signed in on an earlier day is not shown (a sign-in ends with its day)."""
    spec = queue.office.counter(counter_id)
    if spec is None:
        raise Rejected("unknown_counter", f"Loket '{counter_id}' tidak dikenal.")
    state = queue.counters[counter_id]
    current = queue.ticket(state.ticket) if state.ticket else None
    ticket = None
    if current is not None and current.called_at is not None:
        phase = cast(Literal["called", "serving"], current.state)  # a counter's ticket is either
        ticket = payloads.CounterTicket(
            current.ticket_id, current.number, current.service, phase, current.called_at
        )
    waiting = queue.waiting_for_counter(counter_id)
    status = cast(payloads.CounterStatus, state.status)
    signed_in = state.officer
    if now is not None and signed_in is not None:
        signed_in = queue.officer_at(counter_id, queue.today(now))
    officer = queue.office.officer(signed_in) if signed_in else None
    return payloads.CounterState(
        spec.id,
        spec.name,
        status,
        ticket,
        waiting,
        officer.id if officer else None,
        officer.name if officer else None,
    ).to_payload()


def queue_state(queue: Queue, now: datetime, staffed: Collection[str]) -> dict[str, Any]:
    """The retained `state/queue`: per service id, today's line. `staffed` as for
    `ticket_data`."""
    today = queue.today(now)
    entries = []
    for spec in queue.office.services:
        waiting = queue.waiting_count(spec.id)
        last = (queue.last_issued(spec.id, today), queue.last_called(spec.id, today))
        # What a ticket taken now would be told: everyone waiting is ahead of it.
        estimate = queue.estimated_wait_s(spec.id, waiting, now, staffed)
        # Taking tickets now: opening hours, the dashboard's switch, and the quota.
        accepting = queue.service_open(spec.id, now) and not queue.quota_reached(spec.id, today)
        entry = payloads.ServiceQueue(spec.id, spec.name, spec.prefix, waiting, *last, estimate)
        entries.append(
            replace(
                entry,
                open=accepting,
                average_wait_s=_whole(queue.average_wait_s(spec.id, today)),
                average_service_s=_whole(queue.average_service_s(spec.id, today)),
            )
        )
    return payloads.QueueState(tuple(entries)).to_payload()


def _whole(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds)


def _call(queue: Queue, event: TicketCalled) -> payloads.Call:
    spec = queue.office.counter(event.counter)
    name = spec.name if spec else event.counter
    return payloads.Call(
        event.ticket_id,
        event.number,
        event.service,
        event.counter,
        name,
        event.recall,
        event.at,
        event.officer,
    )


def recent_calls(queue: Queue, limit: int = 10) -> dict[str, Any]:
    """The retained `state/calls`: calls and recalls, newest first."""
    calls = tuple(_call(queue, call) for call in queue.recent_calls[:limit])
    return payloads.Calls(calls).to_payload()


def call_event(queue: Queue, event: TicketCalled) -> dict[str, Any]:
    """The `event/call` payload that displays announce."""
    return _call(queue, event).to_payload()


def ticket_event(queue: Queue, event: Event) -> dict[str, Any] | None:
    """The `event/ticket` payload of a ticket event ("ticket_called" -> "called", ...);
    None for counter and service status changes, which are not ticket events, and for
    ratings (survey.py), which change no ticket and are not published."""
    ticket_id = getattr(event, "ticket_id", None)
    if ticket_id is None or isinstance(event, SurveyAnswered | QuickScored):
        return None
    extra: dict[str, payloads.Scalar] = {}
    if isinstance(event, TicketIssued):
        extra.update(priority=event.priority, node=event.node, online=event.online)
    elif isinstance(event, TicketCalled):
        spec = queue.office.counter(event.counter)
        extra.update(recall=event.recall, counter_name=spec.name if spec else event.counter)
    elif isinstance(event, TicketTransferred):
        extra["from_service"] = event.from_service
    elif isinstance(event, TicketCancelled):
        extra.update(reason=event.reason, node=event.node)
    return payloads.TicketEvent(
        event.kind.removeprefix("ticket_"),
        ticket_id,
        number_of(ticket_id),
        getattr(event, "service", None),
        getattr(event, "counter", None),
        event.at,
        extra,
    ).to_payload()


def office_config(office: Office, hub: str = "hub") -> dict[str, Any]:
    """The retained `config`. `hub` is the hub's node id: nodes believe only the status
    published on that node's topic (common/presence.py)."""
    services = tuple(
        payloads.Service(
            s.id, s.name, s.prefix, s.standard_wait_minutes, s.standard_service_minutes
        )
        for s in office.services
    )
    counters = tuple(payloads.Counter(c.id, c.name, tuple(c.services)) for c in office.counters)
    officers = tuple(payloads.Officer(o.id, o.name) for o in office.officers)
    return payloads.OfficeConfig(
        office.id, office.name, hub, services, counters, officers
    ).to_payload()


def survey_data(queue: Queue, ticket_id: str, kind: str) -> dict[str, Any]:
    """The `data` of a survey response: which ticket was rated, and how."""
    ticket = queue.ticket(ticket_id)
    number = ticket.number if ticket else number_of(ticket_id)
    return {"ticket_id": ticket_id, "number": number, "survey": kind}


def region_state(queue: Queue, now: datetime, offline: Collection[str]) -> dict[str, Any]:
    """The live snapshot the uplink sends the region (`state`, nodes/hub/uplink.py): the
    office open or not, its counters, each service's line and longest wait against its
    standard, and the registered devices that are offline. The SKM index is left to the
    region, which has the surveys (null here)."""
    office = queue.office
    services: list[dict[str, Any]] = []
    for spec in office.services:
        line = queue.waiting(spec.id)
        oldest = min((t.issued_at for t in line), default=None)
        standard = spec.standard_wait_minutes
        services.append(
            {
                "id": spec.id,
                "name": spec.name,
                "letter": spec.prefix,
                "waiting": len(line),
                "longest_wait_s": _waited(now, oldest),
                "standard_minutes": round(standard) if standard is not None else None,
                "open": queue.service_open(spec.id, now),
            }
        )
    counters = [
        {"id": c.id, "name": c.name, "state": queue.counters[c.id].status} for c in office.counters
    ]
    return {
        "v": 1,
        "at": iso(now),
        "office": {"name": office.name},
        "open": any(s["open"] for s in services),
        "counters": counters,
        "services": services,
        "waiting": sum(int(s["waiting"]) for s in services),
        "longest_wait_s": max((int(s["longest_wait_s"]) for s in services), default=0),
        "devices_offline": sorted(offline),
        "skm": None,
    }


def _waited(now: datetime, since: datetime | None) -> int:
    return max(0, int((now - since).total_seconds())) if since is not None else 0
