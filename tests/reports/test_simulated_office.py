"""A simulated office through the REAL queue core and store, then `antrian report`."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from common import config
from nodes.cli import main as antrian
from nodes.hub.eventlog import EventLog
from nodes.hub.events import Event
from nodes.hub.office import Office, read_office
from nodes.hub.reports.cli import main as report_main
from nodes.hub.reports.render import write_daily_archive
from nodes.hub.reports.source import build_report
from nodes.hub.simulate import DayPlan, SimulatedDay, simulate_day, simulate_into
from nodes.hub.store import Store
from tests.harness import write_hub_config
from tests.reports.readers import csv_sections, html_tables, ink_share, pdf_pages, xlsx_sheets

THURSDAY, FRIDAY = date(2026, 11, 26), date(2026, 11, 27)
#: Busier with mishaps than an ordinary day, so every kind of event shows up.
PLAN = DayPlan(tickets=90, seed=5, no_show=0.1, recall=0.2, transfer=0.1, cancel=0.08)
KINDS = (
    "ticket_issued", "ticket_called", "ticket_started", "ticket_finished", "ticket_skipped",
    "ticket_transferred", "ticket_cancelled", "counter_status",
)  # fmt: skip


class Office2:
    def __init__(self, folder: Path) -> None:
        self.db = folder / "antrian.db"
        self.config = write_hub_config(folder / "hub.toml", 1883, self.db)
        self.office: Office = read_office(config.load(self.config))
        self.days: dict[date, SimulatedDay] = {}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office2:
    sim = Office2(tmp_path_factory.mktemp("office"))
    for day in (THURSDAY, FRIDAY):
        sim.days[day] = simulate_into(sim.db, sim.office, day, PLAN)
    return sim


def _count(db: Path, sql: str, *params: object) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(sql, params).fetchone()[0])


def test_every_kind_of_event_happens_and_every_ticket_ends(office: Office2) -> None:
    for day in (THURSDAY, FRIDAY):
        for kind in KINDS:
            assert office.days[day].kinds.get(kind, 0) > 0, (day, kind)
    recalls = _count(office.db, "SELECT count(*) FROM events WHERE kind = 'ticket_called'"
                     " AND json_extract(data, '$.recall') > 0")  # fmt: skip
    assert recalls > 0
    for day in (THURSDAY, FRIDAY):
        report = build_report(office.db, office.office, day)
        total = report.total
        issued = _count(office.db, "SELECT count(*) FROM events WHERE kind = 'ticket_issued'"
                        " AND day = ?", day.isoformat())  # fmt: skip
        assert total.issued == issued == PLAN.tickets - office.days[day].refused
        assert total.served + total.no_show + total.cancelled + total.expired == total.issued
        assert total.still_open == 0
        assert total.transferred_out == total.transferred_in > 0
        assert report.peak is not None and 7 <= report.peak.hour <= 11


def test_lunch_and_the_friday_prayer_break(office: Office2) -> None:
    thursday = build_report(office.db, office.office, THURSDAY)
    friday = build_report(office.db, office.office, FRIDAY)
    # An officer finishes the citizen at the counter before the break and may come back a
    # few minutes late: 12.00-13.00 on Thursday, 11.30-13.00 for the Friday prayers.
    for counter in thursday.counters:
        assert 3600 - 1800 <= counter.paused_s <= 3600 + 300, counter
        assert counter.utilisation is not None and 0 < counter.utilisation <= 1
    for counter in friday.counters:
        assert 5400 - 1800 <= counter.paused_s <= 5400 + 300, counter
    assert sum(c.paused_s for c in friday.counters) > sum(c.paused_s for c in thursday.counters)
    during_prayers = _count(
        office.db,
        "SELECT count(*) FROM events WHERE kind = 'ticket_issued' AND day = ?"
        " AND substr(at, 12, 5) >= '11:30' AND substr(at, 12, 5) < '13:00'",
        FRIDAY.isoformat(),
    )
    assert during_prayers <= 6  # next to nobody comes during the prayers


def test_the_same_seed_gives_the_same_day(office: Office2, tmp_path: Path) -> None:
    again = tmp_path / "again.db"
    simulate_into(again, office.office, THURSDAY, PLAN)
    query = (
        "SELECT kind, at, day, ticket_id, service, counter, data FROM events"
        " WHERE day = ? ORDER BY seq"
    )
    with sqlite3.connect(office.db) as first, sqlite3.connect(again) as second:
        assert (first.execute(query, (THURSDAY.isoformat(),)).fetchall()
                == second.execute(query, (THURSDAY.isoformat(),)).fetchall())  # fmt: skip


def test_report_cli_writes_all_four_formats(office: Office2, tmp_path: Path) -> None:
    for fmt in ("html", "xlsx", "pdf", "csv"):
        out = tmp_path / f"laporan.{fmt}"
        assert report_main(["--config", str(office.config), "--date", THURSDAY.isoformat(),
                            "--format", fmt, "--out", str(out)]) == 0  # fmt: skip
        assert out.stat().st_size > 0
    report = build_report(office.db, office.office, THURSDAY)
    tables, charts = html_tables((tmp_path / "laporan.html").read_text("utf-8"))
    assert len(charts) == 3 and tables["services"][-1][1] == str(report.total.issued)
    sheets = xlsx_sheets((tmp_path / "laporan.xlsx").read_bytes())
    assert sheets["Per layanan"][-1][:3] == (
        "Semua layanan",
        report.total.issued,
        report.total.served,
    )
    sections = csv_sections((tmp_path / "laporan.csv").read_bytes())
    assert sections["Per layanan"][-1][1] == str(report.total.issued)
    assert ink_share(pdf_pages(tmp_path / "laporan.pdf", tmp_path)[0]) > 0.03


def test_report_cli_for_a_period_in_english(office: Office2, tmp_path: Path) -> None:
    out = tmp_path / "period.xlsx"
    assert report_main(["--config", str(office.config), "--from", THURSDAY.isoformat(),
                        "--to", FRIDAY.isoformat(), "--format", "xlsx", "--out", str(out),
                        "--lang", "en"]) == 0  # fmt: skip
    sheets = xlsx_sheets(out.read_bytes())
    days = sheets["Per day"]
    assert [row[0] for row in days[1:]] == [datetime(2026, 11, 26), datetime(2026, 11, 27)]
    assert len(sheets["Heat map (tickets per hour)"]) == 3


def test_report_cli_errors_are_exit_codes(office: Office2, tmp_path: Path) -> None:
    missing = write_hub_config(tmp_path / "hub.toml", 1883, tmp_path / "none.db")
    assert report_main(["--config", str(missing), "--date", "2026-11-26"]) == 1
    broken = tmp_path / "broken.toml"
    broken.write_text("[office\n")
    assert report_main(["--config", str(broken), "--date", "2026-11-26"]) == 2
    with pytest.raises(SystemExit) as usage:
        report_main(
            ["--config", str(office.config), "--date", "2026-11-26", "--from", "2026-11-01"]
        )
    assert usage.value.code == 2
    with pytest.raises(SystemExit):
        report_main(["--config", str(office.config), "--date", "28-11-2026"])


def test_daily_archive_is_read_only_and_complete(office: Office2, tmp_path: Path) -> None:
    before = _count(office.db, "SELECT count(*) FROM events")
    written = write_daily_archive(office.db, office.office, FRIDAY, tmp_path / "arsip")
    assert sorted(p.name for p in written) == [
        "laporan-2026-11-27.csv", "laporan-2026-11-27.html",
        "laporan-2026-11-27.pdf", "laporan-2026-11-27.xlsx",
    ]  # fmt: skip
    assert all(p.stat().st_size > 0 for p in written)
    assert not list((tmp_path / "arsip").glob(".*"))  # no partial files left behind
    assert _count(office.db, "SELECT count(*) FROM events") == before
    reader = EventLog(office.db)
    assert reader.day(FRIDAY)
    assert reader._db is not None
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader._db.execute("DELETE FROM events")
    reader.close()


def test_simulate_day_cli(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    hub = write_hub_config(tmp_path / "hub.toml", 1883, db)
    args = ["--config", str(hub), "--date", "2026-11-30", "--tickets", "20", "--seed", "2"]
    assert antrian(["simulate-day", *args]) == 0  # through the one `antrian` entry point
    assert _count(db, "SELECT count(*) FROM events WHERE kind = 'ticket_issued'") == 20


def test_a_report_reads_while_the_hub_writes(office: Office2, tmp_path: Path) -> None:
    """The hub keeps its database open and writing; a report in between sees every commit
    made so far and blocks nothing (WAL, read-only connection)."""
    db = tmp_path / "live.db"
    store = Store(db)
    seen: list[int] = []

    def commit_then_report(events: list[Event]) -> None:
        store.commit(events)
        if any(e.kind == "ticket_finished" for e in events) and len(seen) < 3:
            seen.append(build_report(db, office.office, THURSDAY).total.served)

    try:
        queue = store.load(office.office, datetime(2026, 11, 26, 6, 0, tzinfo=office.office.tz))
        simulate_day(queue, office.office, THURSDAY, commit_then_report, DayPlan(tickets=15))
    finally:
        store.close()
    assert seen == [1, 2, 3]


def test_a_target_wait_in_minutes_names_the_column(office: Office2, tmp_path: Path) -> None:
    out = tmp_path / "target.csv"
    args = ["--config", str(office.config), "--date", THURSDAY.isoformat(), "--format", "csv"]
    assert report_main([*args, "--out", str(out), "--target-minutes", "7.5"]) == 0
    header = csv_sections(out.read_bytes())["Per layanan – waktu"][0]
    assert header[5] == "Dipanggil dalam 7,5 menit (%)"


def test_report_cli_names_the_file_by_its_period(
    office: Office2, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config_file = str(office.config)
    assert report_main(["--config", config_file, "--date", "2026-11-26", "--format", "csv"]) == 0
    assert report_main(["--config", config_file, "--from", "2026-11-26", "--to", "2026-11-27",
                        "--format", "html"]) == 0  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "laporan-2026-11-26.csv", "laporan-2026-11-26_2026-11-27.html",
    ]  # fmt: skip


def test_report_cli_finds_the_database_from_the_config_file_not_the_working_folder(
    office: Office2, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`database = "antrian.db"` beside hub.toml is found from any working folder."""
    text = office.config.read_text().replace(f'"{office.db}"', '"antrian.db"')
    assert 'database = "antrian.db"' in text
    relative = office.db.parent / "relative.toml"
    relative.write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    args = ["--config", str(relative), "--date", THURSDAY.isoformat(), "--format", "csv"]
    assert report_main([*args, "--out", "thursday.csv"]) == 0
    services = csv_sections((elsewhere / "thursday.csv").read_bytes())["Per layanan"]
    assert services[-1][1] == str(build_report(office.db, office.office, THURSDAY).total.issued)


def test_report_cli_reads_another_database(
    office: Office2, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """--database reads a copy (a backup) instead of the config's; a missing one is named."""
    copy = tmp_path / "backup.db"
    with sqlite3.connect(office.db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    args = ["--config", str(office.config), "--date", FRIDAY.isoformat(), "--format", "csv"]
    assert report_main([*args, "--database", str(copy), "--out", str(tmp_path / "f.csv")]) == 0
    total = csv_sections((tmp_path / "f.csv").read_bytes())["Per layanan"][-1]
    assert total[1] == str(build_report(office.db, office.office, FRIDAY).total.issued)
    missing = tmp_path / "missing.db"
    assert report_main([*args, "--database", str(missing), "--out", str(tmp_path / "m.csv")]) == 1
    assert str(missing) in caplog.text
