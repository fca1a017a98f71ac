"""Printers: the python-escpos adapter over a Dummy with a paper sensor, and the simulated
folder printer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from nodes.kiosk.printer import (
    PRINTERS,
    EscposPrinter,
    FilePrinter,
    FolderPrinter,
    NetworkPrinter,
    PrintFailed,
)
from nodes.kiosk.ticket import OfficeInfo, TicketLayout, ticket_layout
from tests.kiosk.devices import PAPER_LOW, PAPER_OUT, QR_COMMAND, SensorDummy
from tests.kiosk.sample import sample_data

WIB = ZoneInfo("Asia/Jakarta")


def _ticket() -> TicketLayout:
    office = OfficeInfo(name="Kantor Kecamatan Contoh", base_url="http://hub.local")
    return ticket_layout(sample_data(), office, datetime(2026, 11, 28, 8, 15, tzinfo=WIB))


def _escpos(dummy: SensorDummy, *, reads_status: bool = True) -> EscposPrinter:
    return EscposPrinter(lambda: dummy, profile="TM-T20II", reads_status=reads_status)


def test_escpos_printer_sends_the_ticket_in_one_write() -> None:
    dummy = SensorDummy()
    _escpos(dummy).print(_ticket())
    assert dummy.writes == 1
    assert b"A-012" in bytes(dummy.output) and QR_COMMAND in bytes(dummy.output)
    assert dummy.tickets() == 1


@pytest.mark.parametrize(
    ("sensor", "health"), [(0x12, "ok"), (PAPER_LOW, "paper_low"), (PAPER_OUT, "paper_out")]
)
def test_paper_sensor_becomes_health(sensor: int, health: str) -> None:
    dummy = SensorDummy()
    dummy.paper = sensor
    assert _escpos(dummy).health() == health
    assert bytes(dummy.output) == b"\x10\x04\x04"  # DLE EOT 4: the paper sensor query


def test_write_failure_is_print_failed_and_reconnects_later() -> None:
    dummies = [SensorDummy(), SensorDummy()]
    dummies[0].broken = True
    opened: list[SensorDummy] = []

    def connect() -> SensorDummy:
        opened.append(dummies[len(opened)])
        return opened[-1]

    printer = EscposPrinter(connect, profile="TM-T20II", reads_status=False)
    with pytest.raises(PrintFailed, match="No such device"):
        printer.print(_ticket())
    assert printer.health() == "offline"  # it failed; no sensor to say otherwise ...
    printer.print(_ticket())  # ... but the next print opens a fresh connection
    assert dummies[1].tickets() == 1
    assert printer.health() == "ok"


def test_unreadable_sensor_is_offline() -> None:
    dummy = SensorDummy()
    dummy.broken = True
    assert _escpos(dummy).health() == "offline"


def test_folder_printer_writes_bytes_and_preview(tmp_path: Path) -> None:
    printer = FolderPrinter(tmp_path / "tickets", profile="TM-T20II")
    assert printer.health() == "ok"
    printer.print(_ticket())
    data = (tmp_path / "tickets" / "A-012.bin").read_bytes()
    assert b"A-012" in data and b"Kartu Keluarga" in data and QR_COMMAND in data
    with Image.open(tmp_path / "tickets" / "A-012.png") as image:
        assert image.width == 576
    assert not list((tmp_path / "tickets").glob(".*part"))


def test_folder_printer_simulates_paper_and_jams(tmp_path: Path) -> None:
    printer = FolderPrinter(tmp_path, profile="TM-T20II", preview=False)
    (tmp_path / "PAPER_LOW").touch()
    assert printer.health() == "paper_low"
    (tmp_path / "PAPER_OUT").touch()
    assert printer.health() == "paper_out"
    with pytest.raises(PrintFailed):
        printer.print(_ticket())
    (tmp_path / "PAPER_OUT").unlink()
    (tmp_path / "JAM").touch()
    with pytest.raises(PrintFailed, match="jam"):
        printer.print(_ticket())
    assert not (tmp_path / "A-012.bin").exists()


def test_each_printer_type_opens_its_adapter(tmp_path: Path) -> None:
    assert PRINTERS.names == ("file", "usb", "serial", "network")
    assert isinstance(FilePrinter(tmp_path).open(), FolderPrinter)
    device = FilePrinter(Path("/dev/null")).open()
    assert isinstance(device, EscposPrinter)
    device.print(_ticket())  # python-escpos' File class writing to a device file
    assert device.health() == "ok"
    network = NetworkPrinter("127.0.0.1", 9, timeout=0.5).open()
    assert network.health() == "offline"  # nothing listens on the discard port
    with pytest.raises(PrintFailed):
        network.print(_ticket())
