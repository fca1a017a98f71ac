"""`antrian kiosk --config FILE`: read the config, wire buttons, printer and broker link
to the `Kiosk` flow, and run until SIGTERM/SIGINT.

Every table and key of the file is described in docs/kiosk.md; a misspelled key stops the
daemon with the file and key named, before any hardware is touched.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from common import config as cfg
from common.adapters import Choice
from common.config import ConfigError, NodeIdentity, Table
from common.log import setup_logging
from common.mqtt import MIN_REQUEST_TIMEOUT_S, BrokerLink
from common.systemd import Watchdog, notify_ready
from common.wire import Topics
from nodes.kiosk.buttons import BUTTONS, ServiceButtons
from nodes.kiosk.flow import Kiosk, KioskSettings
from nodes.kiosk.printer import (
    PrinterConfig,
    PrinterSetupError,
    TicketPrinter,
    open_printer,
    read_printer,
)
from nodes.kiosk.ticket import OfficeInfo

log = logging.getLogger("nodes.kiosk")


@dataclass(frozen=True)
class KioskConfig:
    identity: NodeIdentity
    office: OfficeInfo
    settings: KioskSettings
    input: Choice[ServiceButtons]
    printer: PrinterConfig


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
    printer = read_printer(root)
    settings = KioskSettings(
        request_timeout_s=kiosk.float("request_timeout", 5.0, min=MIN_REQUEST_TIMEOUT_S),
        attempt_timeout_s=kiosk.float("attempt_timeout", 1.5, min=0.2),
        health_interval_s=kiosk.float("health_interval", 5.0, min=0.2),
        paper=printer.paper,
    )
    kiosk.finish()
    inputs = BUTTONS.read_table(root, "input")
    root.ignore("office", "node", "broker", "log")
    root.finish()
    return KioskConfig(identity, office, settings, inputs, printer)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="antrian kiosk", description=__doc__)
    parser.add_argument("--config", required=True, help="the kiosk's TOML file")
    args = parser.parse_args(argv)
    try:
        config = read_config(args.config)
    except ConfigError as exc:
        print(f"antrian kiosk: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.identity.log_level)
    identity = config.identity
    try:
        printer: TicketPrinter = open_printer(config.printer)
        buttons = config.input.build()
    except (PrinterSetupError, OSError, ImportError) as exc:
        log.error("cannot set up the kiosk's hardware: %s", exc)
        return 1
    except Exception as exc:  # gpiozero raises its own types for a missing pin factory
        log.error("cannot set up the buttons: %s", exc)
        return 1
    link = BrokerLink(identity.broker, Topics(identity.office_id), identity.node_id, role="kiosk")
    kiosk = Kiosk(link, buttons, printer, config.office, config.settings, tz=identity.tz)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    kiosk.start()
    if not link.start(wait=5.0):
        log.warning(
            "broker %s:%s not reachable yet; LEDs stay off until it is",
            identity.broker.host,
            identity.broker.port,
        )
    source = config.input.type
    if source == "stdin":
        fifo = config.input.config.fifo
        where = f"named pipe {fifo}" if fifo else "stdin"
        source = f"{where} (one line per press: A, or !A for priority)"
    log.info(
        "kiosk %s ready: input %s; printer %s (%s mm)",
        identity.node_id,
        source,
        config.printer.type,
        config.printer.paper_mm,
    )
    notify_ready(f"kiosk {identity.node_id}")
    watchdog = Watchdog(kiosk.alive)
    watchdog.start()
    stopping.wait()
    log.info("stopping")
    watchdog.stop()
    kiosk.stop()
    link.stop()
    buttons.close()
    printer.close()
    return 0
