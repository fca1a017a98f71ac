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
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from common.adapters import Choice, Registry
from common.config import Table, setting
from common.node import SetupError
from nodes.kiosk.escpos_render import prepare_escpos, ticket_bytes
from nodes.kiosk.png_render import save_png
from nodes.kiosk.ticket import PAPERS, Paper, TicketLayout

if TYPE_CHECKING:
    from escpos.escpos import Escpos

log = logging.getLogger(__name__)

PrinterHealth = Literal["ok", "paper_low", "paper_out", "offline"]
#: The simulated printer's folder when `[printer] path` is not given.
TICKET_FOLDER: Final = Path("/tmp/antrian-tickets")
#: Health states in which a ticket can still be printed.
CAN_PRINT: Final[tuple[PrinterHealth, ...]] = ("ok", "paper_low")


class PrintFailed(Exception):
    """The ticket did not (fully) reach the paper."""


class TicketPrinter(Protocol):
    def print(self, ticket: TicketLayout) -> None:
        """Print the whole ticket and cut; PrintFailed if it did not get onto paper."""

    def health(self) -> PrinterHealth: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PrinterConfig:
    """`[printer]` of the kiosk's config file (docs/kiosk.md)."""

    paper_mm: int
    profile: str
    adapter: Choice[TicketPrinter]

    @property
    def paper(self) -> Paper:
        return PAPERS[self.paper_mm]

    @property
    def type(self) -> str:
        return self.adapter.type


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


def read_printer(root: Table) -> PrinterConfig:
    """`[printer]`: the paper, the profile, and the adapter `type` chooses."""
    table = root.table("printer")
    paper_mm = table.int("paper_mm", 80)
    if paper_mm not in PAPERS:
        raise table.error("paper_mm", f"must be 80 or 58, not {paper_mm}")
    profile = table.str("profile", "TM-T20II" if paper_mm == 80 else "RP-F10-58mm")
    prepare_escpos()
    from escpos.capabilities import CAPABILITIES

    if profile not in CAPABILITIES["profiles"]:  # at start, not at the first ticket
        raise table.error("profile", f"unknown python-escpos profile {profile!r} (e.g. TM-T20II)")
    adapter = PRINTERS.read(table, profile=profile)
    table.finish()
    return PrinterConfig(paper_mm, profile, adapter)


# --- the adapters: python-escpos' connection classes, and the simulated folder -----------
# "Reads status": ask the printer for its paper sensor. Most USB and serial printers
# answer; some network printers do not, and would look offline on every poll.


def _escpos(config: Any, name: str, *args: Any, unusable: str = "", **kwargs: Any) -> TicketPrinter:
    """A printer behind python-escpos' connection class `name`, connected with `args` on
    first use. Its optional driver (pyusb, pyserial) is imported only for the type that
    needs it, and `unusable` says what to install when it is missing."""
    prepare_escpos()
    import escpos.printer

    driver = getattr(escpos.printer, name)
    if unusable and not driver.is_usable():
        raise SetupError(unusable)

    def connect() -> Escpos:
        device: Escpos = driver(*args, profile=config.profile, **kwargs)
        device.open()
        return device

    return EscposPrinter(connect, profile=config.profile, reads_status=config.read_status)


@dataclass(frozen=True)
class FilePrinter:
    """A folder (the simulated printer), or a device file under /dev/ (e.g. /dev/usb/lp0:
    a real printer through the kernel's usblp driver)."""

    path: Path = TICKET_FOLDER  # relative: to the config file's folder
    preview: bool = True  # the folder: also write the PNG
    read_status: bool = False
    profile: str = "TM-T20II"

    def open(self) -> TicketPrinter:
        if str(self.path).startswith("/dev/"):
            return _escpos(self, "File", str(self.path))
        return FolderPrinter(self.path, profile=self.profile, preview=self.preview)


@dataclass(frozen=True)
class UsbPrinter:
    usb_vendor: int = setting(0x04B8, min=0, max=0xFFFF)  # Epson
    usb_product: int = setting(0x0E15, min=0, max=0xFFFF)  # TM-T20II
    timeout: float = setting(3.0, min=0.1)
    read_status: bool = True
    profile: str = "TM-T20II"

    def open(self) -> TicketPrinter:
        missing = "USB printer needs pyusb: pip install 'python-escpos[usb]'"
        ids, ms = (self.usb_vendor, self.usb_product), int(self.timeout * 1000)
        return _escpos(self, "Usb", *ids, timeout=ms, unusable=missing)


@dataclass(frozen=True)
class SerialPrinter:
    device: str = "/dev/ttyUSB0"
    baudrate: int = setting(19200, min=1200, max=921600)
    timeout: float = setting(3.0, min=0.1)
    read_status: bool = True
    profile: str = "TM-T20II"

    def open(self) -> TicketPrinter:
        missing = "serial printer needs pyserial: pip install 'python-escpos[serial]'"
        kwargs = {"baudrate": self.baudrate, "timeout": self.timeout}
        return _escpos(self, "Serial", self.device, **kwargs, unusable=missing)


@dataclass(frozen=True)
class NetworkPrinter:
    """Raw TCP ("JetDirect")."""

    host: str = setting("", nonempty=False)
    port: int = setting(9100, min=1, max=65535)
    timeout: float = setting(3.0, min=0.1)
    read_status: bool = False
    profile: str = "TM-T20II"

    def check(self, table: Table) -> None:
        if not self.host:
            raise table.error("host", 'a network printer needs host = "192.168.1.50"')

    def open(self) -> TicketPrinter:
        return _escpos(self, "Network", self.host, self.port, timeout=self.timeout)


PRINTERS: Final = Registry[TicketPrinter](default="file")
PRINTERS.register("file", FilePrinter)
PRINTERS.register("usb", UsbPrinter)
PRINTERS.register("serial", SerialPrinter)
PRINTERS.register("network", NetworkPrinter)
