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
from common.adapters import Choice
from common.config import NodeIdentity, Table
from common.mqtt import MIN_REQUEST_TIMEOUT_S
from common.node import Running, SetupError, Shell
from nodes.kiosk.buttons import BUTTONS, ServiceButtons
from nodes.kiosk.flow import Kiosk, KioskSettings
from nodes.kiosk.printer import PrinterConfig, read_printer
from nodes.kiosk.ticket import OfficeInfo, Paper
from nodes.kiosk.touch import TouchInput, read_screen, sdl_for
from nodes.kiosk.voice import KioskVoice, VoiceConfig, read_voice

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger("nodes.kiosk")


@dataclass(frozen=True)
class KioskConfig:
    identity: NodeIdentity
    office: OfficeInfo
    settings: KioskSettings
    input: Choice[ServiceButtons]
    printer: PrinterConfig
    voice: VoiceConfig | None = None


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
    printer = read_printer(root)
    office = replace(office, logo=_read_logo(root, printer.paper))
    settings = KioskSettings(
        request_timeout_s=kiosk.float("request_timeout", 5.0, min=MIN_REQUEST_TIMEOUT_S),
        attempt_timeout_s=kiosk.float("attempt_timeout", 1.5, min=0.2),
        health_interval_s=kiosk.float("health_interval", 5.0, min=0.2),
        paper=printer.paper,
    )
    kiosk.finish()
    inputs = BUTTONS.read_table(root, "input")
    voice = read_voice(root, office.lang)
    if inputs.type == "touch":
        screen = read_screen(root)
        sdl_for(screen)
        touch = replace(
            inputs.config, screen=screen, office_name=office.name, now_serving=voice is not None
        )
        inputs = Choice(inputs.type, touch)
    elif "screen" in root:
        raise root.error("screen", 'is for a touch screen kiosk ([input] type = "touch")')
    root.ignore("office", "node", "broker", "log")
    root.finish()
    return KioskConfig(identity, office, settings, inputs, printer, voice)


def build(config: KioskConfig, shell: Shell) -> Running:
    try:
        printer = config.printer.adapter.build()
        shell.on_stop(printer.close)
        buttons = config.input.build()
        shell.on_stop(buttons.close)
    except Exception as exc:  # SetupError, or gpiozero's own types for a missing pin factory
        raise SetupError(f"the printer or the buttons: {exc}") from None
    voice = None
    if config.voice is not None:
        try:
            voice = KioskVoice(
                config.voice.engine.build(),
                config.voice.output.build(),
                lang=config.voice.language,
            )
        except Exception as exc:  # no sound card, no espeak-ng: say which
            raise SetupError(f"the voice: {exc}") from None
    link = shell.link()
    kiosk = Kiosk(
        link,
        buttons,
        printer,
        config.office,
        config.settings,
        tz=shell.identity.tz,
        voice=voice,
    )
    kiosk.start()
    shell.on_stop(kiosk.stop)
    source = config.input.type
    if (
        isinstance(config.input.config, TouchInput)
        and config.input.config.screen.type == "headless"
    ):
        fifo = config.input.config.fifo
        where = f"named pipe {fifo}" if fifo else "stdin"
        shots = config.input.config.screen.screenshot_dir
        source = f"touch screen, headless: {where} (tap X Y, drag X1 Y1 X2 Y2), {shots}"
    elif source == "stdin":
        fifo = config.input.config.fifo
        where = f"named pipe {fifo}" if fifo else "stdin"
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
