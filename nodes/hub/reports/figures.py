"""Report figures from the hub's event log: pure, no I/O, no clock.

Theory of operation: `compute()` reads the log's events (the classes of
`nodes/hub/events.py` that the queue applies) once, in log order (ordering by day first is as
good, since no figure links two days), keeping a small record per ticket and a timeline per
counter and day, then turns them into frozen dataclasses that every renderer (HTML, XLSX,
PDF, CSV) draws from. Times are local: an event's `at` carries the office's offset.

Definitions (docs/reports.md explains them to the head of office):

- Waiting time of a ticket in a service: from the ticket's FIRST issue (`ticket_issued`) to
  its first call in that service. A transferred ticket keeps its place in the new queue by
  its original issue time, so its wait in the new service also counts from that first issue
  and ends at its next call after the transfer; it is one wait sample for the old service
  and one for the new. Wall-clock time: a wait across the lunch break includes the break.
  Every called ticket counts, also one that then turns out a no-show (the queue made it
  wait). Recalls do not end or restart a wait.
- Service duration: from the call that led to the finish (the ticket's first call in that
  service; a recall does not restart it) to `ticket_finished`, wall-clock.
- A ticket's outcome is its last final event: served (finished), no-show (skipped),
  cancelled or expired; a skipped ticket called again is no longer a no-show. Outcomes are
  counted in the service the ticket was in at that moment. "Transferred" counts transfers
  out of a service ("transferred in" the other side); a transfer is not an outcome.
- Counter time from `counter_status` events: "open" time is the time in status open,
  "paused" the time in status paused; time open therefore already excludes breaks. Before
  its first status event of the day a counter that calls a ticket is open from that call.
  A status still open or paused at the end of the day lasts until the counter's last event
  that day. A counter with no status event at all is open from its first call to its last
  ticket event (finish, no-show or transfer).
- Busy time: the service durations of tickets finished at the counter, counted only inside
  its open time (a service that runs across a pause is busy before and after the pause, not
  during it). Utilisation = busy time / time open, so it never exceeds 100 %.
- Percentiles (median and P90) interpolate linearly between the two nearest ranks, the
  method of Excel's PERCENTILE.INC and numpy's default: for sorted values x[0..n-1] the
  p-quantile is at position p*(n-1). So an officer can check the XLSX with a formula.
- Service standard (PermenPAN-RB 15/2014): a service with `standard_wait_minutes` has its
  waits held to that standard instead of the office's target, everywhere (its row, the
  total, the days): a wait is "within" when it is at most its own service's standard or
  else the office target. With `standard_service_minutes`, the share of its service
  durations at most that standard is given too.
- Priority and ordinary: the same waits, split by the ticket's priority flag at issue.
- Per hour: tickets issued by the hour of issue, tickets served by the hour of finish,
  average wait of the tickets issued in that hour. The busiest hour is the hour with most
  tickets issued (the earliest one on a tie), summed over the days of the period.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from common.bahasa import Lang, hour_range
from nodes.hub.events import (
    CounterStatusChanged,
    Event,
    OfficerSignedIn,
    OfficerSignedOut,
    ServiceStatusChanged,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketSkipped,
    TicketStarted,
    TicketTransferred,
)
from nodes.hub.reports.labels import text
from nodes.hub.reports.skm import SkmFigures, SkmPass, SkmReport

#: The default target: a citizen should be called within 15 minutes.
DEFAULT_TARGET_WAIT_S: Final = 15 * 60
#: The standard a day is held to: at least this share of the citizens called within the
#: target (the common 80/20 service level). Page 1 of every report marks it met or not.
TARGET_GOAL: Final = 0.8


@dataclass(frozen=True)
class OfficeInfo:
    """What the report needs to know of the office: names in config order."""

    name: str
    services: tuple[tuple[str, str], ...] = ()  # (id, name)
    counters: tuple[tuple[str, str], ...] = ()  # (id, name)
    office_id: str = "kantor"
    timezone: str = "Asia/Jakarta"
    #: The letterhead's second line and the signature block (`[office]` address, head_*).
    address: str = ""
    head_title: str = ""
    head_name: str = ""
    head_nip: str = ""
    #: The officers (id, name) in config order; the officers' table is drawn only when
    #: `show_officers` (the head of office's report).
    officers: tuple[tuple[str, str], ...] = ()
    show_officers: bool = False
    #: The published standards, seconds: (service id, waiting time or None, service time
    #: or None), for the services that have one.
    standards: tuple[tuple[str, float | None, float | None], ...] = ()

    def wait_standard_s(self, service: str) -> float | None:
        return next((wait for key, wait, _ in self.standards if key == service), None)

    def service_standard_s(self, service: str) -> float | None:
        return next((done for key, _, done in self.standards if key == service), None)


@dataclass(frozen=True)
class WaitStats:
    """Waiting times in seconds; None where there is no sample."""

    count: int
    average_s: float | None
    median_s: float | None
    p90_s: float | None
    max_s: float | None
    over_target: int  # samples strictly longer than the target
    over_target_share: float | None  # over_target / count

    @property
    def within_target_share(self) -> float | None:
        """The share called within the target: the head of office's key figure."""
        return None if self.over_target_share is None else 1.0 - self.over_target_share


@dataclass(frozen=True)
class DurationStats:
    count: int
    average_s: float | None
    median_s: float | None


@dataclass(frozen=True)
class ServiceFigures:
    service: str  # "" for the all-services total
    name: str
    issued: int
    served: int
    no_show: int
    cancelled: int
    expired: int
    transferred_out: int
    transferred_in: int
    still_open: int  # neither served, no-show, cancelled nor expired (yet)
    wait: WaitStats
    duration: DurationStats
    #: The waits of priority tickets and of ordinary ones (UU 25/2009 Pasal 29).
    priority_wait: WaitStats = WaitStats(0, None, None, None, None, 0, None)
    ordinary_wait: WaitStats = WaitStats(0, None, None, None, None, 0, None)
    #: The service's published standards (None: none set) and the share of its service
    #: durations within the service-time standard.
    wait_standard_s: float | None = None
    service_standard_s: float | None = None
    within_service_standard: float | None = None


@dataclass(frozen=True)
class CounterFigures:
    counter: str
    name: str
    served: int
    duration: DurationStats
    open_s: float
    paused_s: float
    busy_s: float
    utilisation: float | None  # busy_s / open_s; None when never open


@dataclass(frozen=True)
class OfficerFigures:
    officer: str
    name: str
    served: int
    duration: DurationStats
    signed_in_s: float  # time signed in at a counter
    busy_s: float  # service durations of their tickets, inside the signed-in time
    idle_s: float  # signed in but not serving: signed_in_s - busy_s


@dataclass(frozen=True)
class HourFigures:
    hour: int  # 8 is 08.00-09.00 local time
    issued: int
    served: int
    average_wait_s: float | None


@dataclass(frozen=True)
class PeakHour:
    hour: int
    issued: int

    def phrase(self, lang: Lang = "id") -> str:
        """ "Jam tersibuk: 08.00–09.00, 132 tiket"."""
        return text("peak_phrase", lang, hours=hour_range(self.hour, lang), count=self.issued)


@dataclass(frozen=True)
class DayFigures:
    day: date
    issued: int
    served: int
    no_show: int
    cancelled: int
    expired: int
    transferred: int
    wait: WaitStats
    peak: PeakHour | None


@dataclass(frozen=True)
class HeatMap:
    """Tickets issued per day (rows) and hour (columns)."""

    days: tuple[date, ...]
    hours: tuple[int, ...]
    issued: tuple[tuple[int, ...], ...]

    @property
    def maximum(self) -> int:
        return max((n for row in self.issued for n in row), default=0)


@dataclass(frozen=True)
class Report:
    office: OfficeInfo
    first_day: date
    last_day: date
    target_wait_s: float
    total: ServiceFigures
    services: tuple[ServiceFigures, ...]
    counters: tuple[CounterFigures, ...]
    hours: tuple[HourFigures, ...]
    days: tuple[DayFigures, ...]
    heat: HeatMap
    peak: PeakHour | None
    #: The SKM survey's figures (reports/skm.py).
    skm: SkmReport = field(default_factory=lambda: SkmReport(SkmFigures("", "", 0, 0)))
    #: Per officer (reports/officers.py); shown only to the head of office.
    officers: tuple[OfficerFigures, ...] = ()

    @property
    def has_standards(self) -> bool:
        """Whether a service publishes its own waiting-time standard: the "within" column
        then means within each service's standard, not the office's one target."""
        return any(wait is not None for _, wait, _ in self.office.standards)

    @property
    def single_day(self) -> bool:
        return self.first_day == self.last_day

    @property
    def empty(self) -> bool:
        return self.total.issued == 0 and not any(c.open_s or c.paused_s for c in self.counters)

    def peak_phrase(self, lang: Lang = "id") -> str:
        return self.peak.phrase(lang) if self.peak else text("peak_none", lang)


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (PERCENTILE.INC); values must be sorted."""
    if not values:
        return None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"percentile p must be within 0..1, not {p}")
    position = p * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def wait_stats_against(groups: Iterable[tuple[Sequence[float], float]]) -> WaitStats:
    """The waits of several groups together, each group's samples held to its own target
    (a service's standard): (samples, target) per group."""
    values: list[float] = []
    over = 0
    for samples, target_s in groups:
        ordered = sorted(samples)
        over += len(ordered) - bisect_right(ordered, target_s)
        values.extend(ordered)
    values.sort()
    if not values:
        return WaitStats(0, None, None, None, None, 0, None)
    return WaitStats(
        count=len(values),
        average_s=sum(values) / len(values),
        median_s=percentile(values, 0.5),
        p90_s=percentile(values, 0.9),
        max_s=values[-1],
        over_target=over,
        over_target_share=over / len(values),
    )


def duration_stats(samples: Iterable[float]) -> DurationStats:
    values = sorted(samples)
    if not values:
        return DurationStats(0, None, None)
    return DurationStats(len(values), sum(values) / len(values), percentile(values, 0.5))


# --- the pass over the log -----------------------------------------------------------------

_OUTCOMES: Final[dict[type[Event], str]] = {
    TicketFinished: "served",
    TicketSkipped: "no_show",
    TicketCancelled: "cancelled",
    TicketExpired: "expired",
}
#: Kinds no figure needs: a reader need not even fetch them.
_UNUSED: Final = (TicketStarted, ServiceStatusChanged)
UNUSED_KINDS: Final = frozenset(cls.kind for cls in _UNUSED)


class _Ticket:
    """What the pass remembers of one ticket."""

    __slots__ = ("call_at", "called", "day", "first_service", "issue_hour", "issued_at",
                 "officer", "outcome", "priority", "service")  # fmt: skip

    def __init__(
        self, day: date, issued_at: float, issue_hour: int, service: str, priority: bool = False
    ) -> None:
        self.priority = priority
        self.officer: str | None = None  # who made the call that a finish would end
        self.day = day
        self.issued_at = issued_at
        self.issue_hour = issue_hour
        self.first_service = service
        self.service = service  # the service it waits for now (changes on transfer)
        self.called = False  # has it been called in its current service?
        self.call_at: float | None = None  # the call that a finish would end
        self.outcome: tuple[str, str] | None = None  # (outcome, service)


#: A span of time as POSIX seconds: floats compare and subtract far faster than aware
#: datetimes, which matters for a month of rows.
Span = tuple[float, float]


class _CounterDay:
    """One counter on one day: status changes and the ticket activity around them."""

    __slots__ = ("busy", "changes", "first_call", "last_event", "last_ticket_event")

    def __init__(self) -> None:
        self.changes: list[tuple[float, str]] = []
        self.first_call: float | None = None
        self.last_ticket_event: float | None = None
        self.last_event: float | None = None
        self.busy: list[Span] = []

    def intervals(self) -> tuple[list[Span], list[Span]]:
        """(open intervals, paused intervals) by the definitions in the module docstring."""
        if not self.changes:
            if self.first_call is None or self.last_ticket_event is None:
                return [], []
            return [(self.first_call, self.last_ticket_event)], []
        changes = sorted(self.changes, key=lambda change: change[0])
        if self.first_call is not None and self.first_call < changes[0][0]:
            changes.insert(0, (self.first_call, "open"))
        end = self.last_event or changes[-1][0]
        spans: dict[str, list[Span]] = {"open": [], "paused": []}
        for (start, status), (stop, _) in zip(changes, [*changes[1:], (end, "")], strict=True):
            if status in spans and stop > start:
                spans[status].append((start, stop))
        return spans["open"], spans["paused"]


def _seconds(intervals: Iterable[Span]) -> float:
    return sum(stop - start for start, stop in intervals)


def _overlap(span: Span, intervals: Iterable[Span]) -> float:
    start, stop = span
    total = 0.0
    for low, high in intervals:
        if high > start and low < stop:
            total += min(stop, high) - max(start, low)
    return total


def _peak(issued_by_hour: Mapping[int, int]) -> PeakHour | None:
    best: PeakHour | None = None
    for hour in sorted(issued_by_hour):
        count = issued_by_hour[hour]
        if count and (best is None or count > best.issued):
            best = PeakHour(hour, count)
    return best


def officer_figures(office: OfficeInfo, log: _Pass) -> tuple[OfficerFigures, ...]:
    from nodes.hub.reports.officers import officer_figures as figures  # needs this module

    return figures(office, log.officer_events, log.officer_served, log.counters)


def _target(office: OfficeInfo, service: str, target_s: float) -> float:
    """The wait a service is held to: its own published standard, else the office's."""
    standard = office.wait_standard_s(service)
    return target_s if standard is None else standard


def _ordered(configured: Sequence[tuple[str, str]], seen: Iterable[str]) -> list[tuple[str, str]]:
    """Configured ids in config order, then ids only the log knows (sorted, named by id)."""
    known = {key for key, _ in configured}
    return [*configured, *((key, key) for key in sorted(set(seen) - known))]


def compute(
    events: Iterable[Event],
    office: OfficeInfo,
    first_day: date,
    last_day: date | None = None,
    target_wait_s: float = DEFAULT_TARGET_WAIT_S,
) -> Report:
    """The figures of the days `first_day`..`last_day` (inclusive) from events in log order.

    Events of other days are ignored, so a caller may pass a wider slice of the log.
    """
    last_day = last_day or first_day
    log = _Pass()
    survey = SkmPass(first_day, last_day)
    log.read(survey.watch(events), first_day, last_day)
    groups = _Groups(log)
    services = _ordered(office.services, groups.seen_services())
    everything = {key for key, _ in services} | set(groups.issued) | {d[0] for d in log.durations}
    hours = groups.hours()
    return Report(
        office=office, first_day=first_day, last_day=last_day, target_wait_s=target_wait_s,
        total=groups.service("", "", everything, office, target_wait_s),
        services=tuple(groups.service(key, name, {key}, office, target_wait_s)
                       for key, name in services),
        counters=_counter_figures(office, log, groups),
        hours=hours,
        days=groups.days(office, target_wait_s),
        heat=groups.heat(tuple(h.hour for h in hours)),
        peak=_peak(groups.hour_issued),
        skm=survey.report(office.services, office.counters),
        officers=officer_figures(office, log),
    )  # fmt: skip


class _Pass:
    """The one pass over the log: a record per ticket, a timeline per counter and day, and
    the samples (waits, durations) as they happen."""

    def __init__(self) -> None:
        self.tickets: dict[str, _Ticket] = {}
        self.counters: dict[tuple[date, str], _CounterDay] = {}
        #: (service, day, issue hour, seconds, priority)
        self.waits: list[tuple[str, date, int, float, bool]] = []
        self.durations: list[tuple[str, str, float]] = []  # (service, counter, seconds)
        self.served_at: list[tuple[date, int]] = []  # (day, finish hour) of each finish
        self.transfers: list[tuple[date, str, str]] = []  # (day, from service, to service)
        #: For the officers' figures (reports/officers.py): sign-ins and sign-outs, and
        #: (officer, day, call, finish) of each ticket served by a signed-in officer.
        self.officer_events: list[OfficerSignedIn | OfficerSignedOut] = []
        self.officer_served: list[tuple[str, date, float, float]] = []

    def read(self, events: Iterable[Event], first: date, last: date) -> None:
        """Read the events of the days `first`..`last`."""
        tickets, counters = self.tickets, self.counters
        for event in events:
            day = event.day
            if not first <= day <= last or isinstance(event, _UNUSED):
                continue
            if isinstance(event, OfficerSignedIn | OfficerSignedOut):
                self.officer_events.append(event)  # no counter activity: not its open time
                continue
            at = event.at.timestamp()
            counter: str | None = getattr(event, "counter", None)
            timeline: _CounterDay | None = None
            if counter:  # inline, not a method: this runs for almost every event
                timeline = counters.get((day, counter))
                if timeline is None:
                    timeline = counters[(day, counter)] = _CounterDay()
                if timeline.last_event is None or at > timeline.last_event:
                    timeline.last_event = at
            if isinstance(event, CounterStatusChanged):
                if timeline is not None:
                    timeline.changes.append((at, event.status))
                continue
            if timeline is not None:
                timeline.last_ticket_event = at
            if isinstance(event, TicketIssued):
                if event.ticket_id not in tickets:
                    tickets[event.ticket_id] = _Ticket(
                        day, at, event.at.hour, event.service, event.priority
                    )
                continue
            ticket = tickets.get(event.ticket_id)
            if ticket is None:  # its issue lies outside the period or the log: nothing to measure
                continue
            if isinstance(event, TicketCalled):
                if ticket.call_at is None:
                    ticket.officer = event.officer
                self._called(ticket, at, timeline)
            elif isinstance(event, TicketTransferred):
                self._transferred(ticket, event)
            elif type(event) in _OUTCOMES:
                where = (event.service or ticket.service, counter or "")
                self._ended(ticket, _OUTCOMES[type(event)], at, event.at.hour, where, timeline)

    def _called(self, ticket: _Ticket, at: float, timeline: _CounterDay | None) -> None:
        # A call of a ticket already called in its current service is a recall (the core's
        # `recall` count says the same): it neither ends the wait nor restarts the service.
        if ticket.call_at is None:
            ticket.call_at = at
        if not ticket.called:
            ticket.called = True
            wait = at - ticket.issued_at
            self.waits.append(
                (ticket.service, ticket.day, ticket.issue_hour, wait, ticket.priority)
            )
        if ticket.outcome is not None and ticket.outcome[0] == "no_show":
            ticket.outcome = None  # a no-show called again is back in the queue
        if timeline is not None and timeline.first_call is None:
            timeline.first_call = at

    def _transferred(self, ticket: _Ticket, event: TicketTransferred) -> None:
        self.transfers.append((ticket.day, event.from_service or ticket.service, event.service))
        ticket.service = event.service or ticket.service
        ticket.called = False
        ticket.call_at = None
        ticket.officer = None

    def _ended(
        self,
        ticket: _Ticket,
        outcome: str,
        at: float,
        hour: int,
        where: tuple[str, str],  # (service, counter)
        timeline: _CounterDay | None,
    ) -> None:
        ticket.outcome = (outcome, where[0])
        if outcome == "served" and ticket.call_at is not None:
            self.durations.append((*where, at - ticket.call_at))
            if ticket.officer is not None:
                self.officer_served.append((ticket.officer, ticket.day, ticket.call_at, at))
            self.served_at.append((ticket.day, hour))
            if timeline is not None:
                timeline.busy.append((ticket.call_at, at))
        ticket.call_at = None
        ticket.officer = None


class _Groups:
    """The pass's records counted and grouped once, so that no table rescans every sample."""

    def __init__(self, log: _Pass) -> None:
        self.issued: dict[str, int] = defaultdict(int)
        self.outcomes: dict[tuple[str, str], int] = defaultdict(int)  # (outcome, service)
        self.still_open: dict[str, int] = defaultdict(int)
        self.moved_out: dict[str, int] = defaultdict(int)
        self.moved_in: dict[str, int] = defaultdict(int)
        self.day_issued: dict[date, int] = defaultdict(int)
        self.day_outcomes: dict[tuple[str, date], int] = defaultdict(int)
        self.day_transfers: dict[date, int] = defaultdict(int)
        self.day_hour_issued: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.hour_issued: dict[int, int] = defaultdict(int)
        self.hour_served: dict[int, int] = defaultdict(int)
        self.waits_by_service: dict[str, list[float]] = defaultdict(list)
        self.waits_by_kind: dict[tuple[str, bool], list[float]] = defaultdict(list)
        self.waits_by_day: dict[date, dict[str, list[float]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.waits_by_hour: dict[int, list[float]] = defaultdict(list)
        self.durations_by_service: dict[str, list[float]] = defaultdict(list)
        self.durations_by_counter: dict[str, list[float]] = defaultdict(list)
        self._count(log)
        self._group(log)
        self.day_list = sorted(set(self.day_issued) | {day for day, _ in log.counters})

    def _count(self, log: _Pass) -> None:
        for ticket in log.tickets.values():
            self.issued[ticket.first_service] += 1
            self.day_issued[ticket.day] += 1
            self.day_hour_issued[ticket.day][ticket.issue_hour] += 1
            self.hour_issued[ticket.issue_hour] += 1
            if ticket.outcome is None:
                self.still_open[ticket.service] += 1
            else:
                self.outcomes[ticket.outcome] += 1
                self.day_outcomes[(ticket.outcome[0], ticket.day)] += 1
        for day, old, new in log.transfers:
            self.moved_out[old] += 1
            self.moved_in[new] += 1
            self.day_transfers[day] += 1

    def _group(self, log: _Pass) -> None:
        for service, day, hour, seconds, priority in log.waits:
            self.waits_by_service[service].append(seconds)
            self.waits_by_kind[(service, priority)].append(seconds)
            self.waits_by_day[day][service].append(seconds)
            self.waits_by_hour[hour].append(seconds)
        for service, counter, seconds in log.durations:
            self.durations_by_service[service].append(seconds)
            self.durations_by_counter[counter].append(seconds)
        for _, hour in log.served_at:
            self.hour_served[hour] += 1

    def seen_services(self) -> set[str]:
        outcomes = {service for _, service in self.outcomes}
        seen = set(self.issued) | outcomes | set(self.still_open) | set(self.moved_in)
        return (seen | set(self.moved_out) | set(self.waits_by_service)
                | set(self.durations_by_service)) - {""}  # fmt: skip

    def service(
        self, service: str, name: str, keys: set[str], office: OfficeInfo, target_s: float
    ) -> ServiceFigures:
        """The figures of the services `keys` together (one, or all for the total), each
        service's waits held to its own standard, else the office's target."""

        def tally(counts: Mapping[str, int]) -> int:
            return sum(counts.get(key, 0) for key in keys)

        def outcome(kind: str) -> int:
            return sum(self.outcomes.get((kind, key), 0) for key in keys)

        def waits(samples: Callable[[str], Sequence[float]]) -> WaitStats:
            return wait_stats_against(
                (samples(key), _target(office, key, target_s)) for key in sorted(keys)
            )

        durations = [v for key in keys for v in self.durations_by_service.get(key, ())]
        done_standard = office.service_standard_s(service) if service else None
        within = None
        if done_standard is not None and durations:
            within = sum(1 for v in durations if v <= done_standard) / len(durations)
        return ServiceFigures(
            service=service, name=name, issued=tally(self.issued), served=outcome("served"),
            no_show=outcome("no_show"), cancelled=outcome("cancelled"), expired=outcome("expired"),
            transferred_out=tally(self.moved_out), transferred_in=tally(self.moved_in),
            still_open=tally(self.still_open),
            wait=waits(lambda key: self.waits_by_service.get(key, ())),
            duration=duration_stats(durations),
            priority_wait=waits(lambda key: self.waits_by_kind.get((key, True), ())),
            ordinary_wait=waits(lambda key: self.waits_by_kind.get((key, False), ())),
            wait_standard_s=office.wait_standard_s(service) if service else None,
            service_standard_s=done_standard, within_service_standard=within,
        )  # fmt: skip

    def hours(self) -> tuple[HourFigures, ...]:
        """Every hour from the first to the last with a ticket issued or served."""
        active = set(self.hour_issued) | set(self.hour_served)
        span = range(min(active), max(active) + 1) if active else range(0)
        waits = self.waits_by_hour
        return tuple(
            HourFigures(
                hour=hour, issued=self.hour_issued.get(hour, 0),
                served=self.hour_served.get(hour, 0),
                average_wait_s=sum(waits[hour]) / len(waits[hour]) if waits.get(hour) else None,
            )
            for hour in span
        )  # fmt: skip

    def days(self, office: OfficeInfo, target_s: float) -> tuple[DayFigures, ...]:
        outcomes = self.day_outcomes
        return tuple(
            DayFigures(
                day=day, issued=self.day_issued.get(day, 0),
                served=outcomes.get(("served", day), 0), no_show=outcomes.get(("no_show", day), 0),
                cancelled=outcomes.get(("cancelled", day), 0),
                expired=outcomes.get(("expired", day), 0),
                transferred=self.day_transfers.get(day, 0),
                wait=wait_stats_against(
                    (samples, _target(office, key, target_s))
                    for key, samples in sorted(self.waits_by_day.get(day, {}).items())
                ),
                peak=_peak(self.day_hour_issued.get(day, {})),
            )
            for day in self.day_list
        )  # fmt: skip

    def heat(self, hours: tuple[int, ...]) -> HeatMap:
        issued = (self.day_hour_issued.get(day, {}) for day in self.day_list)
        rows = tuple(tuple(by_hour.get(hour, 0) for hour in hours) for by_hour in issued)
        return HeatMap(days=tuple(self.day_list), hours=hours, issued=rows)


def _counter_figures(office: OfficeInfo, log: _Pass, groups: _Groups) -> tuple[CounterFigures, ...]:
    timelines: dict[str, list[_CounterDay]] = defaultdict(list)
    for (_, counter_id), timeline in log.counters.items():
        timelines[counter_id].append(timeline)
    counter_ids = set(timelines) | {d[1] for d in log.durations if d[1]}
    rows = []
    for key, name in _ordered(office.counters, counter_ids):
        open_s = paused_s = busy_s = 0.0
        for timeline in timelines.get(key, ()):
            open_spans, paused_spans = timeline.intervals()
            open_s += _seconds(open_spans)
            paused_s += _seconds(paused_spans)
            busy_s += sum(_overlap(span, open_spans) for span in timeline.busy)
        served = groups.durations_by_counter.get(key, [])
        utilisation = busy_s / open_s if open_s else None
        rows.append(CounterFigures(key, name, len(served), duration_stats(served), open_s,
                                   paused_s, busy_s, utilisation))  # fmt: skip
    return tuple(rows)
