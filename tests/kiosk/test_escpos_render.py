"""The ESC/POS bytes of a ticket, checked on python-escpos' own `Dummy` printer."""

from __future__ import annotations

import os
import pickle
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw

from nodes.kiosk.escpos_render import LOGO_MAX_DOTS, load_logo, render, ticket_bytes
from nodes.kiosk.ticket import PAPERS, OfficeInfo, ticket_layout
from tests.harness import ROOT
from tests.kiosk.devices import CUT, QR_COMMAND, SensorDummy
from tests.kiosk.sample import sample_data

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 28, 8, 15, tzinfo=WIB)
OFFICE = OfficeInfo(name="Kantor Kecamatan Contoh", base_url="http://hub.local:8080")
RASTER = b"\x1dv0"  # GS v 0: a raster bit image


def test_ticket_bytes_hold_number_service_qr_and_cut() -> None:
    dummy = SensorDummy()
    render(ticket_layout(sample_data(), OFFICE, NOW, tz=WIB), dummy)
    data = bytes(dummy.output)
    assert data.startswith(b"\x1b@")  # ESC @: a clean printer state for every ticket
    assert b"A-012" in data
    assert b"Kartu Keluarga" in data
    assert b"Kantor Kecamatan Contoh" in data
    # The native QR command: store the URL (fn 80 = "P") then print it (fn 81 = "Q").
    url = b"http://hub.local:8080/t/20261128-A-012"
    assert QR_COMMAND + bytes([len(url) + 3, 0]) + b"1P0" + url in data
    assert QR_COMMAND + b"\x03\x001Q0" in data
    assert data.count(CUT) == 1 and data.rindex(CUT) > data.index(QR_COMMAND)


def test_number_is_printed_eight_times_the_size_and_the_office_twice() -> None:
    data = ticket_bytes(ticket_layout(sample_data(), OFFICE, NOW, tz=WIB), "TM-T20II")
    # GS ! 0x77: width ×8, height ×8 (the most ESC/POS has), right before the number.
    assert b"\x1d!\x77\x1bE\x01\x1ba\x01A-012\n" in data
    # GS ! 0x11: width ×2, height ×2, bold, before the office's name.
    assert re.search(rb"\x1d!\x11\x1bE\x01\x1ba\x01(\x1bt.)?Kantor Kecamatan Contoh\n", data)


def test_number_on_58mm_paper_is_six_times_the_size() -> None:
    layout = ticket_layout(sample_data(), OFFICE, NOW, paper=PAPERS[58], tz=WIB)
    assert b"\x1d!\x55\x1bE\x01\x1ba\x01A-012\n" in ticket_bytes(layout, "RP-F10-58mm")


def test_footer_asks_to_wait_and_says_valid_today_only() -> None:
    data = ticket_bytes(ticket_layout(sample_data(), OFFICE, NOW, tz=WIB), "TM-T20II")
    assert b"Silakan menunggu nomor Anda dipanggil.\n" in data
    assert b"Berlaku hari ini saja: 28 November 2026\n" in data
    assert b"Terima kasih" not in data
    assert data.index(b"Berlaku") < data.rindex(CUT)


def test_logo_is_one_raster_image_above_the_office_name(tmp_path: Path) -> None:
    source = tmp_path / "logo.png"
    picture = Image.new("RGBA", (800, 400), (0, 0, 0, 0))  # transparent: paper
    ImageDraw.Draw(picture).ellipse((200, 0, 600, 400), fill=(0, 0, 0, 255))
    picture.save(source)
    logo = load_logo(source, PAPERS[80])
    assert logo.size == (576, LOGO_MAX_DOTS) and logo.mode == "1"
    office = replace(OFFICE, logo=logo)
    data = ticket_bytes(ticket_layout(sample_data(), office, NOW, tz=WIB), "TM-T20II")
    # GS v 0, normal density, 72 bytes (576 dots) wide, 200 rows, then the rows themselves.
    header = RASTER + b"\x00" + (72).to_bytes(2, "little") + LOGO_MAX_DOTS.to_bytes(2, "little")
    assert data.count(RASTER) == 1
    start = data.index(header) + len(header)
    rows = data[start : start + 72 * LOGO_MAX_DOTS]
    assert rows[:9] == bytes(9) and rows[36] == 0xFF  # white margin, black disc middle
    assert data.index(header) < data.index(b"Kantor Kecamatan Contoh")
    assert RASTER not in ticket_bytes(ticket_layout(sample_data(), OFFICE, NOW), "TM-T20II")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda path: None, "not found"),
        (lambda path: path.write_text("not a picture"), "not a picture"),
        (lambda path: Image.new("L", (50, 50), 255).save(path, "PNG"), "blank"),
    ],
)
def test_a_bad_logo_says_what_is_wrong(
    tmp_path: Path, make: Callable[[Path], object], problem: str
) -> None:
    path = tmp_path / "logo.png"
    make(path)
    with pytest.raises(ValueError, match=problem):
        load_logo(path, PAPERS[58])


def test_plus_minus_sign_reaches_the_printer_in_its_code_page() -> None:
    data = ticket_bytes(ticket_layout(sample_data(), OFFICE, NOW, tz=WIB), "TM-T20II")
    assert b"tunggu: \xf1 15 menit" in data  # CP437 0xF1 is "±"


def test_58mm_rule_matches_32_columns() -> None:
    layout = ticket_layout(sample_data(), OFFICE, NOW, paper=PAPERS[58], tz=WIB)
    data = ticket_bytes(layout, "RP-F10-58mm")
    assert b"-" * 32 + b"\n" in data and b"-" * 33 not in data


def _read_printer_in_a_new_process(folder: Path) -> subprocess.Popen[str]:
    """A kiosk's start: `read_printer` imports escpos (with `folder` as its cache)."""
    code = (
        "from common.config import Table\n"
        "from nodes.kiosk.printer import read_printer\n"
        "table = Table({'printer': {'type': 'file', 'path': 'unused'}}, 'kiosk.toml')\n"
        "print(read_printer(table).profile)\n"
    )
    env = dict(os.environ, ESCPOS_CAPABILITIES_PICKLE_DIR=str(folder))
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_a_cut_short_escpos_cache_and_kiosks_starting_together_are_no_fault(
    tmp_path: Path,
) -> None:
    """python-escpos writes its capabilities pickle in place on first import: a pickle cut
    short (a crash while it wrote) made every later start fail with EOFError, and so did
    a second kiosk importing while the first wrote it (scripts/office.sh starts two)."""
    cached = tmp_path / f"{platform.python_version()}.capabilities.pickle"
    cached.write_bytes(b"\x80\x04\x95")  # the first bytes of a pickle, and nothing more
    starts = [_read_printer_in_a_new_process(tmp_path) for _ in range(4)]
    for start in starts:
        out, err = start.communicate(timeout=60)
        assert start.returncode == 0, err
        assert out.strip() == "TM-T20II"
    with cached.open("rb") as file:
        assert "TM-T20II" in pickle.load(file)["profiles"]  # made again, whole
