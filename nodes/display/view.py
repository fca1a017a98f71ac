"""What the waiting-room screen shows, as plain data: the functional core of the display.

`Board` keeps the last known retained state (`config`, `state/queue`, `state/counter/+`,
`state/calls`) and the `event/call`s seen, and `Board.view(now)` turns it into a frozen
`View` that the screen draws. Nothing here does I/O or reads a clock, so tests build a
board from payloads and check the view directly.

The featured call is the newest call that is still *current*: its counter is open and
still holds that ticket (a serving ticket only for `highlight_s` after its call or its
announcement). A call that is transferred, skipped, finished, superseded, or whose counter
closes or pauses steps back, and the big area moves on or shows a calm idle message. The
list below it shows, newest first, only calls that were already featured (or older than
the first call this board featured: the history from before the display started).

Each `apply_*` method takes a payload decoded by `common.payloads`; the daemon refuses one
that does not decode before it gets here, so a bad message never blanks the screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

from common.bahasa import Lang, catalogue, clock, long_date, standard_phrase, wait_phrase
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
#: How many featured tickets the board remembers (for the list of previous calls).
REMEMBERED: Final = 64
#: The services strip turns every this many seconds: the estimates of all services, then
#: each service with a published standard on its own, the whole strip wide (the standard
#: beside today's average does not fit a service's cell at the strip's size).
STANDARD_EVERY_S: Final = 10

_LABELS: Final[dict[str, str | tuple[str, str]]] = {  # (Indonesian, English)
    "number": ("NOMOR ANTRIAN", "NOW CALLING"),
    "counters": ("LOKET", "COUNTERS"),
    "services": ("LAYANAN", "SERVICES"),
    "waiting": ("MENUNGGU", "WAITING"),
    "estimate": ("PERKIRAAN", "EST. WAIT"),
    "recent": ("PANGGILAN SEBELUMNYA", "PREVIOUS CALLS"),
    "closed": ("TUTUP", "CLOSED"),
    # "rehat" (KBBI: a short rest), not "ISTIRAHAT": it fits a counter's tile at the
    # size that is legible from the back of the room (docs/display.md).
    "paused": ("REHAT", "BREAK"),
    "idle": "—",
    "offline": ("Terputus dari server", "Offline"),
    "no_call": (
        "Silakan menunggu nomor Anda dipanggil",
        "Please wait for your number to be called",
    ),
    "service_closed": ("tutup", "closed"),
    "standard": ("STANDAR", "STANDARD"),
}
LABELS: Final = catalogue(_LABELS)


# --- what the screen draws ------------------------------------------------------------------


@dataclass(frozen=True)
class Featured:
    """The big number: the newest call that is still current (or the one being spoken)."""

    number: str
    counter_name: str
    service_name: str
    highlighted: bool
    ticket_id: str = ""
    counter: str = ""


@dataclass(frozen=True)
class CounterRow:
    name: str
    number: str
    note: str  # "" when open; "REHAT"/"TUTUP" otherwise
    active: bool  # the counter of the featured call, drawn emphasised


@dataclass(frozen=True)
class ServiceRow:
    prefix: str
    name: str
    waiting: int
    wait_text: str  # "± 15 menit", or "tutup" for a closed service
    open: bool
    #: "Standar 15 mnt · hari ini rata-rata 12 mnt"; "" without a standard. The strip shows
    #: it, for the one row with `show_standard`, instead of every row's estimate.
    standard_text: str = ""
    show_standard: bool = False


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
    #: Each service's published waiting-time standard in minutes (from `config`).
    standards: dict[str, float] = field(default_factory=dict)
    counters: dict[str, CounterState] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)  # newest first
    announcing: Call | None = None
    online: bool = False  # connected to the broker
    #: What the hub's retained status (its Last Will when it dies) says; None until seen.
    hub_online: bool | None = None
    presence: HubPresence = field(default_factory=HubPresence)
    # The order things arrived in, to tell a counter state older than a live call (the hub
    # publishes `event/call` first and its retained state a moment later) from a newer one.
    _seq: int = 0
    _counter_seen: dict[str, int] = field(default_factory=dict)  # counter -> seq of its state
    _live_seen: dict[tuple[str, int, str], int] = field(default_factory=dict)  # call key -> seq
    _lit_from: dict[tuple[str, int, str], datetime] = field(default_factory=dict)
    _featured: dict[str, None] = field(default_factory=dict)  # ticket ids, oldest first
    _history_before: datetime | None = None  # called_at of the first call featured

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
        self.standards = {
            s.id: s.standard_wait_minutes
            for s in config.services
            if s.standard_wait_minutes is not None
        }
        self.counters = counters

    def apply_queue(self, state: QueueState) -> None:
        self.services = {**self.services, **{s.id: s for s in state.services}}

    def apply_counter(self, counter_id: str, state: CounterState | None) -> None:
        """A counter's state; None when the hub cleared the retained topic of a counter
        that no longer exists."""
        self._seq += 1
        if state is None:
            self.counters.pop(counter_id, None)
            self._counter_seen.pop(counter_id, None)
        else:
            self.counters[counter_id] = state
            self._counter_seen[counter_id] = self._seq

    def apply_calls(self, state: Calls) -> None:
        """The retained recent calls: the whole list, as the hub knows it now."""
        calls = list(state.calls)
        # Keep calls this display already heard about that the retained list (published
        # separately by the hub) does not have yet, so the newest call never flickers away.
        known = {c.key for c in calls}
        newer = [c for c in self.calls if c.key not in known and _newer(c, calls)]
        self._keep((newer + calls)[:KEPT_CALLS])

    def apply_node_status(self, node: str, status: NodeStatus) -> None:
        """A node's retained status; only the hub's own matters here."""
        if self.presence.on_status(node, status):
            self.hub_online = self.presence.online

    def apply_call(self, call: Call) -> None:
        """A live `event/call`: put it on top (once, even if the broker redelivers it)."""
        self._seq += 1
        self._live_seen.setdefault(call.key, self._seq)
        self._keep([call, *(c for c in self.calls if c.key != call.key)][:KEPT_CALLS])

    def _keep(self, calls: list[Call]) -> None:
        self.calls = calls
        keys = {c.key for c in calls}
        self._live_seen = {k: v for k, v in self._live_seen.items() if k in keys}
        self._lit_from = {k: v for k, v in self._lit_from.items() if k in keys}

    def start_announcing(self, call: Call, now: datetime) -> None:
        self.announcing = call
        self._lit_from[call.key] = now

    def stop_announcing(self) -> None:
        """The announcer is idle: the big number goes back to the newest current call."""
        self.announcing = None

    def is_current(self, call: Call, now: datetime, highlight_s: float) -> bool:
        """True while `call` is still what its counter is doing: the counter is open and
        holds that ticket as called (or as served, within `highlight_s` of its call or
        announcement). A live call newer than the counter's last state counts as current
        until a state that comes after it says otherwise."""
        seen = self._counter_seen.get(call.counter)
        if seen is None:
            return True  # no state from the hub for that counter yet: trust the call
        live = self._live_seen.get(call.key)
        if live is not None and live > seen:
            return True
        state = self.counters.get(call.counter)
        if state is None or state.status != "open" or state.ticket is None:
            return False
        if state.ticket.ticket_id != call.ticket_id:
            return False
        if state.ticket.state == "serving":
            return self._lit(call, now, highlight_s)
        return True

    def _lit(self, call: Call, now: datetime, highlight_s: float) -> bool:
        started = self._lit_from.get(call.key, call.called_at)
        return now - started < timedelta(seconds=highlight_s)

    def featured_call(self, now: datetime, highlight_s: float = 10.0) -> Call | None:
        """The call on the big area: the one being spoken if it is still current, else
        the newest current call, else None (the calm idle message)."""
        if self.announcing is not None and self.is_current(self.announcing, now, highlight_s):
            return self.announcing
        newest_first = sorted(self.calls, key=lambda c: c.called_at, reverse=True)
        return next((c for c in newest_first if self.is_current(c, now, highlight_s)), None)

    def _remember_featured(self, call: Call) -> None:
        if self._history_before is None:
            self._history_before = call.called_at
        self._featured.pop(call.ticket_id, None)
        self._featured[call.ticket_id] = None
        while len(self._featured) > REMEMBERED:
            del self._featured[next(iter(self._featured))]

    def _was_featured(self, call: Call) -> bool:
        return (
            call.ticket_id in self._featured
            or self._history_before is None
            or call.called_at < self._history_before
        )

    def view(
        self,
        now: datetime,
        *,
        lang: Lang = "id",
        running_text: str = "",
        highlight_s: float = 10.0,
        office_name: str = "",
    ) -> View:
        """The screen at `now`. Remembers the call it features, so that the list of
        previous calls holds only calls the room has already seen on the big area."""
        labels = LABELS[lang]
        featured_call = self.featured_call(now, highlight_s)
        featured = None
        if featured_call is not None:
            self._remember_featured(featured_call)
            service = self.services.get(featured_call.service)
            featured = Featured(
                number=featured_call.number,
                counter_name=featured_call.counter_name,
                service_name=service.name if service else "",
                highlighted=self._lit(featured_call, now, highlight_s),
                ticket_id=featured_call.ticket_id,
                counter=featured_call.counter,
            )
        # Each ticket once, at its newest call: a recall is news for the voice, not another
        # line on screen, and a transferred ticket is listed at the counter that has it.
        shown = {featured_call.ticket_id} if featured_call else set()
        recent: list[RecentCall] = []
        for c in sorted(self.calls, key=lambda c: c.called_at, reverse=True):
            if c.ticket_id in shown:
                continue
            shown.add(c.ticket_id)
            if self._was_featured(c):
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
        with_standard = [key for key in self.services if key in self.standards]
        turn = int(now.timestamp() // STANDARD_EVERY_S) % (len(with_standard) + 1)
        shown_standard = with_standard[turn - 1] if turn else None
        services = tuple(
            ServiceRow(
                prefix=s.prefix,
                name=s.name,
                waiting=s.waiting,
                wait_text=(
                    (wait_phrase(s.estimated_wait_s, s.waiting, lang) or "")
                    if s.open
                    else labels["service_closed"]
                ),
                open=s.open,
                standard_text=(
                    standard_phrase(self.standards[s.id], s.average_wait_s, lang)
                    if s.id in self.standards
                    else ""
                ),
                show_standard=s.id == shown_standard,
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
