"""The web node's picture of the office, rebuilt from what the hub publishes. Pure.

Theory of operation: the hub owns the queue; this module only mirrors it. Two sources
feed it, and neither needs I/O here:

- the retained MQTT state (`config`, `state/queue`, `state/counter/{id}`, `state/calls`,
  `node/{id}/status`) and the `event/call` stream, applied with `apply_*` as they arrive;
- the hub's event log for one day: the typed events the queue applies, as
  `nodes.hub.eventlog` reads them, folded with `apply_events` into a `TicketRecord` per
  ticket. The log is the only place that says where one particular ticket stands, so a
  ticket's live position ("3 ahead of you") is computed from it, the same way the hub
  orders its queue: priority first, then by the original issue order (a transferred
  ticket keeps its place).

Every change bumps `version`; the live pages send an update when it moves. Views are
plain dicts, ready for JSON (server-sent events) and templates alike. Times come in as
arguments (`now`), never from a clock of our own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from common.payloads import (
    Call,
    Calls,
    Counter,
    CounterState,
    NodeStatus,
    OfficeConfig,
    Officer,
    QueueState,
    Service,
    ServiceQueue,
    UpdateState,
)
from common.wire import iso, parse_iso
from nodes.hub.events import (
    Event,
    Logged,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
)

#: Ticket states as the event log tells them; the first three are still "in the queue".
ACTIVE_STATES: Final = ("waiting", "called", "serving")
FINAL_STATES: Final = ("done", "skipped", "cancelled", "expired")
#: How an event moves a ticket (transfer and issue are handled on their own).
_STATE_AFTER: Final[dict[type[Event], str]] = {
    TicketCalled: "called",
    TicketStarted: "serving",
    TicketFinished: "done",
    TicketSkipped: "skipped",
    TicketCancelled: "cancelled",
    TicketExpired: "expired",
}
RECENT_CALLS: Final = 10


@dataclass
class NodeHealth:
    online: bool
    role: str
    version: str
    last_seen: datetime
    details: dict[str, Any] = field(default_factory=dict)  # printer, paper, ... as sent


@dataclass
class TicketRecord:
    """One ticket of the day, as the event log tells it."""

    ticket_id: str
    number: str
    service: str
    order: int  # the seq of its ticket_issued event: its place, kept across transfers
    issued_at: datetime
    priority: bool = False
    state: str = "waiting"
    counter: str | None = None
    called_at: datetime | None = None
    node: str | None = None
    history: list[tuple[datetime, str]] = field(default_factory=list)


class LiveModel:
    """Everything the public board, the ticket pages and the dashboard show."""

    def __init__(self) -> None:
        self.version = 0
        self.office_name = ""
        self.services: dict[str, Service] = {}
        self.counters: dict[str, Counter] = {}
        self.officers: dict[str, Officer] = {}
        self.queues: dict[str, ServiceQueue] = {}
        self.counter_states: dict[str, CounterState] = {}
        self.calls: list[Call] = []
        self.nodes: dict[str, NodeHealth] = {}
        self.update: UpdateState | None = None  # the last office rollout (state/update)
        self.day: str | None = None  # the local day (YYYY-MM-DD) the tickets belong to
        self.tickets: dict[str, TicketRecord] = {}
        self.last_seq = 0
        self._ahead_cache: tuple[int, dict[str, int]] = (-1, {})

    def _changed(self) -> None:
        self.version += 1

    # --- retained state -----------------------------------------------------------------

    def apply_config(self, config: OfficeConfig) -> None:
        self.office_name = config.name
        self.services = {s.id: s for s in config.services}
        self.counters = {c.id: c for c in config.counters}
        self.officers = {o.id: o for o in config.officers}
        self._changed()

    def apply_update(self, state: UpdateState) -> None:
        self.update = state
        self._changed()

    def apply_queue(self, state: QueueState) -> None:
        self.queues = {s.id: s for s in state.services}
        self._changed()

    def apply_counter(self, state: CounterState) -> None:
        self.counter_states[state.counter] = state
        if state.counter not in self.counters:
            self.counters[state.counter] = Counter(state.counter, state.name, ())
        self._changed()

    def apply_calls(self, calls: Calls) -> None:
        self.calls = list(calls.calls[:RECENT_CALLS])
        self._changed()

    def apply_call_event(self, call: Call) -> None:
        """An `event/call`: shown at once, before the retained `state/calls` catches up."""
        if self.calls and self.calls[0] == call:
            return
        self.calls = [call, *self.calls][:RECENT_CALLS]
        self._changed()

    def apply_node_status(self, node: str, status: NodeStatus, now: datetime) -> None:
        """A node's retained status. `last_seen` is the node's own stamp when it sends one."""
        previous = self.nodes.get(node)
        stamp = parse_iso(status.details.get("since")) or parse_iso(status.details.get("at"))
        details = {k: v for k, v in status.details.items() if k not in ("since", "at")}
        self.nodes[node] = NodeHealth(
            online=status.online,
            role=status.role,
            version=status.version or (previous.version if previous else ""),
            last_seen=stamp or now,
            details=details or (previous.details if previous and not status.online else details),
        )
        self._changed()

    # --- the day's tickets, from the event log --------------------------------------------

    def start_day(self, day: str) -> None:
        """Forget the tickets of another day (the log is read again from the start)."""
        if day != self.day:
            self.day = day
            self.tickets = {}
            self.last_seq = 0
            self._changed()

    def apply_events(self, logged: Iterable[Logged]) -> None:
        """Fold the log's events in order; those already folded (by seq) are passed over."""
        changed = False
        for seq, event in logged:
            if seq > self.last_seq:
                self.last_seq = seq
                changed |= self._fold(seq, event)
        if changed:
            self._changed()

    def _fold(self, seq: int, event: Event) -> bool:
        if isinstance(event, TicketIssued):
            self.tickets[event.ticket_id] = TicketRecord(
                ticket_id=event.ticket_id,
                number=event.number,
                service=event.service,
                order=seq,
                issued_at=event.at,
                priority=event.priority,
                node=event.node,
                history=[(event.at, "waiting")],
            )
            return True
        ticket = self.tickets.get(getattr(event, "ticket_id", ""))
        if ticket is None:
            return False
        if isinstance(event, TicketTransferred):
            ticket.service = event.service
            ticket.state, ticket.counter, ticket.called_at = "waiting", None, None
        elif type(event) in _STATE_AFTER:
            ticket.state = _STATE_AFTER[type(event)]
            if isinstance(event, TicketCalled):
                ticket.counter, ticket.called_at = event.counter, event.at
        else:
            return False
        ticket.history.append((event.at, ticket.state))
        return True

    def ahead_of(self, ticket_id: str) -> int | None:
        """Tickets waiting before this one in its service; None if it is not waiting."""
        version, cache = self._ahead_cache
        if version != self.version:
            cache = self._positions()
            self._ahead_cache = (self.version, cache)
        return cache.get(ticket_id)

    def _positions(self) -> dict[str, int]:
        lines: dict[str, list[TicketRecord]] = {}
        for ticket in self.tickets.values():
            if ticket.state == "waiting":
                lines.setdefault(ticket.service, []).append(ticket)
        positions: dict[str, int] = {}
        for line in lines.values():
            line.sort(key=lambda t: (not t.priority, t.order))
            positions.update((t.ticket_id, i) for i, t in enumerate(line))
        return positions

    def next_numbers(self, service: str, limit: int = 5) -> list[str]:
        """The numbers waiting for this service, in calling order (the first `limit`)."""
        line = [t for t in self.tickets.values() if t.service == service and t.state == "waiting"]
        line.sort(key=lambda t: (not t.priority, t.order))
        return [t.number for t in line[:limit]]

    def longest_wait_s(self, service: str, now: datetime) -> float | None:
        """How long the oldest ticket still waiting for this service has waited."""
        waiting = [
            t.issued_at
            for t in self.tickets.values()
            if t.service == service and t.state == "waiting"
        ]
        return max(0.0, (now - min(waiting)).total_seconds()) if waiting else None

    def estimated_wait_for(self, ticket_id: str) -> float | None:
        """The hub's estimate for its service, scaled to the tickets ahead of this one.

        The hub estimates `mean service time x (ahead + 1) / open counters`; its
        `state/queue` figure is for a ticket taken now, with all `waiting` ahead of it.
        """
        ahead = self.ahead_of(ticket_id)
        ticket = self.tickets.get(ticket_id)
        if ahead is None or ticket is None:
            return None
        queue = self.queues.get(ticket.service)
        if queue is None or queue.estimated_wait_s is None:
            return None
        return queue.estimated_wait_s * (ahead + 1) / (max(queue.waiting, ahead) + 1)

    # --- views -----------------------------------------------------------------------------

    def board(self) -> dict[str, Any]:
        """The public board: each service's queue and the recent calls."""
        services = []
        for service in self.services.values():
            queue = self.queues.get(service.id) or ServiceQueue(service.id, service.name, "")
            services.append(
                {
                    "id": service.id,
                    "name": service.name,
                    "waiting": queue.waiting,
                    "last_called": queue.last_called,
                    "estimated_wait_s": queue.estimated_wait_s,
                    "open": queue.open,
                    "standard_wait_minutes": service.standard_wait_minutes,
                    "average_wait_s": queue.average_wait_s,
                }
            )
        calls = [
            {
                "number": c.number,
                "counter": c.counter,
                "counter_name": c.counter_name,
                "service": c.service,
                "called_at": iso(c.called_at),
            }
            for c in self.calls
        ]
        return {
            "version": self.version,
            "office": self.office_name,
            "services": services,
            "calls": calls,
        }

    def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        """One ticket's live view; None when the log of the day does not know it."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return None
        service = self.services.get(ticket.service)
        counter = self.counters.get(ticket.counter) if ticket.counter else None
        return {
            "version": self.version,
            "ticket_id": ticket.ticket_id,
            "number": ticket.number,
            "service": ticket.service,
            "service_name": service.name if service else ticket.service,
            "state": ticket.state,
            "active": ticket.state in ACTIVE_STATES,
            "ahead": self.ahead_of(ticket_id),
            "estimated_wait_s": self.estimated_wait_for(ticket_id),
            "issued_at": iso(ticket.issued_at),
            "counter": ticket.counter,
            "counter_name": counter.name if counter else ticket.counter,
            "last_called": self.last_called(ticket.service),
            # (time, step): "issued" first, a later "waiting" is a transfer to another service
            "history": [
                (iso(at), "issued" if i == 0 else "transferred" if state == "waiting" else state)
                for i, (at, state) in enumerate(ticket.history)
            ],
        }

    def is_active(self, ticket_id: str) -> bool:
        ticket = self.tickets.get(ticket_id)
        return ticket is not None and ticket.state in ACTIVE_STATES

    def last_called(self, service: str) -> str | None:
        queue = self.queues.get(service)
        return queue.last_called if queue is not None else None

    def service_open(self, service: str) -> bool:
        queue = self.queues.get(service)
        return queue.open if queue is not None else True
