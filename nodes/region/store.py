"""The region's PostgreSQL database: schema, ingest, live state, and what the pages read.

Ingest is the contract's one transaction per message, one call of the schema's
`region_ingest` function (one round trip): the office's row locked (`SELECT ... FOR UPDATE`,
so region instances sharing the subscription take turns per office), the batch's events with
seq above the acked S inserted straight from its JSON (`jsonb_to_recordset`) with
`ON CONFLICT (office, seq) DO NOTHING`, S moved to the batch's last seq, commit; the caller
publishes the ack only after that. A day that got events is marked dirty for `summary.py`,
with a counter, so a summary computed while more events arrived is done again.

A rewind (after `antrian restore` on the hub, `Ingest.rewind`) moves the office's events
after the restored log's last seq into `events_rewound`: kept, out of every figure.

The schema is created and versioned here (`meta.schema_version`): an older one is migrated
in place (`MIGRATIONS`), a newer one is refused, never misread.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from nodes.region.rows import DayTotals, OfficeRow
from nodes.region.wire import Batch

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
#: How long a batch whose predecessor is not stored yet waits for it (see `Ingest.store`).
GAP_WAIT_S = 0.5
GAP_POLL_S = 0.01
#: Any constant: serialises schema creation between instances starting together.
_SCHEMA_LOCK = 0x616E7472

SCHEMA_V1 = """
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE offices (
    id text PRIMARY KEY,
    acked bigint NOT NULL DEFAULT 0,          -- S: every event with seq <= S is stored
    state jsonb,                              -- the latest `state` snapshot
    state_at timestamptz,
    online boolean,                           -- the latest `status`
    last_heard timestamptz,                   -- any message from the office
    refused bigint NOT NULL DEFAULT 0         -- malformed batches refused
);
CREATE TABLE events (
    office text NOT NULL,
    seq bigint NOT NULL,
    at text NOT NULL,                         -- as the hub stored it: local offset, full precision
    day date NOT NULL,
    kind text NOT NULL,
    ticket_id text,
    service text,
    counter text,
    data jsonb NOT NULL,
    PRIMARY KEY (office, seq)
);
CREATE INDEX events_office_day ON events (office, day, seq);
CREATE TABLE dirty_days (
    office text NOT NULL, day date NOT NULL, mark bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (office, day)
);
CREATE TABLE office_days (
    office text NOT NULL,
    day date NOT NULL,
    issued integer NOT NULL,
    served integer NOT NULL,
    no_show integer NOT NULL,
    waits integer NOT NULL,                   -- wait samples (called tickets)
    wait_sum_s double precision NOT NULL,
    wait_max_s double precision,
    within integer NOT NULL,                  -- waits within their service's standard
    skm_respondents integer NOT NULL,
    skm_totals integer[] NOT NULL,            -- sum of the scores per element U1..U9
    PRIMARY KEY (office, day)
);
-- The contract's transaction for one `events` message, in one round trip (see `Ingest`).
CREATE FUNCTION region_ingest(p_office text, p_after bigint, p_last bigint, p_payload jsonb,
                              OUT o_acked bigint, OUT o_stored bigint, OUT o_gap boolean)
LANGUAGE plpgsql AS $$
BEGIN
    o_stored := 0;
    o_gap := false;
    SELECT acked INTO o_acked FROM offices WHERE id = p_office FOR UPDATE;
    IF NOT FOUND THEN  -- the office's first message (another instance may race us)
        INSERT INTO offices (id) VALUES (p_office) ON CONFLICT DO NOTHING;
        SELECT acked INTO o_acked FROM offices WHERE id = p_office FOR UPDATE;
    END IF;
    IF p_after > o_acked THEN  -- a batch before this one was lost: store nothing
        o_gap := true;
        RETURN;
    END IF;
    IF p_last > o_acked THEN
        WITH new AS (
            INSERT INTO events (office, seq, at, day, kind, ticket_id, service, counter, data)
            SELECT p_office, e.seq, e.at, e.day, e.kind, e.ticket_id, e.service, e.counter,
                   coalesce(e.data, '{}')
            FROM jsonb_to_recordset(p_payload -> 'events') AS e(seq bigint, at text, day date,
                kind text, ticket_id text, service text, counter text, data jsonb)
            WHERE e.seq > o_acked
            ON CONFLICT (office, seq) DO NOTHING
            RETURNING day
        ), marked AS (  -- always run to completion, read or not
            INSERT INTO dirty_days (office, day) SELECT DISTINCT p_office, day FROM new
            ON CONFLICT (office, day) DO UPDATE SET mark = dirty_days.mark + 1
        )
        SELECT count(*) INTO o_stored FROM new;
        o_acked := p_last;
    END IF;
    UPDATE offices SET acked = o_acked, last_heard = now() WHERE id = p_office;
END
$$;
"""

#: Version 2: the events a rewind set aside (an office's log replaced by an older backup).
#: No key on (office, seq): the same seq may be set aside by more than one rewind.
EVENTS_REWOUND = """
CREATE TABLE events_rewound (
    LIKE events,                              -- its columns, without its key
    rewound_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_rewound_office ON events_rewound (office, seq);
"""
SCHEMA = SCHEMA_V1 + EVENTS_REWOUND
#: From each older version to the next, run in create_schema's transaction.
MIGRATIONS = {1: EVENTS_REWOUND}


class SchemaMismatch(Exception):
    def __init__(self, found: str) -> None:
        super().__init__(
            f"the region database has schema version {found}, but this antrian uses"
            f" version {SCHEMA_VERSION}: install the antrian release that wrote it"
        )


def connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=False)


def create_schema(url: str) -> None:
    """Create the tables on an empty database, migrate an older one (in one transaction:
    all or nothing), refuse one of a newer or unknown version."""
    with connect(url) as db:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        exists = db.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if exists and exists[0]:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            found = row[0] if row else "none"
            version = int(found) if found.isdigit() else None
            if version is None or version > SCHEMA_VERSION:
                raise SchemaMismatch(found)
            while version < SCHEMA_VERSION:
                db.execute(MIGRATIONS[version])
                version += 1
                db.execute(
                    "UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),)
                )
                log.info("migrated the region schema to version %d", version)
            return
        db.execute(SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),))
        log.info("created the region schema (version %d)", SCHEMA_VERSION)


@dataclass(frozen=True)
class Outcome:
    """What an ingest did: the acked seq to publish, and how many events were new."""

    acked: int
    stored: int
    gap: bool = False


class Ingest:
    """The writer of one intake thread: one connection, one transaction per message."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._db is None or self._db.closed:
            self._db = psycopg.connect(self.url, autocommit=True)
        return self._db

    def store(self, office: str, batch: Batch, gap_wait_s: float = GAP_WAIT_S) -> Outcome:
        """The contract's transaction for one `events` message (see the module docstring);
        psycopg.DataError when PostgreSQL refuses a value the contract's check let pass.

        A batch that comes before its predecessor is stored is most often not a loss: with
        a shared subscription the broker hands a hub's consecutive batches to different
        instances, and the other one may be storing the predecessor right now. So a gap is
        looked at again for `gap_wait_s` before it is answered with the re-ack.
        """
        deadline = time.monotonic() + gap_wait_s
        while True:
            outcome = self._store(office, batch)
            if not outcome.gap or time.monotonic() >= deadline:
                break
            time.sleep(GAP_POLL_S)
        # Another instance may have committed a higher S since: acking ours after its ack
        # would move the retained ack back (harmless, the hub resends what we have, but
        # slow). Read S afresh just before the caller publishes, which narrows that window
        # to the time between this read and the publish.
        return dataclasses.replace(outcome, acked=max(outcome.acked, self.acked(office)))

    def _store(self, office: str, batch: Batch) -> Outcome:
        db = self._connection()
        try:
            # One statement in autocommit: one transaction, one round trip. The rows go in
            # as the hub's JSON, which PostgreSQL takes apart (`jsonb_to_recordset`).
            row = db.execute(
                "SELECT o_acked, o_stored, o_gap FROM region_ingest(%s, %s, %s, %s::jsonb)",
                (office, batch.after, batch.last, batch.payload.decode("utf-8")),
            ).fetchone()
        except psycopg.OperationalError:
            self.close()  # the next message connects afresh
            raise
        assert row is not None
        return Outcome(int(row[0]), int(row[1]), bool(row[2]))

    def rewind(self, office: str, seq: int) -> int:
        """Set aside the office's events after `seq` (its hub's log was restored from a
        backup ending there), mark their days for new summaries, and take S back to `seq`
        if it was beyond; the office's S afterwards. In one transaction, under the office's
        row lock like a batch; a second rewind to the same seq finds nothing to move."""
        db = self._connection()
        try:
            with db.transaction():
                db.execute("INSERT INTO offices (id) VALUES (%s) ON CONFLICT DO NOTHING", (office,))
                db.execute("SELECT 1 FROM offices WHERE id = %s FOR UPDATE", (office,))
                db.execute(
                    "WITH moved AS (DELETE FROM events WHERE office = %s AND seq > %s"
                    " RETURNING office, seq, at, day, kind, ticket_id, service, counter, data),"
                    " kept AS (INSERT INTO events_rewound (office, seq, at, day, kind,"
                    " ticket_id, service, counter, data) SELECT * FROM moved RETURNING day)"
                    " INSERT INTO dirty_days (office, day) SELECT DISTINCT %s, day FROM kept"
                    " ON CONFLICT (office, day) DO UPDATE SET mark = dirty_days.mark + 1",
                    (office, seq, office),
                )
                row = db.execute(
                    "UPDATE offices SET acked = least(acked, %s), last_heard = now()"
                    " WHERE id = %s RETURNING acked",
                    (seq, office),
                ).fetchone()
        except psycopg.OperationalError:
            self.close()
            raise
        assert row is not None
        return int(row[0])

    def acked(self, office: str) -> int:
        """S for an office without changing anything."""
        row = (
            self._connection()
            .execute("SELECT acked FROM offices WHERE id = %s", (office,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def refused(self, office: str) -> int:
        """Count a refused message against the office; its S, to re-publish."""
        row = (
            self._connection()
            .execute(
                "INSERT INTO offices (id, refused) VALUES (%s, 1) ON CONFLICT (id)"
                " DO UPDATE SET refused = offices.refused + 1 RETURNING acked",
                (office,),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def save_state(self, office: str, state: dict[str, Any]) -> None:
        db = self._connection()
        with db.transaction():
            db.execute(
                "INSERT INTO offices (id, state, state_at, last_heard)"
                " VALUES (%s, %s, now(), now()) ON CONFLICT (id) DO UPDATE"
                " SET state = excluded.state, state_at = now(), last_heard = now()",
                (office, Jsonb(state)),
            )

    def save_status(self, office: str, online: bool) -> None:
        db = self._connection()
        with db.transaction():
            db.execute(
                "INSERT INTO offices (id, online, last_heard) VALUES (%s, %s, now())"
                " ON CONFLICT (id) DO UPDATE SET online = excluded.online, last_heard = now()",
                (office, online),
            )

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None


# --- reading -------------------------------------------------------------------------------


EventRow = tuple[int, str, date, str, str | None, str | None, str | None, dict[str, Any]]


class Reader:
    """The pages' reads: a few pooled connections, each read in its own short transaction."""

    def __init__(self, url: str, size: int = 4) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def _db(self) -> Iterator[psycopg.Connection[Any]]:
        with self._slots:
            try:
                db = self._idle.get_nowait()
            except queue.Empty:
                db = psycopg.connect(self.url, autocommit=True)
            try:
                yield db
            except psycopg.OperationalError:
                db.close()
                raise
            if not db.closed:
                self._idle.put(db)

    def offices(self) -> list[OfficeRow]:
        with self._db() as db:
            rows = db.execute(
                "SELECT id, acked, state, state_at, online, last_heard, refused FROM offices"
                " ORDER BY id"
            ).fetchall()
        return [OfficeRow(*r) for r in rows]

    def totals(self, first: date, last: date) -> dict[str, DayTotals]:
        """Each office's `office_days` summed over first..last (sums in SQL: a month of a
        few hundred offices is some ten thousand rows)."""
        elements = ", ".join(f"sum(skm_totals[{n}])::bigint" for n in range(1, 10))
        with self._db() as db:
            rows = db.execute(
                "SELECT office, count(*), sum(issued), sum(served), sum(no_show), sum(waits),"
                " sum(wait_sum_s), max(wait_max_s), sum(within), sum(skm_respondents),"
                f" {elements} FROM office_days WHERE day BETWEEN %s AND %s GROUP BY office",
                (first, last),
            ).fetchall()
        return {
            row[0]: DayTotals(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                skm_totals=tuple(row[10:]),
            )
            for row in rows
        }

    def events(
        self, office: str, first: date, last: date, skip: Sequence[str] = ()
    ) -> list[EventRow]:
        with self._db() as db:
            rows = db.execute(
                "SELECT seq, at, day, kind, ticket_id, service, counter, data FROM events"
                " WHERE office = %s AND day BETWEEN %s AND %s AND kind <> ALL(%s) ORDER BY seq",
                (office, first, last, list(skip)),
            ).fetchall()
        return rows

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
