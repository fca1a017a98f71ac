"""`antrian simulate-day`: fill the hub's database with a realistic office day.

Citizens arrive with a morning peak, a dip at lunch (and the Friday prayer break,
11.30-13.00, when the counters pause and hardly anyone comes), choose services in fixed
proportions, and are served for a time drawn per service; a few do not answer their call
(no-show after a recall), a few are recalled, transferred to another service, or cancelled
at the kiosk. Every step goes through the REAL queue core and store, exactly as the hub
daemon does it: `Queue.handle` decides, the events are committed, then `Queue.apply`.

This is a discrete-event simulation on the simulated clock: no sleeping, a busy day
takes well under a second of queue work. The same seed gives the same day.

    antrian simulate-day --config examples/office/hub.toml --date 2026-11-27 --seed 7
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import logging
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from common import config
from nodes.hub.events import (
    CancelTicket,
    CounterCommand,
    Event,
    ExpireOpenTickets,
    IssueTicket,
    TicketIssued,
)
from nodes.hub.office import Office, read_office
from nodes.hub.queue import Queue, Rejected
from nodes.hub.store import Store

log = logging.getLogger("antrian.simulate")

#: Relative arrival rate per half hour from 07.30 (index 0) to 14.30 (the ticket cut-off):
#: a queue forms before the doors open, peaks mid-morning, dips at lunch.
ARRIVALS = (3, 10, 12, 11, 10, 8, 7, 5, 4, 2, 2, 5, 5, 3)
#: The same on a Friday: next to nobody comes during the prayer break 11.30-13.00.
ARRIVALS_FRIDAY = (3, 10, 12, 11, 10, 8, 7, 5, 0.3, 0.3, 0.3, 5, 5, 3)
FIRST_ARRIVAL = time(7, 30)
#: Mean service minutes, by the service's position in the config (cycled).
MEAN_SERVICE_MIN = (6.0, 9.0, 12.0, 7.0, 10.0)

Record = Callable[[list[Event]], None]


@dataclass(frozen=True)
class DayPlan:
    """How the simulated day goes; the defaults give an ordinary busy day."""

    tickets: int = 120
    seed: int = 1
    opens: time = time(8, 0)
    closes: time = time(15, 0)  # counters close when no one is left waiting after this
    no_show: float = 0.05  # citizens gone when called: recalled once, then skipped
    recall: float = 0.10  # answered only after a recall
    transfer: float = 0.03  # sent on to another service after a first look
    cancel: float = 0.01  # cancelled at the kiosk right after issue (printer trouble)
    priority: float = 0.05  # elderly, disabled, pregnant: served first

    def break_for(self, day: date) -> tuple[time, time]:
        """Counters pause 12.00-13.00, on Friday for prayers 11.30-13.00."""
        return (time(11, 30), time(13, 0)) if day.weekday() == 4 else (time(12, 0), time(13, 0))


@dataclass(frozen=True)
class SimulatedDay:
    day: date
    arrivals: int  # citizens who came
    refused: int  # tickets the queue refused (quota, service closed)
    events: int
    kinds: dict[str, int]


class _Office:
    """The simulation's side: the clock, the random draws, the to-do list."""

    def __init__(self, queue: Queue, office: Office, day: date, plan: DayPlan, record: Record):
        self.queue = queue
        self.office = office
        self.day = day
        self.plan = plan
        self.record = record
        self.random = random.Random(f"{plan.seed}-{day.isoformat()}")
        self.tz = office.tz
        self.todo: list[tuple[datetime, int, str, tuple[Any, ...]]] = []
        self.order = itertools.count()
        self.idle: set[str] = set()
        self.busy: set[str] = set()
        self.kinds: Counter[str] = Counter()
        self.refused = 0
        self.kiosk = next((n.id for n in office.nodes if n.role == "kiosk"), "kiosk-1")
        self.pause_start, self.pause_end = (self.at(t) for t in plan.break_for(day))

    def at(self, moment: time) -> datetime:
        return datetime.combine(self.day, moment, self.tz)

    def later(self, when: datetime, action: str, *args: Any) -> None:
        heapq.heappush(self.todo, (when, next(self.order), action, args))

    def act(self, command: Any, now: datetime) -> list[Event]:
        """One command through the real core: decide, commit, apply. [] if refused."""
        try:
            events = self.queue.handle(command, now)
        except Rejected:
            return []
        if events:
            self.record(events)
            for event in events:
                self.queue.apply(event)
                self.kinds[event.kind] += 1
        return events

    def counter(self, counter_id: str, action: str, now: datetime, **extra: Any) -> list[Event]:
        return self.act(CounterCommand(counter_id, action, **extra), now)

    # --- the plan of the day ----------------------------------------------------------

    def arrivals(self) -> list[tuple[datetime, str, bool]]:
        weights = ARRIVALS_FRIDAY if self.day.weekday() == 4 else ARRIVALS
        start = self.at(FIRST_ARRIVAL)
        services = [s.id for s in self.office.services]
        # Earlier services in the config are the busier ones (KK before akta, say).
        service_weights = [1.0 / (i + 1) for i in range(len(services))]
        slots = self.random.choices(range(len(weights)), weights=weights, k=self.plan.tickets)
        result = []
        for slot in slots:
            moment = start + timedelta(seconds=slot * 1800 + self.random.uniform(0, 1799))
            service = self.random.choices(services, weights=service_weights)[0]
            result.append((moment, service, self.random.random() < self.plan.priority))
        return sorted(result)

    def run(self) -> None:
        for counter in self.office.counters:
            opening = self.at(self.plan.opens) + timedelta(seconds=self.random.uniform(0, 300))
            self.later(opening, "key", counter.id, "open")
            self.later(self.pause_start, "try_call", counter.id)
            self.later(self.at(self.plan.closes), "try_call", counter.id)
        for moment, service, priority in self.arrivals():
            self.later(moment, "arrive", service, priority)
        while self.todo:
            now, _, action, args = heapq.heappop(self.todo)
            getattr(self, f"_{action}")(now, *args)
        self._end_of_day()

    # --- what happens -------------------------------------------------------------------

    def _arrive(self, now: datetime, service: str, priority: bool) -> None:
        events = self.act(IssueTicket(service, priority, self.kiosk), now)
        if not events:
            self.refused += 1
            return
        issued = events[0]
        assert isinstance(issued, TicketIssued)
        if self.random.random() < self.plan.cancel:
            self.later(now + timedelta(seconds=5), "cancel", issued.ticket_id)
        self._wake(now, service)

    def _wake(self, now: datetime, service: str) -> None:
        for counter in self.office.counters:
            if counter.id in self.idle and service in counter.services:
                self.idle.discard(counter.id)
                delay = self.random.uniform(5, 20)
                self.later(now + timedelta(seconds=delay), "try_call", counter.id)

    def _cancel(self, now: datetime, ticket_id: str) -> None:
        self.act(CancelTicket(ticket_id, "print_failed", self.kiosk), now)

    def _key(self, now: datetime, counter: str, action: str) -> None:
        """The officer presses `action`; after it the counter moves on by itself."""
        self.counter(counter, action, now)
        if action in ("open", "resume"):
            self._try_call(now, counter)
        elif action in ("skip", "finish"):
            self._done(now, counter)

    def _try_call(self, now: datetime, counter: str) -> None:
        if counter in self.busy or self.queue.counters[counter].status != "open":
            return
        if self.pause_start <= now < self.pause_end:
            self.counter(counter, "pause", now)
            self.idle.discard(counter)
            resume = self.pause_end + timedelta(seconds=self.random.uniform(0, 240))
            self.later(resume, "key", counter, "resume")
            return
        closing = now >= self.at(self.plan.closes)
        if closing and not self.queue.waiting_for_counter(counter):
            self.counter(counter, "close", now)
            self.idle.discard(counter)
            return
        events = self.counter(counter, "call_next", now)
        if not events:
            self.idle.add(counter)  # queue empty: the next arrival wakes it
            return
        self.busy.add(counter)
        self.idle.discard(counter)
        called = events[-1]
        draw = self.random.random()
        if draw < self.plan.no_show:
            self.later(now + timedelta(seconds=45), "key", counter, "recall")
            self.later(now + timedelta(seconds=100), "key", counter, "skip")
            return
        walk = self.random.uniform(20, 90)
        if draw < self.plan.no_show + self.plan.recall:
            self.later(now + timedelta(seconds=40), "key", counter, "recall")
            walk += 40
        self.later(now + timedelta(seconds=walk), "key", counter, "start")
        service = called.service  # type: ignore[union-attr]
        minutes = self._service_minutes(service)
        others = [s.id for s in self.office.services if s.id != service]
        if others and self.random.random() < self.plan.transfer:
            target = self.random.choice(others)
            self.later(now + timedelta(seconds=walk + minutes * 30), "transfer", counter, target)
        else:
            self.later(now + timedelta(seconds=walk + minutes * 60), "key", counter, "finish")

    def _service_minutes(self, service: str) -> float:
        index = [s.id for s in self.office.services].index(service)
        mean = MEAN_SERVICE_MIN[index % len(MEAN_SERVICE_MIN)]
        return max(1.0, self.random.gammavariate(4.0, mean / 4.0))

    def _done(self, now: datetime, counter: str) -> None:
        self.busy.discard(counter)
        self.later(now + timedelta(seconds=self.random.uniform(5, 30)), "try_call", counter)

    def _transfer(self, now: datetime, counter: str, service: str) -> None:
        self.counter(counter, "transfer", now, service=service)
        self._done(now, counter)
        self._wake(now, service)

    def _end_of_day(self) -> None:
        """What the hub does at the next day's rollover: expire what is still open."""
        tomorrow = datetime.combine(self.day + timedelta(days=1), time(0, 0, 1), self.tz)
        self.act(ExpireOpenTickets(), tomorrow)


def simulate_day(
    queue: Queue, office: Office, day: date, record: Record, plan: DayPlan | None = None
) -> SimulatedDay:
    """Run one office day through `queue`; `record(events)` must make them durable
    (`Store.commit`) before they are applied. The queue must not be ahead of `day`."""
    plan = plan or DayPlan(tickets=30 * len(office.counters))
    simulation = _Office(queue, office, day, plan, record)
    simulation.run()
    return SimulatedDay(
        day=day,
        arrivals=plan.tickets,
        refused=simulation.refused,
        events=sum(simulation.kinds.values()),
        kinds=dict(simulation.kinds),
    )


def simulate_into(
    db_path: str | Path, office: Office, day: date, plan: DayPlan | None = None
) -> SimulatedDay:
    """Simulate `day` into the hub database at `db_path` (created if missing), one
    `Store.commit` per command, as the hub daemon does."""
    store = Store(db_path)
    try:
        queue = store.load(office, datetime.combine(day, time(6, 0), office.tz))
        return simulate_day(queue, office, day, store.commit, plan)
    finally:
        store.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrian simulate-day",
        description="Fill the hub's database with a realistic simulated office day.",
    )
    parser.add_argument("--config", required=True, help="the hub's TOML file")
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tickets", type=int, help="citizens arriving (default 30 per counter)")
    parser.add_argument("--database", type=Path, help="instead of the config's [hub] database")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        root = config.load(args.config)
        office = read_office(root)
        database = args.database or root.table("hub", required=True).filepath("database")
    except config.ConfigError as exc:
        log.error("configuration error: %s", exc)
        return 2
    tickets = args.tickets if args.tickets is not None else 30 * len(office.counters)
    result = simulate_into(database, office, args.date, DayPlan(tickets=tickets, seed=args.seed))
    log.info(
        "%s: %d citizens came, %d refused, %d events written to %s",
        result.day,
        result.arrivals,
        result.refused,
        result.events,
        database,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
