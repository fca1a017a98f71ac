"""The rows the pages read from the region database (`store.Reader`): plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OfficeRow:
    id: str
    acked: int
    state: dict[str, Any] | None
    state_at: datetime | None
    online: bool | None
    last_heard: datetime | None
    refused: int


@dataclass(frozen=True)
class DayTotals:
    """One office's summed `office_days` over a period."""

    office: str
    days: int
    issued: int
    served: int
    no_show: int
    waits: int
    wait_sum_s: float
    wait_max_s: float | None
    within: int
    skm_respondents: int
    skm_totals: tuple[int, ...]
