"""What the hub publishes (MQTT-API.md, *State* and *Events*), one typed class per payload.

Each class has `to_payload()`, the exact JSON object of the contract, and a strict
`from_payload()`: a field missing or of the wrong type raises `WireError`; nothing is
guessed or filled in. The hub builds these (nodes/hub/views.py); every node decodes them
with the same classes, through a `PayloadGate`, which refuses, logs (once a minute per
topic) and counts a payload that does not decode, so the node keeps its previous view.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, TypeVar

from common.repeats import RepeatedWarning
from common.wire import (
    ID_PATTERN,
    NUMBER_PATTERN,
    TICKET_ID_PATTERN,
    WireError,
    decode_object,
    iso,
    parse_iso,
)

PREFIX_PATTERN: Final = re.compile(r"^[A-Za-z0-9]{1,8}$")
MAX_TEXT: Final = 200
COUNTER_STATUSES: Final = ("open", "paused", "closed")
#: A counter's current ticket is called or being served; otherwise it has none.
COUNTER_TICKET_STATES: Final = ("called", "serving")
TICKET_EVENTS: Final = (
    "issued",
    "called",
    "started",
    "finished",
    "skipped",
    "transferred",
    "cancelled",
    "expired",
)
#: The fields an `event/ticket` carries beyond the common ones, by event.
TICKET_EVENT_EXTRAS: Final[dict[str, tuple[str, ...]]] = {
    "issued": ("priority", "node", "online"),
    "called": ("recall", "counter_name"),
    "transferred": ("from_service",),
    "cancelled": ("reason", "node"),
}
_EXTRA_TYPES: Final[dict[str, Any]] = {
    "priority": bool,
    "online": bool,
    "recall": int,
    "counter_name": str,
    "from_service": str,
    "node": str | None,
    "reason": str | None,
}
CounterStatus = Literal["open", "paused", "closed"]
Scalar = str | int | float | bool | None

# --- field readers: each refuses what the contract does not allow ---------------------------


def _bad(key: str) -> WireError:
    return WireError("bad_request", f"Kolom '{key}' tidak valid.")


def _object(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(key)
    return value


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(key)
    return value


def _objects(payload: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [_object(item, key) for item in _list(payload.get(key), key)]


def _ids(payload: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = _list(payload.get(key), key)
    if not all(isinstance(v, str) and ID_PATTERN.match(v) for v in values):
        raise _bad(key)
    return tuple(values)


def _match(payload: Mapping[str, Any], key: str, pattern: re.Pattern[str]) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        raise _bad(key)
    return value


def _id(payload: Mapping[str, Any], key: str) -> str:
    return _match(payload, key, ID_PATTERN)


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _bad(key)
    return value


def _optional(payload: Mapping[str, Any], key: str, read: Callable[..., Any]) -> Any:
    """`read(payload, key)` when the field is not null; it must be present either way."""
    if key not in payload:
        raise _bad(key)
    return None if payload[key] is None else read(payload, key)


def _count(payload: Mapping[str, Any], key: str) -> int:
    value = payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(key)
    return value


def _seconds(payload: Mapping[str, Any], key: str) -> float:
    value = payload.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise _bad(key)
    return value


def _bool(payload: Mapping[str, Any], key: str) -> bool:
    value = payload.get(key)
    if not isinstance(value, bool):
        raise _bad(key)
    return value


def _time(payload: Mapping[str, Any], key: str) -> datetime:
    moment = parse_iso(payload.get(key))
    if moment is None:
        raise _bad(key)
    return moment


def _number(payload: Mapping[str, Any], key: str) -> str:
    return _match(payload, key, NUMBER_PATTERN)


def _choice(payload: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> Any:
    if payload.get(key) not in allowed:
        raise _bad(key)
    return payload[key]


# --- config ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    prefix: str


@dataclass(frozen=True)
class Counter:
    id: str
    name: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class OfficeConfig:
    """The retained `config`: the office, the hub's node id, its services and counters."""

    id: str
    name: str
    hub: str
    services: tuple[Service, ...]
    counters: tuple[Counter, ...]

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> Counter | None:
        return next((c for c in self.counters if c.id == counter_id), None)

    def to_payload(self) -> dict[str, Any]:
        return {
            "office": {"id": self.id, "name": self.name},
            "hub": self.hub,
            "services": [{"id": s.id, "name": s.name, "prefix": s.prefix} for s in self.services],
            "counters": [
                {"id": c.id, "name": c.name, "services": list(c.services)} for c in self.counters
            ],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> OfficeConfig:
        office = _object(payload.get("office"), "office")
        services = tuple(
            Service(_id(s, "id"), _text(s, "name"), _match(s, "prefix", PREFIX_PATTERN))
            for s in _objects(payload, "services")
        )
        counters = tuple(
            Counter(_id(c, "id"), _text(c, "name"), _ids(c, "services"))
            for c in _objects(payload, "counters")
        )
        return cls(
            _id(office, "id"), _text(office, "name"), _id(payload, "hub"), services, counters
        )


# --- state/queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceQueue:
    """One service's entry of `state/queue` (keyed by `id` on the wire)."""

    id: str
    name: str
    prefix: str
    waiting: int = 0
    last_issued: str | None = None
    last_called: str | None = None
    estimated_wait_s: float | None = None  # for a ticket taken now
    open: bool = True  # new tickets accepted now

    def to_payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "prefix": self.prefix,
            "waiting": self.waiting,
            "last_issued": self.last_issued,
            "last_called": self.last_called,
            "estimated_wait_s": self.estimated_wait_s,
            "open": self.open,
        }

    @classmethod
    def from_payload(cls, service_id: str, payload: Mapping[str, Any]) -> ServiceQueue:
        if not ID_PATTERN.match(service_id):
            raise WireError("bad_request", "Layanan tidak valid.")
        return cls(
            id=service_id,
            name=_text(payload, "name"),
            prefix=_match(payload, "prefix", PREFIX_PATTERN),
            waiting=_count(payload, "waiting"),
            last_issued=_optional(payload, "last_issued", _number),
            last_called=_optional(payload, "last_called", _number),
            estimated_wait_s=_optional(payload, "estimated_wait_s", _seconds),
            open=_bool(payload, "open"),
        )


@dataclass(frozen=True)
class QueueState:
    """The retained `state/queue`: an object keyed by service id."""

    services: tuple[ServiceQueue, ...]

    def to_payload(self) -> dict[str, Any]:
        return {s.id: s.to_payload() for s in self.services}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> QueueState:
        return cls(
            tuple(
                ServiceQueue.from_payload(sid, _object(entry, sid))
                for sid, entry in payload.items()
            )
        )


# --- state/counter ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterTicket:
    """The ticket a counter has called or is serving."""

    ticket_id: str
    number: str
    service: str
    state: Literal["called", "serving"]
    called_at: datetime

    def to_payload(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "number": self.number,
            "service": self.service,
            "state": self.state,
            "called_at": iso(self.called_at),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CounterTicket:
        return cls(
            _match(payload, "ticket_id", TICKET_ID_PATTERN),
            _number(payload, "number"),
            _id(payload, "service"),
            _choice(payload, "state", COUNTER_TICKET_STATES),
            _time(payload, "called_at"),
        )


@dataclass(frozen=True)
class CounterState:
    """`state/counter/{id}`, also the `data` of a counter response."""

    counter: str
    name: str
    status: CounterStatus
    ticket: CounterTicket | None = None
    waiting: int = 0  # tickets waiting in the counter's services

    @property
    def number(self) -> str | None:
        return self.ticket.number if self.ticket else None

    def to_payload(self) -> dict[str, Any]:
        return {
            "counter": self.counter,
            "name": self.name,
            "status": self.status,
            "ticket": self.ticket.to_payload() if self.ticket else None,
            "waiting": self.waiting,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CounterState:
        ticket = _optional(
            payload, "ticket", lambda p, k: CounterTicket.from_payload(_object(p[k], k))
        )
        return cls(
            _id(payload, "counter"),
            _text(payload, "name"),
            _choice(payload, "status", COUNTER_STATUSES),
            ticket,
            _count(payload, "waiting"),
        )


# --- state/calls and event/call ---------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call (or recall) of a ticket to a counter: an `event/call`, or one of `state/calls`."""

    ticket_id: str
    number: str
    service: str
    counter: str
    counter_name: str
    recall: int  # 0 for the first call
    called_at: datetime

    @property
    def key(self) -> tuple[str, int, str]:
        """Identifies this call among redeliveries: the same ticket, recall count and time."""
        return (self.ticket_id, self.recall, iso(self.called_at))

    def age_s(self, now: datetime) -> float:
        """Seconds since the hub made the call."""
        return (now - self.called_at).total_seconds()

    def to_payload(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "number": self.number,
            "service": self.service,
            "counter": self.counter,
            "counter_name": self.counter_name,
            "recall": self.recall,
            "called_at": iso(self.called_at),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Call:
        return cls(
            _match(payload, "ticket_id", TICKET_ID_PATTERN),
            _number(payload, "number"),
            _id(payload, "service"),
            _id(payload, "counter"),
            _text(payload, "counter_name"),
            _count(payload, "recall"),
            _time(payload, "called_at"),
        )


@dataclass(frozen=True)
class Calls:
    """The retained `state/calls`, newest first."""

    calls: tuple[Call, ...]

    def to_payload(self) -> dict[str, Any]:
        return {"calls": [c.to_payload() for c in self.calls]}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Calls:
        items = _list(payload.get("calls"), "calls")
        return cls(tuple(Call.from_payload(_object(item, "calls")) for item in items))


# --- event/ticket -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketEvent:
    """One `event/ticket`. The extra fields are those `TICKET_EVENT_EXTRAS` names for the
    event, present (possibly null) exactly then."""

    event: str
    ticket_id: str
    number: str
    service: str | None
    counter: str | None
    at: datetime
    extra: Mapping[str, Scalar] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "event": self.event,
            "ticket_id": self.ticket_id,
            "number": self.number,
            "service": self.service,
            "counter": self.counter,
            "at": iso(self.at),
        }
        payload.update((key, self.extra[key]) for key in TICKET_EVENT_EXTRAS.get(self.event, ()))
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> TicketEvent:
        event = _choice(payload, "event", TICKET_EVENTS)
        extra: dict[str, Scalar] = {}
        for key in TICKET_EVENT_EXTRAS.get(event, ()):
            if key not in payload or not isinstance(payload[key], _EXTRA_TYPES[key]):
                raise _bad(key)
            extra[key] = payload[key]
        return cls(
            event,
            _match(payload, "ticket_id", TICKET_ID_PATTERN),
            _number(payload, "number"),
            _optional(payload, "service", _id),
            _optional(payload, "counter", _id),
            _time(payload, "at"),
            extra,
        )


# --- node status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeStatus:
    """`node/{id}/status`: `online`, `role`, `version` (absent from a hand-made Last Will)
    and the node's own health fields, each a JSON scalar (e.g. `"printer": "paper_low"`)."""

    online: bool
    role: str
    version: str | None = None
    details: Mapping[str, Scalar] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"online": self.online, "role": self.role}
        if self.version is not None:
            payload["version"] = self.version
        return {**payload, **self.details}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> NodeStatus:
        details = {k: v for k, v in payload.items() if k not in ("online", "role", "version")}
        for key, value in details.items():
            if not isinstance(value, Scalar) or (isinstance(value, str) and len(value) > MAX_TEXT):
                raise _bad(key)
        return cls(
            _bool(payload, "online"),
            _id(payload, "role"),
            _text(payload, "version") if "version" in payload else None,
            details,
        )


# --- a node's intake --------------------------------------------------------------------------

T = TypeVar("T")


class PayloadGate:
    """Decodes what a node receives. A payload that does not decode is refused: logged at
    most once a minute per topic (with how many more), counted in `refused`, and None
    returned, so the node keeps what it knew. An empty payload (a cleared retained topic)
    is None too, but no refusal."""

    def __init__(self, log: logging.Logger, interval_s: float = 60.0) -> None:
        self.refused = 0
        self._warning = RepeatedWarning(log, interval_s)

    def decode(self, topic: str, raw: bytes, read: Callable[[Mapping[str, Any]], T]) -> T | None:
        if not raw:
            return None
        try:
            return read(decode_object(raw))
        except WireError as exc:
            self.refused += 1
            self._warning.warn(topic, f"refused a payload on {topic}: {exc.message} {raw[:120]!r}")
            return None
