"""Benchmark: the regional service's ingest, an office's catch-up, and the dashboard's p99.

    .venv/bin/python bench/region_ingest.py [--offices 200] [--tickets 200] [--month-offices 100]

All real parts: a PostgreSQL from Debian's package with its durable defaults (fsync,
synchronous commit), the central mosquitto with the contract's accounts and ACL, and
`antrian region` as a process. Office days are the hub's own queue's (`nodes.hub.simulate`,
what `antrian simulate-day` writes): five template days simulated once (seeds 0-4), each
office sending one of them as its own log (seq from 1), so the setup stays short.

1. Ingest: every office publishes its whole day at once (batches of 500, the contract's
   `after` chain) through its own account; timed from the first publish to the last office's
   ack of its last seq. Target >= 20,000 events/s.
2. Catch-up: one office that was offline for a busy day (`--busy-tickets` citizens) connects
   and uploads as the contract's hub does (window of 8 batches); timed to its last ack.
3. Dashboard: a month (22 working days) of `--month-offices` offices loaded by COPY, the
   office-day summaries computed by the service's own summarizer (timed), then the overview
   page requested `--requests` times by a signed-in client over real uvicorn: p50, p99.
   Target p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2 as httpx
import psycopg

from tests.harness import wait_for
from tests.region.postgres import PostgreSQL
from tests.region.support import (
    WEB_PASSWORD,
    WEB_USER,
    Office,
    RegionProcess,
    batch,
    central_broker,
    simulated_events,
)

Rows = tuple[dict[str, Any], ...]


def templates(tickets: int) -> list[Rows]:
    monday = date(2026, 11, 23)
    return [
        simulated_events(monday + timedelta(days=n), n, tickets) for n in range(5)
    ]  # Monday to Friday


def ingest(central: Any, names: list[str], days: list[Rows]) -> tuple[int, float]:
    offices = [Office(central, name) for name in names]
    # Encoded beforehand: each hub encodes its own batches, on its own Pi.
    payloads: list[list[bytes]] = []
    for events in days:
        chunks = [events[i : i + 500] for i in range(0, len(events), 500)]
        afters = [0] + [chunk[-1]["seq"] for chunk in chunks[:-1]]
        payloads.append([batch(a, c) for a, c in zip(afters, chunks, strict=True)])
    try:
        total = sum(len(days[n % len(days)]) for n in range(len(offices)))
        started = time.monotonic()
        for n, office in enumerate(offices):
            topic = f"antrian-region/office/{office.office}/events"
            for payload in payloads[n % len(days)]:
                office.client.publish(topic, payload, qos=1)
        for n, office in enumerate(offices):
            office.wait_acked(days[n % len(days)][-1]["seq"], timeout=600)
        return total, time.monotonic() - started
    finally:
        for office in offices:
            office.close()


def catch_up(central: Any, name: str, events: Rows) -> float:
    office = Office(central, name)
    try:
        started = time.monotonic()
        office.sync(events, size=500, window=8, timeout=600)
        return time.monotonic() - started
    finally:
        office.close()


def shifted(events: Rows, day: date, first_seq: int) -> list[tuple[Any, ...]]:
    """A template day's rows as another day's, seq from `first_seq`."""
    text, compact = day.isoformat(), day.strftime("%Y%m%d")
    rows = []
    for n, e in enumerate(events):
        ticket = e["ticket_id"]
        rows.append(
            (
                first_seq + n,
                text + e["at"][10:],
                text,
                e["kind"],
                None if ticket is None else compact + ticket[8:],
                e["service"],
                e["counter"],
                json.dumps(e["data"]),
            )
        )
    return rows


def load_month(url: str, offices: int, days: list[Rows], today: date) -> int:
    """22 working days before today for each office, by COPY; the days marked dirty."""
    working: list[date] = []
    day = today - timedelta(days=1)
    while len(working) < 22:
        if day.weekday() < 5:
            working.append(day)
        day -= timedelta(days=1)
    working.reverse()
    total = 0
    with psycopg.connect(url) as db:
        for n in range(offices):
            office = f"bulan-{n:03d}"
            seq = 1
            with db.cursor() as cur:
                columns = "office, seq, at, day, kind, ticket_id, service, counter, data"
                with cur.copy(f"COPY events ({columns}) FROM STDIN") as copy:
                    for d in working:
                        rows = shifted(days[d.weekday()], d, seq)
                        seq += len(rows)
                        for row in rows:
                            copy.write_row((office, *row))
                        total += len(rows)
                cur.execute(
                    "INSERT INTO offices (id, acked, state, online, last_heard)"
                    " VALUES (%s, %s, %s, true, now())",
                    (office, seq - 1, json.dumps(STATE)),
                )
                cur.executemany(
                    "INSERT INTO dirty_days (office, day) VALUES (%s, %s)",
                    [(office, d) for d in working],
                )
            db.commit()
    return total


STATE = {
    "v": 1,
    "office": {"name": "Kantor"},
    "open": True,
    "counters": [{"id": c, "name": f"Loket {c}", "state": "open"} for c in "123"],
    "services": [
        {
            "id": s,
            "name": s,
            "letter": s,
            "waiting": 2,
            "longest_wait_s": 600,
            "standard_minutes": 15,
            "open": True,
        }
        for s in "ABC"
    ],
    "waiting": 6,
    "longest_wait_s": 600,
    "devices_offline": [],
    "skm": None,
}


def dirty(url: str) -> int:
    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM dirty_days").fetchone()
    return int(row[0]) if row else 0


def page_times(port: int, requests: int, today: date) -> tuple[list[float], list[float]]:
    """The overview's times: as many viewers see it (the same page, its rows built at most
    every 3 s), and cold (every request another period: its rows built afresh)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        page = client.get("/masuk")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        client.post(
            "/masuk", data={"csrf": csrf, "user": WEB_USER, "password": WEB_PASSWORD, "next": "/"}
        )
        assert 'data-office="bulan-000"' in client.get("/").text
        warm: list[float] = []
        cold: list[float] = []
        for n in range(requests):
            for path, times in (
                ("/", warm),
                (f"/?dari={today - timedelta(days=30 + n)}&sampai={today}", cold),
            ):
                started = time.perf_counter()
                answer = client.get(path)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200
        return warm, cold


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    return f"p50 {1000 * statistics.median(times):.0f} ms, p99 {1000 * p99:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offices", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=200, help="citizens per office day")
    parser.add_argument("--busy-tickets", type=int, default=1000)
    parser.add_argument("--month-offices", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only-ingest", action="store_true", help="steps 1 and 2 only")
    args = parser.parse_args()

    print("simulating template days ...", flush=True)
    days = templates(args.tickets)
    busy = simulated_events(date(2026, 11, 30), 7, args.busy_tickets)
    print(f"  {[len(d) for d in days]} events per template day; busy day {len(busy)} events")
    names = [f"kantor-{n:03d}" for n in range(args.offices)]
    postgres = PostgreSQL()
    postgres.start(durable=True)
    with TemporaryDirectory(prefix="antrian-region-bench-") as tmp:
        folder = Path(tmp)
        central = central_broker(folder / "central", (*names, "lambat"))
        central.start()
        url = postgres.new_database()
        region = RegionProcess(folder / "region", central, url)
        region.config.write_text(
            region.config.read_text().replace('level = "DEBUG"', 'level = "INFO"')
        )
        try:
            region.start()
            total, elapsed = ingest(central, names, days)
            print(
                f"ingest: {total} events of {args.offices} offices in {elapsed:.2f} s"
                f" = {total / elapsed:,.0f} events/s (target >= 20,000)",
                flush=True,
            )
            seconds = catch_up(central, "lambat", busy)
            print(
                f"catch-up: one office, a busy day offline ({len(busy)} events):"
                f" {seconds:.2f} s to its last ack",
                flush=True,
            )
            if args.only_ingest:
                return 0
            wait_for(lambda: dirty(url) == 0, timeout=600, interval=0.5)
            today = date.today()
            loaded = load_month(url, args.month_offices, days, today)
            started = time.monotonic()
            backlog = args.month_offices * 22
            print(
                f"month: {loaded} events of {args.month_offices} offices loaded;"
                f" summarising {backlog} office days ...",
                flush=True,
            )
            with psycopg.connect(url) as db:  # wake the summarizer: new rows came by COPY
                db.execute("SELECT 1")
            wait_for(lambda: dirty(url) == 0, timeout=1800, interval=0.5)
            took = time.monotonic() - started
            print(
                f"  summaries: {backlog} office days in {took:.1f} s"
                f" ({backlog / took:.1f} office days/s)",
                flush=True,
            )
            port = region.web_port()
            warm, cold = page_times(port, args.requests, today)
            offices = args.month_offices + args.offices + 1
            print(
                f"dashboard overview, {offices} offices, a month, {args.requests} requests"
                " each (target p99 <= 300 ms):"
            )
            print(f"  as viewers see it: {percentiles(warm)}")
            print(f"  cold (another period each time, rows built afresh): {percentiles(cold)}")
        finally:
            region.stop()
            central.stop()
            postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
