"""`antrian kiosk --config FILE`: read the config, wire buttons, printer and broker link
to the `Kiosk` flow, and run until SIGTERM/SIGINT.

Every table and key of the file is described in docs/kiosk.md; a misspelled key stops the
daemon with the file and key named, before any hardware is touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from common import config as cfg
from common import node
from common.config import NodeIdentity, Table
from common.mqtt import MIN_REQUEST_TIMEOUT_S
from common.node import Running, SetupError, Shell
from common.wire import ID_PATTERN
from nodes.kiosk.buttons import (
    DEBOUNCE_S,
    PRIORITY_WINDOW_S,
    ButtonPins,
    GpioButtons,
    LineButtons,
    ServiceButtons,
)
from nodes.kiosk.flow import Kiosk, KioskSettings
from nodes.kiosk.printer import (
    PRINTER_TYPES,
    PrinterConfig,
    TicketPrinter,
    open_printer,
)
from nodes.kiosk.ticket import PAPERS, OfficeInfo, Paper

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger("nodes.kiosk")


@dataclass(frozen=True)
class InputConfig:
    type: str = "stdin"
    services: tuple[str, ...] = ()
    fifo: str | None = None
    buttons: tuple[ButtonPins, ...] = ()
    priority: tuple[int | str, int | str | None] | None = None
    debounce_s: float = DEBOUNCE_S
    priority_window_s: float = PRIORITY_WINDOW_S


@dataclass(frozen=True)
class KioskConfig:
    identity: NodeIdentity
    office: OfficeInfo
    settings: KioskSettings
    input: InputConfig
    printer: PrinterConfig


def _pin(table: Table, name: str) -> int | str | None:
    """A GPIO pin as gpiozero takes it: a BCM number or a name; None when absent."""
    value = table.data.get(name)
    table.ignore(name)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    if isinstance(value, str) and value.strip():
        return value
    raise table.error(name, f'must be a GPIO number (17) or name ("GPIO17"), not {value!r}')


def _read_input(root: Table) -> InputConfig:
    table = root.table("input")
    kind = table.choice("type", ("stdin", "gpio"), "stdin")
    debounce_s = table.int("debounce_ms", int(DEBOUNCE_S * 1000), min=0, max=5000) / 1000
    window = table.float("priority_window_s", PRIORITY_WINDOW_S, min=1.0)
    services = tuple(table.str_list("services", [], ids=True))
    fifo = table.str("fifo", None)
    buttons: list[ButtonPins] = []
    buttons_table = table.table("buttons")
    for service in buttons_table.data:
        spec = buttons_table.table(service)
        if not ID_PATTERN.match(service):
            raise buttons_table.error(service, "is not a valid service id")
        pin = _pin(spec, "pin")
        if pin is None:
            raise spec.error("pin", "is required but missing")
        buttons.append(ButtonPins(service, pin, _pin(spec, "led")))
        spec.finish()
    buttons_table.finish()
    priority = None
    if "priority" in table:
        spec = table.table("priority")
        pin = _pin(spec, "pin")
        if pin is None:
            raise spec.error("pin", "is required but missing")
        priority = (pin, _pin(spec, "led"))
        spec.finish()
    if kind == "gpio" and not buttons:
        raise table.error("buttons", "gpio input needs [input.buttons.<service>] pin = ...")
    table.finish()
    return InputConfig(kind, services, fifo, tuple(buttons), priority, debounce_s, window)


def _read_printer(root: Table) -> PrinterConfig:
    table = root.table("printer")
    defaults = PrinterConfig()
    kind = table.choice("type", PRINTER_TYPES, defaults.type)
    paper_mm = table.int("paper_mm", defaults.paper_mm)
    if paper_mm not in PAPERS:
        raise table.error("paper_mm", f"must be 80 or 58, not {paper_mm}")
    printer = PrinterConfig(
        type=kind,
        path=str(
            table.filepath("path", "/tmp/antrian-tickets" if kind == "file" else defaults.path)
        ),
        profile=table.str("profile", defaults.profile if paper_mm == 80 else "RP-F10-58mm"),
        paper_mm=paper_mm,
        usb_vendor=table.int("usb_vendor", defaults.usb_vendor, min=0, max=0xFFFF),
        usb_product=table.int("usb_product", defaults.usb_product, min=0, max=0xFFFF),
        serial_device=table.str("device", defaults.serial_device),
        baudrate=table.int("baudrate", defaults.baudrate, min=1200, max=921600),
        host=table.str("host", "", nonempty=False),
        port=table.int("port", defaults.port, min=1, max=65535),
        timeout_s=table.float("timeout", defaults.timeout_s, min=0.1),
        read_status=table.bool("read_status", None),
        preview=table.bool("preview", True),
    )
    if kind == "network" and not printer.host:
        raise table.error("host", 'a network printer needs host = "192.168.1.50"')
    prepare_profile(table, printer.profile)
    table.finish()
    return printer


def prepare_profile(table: Table, profile: str) -> None:
    """Reject an unknown printer profile at start, not at the first ticket."""
    from nodes.kiosk.escpos_render import prepare_escpos

    prepare_escpos()
    from escpos.capabilities import CAPABILITIES

    if profile not in CAPABILITIES["profiles"]:
        raise table.error("profile", f"unknown python-escpos profile {profile!r} (e.g. TM-T20II)")


def _read_logo(root: Table, paper: Paper) -> Image | None:
    """`[ticket] logo`: a picture printed above the office's name, checked here at start.
    A relative path is relative to the config file."""
    table = root.table("ticket")
    path = table.str("logo", None)
    table.finish()
    if path is None:
        return None
    from nodes.kiosk.escpos_render import load_logo

    try:
        return load_logo(Path(root.file).parent / path, paper)
    except ValueError as exc:
        raise table.error("logo", str(exc)) from None


def read_config(source: str | Path | Table) -> KioskConfig:
    root = cfg.root(source)
    identity = cfg.read_identity(root)
    # [office] address/base_url/language are shared keys that read_identity leaves to the
    # nodes; [kiosk] may override them for this kiosk.
    shared = root.table("office")
    kiosk = root.table("kiosk")
    office = OfficeInfo(
        name=kiosk.str("office_name", None) or identity.office_name,
        address=kiosk.str("address", None, nonempty=False)
        or shared.str("address", "", nonempty=False),
        base_url=kiosk.str("base_url", None, nonempty=False)
        or shared.str("base_url", "", nonempty=False),
        footer=kiosk.str("footer", "", nonempty=False),
        lang=kiosk.choice("language", ("id", "en"), None)
        or shared.choice("language", ("id", "en"), "id"),
    )
    printer = _read_printer(root)
    office = replace(office, logo=_read_logo(root, printer.paper))
    settings = KioskSettings(
        request_timeout_s=kiosk.float("request_timeout", 5.0, min=MIN_REQUEST_TIMEOUT_S),
        attempt_timeout_s=kiosk.float("attempt_timeout", 1.5, min=0.2),
        health_interval_s=kiosk.float("health_interval", 5.0, min=0.2),
        paper=printer.paper,
    )
    kiosk.finish()
    inputs = _read_input(root)
    root.ignore("office", "node", "broker", "log")
    root.finish()
    return KioskConfig(identity, office, settings, inputs, printer)


def make_buttons(config: InputConfig) -> ServiceButtons:
    if config.type == "gpio":
        return GpioButtons(
            config.buttons,
            priority=config.priority,
            debounce_s=config.debounce_s,
            priority_window_s=config.priority_window_s,
        )
    return LineButtons(
        config.services,
        fifo=Path(config.fifo) if config.fifo else None,
        debounce_s=config.debounce_s,
    )


def build(config: KioskConfig, shell: Shell) -> Running:
    try:
        printer: TicketPrinter = open_printer(config.printer)
        shell.on_stop(printer.close)
        buttons = make_buttons(config.input)
        shell.on_stop(buttons.close)
    except Exception as exc:  # gpiozero raises its own types for a missing pin factory
        raise SetupError(f"the printer or the buttons: {exc}") from None
    link = shell.link()
    kiosk = Kiosk(link, buttons, printer, config.office, config.settings, tz=shell.identity.tz)
    kiosk.start()
    shell.on_stop(kiosk.stop)
    source = config.input.type
    if source == "stdin":
        where = f"named pipe {config.input.fifo}" if config.input.fifo else "stdin"
        source = f"{where} (one line per press: A, or !A for priority)"
    log.info(
        "kiosk %s ready: input %s; printer %s (%s mm)",
        shell.identity.node_id,
        source,
        config.printer.type,
        config.printer.paper_mm,
    )
    return Running(healthy=kiosk.alive, status=f"kiosk {shell.identity.node_id}")


def main(argv: list[str] | None = None) -> int:
    return node.run("kiosk", argv, read_config, build, description=__doc__)
