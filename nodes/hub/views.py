"""What the hub tells the world, as pure functions of the queue: the payloads of
MQTT-API.md (responses, retained state, events). No I/O; the daemon publishes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.wire import iso
from nodes.hub.events import Event, TicketCalled, TicketCancelled, TicketIssued, TicketTransferred
from nodes.hub.office import Office
from nodes.hub.queue import Queue, Rejected, number_of


def ticket_data(queue: Queue, ticket_id: str, now: datetime) -> dict[str, Any]:
    """The `data` of a ticket response: what the kiosk prints and a phone follows."""
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
        "estimated_wait_s": queue.estimated_wait_s(ticket.service, ahead, now) if waiting else None,
        "state": ticket.state,
        "priority": ticket.priority,
    }


def counter_data(queue: Queue, counter_id: str) -> dict[str, Any]:
    """The `data` of a counter response and the retained `state/counter/{id}`."""
    spec = queue.office.counter(counter_id)
    if spec is None:
        raise Rejected("unknown_counter", f"Loket '{counter_id}' tidak dikenal.")
    state = queue.counters[counter_id]
    current = queue.ticket(state.ticket) if state.ticket else None
    return {
        "counter": spec.id,
        "name": spec.name,
        "status": state.status,
        "ticket": None
        if current is None or current.called_at is None
        else {
            "ticket_id": current.ticket_id,
            "number": current.number,
            "service": current.service,
            "state": current.state,
            "called_at": iso(current.called_at),
        },
        "waiting": queue.waiting_for_counter(counter_id),
    }


def queue_state(queue: Queue, now: datetime) -> dict[str, Any]:
    """The retained `state/queue`: per service id, today's line."""
    today = queue.today(now)
    state: dict[str, Any] = {}
    for spec in queue.office.services:
        waiting = queue.waiting_count(spec.id)
        state[spec.id] = {
            "name": spec.name,
            "prefix": spec.prefix,
            "waiting": waiting,
            "last_issued": queue.last_issued(spec.id, today),
            "last_called": queue.last_called(spec.id, today),
            # What a ticket taken now would be told: everyone waiting is ahead of it.
            "estimated_wait_s": queue.estimated_wait_s(spec.id, waiting, now),
            # Taking tickets now: opening hours, the dashboard's switch, and the quota.
            "open": queue.service_open(spec.id, now) and not queue.quota_reached(spec.id, today),
        }
    return state


def _call(queue: Queue, event: TicketCalled) -> dict[str, Any]:
    spec = queue.office.counter(event.counter)
    return {
        "ticket_id": event.ticket_id,
        "number": event.number,
        "service": event.service,
        "counter": event.counter,
        "counter_name": spec.name if spec else event.counter,
        "recall": event.recall,
        "called_at": iso(event.at),
    }


def recent_calls(queue: Queue, limit: int = 10) -> dict[str, Any]:
    """The retained `state/calls`: calls and recalls, newest first."""
    return {"calls": [_call(queue, call) for call in queue.recent_calls[:limit]]}


def call_event(queue: Queue, event: TicketCalled) -> dict[str, Any]:
    """The `event/call` payload that displays announce."""
    return _call(queue, event)


def ticket_event(queue: Queue, event: Event) -> dict[str, Any] | None:
    """The `event/ticket` payload of a ticket event ("ticket_called" -> "called", ...);
    None for counter and service status changes, which are not ticket events."""
    ticket_id = getattr(event, "ticket_id", None)
    if ticket_id is None:
        return None
    payload: dict[str, Any] = {
        "event": event.kind.removeprefix("ticket_"),
        "ticket_id": ticket_id,
        "number": number_of(ticket_id),
        "service": getattr(event, "service", None),
        "counter": getattr(event, "counter", None),
        "at": iso(event.at),
    }
    if isinstance(event, TicketIssued):
        payload.update(priority=event.priority, node=event.node, online=event.online)
    elif isinstance(event, TicketCalled):
        spec = queue.office.counter(event.counter)
        payload.update(recall=event.recall, counter_name=spec.name if spec else event.counter)
    elif isinstance(event, TicketTransferred):
        payload["from_service"] = event.from_service
    elif isinstance(event, TicketCancelled):
        payload.update(reason=event.reason, node=event.node)
    return payload


def office_config(office: Office, hub: str = "hub") -> dict[str, Any]:
    """The retained `config`. `hub` is the hub's node id: nodes believe only the status
    published on that node's topic (common/presence.py)."""
    return {
        "office": {"id": office.id, "name": office.name},
        "hub": hub,
        "services": [{"id": s.id, "name": s.name, "prefix": s.prefix} for s in office.services],
        "counters": [
            {"id": c.id, "name": c.name, "services": list(c.services)} for c in office.counters
        ],
    }
