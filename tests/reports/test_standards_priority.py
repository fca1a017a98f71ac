"""The published service standards and the priority line in the reports, on the hand-built
day of tests/reports/handbuilt.py (its docstring lists every wait and service time).

Standards: Kartu Keluarga (A) 10 minutes to wait and 10 to serve; KTP Elektronik (B) 20
minutes to wait; Akta Kelahiran (C) none, so the office target (15 minutes) holds.
B-003 is a priority ticket.

    waits  A: 300, 600, 600 (A-005), 900, 4800  -> within 600 s: 3 of 5
           B: 480, 1800 (B-003, priority), 2400 (A-005 in B)  -> within 1200 s: 1 of 3
           C: 900  -> within the office's 900 s: 1 of 1
    total: 5 of 9 within their own service's standard
    service times A: 600, 600, 4200, 600  -> within 600 s: 3 of 4
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from nodes.hub.events import Event, TicketIssued
from nodes.hub.reports.figures import Report, compute
from nodes.hub.reports.render import render
from nodes.hub.reports.summary import key_figures, verdict
from nodes.hub.reports.tables import report_tables
from tests.reports.handbuilt import DAY, OFFICE, hand_day
from tests.reports.readers import pdf_text, xlsx_sheets

STANDARDS = replace(OFFICE, standards=(("A", 600.0, 600.0), ("B", 1200.0, None)))


def priority_day() -> list[Event]:
    return [
        replace(e, priority=True) if isinstance(e, TicketIssued) and e.number == "B-003" else e
        for e in hand_day()
    ]


@pytest.fixture(scope="module")
def report() -> Report:
    return compute(priority_day(), STANDARDS, date.fromisoformat(DAY), target_wait_s=900)


def test_each_service_is_held_to_its_own_standard(report: Report) -> None:
    a, b, c = report.services
    assert (a.wait_standard_s, a.wait.over_target, a.wait.within_target_share) == (600, 2, 0.6)
    assert (b.wait_standard_s, b.wait.over_target) == (1200, 2)
    assert (c.wait_standard_s, c.wait.over_target, c.wait.within_target_share) == (None, 0, 1.0)
    assert a.within_service_standard == 0.75 and b.within_service_standard is None
    assert report.total.wait.count == 9 and report.total.wait.over_target == 4
    (day,) = report.days
    assert day.wait.over_target == 4  # the same waits held the same way, per day
    assert report.has_standards


def test_without_standards_the_office_target_holds_as_before() -> None:
    plain = compute(priority_day(), OFFICE, date.fromisoformat(DAY), target_wait_s=900)
    a = plain.services[0]
    assert (a.wait.over_target, a.wait_standard_s) == (1, None)  # only 4800 s is over 900
    assert not plain.has_standards
    assert "standards" not in [t.key for t in report_tables(plain)]


def test_priority_and_ordinary_waits_side_by_side(report: Report) -> None:
    b = report.services[1]
    assert (b.priority_wait.count, b.priority_wait.average_s) == (1, 1800)
    assert (b.ordinary_wait.count, b.ordinary_wait.average_s, b.ordinary_wait.max_s) == (
        2,
        1440,
        2400,
    )
    total = report.total
    assert (total.priority_wait.count, total.ordinary_wait.count) == (1, 8)
    plain_day = compute(hand_day(), OFFICE, date.fromisoformat(DAY))
    assert "priority" not in [t.key for t in report_tables(plain_day)]


def test_the_tables_and_the_summary_say_standard(report: Report) -> None:
    tables = {t.key: t for t in report_tables(report, "id")}
    standards = tables["standards"]
    assert [c.label for c in standards.columns] == [
        "Layanan",
        "Standar waktu tunggu (menit)",
        "Dipanggil dalam standar (%)",
        "Standar waktu penyelesaian (menit)",
        "Selesai dalam standar (%)",
    ]
    assert standards.rows[0] == ("A – Kartu Keluarga", 10.0, 60.0, 10.0, 75.0)
    assert standards.rows[2] == ("C – Akta Kelahiran", None, 100.0, None, None)
    priority = tables["priority"]
    assert priority.rows[1][:4] == ("B – KTP Elektronik", 1, 30.0, 30.0)
    assert priority.rows[1][4:] == (2, 24.0, 40.0)
    assert "Dipanggil dalam standar (%)" in [c.label for c in tables["service_times"].columns]
    share = round(5 / 9 * 100, 1)
    assert key_figures(report)[0].label == "Dipanggil dalam standar (%)"
    assert verdict(report).sentence == (
        f"✘ BELUM MEMENUHI STANDAR: hanya {share:.1f} % warga dipanggil dalam standar waktu "
        "tunggu layanannya (standar: sedikitnya 80 %).".replace(".", ",", 1)
    )


def test_the_pdf_and_the_workbook_carry_the_standards(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(report, "pdf", "id"))
    text = pdf_text(path)
    assert "Standar pelayanan" in text and "Prioritas dan biasa" in text
    sheets = xlsx_sheets(render(report, "xlsx", "id"))
    assert sheets["Standar pelayanan"][1][:5] == ("A – Kartu Keluarga", 10, 60, 10, 75)
