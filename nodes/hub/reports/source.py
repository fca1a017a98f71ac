"""Where report figures come from: the hub's event log, opened read-only.

The hub keeps writing while a report reads (SQLite WAL lets both proceed); opening the file
with `mode=ro` guarantees a report can never change the queue's history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Final
from urllib.parse import quote

from nodes.hub.office import Office
from nodes.hub.reports.figures import (
    DATA_KINDS,
    DEFAULT_TARGET_WAIT_S,
    UNUSED_KINDS,
    EventRow,
    OfficeInfo,
    Report,
    compute,
)


def office_info(office: Office | OfficeInfo) -> OfficeInfo:
    """The names a report needs, from the hub's office model."""
    if isinstance(office, OfficeInfo):
        return office
    return OfficeInfo(
        name=office.name or office.id,
        services=tuple((s.id, s.name) for s in office.services),
        counters=tuple((c.id, c.name) for c in office.counters),
        office_id=office.id,
        timezone=office.timezone,
    )


def connect_read_only(db_path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write; FileNotFoundError when there is no database."""
    path = Path(db_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no hub database at {path}")
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def _kinds(kinds: frozenset[str]) -> str:
    return ", ".join(f"'{kind}'" for kind in sorted(kinds))


#: All rows of a period in log order (by day, then seq: the `events_day` index already
#: holds that order, so SQLite sorts nothing; days are independent for every figure).
ALL_ROWS: Final = (
    "SELECT kind, at, day, ticket_id, service, counter, data FROM events"
    " WHERE day BETWEEN ? AND ? ORDER BY day, seq"
)
#: The same, less what `compute` never reads: about a third less to fetch for a month.
FIGURE_ROWS: Final = (
    "SELECT kind, at, day, ticket_id, service, counter,"
    f" CASE WHEN kind IN ({_kinds(DATA_KINDS)}) THEN data ELSE '' END FROM events"
    f" WHERE day BETWEEN ? AND ? AND kind NOT IN ({_kinds(UNUSED_KINDS)}) ORDER BY day, seq"
)


def read_rows(
    db_path: str | Path, first_day: date, last_day: date, query: str = ALL_ROWS
) -> Iterator[EventRow]:
    """The log rows of the days first_day..last_day, streamed (a year of history is never
    held in memory at once)."""
    connection = connect_read_only(db_path)
    try:
        cursor = connection.execute(query, (first_day.isoformat(), last_day.isoformat()))
        cursor.arraysize = 2000
        while batch := cursor.fetchmany():
            yield from batch
    finally:
        connection.close()


def build_report(
    db_path: str | Path,
    office: Office | OfficeInfo,
    first_day: date,
    last_day: date | None = None,
    target_wait_s: float = DEFAULT_TARGET_WAIT_S,
) -> Report:
    """The figures of first_day..last_day (one day by default) from the hub's database."""
    last_day = last_day or first_day
    rows = read_rows(db_path, first_day, last_day, FIGURE_ROWS)
    return compute(rows, office_info(office), first_day, last_day, target_wait_s)
