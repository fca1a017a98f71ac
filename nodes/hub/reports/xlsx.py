"""The report as an Excel workbook (openpyxl): a summary sheet, then a sheet per table.

Numbers stay numbers (minutes, hours and percents as decimals with a display format), so an
officer can sum, chart or check them with a formula: the median and P90 follow Excel's
PERCENTILE.INC.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from common.bahasa import Lang, long_datetime
from nodes.hub.reports.figures import Report
from nodes.hub.reports.html import headline, period_text
from nodes.hub.reports.labels import text
from nodes.hub.reports.tables import report_tables

FORMATS: Final = {
    "int": "0",
    "minutes": "0.0",
    "hours": "0.0",
    "percent": "0.0",
    "date": "dd-mm-yyyy",
    "text": "@",
}
_BAD_SHEET_CHARS: Final = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\ ."""
    return _BAD_SHEET_CHARS.sub("-", title)[:31]


def render_xlsx(report: Report, lang: Lang = "id", generated: datetime | None = None) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new Workbook always has one sheet
    summary.title = sheet_name(text("summary", lang))
    lines = [
        (report.office.name, True),
        (text("report_title", lang), True),
        (period_text(report, lang), False),
        (headline(report, lang), False),
        (report.peak_phrase(lang), False),
        (text("notes", lang), False),
    ]
    if generated:
        lines.append((f"{text('generated', lang)}: {long_datetime(generated, lang)}", False))
    for i, (line, bold) in enumerate(lines, start=1):
        summary.cell(row=i, column=1, value=line).font = Font(bold=bold, size=14 if i == 1 else 11)
    summary.column_dimensions["A"].width = 100

    header_fill = PatternFill("solid", fgColor="EEF3F7")
    for table in report_tables(report, lang):
        sheet = workbook.create_sheet(sheet_name(table.title))
        for j, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=1, column=j, value=column.label)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            width = max(10, min(40, len(column.label) + 2))
            if column.kind == "text":
                width = max(width, *(len(str(row[j - 1] or "")) + 2 for row in table.rows), 12)
            sheet.column_dimensions[get_column_letter(j)].width = min(width, 40)
        for i, row in enumerate(table.rows, start=2):
            for j, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
                cell = sheet.cell(row=i, column=j, value=value)
                cell.number_format = FORMATS[column.kind]
        sheet.freeze_panes = "B2"
    workbook.properties.creator = "Antrian"
    workbook.properties.title = f"{text('report_title', lang)} – {report.office.name}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
