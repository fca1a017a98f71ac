"""The office -> region uplink contract (docs/region.md), decoded: pure, no I/O, no clock.

Topics under the base B: `B/office/OFFICE/events|ack|state|status|rewind`. The office is taken from
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
class Batch:
    """A checked `events` message: `events` are the hub's rows as they came (dicts with
    seq, at, day, kind, ticket_id, service, counter, data), `payload` its bytes."""

    after: int
    events: list[dict[str, Any]]
    payload: bytes

    @property
    def last(self) -> int:
        seq: int = self.events[-1]["seq"]
        return seq


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

    def shared_rewinds(self) -> str:
        """Shared like the events: one instance rewinds an office (idempotent anyway)."""
        return f"$share/{SHARE_GROUP}/{self.base}/office/+/rewind"

    def split(self, topic: str) -> tuple[str, str] | None:
        """(office, leaf) of a topic under the base, or None when it is not one of ours."""
        prefix = f"{self.base}/office/"
        if not topic.startswith(prefix):
            return None
        rest = topic[len(prefix) :].split("/")
        if len(rest) != 2 or not ID_PATTERN.match(rest[0]):
            return None
        return rest[0], rest[1]


_fromisoformat = datetime.fromisoformat
_date = date.fromisoformat
_OPTIONAL = ("ticket_id", "service", "counter")


def _check_event(raw: Any, previous: int, where: str) -> int:
    """The event's seq, if the event is a well-formed row after `previous`. Written for
    speed: the region checks every event of every office."""
    if type(raw) is not dict:
        raise BatchError(f"{where} is not an object")
    seq, at, day, kind = raw.get("seq"), raw.get("at"), raw.get("day"), raw.get("kind")
    if type(seq) is not int or seq <= previous:
        raise BatchError(f"{where}.seq {seq!r} does not follow {previous}")
    if type(at) is not str or type(day) is not str or len(at) > 64 or len(day) != 10:
        raise BatchError(f"{where}: at/day are not ISO dates ({at!r}, {day!r})")
    try:
        if _fromisoformat(at).utcoffset() is None:
            raise BatchError(f"{where}.at has no UTC offset: {at!r}")
        _date(day)
    except ValueError:
        raise BatchError(f"{where}: at/day are not ISO dates ({at!r}, {day!r})") from None
    if type(kind) is not str or not _KIND.match(kind):
        raise BatchError(f"{where}.kind is not an event kind: {kind!r}")
    for name in _OPTIONAL:
        value = raw.get(name)
        if value is not None and (type(value) is not str or not value or len(value) > 200):
            raise BatchError(f"{where}.{name} must be a string or null, not {value!r}")
    if type(raw.get("data", {})) is not dict:
        raise BatchError(f"{where}.data is not an object")
    return seq


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
    after = doc.get("after")
    if type(after) is not int or after < 0:
        raise BatchError(f"after must be an integer >= 0, not {after!r}")
    events = doc.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise BatchError(f"events must be a list of 1 to {MAX_EVENTS} events")
    previous = after
    for index, raw in enumerate(events):
        previous = _check_event(raw, previous, f"events[{index}]")
    return Batch(after, events, payload)


def encode_ack(seq: int, rewound: int | None = None) -> bytes:
    """The ack; `rewound`: the rewind point it answers (the hub waits for that one)."""
    doc: dict[str, int] = {"v": 1, "seq": seq}
    if rewound is not None:
        doc["rewound"] = rewound
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_rewind(payload: bytes) -> int | None:
    """The seq L of a `rewind` message ({"v": 1, "seq": L}, L >= 0), None for anything else:
    a rewind sets events aside, so only an exact one is obeyed."""
    if len(payload) > 1024:
        return None
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("v") != 1:
        return None
    seq = doc.get("seq")
    return seq if type(seq) is int and seq >= 0 else None


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
