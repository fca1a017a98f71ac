"""The report as a printable A4 PDF (fpdf2): office header, headline, charts, tables.

Charts are the same SVG as the HTML page, drawn by fpdf2's SVG support. Text uses the
bundled DejaVu Sans (common/fonts), so every character prints, the same on every machine.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from typing import Any, Final

from fpdf import FPDF

from common import fonts
from common.bahasa import Lang, long_datetime
from nodes.hub.reports.charts import report_charts
from nodes.hub.reports.figures import Report
from nodes.hub.reports.html import headline, period_text
from nodes.hub.reports.labels import text
from nodes.hub.reports.summary import key_figures, signature, verdict
from nodes.hub.reports.tables import Table, cell_text, report_tables

# fontTools logs every glyph subset at INFO: dozens of lines per PDF in the hub's journal.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY: Final = "DejaVu"  # the bundled DejaVu Sans, added to each PDF
PAGE_WIDTH_MM: Final = 210.0
MARGIN_MM: Final = 12.0
CONTENT_MM: Final = PAGE_WIDTH_MM - 2 * MARGIN_MM
_SVG_SIZE: Final = re.compile(r'width="(\d+)" height="(\d+)"')
_SVG_TITLE: Final = re.compile(r"<title>.*?</title>", re.DOTALL)


class ReportPDF(FPDF):
    """A4 portrait with the office name and page number in the footer."""

    def __init__(self, office: str, footer: str, lang: Lang) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.office = office
        self.footer_text = footer
        self.report_lang: Lang = lang
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=16)
        # The bundled DejaVu Sans: the same PDF on every machine, and every letter (en dash,
        # middle dot, ticks) printed as it is.
        self.add_font(FAMILY, "", str(fonts.SANS))
        self.add_font(FAMILY, "B", str(fonts.SANS_BOLD))

    def text_line(
        self, words: str, size: float, height: float, style: str = "", **options: Any
    ) -> None:
        """One line of `words` in this PDF's font, then on to the next line."""
        self.set_font(FAMILY, style, size)
        self.cell(0, height, words, new_x="LMARGIN", new_y="NEXT", **options)

    def paragraph(
        self, words: str, size: float, height: float, style: str = "", **options: Any
    ) -> None:
        """`words` wrapped to the page in this PDF's font, then on to the next line."""
        self.set_font(FAMILY, style, size)
        self.multi_cell(0, height, words, new_x="LMARGIN", new_y="NEXT", **options)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(100)
        self.cell(0, 5, f"{self.office} · {self.footer_text}", align="L")
        self.set_x(MARGIN_MM)
        self.cell(0, 5, f"{text('page', self.report_lang)} {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def _chart(pdf: ReportPDF, svg: str) -> None:
    match = _SVG_SIZE.search(svg)
    width, height = (int(match.group(1)), int(match.group(2))) if match else (640, 240)
    h = CONTENT_MM * height / width
    if pdf.get_y() + h > pdf.page_break_trigger:
        pdf.add_page()
    svg = _SVG_TITLE.sub("", svg)  # fpdf2 warns about <title>, which only screen readers need
    pdf.image(io.BytesIO(svg.encode("utf-8")), x=MARGIN_MM, y=pdf.get_y(), w=CONTENT_MM, h=h)
    pdf.set_y(pdf.get_y() + h + 3)


def _widths(pdf: ReportPDF, table: Table, lang: Lang, size: float) -> list[float]:
    """Column widths that never break a heading word, stretched to the page width."""
    pdf.set_font(FAMILY, "B", size)
    widths = [
        max(pdf.get_string_width(word) for word in column.label.split()) + 3.0
        for column in table.columns
    ]
    pdf.set_font(FAMILY, "", size)
    for j, column in enumerate(table.columns):
        values = (cell_text(row[j], column.kind, lang) for row in table.rows)
        widths[j] = max(widths[j], *(pdf.get_string_width(v) + 3.0 for v in values), 10.0)
    spare = (CONTENT_MM - sum(widths)) / len(widths)
    if spare >= 0:
        return [w + spare for w in widths]
    return [w * CONTENT_MM / sum(widths) for w in widths]


def _heading(pdf: ReportPDF, table: Table, widths: list[float], size: float) -> None:
    """The header row: labels wrapped on word boundaries, shaded, all cells one height."""
    line_h = size * 0.3528 * 1.35  # points to mm, with some leading
    pdf.set_font(FAMILY, "B", size)
    labels = [c.label for c in table.columns]
    lines: list[list[str]] = [
        list(pdf.multi_cell(w - 1.6, line_h, label, dry_run=True, output="LINES"))  # type: ignore[arg-type]
        for w, label in zip(widths, labels, strict=True)
    ]
    height = max(len(cell) for cell in lines) * line_h + 1.6
    x, y = pdf.get_x(), pdf.get_y()
    pdf.set_fill_color(238, 243, 247)
    for w, column, cell in zip(widths, table.columns, lines, strict=True):
        pdf.rect(x, y, w, height, style="DF")
        top = y + height - 0.8 - len(cell) * line_h  # labels sit on the row's bottom line
        for k, text_line in enumerate(cell):
            pdf.set_xy(x + 0.8, top + k * line_h)
            align = "L" if column.kind in ("text", "date") else "R"
            pdf.cell(w - 1.6, line_h, text_line, align=align)
        x += w
    pdf.set_xy(MARGIN_MM, y + height)
    pdf.set_font(FAMILY, "", size)


def _table(pdf: ReportPDF, table: Table, lang: Lang) -> None:
    """A table drawn with rectangles and plain text: fpdf2's `table()` and `cell()` lay out
    every cell as a paragraph, several times slower, which a month's report would feel."""
    if pdf.get_y() + 30 > pdf.page_break_trigger:  # keep a title with its first rows
        pdf.add_page()
    pdf.text_line(table.title, 11, 7, "B")
    size = 8 if len(table.columns) <= 9 else 7
    widths = _widths(pdf, table, lang, size)
    right = [c.kind not in ("text", "date") for c in table.columns]
    row_h = size * 0.3528 * 1.7
    baseline = row_h / 2 + size * 0.3528 * 0.35  # text vertically centred in the row
    _heading(pdf, table, widths, size)
    for i, row in enumerate(table.rows):
        if pdf.get_y() + row_h > pdf.page_break_trigger:
            pdf.add_page()
            _heading(pdf, table, widths, size)
        bold = table.key in ("services", "service_times") and i == len(table.rows) - 1
        pdf.set_font(FAMILY, "B" if bold else "", size)
        x, y = MARGIN_MM, pdf.get_y()
        for value, column, w, align_right in zip(row, table.columns, widths, right, strict=True):
            words = cell_text(value, column.kind, lang)
            pdf.rect(x, y, w, row_h)
            left = x + w - 0.8 - pdf.get_string_width(words) if align_right else x + 0.8
            pdf.text(left, y + baseline, words)
            x += w
        pdf.set_xy(MARGIN_MM, y + row_h)
    pdf.ln(4)


GOOD: Final = ((227, 244, 230), (20, 85, 35))  # (fill, text) of a met standard
BAD: Final = ((251, 228, 228), (127, 29, 29))


def _letterhead(pdf: ReportPDF, report: Report, lang: Lang, generated: datetime | None) -> None:
    """Kop surat: the office centred over a double rule, then the report's title and period."""
    pdf.text_line(report.office.name, 16, 8, "B", align="C")
    if report.office.address:
        pdf.text_line(report.office.address, 9, 5, align="C")
    pdf.set_draw_color(31, 95, 139)
    y = pdf.get_y() + 1.5
    pdf.set_line_width(0.9)
    pdf.line(MARGIN_MM, y, PAGE_WIDTH_MM - MARGIN_MM, y)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN_MM, y + 1.4, PAGE_WIDTH_MM - MARGIN_MM, y + 1.4)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0)
    pdf.set_y(y + 4)
    pdf.text_line(text("report_title", lang).upper(), 12, 6, "B", align="C")
    kind = text("daily" if report.single_day else "range", lang)
    pdf.text_line(f"{kind} · {period_text(report, lang)}", 10, 5, align="C")
    if generated:
        stamp = f"{text('generated', lang)}: {long_datetime(generated, lang)}"
        pdf.text_line(stamp, 8, 4, align="C")
    pdf.ln(3)


def _standard(pdf: ReportPDF, report: Report, lang: Lang) -> None:
    """The verdict in a coloured box, then the key figures as a three-column table."""
    judged = verdict(report, lang)
    colours = {True: GOOD, False: BAD, None: ((240, 240, 240), (0, 0, 0))}[judged.met]
    pdf.set_fill_color(*colours[0])
    pdf.set_text_color(*colours[1])
    pdf.paragraph(judged.sentence, 12, 7, "B", border=1, fill=True, padding=2)
    pdf.set_text_color(0)
    pdf.ln(3)
    pdf.text_line(text("standard_heading", lang), 11, 7, "B")
    widths = (CONTENT_MM * 0.5, CONTENT_MM * 0.16, CONTENT_MM * 0.34)
    row_h = 5.6
    pdf.set_fill_color(238, 243, 247)
    pdf.set_font(FAMILY, "B", 9)
    for w, key in zip(widths, ("measure", "value", "remark"), strict=True):
        pdf.cell(w, row_h, text(key, lang), border=1, fill=True)
    pdf.ln(row_h)
    for figure in key_figures(report, lang):
        pdf.set_font(FAMILY, "", 9)
        pdf.cell(widths[0], row_h, figure.label, border=1)
        value = cell_text(figure.value, figure.kind, lang)
        pdf.cell(widths[1], row_h, value, border=1, align="L" if figure.kind == "text" else "R")
        if figure.good is not None:
            pdf.set_font(FAMILY, "B", 9)
            pdf.set_text_color(*(GOOD if figure.good else BAD)[1])
        pdf.cell(widths[2], row_h, figure.remark, border=1)
        pdf.set_text_color(0)
        pdf.ln(row_h)
    pdf.ln(3)


def _skm_section(pdf: ReportPDF, report: Report, tables: list[Table], lang: Lang) -> None:
    """The SKM results as PermenPAN-RB 14/2017 reports them, on a page of their own: the
    IKM with its grade and respondents, then the table of NRR per element, the groups, the
    comments, the counter's quick score and how it was computed."""
    from nodes.hub.reports.skm_tables import word

    total = report.skm.total
    pdf.add_page()
    pdf.text_line(word("heading", lang).upper(), 12, 7, "B", align="C")
    pdf.text_line(word("basis", lang), 9, 5, align="C")
    pdf.ln(2)
    if total.respondents:
        ikm = cell_text(total.ikm, "score", lang)
        line = (
            f"IKM {ikm} · {word('grade', lang)} {total.grade} ({total.grade_words(lang)})"
            f" · {word('respondents', lang)} {total.respondents}"
            f" · {word('sample', lang)} {total.sample_size}"
        )
    else:
        line = word("none", lang)
    pdf.set_fill_color(238, 243, 247)
    pdf.paragraph(line, 12, 7, "B", border=1, fill=True, padding=2)
    pdf.ln(3)
    for table in tables:
        if table.key == "skm_comments":
            _comments(pdf, table)
        else:
            _table(pdf, table, lang)
    pdf.paragraph(word("method", lang), 8, 4)


def _comments(pdf: ReportPDF, table: Table) -> None:
    """The citizens' comments as paragraphs: a comment may run to several lines."""
    pdf.text_line(table.title, 11, 7, "B")
    for at, number, service, counter, comment in table.rows:
        pdf.text_line(f"{at} · {number} · {service} · {counter}", 8, 4.5, "B")
        pdf.paragraph(str(comment), 9, 4.5)
        pdf.ln(1)
    pdf.ln(3)


def _signature(pdf: ReportPDF, report: Report, lang: Lang) -> None:
    """Mengetahui, the head's title, room for a signature and stamp, name and NIP."""
    block = signature(report, lang)
    if pdf.get_y() + 45 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(6)
    left, width = PAGE_WIDTH_MM - MARGIN_MM - 75, 75
    pdf.set_font(FAMILY, "", 10)
    for line in block.lines_above:
        pdf.set_x(left)
        pdf.cell(width, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)  # the signature and the office stamp
    pdf.set_x(left)
    pdf.set_font(FAMILY, "BU", 10)
    pdf.cell(width, 5, block.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.set_x(left)
    pdf.cell(width, 5, block.nip, new_x="LMARGIN", new_y="NEXT")


def render_pdf(report: Report, lang: Lang = "id", generated: datetime | None = None) -> bytes:
    title = text("report_title", lang)
    pdf = ReportPDF(report.office.name, f"{title} · {period_text(report, lang)}", lang)
    pdf.set_title(f"{title} – {report.office.name}")
    pdf.set_author("Antrian")
    pdf.set_creation_date(generated or datetime(2000, 1, 1))  # reproducible bytes by default
    pdf.add_page()
    _letterhead(pdf, report, lang, generated)
    _standard(pdf, report, lang)
    pdf.paragraph(headline(report, lang), 11, 6)
    pdf.paragraph(report.peak_phrase(lang), 11, 6, "B")
    if report.total.issued == 0:
        pdf.paragraph(text("no_tickets", lang), 11, 6)
    pdf.ln(2)
    for svg in report_charts(report, lang, font=FAMILY):
        _chart(pdf, svg)
    tables = report_tables(report, lang)
    for table in tables:
        # The heat map is printed as the chart above; a 13-column grid adds nothing.
        if table.key != "heat_map" and not table.key.startswith("skm_"):
            _table(pdf, table, lang)
    skm_tables = [t for t in tables if t.key.startswith("skm_")]
    if skm_tables:
        _skm_section(pdf, report, skm_tables, lang)
    pdf.paragraph(text("notes", lang), 8, 4)
    _signature(pdf, report, lang)
    return bytes(pdf.output())
