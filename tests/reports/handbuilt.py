"""A small office day built by hand, row by row, whose every figure the tests know.

Counter 1 opens at 08.00, pauses for lunch 12.00-13.00 and closes at 15.00; counter 2 sends
no status at all (open from its first call to its last ticket event); counter 3 opens at
08.00 and never closes (open until its last event).

    A-001 issued 08.00, called 08.05 at 1, finished 08.15          wait 300, service 600
    A-002 issued 08.10, called 08.20 at 1, recalled 08.21, finished 08.30   wait 600, 600
    B-001 issued 08.12, called 08.20 at 2, no-show 08.25           wait 480
    B-002 issued 08.30, cancelled 08.40                            no wait
    C-001 issued 08.40, expired 15.30                              no wait
    C-002 issued 08.45, called 09.00 at 3, finished 09.30          wait 900, 1800
    B-003 issued 08.50, called 09.20 at 2, no-show 09.22           wait 1800
    A-005 issued 09.00, called 09.10 at 1 (A wait 600), transferred to B 09.15,
          called 09.40 at 2 (B wait from first issue: 2400), finished 09.50   service 600
    A-003 issued 11.40, called 11.55 at 1, (lunch pause 12.00-13.00), finished 13.05
          wait 900, service 4200 wall-clock, busy 300 + 300 inside open time
    A-004 issued 11.50, waits across lunch, called 13.10 at 1, finished 13.20  wait 4800, 600
"""

from __future__ import annotations

from typing import Any

from nodes.hub.events import Event, from_row
from nodes.hub.reports.figures import OfficeInfo

DAY = "2026-11-28"
OFFICE = OfficeInfo(
    name="Kantor Kecamatan Contoh",
    services=(("A", "Kartu Keluarga"), ("B", "KTP Elektronik"), ("C", "Akta Kelahiran")),
    counters=(("1", "Loket 1"), ("2", "Loket 2"), ("3", "Loket 3")),
)


def row(
    kind: str,
    hhmm: str,
    number: str | None = None,
    service: str | None = None,
    counter: str | None = None,
    day: str = DAY,
    payload: dict[str, Any] | None = None,
    **data: Any,
) -> Event:
    """One event as the queue emits it: the log's columns, `data`, and defaults for the
    fields no figure reads (who issued or cancelled it)."""
    data = {**_DEFAULTS.get(kind, {}), **(payload or {}), **data}
    ticket_id = f"{day.replace('-', '')}-{number}" if number else None
    if service is None and number:
        service = number.split("-")[0]
    if number and kind in ("ticket_issued", "ticket_called"):
        data.setdefault("number", number)
    if number and kind == "ticket_issued":
        data.setdefault("seq", int(number.split("-")[1]))
    return from_row(kind, f"{day}T{hhmm}:00+07:00", day, ticket_id, service, counter, data)


_DEFAULTS: dict[str, dict[str, Any]] = {
    "ticket_issued": {"priority": False, "node": "kiosk-1"},
    "ticket_called": {"recall": 0},
    "ticket_cancelled": {"node": "kiosk-1"},
}


def hand_day(day: str = DAY) -> list[Event]:
    """The day of the module docstring, in log order."""
    r: list[tuple[str, str, str | None, str | None, str | None, dict[str, Any]]] = [
        ("counter_status", "08:00", None, None, "1", {"status": "open"}),
        ("counter_status", "08:00", None, None, "3", {"status": "open"}),
        ("ticket_issued", "08:00", "A-001", None, None, {"number": "A-001", "seq": 1}),
        ("ticket_called", "08:05", "A-001", None, "1", {"number": "A-001", "recall": 0}),
        ("ticket_issued", "08:10", "A-002", None, None, {"number": "A-002", "seq": 2}),
        ("ticket_issued", "08:12", "B-001", None, None, {"number": "B-001", "seq": 1}),
        ("ticket_finished", "08:15", "A-001", None, "1", {}),
        ("ticket_called", "08:20", "A-002", None, "1", {"number": "A-002", "recall": 0}),
        ("ticket_called", "08:20", "B-001", None, "2", {"number": "B-001", "recall": 0}),
        ("ticket_called", "08:21", "A-002", None, "1", {"number": "A-002", "recall": 1}),
        ("ticket_started", "08:22", "A-002", None, "1", {}),
        ("ticket_skipped", "08:25", "B-001", None, "2", {}),
        ("ticket_issued", "08:30", "B-002", None, None, {"number": "B-002", "seq": 2}),
        ("ticket_finished", "08:30", "A-002", None, "1", {}),
        ("ticket_cancelled", "08:40", "B-002", None, None, {"reason": "print_failed"}),
        ("ticket_issued", "08:40", "C-001", None, None, {"number": "C-001", "seq": 1}),
        ("ticket_issued", "08:45", "C-002", None, None, {"number": "C-002", "seq": 2}),
        ("ticket_issued", "08:50", "B-003", None, None, {"number": "B-003", "seq": 3}),
        ("ticket_called", "09:00", "C-002", None, "3", {"number": "C-002", "recall": 0}),
        ("ticket_issued", "09:00", "A-005", None, None, {"number": "A-005", "seq": 5}),
        ("ticket_called", "09:10", "A-005", None, "1", {"number": "A-005", "recall": 0}),
        ("ticket_transferred", "09:15", "A-005", "B", "1", {"from_service": "A"}),
        ("ticket_called", "09:20", "B-003", None, "2", {"number": "B-003", "recall": 0}),
        ("ticket_skipped", "09:22", "B-003", None, "2", {}),
        ("ticket_finished", "09:30", "C-002", None, "3", {}),
        ("ticket_called", "09:40", "A-005", "B", "2", {"number": "A-005", "recall": 0}),
        ("ticket_finished", "09:50", "A-005", "B", "2", {}),
        ("ticket_issued", "11:40", "A-003", None, None, {"number": "A-003", "seq": 3}),
        ("ticket_issued", "11:50", "A-004", None, None, {"number": "A-004", "seq": 4}),
        ("ticket_called", "11:55", "A-003", None, "1", {"number": "A-003", "recall": 0}),
        ("counter_status", "12:00", None, None, "1", {"status": "paused"}),
        ("counter_status", "13:00", None, None, "1", {"status": "open"}),
        ("ticket_finished", "13:05", "A-003", None, "1", {}),
        ("ticket_called", "13:10", "A-004", None, "1", {"number": "A-004", "recall": 0}),
        ("ticket_finished", "13:20", "A-004", None, "1", {}),
        ("counter_status", "15:00", None, None, "1", {"status": "closed"}),
        ("ticket_expired", "15:30", "C-001", None, None, {}),
    ]
    return [
        row(kind, at, number, service, counter, day, data)
        for kind, at, number, service, counter, data in r
    ]
