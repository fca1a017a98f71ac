"""Benchmark: reports over a year of history of a busy office.

    .venv/bin/python bench/reports_year.py [--db /tmp/antrian-year.db] [--days 250] [--tickets 2000]

The history: five template days (Monday to Friday, the Friday with its prayer break), each
simulated with 2,000 citizens through the REAL queue core (`nodes.hub.simulate`), are
copied by direct row inserts into the `events` table (schema from `nodes.hub.store`) for
250 working days, dates shifted, ticket ids renamed. Copying instead of simulating every
day keeps the setup to about a minute; the report reads the same rows either way.

Then, each in a fresh process so that its peak memory is its own: one day's report and one
month's report, timed per step (figures from the database, then each format), with the
peak resident memory from `resource.getrusage`. Targets: a day < 1 s, a month < 5 s,
memory < 200 MB. The database is kept and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nodes.hub.eventlog import EventLog
from nodes.hub.events import Event, to_row
from nodes.hub.office import CounterSpec, NodeSpec, Office, ServiceSpec
from nodes.hub.queue import Queue
from nodes.hub.reports.render import FORMATS, render
from nodes.hub.reports.source import build_report
from nodes.hub.simulate import DayPlan, simulate_day
from nodes.hub.store import Store

Row = tuple[str, str, str, str | None, str | None, str | None, str]
LAST_DAY = date(2026, 11, 27)  # a Friday
DAY = date(2026, 11, 26)
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
TEMPLATE_MONDAY = date(2026, 11, 23)


def busy_office() -> Office:
    """A big city office: 6 services, 40 counters each serving two services."""
    names = ["Kartu Keluarga", "KTP Elektronik", "Akta Kelahiran", "Akta Kematian",
             "Pindah Datang", "Legalisir"]  # fmt: skip
    services = tuple(ServiceSpec(chr(65 + i), name, chr(65 + i)) for i, name in enumerate(names))
    counters = tuple(
        CounterSpec(str(n), f"Loket {n}", (services[n % 6].id, services[(n + 1) % 6].id))
        for n in range(1, 41)
    )
    return Office(
        id="kota",
        name="Dinas Kependudukan Kota Contoh",
        timezone="Asia/Jakarta",
        services=services,
        counters=counters,
        nodes=(NodeSpec("kiosk-1", "kiosk"),),
    )


def working_days(count: int, last: date) -> list[date]:
    days: list[date] = []
    day = last
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return sorted(days)


def generate(db: Path, days: int, tickets: int) -> None:
    office = busy_office()
    started = time.perf_counter()
    templates: dict[int, list[Row]] = {}
    for weekday in range(5):
        template_day = TEMPLATE_MONDAY + timedelta(days=weekday)
        rows: list[Row] = []

        def record(events: list[Event], rows: list[Row] = rows) -> None:
            for event in events:
                r = to_row(event)
                rows.append((r.kind, r.at, r.day, r.ticket_id, r.service, r.counter, r.data_json))

        simulate_day(
            Queue(office), office, template_day, record, DayPlan(tickets=tickets, seed=weekday)
        )
        templates[weekday] = rows
    simulated = time.perf_counter() - started
    print(f"simulated 5 template days of {tickets} citizens through the core in {simulated:.1f} s")
    Store(db).close()  # the real schema and indexes
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA synchronous=OFF")  # a benchmark fixture, not the hub
    total = 0
    for day in working_days(days, LAST_DAY):
        template_day = TEMPLATE_MONDAY + timedelta(days=day.weekday())
        shift = day - template_day
        old, new = template_day.isoformat(), day.isoformat()
        old_id, new_id = template_day.strftime("%Y%m%d"), day.strftime("%Y%m%d")
        batch = []
        for kind, at, row_day, ticket_id, service, counter, data in templates[day.weekday()]:
            moment = (datetime.fromisoformat(at) + shift).isoformat()
            batch.append((
                moment, row_day.replace(old, new), kind,
                ticket_id.replace(old_id, new_id, 1) if ticket_id else None,
                service, counter, data,
            ))  # fmt: skip
        with connection:
            connection.executemany(
                "INSERT INTO events (at, day, kind, ticket_id, service, counter, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
        total += len(batch)
    connection.close()
    print(f"wrote {total:,} events for {days} days in {time.perf_counter() - started:.1f} s")


def measure(db: Path, first: date, last: date) -> dict[str, float]:
    """Figures from the database, then each format twice: the first call pays the import of
    its library (a fresh `antrian report` process pays it too), the second is warm (the
    hub daemon's archive after the first day)."""
    office = busy_office()
    result: dict[str, float] = {}
    started, cpu = time.perf_counter(), time.process_time()
    report = build_report(db, office, first, last)
    result["figures_s"] = time.perf_counter() - started
    result["figures_cpu"] = time.process_time() - cpu
    for fmt in FORMATS:
        for run in ("cold", "warm"):
            step, cpu = time.perf_counter(), time.process_time()
            render(report, fmt, "id")
            result[f"{fmt}_{run}_s"] = time.perf_counter() - step
            result[f"{fmt}_{run}_cpu"] = time.process_time() - cpu
    result["tickets"] = report.total.issued
    result["events"] = sum(1 for _ in EventLog(db).days(first, last))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/antrian-year.db"))
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--measure", choices=("day", "month"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        first, last = (DAY, DAY) if args.measure == "day" else MONTH
        print(json.dumps(measure(args.db, first, last)))
        return 0
    if not args.db.exists():
        generate(args.db, args.days, args.tickets)
    with sqlite3.connect(args.db) as connection:
        rows, days = connection.execute(
            "SELECT count(*), count(DISTINCT day) FROM events"
        ).fetchone()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    print(f"database {args.db}: {rows:,} events over {days} days "
          f"({args.db.stat().st_size / 2**20:.0f} MiB)")  # fmt: skip
    targets = {"day": 1.0, "month": 5.0}
    for case in ("day", "month"):
        child = subprocess.run(
            [sys.executable, __file__, "--db", str(args.db), "--measure", case],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{case}: {r['events']:,.0f} events, {r['tickets']:,.0f} tickets; figures from the"
            f" database {r['figures_s']:.2f} s (cpu {r['figures_cpu']:.2f} s);"
            f" peak RSS {r['peak_rss_mb']:.0f} MB (target < 200 MB)"
        )
        for fmt in FORMATS:
            cold = r["figures_s"] + r[f"{fmt}_cold_s"]
            cold_cpu = r["figures_cpu"] + r[f"{fmt}_cold_cpu"]
            verdict = "ok" if cold < targets[case] else "OVER"
            print(
                f"  {fmt:4}: figures + render {cold:.2f} s (cpu {cold_cpu:.2f} s); render"
                f" {r[f'{fmt}_cold_s']:.2f} s incl. library import, {r[f'{fmt}_warm_s']:.2f} s"
                f" warm; target < {targets[case]:.0f} s [{verdict}]"
            )
        all_four = r["figures_s"] + sum(r[f"{fmt}_cold_s"] for fmt in FORMATS)
        print(f"  all four formats from one set of figures: {all_four:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
