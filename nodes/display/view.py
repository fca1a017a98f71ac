"""What the waiting-room screen shows, as plain data: the functional core of the display.

`Board` keeps the last known retained state (`config`, `state/queue`, `state/counter/+`,
`state/calls`) and the `event/call`s seen, and `Board.view(now)` turns it into a frozen
`View` that the screen draws. Nothing here does I/O or reads a clock, so tests build a
board from payloads and check the view directly.

Each `apply_*` method takes a payload decoded by `common.payloads`; the daemon refuses one
that does not decode before it gets here, so a bad message never blanks the screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

from common.bahasa import Lang, clock, duration_minutes_phrase, long_date
from common.payloads import (
    Call,
    Calls,
    CounterState,
    NodeStatus,
    OfficeConfig,
    QueueState,
    ServiceQueue,
)
from common.presence import HubPresence

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
    services: dict[str, ServiceQueue] = field(default_factory=dict)
    counters: dict[str, CounterState] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)  # newest first
    announcing: Call | None = None
    highlight_from: datetime | None = None
    online: bool = False  # connected to the broker
    #: What the hub's retained status (its Last Will when it dies) says; None until seen.
    hub_online: bool | None = None
    presence: HubPresence = field(default_factory=HubPresence)

    def apply_config(self, config: OfficeConfig) -> None:
        if self.presence.on_config(config):
            self.hub_online = self.presence.online
        services: dict[str, ServiceQueue] = {}
        for service in config.services:
            old = self.services.get(service.id)  # keep the counts state/queue gave us
            services[service.id] = replace(
                old or ServiceQueue(service.id, service.name, service.prefix),
                name=service.name,
                prefix=service.prefix,
            )
        counters: dict[str, CounterState] = {}
        for counter in config.counters:
            old_counter = self.counters.get(counter.id)
            counters[counter.id] = replace(
                old_counter or CounterState(counter.id, counter.name, "open"), name=counter.name
            )
        self.office_name = config.name or self.office_name
        self.services = services
        self.counters = counters

    def apply_queue(self, state: QueueState) -> None:
        self.services = {**self.services, **{s.id: s for s in state.services}}

    def apply_counter(self, counter_id: str, state: CounterState | None) -> None:
        """A counter's state; None when the hub cleared the retained topic of a counter
        that no longer exists."""
        if state is None:
            self.counters.pop(counter_id, None)
        else:
            self.counters[counter_id] = state

    def apply_calls(self, state: Calls) -> None:
        """The retained recent calls: the whole list, as the hub knows it now."""
        calls = list(state.calls)
        # Keep calls this display already heard about that the retained list (published
        # separately by the hub) does not have yet, so the newest call never flickers away.
        known = {c.key for c in calls}
        newer = [c for c in self.calls if c.key not in known and _newer(c, calls)]
        self.calls = (newer + calls)[:KEPT_CALLS]

    def apply_node_status(self, node: str, status: NodeStatus) -> None:
        """A node's retained status; only the hub's own matters here."""
        if self.presence.on_status(node, status):
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
            if started is None:
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
                active=c.counter == active,
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
    """True if `call` is later than every call in `calls`."""
    return not calls or call.called_at > calls[0].called_at
