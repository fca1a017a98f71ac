"""Benchmark of the hub's SQLite store: durable single-ticket commits, and rebuilding the
queue at start with a year of history.

    .venv/bin/python bench/hub_store.py                 # 250 days × 2000 tickets
    .venv/bin/python bench/hub_store.py --days 20 --dir /var/lib/antrian
    .venv/bin/python bench/hub_store.py --history /var/tmp/year.db   # keep/reuse the year

The history is made by the real queue core (tickets issued through the day, three
counters calling, starting, finishing, skipping and transferring), so the log has the
shape a real office's log has. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nodes.hub.eventlog import EventLog
from nodes.hub.events import Command, CounterCommand, Event, ExpireOpenTickets, IssueTicket
from nodes.hub.office import CounterSpec, NodeSpec, Office, ServiceSpec
from nodes.hub.queue import Queue, Rejected
from nodes.hub.store import Store

TZ = ZoneInfo("Asia/Jakarta")
OFFICE = Office(
    id="kantor",
    name="Kantor Kecamatan Contoh",
    timezone="Asia/Jakarta",
    services=(
        ServiceSpec("A", "Kartu Keluarga", "A"),
        ServiceSpec("B", "KTP Elektronik", "B"),
        ServiceSpec("C", "Akta Kelahiran", "C"),
    ),
    counters=(
        CounterSpec("1", "Loket 1", ("A", "B")),
        CounterSpec("2", "Loket 2", ("B", "C")),
        CounterSpec("3", "Loket 3", ("C",)),
    ),
    nodes=(NodeSpec("kiosk-1", "kiosk"),),
)


def step(queue: Queue, command: Command, now: datetime, out: list[Event]) -> None:
    try:
        events = queue.handle(command, now)
    except Rejected:
        return
    for event in events:
        queue.apply(event)
    out.extend(events)


def office_day(queue: Queue, day: date, tickets: int, rng: random.Random) -> list[Event]:
    """One working day, 07:30 to ~16:00: `tickets` issued, counters keeping up."""
    out: list[Event] = []
    now = datetime(day.year, day.month, day.day, 7, 30, tzinfo=TZ)
    step(queue, ExpireOpenTickets(), now, out)
    gap = timedelta(seconds=8 * 3600 / tickets)
    for n in range(tickets):
        now += gap
        step(queue, IssueTicket(rng.choice("AAABBC"), rng.random() < 0.05, "kiosk-1"), now, out)
        if n % 2:
            counter = rng.choice("123")
            roll = rng.random()
            if roll < 0.05:
                step(queue, CounterCommand(counter, "skip"), now, out)
            elif roll < 0.07:
                step(
                    queue, CounterCommand(counter, "transfer", service=rng.choice("ABC")), now, out
                )
            elif roll < 0.10:
                step(queue, CounterCommand(counter, "recall"), now, out)
            step(queue, CounterCommand(counter, "call_next"), now, out)
            step(queue, CounterCommand(counter, "start"), now, out)
            if counter == "3":  # Loket 3 has a second officer: call twice as often
                step(queue, CounterCommand(counter, "call_next"), now, out)
    # Work through most of the line; a few tickets are left for the day rollover.
    while sum(queue.waiting_count(s.id) for s in OFFICE.services) > 5:
        now += timedelta(seconds=30)
        before = len(out)
        for counter in "123":
            step(queue, CounterCommand(counter, "call_next"), now, out)
        if len(out) == before:
            break
    for counter in "123":
        step(queue, CounterCommand(counter, "finish"), now, out)
    return out


def bench_commits(directory: Path, count: int) -> None:
    path = directory / "commits.db"
    store = Store(path)
    queue = store.load(OFFICE, datetime(2026, 11, 28, 8, tzinfo=TZ))
    now = datetime(2026, 11, 28, 8, tzinfo=TZ)
    latencies = []
    started = time.perf_counter()
    for n in range(count):
        now += timedelta(seconds=1)
        events = queue.handle(IssueTicket("ABC"[n % 3], False, "kiosk-1"), now)
        t0 = time.perf_counter()
        answer = {"status": "ok", "data": {"ticket_id": getattr(events[0], "ticket_id", None)}}
        store.commit(events, node="kiosk-1", transaction=f"t{n}", verb="ticket", response=answer)
        latencies.append(time.perf_counter() - t0)
        for event in events:
            queue.apply(event)
    elapsed = time.perf_counter() - started
    store.close()
    latencies.sort()
    print(f"single-ticket commits (events + projection + idempotency record, fsync): {count}")
    print(f"  {count / elapsed:,.0f} commits/s; commit latency p50 "
          f"{statistics.median(latencies) * 1e3:.2f} ms, p99 "
          f"{latencies[int(len(latencies) * 0.99)] * 1e3:.2f} ms")  # fmt: skip


def make_history(path: Path, days: int, tickets: int) -> date:
    """Fill `path` with `days` working days of `tickets` tickets; returns the last day."""
    store = Store(path)
    queue = Queue(OFFICE)
    rng = random.Random(1)
    day = date(2025, 12, 1)
    started = time.perf_counter()
    total = 0
    for n in range(days):
        if n:
            day += timedelta(days=1 if day.weekday() < 4 else 3)
        events = office_day(queue, day, tickets, rng)
        store.commit(events)
        total += len(events)
        if n % 25 == 24:
            print(f"  ... {n + 1} days, {total:,} events", flush=True)
    print(f"history: {days} days × {tickets} tickets = {total:,} events, generated and "
          f"committed in {time.perf_counter() - started:.0f} s")  # fmt: skip
    store.close()
    return day


def bench_load(path: Path, days: int, tickets: int) -> None:
    if path.exists():
        with sqlite3.connect(path) as reader:
            (last_text, count) = reader.execute("SELECT max(day), count(*) FROM events").fetchone()
        last = date.fromisoformat(last_text)
        print(f"history: reusing {path} ({count:,} events up to {last})")
    else:
        last = make_history(path, days, tickets)
    print(f"database {os.path.getsize(path) / 1e6:.0f} MB")
    reopened = Store(path)
    # The next morning: yesterday's leftovers to expire, nothing issued yet.
    morning = datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ) + timedelta(
        hours=7
    )
    t0 = time.perf_counter()
    loaded = reopened.load(OFFICE, morning)
    print(f"load() at the start of a day: {(time.perf_counter() - t0) * 1e3:.1f} ms "
          f"({len(loaded.tickets)} open tickets)")  # fmt: skip
    # Late in the last day of history: that day's whole log is replayed.
    evening = datetime.combine(last, datetime.min.time(), TZ) + timedelta(hours=18)
    t0 = time.perf_counter()
    loaded = reopened.load(OFFICE, evening)
    print(f"load() late in a full day: {(time.perf_counter() - t0) * 1e3:.1f} ms "
          f"({len(loaded.tickets)} tickets that day)")  # fmt: skip
    t0 = time.perf_counter()
    log = EventLog(reopened.path)
    rows = sum(1 for _ in log.days(last - timedelta(days=30), last))
    print(f"EventLog.days() for a 30-day report: {rows:,} events in "
          f"{(time.perf_counter() - t0) * 1e3:.0f} ms")  # fmt: skip
    reopened.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--tickets", type=int, default=2000, help="tickets per day")
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go")
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        help="keep the year's database here (reused if it exists)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir or Path.home()) as tmp:
        print(f"databases in {tmp} (sqlite {sqlite3.sqlite_version})")
        bench_commits(Path(tmp), args.commits)
        bench_load(args.history or Path(tmp) / "year.db", args.days, args.tickets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
