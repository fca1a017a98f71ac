"""Every format, read back with its own reader, carries the same figures as the model."""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from common import fonts
from nodes.hub.reports import pdf as pdf_module
from nodes.hub.reports.figures import Report, compute
from nodes.hub.reports.render import FORMATS, render
from nodes.hub.reports.tables import cell_text, report_tables
from tests.reports.handbuilt import DAY, OFFICE, hand_day
from tests.reports.readers import (
    csv_sections,
    has_colour,
    html_tables,
    ink_share,
    pdf_pages,
    pdf_text,
    xlsx_sheets,
)

GENERATED = datetime(2026, 11, 28, 16, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
BLUE = (0x1F, 0x5F, 0x8B)


@pytest.fixture(scope="module")
def day_report() -> Report:
    return compute(hand_day(), OFFICE, date.fromisoformat(DAY))


@pytest.fixture(scope="module")
def range_report() -> Report:
    rows = hand_day("2026-11-27") + hand_day("2026-11-28")
    return compute(rows, OFFICE, date(2026, 11, 27), date(2026, 11, 28))


def test_html_has_the_charts_and_every_table_cell(day_report: Report) -> None:
    page = render(day_report, "html", "id", GENERATED).decode("utf-8")
    tables, charts = html_tables(page)
    assert charts == ["chart-hour-tickets", "chart-hour-wait", "chart-counter-duration"]
    assert "Jam tersibuk: 08.00–09.00, 7 tiket" in page
    assert "Kantor Kecamatan Contoh" in page and "Sabtu, 28 November 2026" in page
    for table in report_tables(day_report, "id"):
        expected = [
            [cell_text(v, c.kind, "id") for v, c in zip(row, table.columns, strict=True)]
            for row in table.rows
        ]
        assert tables[table.key][0] == [c.label for c in table.columns]
        assert tables[table.key][1:] == expected
    # The figures by hand, as the head of office reads them (decimal comma):
    services_times = tables["service_times"]
    assert services_times[1][:6] == ["A – Kartu Keluarga", "24,0", "10,0", "54,0", "80,0", "80,0"]
    assert services_times[-1][:2] == ["Semua layanan", "23,7"]  # 12780 s / 9 = 23.67 min
    assert tables["counters"][1] == ["Loket 1", "4", "25,0", "10,0", "6,0", "1,0", "0,7", "11,1"]
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")


def test_html_of_a_range_adds_days_and_heat_map(range_report: Report) -> None:
    page = render(range_report, "html", "en").decode("utf-8")
    tables, charts = html_tables(page)
    assert "chart-heat-map" in charts and "chart-day-tickets" in charts
    assert tables["heat_map"][0] == ["Date", "08", "09", "10", "11", "12", "13"]
    assert tables["heat_map"][1:] == [["2026-11-27", "7", "1", "0", "2", "0", "0"],
                                      ["2026-11-28", "7", "1", "0", "2", "0", "0"]]  # fmt: skip
    assert "Busiest hour: 08:00–09:00, 14 tickets" in page


def test_xlsx_keeps_numbers_as_numbers(day_report: Report) -> None:
    sheets = xlsx_sheets(render(day_report, "xlsx", "id", GENERATED))
    assert list(sheets) == [
        "Ringkasan",
        "Per layanan",
        "Per layanan – waktu",
        "Per loket",
        "Per jam",
    ]
    assert sheets["Ringkasan"][0][0] == "Kantor Kecamatan Contoh"
    assert ("Jam tersibuk: 08.00–09.00, 7 tiket",) in [row[:1] for row in sheets["Ringkasan"]]
    services = sheets["Per layanan"]
    assert services[1] == ("A – Kartu Keluarga", 5, 4, 0, 0, 0, 1, 0, 0)
    assert services[4] == ("Semua layanan", 10, 6, 2, 1, 1, 1, 1, 0)
    times = sheets["Per layanan – waktu"]
    a = day_report.services[0]
    assert times[1] == (
        "A – Kartu Keluarga", 1440 / 60, 600 / 60, a.wait.p90_s / 60, 4800 / 60,  # type: ignore[operator]
        80.0, 1500 / 60, 600 / 60,
    )  # fmt: skip
    counters = sheets["Per loket"]
    assert counters[1] == ("Loket 1", 4, 25.0, 10.0, 6.0, 1.0, 2400 / 3600, 2400 / 21600 * 100)
    hours = sheets["Per jam"]
    assert hours[1] == ("08.00–09.00", 7, 2, 816 / 60)
    assert hours[3] == ("10.00–11.00", 0, 0, None)
    for row in [*services[1:], *times[1:], *counters[1:]]:
        assert all(isinstance(v, int | float) for v in row[1:] if v is not None)


def test_xlsx_of_a_range_has_a_sheet_per_table(range_report: Report) -> None:
    sheets = xlsx_sheets(render(range_report, "xlsx", "en"))
    assert list(sheets)[-2:] == ["Per day", "Heat map (tickets per hour)"]
    day_row = sheets["Per day"][1]
    assert day_row[0] == datetime(2026, 11, 27)  # a real date cell
    assert day_row[1:7] == (10, 6, 2, 1, 1, 1)


def test_csv_sections_carry_the_same_figures(day_report: Report) -> None:
    sections = csv_sections(render(day_report, "csv", "id"))
    assert list(sections) == ["Per layanan", "Per layanan – waktu", "Per loket", "Per jam"]
    assert sections["Per layanan"][1] == [
        "A – Kartu Keluarga",
        "5",
        "4",
        "0",
        "0",
        "0",
        "1",
        "0",
        "0",
    ]
    assert sections["Per layanan – waktu"][1] == [
        "A – Kartu Keluarga", "24.0", "10.0", "54.0", "80.0", "80.0", "25.0", "10.0",
    ]  # fmt: skip
    assert sections["Per loket"][1] == [
        "Loket 1",
        "4",
        "25.0",
        "10.0",
        "6.0",
        "1.0",
        "0.67",
        "11.11",
    ]
    assert sections["Per jam"][3] == ["10.00–11.00", "0", "0", ""]


def test_pdf_is_a_printable_page_with_charts_and_figures(
    day_report: Report, tmp_path: Path
) -> None:
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(day_report, "pdf", "id", GENERATED))
    pages = pdf_pages(path, tmp_path)
    assert len(pages) >= 2
    width, height = pages[0].size
    assert abs(height / width - 297 / 210) < 0.01  # A4 portrait
    assert ink_share(pages[0]) > 0.03  # not blank
    assert has_colour(pages[0], BLUE)  # the bars of the first chart
    words = pdf_text(path)
    assert "Kantor Kecamatan Contoh" in words
    assert "Jam tersibuk: 08.00–09.00, 7 tiket" in words  # the en dash, as on the page
    assert "10 tiket diambil, 6 selesai dilayani; rata-rata tunggu 23,7 menit." in words
    for figure in ("24,0", "54,0", "80,0", "11,1", "Loket 3", "Semua layanan"):
        assert figure in words


def test_pdf_uses_the_bundled_font_whatever_the_system_has(
    day_report: Report, tmp_path: Path
) -> None:
    """The same PDF on a Pi without fonts-dejavu-core as on this machine: only the two
    bundled DejaVu Sans files are embedded (subset), nothing taken from the system."""
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(day_report, "pdf", "en"))
    listing = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    names = sorted({line.split()[0].split("+", 1)[-1] for line in listing})
    assert names == ["DejaVuSansBold", "DejaVuSansBook"]
    assert all(" yes " in line for line in listing)  # embedded
    loaded = pdf_module.ReportPDF("K", "f", "en").fonts.values()
    files = {getattr(font, "ttffile", None) for font in loaded}  # None: a built-in font
    assert files == {fonts.SANS, fonts.SANS_BOLD}
    assert "Busiest hour: 08:00–09:00, 7 tickets" in pdf_text(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_day_renders_in_every_format(fmt: str, tmp_path: Path) -> None:
    report = compute([], OFFICE, date(2026, 11, 29))
    content = render(report, fmt, "id")
    if fmt == "html":
        page = content.decode("utf-8")
        assert "Belum ada tiket pada periode ini." in page
        assert html_tables(page)[1] == []  # no empty charts
    elif fmt == "xlsx":
        assert xlsx_sheets(content)["Per layanan"][4] == ("Semua layanan", 0, 0, 0, 0, 0, 0, 0, 0)
    elif fmt == "csv":
        assert csv_sections(content)["Per jam"] == [
            ["Jam", "Tiket diambil", "Selesai dilayani", "Rata-rata tunggu (menit)"]
        ]
    elif fmt == "json":
        model = json.loads(content)
        assert model["total"]["issued"] == 0 and model["hours"] == []
        assert model["skm"]["respondents"] == 0 and model["skm"]["ikm"] is None
    else:
        path = tmp_path / "kosong.pdf"
        path.write_bytes(content)
        assert "Belum ada tiket" in pdf_text(path)


def test_unknown_format_is_refused(day_report: Report) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(day_report, "docx")


def test_every_label_exists_in_both_languages() -> None:
    from nodes.hub.reports.labels import CATALOGUE, number

    assert set(CATALOGUE) == {"id", "en"} and set(CATALOGUE["en"]) == set(CATALOGUE["id"])
    for lang, words in CATALOGUE.items():
        assert all(words.values()), lang
    assert (number(1234.5), number(1234.5, "en"), number(None), number(7)) == (
        "1.234,5", "1,234.5", "-", "7",
    )  # fmt: skip


def test_small_values_get_distinct_axis_labels() -> None:
    import re

    from nodes.hub.reports.charts import Series, bar_chart

    svg = bar_chart("t", "Rata-rata tunggu", ["08", "09"], [Series("menit", (0.02, 0.05), "#000")])
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg)
    assert len(labels) == len(set(labels)) > 2


HEADED = replace(
    OFFICE,
    address="Jl. Merdeka No. 1",
    head_title="Camat Contoh",
    head_name="Drs. Budi Santoso",
    head_nip="19700101 199503 1 001",
)


def test_page_one_of_the_pdf_says_whether_the_standard_was_met(
    day_report: Report, tmp_path: Path
) -> None:
    """The head of office's question first: 6 of 9 called within 15 minutes is 66,7 %,
    below the 80 % standard, and an average of 23,7 minutes is over the target."""
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(day_report, "pdf", "id", GENERATED))
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    flat = " ".join(first_page.split())
    assert "✘ BELUM MEMENUHI STANDAR: hanya 66,7 % warga dipanggil dalam 15 menit" in flat
    assert flat.index("BELUM MEMENUHI STANDAR") < flat.index("Tiket per jam")  # before charts
    assert "Dipanggil dalam 15 menit (%) 66,7 ✘ belum memenuhi standar" in flat
    assert "Rata-rata tunggu (menit) 23,7 ✘ melebihi target" in flat
    for jargon in ("Utilisasi", "P90", "Alihan", "Tunggu >"):
        assert jargon not in pdf_text(path)


def test_a_good_day_is_marked_met(tmp_path: Path) -> None:
    """With a 90-minute target every wait of the hand-built day is within it."""
    report = compute(hand_day(), OFFICE, date.fromisoformat(DAY), target_wait_s=90 * 60)
    page = render(report, "html", "id").decode("utf-8")
    assert '<p class="verdict good" role="status">✔ MEMENUHI STANDAR: 100,0 %' in page
    tables, _ = html_tables(page)
    assert tables["key_figures"][1] == ["Dipanggil dalam 90 menit (%)", "100,0",
                                        "✔ memenuhi standar"]  # fmt: skip
    assert ["Rata-rata tunggu (menit)", "23,7", "✔ dalam target"] in tables["key_figures"]


def test_letterhead_and_signature_in_every_printed_format(tmp_path: Path) -> None:
    report = compute(hand_day(), HEADED, date.fromisoformat(DAY))
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(report, "pdf", "id", GENERATED))
    words = pdf_text(path)
    head = words.split("LAPORAN PELAYANAN ANTRIAN")[0]
    assert "Kantor Kecamatan Contoh" in head and "Jl. Merdeka No. 1" in head
    tail = " ".join(words.split("Mengetahui,")[-1].split())
    assert tail.startswith("Camat Contoh Drs. Budi Santoso NIP 19700101 199503 1 001")
    page = render(report, "html", "id").decode("utf-8")
    assert '<p class="name">Drs. Budi Santoso</p><p>NIP 19700101 199503 1 001</p>' in page
    summary = xlsx_sheets(render(report, "xlsx", "id"))["Ringkasan"]
    column_c = [row[2] for row in summary if row[2]]
    assert column_c[-4:] == ["Mengetahui,", "Camat Contoh", "Drs. Budi Santoso",
                             "NIP 19700101 199503 1 001"]  # fmt: skip


def test_xlsx_summary_has_numeric_key_figures(day_report: Report) -> None:
    content = render(day_report, "xlsx", "id", GENERATED)
    sheet = load_workbook(io.BytesIO(content))["Ringkasan"]
    rows = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    within = rows["Dipanggil dalam 15 menit (%)"]
    assert within[1].value == pytest.approx(600 / 9)  # 6 of 9 called within 15 minutes
    assert within[1].number_format == "0.0" and within[2].value == "✘ belum memenuhi standar"
    assert rows["Rata-rata tunggu (menit)"][1].value == pytest.approx(12780 / 9 / 60)
    assert rows["Target waktu tunggu (menit)"][1].value == 15
    assert rows["Tiket diambil"][1].value == 10 and rows["Selesai dilayani"][1].value == 6
    assert rows["Ukuran"][1].value == "Nilai"  # the table's header row
