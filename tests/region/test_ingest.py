"""The region's side of the uplink contract against a real mosquitto (the contract's
accounts and ACL) and a real PostgreSQL: every event exactly once, acks after commit."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from nodes.region.config import RegionBroker
from nodes.region.intake import Intake
from nodes.region.wire import MAX_EVENTS
from tests.harness import Mosquitto, wait_for
from tests.region.support import (
    BASE,
    REGION_PASSWORD,
    Office,
    as_rows,
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
        a.publish("state", b'{"v": 1, "waiting": 999}', office="kec-b", retain=True)
        b.send(0, events[:5])  # a marker on the same path: delivered after the forgery
        b.wait_acked(5)
        assert stored(database, "kec-b") == as_rows(events[:5])
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
