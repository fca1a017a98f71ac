"""What the waiting-room screen shows, as plain data: the functional core of the display.

`Board` keeps the last known retained state (`config`, `state/queue`, `state/counter/+`,
`state/calls`) and the `event/call`s seen, and `Board.view(now)` turns it into a frozen
`View` that the screen draws. Nothing here does I/O or reads a clock, so tests build a
board from payloads and check the view directly.

Each `apply_*` method takes a decoded JSON payload from the wire and raises `WireError`
for one that does not fit the contract, leaving the board unchanged: a bad message never
blanks the screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from common.bahasa import Lang, clock, duration_minutes_phrase, long_date
from common.presence import HubPresence
from common.wire import NUMBER_PATTERN, WireError, parse_iso

#: How many calls the screen lists below the featured one.
RECENT_SHOWN: Final = 4
#: How many calls the board keeps (more than shown: recalls are listed once).
KEPT_CALLS: Final = 12

LABELS: Final[dict[str, dict[str, str]]] = {
    "id": {
        "number": "NOMOR ANTRIAN",
        "go_to": "SILAKAN MENUJU",
        "counters": "LOKET",
        "services": "LAYANAN",
        "waiting": "MENUNGGU",
        "estimate": "PERKIRAAN",
        "recent": "PANGGILAN SEBELUMNYA",
        "closed": "TUTUP",
        "paused": "ISTIRAHAT",
        "idle": "—",
        "offline": "Terputus dari server",
        "no_call": "Belum ada panggilan",
        "service_closed": "tutup",
    },
    "en": {
        "number": "NOW CALLING",
        "go_to": "PLEASE GO TO",
        "counters": "COUNTERS",
        "services": "SERVICES",
        "waiting": "WAITING",
        "estimate": "EST. WAIT",
        "recent": "PREVIOUS CALLS",
        "closed": "CLOSED",
        "paused": "BREAK",
        "idle": "—",
        "offline": "Offline",
        "no_call": "No calls yet",
        "service_closed": "closed",
    },
}


# --- what arrives on the wire ---------------------------------------------------------------


def _text(payload: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = payload.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > 200:
        raise WireError("bad_request", f"Kolom '{key}' tidak valid.")
    return value


def _count(payload: Mapping[str, Any], key: str) -> int:
    value = payload.get(key, 0)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise WireError("bad_request", f"Kolom '{key}' tidak valid.")
    return value


@dataclass(frozen=True)
class Call:
    """One call (or recall) of a ticket to a counter, from `event/call` or `state/calls`."""

    ticket_id: str
    number: str
    service: str
    counter: str
    counter_name: str
    recall: int
    called_at: datetime | None

    @property
    def key(self) -> tuple[str, int, str]:
        """Identifies this call among redeliveries: the same ticket, recall count and time."""
        return (self.ticket_id, self.recall, self.called_at.isoformat() if self.called_at else "")

    def age_s(self, now: datetime) -> float | None:
        """Seconds since the hub made the call; None when it did not say when."""
        if self.called_at is None:
            return None
        return (now - self.called_at).total_seconds()


def parse_call(payload: Mapping[str, Any]) -> Call:
    """An `event/call` (or one `state/calls` entry); WireError if it breaks the contract."""
    counter = _text(payload, "counter")
    number = _text(payload, "number")
    if not NUMBER_PATTERN.match(number):
        raise WireError("bad_request", "Kolom 'number' tidak valid.")
    return Call(
        ticket_id=_text(payload, "ticket_id", required=False) or _text(payload, "number"),
        number=number,
        service=_text(payload, "service", required=False),
        counter=counter,
        counter_name=_text(payload, "counter_name", required=False) or counter,
        recall=_count(payload, "recall"),
        called_at=parse_iso(payload.get("called_at")),
    )


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    prefix: str
    waiting: int = 0
    estimated_wait_s: float | None = None
    open: bool = True


@dataclass(frozen=True)
class CounterInfo:
    id: str
    name: str
    status: str = "open"
    number: str | None = None  # the ticket called or being served, if any


# --- what the screen draws ------------------------------------------------------------------


@dataclass(frozen=True)
class Featured:
    """The big number: the call being announced, else the newest call."""

    number: str
    counter_name: str
    service_name: str
    highlighted: bool


@dataclass(frozen=True)
class CounterRow:
    name: str
    number: str
    note: str  # "" when open; "ISTIRAHAT"/"TUTUP" otherwise
    active: bool  # the counter of the featured call, drawn emphasised


@dataclass(frozen=True)
class ServiceRow:
    prefix: str
    name: str
    waiting: int
    wait_text: str  # "± 15 menit", or "tutup" for a closed service
    open: bool


@dataclass(frozen=True)
class RecentCall:
    number: str
    counter_name: str


@dataclass(frozen=True)
class View:
    """Everything on screen at one moment. Regions compare their part to redraw less."""

    office_name: str
    date_text: str
    clock_text: str
    featured: Featured | None
    recent: tuple[RecentCall, ...]
    counters: tuple[CounterRow, ...]
    services: tuple[ServiceRow, ...]
    running_text: str
    online: bool
    labels: Mapping[str, str] = field(compare=False, hash=False, repr=False)


# --- the board --------------------------------------------------------------------------


@dataclass
class Board:
    """The display's memory of the office. Not thread-safe: the daemon holds a lock."""

    office_name: str = ""
    services: dict[str, ServiceInfo] = field(default_factory=dict)
    counters: dict[str, CounterInfo] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)  # newest first
    announcing: Call | None = None
    highlight_from: datetime | None = None
    online: bool = False  # connected to the broker
    #: What the hub's retained status (its Last Will when it dies) says; None until seen.
    hub_online: bool | None = None
    presence: HubPresence = field(default_factory=HubPresence)

    def apply_config(self, payload: Mapping[str, Any]) -> None:
        if self.presence.on_config(payload):
            self.hub_online = self.presence.online
        office = payload.get("office") or {}
        services = payload.get("services", [])
        counters = payload.get("counters", [])
        if not isinstance(office, dict) or not isinstance(services, list):
            raise WireError("bad_request", "Konfigurasi kantor tidak valid.")
        if not isinstance(counters, list):
            raise WireError("bad_request", "Konfigurasi kantor tidak valid.")
        new_services: dict[str, ServiceInfo] = {}
        for item in services:
            if not isinstance(item, dict):
                raise WireError("bad_request", "Konfigurasi layanan tidak valid.")
            sid = _text(item, "id")
            old = self.services.get(sid)
            info = ServiceInfo(
                sid, _text(item, "name"), _text(item, "prefix", required=False) or sid
            )
            if old is not None:  # keep the counts state/queue gave us; names come from here
                info = replace(old, name=info.name, prefix=info.prefix)
            new_services[sid] = info
        new_counters: dict[str, CounterInfo] = {}
        for item in counters:
            if not isinstance(item, dict):
                raise WireError("bad_request", "Konfigurasi loket tidak valid.")
            cid = _text(item, "id")
            name = _text(item, "name", required=False) or cid
            old_counter = self.counters.get(cid)
            new_counters[cid] = (
                replace(old_counter, name=name) if old_counter else CounterInfo(cid, name)
            )
        self.office_name = _text(office, "name", required=False) or self.office_name
        self.services = new_services
        self.counters = new_counters

    def apply_queue(self, payload: Mapping[str, Any]) -> None:
        updated = dict(self.services)
        for sid, item in payload.items():
            if not isinstance(item, dict):
                raise WireError("bad_request", "Status antrian tidak valid.")
            estimate = item.get("estimated_wait_s")
            if estimate is not None and (
                not isinstance(estimate, int | float) or isinstance(estimate, bool) or estimate < 0
            ):
                raise WireError("bad_request", "Kolom 'estimated_wait_s' tidak valid.")
            old = updated.get(sid)
            updated[sid] = ServiceInfo(
                id=sid,
                name=_text(item, "name", required=False) or (old.name if old else sid),
                prefix=_text(item, "prefix", required=False) or (old.prefix if old else sid),
                waiting=_count(item, "waiting"),
                estimated_wait_s=float(estimate) if estimate is not None else None,
                open=item.get("open", True) is not False,
            )
        self.services = updated

    def apply_counter(self, counter_id: str, payload: Mapping[str, Any]) -> None:
        if not payload:  # an empty retained message clears a counter that was removed
            self.counters.pop(counter_id, None)
            return
        status = payload.get("status", "open")
        if status not in ("open", "paused", "closed"):
            raise WireError("bad_request", "Kolom 'status' tidak valid.")
        ticket = payload.get("ticket")
        if ticket is not None and not isinstance(ticket, dict):
            raise WireError("bad_request", "Kolom 'ticket' tidak valid.")
        number = _text(ticket, "number") if ticket else None
        old = self.counters.get(counter_id)
        name = _text(payload, "name", required=False) or (old.name if old else counter_id)
        self.counters[counter_id] = CounterInfo(counter_id, name, status, number)

    def apply_calls(self, payload: Mapping[str, Any]) -> None:
        """The retained recent calls: the whole list, as the hub knows it now."""
        items = payload.get("calls", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise WireError("bad_request", "Daftar panggilan tidak valid.")
        calls = [parse_call(item) for item in items]
        # Keep calls this display already heard about that the retained list (published
        # separately by the hub) does not have yet, so the newest call never flickers away.
        known = {c.key for c in calls}
        newer = [c for c in self.calls if c.key not in known and _newer(c, calls)]
        self.calls = (newer + calls)[:KEPT_CALLS]

    def apply_node_status(self, node: str, payload: Mapping[str, Any]) -> None:
        """A node's retained status; only the hub's own matters here."""
        if self.presence.on_status(node, payload):
            self.hub_online = self.presence.online

    def apply_call(self, call: Call) -> None:
        """A live `event/call`: put it on top (once, even if the broker redelivers it)."""
        self.calls = [call, *(c for c in self.calls if c.key != call.key)][:KEPT_CALLS]

    def start_announcing(self, call: Call, now: datetime) -> None:
        self.announcing = call
        self.highlight_from = now

    def stop_announcing(self) -> None:
        """The announcer is idle: the big number goes back to the newest call."""
        self.announcing = None

    def view(
        self,
        now: datetime,
        *,
        lang: Lang = "id",
        running_text: str = "",
        highlight_s: float = 10.0,
        office_name: str = "",
    ) -> View:
        labels = LABELS[lang]
        featured_call = self.announcing or (self.calls[0] if self.calls else None)
        featured = None
        if featured_call is not None:
            started = self.highlight_from if self.announcing else None
            if started is None and featured_call.called_at is not None:
                started = featured_call.called_at
            highlighted = started is not None and now - started < timedelta(seconds=highlight_s)
            service = self.services.get(featured_call.service)
            featured = Featured(
                number=featured_call.number,
                counter_name=featured_call.counter_name,
                service_name=service.name if service else "",
                highlighted=highlighted,
            )
        # Each ticket once: a recall is news for the voice, not another line on screen.
        shown = {featured_call.ticket_id} if featured_call else set()
        recent: list[RecentCall] = []
        for c in self.calls:
            if c.ticket_id not in shown:
                shown.add(c.ticket_id)
                recent.append(RecentCall(c.number, c.counter_name))
        active = featured_call.counter if featured_call else None
        counters = tuple(
            CounterRow(
                name=c.name,
                number=c.number or labels["idle"],
                note="" if c.status == "open" else labels[c.status],
                active=c.id == active,
            )
            for c in self.counters.values()
        )
        services = tuple(
            ServiceRow(
                prefix=s.prefix,
                name=s.name,
                waiting=s.waiting,
                wait_text=(
                    duration_minutes_phrase(s.estimated_wait_s, lang)
                    if s.open
                    else labels["service_closed"]
                ),
                open=s.open,
            )
            for s in self.services.values()
        )
        return View(
            office_name=office_name or self.office_name,
            date_text=long_date(now.date(), lang),
            clock_text=clock(now, lang),
            featured=featured,
            recent=tuple(recent[:RECENT_SHOWN]),
            counters=counters,
            services=services,
            running_text=running_text,
            online=self.online and self.hub_online is not False,
            labels=labels,
        )


def _newer(call: Call, calls: list[Call]) -> bool:
    """True if `call` is later than every call in `calls` (or they carry no times)."""
    if not calls:
        return True
    newest = calls[0].called_at
    return call.called_at is None or newest is None or call.called_at > newest
