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
from openpyxl.worksheet.worksheet import Worksheet

from common.bahasa import Lang, long_datetime
from nodes.hub.reports.figures import Report
from nodes.hub.reports.html import headline, period_text
from nodes.hub.reports.labels import text
from nodes.hub.reports.summary import key_figures, signature, verdict
from nodes.hub.reports.tables import report_tables

FORMATS: Final = {
    "int": "0",
    "minutes": "0.0",
    "hours": "0.0",
    "percent": "0.0",
    "score": "0.00",
    "weight": "0.000",
    "date": "dd-mm-yyyy",
    "text": "@",
}
_BAD_SHEET_CHARS: Final = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\ ."""
    return _BAD_SHEET_CHARS.sub("-", title)[:31]


HEAD_FILL: Final = PatternFill("solid", fgColor="EEF3F7")
GOOD_FILL: Final = PatternFill("solid", fgColor="E3F4E6")
BAD_FILL: Final = PatternFill("solid", fgColor="FBE4E4")


def _summary(sheet: Worksheet, report: Report, lang: Lang, generated: datetime | None) -> None:
    """The first sheet: letterhead lines, the verdict, then the key figures as a table with
    a label column (A), a number column (B) a formula can use, and a remark column (C)."""
    heading = [(report.office.name, Font(bold=True, size=14))]
    if report.office.address:
        heading.append((report.office.address, Font(size=10)))
    heading += [
        (text("report_title", lang).upper(), Font(bold=True)),
        (f"{text('daily' if report.single_day else 'range', lang)} · {period_text(report, lang)}",
         Font()),
    ]  # fmt: skip
    if generated:
        heading.append((f"{text('generated', lang)}: {long_datetime(generated, lang)}", Font()))
    row = 1
    for line, font in heading:
        sheet.cell(row=row, column=1, value=line).font = font
        row += 1
    judged = verdict(report, lang)
    cell = sheet.cell(row=row + 1, column=1, value=judged.sentence)
    cell.font = Font(bold=True, size=12)
    if judged.met is not None:
        cell.fill = GOOD_FILL if judged.met else BAD_FILL
    row += 3
    for j, key in enumerate(("measure", "value", "remark"), start=1):
        head = sheet.cell(row=row, column=j, value=text(key, lang))
        head.font = Font(bold=True)
        head.fill = HEAD_FILL
    for figure in key_figures(report, lang):
        row += 1
        sheet.cell(row=row, column=1, value=figure.label)
        value = sheet.cell(row=row, column=2, value=figure.value)
        value.number_format = FORMATS[figure.kind]
        remark = sheet.cell(row=row, column=3, value=figure.remark or None)
        if figure.good is not None:
            remark.font = Font(bold=True)
            remark.fill = GOOD_FILL if figure.good else BAD_FILL
    row += 2
    for line in (headline(report, lang), report.peak_phrase(lang), text("notes", lang)):
        sheet.cell(row=row, column=1, value=line)
        row += 1
    block = signature(report, lang)
    row += 1
    for line in block.lines_above:
        sheet.cell(row=row, column=3, value=line)
        row += 1
    row += 3  # room to sign
    sheet.cell(row=row, column=3, value=block.name).font = Font(bold=True, underline="single")
    sheet.cell(row=row + 1, column=3, value=block.nip)
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 34


def render_xlsx(report: Report, lang: Lang = "id", generated: datetime | None = None) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new Workbook always has one sheet
    summary.title = sheet_name(text("summary", lang))
    _summary(summary, report, lang, generated)

    for table in report_tables(report, lang):
        sheet = workbook.create_sheet(sheet_name(table.title))
        for j, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=1, column=j, value=column.label)
            cell.font = Font(bold=True)
            cell.fill = HEAD_FILL
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
