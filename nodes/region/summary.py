"""Figures over the region's data, computed by the office's own report code.

An office's report for any period: its PostgreSQL rows decoded into the hub's typed events
(`nodes.hub.events.from_row`, the hub's own decoder) and passed to `nodes.hub.reports.compute`,
so a figure in the region is the figure the office's own report shows.

The comparison across offices needs a month of a hundred offices in well under a second, so
it reads `office_days`: one row per office and day, computed here from that day's events
whenever the day got new events (`dirty_days`), by a background thread of every instance.
An instance claims a day with a PostgreSQL advisory lock before summarising it, so that
several instances share the days instead of each computing all of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import psycopg

from nodes.hub.events import Event, from_row
from nodes.hub.reports.figures import UNUSED_KINDS, OfficeInfo, Report, compute
from nodes.hub.reports.skm import ELEMENTS
from nodes.region.store import EventRow, Reader, connect

log = logging.getLogger(__name__)

#: How often a summarizer looks for days that got new events.
POLL_S = 2.0
#: How long summaries wait for the intake to be quiet, at most.
DEFER_S = 30.0
#: Any constant: the class of the advisory locks that claim a day (the store has another).
_CLAIM_CLASS = 0x73756D6D


def claim_key(office: str, day: date) -> tuple[int, str]:
    """The advisory lock (class, text hashed by PostgreSQL) that claims an office's day."""
    return (_CLAIM_CLASS, f"{office}/{day.isoformat()}")


def office_info(
    office_id: str, name: str, state: dict[str, Any] | None, timezone: str
) -> OfficeInfo:
    """The names and standards a report needs, from the office's latest `state` snapshot."""
    services: list[tuple[str, str]] = []
    counters: list[tuple[str, str]] = []
    standards: list[tuple[str, float | None, float | None]] = []
    for service in (state or {}).get("services") or []:
        if isinstance(service, dict) and isinstance(service.get("id"), str):
            services.append((service["id"], str(service.get("name") or service["id"])))
            minutes = service.get("standard_minutes")
            if isinstance(minutes, int | float) and not isinstance(minutes, bool):
                standards.append((service["id"], 60.0 * minutes, None))
    for counter in (state or {}).get("counters") or []:
        if isinstance(counter, dict) and isinstance(counter.get("id"), str):
            counters.append((counter["id"], str(counter.get("name") or counter["id"])))
    return OfficeInfo(
        name=name,
        services=tuple(services),
        counters=tuple(counters),
        office_id=office_id,
        timezone=timezone,
        standards=tuple(standards),
    )


def decoded(rows: list[EventRow]) -> Iterator[Event]:
    """The hub's typed events of the region's rows; an undecodable row is left out (counted
    by the caller's log line), as the hub's own read-only readers do."""
    for _seq, at, day, kind, ticket_id, service, counter, data in rows:
        try:
            yield from_row(kind, at, day.isoformat(), ticket_id, service, counter, data)
        except (ValueError, TypeError, KeyError):
            continue


def build_report(reader: Reader, office: OfficeInfo, first: date, last: date) -> Report:
    rows = reader.events(office.office_id, first, last, sorted(UNUSED_KINDS))
    return compute(decoded(rows), office, first, last)


def day_row(report: Report) -> tuple[Any, ...]:
    """`office_days`' figures of a one-day report."""
    total, wait = report.total, report.total.wait
    skm = report.skm.total
    return (
        total.issued,
        total.served,
        total.no_show,
        wait.count,
        (wait.average_s or 0.0) * wait.count,
        wait.max_s,
        wait.count - wait.over_target,
        skm.respondents,
        list(skm.totals) if skm.respondents else [0] * len(ELEMENTS),
    )


class Summarizer:
    """A thread that keeps `office_days` up to date with the events (see the module doc)."""

    def __init__(
        self,
        url: str,
        reader: Reader,
        names: dict[str, str],
        timezone: str,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        """`busy()`: the intake is taking a burst of batches; summaries wait for a quiet
        moment then (for at most DEFER_S), so that they do not slow the ingest down."""
        self.busy = busy
        self.url = url
        self.reader = reader
        self.names = names
        self.timezone = timezone
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="region-summaries", daemon=True)
        self._failing = False
        #: (office, day) -> the dirty mark at which its summary failed (see `run_once`).
        self._broken: dict[tuple[str, date], int] = {}

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        db: psycopg.Connection[Any] | None = None
        while not self._stop.is_set():
            try:
                if db is None or db.closed:
                    db = connect(self.url)
                    db.autocommit = True
                deferred = time.monotonic()
                while self.busy() and time.monotonic() - deferred < DEFER_S:
                    if self._stop.wait(POLL_S):
                        break
                while self.run_once(db) and not self._stop.is_set():
                    pass
                if self._failing:
                    log.info("summaries of office days work again")
                    self._failing = False
            except psycopg.Error as exc:
                if not self._failing:  # one line per outage, not one per try
                    log.warning("cannot update the office-day summaries: %s; retrying", exc)
                    self._failing = True
                if db is not None:
                    db.close()
                    db = None
            self._wake.wait(POLL_S)
            self._wake.clear()
        if db is not None:
            db.close()

    def run_once(self, db: psycopg.Connection[Any], limit: int = 50) -> int:
        """Summarise up to `limit` dirty days; how many were done.

        A day whose summary fails for another reason than the database (a bug meeting odd
        data) is logged and left dirty, and skipped until it gets new events, so that it
        neither stops the other days nor is tried again in a loop.
        """
        dirty = db.execute(
            "SELECT d.office, d.day, d.mark, o.state FROM dirty_days d"
            " LEFT JOIN offices o ON o.id = d.office ORDER BY d.office, d.day"
        ).fetchall()
        done = 0
        for office, day, mark, state in dirty:
            if done >= limit:
                break
            if self._broken.get((office, day)) == mark:
                continue
            key = claim_key(office, day)
            claimed = db.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key).fetchone()
            if not (claimed and claimed[0]):
                continue  # another instance is summarising it
            try:
                done += self._summarise(db, office, day, mark, state)
            finally:
                db.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
        return done

    def _summarise(
        self, db: psycopg.Connection[Any], office: str, day: date, mark: int, state: Any
    ) -> int:
        """Summarise one claimed day; 1 if done, 0 if there was nothing to do or it failed."""
        current = db.execute(
            "SELECT mark FROM dirty_days WHERE office = %s AND day = %s", (office, day)
        ).fetchone()
        if current is None:
            return 0  # another instance did it since the list was read
        mark = current[0]  # more events may have come since: summarised too
        info = office_info(office, self.names.get(office, office), state, self.timezone)
        try:
            row = day_row(build_report(self.reader, info, day, day))
        except psycopg.Error:
            raise
        except Exception:
            log.exception(
                "cannot summarise office %s on %s; left out of the comparison "
                "until it gets new events",
                office,
                day,
            )
            self._broken[(office, day)] = mark
            return 0
        with db.transaction():
            db.execute(
                "INSERT INTO office_days VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (office, day) DO UPDATE SET issued = excluded.issued,"
                " served = excluded.served, no_show = excluded.no_show,"
                " waits = excluded.waits, wait_sum_s = excluded.wait_sum_s,"
                " wait_max_s = excluded.wait_max_s, within = excluded.within,"
                " skm_respondents = excluded.skm_respondents,"
                " skm_totals = excluded.skm_totals",
                (office, day, *row),
            )
            # Done unless more events came for the day meanwhile (then: again).
            db.execute(
                "DELETE FROM dirty_days WHERE office = %s AND day = %s AND mark = %s",
                (office, day, mark),
            )
        return 1
