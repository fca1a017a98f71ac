"""The queue's vocabulary: the commands it takes, the events it emits, and the rows of the
hub's event log they become (`to_row` / `from_row`, exact round trip; `Logged` is an event
read back with its place in the log).

Commands and events are frozen dataclasses; the rules that turn one into the other are in
`nodes/hub/queue.py`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple, get_args

# --- commands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueTicket:
    service: str
    priority: bool
    node: str
    online: bool = False


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: str  # a ticket id, or a number of today ("A-012")
    reason: str
    node: str


@dataclass(frozen=True)
class CounterCommand:
    counter: str
    action: str  # one of common.wire.COUNTER_ACTIONS
    ticket: str | None = None  # call_ticket: a number ("A-012") or a ticket id
    service: str | None = None  # transfer: the target service
    officer: str | None = None  # sign_in: the officer (the hub has checked the PIN)


@dataclass(frozen=True)
class SetServiceAccepting:
    service: str
    accepting: bool


@dataclass(frozen=True)
class ExpireOpenTickets:
    """Expire every non-final ticket whose day is before the local day of `now`."""


@dataclass(frozen=True)
class RateTicket:
    """A citizen rates a finished ticket (PermenPAN-RB 14/2017's SKM, `survey.py`): the nine
    `answers` U1..U9 from the web, or one quick `score` from the counter's keypad."""

    ticket_id: str
    node: str
    answers: Mapping[str, int] | None = None
    comment: str = ""
    score: int | None = None


Command = (
    IssueTicket
    | CancelTicket
    | CounterCommand
    | SetServiceAccepting
    | ExpireOpenTickets
    | RateTicket
)


# --- events (one per kind of the hub's event log) -----------------------------------------
# `day` is the local day of the ticket for ticket events (so a day's report reads one day)
# and the local day the change happened for counter_status and service_status.


@dataclass(frozen=True)
class _Stamped:
    """When an event happened, and the day it belongs to."""

    at: datetime
    day: date


@dataclass(frozen=True)
class _OfTicket(_Stamped):
    ticket_id: str
    service: str


@dataclass(frozen=True)
class _AtCounter(_OfTicket):
    """The shape of the ticket events that a counter causes and nothing else describes."""

    counter: str


@dataclass(frozen=True)
class TicketIssued(_OfTicket):
    kind: ClassVar[str] = "ticket_issued"
    number: str
    seq: int
    priority: bool
    node: str
    online: bool = False


@dataclass(frozen=True)
class TicketCalled(_AtCounter):
    kind: ClassVar[str] = "ticket_called"
    number: str
    recall: int  # 0 = first call
    officer: str | None = None  # the officer signed in at the counter, if any


@dataclass(frozen=True)
class TicketStarted(_AtCounter):
    kind: ClassVar[str] = "ticket_started"


@dataclass(frozen=True)
class TicketFinished(_AtCounter):
    kind: ClassVar[str] = "ticket_finished"


@dataclass(frozen=True)
class TicketSkipped(_AtCounter):
    kind: ClassVar[str] = "ticket_skipped"


@dataclass(frozen=True)
class TicketTransferred(_AtCounter):
    """`service` is the new service."""

    kind: ClassVar[str] = "ticket_transferred"
    from_service: str


@dataclass(frozen=True)
class TicketCancelled(_OfTicket):
    kind: ClassVar[str] = "ticket_cancelled"
    reason: str
    node: str


@dataclass(frozen=True)
class TicketExpired(_OfTicket):
    kind: ClassVar[str] = "ticket_expired"


@dataclass(frozen=True)
class CounterStatusChanged(_Stamped):
    kind: ClassVar[str] = "counter_status"
    counter: str
    status: str  # CounterStatus


@dataclass(frozen=True)
class ServiceStatusChanged(_Stamped):
    kind: ClassVar[str] = "service_status"
    service: str
    accepting: bool


# Survey events carry the ticket's day (its report's day), the service it was finished in and
# the counter that finished it, so every SKM figure is grouped without reading the ticket.


@dataclass(frozen=True)
class SurveyAnswered(_AtCounter):
    """The SKM questionnaire (nine elements, each 1..4), answered once per ticket."""

    kind: ClassVar[str] = "survey_answered"
    node: str
    answers: dict[str, int]  # "U1".."U9" -> 1..4
    comment: str = ""


@dataclass(frozen=True)
class QuickScored(_AtCounter):
    """The counter's one-question satisfaction score (1..4), once per ticket; not the IKM."""

    kind: ClassVar[str] = "quick_scored"
    node: str
    score: int


@dataclass(frozen=True)
class _OfficerAt(_Stamped):
    counter: str
    officer: str


@dataclass(frozen=True)
class OfficerSignedIn(_OfficerAt):
    """An officer signed in at a counter (keypad code and PIN, checked by the hub)."""

    kind: ClassVar[str] = "officer_signed_in"


@dataclass(frozen=True)
class OfficerSignedOut(_OfficerAt):
    """An officer left a counter: signed out, or signed in at another counter."""

    kind: ClassVar[str] = "officer_signed_out"


Event = (
    TicketIssued
    | TicketCalled
    | TicketStarted
    | TicketFinished
    | TicketSkipped
    | TicketTransferred
    | TicketCancelled
    | TicketExpired
    | CounterStatusChanged
    | ServiceStatusChanged
    | SurveyAnswered
    | QuickScored
    | OfficerSignedIn
    | OfficerSignedOut
)
EVENT_TYPES: dict[str, type[Event]] = {cls.kind: cls for cls in get_args(Event)}
_COLUMNS = ("ticket_id", "service", "counter")
_FIELD_NAMES = {kind: frozenset(f.name for f in fields(cls)) for kind, cls in EVENT_TYPES.items()}
#: Per kind, the fields that default to None: left out of the row while None.
_OPTIONAL = {
    kind: tuple(f.name for f in fields(cls) if f.default is None and f.name not in _COLUMNS)
    for kind, cls in EVENT_TYPES.items()
}


class EventRow(NamedTuple):
    """An event as a row of the `events` table (without `seq`, which the store assigns)."""

    kind: str
    at: str
    day: str
    ticket_id: str | None
    service: str | None
    counter: str | None
    data: dict[str, Any]

    @property
    def data_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class Logged(NamedTuple):
    """An event as the log holds it: its place in the log (`seq`) and the event."""

    seq: int
    event: Event


def to_row(event: Event) -> EventRow:
    """The event-log row of an event; `from_row(to_row(e)) == e`."""
    values = {f.name: getattr(event, f.name) for f in fields(event)}
    at: datetime = values.pop("at")
    day: date = values.pop("day")
    columns = {name: values.pop(name, None) for name in _COLUMNS}
    for name in _OPTIONAL[event.kind]:  # added later: an old row and a new one read alike
        if values.get(name, 0) is None:
            del values[name]
    return EventRow(
        kind=event.kind,
        # Full precision (not common.wire.iso): the order of tickets issued in the same
        # second must survive a restart.
        at=at.isoformat(),
        day=day.isoformat(),
        ticket_id=columns["ticket_id"],
        service=columns["service"],
        counter=columns["counter"],
        data=values,
    )


def from_row(
    kind: str,
    at: str,
    day: str,
    ticket_id: str | None,
    service: str | None,
    counter: str | None,
    data: Mapping[str, Any] | str,
) -> Event:
    """The event of an event-log row; `data` may be the JSON text or the decoded object."""
    try:
        cls, (has_ticket, has_service, has_counter) = _DECODING[kind]
    except KeyError:
        raise ValueError(f"unknown event kind {kind!r}") from None
    # Written for speed: a month's report decodes some 170,000 rows.
    values: dict[str, Any] = _json(data) if isinstance(data, str) else dict(data)
    if has_ticket:
        values["ticket_id"] = ticket_id
    if has_service:
        values["service"] = service
    if has_counter:
        values["counter"] = counter
    return cls(at=datetime.fromisoformat(at), day=_date(day), **values)


_json = json.JSONDecoder().decode
_date = lru_cache(maxsize=1024)(date.fromisoformat)
#: Per kind: its class, and which of the columns (ticket_id, service, counter) it has.
_DECODING = {
    kind: (cls, tuple(name in _FIELD_NAMES[kind] for name in _COLUMNS))
    for kind, cls in EVENT_TYPES.items()
}
