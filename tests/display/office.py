"""The test office's retained state and call events, in the hub's payload shapes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

WIB = timezone(timedelta(hours=7), "WIB")
NOW = datetime(2026, 11, 28, 8, 15, 30, tzinfo=WIB)

CONFIG: dict[str, Any] = {
    "office": {"id": "kantor", "name": "Kantor Kecamatan Contoh"},
    "hub": "hub",
    "services": [
        {"id": "A", "name": "Kartu Keluarga", "prefix": "A"},
        {"id": "B", "name": "KTP Elektronik", "prefix": "B"},
        {"id": "C", "name": "Akta Kelahiran", "prefix": "C"},
    ],
    "counters": [
        {"id": "1", "name": "Loket 1", "services": ["A", "B"]},
        {"id": "2", "name": "Loket 2", "services": ["B", "C"]},
        {"id": "3", "name": "Loket 3", "services": ["C"]},
    ],
}

QUEUE: dict[str, Any] = {
    "A": {
        "name": "Kartu Keluarga",
        "prefix": "A",
        "waiting": 5,
        "last_issued": "A-017",
        "last_called": "A-012",
        "estimated_wait_s": 900,
        "open": True,
    },
    "B": {
        "name": "KTP Elektronik",
        "prefix": "B",
        "waiting": 2,
        "last_issued": "B-006",
        "last_called": "B-004",
        "estimated_wait_s": 300,
        "open": True,
    },
    "C": {
        "name": "Akta Kelahiran",
        "prefix": "C",
        "waiting": 0,
        "last_issued": None,
        "last_called": None,
        "estimated_wait_s": None,
        "open": False,
    },
}


def call(
    number: str,
    counter: str,
    *,
    at: datetime = NOW,
    recall: int = 0,
    service: str | None = None,
) -> dict[str, Any]:
    """An `event/call` payload (also the shape of one `state/calls` entry)."""
    return {
        "ticket_id": f"{at:%Y%m%d}-{number}",
        "number": number,
        "service": service or number.split("-")[0],
        "counter": counter,
        "counter_name": f"Loket {counter}",
        "recall": recall,
        "called_at": at.isoformat(timespec="seconds"),
    }


def counter_state(
    counter: str, number: str | None = None, status: str = "open", *, at: datetime = NOW
) -> dict[str, Any]:
    ticket = None
    if number is not None:
        ticket = {
            "ticket_id": f"{at:%Y%m%d}-{number}",
            "number": number,
            "service": number.split("-")[0],
            "state": "called",
            "called_at": at.isoformat(timespec="seconds"),
        }
    return {
        "counter": counter,
        "name": f"Loket {counter}",
        "status": status,
        "ticket": ticket,
        "waiting": 3,
    }


CALLS: dict[str, Any] = {
    "calls": [
        call("A-012", "1", at=NOW - timedelta(seconds=20)),
        call("B-004", "2", at=NOW - timedelta(minutes=5)),
        call("A-011", "1", at=NOW - timedelta(minutes=10)),
    ]
}

COUNTERS: dict[str, dict[str, Any]] = {
    "1": counter_state("1", "A-012"),
    "2": counter_state("2", "B-004"),
    "3": counter_state("3", None, "paused"),
}
