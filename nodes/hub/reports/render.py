"""One entry to every format, and the daily archive the hub writes after closing time.

Renderers are imported only when asked for, so producing a CSV never loads the PDF or
workbook libraries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Final, Literal

from common.bahasa import Lang
from common.files import write_atomic
from nodes.hub.office import Office
from nodes.hub.reports.figures import DEFAULT_TARGET_WAIT_S, OfficeInfo, Report
from nodes.hub.reports.source import build_report

Format = Literal["html", "xlsx", "pdf", "csv", "json"]
FORMATS: Final[tuple[Format, ...]] = ("html", "xlsx", "pdf", "csv", "json")
#: What the hub archives after closing time (JSON is on demand: `antrian report`).
ARCHIVE_FORMATS: Final[tuple[Format, ...]] = ("html", "xlsx", "pdf", "csv")
MEDIA_TYPES: Final[dict[str, str]] = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def render(report: Report, fmt: str, lang: Lang = "id", generated: datetime | None = None) -> bytes:
    """The report as the bytes of a file in `fmt`; ValueError for an unknown format."""
    if fmt == "html":
        from nodes.hub.reports.html import render_html

        return render_html(report, lang, generated).encode("utf-8")
    if fmt == "xlsx":
        from nodes.hub.reports.xlsx import render_xlsx

        return render_xlsx(report, lang, generated)
    if fmt == "pdf":
        from nodes.hub.reports.pdf import render_pdf

        return render_pdf(report, lang, generated)
    if fmt == "csv":
        from nodes.hub.reports.csv import render_csv_bytes

        return render_csv_bytes(report, lang)
    if fmt == "json":
        from nodes.hub.reports.model_json import render_json

        return render_json(report)
    raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")


def archive_name(day: date, fmt: str) -> str:
    return f"laporan-{day.isoformat()}.{fmt}"


def write_daily_archive(
    db_path: str | Path,
    office: Office | OfficeInfo,
    day: date,
    folder: str | Path,
    *,
    formats: Iterable[str] = ARCHIVE_FORMATS,
    lang: Lang = "id",
    target_wait_s: float = DEFAULT_TARGET_WAIT_S,
    generated: datetime | None = None,
) -> list[Path]:
    """Write the day's report into `folder` as laporan-YYYY-MM-DD.{html,xlsx,pdf,csv};
    returns the paths written. Reads the database read-only; raises OSError/sqlite3.Error
    for the caller to log. Writing the same day again replaces the files."""
    report = build_report(db_path, office, day, day, target_wait_s)
    written = []
    for fmt in formats:
        path = Path(folder) / archive_name(day, fmt)
        write_atomic(path, render(report, fmt, lang, generated))
        written.append(path)
    return written
