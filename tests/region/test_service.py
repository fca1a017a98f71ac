"""`antrian region` as a process: killed mid-batch and restarted, nothing lost or doubled;
and the dashboard, whose figures are the office's own report's."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest
from starlette.testclient import TestClient

from nodes.hub.reports import build_report, render
from nodes.hub.reports.source import office_info as hub_office_info
from nodes.region import config as region_config
from nodes.region.config import RegionBroker
from nodes.region.intake import Intake
from nodes.region.store import Reader
from nodes.region.summary import Summarizer
from nodes.region.web import RegionState, create_app
from tests.harness import Mosquitto, wait_for
from tests.hub.support import office as hub_office
from tests.region.support import (
    BASE,
    DAY,
    REGION_PASSWORD,
    WEB_PASSWORD,
    WEB_USER,
    Office,
    RegionProcess,
    simulated_days,
    simulated_db,
    simulated_events,
    write_region_config,
)


def count(url: str, office: str = "kec-a") -> int:
    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM events WHERE office = %s", (office,)).fetchone()
    return int(row[0]) if row else 0


def test_the_region_killed_mid_batch_loses_and_doubles_nothing(
    central: Mosquitto, database: str, tmp_path: Path
) -> None:
    region = RegionProcess(tmp_path / "region", central, database)
    region.start()
    office = Office(central, "kec-a")
    events = simulated_days()
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            office.sync(events, size=20, window=8, stall_s=2.0, timeout=90)
        except BaseException as exc:
            errors.append(exc)

    uploader = threading.Thread(target=upload)
    try:
        uploader.start()
        wait_for(lambda: count(database) >= len(events) // 3, timeout=60)
        region.kill()  # SIGKILL while batches keep coming: one is mid-transaction or close
        killed_at = count(database)
        assert killed_at < len(events)
        region.start()  # the office resends from the retained ack
        uploader.join(120)
        assert not errors, errors
        with psycopg.connect(database) as db:
            rows = db.execute(
                "SELECT seq, kind, ticket_id, data FROM events WHERE office = 'kec-a' ORDER BY seq"
            ).fetchall()
        assert rows == [(e["seq"], e["kind"], e["ticket_id"], e["data"]) for e in events]
        assert office.acked == events[-1]["seq"]
    finally:
        office.close()
        region.stop()


def test_two_region_processes_share_the_subscription(
    central: Mosquitto, database: str, tmp_path: Path
) -> None:
    regions = [RegionProcess(tmp_path / n, central, database, instance=n) for n in ("r1", "r2")]
    for region in regions:
        region.start()
    offices = [Office(central, name) for name in ("kec-a", "kec-b", "kec-c")]
    events = simulated_events()
    try:
        errors: list[BaseException] = []

        def upload(office: Office) -> None:
            try:
                office.sync(events, size=25)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=upload, args=(o,)) for o in offices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert not errors, errors
        for office in offices:
            # Acks from two instances may land out of order (docs/region.md): the highest
            # is the one that counts; a lower one only makes the hub resend stored events.
            assert max(office.acks) == events[-1]["seq"]
            assert count(database, office.office) == len(events)
        stores = [region.log().count("new events in") for region in regions]
        assert all(stores), stores  # both instances took part
    finally:
        for office in offices:
            office.close()
        for region in regions:
            region.stop()


# --- the dashboard ----------------------------------------------------------------------------

STATE = {
    "v": 1,
    "at": "2026-11-23T10:00:00+07:00",
    "office": {"name": "Kecamatan A"},
    "open": True,
    "counters": [
        {"id": "1", "name": "Loket 1", "state": "open"},
        {"id": "2", "name": "Loket 2", "state": "paused"},
        {"id": "3", "name": "Loket 3", "state": "closed"},
    ],
    "services": [
        {
            "id": "A",
            "name": "Kartu Keluarga",
            "letter": "A",
            "waiting": 3,
            "longest_wait_s": 1500,
            "standard_minutes": 10,
            "open": True,
        },
        {
            "id": "B",
            "name": "KTP Elektronik",
            "letter": "B",
            "waiting": 1,
            "longest_wait_s": 60,
            "standard_minutes": None,
            "open": True,
        },
        {
            "id": "C",
            "name": "Akta Kelahiran",
            "letter": "C",
            "waiting": 0,
            "longest_wait_s": 0,
            "standard_minutes": None,
            "open": False,
        },
    ],
    "waiting": 4,
    "longest_wait_s": 1500,
    "devices_offline": ["kiosk-2"],
    "skm": None,
}


@pytest.fixture
def loaded(central: Mosquitto, database: str, tmp_path: Path) -> Iterator[RegionState]:
    """A region with one simulated day of kec-a, its state, and the summaries done."""
    broker = RegionBroker(port=central.port, username="region", password=REGION_PASSWORD, base=BASE)
    intake = Intake(broker, database)
    assert intake.start(wait=10)
    office = Office(central, "kec-a")
    try:
        office.publish("state", json.dumps(STATE).encode(), retain=True)
        office.publish("status", b'{"v": 1, "online": true}', retain=True)
        office.sync(simulated_events())
        reader = Reader(database)
        wait_for(lambda: any(o.state for o in reader.offices() if o.id == "kec-a"))
        summaries = Summarizer(database, reader, {}, "Asia/Jakarta")
        with psycopg.connect(database, autocommit=True) as db:
            assert summaries.run_once(db) == 1
        path = write_region_config(tmp_path / "region.toml", central, database)
        config = region_config.load(path)
        noon = datetime.fromisoformat("2026-11-23T12:00:00+07:00")
        yield RegionState(config, reader, clock=lambda: noon)
        reader.close()
    finally:
        office.close()
        intake.stop()


def signed_in(state: RegionState) -> TestClient:
    client = TestClient(create_app(state))
    page = client.get("/masuk")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post(
        "/masuk",
        data={"csrf": csrf, "user": WEB_USER, "password": WEB_PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def cell(html: str, office: str, field: str, table: str) -> str:
    part = html.split(f'<table class="{table}">')[1]
    row = part.split(f'data-office="{office}"')[1].split("</tr>")[0]
    return row.split(f'data-f="{field}">')[1].split("<")[0]


def hub_report_json() -> dict[str, object]:
    """The office's own report of the day, from its own SQLite log."""
    info = hub_office_info(hub_office(A={"standard_wait_minutes": 10}))
    # Without officers: the region knows none (and the hub's JSON cannot write their figures).
    info = dataclasses.replace(info, officers=())
    return json.loads(render(build_report(simulated_db(), info, DAY), "json"))


def test_the_dashboard_needs_a_sign_in(loaded: RegionState) -> None:
    client = TestClient(create_app(loaded))
    assert client.get("/", follow_redirects=False).headers["location"] == "/masuk?next=/"
    page = client.get("/masuk")
    # the hub's sign-in form in the region's layout: its name, its nav, no office's pages
    assert '<a class="office" href="/">Kabupaten Contoh</a>' in page.text
    assert 'name="password" type="password"' in page.text and 'href="/ambil"' not in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = client.post("/masuk", data={"csrf": csrf, "user": WEB_USER, "password": "salah"})
    assert wrong.status_code == 401
    assert "Kabupaten Contoh" in wrong.text
    assert client.get("/kantor/kec-a/laporan", follow_redirects=False).status_code == 303


def test_the_overview_shows_live_state_and_the_office_reports_figures(loaded: RegionState) -> None:
    client = signed_in(loaded)
    html = client.get(f"/?dari={DAY}&sampai={DAY}").text
    assert cell(html, "kec-a", "waiting", "offices") == "4"
    assert cell(html, "kec-a", "counters_open", "offices") == "1/3"
    assert cell(html, "kec-a", "devices_offline", "offices") == "kiosk-2"
    assert cell(html, "kec-a", "online", "offices") == "Daring"
    assert cell(html, "kec-b", "waiting", "offices") == "—"  # never heard of: no figure
    own = hub_report_json()
    total = own["total"]
    assert isinstance(total, dict)
    assert cell(html, "kec-a", "served_per_day", "compare") == f"{total['served']:.1f}".replace(
        ".", ","
    )
    within = 1 - total["wait"]["over_target_share"]
    assert cell(html, "kec-a", "within_standard", "compare") == f"{100 * within:.0f} %"
    english = client.get(f"/?dari={DAY}&sampai={DAY}&lang=en").text
    assert cell(english, "kec-a", "online", "offices") == "Online"
    assert "Offices compared" in english


def test_the_office_report_over_the_region_is_the_offices_own(loaded: RegionState) -> None:
    client = signed_in(loaded)
    answer = client.get(f"/kantor/kec-a/laporan?dari={DAY}&sampai={DAY}&format=json")
    assert answer.status_code == 200
    region, own = answer.json(), hub_report_json()
    for key in ("total", "services", "counters", "hours", "days", "heat", "peak", "skm"):
        assert region[key] == own[key], key
    html = client.get(f"/kantor/kec-a/laporan?dari={DAY}&format=html")
    assert html.status_code == 200 and "Kartu Keluarga" in html.text
    office = client.get("/kantor/kec-a").text
    assert 'data-service="A"' in office and "Kecamatan A" in office
    assert client.get("/kantor/kec-zz").status_code == 404


def test_the_real_server_serves_the_dashboard(
    central: Mosquitto, database: str, tmp_path: Path
) -> None:
    region = RegionProcess(tmp_path / "region", central, database)
    region.start()
    try:
        port = region.web_port()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            page = wait_for(lambda: _get(client, "/masuk"), timeout=20)
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            client.post(
                "/masuk",
                data={"csrf": csrf, "user": WEB_USER, "password": WEB_PASSWORD, "next": "/"},
            )
            overview = client.get("/")
            assert overview.status_code == 200 and 'data-office="kec-c"' in overview.text
    finally:
        region.stop()


def _get(client: httpx.Client, path: str) -> httpx.Response | None:
    try:
        return client.get(path)
    except httpx.TransportError:
        return None
