"""A realistic ticket as the hub hands it to the kiosk, for the layout and render tests."""

from __future__ import annotations

from typing import Any


def sample_data() -> dict[str, Any]:
    return {
        "ticket_id": "20261128-A-012",
        "number": "A-012",
        "service": "A",
        "service_name": "Kartu Keluarga",
        "issued_at": "2026-11-28T08:15:02+07:00",
        "ahead": 5,
        "estimated_wait_s": 900,
    }
