"""The dashboard's report pages, drawn by the reports package (`nodes.hub.reports`).

This module computes no figure of its own: it asks `build_report` for the day's figures
(the hub's event log, read-only) and `render` for the file.
"""

from __future__ import annotations

from dataclasses import replace
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
        self, day: date, fmt: str, lang: Lang, office: OfficeInfo, generated: datetime
    ) -> bytes:
        """The day's report as the bytes of a file; FileNotFoundError without a database.
        `office`: the names the web knows (from `config`); the id and time zone are ours."""
        office = replace(office, name=office.name or self.office_id, office_id=self.office_id,
                         timezone=self.timezone)  # fmt: skip
        return render(build_report(self.database, office, day), fmt, lang, generated)
