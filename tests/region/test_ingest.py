"""The region's side of the uplink contract against a real mosquitto (the contract's
accounts and ACL) and a real PostgreSQL: every event exactly once, acks after commit."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from nodes.region import store
from nodes.region.config import RegionBroker
from nodes.region.intake import Intake
from nodes.region.store import Reader
from nodes.region.summary import Summarizer, claim_key
from nodes.region.wire import MAX_EVENTS
from tests.harness import Mosquitto, wait_for
from tests.region.postgres import PostgreSQL
from tests.region.support import (
    BASE,
    REGION_PASSWORD,
    Office,
    as_rows,
    set_aside,
    simulated_events,
    stored,
)


def start_region(broker: Mosquitto, url: str) -> Intake:
    config = RegionBroker(port=broker.port, username="region", password=REGION_PASSWORD, base=BASE)
    intake = Intake(config, url)
    assert intake.start(wait=10)
    return intake


@pytest.fixture
def region(central: Mosquitto, database: str) -> Iterator[Intake]:
    intake = start_region(central, database)
    yield intake
    intake.stop()


@pytest.fixture
def office(central: Mosquitto, region: Intake) -> Iterator[Office]:
    client = Office(central, "kec-a")
    yield client
    client.close()


def test_duplicate_replayed_and_overlapping_batches_store_each_event_once(
    office: Office, database: str
) -> None:
    events = simulated_events()[:40]
    office.send(0, events[:10])
    office.wait_acked(10)
    office.send(0, events[:10])  # the same batch again (a resend after a lost ack)
    office.send(5, events[5:20])  # overlapping: 6..20, of which 11..20 are new
    office.wait_acked(20)
    office.send(0, events[:3])  # an old replay: stores nothing, S stays
    office.send(20, events[20:40])
    office.wait_acked(40)
    assert stored(database) == as_rows(events)
    assert max(office.acks) == 40 and 3 not in office.acks  # S never went back


def test_a_gap_stores_nothing_and_re_acks_where_the_region_stands(
    office: Office, database: str
) -> None:
    events = simulated_events()[:30]
    office.send(0, events[:10])
    office.wait_acked(10)
    acks = office.ack_count()
    office.send(20, events[20:30])  # 11..20 were lost on the way
    wait_for(lambda: office.ack_count() > acks)
    assert office.acks[-1] == 10
    assert [r[0] for r in stored(database)] == list(range(1, 11))
    office.send(10, events[10:30])  # the resend from S
    office.wait_acked(30)
    assert stored(database) == as_rows(events)


def test_malformed_batches_are_refused_counted_and_logged_once(
    office: Office, region: Intake, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    events = list(simulated_events()[:5])
    office.send(0, events)
    office.wait_acked(5)
    wrong = dict(events[0], seq="6")
    later = [dict(e, seq=e["seq"] + 5) for e in events]
    bad = [
        b"not json",
        json.dumps({"v": 1, "after": 5, "events": [wrong]}).encode(),  # seq of the wrong type
        json.dumps({"v": 1, "after": 5, "events": [later[1], later[0]]}).encode(),  # not increasing
        json.dumps({"v": 1, "after": 5, "events": [dict(later[0], at="yesterday")]}).encode(),
        json.dumps(
            {
                "v": 1,
                "after": 5,
                "events": [dict(later[0], seq=6 + i) for i in range(MAX_EVENTS + 1)],
            }
        ).encode(),
        json.dumps(
            {"v": 1, "after": 5, "events": [dict(later[0], data={"x": "y" * (1 << 20)})]}
        ).encode(),
        json.dumps({"v": 2, "after": 5, "events": later}).encode(),
        # Good JSON that PostgreSQL cannot keep (a NUL character in a text).
        json.dumps({"v": 1, "after": 5, "events": [dict(later[0], data={"x": "\u0000"})]}).encode(),
    ]
    acks = office.ack_count()
    with caplog.at_level(logging.WARNING, logger="nodes.region.intake"):
        for payload in bad:
            office.publish("events", payload)
        wait_for(lambda: office.ack_count() >= acks + len(bad))  # each one re-acked
    assert set(office.acks[acks:]) == {5}
    assert [r[0] for r in stored(database)] == [1, 2, 3, 4, 5]
    assert region.refused == len(bad)
    with psycopg.connect(database) as db:
        assert db.execute("SELECT refused FROM offices WHERE id = 'kec-a'").fetchone() == (
            len(bad),
        )
    refusals = [r for r in caplog.records if "refused a batch" in r.getMessage()]
    assert len(refusals) == 1  # rate-limited: one line, not one per message
    office.send(5, later)  # the office carries on
    office.wait_acked(10)


def test_an_office_cannot_publish_as_another(
    central: Mosquitto, region: Intake, database: str
) -> None:
    a, b = Office(central, "kec-a"), Office(central, "kec-b")
    try:
        events = simulated_events()[:10]
        forged = [dict(e, kind="ticket_cancelled") for e in events]
        a.publish(
            "events", json.dumps({"v": 1, "after": 0, "events": forged}).encode(), office="kec-b"
        )
        b.send(0, events[:3])
        b.wait_acked(3)
        a.publish("state", b'{"v": 1, "waiting": 999}', office="kec-b", retain=True)
        a.publish("rewind", b'{"v": 1, "seq": 0}', office="kec-b")  # would set 1..3 aside
        b.send(3, events[3:5])  # a marker on the same path: delivered after the forgery
        b.wait_acked(5)
        assert stored(database, "kec-b") == as_rows(events[:5])
        assert set_aside(database, "kec-b") == []
        assert stored(database, "kec-a") == []
        with psycopg.connect(database) as db:
            assert db.execute("SELECT state FROM offices WHERE id = 'kec-b'").fetchone() in (
                None,
                (None,),
            )
        assert a.acked == 0  # nor may it read another office's ack
    finally:
        a.close()
        b.close()


def test_two_instances_sharing_the_subscription_store_each_event_once(
    central: Mosquitto, database: str
) -> None:
    first, second = start_region(central, database), start_region(central, database)
    offices = [Office(central, name) for name in ("kec-a", "kec-b", "kec-c")]
    try:
        day = simulated_events()
        for office in offices:
            office.sync(day, size=50)
        for office in offices:
            assert stored(database, office.office) == as_rows(day)
        assert first.stored and second.stored  # the broker shared the work out
        assert first.stored + second.stored == 3 * len(day)
        # Each batch went to one instance only (a shared subscription, not two plain ones).
        assert first.batches + second.batches == sum(office.sent for office in offices)
    finally:
        for office in offices:
            office.close()
        for intake in (first, second):
            intake.stop()


def test_state_and_status_are_kept_per_office(office: Office, database: str) -> None:
    state = {
        "v": 1,
        "at": "2026-11-23T09:00:00+07:00",
        "office": {"name": "Kecamatan A"},
        "open": True,
        "counters": [],
        "services": [],
        "waiting": 4,
        "longest_wait_s": 300,
        "devices_offline": ["kiosk-2"],
        "skm": None,
    }
    office.publish("state", json.dumps(state).encode(), retain=True)
    office.publish("status", b'{"v": 1, "online": false}', retain=True)

    def row() -> Any:
        with psycopg.connect(database) as db:
            return db.execute("SELECT state, online FROM offices WHERE id = 'kec-a'").fetchone()

    assert wait_for(lambda: row() if row() and row()[1] is False else None) == (state, False)


def issued_by_day(url: str) -> dict[str, int]:
    """`office_days`' tickets issued per day of kec-a, once every dirty day is summarised."""
    reader = Reader(url)
    summaries = Summarizer(url, reader, {}, "Asia/Jakarta")
    try:
        with psycopg.connect(url, autocommit=True) as db:
            while summaries.run_once(db):
                pass
            rows = db.execute(
                "SELECT day::text, issued FROM office_days WHERE office = 'kec-a'"
            ).fetchall()
    finally:
        reader.close()
    return dict(rows)


def test_a_day_another_instance_is_summarising_is_left_to_it(office: Office, database: str) -> None:
    """Several region instances share the days to summarise instead of each doing all."""
    events = simulated_events()[:40]
    office.send(0, events)
    office.wait_acked(40)
    key = claim_key("kec-a", date(2026, 11, 23))
    reader = Reader(database)
    summaries = Summarizer(database, reader, {}, "Asia/Jakarta")

    def summarised() -> list[Any]:
        return db.execute("SELECT issued FROM office_days WHERE office = 'kec-a'").fetchall()

    try:
        with (
            psycopg.connect(database, autocommit=True) as other,
            psycopg.connect(database, autocommit=True) as db,
        ):
            other.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)  # the other instance
            assert summaries.run_once(db) == 0
            assert summarised() == []
            assert db.execute("SELECT count(*) FROM dirty_days").fetchone() == (1,)
            other.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
            assert summaries.run_once(db) == 1
            issued = sum(e["kind"] == "ticket_issued" for e in events)
            assert summarised() == [(issued,)]
            assert db.execute("SELECT count(*) FROM dirty_days").fetchone() == (0,)
    finally:
        reader.close()


def test_a_rewind_sets_the_lost_log_aside_and_the_restored_log_is_held(
    office: Office, database: str
) -> None:
    day = simulated_events()
    lost = day[:60]  # the log the hub had before its database was restored
    office.send(0, lost)
    office.wait_acked(60)
    assert issued_by_day(database) == {
        "2026-11-23": sum(e["kind"] == "ticket_issued" for e in lost)
    }
    office.rewind(30)  # the backup ended at seq 30
    assert office.acks[-1] == 30
    assert stored(database) == as_rows(lost[:30])
    assert set_aside(database) == list(range(31, 61))
    with psycopg.connect(database) as db:
        assert db.execute("SELECT acked FROM offices WHERE id = 'kec-a'").fetchone() == (30,)
    office.rewind(30)  # asked again (its answer was lost): nothing more changes
    assert office.acks[-1] == 30
    assert set_aside(database) == list(range(31, 61))
    assert stored(database) == as_rows(lost[:30])
    # The restored hub's new events reuse seqs 31...: held now, not skipped as known.
    restored = lost[:30] + tuple(dict(e, seq=31 + i) for i, e in enumerate(day[100:140]))
    office.send(30, restored[30:])
    office.wait_acked(70)
    assert stored(database) == as_rows(restored)
    # And the day's figures are those of the restored log alone.
    issued = sum(e["kind"] == "ticket_issued" for e in restored)
    assert issued_by_day(database) == {"2026-11-23": issued}


def test_a_malformed_rewind_changes_nothing(
    office: Office, region: Intake, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    events = simulated_events()[:20]
    office.send(0, events[:10])
    office.wait_acked(10)
    bad = [b"not json", b'{"v": 1}', b'{"v": 1, "seq": -1}', b'{"v": 1, "seq": "3"}',
           b'{"v": 1, "seq": true}', b'{"v": 1, "seq": 3.0}', b'{"v": 2, "seq": 3}',
           b"[3]"]  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="nodes.region.intake"):
        for payload in bad:
            office.publish("rewind", payload)
        office.send(10, events[10:20])  # after the bad rewinds on the same path
        office.wait_acked(20)
    assert stored(database) == as_rows(events)
    assert set_aside(database) == []
    assert office.rewound == [] and set(office.acks) == {10, 20}
    assert "ignored its rewind" in caplog.text


def test_a_version_1_database_is_migrated_with_nothing_lost(postgres: PostgreSQL) -> None:
    url = postgres.new_database()
    events = simulated_events()[:10]
    with psycopg.connect(url) as db:  # a region database as version 1 left it
        db.execute(store.SCHEMA_V1)
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        db.execute("INSERT INTO offices (id, acked) VALUES ('kec-a', 10)")
        for e in events:
            db.execute(
                "INSERT INTO events VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                ("kec-a", *as_rows([e])[0][:7], json.dumps(e["data"])),
            )
    store.create_schema(url)
    store.create_schema(url)  # a second start finds version 2
    with psycopg.connect(url) as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(store.SCHEMA_VERSION),) == ("2",)
    assert stored(url) == as_rows(events)
    ingest = store.Ingest(url)
    try:
        assert ingest.acked("kec-a") == 10
        assert ingest.rewind("kec-a", 4) == 4  # the new table works on the migrated database
    finally:
        ingest.close()
    assert set_aside(url) == list(range(5, 11))
