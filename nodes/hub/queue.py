"""The queue core: commands in, events out. No I/O, no clock of its own.
(The commands and events themselves, and their event-log rows, are in `events.py`.)

Theory of operation
-------------------
The hub holds one `Queue` for the office. Everything that can happen to it is a command
(`IssueTicket`, `CancelTicket`, `CounterCommand`, `SetServiceAccepting`,
`ExpireOpenTickets`). Handling a command is split in two:

1. `Queue.handle(command, now)` DECIDES. It reads the state, checks the rules below and
   returns the events the command causes, or raises `Rejected` with a contract error code
   and an Indonesian message for the person at the kiosk or counter. It never mutates.
2. `Queue.apply(event)` RECORDS each event in memory. It is the only mutation, so
   replaying the event log into a fresh `Queue` rebuilds exactly the same state.

The daemon (`Hub._decide`) applies the events at once, so that its answer and the next
command see them, and then commits them to the store; if the commit fails, it rebuilds
the queue from the store and answers `internal_error`.

Time is always passed in (`now`, an aware datetime). A ticket belongs to the LOCAL day
(office time zone) on which it was issued; its number `{prefix}-{nnn}` counts from 1 each
local day, per service, without gaps (a cancelled ticket keeps its number).

The rules themselves are told once, in docs/queue-rules.md: a ticket's life (`waiting`,
`called`, `serving`, then final: `done`, `skipped`, `cancelled`, `expired`), who is called
next, when a ticket is refused, the estimated wait. Its table of what each counter key does
in each counter status is generated from `COUNTER_RULES` at the end of this module.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from common.wire import ERROR_MESSAGES, TICKET_ID_PATTERN
from nodes.hub.events import (
    CancelTicket,
    Command,
    CounterCommand,
    CounterStatusChanged,
    Event,
    ExpireOpenTickets,
    IssueTicket,
    OfficerSignedIn,
    OfficerSignedOut,
    QuickScored,
    ServiceStatusChanged,
    SetServiceAccepting,
    SurveyAnswered,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
)
from nodes.hub.office import CounterSpec, Office, ServiceSpec

TicketState = Literal["waiting", "called", "serving", "done", "skipped", "cancelled", "expired"]
CounterStatus = Literal["open", "paused", "closed"]
FINAL_STATES: frozenset[str] = frozenset({"done", "skipped", "cancelled", "expired"})
#: How many calls the queue remembers for `state/calls` (the contract asks for >= 10).
RECENT_CALLS = 50


class Rejected(Exception):
    """A command the rules refuse. `code` is a contract error code, `message` Indonesian."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or ERROR_MESSAGES.get(code, ERROR_MESSAGES["bad_request"])
        super().__init__(f"{code}: {self.message}")


# --- state --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    day: date
    number: str
    seq: int
    service: str  # the service whose line it is in now (changes on transfer)
    origin_service: str  # the service it was issued for (its quota and its number)
    priority: bool
    node: str
    online: bool
    issued_at: datetime  # its place in line, kept across transfers
    queued_at: datetime  # when it entered the current service's line
    state: TicketState = "waiting"
    counter: str | None = None  # the counter that called it (last one)
    called_at: datetime | None = None  # first call in the current service
    started_at: datetime | None = None
    finished_at: datetime | None = None  # when it reached its final state
    recalls: int = 0

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def order(self) -> tuple[bool, datetime, str]:
        """Sort key of a service's line: priority first, then original issue time."""
        return (not self.priority, self.issued_at, self.ticket_id)


@dataclass(frozen=True)
class CounterRecord:
    """What the queue keeps of a counter (its wire form is `common.payloads.CounterState`)."""

    counter: str
    status: str = "open"  # CounterStatus
    ticket: str | None = None  # the ticket now called or being served
    officer: str | None = None  # the officer signed in at it...
    officer_day: date | None = None  # ...on this day: a sign-in lasts until its day ends


@dataclass(frozen=True)
class DayCount:
    """A service's tickets of one day, for numbering and quotas."""

    issued: int = 0  # also the last seq: numbers are gap-free
    cancelled: int = 0
    online_issued: int = 0
    online_cancelled: int = 0


@dataclass(frozen=True)
class KeyPress:
    """A counter key being decided: the command, its counter, its status and current ticket."""

    command: CounterCommand
    counter: CounterSpec
    status: str  # the counter's
    current: Ticket | None
    at: datetime

    @property
    def ticket(self) -> Ticket:
        assert self.current is not None, "the rule lets this key act only on a current ticket"
        return self.current


def _evolve(ticket: Ticket, **changes: Any) -> Ticket:
    """`dataclasses.replace` without re-running __init__: replaying a day's log makes
    thousands of these, and a restart should be quick."""
    new = object.__new__(Ticket)
    new.__dict__.update(ticket.__dict__, **changes)
    return new


def _number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:03d}"


def ticket_id_of(day: date, number: str) -> str:
    return f"{day:%Y%m%d}-{number}"


def number_of(ticket_id: str) -> str:
    """The number part of a ticket id ("20261128-A-012" -> "A-012")."""
    return ticket_id.split("-", 1)[1]


class Queue:
    """The office's queue. `handle` decides (pure), `apply` records (the only mutation)."""

    def __init__(self, office: Office) -> None:
        self.office = office
        self._tickets: dict[str, Ticket] = {}
        self._by_number: dict[tuple[date, str], str] = {}
        self._waiting: dict[str, set[str]] = {s.id: set() for s in office.services}
        #: Each service's line as sorted order keys (see Ticket.order), beside the sets:
        #: "how many are ahead" and "who is next" are then a bisect, not a scan of the line.
        self._lines: dict[str, list[tuple[bool, datetime, str]]] = {
            s.id: [] for s in office.services
        }
        self._counters: dict[str, CounterRecord] = {
            c.id: CounterRecord(c.id) for c in office.counters
        }
        self._accepting: dict[str, bool] = {s.id: True for s in office.services}
        self._counts: dict[tuple[str, date], DayCount] = {}
        self._last_called: dict[tuple[str, date], str] = {}
        self._durations: dict[str, deque[tuple[date, float]]] = {
            s.id: deque(maxlen=office.recent_window) for s in office.services
        }
        self._calls: deque[TicketCalled] = deque(maxlen=RECENT_CALLS)
        #: Which ratings (event kinds, survey.py) each ticket has had.
        self._rated: dict[str, frozenset[str]] = {}
        #: Per counter, the ordinary tickets it called since its last priority one (the
        #: ratio policy's count). A counter that has called nobody yet owes a priority call.
        self._ordinary_run: dict[str, int] = {}
        #: Per (service, day): (tickets, total seconds) of today's waits (issue to first call
        #: in the service, as the reports define it) and of its service times (call to finish).
        self._waits: dict[tuple[str, date], tuple[int, float]] = {}
        self._served: dict[tuple[str, date], tuple[int, float]] = {}
        #: The latest day seen in an event. When it moves on, the final tickets and
        #: counts of earlier days are forgotten: memory stays one day's worth.
        self._day: date | None = None

    # --- read-only accessors ------------------------------------------------------------

    @property
    def tickets(self) -> Mapping[str, Ticket]:
        return self._tickets

    @property
    def counters(self) -> Mapping[str, CounterRecord]:
        return self._counters

    @property
    def recent_calls(self) -> list[TicketCalled]:
        """Calls and recalls, newest first."""
        return list(reversed(self._calls))

    def today(self, now: datetime) -> date:
        return now.astimezone(self.office.tz).date()

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self._tickets.get(ticket_id)

    def rated(self, ticket_id: str) -> frozenset[str]:
        """The kinds of rating (`survey_answered`, `quick_scored`) the ticket has had."""
        return self._rated.get(ticket_id, frozenset())

    def accepting(self, service: str) -> bool:
        return self._accepting[service]

    def count(self, service: str, day: date) -> DayCount:
        return self._counts.get((service, day), DayCount())

    def last_issued(self, service: str, day: date) -> str | None:
        spec = self.office.service(service)
        issued = self.count(service, day).issued
        return _number(spec.prefix, issued) if spec is not None and issued else None

    def last_called(self, service: str, day: date) -> str | None:
        return self._last_called.get((service, day))

    def waiting(self, service: str) -> list[Ticket]:
        """The service's line in calling order (priority first, then original issue time)."""
        return [self._tickets[key[2]] for key in self._lines[service]]

    def waiting_count(self, service: str) -> int:
        return len(self._waiting[service])

    def waiting_for_counter(self, counter: str) -> int:
        spec = self.office.counter(counter)
        return sum(len(self._waiting[s]) for s in spec.services) if spec else 0

    def ahead(self, ticket_id: str) -> int:
        """Waiting tickets of its service that will be called before this one."""
        ticket = self._tickets[ticket_id]
        if ticket.state != "waiting":
            return 0
        return bisect.bisect_left(self._lines[ticket.service], ticket.order)

    def service_open(self, service: str, now: datetime) -> bool:
        """Whether the service takes new tickets at `now` (opening hours and admin flag)."""
        spec = self.office.service(service)
        if spec is None or not self._accepting[service]:
            return False
        clock = now.astimezone(self.office.tz).time()
        if spec.opens is not None and clock < spec.opens:
            return False
        return not (spec.closes is not None and clock >= spec.closes)

    def quota_reached(self, service: str, day: date) -> bool:
        """Whether the service's daily quota is used up (cancelled tickets give theirs back)."""
        spec = self.office.service(service)
        if spec is None or spec.daily_quota is None:
            return False
        count = self.count(service, day)
        return count.issued - count.cancelled >= spec.daily_quota

    def serving_counters(self, service: str, staffed: Collection[str]) -> int:
        """Counters serving `service` that are open and whose device is online (`staffed`)."""
        return sum(
            1
            for c in self.office.counters
            if service in c.services and self._counters[c.id].status == "open" and c.id in staffed
        )

    def mean_duration(self, service: str, day: date) -> float | None:
        recent = [seconds for d, seconds in self._durations[service] if d == day]
        return sum(recent) / len(recent) if recent else None

    def average_wait_s(self, service: str, day: date) -> float | None:
        """Today's mean wait of the service's called tickets (the standard's "today")."""
        return _mean(self._waits.get((service, day)))

    def average_service_s(self, service: str, day: date) -> float | None:
        """Today's mean service time of the service's finished tickets."""
        return _mean(self._served.get((service, day)))

    def estimated_wait_s(
        self, service: str, ahead: int, now: datetime, staffed: Collection[str]
    ) -> int | None:
        """Service time × (ahead + 1) / counters serving it that are open and `staffed`
        (their device online). The service time is the mean of today's recent durations,
        or the service's configured `service_minutes` until today has one. None when no
        counter serves it now: an estimate would be a promise nobody keeps."""
        counters = self.serving_counters(service, staffed)
        if counters == 0:
            return None
        mean = self.mean_duration(service, self.today(now))
        if mean is None:
            mean = 60.0 * self._service_spec(service).service_minutes
        return round(mean * (ahead + 1) / counters)

    def snapshot(self) -> dict[str, Any]:
        """Everything the queue holds, comparable with ==, for tests and diagnostics."""
        return {
            "tickets": dict(self._tickets),
            "by_number": dict(self._by_number),
            "waiting": {s: set(w) for s, w in self._waiting.items()},
            "counters": dict(self._counters),
            "accepting": dict(self._accepting),
            "counts": dict(self._counts),
            "last_called": dict(self._last_called),
            "durations": {s: list(d) for s, d in self._durations.items()},
            "calls": list(self._calls),
            "rated": dict(self._rated),
            "ordinary_run": dict(self._ordinary_run),
            "waits": dict(self._waits),
            "served": dict(self._served),
            "day": self._day,
        }

    # --- deciding -----------------------------------------------------------------------

    def handle(self, command: Command, now: datetime) -> list[Event]:
        """The events `command` causes at `now`; raises `Rejected`. Changes nothing."""
        if now.tzinfo is None:
            raise ValueError("handle() needs an aware datetime")
        at = now.astimezone(self.office.tz)
        if isinstance(command, IssueTicket):
            return [self._issue(command, at)]
        if isinstance(command, CancelTicket):
            return [self._cancel(command, at)]
        if isinstance(command, CounterCommand):
            return self._counter_command(command, at)
        if isinstance(command, SetServiceAccepting):
            self._service_spec(command.service)
            if self._accepting[command.service] == command.accepting:
                return []
            return [ServiceStatusChanged(at, at.date(), command.service, command.accepting)]
        if isinstance(command, ExpireOpenTickets):
            today = at.date()
            expiring = sorted(
                (t for t in self._tickets.values() if not t.final and t.day < today),
                key=lambda t: (t.day, t.issued_at, t.ticket_id),
            )
            # A sign-in lasts until sign-out or the end of its day: a new day starts unstaffed.
            stale = [r for r in self._counters.values()
                     if r.officer is not None and r.officer_day is not None
                     and r.officer_day < today]  # fmt: skip
            return [
                *(TicketExpired(at, t.day, t.ticket_id, t.service) for t in expiring),
                *(OfficerSignedOut(at, today, r.counter, r.officer or "") for r in stale),
            ]
        raise Rejected("bad_request", f"Perintah tidak dikenal: {type(command).__name__}.")

    def _service_spec(self, service: str) -> ServiceSpec:
        spec = self.office.service(service)
        if spec is None:
            raise Rejected("unknown_service", f"Layanan '{service}' tidak dikenal.")
        return spec

    def _issue(self, command: IssueTicket, at: datetime) -> TicketIssued:
        spec = self._service_spec(command.service)
        if not self._accepting[spec.id]:
            raise Rejected(
                "service_closed", f"Layanan {spec.name} sedang ditutup. Silakan hubungi petugas."
            )
        if not self.service_open(spec.id, at):
            hours = f"{spec.opens or '00:00'}"[:5] + "–" + f"{spec.closes or '24:00'}"[:5]
            raise Rejected(
                "service_closed", f"Layanan {spec.name} hanya menerima antrian pukul {hours}."
            )
        day = at.date()
        count = self.count(spec.id, day)
        if self.quota_reached(spec.id, day):
            raise Rejected(
                "quota_exhausted",
                f"Kuota {spec.name} hari ini ({spec.daily_quota} antrian) sudah habis. "
                "Silakan datang kembali besok.",
            )
        if (
            command.online
            and spec.online_quota is not None
            and count.online_issued - count.online_cancelled >= spec.online_quota
        ):
            raise Rejected(
                "quota_exhausted",
                f"Kuota antrian online {spec.name} hari ini ({spec.online_quota}) sudah habis. "
                "Silakan ambil antrian langsung di kantor.",
            )
        seq = count.issued + 1
        number = _number(spec.prefix, seq)
        return TicketIssued(at, day, ticket_id_of(day, number), spec.id, number, seq,
                            command.priority, command.node, command.online)  # fmt: skip

    def _find_ticket(self, reference: str, at: datetime) -> Ticket:
        """A ticket by id, or by number: today's first, else the only open one."""
        ticket = self._tickets.get(reference)
        if ticket is None and not TICKET_ID_PATTERN.match(reference):
            for number in dict.fromkeys((reference, reference.upper())):
                ticket_id = self._by_number.get((at.date(), number))
                if ticket_id is not None:
                    return self._tickets[ticket_id]
            matches = [t for t in self._tickets.values() if t.number.upper() == reference.upper()]
            open_matches = [t for t in matches if not t.final]
            if len(open_matches) == 1:
                return open_matches[0]
        if ticket is None:
            raise Rejected("unknown_ticket", f"Nomor antrian {reference} tidak ditemukan.")
        return ticket

    def _cancel(self, command: CancelTicket, at: datetime) -> TicketCancelled:
        ticket = self._find_ticket(command.ticket_id, at)
        if ticket.state != "waiting":
            raise Rejected(
                "invalid_state",
                f"Antrian {ticket.number} tidak dapat dibatalkan: {_STATE_TEXT[ticket.state]}.",
            )
        return TicketCancelled(
            at, ticket.day, ticket.ticket_id, ticket.service, command.reason, command.node
        )

    def _counter_command(self, command: CounterCommand, at: datetime) -> list[Event]:
        """A counter key press, decided by its cell of `COUNTER_RULES`."""
        spec = self.office.counter(command.counter)
        if spec is None:
            raise Rejected("unknown_counter", f"Loket '{command.counter}' tidak dikenal.")
        rules = COUNTER_RULES.get(command.action)
        if rules is None:
            raise Rejected("bad_request", f"Tindakan loket '{command.action}' tidak dikenal.")
        if command.action == "transfer" and command.service is not None:
            self._service_spec(command.service)  # unknown_service before any state check
        state = self._counters[spec.id]
        current = self._tickets[state.ticket] if state.ticket else None
        rule = rules[COUNTER_STATUSES.index(state.status)]
        return rule.decide(self, KeyPress(command, spec, state.status, current, at))

    # The handlers of `COUNTER_RULES` (the rule has checked the current ticket first).

    def _call_next(self, press: KeyPress) -> list[Event]:
        chosen = self._next_for(press.counter, press.at)
        if chosen is None:
            current = press.current
            still = f" {current.number} masih di loket; tekan Selesai." if current else ""
            raise Rejected(
                "queue_empty", f"Tidak ada antrian yang menunggu di {press.counter.name}.{still}"
            )
        return self._call(press, chosen)

    def _call_ticket(self, press: KeyPress) -> list[Event]:
        return self._call(press, self._callable(press.counter, press.command.ticket, press.at))

    def _call(self, press: KeyPress, chosen: Ticket) -> list[Event]:
        """Finish the counter's current ticket, if any, and call `chosen`."""
        finish = _moves(TicketFinished)(self, press) if press.current else []
        officer = self.officer_at(press.counter.id, press.at.date())
        return [*finish, TicketCalled(press.at, chosen.day, chosen.ticket_id, chosen.service,
                                      press.counter.id, chosen.number, 0, officer)]  # fmt: skip

    def _recall(self, press: KeyPress) -> list[Event]:
        t = press.ticket
        officer = self.officer_at(press.counter.id, press.at.date())
        return [TicketCalled(press.at, t.day, t.ticket_id, t.service, press.counter.id, t.number,
                             t.recalls + 1, officer)]  # fmt: skip

    def _sign_in(self, press: KeyPress) -> list[Event]:
        """The officer (whose PIN the hub has checked) takes the counter: whoever sat there
        signs out, and the officer leaves any other counter first."""
        officer = press.command.officer
        spec = self.office.officer(officer or "")
        if spec is None:
            raise Rejected("wrong_pin")
        here = self._counters[press.counter.id].officer
        at, day, events = press.at, press.at.date(), list[Event]()
        if here == spec.id and self.officer_at(press.counter.id, day) == spec.id:
            return []
        for record in self._counters.values():
            if record.officer == spec.id:
                events.append(OfficerSignedOut(at, day, record.counter, spec.id))
        if here is not None and here != spec.id:
            events.append(OfficerSignedOut(at, day, press.counter.id, here))
        return [*events, OfficerSignedIn(at, day, press.counter.id, spec.id)]

    def _sign_out(self, press: KeyPress) -> list[Event]:
        here = self._counters[press.counter.id].officer
        if here is None or self.officer_at(press.counter.id, press.at.date()) is None:
            raise Rejected(
                "invalid_state", f"Tidak ada petugas yang masuk di {press.counter.name}."
            )
        return [OfficerSignedOut(press.at, press.at.date(), press.counter.id, here)]

    def _transfer(self, press: KeyPress) -> list[Event]:
        if press.command.service is None:
            raise Rejected("bad_request", "Pilih layanan tujuan untuk memindahkan antrian.")
        target = self._service_spec(press.command.service)
        t = press.ticket
        if target.id == t.service:
            raise Rejected(
                "invalid_state", f"Antrian {t.number} sudah berada di layanan {target.name}."
            )
        return [TicketTransferred(press.at, t.day, t.ticket_id, target.id, press.counter.id,
                                  t.service)]  # fmt: skip

    def _next_for(self, spec: CounterSpec, at: datetime) -> Ticket | None:
        """Who the counter calls next, by the office's priority policy (queue-rules.md)."""
        # Each line starts with its priority tickets (order[0] is False for them).
        heads = [self._lines[s][0] for s in spec.services if self._lines[s]]
        priority = [head for head in heads if not head[0]]
        if self.office.priority.name == "strict":
            # The oldest priority ticket in any of its services; else, from the first of
            # its services (in its configured order) with someone waiting, the oldest.
            if priority:
                return self._tickets[min(priority)[2]]
            return self._tickets[heads[0][2]] if heads else None
        ordinary = self._ordinary_heads(spec)
        if not ordinary:
            return self._tickets[min(priority)[2]] if priority else None
        # Ageing: the oldest ordinary ticket past the bound goes before anyone.
        oldest = min(ordinary, key=lambda key: (key[1], key[2]))
        if at - oldest[1] >= self.office.priority.ordinary_max_wait:
            return self._tickets[oldest[2]]
        owed = self._ordinary_run.get(spec.id, self.office.priority.ratio)
        if priority and owed >= self.office.priority.ratio:
            return self._tickets[min(priority)[2]]
        return self._tickets[ordinary[0][2]]

    def _ordinary_heads(self, spec: CounterSpec) -> list[tuple[bool, datetime, str]]:
        """The oldest ordinary ticket of each of the counter's services, in its order."""
        heads = []
        for service in spec.services:
            line = self._lines[service]
            # Ordinary keys start with True, so they sort after (True,) and every priority key.
            first = bisect.bisect_left(line, (True,))
            if first < len(line):
                heads.append(line[first])
        return heads

    def _callable(self, spec: CounterSpec, reference: str | None, at: datetime) -> Ticket:
        if not reference:
            raise Rejected("bad_request", "Sebutkan nomor antrian yang akan dipanggil.")
        ticket = self._find_ticket(reference, at)
        if ticket.state != "waiting":
            raise Rejected(
                "invalid_state",
                f"Antrian {ticket.number} tidak dapat dipanggil: {_STATE_TEXT[ticket.state]}.",
            )
        if ticket.service not in spec.services:
            name = self._service_spec(ticket.service).name
            raise Rejected(
                "invalid_state", f"Antrian {ticket.number} ({name}) tidak dilayani di {spec.name}."
            )
        return ticket

    # --- recording ----------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Record an event that `handle` returned (or the log holds). The only mutation."""
        if self._day is None or event.day > self._day:
            self._forget_before(event.day)
        record = _RECORDERS.get(type(event))
        if record is None:  # pragma: no cover - the Event union is closed
            raise TypeError(f"not an event: {event!r}")
        record(self, event)

    def _issued(self, event: TicketIssued) -> None:
        ticket = Ticket(
            ticket_id=event.ticket_id, day=event.day, number=event.number, seq=event.seq,
            service=event.service, origin_service=event.service, priority=event.priority,
            node=event.node, online=event.online, issued_at=event.at, queued_at=event.at,
        )  # fmt: skip
        self._tickets[ticket.ticket_id] = ticket
        self._by_number[(event.day, event.number)] = event.ticket_id
        self._enqueue(event.service, ticket)
        key = (event.service, event.day)
        count = self._counts.get(key, DayCount())
        self._counts[key] = replace(
            count,
            issued=max(count.issued, event.seq),
            online_issued=count.online_issued + event.online,
        )

    def _called(self, event: TicketCalled) -> None:
        ticket = self._tickets[event.ticket_id]
        if event.recall:
            self._tickets[ticket.ticket_id] = _evolve(ticket, recalls=event.recall)
        else:
            self._dequeue(ticket.service, ticket)
            self._tickets[ticket.ticket_id] = _evolve(
                ticket, state="called", counter=event.counter, called_at=event.at, recalls=0
            )
            record = self._counters[event.counter]
            self._counters[event.counter] = replace(record, ticket=event.ticket_id)
            self._last_called[(ticket.service, ticket.day)] = ticket.number
            _add(self._waits, (ticket.service, ticket.day), (event.at - ticket.issued_at))
            run = self._ordinary_run.get(event.counter, self.office.priority.ratio)
            self._ordinary_run[event.counter] = 0 if ticket.priority else run + 1
        self._calls.append(event)

    def _started(self, event: TicketStarted) -> None:
        ticket = self._tickets[event.ticket_id]
        self._tickets[ticket.ticket_id] = _evolve(ticket, state="serving", started_at=event.at)

    def _finished(self, event: TicketFinished) -> None:
        ticket = self._tickets[event.ticket_id]
        # Only the current day's tickets feed the estimate (a ticket left over from
        # yesterday would push one of today's durations out of the window).
        if ticket.called_at is not None and ticket.day == self._day:
            seconds = (event.at - ticket.called_at).total_seconds()
            self._durations[ticket.service].append((ticket.day, seconds))
        if ticket.called_at is not None:
            _add(self._served, (ticket.service, ticket.day), event.at - ticket.called_at)
        self._finalise(ticket, "done", event.at)

    def _transferred(self, event: TicketTransferred) -> None:
        ticket = self._tickets[event.ticket_id]
        self._free_counter(ticket)
        self._enqueue(event.service, ticket)
        self._tickets[ticket.ticket_id] = _evolve(
            ticket,
            state="waiting",
            service=event.service,
            queued_at=event.at,
            called_at=None,
            started_at=None,
            recalls=0,
        )

    def _cancelled(self, event: TicketCancelled) -> None:
        ticket = self._tickets[event.ticket_id]
        key = (ticket.origin_service, ticket.day)
        count = self._counts.get(key, DayCount())
        self._counts[key] = replace(
            count,
            cancelled=count.cancelled + 1,
            online_cancelled=count.online_cancelled + ticket.online,
        )
        self._finalise(ticket, "cancelled", event.at)

    def _counter_status(self, event: CounterStatusChanged) -> None:
        record = self._counters[event.counter]
        self._counters[event.counter] = replace(record, status=event.status)

    def _signed_in(self, event: OfficerSignedIn) -> None:
        record = self._counters[event.counter]
        self._counters[event.counter] = replace(
            record, officer=event.officer, officer_day=event.day
        )

    def _signed_out(self, event: OfficerSignedOut) -> None:
        record = self._counters[event.counter]
        if record.officer == event.officer:
            self._counters[event.counter] = replace(record, officer=None, officer_day=None)

    def officer_at(self, counter: str, day: date) -> str | None:
        """The officer signed in at `counter` on `day` (a sign-in ends with its day)."""
        record = self._counters.get(counter)
        if record is None or record.officer_day != day:
            return None
        return record.officer

    def _service_status(self, event: ServiceStatusChanged) -> None:
        self._accepting[event.service] = event.accepting

    def _rated_by(self, event: SurveyAnswered | QuickScored) -> None:
        if event.ticket_id in self._tickets:
            self._rated[event.ticket_id] = self.rated(event.ticket_id) | {event.kind}

    def restore_calls(self, calls: Iterable[TicketCalled]) -> None:
        """Set the recent-call list from the log (oldest first), for a hub that restarts.

        The store replays only the tickets that still matter today, but the displays'
        "recent calls" may reach back to yesterday; the store passes the log's latest calls.
        """
        self._calls.clear()
        self._calls.extend(calls)

    def _finalise(self, ticket: Ticket, state: TicketState, at: datetime) -> None:
        self._free_counter(ticket)
        self._dequeue(ticket.service, ticket)
        self._tickets[ticket.ticket_id] = _evolve(ticket, state=state, finished_at=at)

    def _enqueue(self, service: str, ticket: Ticket) -> None:
        if ticket.ticket_id not in self._waiting[service]:
            self._waiting[service].add(ticket.ticket_id)
            bisect.insort(self._lines[service], ticket.order)

    def _dequeue(self, service: str, ticket: Ticket) -> None:
        if ticket.ticket_id in self._waiting[service]:
            self._waiting[service].discard(ticket.ticket_id)
            line = self._lines[service]
            del line[bisect.bisect_left(line, ticket.order)]

    def _free_counter(self, ticket: Ticket) -> None:
        if ticket.counter is not None and ticket.state in ("called", "serving"):
            counter = self._counters[ticket.counter]
            if counter.ticket == ticket.ticket_id:
                self._counters[ticket.counter] = replace(counter, ticket=None)

    def _forget_before(self, day: date) -> None:
        self._day = day
        for ticket in [t for t in self._tickets.values() if t.final and t.day < day]:
            del self._tickets[ticket.ticket_id]
            del self._by_number[(ticket.day, ticket.number)]
            self._rated.pop(ticket.ticket_id, None)
        for key in [k for k in self._counts if k[1] < day]:
            del self._counts[key]
        for key in [k for k in self._last_called if k[1] < day]:
            del self._last_called[key]
        for sums in (self._waits, self._served):
            for key in [k for k in sums if k[1] < day]:
                del sums[key]
        for durations in self._durations.values():
            durations.clear()


def _add(sums: dict[tuple[str, date], tuple[int, float]], key: tuple[str, date],
         sample: timedelta) -> None:  # fmt: skip
    count, total = sums.get(key, (0, 0.0))
    sums[key] = (count + 1, total + sample.total_seconds())


def _mean(sums: tuple[int, float] | None) -> float | None:
    return sums[1] / sums[0] if sums else None


_STATE_TEXT: dict[str, str] = {
    "waiting": "masih menunggu",
    "called": "sedang dipanggil",
    "serving": "sedang dilayani",
    "done": "sudah selesai dilayani",
    "skipped": "sudah dilewati",
    "cancelled": "sudah dibatalkan",
    "expired": "sudah kedaluwarsa",
}


#: How `apply` records each kind of event.
_RECORDERS: Final[dict[type, Callable[[Queue, Any], None]]] = {
    TicketIssued: Queue._issued,
    TicketCalled: Queue._called,
    TicketStarted: Queue._started,
    TicketFinished: Queue._finished,
    TicketSkipped: lambda queue, e: queue._finalise(queue._tickets[e.ticket_id], "skipped", e.at),
    TicketTransferred: Queue._transferred,
    TicketCancelled: Queue._cancelled,
    TicketExpired: lambda queue, e: queue._finalise(queue._tickets[e.ticket_id], "expired", e.at),
    CounterStatusChanged: Queue._counter_status,
    ServiceStatusChanged: Queue._service_status,
    SurveyAnswered: Queue._rated_by,
    QuickScored: Queue._rated_by,
    OfficerSignedIn: Queue._signed_in,
    OfficerSignedOut: Queue._signed_out,
}


# --- the counter rules --------------------------------------------------------------------
# What each counter key does in each counter status, kept as data the way h11 keeps its
# transitions: `Queue._counter_command` looks up the cell and the cell decides. The table in
# docs/queue-rules.md is `rules_table()` (scripts/rules_table.py; a test compares them).

COUNTER_STATUSES: Final = ("open", "paused", "closed")  # the columns of COUNTER_RULES
Handler = Callable[[Queue, KeyPress], list[Event]]


@dataclass(frozen=True)
class Rule:
    """What a key does in one counter status: `handler` makes the events (or refuses), once
    the counter's current ticket is as `needs` says."""

    handler: Handler
    does: str  # for the docs
    #: The states the current ticket must be in; None: whatever it has, or none; (): no
    #: current ticket at all. Refused with `invalid_state` and `otherwise` if not.
    needs: tuple[TicketState, ...] | None = None
    otherwise: str = ""  # Indonesian, with the {counter} and the current ticket's {number}

    def decide(self, queue: Queue, press: KeyPress) -> list[Event]:
        current, name = press.current, press.counter.name
        if self.needs and current is None:
            return _NOT_CALLING.handler(queue, press)
        if self.needs is not None and current is not None and current.state not in self.needs:
            message = self.otherwise.format(counter=name, number=current.number)
            raise Rejected("invalid_state", message)
        return self.handler(queue, press)

    @property
    def doc(self) -> str:
        if self.needs is None:
            return self.does
        if not self.needs:
            return f"{self.does} if no current ticket (else `invalid_state`)"
        return f"current {' or '.join(f'*{s}*' for s in self.needs)} {self.does}"


def _refuse(code: str, message: str) -> Rule:
    """A rule that refuses the key: `message` in Indonesian, with the {counter}, its {status}."""

    def handler(queue: Queue, press: KeyPress) -> list[Event]:
        status = {"paused": "istirahat", "closed": "tutup"}.get(press.status, press.status)
        raise Rejected(code, message.format(counter=press.counter.name, status=status))

    return Rule(handler, f"refused: `{code}`")


def _becomes(status: CounterStatus) -> Handler:
    return lambda queue, p: [CounterStatusChanged(p.at, p.at.date(), p.counter.id, status)]


def _moves(cls: type[TicketStarted | TicketFinished | TicketSkipped]) -> Handler:
    """The handler that moves the counter's current ticket on with a `cls` event."""
    return lambda queue, p: [cls(p.at, p.ticket.day, p.ticket.ticket_id, p.ticket.service,
                                 p.counter.id)]  # fmt: skip


_SERVED = "Antrian {number} di {counter} sedang dilayani, tidak dapat "
_NOT_OPEN = _refuse(
    "counter_closed", "{counter} sedang {status}. Buka loket dulu untuk memanggil antrian."
)
_NOT_CALLING = _refuse("invalid_state", "{counter} tidak sedang memanggil antrian.")
_NOTHING = Rule(lambda queue, press: [], "nothing")
_OPEN = Rule(_becomes("open"), "→ open")
_RECALL = Rule(Queue._recall, "is announced again", ("called",), _SERVED + "dipanggil ulang.")
_START = Rule(_moves(TicketStarted), "→ *serving*", ("called",), _SERVED + "dimulai.")
_FINISH = Rule(_moves(TicketFinished), "→ *done*", ("called", "serving"))
_SKIP = Rule(_moves(TicketSkipped), "→ *skipped* (no-show)", ("called",), _SERVED + "dilewati.")
_TRANSFER = Rule(Queue._transfer, "→ *waiting* in another service; the counter is free",
                 ("called", "serving"))  # fmt: skip
_CLOSE = Rule(_becomes("closed"), "→ closed", (),
              "{counter} sedang memanggil {number}. Selesaikan atau lewati dulu.")  # fmt: skip

_SIGN_IN = Rule(Queue._sign_in, "the officer (PIN checked by the hub) takes the counter")
_SIGN_OUT = Rule(Queue._sign_out, "the officer leaves (`invalid_state` if none)")

# fmt: off
COUNTER_RULES: Final[dict[str, tuple[Rule, Rule, Rule]]] = {
    # key: (counter open, counter paused, counter closed)
    "call_next": (Rule(Queue._call_next, "finish current, call the next"), _NOT_OPEN, _NOT_OPEN),
    "call_ticket": (Rule(Queue._call_ticket, "finish current, call that ticket"), _NOT_OPEN,
                    _NOT_OPEN),
    "recall": (_RECALL, _RECALL, _NOT_CALLING),
    "start": (_START, _START, _NOT_CALLING),
    "finish": (_FINISH, _FINISH, _NOT_CALLING),
    "skip": (_SKIP, _SKIP, _NOT_CALLING),
    "transfer": (_TRANSFER, _TRANSFER, _NOT_CALLING),
    "pause": (Rule(_becomes("paused"), "→ paused"), _NOTHING,
              _refuse("invalid_state", "{counter} sedang tutup, tidak dapat istirahat.")),
    "resume": (_NOTHING, _OPEN,
               _refuse("invalid_state", "{counter} sedang tutup. Gunakan Buka Loket.")),
    "open": (_NOTHING, _OPEN, _OPEN),
    "close": (_CLOSE, _CLOSE, _NOTHING),
    "sign_in": (_SIGN_IN, _SIGN_IN, _SIGN_IN),
    "sign_out": (_SIGN_OUT, _SIGN_OUT, _SIGN_OUT),
}
# fmt: on


def rules_table() -> str:
    """`COUNTER_RULES` as the markdown table in docs/queue-rules.md ("same": as to its left)."""
    lines = [
        "| key | counter open | counter paused (istirahat) | counter closed |",
        "|" + "---|" * 4,
    ]
    for key, cells in COUNTER_RULES.items():
        texts = [c.doc if i == 0 or c is not cells[i - 1] else "same" for i, c in enumerate(cells)]
        lines.append(f"| `{key}` | {' | '.join(texts)} |")
    return "\n".join(lines) + "\n"
