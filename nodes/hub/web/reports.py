"""The dashboard's report pages, drawn by the reports package (`nodes.hub.reports`).

This module computes no figure of its own: it asks `nodes.hub.reports.build_report` for the
day's figures (read from the hub's database, read-only) and `render` for the file. When
that package cannot be imported on this node, `available()` is False and the dashboard says
so instead of failing.
"""

from __future__ import annotations

import importlib
import logging
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

from common.bahasa import Lang

log = logging.getLogger(__name__)


class ReportShelf:
    """One office's daily reports, rendered on demand (blocking: call from a worker thread)."""

    def __init__(self, database: Path, office_id: str, timezone: str) -> None:
        self.database = database
        self.office_id = office_id
        self.timezone = timezone
        self._package: ModuleType | None = None
        self._missing = False

    def _reports(self) -> ModuleType | None:
        if self._package is None and not self._missing:
            try:
                self._package = importlib.import_module("nodes.hub.reports")
            except ImportError as exc:
                log.warning("reports are not available on this node: %s", exc)
                self._missing = True
        return self._package

    def available(self) -> bool:
        return self._reports() is not None

    def formats(self) -> tuple[str, ...]:
        """The download formats the installed reports package can render."""
        package = self._reports()
        return tuple(package.FORMATS) if package else ()

    def media_type(self, fmt: str) -> str:
        package = self._reports()
        types: dict[str, str] = package.MEDIA_TYPES if package else {}
        return types.get(fmt, "application/octet-stream")

    def render(
        self,
        day: date,
        fmt: str,
        lang: Lang,
        office_name: str,
        services: tuple[tuple[str, str], ...],
        counters: tuple[tuple[str, str], ...],
        generated: datetime,
    ) -> bytes:
        """The day's report as the bytes of a file; FileNotFoundError without a database."""
        package = self._reports()
        if package is None:
            raise LookupError("the reports package is not installed")
        office = package.OfficeInfo(
            name=office_name or self.office_id,
            services=services,
            counters=counters,
            office_id=self.office_id,
            timezone=self.timezone,
        )
        report = package.build_report(self.database, office, day)
        content: bytes = package.render(report, fmt, lang, generated)
        return content
