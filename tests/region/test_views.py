"""The regional pages' pure parts: what a row shows, and the overview's short cache."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from nodes.region import views
from nodes.region.rows import DayTotals, OfficeRow
from nodes.region.web import ShortCache

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def office(heard: datetime | None, online: bool | None = True) -> OfficeRow:
    state = {
        "v": 1,
        "waiting": 3,
        "longest_wait_s": 1500,
        "devices_offline": [],
        "counters": [{"id": "1", "state": "open"}, {"id": "2", "state": "closed"}],
        "services": [{"id": "A", "longest_wait_s": 1500, "standard_minutes": 20}],
    }
    return OfficeRow("kec-a", 10, state, heard, online, heard, 0)


def test_an_office_not_heard_for_long_is_not_shown_online() -> None:
    fresh = views.live_row(office(NOON - timedelta(minutes=1)), "A", NOON, "id")
    assert fresh.online is True and fresh.counters_open == "1/2" and fresh.over_standard
    stale = views.live_row(office(NOON - timedelta(minutes=16)), "A", NOON, "id")
    assert stale.online is False  # its last status said online, but that was long ago
    assert views.live_row(office(None, None), "A", NOON, "id").online is None


def test_the_comparison_of_an_office_without_days_shows_dashes() -> None:
    empty = views.compare_row("kec-a", "A", None, "id")
    assert (empty.served_per_day, empty.within_standard, empty.skm) == ("—", "—", "—")
    totals = DayTotals("kec-a", 2, 100, 90, 5, 80, 80 * 600.0, 1800.0, 60, 0, (0,) * 9)
    row = views.compare_row("kec-a", "A", totals, "id")
    assert (row.served_per_day, row.within_standard, row.skm) == ("45,0", "75 %", "—")


def test_the_period_defaults_to_the_last_30_days() -> None:
    today = date(2026, 11, 30)
    assert views.period(today, None, None) == (date(2026, 11, 1), today)
    assert views.period(today, today, date(2026, 11, 1)) == (date(2026, 11, 1), today)


def test_the_overviews_rows_are_built_at_most_once_per_ttl() -> None:
    cache, built = ShortCache(3.0), []

    def build() -> int:
        built.append(1)
        return len(built)

    assert cache.get("k", 100.0, build) == 1
    assert cache.get("k", 102.9, build) == 1  # another viewer within 3 s: the same rows
    assert cache.get("other", 102.9, build) == 2  # another period or language: its own
    assert cache.get("k", 103.0, build) == 3  # then built afresh
    assert cache.get("k", 90.0, build) == 4  # a clock set back never serves old rows
