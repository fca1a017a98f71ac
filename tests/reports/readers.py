"""Each format read back with its own reader, into plain rows the tests compare."""

from __future__ import annotations

import csv
import io
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image


class _Tables(HTMLParser):
    """Every <section id="table-KEY"> table of the report page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svg_ids: list[str] = []
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section" and (values.get("id") or "").startswith("table-"):
            self._key = (values["id"] or "")[len("table-") :]
            self.tables[self._key] = []
        elif tag == "svg" and values.get("class") == "chart":
            self.svg_ids.append(values.get("id") or "")
        elif tag == "tr" and self._key:
            self.tables[self._key].append([])
        elif tag in ("td", "th") and self._key:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._key and self._cell is not None:
            self.tables[self._key][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "section":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(page: str) -> tuple[dict[str, list[list[str]]], list[str]]:
    """(tables by key, header row first; the ids of the SVG charts)."""
    parser = _Tables()
    parser.feed(page)
    return parser.tables, parser.svg_ids


def xlsx_sheets(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def csv_sections(content: bytes) -> dict[str, list[list[str]]]:
    """Sections by title: the header row and the data rows."""
    text = content.decode("utf-8-sig")
    sections: dict[str, list[list[str]]] = {}
    title: str | None = None
    for row in list(csv.reader(io.StringIO(text)))[2:]:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            sections[title] = []
        else:
            sections[title].append(row)
    return sections


def pdf_pages(path: Path, folder: Path) -> list[Image.Image]:
    """The PDF's pages as 50 dpi images, by poppler's pdftoppm."""
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(folder / "page")], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(folder.glob("page-*.png"))]


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def ink_share(image: Image.Image) -> float:
    """The share of pixels that are not (near) white."""
    gray = image.convert("L")
    histogram = gray.histogram()
    return sum(histogram[:200]) / (gray.width * gray.height)


def has_colour(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    """True when some pixels are close to `rgb` (a chart's bars)."""
    data = image.convert("RGB").tobytes()
    return any(
        all(abs(data[i + k] - rgb[k]) <= tolerance for k in range(3))
        for i in range(0, len(data), 3 * 7)  # every 7th pixel: bars are wide
    )
