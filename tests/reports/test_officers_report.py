"""Per-officer figures on the hand-built day (tests/reports/handbuilt.py), worked by hand.

Officer 1 (Siti) signs in at Loket 1 at 08.00, out at 12.00, in again at 13.00 and never
out: that lasts until Loket 1's last event of the day (closed at 15.00). She makes every
call at Loket 1. Officer 2 (Budi) is at Loket 2 from 08.15 to 10.00 and makes its calls.

    Siti: served A-001 600 s, A-002 600 s (the recall does not restart it), A-003 4200 s
          (11.55-13.05), A-004 600 s; A-005 she called but transferred: not hers.
          signed in 4 h + 2 h = 21600 s; busy 600 + 600 + (300 + 300 of A-003 inside her
          time) + 600 = 2400 s; idle 19200 s; mean service 1500 s
    Budi: served A-005 at Loket 2 (09.40-09.50) 600 s; signed in 6300 s, and 1800 s at
          Loket 3 at 16.00-16.30; idle 7500 s
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from nodes.hub.events import Event, TicketCalled
from nodes.hub.reports.figures import Report, compute
from nodes.hub.reports.model_json import render_json
from nodes.hub.reports.tables import report_tables
from tests.reports.handbuilt import DAY, OFFICE, hand_day, row

OFFICERS = replace(OFFICE, officers=(("1", "Siti Aminah"), ("2", "Budi Santoso")))


def staffed_day() -> list[Event]:
    by_counter = {"1": "1", "2": "2"}
    events: list[Event] = [
        replace(e, officer=by_counter.get(e.counter)) if isinstance(e, TicketCalled) else e
        for e in hand_day()
    ]
    events += [
        row("officer_signed_in", "08:00", counter="1", officer="1"),
        row("officer_signed_out", "12:00", counter="1", officer="1"),
        row("officer_signed_in", "13:00", counter="1", officer="1"),
        row("officer_signed_in", "08:15", counter="2", officer="2"),
        row("officer_signed_out", "10:00", counter="2", officer="2"),
        # Budi sits at Loket 3 (open from 08.00 until its last event) 16.00-16.30: his
        # time, not the counter's (its open time ends at its last ticket event still).
        row("officer_signed_in", "16:00", counter="3", officer="2"),
        row("officer_signed_out", "16:30", counter="3", officer="2"),
    ]
    return sorted(events, key=lambda e: e.at)


def report(show: bool) -> Report:
    return compute(staffed_day(), replace(OFFICERS, show_officers=show), date.fromisoformat(DAY))


def test_each_officers_day_worked_by_hand() -> None:
    siti, budi = report(True).officers
    assert (siti.officer, siti.name, siti.served) == ("1", "Siti Aminah", 4)
    assert (siti.signed_in_s, siti.busy_s, siti.idle_s) == (21600, 2400, 19200)
    assert siti.duration.average_s == 1500
    assert (budi.served, budi.signed_in_s, budi.busy_s, budi.idle_s) == (1, 8100, 600, 7500)


def test_the_counters_figures_do_not_change_with_officers() -> None:
    plain = compute(hand_day(), OFFICE, date.fromisoformat(DAY))
    assert report(True).counters == plain.counters and report(True).total == plain.total


def test_the_officers_table_is_for_the_head_of_office_only() -> None:
    assert "officers" not in [t.key for t in report_tables(report(False))]
    tables = {t.key: t for t in report_tables(report(True))}
    officers = tables["officers"]
    assert [c.label for c in officers.columns] == [
        "Petugas",
        "Selesai dilayani",
        "Rata-rata lama layanan (menit)",
        "Lama layanan separuh warga (menit)",
        "Waktu bertugas (jam)",
        "Waktu melayani (jam)",
        "Bertugas tanpa melayani (jam)",
    ]
    assert officers.rows[0] == ("Siti Aminah", 4, 25.0, 10.0, 6.0, 2400 / 3600, 19200 / 3600)
    assert officers.rows[1] == ("Budi Santoso", 1, 10.0, 10.0, 2.25, 600 / 3600, 7500 / 3600)


def test_the_json_report_carries_the_officers() -> None:
    # It raised "not JSON: OfficerFigures" once officers were shown (found by the region's tests).
    model = json.loads(render_json(report(True)))
    assert [(o["name"], o["served"], o["idle_s"]) for o in model["officers"]] == [
        ("Siti Aminah", 4, 19200),
        ("Budi Santoso", 1, 7500),
    ]
    assert json.loads(render_json(report(False)))["officers"] == []
