"""The counter indicator: one interface, a terminal line for simulation, an HD44780 LCD.

Both adapters take a `CounterView` and write only what changed; the words come from
`view.py`. The LCD is an HD44780 16x2 or 20x4 character display on an I2C backpack
(PCF8574, or an MCP23008/MCP23017), driven by RPLCD over smbus2.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol, TextIO

from common.adapters import Registry
from common.config import setting
from nodes.counter.view import CounterView, lcd_lines, terminal_line

log = logging.getLogger(__name__)

EXPANDERS = ("PCF8574", "MCP23008", "MCP23017")


class Indicator(Protocol):
    """Shows a counter's view. Called from one thread at a time."""

    def show(self, view: CounterView) -> None: ...

    def close(self) -> None: ...


class TerminalIndicator:
    """Prints one line per change, e.g. "LOKET 1 | MEMANGGIL A-001 | menunggu 3"."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.last: str | None = None

    def show(self, view: CounterView) -> None:
        line = terminal_line(view)
        if line != self.last:
            self.last = line
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


@dataclass(frozen=True)
class TerminalConfig:
    def open(self) -> Indicator:
        return TerminalIndicator()


@dataclass(frozen=True)
class LcdConfig:
    address: int = setting(0x27, min=0x03, max=0x77)
    expander: str = setting("PCF8574", choices=EXPANDERS)
    port: int = setting(1, min=0, max=255)
    cols: int = setting(16, min=8, max=40)
    rows: int = setting(2, min=1, max=4)
    charmap: str = setting("A02", choices=("A00", "A02", "ST0B"))
    gpio_bank: str = setting("A", choices=("A", "B"))  # MCP23017 only
    backlight: bool = True

    def open(self) -> Indicator:
        return LcdIndicator(lambda: open_lcd(self), self.cols, self.rows)


class CharDisplay(Protocol):
    """The part of RPLCD's CharLCD we use."""

    cursor_pos: tuple[int, int]

    def write_string(self, value: str) -> None: ...

    def clear(self) -> None: ...

    def close(self, clear: bool = False) -> None: ...


class LcdIndicator:
    """An HD44780 character LCD. Rewrites only the rows that changed.

    `open_display` builds the display (see `open_lcd`); it is called again after an I2C
    error, because an LCD that lost power must be initialised again.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, open_display: Callable[[], CharDisplay], cols: int, rows: int) -> None:
        self.cols = cols
        self.rows = rows
        self._open = open_display
        self._display: CharDisplay | None = None
        self._shown: list[str] = []
        self._failed_at: float | None = None

    def show(self, view: CounterView) -> None:
        lines = lcd_lines(view, self.cols, self.rows)
        if lines == self._shown:
            return
        if self._failed_at is not None and time.monotonic() - self._failed_at < self.RETRY_SECONDS:
            return
        try:
            if self._display is None:
                self._display = self._open()
                self._shown = []
            for row, line in enumerate(lines):
                old = self._shown[row] if row < len(self._shown) else None
                first, last = _changed_span(old, line)
                if first <= last:
                    self._display.cursor_pos = (row, first)
                    self._display.write_string(line[first : last + 1])
            self._shown = lines
            self._failed_at = None
        except OSError as exc:
            # A loose cable or a missing backpack: keep running, the keypad still works.
            log.warning(
                "LCD write failed (%s); will re-initialise in %.0f s", exc, self.RETRY_SECONDS
            )
            self._display = None
            self._failed_at = time.monotonic()

    def close(self) -> None:
        if self._display is not None:
            with contextlib.suppress(OSError):
                self._display.close(clear=False)
            self._display = None


def _changed_span(old: str | None, new: str) -> tuple[int, int]:
    """First and last column that differ (first > last: none).

    Every byte costs ~1 ms on a 100 kHz I2C bus (six expander writes per character), and
    RPLCD re-addresses the cursor for each unchanged character it skips; so only the span
    that changed is sent: "A-001" -> "A-002" is one character, not a row.
    """
    if old is None or len(old) != len(new):
        return 0, len(new) - 1
    diffs = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    return (diffs[0], diffs[-1]) if diffs else (1, 0)


def open_lcd(config: LcdConfig, bus: Any = None) -> CharDisplay:
    """An RPLCD CharLCD on `bus` (an smbus2.SMBus on `config.port` when None).

    RPLCD opens its own SMBus inside its constructor; we hand it ours instead, so the same
    code runs on a Pi and, in tests, on a fake bus that records every byte.
    """
    try:
        from RPLCD import i2c as rplcd_i2c
    except ImportError as exc:  # pragma: no cover - a missing dependency
        raise RuntimeError("the LCD indicator needs RPLCD: pip install RPLCD smbus2") from exc
    if bus is None:
        from smbus2 import SMBus

        bus = SMBus(config.port)

    class BusCharLCD(rplcd_i2c.CharLCD):
        def _init_connection(self) -> None:
            # What RPLCD's own _init_connection does, with our bus.
            self.bus = bus
            if self._i2c_expander == "PCF8574":
                time.sleep(0.05)
                return
            self._mcp_data = 0
            if self._i2c_expander == "MCP23008":
                iodir, self._mcp_gpio = rplcd_i2c.MCP23008_IODIR, rplcd_i2c.MCP23008_GPIO
            elif self._expander_params["gpio_bank"] == "A":
                iodir, self._mcp_gpio = rplcd_i2c.MCP23017_IODIRA, rplcd_i2c.MCP23017_GPIOA
            else:
                iodir, self._mcp_gpio = rplcd_i2c.MCP23017_IODIRB, rplcd_i2c.MCP23017_GPIOB
            self.bus.write_byte_data(self._address, iodir, 0x00)

    display: CharDisplay = BusCharLCD(
        i2c_expander=config.expander,
        address=config.address,
        expander_params={"gpio_bank": config.gpio_bank} if config.expander == "MCP23017" else None,
        port=config.port,
        cols=config.cols,
        rows=config.rows,
        charmap=config.charmap,
        auto_linebreaks=False,
        backlight_enabled=config.backlight,
    )
    return display


INDICATORS: Final = Registry[Indicator](default="terminal")
INDICATORS.register("terminal", TerminalConfig)
INDICATORS.register("lcd", LcdConfig)
