"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no assets.

`render_html` gives the whole page (the archive and `antrian report --format html`);
`report_body` gives only the content, for the web front end to place in its own layout.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from common.bahasa import Lang, long_date, long_datetime
from nodes.hub.reports.charts import report_charts
from nodes.hub.reports.figures import Report
from nodes.hub.reports.labels import number, text
from nodes.hub.reports.summary import key_figures, signature, verdict
from nodes.hub.reports.tables import Table, cell_text, report_tables

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #222; margin: 2em auto;
       max-width: 60em; padding: 0 1em; }
header { margin-bottom: 1em; text-align: center; }
header .letterhead { border-bottom: 3px double #1f5f8b; padding-bottom: .4em; }
header h1 { margin: 0; font-size: 1.5em; } header p { margin: .2em 0; color: #444; }
.verdict { font-size: 1.25em; font-weight: bold; padding: .5em .8em; border-radius: 4px;
           border: 2px solid #666; }
.verdict.good { background: #e3f4e6; border-color: #1e7b34; color: #145523; }
.verdict.bad { background: #fbe4e4; border-color: #b3261e; color: #7f1d1d; }
td.good { color: #145523; font-weight: bold; } td.bad { color: #7f1d1d; font-weight: bold; }
.signature { margin: 3em 0 1em auto; width: 20em; text-align: left; }
.signature p { margin: .1em 0; } .signature .name { margin-top: 4em; font-weight: bold;
           text-decoration: underline; }
.headline { font-size: 1.15em; } .peak { font-size: 1.15em; font-weight: bold; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; } td { white-space: nowrap; }
section { overflow-x: auto; }
th { background: #eef3f7; text-align: left; } td.num { text-align: right; }
tr.total td { font-weight: bold; } svg.chart { display: block; margin: 1em 0; max-width: 100%; }
.notes { color: #555; font-size: .85em; }
"""


def period_text(report: Report, lang: Lang) -> str:
    """ "Sabtu, 28 November 2026" or "Senin, 2 November 2026 – Senin, 30 November 2026"."""
    if report.single_day:
        return long_date(report.first_day, lang)
    return f"{long_date(report.first_day, lang)} – {long_date(report.last_day, lang)}"


def headline(report: Report, lang: Lang) -> str:
    wait = report.total.wait.average_s
    return text(
        "headline",
        lang,
        issued=number(report.total.issued, lang),
        served=number(report.total.served, lang),
        wait=number(None if wait is None else wait / 60, lang),
    )


def _table_html(table: Table, lang: Lang) -> str:
    head = "".join(f"<th>{escape(c.label)}</th>" for c in table.columns)
    rows = []
    for i, row in enumerate(table.rows):
        total = table.key in ("services", "service_times") and i == len(table.rows) - 1
        cells = "".join(
            f'<td class="num">{escape(cell_text(v, c.kind, lang))}</td>'
            if c.kind not in ("text", "date")
            else f"<td>{escape(cell_text(v, c.kind, lang))}</td>"
            for v, c in zip(row, table.columns, strict=True)
        )
        rows.append(f'<tr class="total">{cells}</tr>' if total else f"<tr>{cells}</tr>")
    # A wide table scrolls inside its section; tabindex lets a keyboard scroll it too.
    return (
        f'<section id="table-{table.key}" tabindex="0" aria-labelledby="title-{table.key}">'
        f'<h2 id="title-{table.key}">{escape(table.title)}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def standard_html(report: Report, lang: Lang) -> str:
    """Page 1's answer: the verdict against the standard, then the key figures."""
    judged = verdict(report, lang)
    mark = {True: " good", False: " bad", None: ""}[judged.met]
    rows = []
    for figure in key_figures(report, lang):
        value = escape(cell_text(figure.value, figure.kind, lang))
        css = {True: ' class="good"', False: ' class="bad"', None: ""}[figure.good]
        num = "" if figure.kind == "text" else ' class="num"'
        rows.append(
            f"<tr><td>{escape(figure.label)}</td><td{num}>{value}</td>"
            f"<td{css}>{escape(figure.remark)}</td></tr>"
        )
    return (
        f'<p class="verdict{mark}" role="status">{escape(judged.sentence)}</p>'
        f'<section id="table-key_figures" tabindex="0" aria-labelledby="title-key_figures">'
        f'<h2 id="title-key_figures">{escape(text("standard_heading", lang))}</h2>'
        f"<table><thead><tr><th>{escape(text('measure', lang))}</th>"
        f"<th>{escape(text('value', lang))}</th><th>{escape(text('remark', lang))}</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def signature_html(report: Report, lang: Lang) -> str:
    block = signature(report, lang)
    above = "".join(f"<p>{escape(line)}</p>" for line in block.lines_above)
    return (
        f'<div class="signature">{above}<p class="name">{escape(block.name)}</p>'
        f"<p>{escape(block.nip)}</p></div>"
    )


def report_body(report: Report, lang: Lang = "id") -> str:
    """The report's content (headline, charts, tables, notes) without page or header."""
    parts = [standard_html(report, lang)]
    parts.append(f'<p class="headline">{escape(headline(report, lang))}</p>')
    parts.append(f'<p class="peak">{escape(report.peak_phrase(lang))}</p>')
    if report.total.issued == 0:
        parts.append(f'<p class="empty">{escape(text("no_tickets", lang))}</p>')
    parts.extend(report_charts(report, lang))
    parts.extend(_table_html(table, lang) for table in report_tables(report, lang))
    parts.append(f'<p class="notes">{escape(text("notes", lang))}</p>')
    return "\n".join(parts)


def render_html(report: Report, lang: Lang = "id", generated: datetime | None = None) -> str:
    """A complete page with the office header; `generated` is printed when given."""
    kind = text("daily" if report.single_day else "range", lang)
    title = f"{text('report_title', lang)} – {report.office.name}"
    stamp = (
        f"<p>{escape(text('generated', lang))}: {escape(long_datetime(generated, lang))}</p>"
        if generated
        else ""
    )
    address = f"<p>{escape(report.office.address)}</p>" if report.office.address else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<header><div class="letterhead"><h1>{escape(report.office.name)}</h1>{address}</div>'
        f"<p><strong>{escape(text('report_title', lang).upper())}</strong></p>"
        f"<p>{escape(kind)} · {escape(period_text(report, lang))}</p>{stamp}</header>\n"
        f"<main>\n{report_body(report, lang)}\n{signature_html(report, lang)}\n</main>"
        "</body></html>\n"
    )
