"""The PNG preview: regenerates the pictures committed in docs/img and checks them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from nodes.kiosk.png_render import save_png
from nodes.kiosk.ticket import PAPERS, OfficeInfo, sample_data, ticket_layout

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
WIB = ZoneInfo("Asia/Jakarta")
OFFICE = OfficeInfo(
    name="Kantor Kecamatan Contoh",
    address="Jl. Merdeka No. 1, Kota Contoh",
    base_url="http://hub.local:8080",
)


@pytest.mark.parametrize("mm", [80, 58])
def test_sample_ticket_preview(mm: int) -> None:
    layout = ticket_layout(
        sample_data(), OFFICE, datetime(2026, 11, 28, 8, 15, tzinfo=WIB), paper=PAPERS[mm], tz=WIB
    )
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    path = save_png(layout, DOCS_IMG / f"ticket-{mm}mm.png")
    with Image.open(path) as image:
        assert image.width == PAPERS[mm].dots  # one pixel per printer dot
        assert 500 < image.height < 1200
        grey = image.convert("L")
    width, height = grey.size
    pixels = grey.tobytes()
    dark = sum(1 for p in pixels if p < 128) / len(pixels)
    assert 0.03 < dark < 0.4, f"{dark:.1%} dark: blank or smeared"
    # The number is the only band in the top half at least 60 rows tall (4x the 24-dot
    # text line), and it is centred.
    inked = [any(p < 128 for p in pixels[y * width : (y + 1) * width]) for y in range(height)]
    band, longest, start = 0, 0, 0
    for y in range(height // 2):
        band = band + 1 if inked[y] else 0
        if band > longest:
            longest, start = band, y - band + 1
    assert longest >= 60, "no big number in the top half"
    columns = [
        x
        for y in range(start, start + longest)
        for x in range(width)
        if pixels[y * width + x] < 128
    ]
    assert abs((min(columns) + max(columns)) / 2 - width / 2) < width * 0.05
