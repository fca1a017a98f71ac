"""The ESC/POS bytes of a ticket, checked on python-escpos' own `Dummy` printer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from nodes.kiosk.escpos_render import render, ticket_bytes
from nodes.kiosk.ticket import PAPERS, OfficeInfo, sample_data, ticket_layout
from tests.kiosk.devices import CUT, QR_COMMAND, SensorDummy

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 28, 8, 15, tzinfo=WIB)
OFFICE = OfficeInfo(name="Kantor Kecamatan Contoh", base_url="http://hub.local:8080")


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


def test_number_is_printed_at_four_times_the_size() -> None:
    data = ticket_bytes(ticket_layout(sample_data(), OFFICE, NOW, tz=WIB), "TM-T20II")
    # GS ! 0x33: width ×4, height ×4, right before the number.
    assert b"\x1d!\x33\x1bE\x01\x1ba\x01A-012\n" in data


def test_plus_minus_sign_reaches_the_printer_in_its_code_page() -> None:
    data = ticket_bytes(ticket_layout(sample_data(), OFFICE, NOW, tz=WIB), "TM-T20II")
    assert b"tunggu: \xf1 15 menit" in data  # CP437 0xF1 is "±"


def test_58mm_rule_matches_32_columns() -> None:
    layout = ticket_layout(sample_data(), OFFICE, NOW, paper=PAPERS[58], tz=WIB)
    data = ticket_bytes(layout, "RP-F10-58mm")
    assert b"-" * 32 + b"\n" in data and b"-" * 33 not in data
