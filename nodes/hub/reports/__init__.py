"""Daily and period reports for the head of office, from the hub's event log.

    report = build_report(db_path, office, date(2026, 11, 28))   # figures (source.py)
    pdf = render(report, "pdf", lang="id")                         # bytes (render.py)
    write_daily_archive(db_path, office, day, folder)              # what the hub calls

figures.py computes (pure), tables.py/charts.py shape, html/xlsx/pdf/csv.py render,
cli.py is `antrian report`. Definitions: docs/reports.md.
"""

from nodes.hub.reports.figures import OfficeInfo, Report, compute
from nodes.hub.reports.render import FORMATS, MEDIA_TYPES, render, write_daily_archive
from nodes.hub.reports.source import build_report, office_info

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "OfficeInfo",
    "Report",
    "build_report",
    "compute",
    "office_info",
    "render",
    "write_daily_archive",
]
