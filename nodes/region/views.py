"""What the regional pages show, from the database's rows and the time: pure.

Fields an office's hub could not know (null in its snapshot) and offices never heard of show
"—". "Online" is the office's retained `status`; an office whose last message is older than
STALE_S is shown as not heard from, whatever its last status said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from common.bahasa import Lang, duration_minutes_phrase
from nodes.hub.reports.skm import SkmFigures
from nodes.region.rows import DayTotals, OfficeRow

DASH = "—"
#: A hub publishes its state at least on change; its uplink's keepalive says when it is gone.
STALE_S = 15 * 60


@dataclass(frozen=True)
class LiveRow:
    id: str
    name: str
    online: bool | None
    open: bool | None
    counters_open: str
    waiting: str
    longest_wait: str
    over_standard: bool
    devices_offline: str
    last_heard: str
    acked: int


@dataclass(frozen=True)
class CompareRow:
    id: str
    name: str
    served_per_day: str
    average_wait: str
    within_standard: str
    within_share: float | None
    longest_wait: str
    skm: str
    skm_respondents: int


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def live_row(office: OfficeRow, name: str, now: datetime, lang: Lang) -> LiveRow:
    state = office.state or {}
    counters = [c for c in state.get("counters") or [] if isinstance(c, dict)]
    opened = sum(1 for c in counters if c.get("state") == "open")
    longest = _number(state.get("longest_wait_s"))
    over = False
    for service in state.get("services") or []:
        if not isinstance(service, dict):
            continue
        minutes, wait = service.get("standard_minutes"), _number(service.get("longest_wait_s"))
        if isinstance(minutes, int | float) and wait is not None and wait > 60 * minutes:
            over = True
    offline = state.get("devices_offline")
    heard = office.last_heard
    fresh = heard is not None and (now - heard).total_seconds() <= STALE_S
    waiting = _number(state.get("waiting"))
    return LiveRow(
        id=office.id,
        name=name or (state.get("office") or {}).get("name") or office.id,
        online=office.online if fresh else (None if heard is None else False),
        open=state.get("open") if isinstance(state.get("open"), bool) else None,
        counters_open=f"{opened}/{len(counters)}" if counters else DASH,
        waiting=DASH if waiting is None else str(waiting),
        longest_wait=DASH
        if longest is None
        else "0"
        if longest == 0
        else duration_minutes_phrase(longest, lang),
        over_standard=over,
        devices_offline=", ".join(map(str, offline))
        if isinstance(offline, list) and offline
        else ("0" if isinstance(offline, list) else DASH),
        last_heard=DASH if heard is None else heard.astimezone(now.tzinfo).strftime("%d-%m %H:%M"),
        acked=office.acked,
    )


def unheard(office_id: str, name: str) -> LiveRow:
    """An office of region.toml that has sent nothing yet."""
    return LiveRow(office_id, name, None, None, DASH, DASH, DASH, False, DASH, DASH, 0)


def compare_row(office_id: str, name: str, totals: DayTotals | None, lang: Lang) -> CompareRow:
    if totals is None or not totals.days:
        return CompareRow(office_id, name, DASH, DASH, DASH, None, DASH, DASH, 0)
    share = totals.within / totals.waits if totals.waits else None
    average = totals.wait_sum_s / totals.waits if totals.waits else None
    skm = SkmFigures("", name, totals.skm_respondents, totals.served, totals.skm_totals or (0,) * 9)
    ikm = skm.ikm
    return CompareRow(
        id=office_id,
        name=name,
        served_per_day=f"{totals.served / totals.days:.1f}".replace(
            ".", "," if lang == "id" else "."
        ),
        average_wait=DASH if average is None else duration_minutes_phrase(average, lang),
        within_standard=DASH if share is None else f"{100 * share:.0f} %",
        within_share=share,
        longest_wait=DASH
        if totals.wait_max_s is None
        else duration_minutes_phrase(totals.wait_max_s, lang),
        skm=DASH if ikm is None else f"{ikm:.2f}".replace(".", "," if lang == "id" else "."),
        skm_respondents=totals.skm_respondents,
    )


def period(today: date, first: date | None, last: date | None, days: int = 30) -> tuple[date, date]:
    """The comparison's period: the given days, or the last `days` days up to today."""
    last = last or today
    first = first or date.fromordinal(last.toordinal() - days + 1)
    return (first, last) if first <= last else (last, first)
