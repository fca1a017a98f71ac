"""The office -> region uplink contract (docs/region.md), decoded: pure, no I/O, no clock.

Topics under the base B: `B/office/OFFICE/events|ack|state|status`. The office is taken from
the topic only, which the broker's ACL ties to the account (`%u`); a payload never names it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from common.wire import ID_PATTERN

#: At most this many events in one batch, and this many bytes in one message.
MAX_EVENTS = 500
MAX_BYTES = 1 << 20
SHARE_GROUP = "antrian-region"
_KIND = re.compile(r"^[a-z_]{1,40}$")


class BatchError(ValueError):
    """A payload that breaks the contract; the message says how (for the technician's log)."""


@dataclass(frozen=True)
class Event:
    """One row of an office hub's `events` table, as the hub stored it."""

    seq: int
    at: str
    day: str
    kind: str
    ticket_id: str | None
    service: str | None
    counter: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    after: int
    events: tuple[Event, ...]

    @property
    def last(self) -> int:
        return self.events[-1].seq


@dataclass(frozen=True)
class RegionTopics:
    base: str

    def events(self, office: str) -> str:
        return f"{self.base}/office/{office}/events"

    def ack(self, office: str) -> str:
        return f"{self.base}/office/{office}/ack"

    def state(self, office: str) -> str:
        return f"{self.base}/office/{office}/state"

    def status(self, office: str) -> str:
        return f"{self.base}/office/{office}/status"

    def shared_events(self) -> str:
        return f"$share/{SHARE_GROUP}/{self.base}/office/+/events"

    def split(self, topic: str) -> tuple[str, str] | None:
        """(office, leaf) of a topic under the base, or None when it is not one of ours."""
        prefix = f"{self.base}/office/"
        if not topic.startswith(prefix):
            return None
        rest = topic[len(prefix) :].split("/")
        if len(rest) != 2 or not ID_PATTERN.match(rest[0]):
            return None
        return rest[0], rest[1]


def _int(value: Any, what: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise BatchError(f"{what} must be an integer >= {minimum}, not {value!r}")
    return value


def _text(value: Any, what: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > 200:
        raise BatchError(f"{what} must be a string, not {value!r}")
    return value


def _event(raw: Any, index: int) -> Event:
    if not isinstance(raw, dict):
        raise BatchError(f"events[{index}] is not an object")
    where = f"events[{index}]"
    at = _text(raw.get("at"), f"{where}.at", optional=False)
    day = _text(raw.get("day"), f"{where}.day", optional=False)
    try:
        moment = datetime.fromisoformat(at or "")
        date.fromisoformat(day or "")
    except ValueError:
        raise BatchError(f"{where}: at/day are not ISO dates ({at!r}, {day!r})") from None
    if moment.utcoffset() is None:
        raise BatchError(f"{where}.at has no UTC offset: {at!r}")
    kind = raw.get("kind")
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise BatchError(f"{where}.kind is not an event kind: {kind!r}")
    data = raw.get("data", {})
    if not isinstance(data, dict):
        raise BatchError(f"{where}.data is not an object")
    return Event(
        seq=_int(raw.get("seq"), f"{where}.seq", 1),
        at=at or "",
        day=day or "",
        kind=kind,
        ticket_id=_text(raw.get("ticket_id"), f"{where}.ticket_id"),
        service=_text(raw.get("service"), f"{where}.service"),
        counter=_text(raw.get("counter"), f"{where}.counter"),
        data=data,
    )


def decode_batch(payload: bytes) -> Batch:
    """An `events` message, checked against the contract; BatchError when it breaks it."""
    if len(payload) > MAX_BYTES:
        raise BatchError(f"{len(payload)} bytes, more than {MAX_BYTES}")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise BatchError("not JSON") from None
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise BatchError("not a version 1 object")
    after = _int(doc.get("after"), "after")
    raw = doc.get("events")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_EVENTS:
        raise BatchError(f"events must be a list of 1 to {MAX_EVENTS} events")
    events = tuple(_event(item, i) for i, item in enumerate(raw))
    previous = after
    for event in events:
        if event.seq <= previous:
            raise BatchError(f"seq {event.seq} does not follow {previous}")
        previous = event.seq
    return Batch(after, events)


def encode_ack(seq: int) -> bytes:
    return json.dumps({"v": 1, "seq": seq}, separators=(",", ":")).encode()


def decode_state(payload: bytes) -> dict[str, Any]:
    """A `state` snapshot: any version-1 object (the dashboard reads it field by field)."""
    if len(payload) > MAX_BYTES:
        raise BatchError("state too large")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise BatchError("state is not JSON") from None
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise BatchError("state is not a version 1 object")
    return doc


def decode_status(payload: bytes) -> bool:
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise BatchError("status is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("online"), bool):
        raise BatchError("status has no online flag")
    return bool(doc["online"])
