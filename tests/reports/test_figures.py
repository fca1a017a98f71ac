"""Every figure of the hand-built day (tests/reports/handbuilt.py), computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from nodes.hub.reports.figures import (
    DurationStats,
    PeakHour,
    WaitStats,
    compute,
    percentile,
)
from tests.reports.handbuilt import DAY, OFFICE, hand_day, row

D = date.fromisoformat(DAY)


def p(sorted_values: list[float], q: float) -> float:
    """Linear interpolation by hand: position q*(n-1) between its two neighbours."""
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def test_percentile_method_by_hand() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5  # the ordinary median
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == 46.0  # pos 3.6 -> 40 + 0.6*10
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_services_of_the_hand_built_day() -> None:
    report = compute(hand_day(), OFFICE, D)
    a, b, c = report.services
    assert (a.service, a.name) == ("A", "Kartu Keluarga")
    # A: five issued (A-005 was issued for A, then transferred out to B).
    assert (a.issued, a.served, a.no_show, a.cancelled, a.expired) == (5, 4, 0, 0, 0)
    assert (a.transferred_out, a.transferred_in, a.still_open) == (1, 0, 0)
    waits_a = [300.0, 600.0, 600.0, 900.0, 4800.0]
    assert a.wait == WaitStats(
        count=5,
        average_s=7200 / 5,
        median_s=600.0,
        p90_s=p(waits_a, 0.9),  # pos 3.6: 900 + 0.6 * 3900
        max_s=4800.0,
        over_target=1,  # only A-004; A-003 waited exactly 15 minutes, not longer
        over_target_share=1 / 5,
    )
    assert a.wait.p90_s == pytest.approx(3240.0)
    # A-003 ran across the lunch pause: 11.55 -> 13.05 is 70 minutes wall-clock.
    assert a.duration == DurationStats(
        count=4, average_s=(600 + 600 + 4200 + 600) / 4, median_s=600.0
    )

    # B: A-005 came in by transfer; its B wait runs from its first issue (09.00 -> 09.40).
    assert (b.issued, b.served, b.no_show, b.cancelled, b.expired) == (3, 1, 2, 1, 0)
    assert (b.transferred_out, b.transferred_in, b.still_open) == (0, 1, 0)
    waits_b = [480.0, 1800.0, 2400.0]
    assert b.wait == WaitStats(3, 4680 / 3, 1800.0, p(waits_b, 0.9), 2400.0, 2, 2 / 3)
    assert b.duration == DurationStats(1, 600.0, 600.0)

    assert (c.issued, c.served, c.no_show, c.cancelled, c.expired, c.still_open) == (
        2,
        1,
        0,
        0,
        1,
        0,
    )
    assert c.wait == WaitStats(1, 900.0, 900.0, 900.0, 900.0, 0, 0.0)
    assert c.duration == DurationStats(1, 1800.0, 1800.0)


def test_office_total_is_all_services_together() -> None:
    total = compute(hand_day(), OFFICE, D).total
    assert (total.issued, total.served, total.no_show, total.cancelled, total.expired) == (
        10,
        6,
        2,
        1,
        1,
    )
    assert (total.transferred_out, total.transferred_in) == (1, 1)
    waits = sorted([300.0, 600.0, 600.0, 900.0, 4800.0, 480.0, 1800.0, 2400.0, 900.0])
    assert sum(waits) == 12780
    assert total.wait == WaitStats(9, 12780 / 9, 900.0, p(waits, 0.9), 4800.0, 3, 3 / 9)
    assert total.wait.p90_s == pytest.approx(2880.0)  # pos 7.2: 2400 + 0.2 * 2400
    assert total.duration == DurationStats(6, (600 * 4 + 4200 + 1800) / 6, 600.0)


def test_counters_open_paused_busy_and_utilisation() -> None:
    one, two, three = compute(hand_day(), OFFICE, D).counters
    # Loket 1: open 08-12 and 13-15, paused 12-13. Busy: 600 + 600 + (300 + 300) + 600:
    # A-003's service counts before and after the pause, not during it.
    assert (one.counter, one.name, one.served) == ("1", "Loket 1", 4)
    assert one.open_s == 4 * 3600 + 2 * 3600
    assert one.paused_s == 3600
    assert one.busy_s == 2400
    assert one.utilisation == 2400 / 21600
    assert one.duration == DurationStats(4, 1500.0, 600.0)
    # Loket 2 sent no status: open from its first call (08.20) to its last event (09.50).
    assert (two.served, two.open_s, two.paused_s, two.busy_s) == (1, 5400.0, 0.0, 600.0)
    assert two.utilisation == 600 / 5400
    # Loket 3 opened at 08.00 and never closed: open until its last event (09.30).
    assert (three.served, three.open_s, three.busy_s) == (1, 5400.0, 1800.0)
    assert three.utilisation == 1800 / 5400


def test_hours_and_the_peak_hour_in_words() -> None:
    report = compute(hand_day(), OFFICE, D)
    table = [(h.hour, h.issued, h.served, h.average_wait_s) for h in report.hours]
    assert table == [
        (8, 7, 2, (300 + 600 + 480 + 900 + 1800) / 5),
        (9, 1, 2, (600 + 2400) / 2),  # A-005 waited once for A and once for B
        (10, 0, 0, None),
        (11, 2, 0, (900 + 4800) / 2),
        (12, 0, 0, None),
        (13, 0, 2, None),
    ]
    assert report.peak == PeakHour(8, 7)
    assert report.peak_phrase() == "Jam tersibuk: 08.00–09.00, 7 tiket"
    assert report.peak_phrase("en") == "Busiest hour: 08:00–09:00, 7 tickets"


def test_the_day_row_and_heat_map() -> None:
    report = compute(hand_day(), OFFICE, D)
    (day,) = report.days
    assert (day.day, day.issued, day.served, day.no_show, day.cancelled, day.expired) == (
        D, 10, 6, 2, 1, 1,
    )  # fmt: skip
    assert day.transferred == 1
    assert day.wait == report.total.wait
    assert day.peak == PeakHour(8, 7)
    assert report.heat.days == (D,)
    assert report.heat.hours == (8, 9, 10, 11, 12, 13)
    assert report.heat.issued == ((7, 1, 0, 2, 0, 0),)


def test_an_empty_day() -> None:
    report = compute([], OFFICE, D)
    assert report.empty
    assert report.total.issued == 0 and report.total.wait.average_s is None
    assert [s.issued for s in report.services] == [0, 0, 0]
    assert [(c.served, c.open_s, c.utilisation) for c in report.counters] == [(0, 0.0, None)] * 3
    assert report.hours == () and report.days == () and report.peak is None
    assert report.peak_phrase() == "Jam tersibuk: - (belum ada tiket)"


def test_a_range_keeps_days_apart_and_ignores_days_outside() -> None:
    rows = hand_day("2026-11-27") + hand_day("2026-11-28") + hand_day("2026-11-30")
    report = compute(rows, OFFICE, date(2026, 11, 27), date(2026, 11, 28))
    assert [d.day for d in report.days] == [date(2026, 11, 27), date(2026, 11, 28)]
    assert report.total.issued == 20
    assert report.counters[0].open_s == 2 * 21600
    assert report.peak == PeakHour(8, 14)
    assert report.heat.issued == ((7, 1, 0, 2, 0, 0), (7, 1, 0, 2, 0, 0))


def test_a_no_show_called_again_and_served_is_served() -> None:
    rows = [
        row("ticket_issued", "08:00", "A-001"),
        row("ticket_called", "08:10", "A-001", counter="1", recall=0),
        row("ticket_skipped", "08:12", "A-001", counter="1"),
        row("ticket_called", "08:30", "A-001", counter="1", recall=0),
        row("ticket_finished", "08:40", "A-001", counter="1"),
    ]
    a = compute(rows, OFFICE, D).services[0]
    assert (a.served, a.no_show) == (1, 0)
    assert a.wait.count == 1 and a.wait.average_s == 600  # the first call ends the wait
    assert a.duration.average_s == 600  # from the call that led to the finish


def test_unknown_services_and_counters_still_appear() -> None:
    rows = [
        row("ticket_issued", "08:00", "Z-001"),
        row("ticket_called", "08:01", "Z-001", counter="9", recall=0),
        row("ticket_finished", "08:03", "Z-001", counter="9"),
    ]
    report = compute(rows, OFFICE, D)
    assert (report.services[-1].service, report.services[-1].name, report.services[-1].served) == (
        "Z",
        "Z",
        1,
    )
    assert (report.counters[-1].counter, report.counters[-1].busy_s) == ("9", 120.0)
