"""The ticket printer: one small interface, a real adapter over python-escpos and a
simulated one that writes into a folder.

`TicketPrinter.print()` either puts the whole ticket on paper or raises `PrintFailed`;
the flow then cancels the ticket at the hub. `health()` is what the LEDs and the node's
retained status show: "ok" and "paper_low" can print, "paper_out" and "offline" cannot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol

from nodes.kiosk.escpos_render import prepare_escpos, ticket_bytes
from nodes.kiosk.png_render import save_png
from nodes.kiosk.ticket import PAPERS, Paper, TicketLayout

if TYPE_CHECKING:
    from escpos.escpos import Escpos

log = logging.getLogger(__name__)

PrinterHealth = Literal["ok", "paper_low", "paper_out", "offline"]
PRINTER_TYPES: Final = ("file", "usb", "serial", "network")
#: Health states in which a ticket can still be printed.
CAN_PRINT: Final[tuple[PrinterHealth, ...]] = ("ok", "paper_low")


class PrintFailed(Exception):
    """The ticket did not (fully) reach the paper."""


class PrinterSetupError(Exception):
    """The configured printer cannot be used at all (missing driver, bad settings)."""


class TicketPrinter(Protocol):
    def print(self, ticket: TicketLayout) -> None:
        """Print the whole ticket and cut; PrintFailed if it did not get onto paper."""

    def health(self) -> PrinterHealth: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PrinterConfig:
    """`[printer]` of the kiosk's config file (docs/kiosk.md)."""

    type: str = "file"
    path: str = "tickets"  # "file": a folder (simulated printer) or a /dev/ device file
    profile: str = "TM-T20II"
    paper_mm: int = 80
    usb_vendor: int = 0x04B8  # Epson
    usb_product: int = 0x0E15  # TM-T20II
    serial_device: str = "/dev/ttyUSB0"
    baudrate: int = 19200
    host: str = ""
    port: int = 9100
    timeout_s: float = 3.0
    #: Ask the printer for its paper sensor. Most USB and serial printers answer; some
    #: network printers do not, and would look offline on every poll.
    read_status: bool | None = None
    preview: bool = True  # simulated printer: also write the PNG

    @property
    def paper(self) -> Paper:
        return PAPERS[self.paper_mm]

    @property
    def reads_status(self) -> bool:
        if self.read_status is not None:
            return self.read_status
        return self.type in ("usb", "serial")


def _health_from_paper_status(status: int) -> PrinterHealth:
    # python-escpos: 2 = paper adequate, 1 = near-end sensor, 0 = no paper.
    return {2: "ok", 1: "paper_low"}.get(status, "paper_out")  # type: ignore[return-value]


class EscposPrinter:
    """A real printer behind any python-escpos connection.

    The ticket is rendered to bytes first and sent in one write, so a dead connection is
    noticed before anything is printed rather than halfway down the ticket.
    """

    def __init__(
        self, connect: Callable[[], Escpos], *, profile: str | None, reads_status: bool
    ) -> None:
        self._connect = connect
        self._profile = profile
        self._reads_status = reads_status
        self._device: Escpos | None = None
        self._failed = False
        self._lock = threading.Lock()

    def _connection(self) -> Escpos:
        if self._device is None:
            self._device = self._connect()
        return self._device

    def _drop(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # the connection is already broken; closing is best effort
                log.debug("closing a broken printer connection failed", exc_info=True)

    def print(self, ticket: TicketLayout) -> None:
        data = ticket_bytes(ticket, self._profile)
        with self._lock:
            try:
                self._connection()._raw(data)
            except Exception as exc:
                self._drop()
                self._failed = True
                raise PrintFailed(f"printer error: {exc}") from exc
            self._failed = False

    def health(self) -> PrinterHealth:
        with self._lock:
            try:
                device = self._connection()
                if not self._reads_status:
                    return "offline" if self._failed else "ok"
                return _health_from_paper_status(device.paper_status())
            except Exception as exc:
                log.warning("printer does not answer: %s", exc)
                self._drop()
                return "offline"

    def close(self) -> None:
        with self._lock:
            self._drop()


class FolderPrinter:
    """The simulated printer: each ticket as `{number}.bin` (its ESC/POS bytes) and
    `{number}.png` (the preview) in a folder.

    A technician or the demo can fake the paper sensor by creating files in the folder:
    `PAPER_OUT` or `PAPER_LOW` change `health()`, and `JAM` makes the next prints fail.
    """

    def __init__(self, folder: Path, *, profile: str | None, preview: bool = True) -> None:
        self.folder = folder
        self._profile = profile
        self._preview = preview

    def print(self, ticket: TicketLayout) -> None:
        if (self.folder / "JAM").exists():
            raise PrintFailed("simulated paper jam (JAM file present)")
        if (self.folder / "PAPER_OUT").exists():
            raise PrintFailed("simulated printer is out of paper")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            data = ticket_bytes(ticket, self._profile)
            # Write-then-rename, so a watcher never reads half a ticket.
            partial = self.folder / f".{ticket.number}.bin.part"
            partial.write_bytes(data)
            partial.replace(self.folder / f"{ticket.number}.bin")
            if self._preview:
                save_png(ticket, self.folder / f"{ticket.number}.png")
        except OSError as exc:
            raise PrintFailed(f"cannot write to {self.folder}: {exc}") from exc

    def health(self) -> PrinterHealth:
        if (self.folder / "PAPER_OUT").exists():
            return "paper_out"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return "offline"
        if (self.folder / "PAPER_LOW").exists():
            return "paper_low"
        return "ok"

    def close(self) -> None:
        pass


def _escpos_connection(config: PrinterConfig) -> Callable[[], Escpos]:
    """A function that opens the configured python-escpos connection.

    The optional drivers (pyusb, pyserial) are imported only for the type that needs them,
    with an error that says what to install.
    """
    prepare_escpos()
    profile = config.profile
    if config.type == "usb":
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterSetupError("USB printer needs pyusb: pip install 'python-escpos[usb]'")

        def usb() -> Escpos:
            device = Usb(
                config.usb_vendor,
                config.usb_product,
                timeout=int(config.timeout_s * 1000),
                profile=profile,
            )
            device.open()
            return device

        return usb
    if config.type == "serial":
        from escpos.printer import Serial

        if not Serial.is_usable():
            raise PrinterSetupError(
                "serial printer needs pyserial: pip install 'python-escpos[serial]'"
            )

        def serial() -> Escpos:
            device = Serial(
                config.serial_device,
                baudrate=config.baudrate,
                timeout=config.timeout_s,
                profile=profile,
            )
            device.open()
            return device

        return serial
    if config.type == "network":
        from escpos.printer import Network

        def network() -> Escpos:
            device = Network(config.host, config.port, timeout=config.timeout_s, profile=profile)
            device.open()
            return device

        return network
    if config.type == "file":
        from escpos.printer import File

        def device_file() -> Escpos:
            device = File(config.path, profile=profile)
            device.open()
            return device

        return device_file
    raise PrinterSetupError(f"unknown printer type {config.type!r}")


def open_printer(config: PrinterConfig) -> TicketPrinter:
    """The printer the config asks for. `type = "file"` with a path under /dev/ is a real
    printer's device file (e.g. /dev/usb/lp0); any other path is the simulated folder."""
    if config.type == "file" and not config.path.startswith("/dev/"):
        return FolderPrinter(Path(config.path), profile=config.profile, preview=config.preview)
    return EscposPrinter(
        _escpos_connection(config), profile=config.profile, reads_status=config.reads_status
    )
