"""What the hub publishes (MQTT-API.md, *State* and *Events*), one typed class per payload.

Each class has `to_payload()`, the exact JSON object of the contract, and a strict
`from_payload()`: a field missing or of the wrong type raises `WireError`; nothing is
guessed or filled in. Most classes are read and written field by field, in order, each
field's reader in its annotation. The hub builds these (nodes/hub/views.py); every node
decodes them with the same classes, through a `PayloadGate`, which refuses, logs (once a
minute per topic) and counts a payload that does not decode, so the node keeps its view.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Annotated, Any, Final, Literal, Self, TypeVar, get_type_hints

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
MAX_AGENCY: Final = 80
TICKET_EVENTS: Final = tuple(
    ["issued", "called", "started", "finished", "skipped", "transferred", "cancelled", "expired"]
)
#: The fields an `event/ticket` carries beyond the common ones, by event, with their types.
TICKET_EVENT_EXTRAS: Final[dict[str, dict[str, Any]]] = {
    "issued": {"priority": bool, "node": str | None, "online": bool},
    "called": {"recall": int, "counter_name": str},
    "transferred": {"from_service": str},
    "cancelled": {"reason": str | None, "node": str | None},
}
CounterStatus = Literal["open", "paused", "closed"]
Scalar = str | int | float | bool | None
Reader = Callable[[Any], Any]  # a field's value as it is, or ValueError

# --- field readers ----------------------------------------------------------------------------


def _check(test: Callable[[Any], bool]) -> Reader:
    def read(value: Any) -> Any:
        if not test(value):
            raise ValueError
        return value

    return read


def _pattern(pattern: re.Pattern[str]) -> Reader:
    return _check(lambda v: isinstance(v, str) and pattern.match(v) is not None)


def _time(value: Any) -> datetime:
    moment = parse_iso(value)
    if moment is None:
        raise ValueError
    return moment


def _or_null(read: Reader) -> Reader:
    return lambda value: None if value is None else read(value)


def _optional(read: Reader) -> Reader:
    """A field added to the contract later: a payload without it (from an older hub) reads
    as the field's default. Written always."""

    def optional(value: Any) -> Any:
        return read(value)

    optional.optional = True  # type: ignore[attr-defined]
    return optional


def _list_of(read: Reader) -> Reader:
    return lambda value: tuple(read(v) for v in _check(lambda v: isinstance(v, list))(value))


_ID, _PREFIX, _NUMBER, _TICKET_ID = map(
    _pattern, (ID_PATTERN, PREFIX_PATTERN, NUMBER_PATTERN, TICKET_ID_PATTERN)
)
_TEXT = _check(lambda v: isinstance(v, str) and len(v) <= MAX_TEXT)
_COUNT = _check(lambda v: type(v) is int and v >= 0)
_SECONDS = _check(lambda v: type(v) in (int, float) and v >= 0)
_FLAG = _check(lambda v: isinstance(v, bool))
_AGENCY = _check(lambda v: isinstance(v, str) and bool(v.strip()) and len(v) <= MAX_AGENCY)
_MINUTES = _or_null(_check(lambda v: type(v) in (int, float) and 0 < v <= 600))


def _bad(key: str) -> WireError:
    return WireError("bad_request", f"Kolom '{key}' tidak valid.")


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(key)
    return value


class _Payload:
    """Written and read field by field, in declaration order: datetimes as contract times,
    tuples as lists, nested payloads as objects. Fields without a reader are the class's own."""

    def to_payload(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name, _read in _readers(type(self))}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        values = {}
        for name, read in _readers(cls):
            if name not in _mapping(payload, cls.__name__):
                if getattr(read, "optional", False):
                    continue
                raise _bad(name)
            try:
                values[name] = read(payload[name])
            except ValueError:
                raise _bad(name) from None
        return cls(**values)


_READERS: dict[type, tuple[tuple[str, Reader], ...]] = {}


def _readers(cls: type) -> tuple[tuple[str, Reader], ...]:
    """(field, reader) of each field annotated with one; worked out once per class."""
    if cls not in _READERS:
        hints = get_type_hints(cls, globals(), include_extras=True)
        _READERS[cls] = tuple(
            (f.name, hints[f.name].__metadata__[0])
            for f in fields(cls)
            if hasattr(hints[f.name], "__metadata__")
        )
    return _READERS[cls]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, _Payload):
        return value.to_payload()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# --- config ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service(_Payload):
    id: Annotated[str, _ID]
    name: Annotated[str, _TEXT]
    prefix: Annotated[str, _PREFIX]
    #: The published service standard (PermenPAN-RB 15/2014), minutes; null: none set.
    standard_wait_minutes: Annotated[float | None, _optional(_MINUTES)] = None
    standard_service_minutes: Annotated[float | None, _optional(_MINUTES)] = None
    #: The agency that gives the service, in an office of several (a Mal Pelayanan
    #: Publik); null: the office's own. The touch kiosk groups its tiles by it.
    agency: Annotated[str | None, _optional(_or_null(_AGENCY))] = None


@dataclass(frozen=True)
class Counter(_Payload):
    id: Annotated[str, _ID]
    name: Annotated[str, _TEXT]
    services: Annotated[tuple[str, ...], _list_of(_ID)]


@dataclass(frozen=True)
class Officer(_Payload):
    """An officer who may sign in at a counter (never the PIN or its hash)."""

    id: Annotated[str, _ID]
    name: Annotated[str, _TEXT]


@dataclass(frozen=True)
class OfficeConfig(_Payload):
    """The retained `config`: the office (`id`, `name` nested under "office" on the wire),
    the hub's node id, its services and counters."""

    id: Annotated[str, _ID]
    name: Annotated[str, _TEXT]
    hub: Annotated[str, _ID]
    services: Annotated[tuple[Service, ...], _list_of(Service.from_payload)]
    counters: Annotated[tuple[Counter, ...], _list_of(Counter.from_payload)]
    officers: Annotated[tuple[Officer, ...], _optional(_list_of(Officer.from_payload))] = ()

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> Counter | None:
        return next((c for c in self.counters if c.id == counter_id), None)

    def to_payload(self) -> dict[str, Any]:
        payload = super().to_payload()
        return {"office": {"id": payload.pop("id"), "name": payload.pop("name")}, **payload}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        office = _mapping(_mapping(payload, "config").get("office"), "office")
        return super().from_payload({**payload, "id": office.get("id"), "name": office.get("name")})


# --- state/queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceQueue(_Payload):
    """One service's entry of `state/queue` (the entry's key on the wire is `id`)."""

    id: Annotated[str, _ID]
    name: Annotated[str, _TEXT]
    prefix: Annotated[str, _PREFIX]
    waiting: Annotated[int, _COUNT] = 0
    last_issued: Annotated[str | None, _or_null(_NUMBER)] = None
    last_called: Annotated[str | None, _or_null(_NUMBER)] = None
    estimated_wait_s: Annotated[float | None, _or_null(_SECONDS)] = None  # a ticket taken now
    open: Annotated[bool, _FLAG] = True  # new tickets accepted now
    #: Today so far: the mean wait (issue to first call) of the tickets called, and the
    #: mean service time (call to finish) of those finished; null before the first one.
    average_wait_s: Annotated[float | None, _optional(_or_null(_SECONDS))] = None
    average_service_s: Annotated[float | None, _optional(_or_null(_SECONDS))] = None

    def to_payload(self) -> dict[str, Any]:
        payload = super().to_payload()
        del payload["id"]
        return payload


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
                ServiceQueue.from_payload({**_mapping(entry, sid), "id": sid})
                for sid, entry in payload.items()
            )
        )


# --- state/counter ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterTicket(_Payload):
    """The ticket a counter has called or is serving."""

    ticket_id: Annotated[str, _TICKET_ID]
    number: Annotated[str, _NUMBER]
    service: Annotated[str, _ID]
    state: Annotated[Literal["called", "serving"], _check(lambda v: v in ("called", "serving"))]
    called_at: Annotated[datetime, _time]


@dataclass(frozen=True)
class CounterState(_Payload):
    """`state/counter/{id}`, also the `data` of a counter response."""

    counter: Annotated[str, _ID]
    name: Annotated[str, _TEXT]
    status: Annotated[CounterStatus, _check(lambda v: v in ("open", "paused", "closed"))]
    ticket: Annotated[CounterTicket | None, _or_null(CounterTicket.from_payload)] = None
    waiting: Annotated[int, _COUNT] = 0  # tickets waiting in the counter's services
    #: The officer signed in at the counter (issue 18): code and name, or null.
    officer: Annotated[str | None, _optional(_or_null(_ID))] = None
    officer_name: Annotated[str | None, _optional(_or_null(_TEXT))] = None

    @property
    def number(self) -> str | None:
        return self.ticket.number if self.ticket else None


# --- state/calls and event/call ---------------------------------------------------------------


@dataclass(frozen=True)
class Call(_Payload):
    """One call (or recall) of a ticket to a counter: an `event/call`, or one of `state/calls`."""

    ticket_id: Annotated[str, _TICKET_ID]
    number: Annotated[str, _NUMBER]
    service: Annotated[str, _ID]
    counter: Annotated[str, _ID]
    counter_name: Annotated[str, _TEXT]
    recall: Annotated[int, _COUNT]  # 0 for the first call
    called_at: Annotated[datetime, _time]
    officer: Annotated[str | None, _optional(_or_null(_ID))] = None  # who called (issue 18)

    @property
    def key(self) -> tuple[str, int, str]:
        """Identifies this call among redeliveries: the same ticket, recall count and time."""
        return (self.ticket_id, self.recall, iso(self.called_at))

    def age_s(self, now: datetime) -> float:
        """Seconds since the hub made the call."""
        return (now - self.called_at).total_seconds()


@dataclass(frozen=True)
class Calls(_Payload):
    """The retained `state/calls`, newest first."""

    calls: Annotated[tuple[Call, ...], _list_of(Call.from_payload)]


# --- event/ticket -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketEvent(_Payload):
    """One `event/ticket`, with the extra fields `TICKET_EVENT_EXTRAS` names for its event
    (present, possibly null, exactly then)."""

    event: Annotated[str, _check(lambda v: v in TICKET_EVENTS)]
    ticket_id: Annotated[str, _TICKET_ID]
    number: Annotated[str, _NUMBER]
    service: Annotated[str | None, _or_null(_ID)]
    counter: Annotated[str | None, _or_null(_ID)]
    at: Annotated[datetime, _time]
    extra: Mapping[str, Scalar] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        extras = TICKET_EVENT_EXTRAS.get(self.event, {})
        return {**super().to_payload(), **{key: self.extra[key] for key in extras}}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        event = super().from_payload(payload)
        extras = TICKET_EVENT_EXTRAS.get(event.event, {})
        for key, kind in extras.items():
            if key not in payload or not isinstance(payload[key], kind):
                raise _bad(key)
        return replace(event, extra={key: payload[key] for key in extras})


# --- node status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeStatus(_Payload):
    """`node/{id}/status`: `online`, `role`, `version` (absent from a hand-made Last Will)
    and the node's own health fields, each a JSON scalar (e.g. `"printer": "paper_low"`)."""

    online: Annotated[bool, _FLAG]
    role: Annotated[str, _ID]
    version: str | None = None
    details: Mapping[str, Scalar] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        version = {} if self.version is None else {"version": self.version}
        return {**super().to_payload(), **version, **self.details}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        details = {k: v for k, v in payload.items() if k not in ("online", "role", "version")}
        if not isinstance(payload.get("version"), str | None):
            raise _bad("version")
        if not all(isinstance(v, Scalar) and len(str(v)) <= MAX_TEXT for v in details.values()):
            raise _bad("details")
        status = super().from_payload(payload)
        return replace(status, version=payload.get("version"), details=details)


@dataclass(frozen=True)
class UpdateNode:
    node: str
    state: str
    detail: str | None = None


UPDATE_STATES: Final = ("running", "done", "stopped")
UPDATE_NODE_STATES: Final = ("waiting", "updating", "updated", "skipped", "failed")


@dataclass(frozen=True)
class UpdateState:
    """`state/update`: the office rollout's progress (nodes/update/rollout.py builds it)."""

    rollout: str
    version: str
    state: str
    current: str | None
    reason: str | None
    nodes: tuple[UpdateNode, ...]

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        def text(value: Any, key: str, optional: bool = False) -> Any:
            if (value is None and optional) or (isinstance(value, str) and len(value) <= 400):
                return value
            raise _bad(key)

        if payload.get("state") not in UPDATE_STATES:
            raise _bad("state")
        rows = payload.get("nodes")
        if not isinstance(rows, list) or len(rows) > 500:
            raise _bad("nodes")
        nodes = []
        for row in rows:
            if not isinstance(row, Mapping) or row.get("state") not in UPDATE_NODE_STATES:
                raise _bad("nodes")
            nodes.append(UpdateNode(text(row.get("node"), "node"), row["state"],
                                    text(row.get("detail"), "detail", True)))  # fmt: skip
        return cls(
            rollout=text(payload.get("rollout"), "rollout"),
            version=text(payload.get("version"), "version"),
            state=payload["state"],
            current=text(payload.get("current"), "current", True),
            reason=text(payload.get("reason"), "reason", True),
            nodes=tuple(nodes),
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
