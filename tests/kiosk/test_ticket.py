"""The ticket layout model: pure, from the hub's ticket data, office details and a clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nodes.kiosk.ticket import (
    PAPERS,
    Line,
    OfficeInfo,
    QrCode,
    status_url,
    ticket_layout,
)
from tests.kiosk.sample import sample_data

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=WIB)
OFFICE = OfficeInfo(
    name="Kantor Kecamatan Contoh",
    address="Jl. Merdeka No. 1, Kota Contoh",
    base_url="http://hub.local:8080/",
    footer="Terima kasih.",
)


def test_ticket_has_everything_a_citizen_reads() -> None:
    layout = ticket_layout(sample_data(), OFFICE, NOW, tz=WIB)
    lines = layout.text().splitlines()
    assert lines[0] == "Kantor Kecamatan Contoh"
    assert "Jl. Merdeka No. 1, Kota Contoh" in lines
    assert "Kartu Keluarga" in lines
    assert "Sabtu, 28 November 2026 08.15" in lines  # issued_at, not the clock
    assert "Antrian di depan Anda: 5" in lines
    assert "Perkiraan waktu tunggu: ± 15 menit" in lines
    assert lines[-2:] == ["Terima kasih.", "Berlaku hari ini saja: 28 November 2026"]
    number = next(i for i in layout.items if isinstance(i, Line) and i.text == "A-012")
    assert number.size == "huge" and number.bold
    name = next(i for i in layout.items if isinstance(i, Line) and i.text == OFFICE.name)
    assert name.scale == 2 and name.bold
    qr = [i for i in layout.items if isinstance(i, QrCode)]
    assert qr == [QrCode("http://hub.local:8080/t/20261128-A-012")]


def test_unknown_wait_is_left_out_and_time_falls_back_to_the_clock() -> None:
    data = {**sample_data(), "estimated_wait_s": None}
    del data["issued_at"]
    text = ticket_layout(data, OFFICE, NOW, tz=WIB).text()
    assert "Perkiraan" not in text
    assert "-" not in text.splitlines()
    assert "Sabtu, 28 November 2026 09.00" in text


def test_issued_at_is_shown_in_the_office_time_zone() -> None:
    data = {**sample_data(), "issued_at": "2026-11-28T01:15:00+00:00"}
    assert "08.15" in ticket_layout(data, OFFICE, NOW, tz=WIB).text()


def test_priority_ticket_says_so_and_english_catalogue() -> None:
    english = OfficeInfo(name="Office", lang="en")
    text = ticket_layout(sample_data(), english, NOW, priority=True, tz=WIB).text()
    assert "PRIORITY" in text
    assert "Ahead of you: 5" in text
    assert "Estimated wait: about 15 minutes" in text
    assert "Saturday, 28 November 2026 08:15" in text
    assert text.splitlines()[-2:] == [
        "Please wait until your number is called.",
        "Valid today only: 28 November 2026",
    ]


def test_default_footer_asks_to_wait_and_says_valid_today_only() -> None:
    lines = ticket_layout(sample_data(), OfficeInfo(name="X"), NOW, tz=WIB).text().splitlines()
    assert lines[-2:] == [
        "Silakan menunggu nomor Anda dipanggil.",
        "Berlaku hari ini saja: 28 November 2026",
    ]
    assert not any("Terima kasih" in line for line in lines)


@pytest.mark.parametrize(("mm", "scale"), [(80, 8), (58, 6)])
def test_number_is_as_large_as_the_paper_allows(mm: int, scale: int) -> None:
    layout = ticket_layout(sample_data(), OFFICE, NOW, paper=PAPERS[mm], tz=WIB)
    number = next(i for i in layout.items if isinstance(i, Line) and i.text == "A-012")
    assert number.scale == scale
    # A long prefix still fits on one line, smaller.
    long = ticket_layout({**sample_data(), "number": "KTPEL-012"}, OFFICE, NOW, paper=PAPERS[mm])
    big = next(i for i in long.items if isinstance(i, Line) and i.text == "KTPEL-012")
    assert len(big.text) * big.scale <= PAPERS[mm].columns and big.scale >= 3


@pytest.mark.parametrize(
    ("ahead", "wait", "line"),
    [
        (0, 60, "Perkiraan waktu tunggu: Segera dilayani"),
        (2, 60, "Perkiraan waktu tunggu: ± 1 menit"),
        (30, 5400, "Perkiraan waktu tunggu: ± 1 jam 30 menit"),
    ],
)
def test_wait_line_with_nobody_ahead_and_long_waits(ahead: int, wait: int, line: str) -> None:
    data = {**sample_data(), "ahead": ahead, "estimated_wait_s": wait}
    assert line in ticket_layout(data, OFFICE, NOW, tz=WIB).text().splitlines()


def test_hub_priority_flag_also_marks_the_ticket() -> None:
    assert "PRIORITAS" in ticket_layout({**sample_data(), "priority": True}, OFFICE, NOW).text()
    assert "PRIORITAS" not in ticket_layout(sample_data(), OFFICE, NOW).text()


def test_no_base_url_means_no_qr_code() -> None:
    layout = ticket_layout(sample_data(), OfficeInfo(name="X"), NOW)
    assert not any(isinstance(i, QrCode) for i in layout.items)
    assert status_url("", "20261128-A-012") == ""


@pytest.mark.parametrize("mm", [80, 58])
def test_every_line_fits_the_paper(mm: int) -> None:
    long_office = OfficeInfo(
        name="Dinas Kependudukan dan Pencatatan Sipil Kabupaten Contoh Raya",
        address="Jalan Jenderal Sudirman Kilometer 12 Nomor 345, Kecamatan Contoh",
        base_url="http://hub.local",
    )
    data = {**sample_data(), "service_name": "Perekaman KTP Elektronik dan Kartu Identitas Anak"}
    paper = PAPERS[mm]
    layout = ticket_layout(data, long_office, NOW, paper=paper)
    for item in layout.items:
        if isinstance(item, Line):
            assert len(item.text) * item.scale <= paper.columns, item
    assert "Dinas Kependudukan" in layout.text()


def test_missing_number_is_an_error_not_a_blank_ticket() -> None:
    data = sample_data()
    del data["number"]
    with pytest.raises(KeyError):
        ticket_layout(data, OFFICE, NOW)
