"""The dashboard's report pages, drawn by the reports package (`nodes.hub.reports`).

This module computes no figure of its own: it asks `build_report` for the day's figures
(the hub's event log, read-only) and `render` for the file.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from common.bahasa import Lang
from nodes.hub.reports import OfficeInfo, build_report, render


class ReportShelf:
    """One office's daily reports, rendered on demand (blocking: call from a worker thread)."""

    def __init__(self, database: Path, office_id: str, timezone: str) -> None:
        self.database = database
        self.office_id = office_id
        self.timezone = timezone

    def render(
        self,
        day: date,
        fmt: str,
        lang: Lang,
        office_name: str,
        services: tuple[tuple[str, str], ...],
        counters: tuple[tuple[str, str], ...],
        generated: datetime,
        standards: tuple[tuple[str, float | None, float | None], ...] = (),
        officers: tuple[tuple[str, str], ...] = (),
        show_officers: bool = False,
    ) -> bytes:
        """The day's report as the bytes of a file; FileNotFoundError without a database."""
        office = OfficeInfo(
            name=office_name or self.office_id,
            services=services,
            counters=counters,
            office_id=self.office_id,
            timezone=self.timezone,
            standards=standards,
            officers=officers,
            show_officers=show_officers,
        )
        return render(build_report(self.database, office, day), fmt, lang, generated)
