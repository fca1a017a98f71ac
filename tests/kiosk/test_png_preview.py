"""The PNG preview: regenerates the pictures committed in docs/img and checks them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw

from nodes.kiosk.escpos_render import load_logo
from nodes.kiosk.png_render import MARGIN, render_image, save_png
from nodes.kiosk.ticket import PAPERS, OfficeInfo, ticket_layout
from tests.kiosk.sample import sample_data

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
        assert 500 < image.height < 1400
        grey = image.convert("L")
    width, height = grey.size
    pixels = grey.tobytes()
    dark = sum(1 for p in pixels if p < 128) / len(pixels)
    assert 0.03 < dark < 0.4, f"{dark:.1%} dark: blank or smeared"
    # The number is the tallest inked band in the top half, and it is centred.
    inked = [any(p < 128 for p in pixels[y * width : (y + 1) * width]) for y in range(height)]
    band, longest, start = 0, 0, 0
    for y in range(height // 2):
        band = band + 1 if inked[y] else 0
        if band > longest:
            longest, start = band, y - band + 1
    # Its digits stand at least a fifth of the paper's width tall (16 mm on 80 mm paper,
    # 10 mm on 58 mm; 4x was 7.5 mm), and it spans most of the line.
    assert longest >= 0.2 * width, f"number {longest} dots tall on a {width}-dot paper"
    columns = [
        x
        for y in range(start, start + longest)
        for x in range(width)
        if pixels[y * width + x] < 128
    ]
    assert abs((min(columns) + max(columns)) / 2 - width / 2) < width * 0.05
    assert max(columns) - min(columns) >= 0.75 * width


def test_logo_is_drawn_above_the_office_name(tmp_path: Path) -> None:
    source = tmp_path / "logo.png"
    picture = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(picture).rectangle((25, 25, 74, 74), fill=0)
    picture.save(source)
    office = replace(OFFICE, logo=load_logo(source, PAPERS[58]))
    at = datetime(2026, 11, 28, 8, 15, tzinfo=WIB)
    layout = ticket_layout(sample_data(), office, at, paper=PAPERS[58])
    with Image.open(save_png(layout, tmp_path / "ticket.png")) as image:
        grey = image.convert("L")
    plain = render_image(ticket_layout(sample_data(), OFFICE, at, paper=PAPERS[58]))
    assert grey.height == plain.height + 100  # the logo's 100 rows, nothing else moved
    # The black square, centred: rows 25-74 of the logo, dots 167-216 of 384.
    assert grey.getpixel((192, MARGIN + 50)) == 0 and grey.getpixel((192, MARGIN + 10)) == 255
    assert grey.getpixel((160, MARGIN + 50)) == 255 and grey.getpixel((170, MARGIN + 50)) == 0
    below = grey.crop((0, MARGIN + 100, 384, grey.height))
    assert below.tobytes() == plain.crop((0, MARGIN, 384, plain.height)).tobytes()
