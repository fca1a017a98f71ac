"""The report as CSV: every table one after the other in one file, for spreadsheets.

Each section starts with a line holding the table's title, then its header row and its
rows, then an empty line. Numbers are plain machine numbers (a decimal point, at most two
decimals, no thousands separator) in the unit the column names; dates are ISO. The file is
UTF-8 with a byte-order mark so that Excel shows Indonesian text correctly.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from common.bahasa import Lang
from nodes.hub.reports.figures import Report
from nodes.hub.reports.tables import Cell, report_tables


def _csv_cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


def render_csv(report: Report, lang: Lang = "id") -> str:
    """The CSV text (without the byte-order mark; `write_csv` adds it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([report.office.name, report.first_day.isoformat(), report.last_day.isoformat()])
    writer.writerow([])
    for table in report_tables(report, lang):
        writer.writerow([table.title])
        writer.writerow([column.label for column in table.columns])
        writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
        writer.writerow([])
    return out.getvalue()


def render_csv_bytes(report: Report, lang: Lang = "id") -> bytes:
    return render_csv(report, lang).encode("utf-8-sig")
