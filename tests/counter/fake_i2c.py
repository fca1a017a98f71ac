"""A fake I2C bus at the hardware edge: an HD44780 LCD behind an I2C backpack.

`FakeSMBus` has smbus2's `write_byte`/`write_byte_data`, records every write, and plays
the wires into an `HD44780` model the way the chip sees them: the expander's pins carry
RS, E and four data lines; the controller latches a nibble on E's falling edge, starts in
8-bit mode and switches to 4-bit on a "function set" with DL=0. So a test reads back the
characters on the glass from nothing but the bytes our code put on the bus.
"""

from __future__ import annotations

from typing import Literal

Expander = Literal["PCF8574", "MCP23008", "MCP23017"]

# MCP230xx GPIO registers (data sheet): MCP23008 GPIO=0x09; MCP23017 GPIOA=0x12, GPIOB=0x13.
MCP_GPIO = {"MCP23008": (0x09,), "MCP23017": (0x12, 0x13)}


class HD44780:
    """The controller's DDRAM and the instructions RPLCD uses."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols = cols
        self.rows = rows
        self.ddram = [0x20] * 0x80
        self.address = 0
        self.four_bit = False
        self.display_on = False
        self.cgram = False
        self._high: int | None = None
        self.data_bytes = 0
        self.instructions: list[int] = []

    def nibble(self, rs: bool, data: int) -> None:
        if not self.four_bit:
            # 8-bit interface with only DB7-DB4 wired: DB3-DB0 read as 0.
            self._byte(rs, data << 4)
            return
        if self._high is None:
            self._high = data
            return
        value, self._high = (self._high << 4) | data, None
        self._byte(rs, value)

    def _byte(self, rs: bool, value: int) -> None:
        if rs:
            self.data_bytes += 1
            if not self.cgram:
                self.ddram[self.address] = value
                self.address = (self.address + 1) & 0x7F
            return
        self.instructions.append(value)
        if value & 0x80:
            self.address, self.cgram = value & 0x7F, False
        elif value & 0x40:
            self.cgram = True
        elif value & 0x20:
            self.four_bit = not value & 0x10
        elif value & 0x08:
            self.display_on = bool(value & 0x04)
        elif value & 0x02:
            self.address = 0
        elif value & 0x01:
            self.ddram = [0x20] * 0x80
            self.address = 0

    def text(self) -> list[str]:
        """The rows as they appear on the glass."""
        offsets = [0x00, 0x40, self.cols, 0x40 + self.cols]
        return [
            "".join(chr(self.ddram[offsets[row] + col]) for col in range(self.cols))
            for row in range(self.rows)
        ]


class FakeSMBus:
    """smbus2.SMBus with an LCD backpack at `address`; `unplugged` makes writes fail."""

    def __init__(
        self, address: int = 0x27, expander: Expander = "PCF8574", cols: int = 16, rows: int = 2
    ) -> None:
        self.address = address
        self.expander = expander
        self.lcd = HD44780(cols, rows)
        self.writes: list[tuple[int, ...]] = []
        self.unplugged = False
        self.backlight: bool | None = None
        self._enable = False

    def _check(self, address: int) -> None:
        if self.unplugged or address != self.address:
            raise OSError(121, "Remote I/O error")

    def write_byte(self, address: int, value: int) -> None:
        self._check(address)
        self.writes.append((address, value))
        assert self.expander == "PCF8574", "a PCF8574 write on an MCP backpack"
        # PCF8574 backpack: D7 D6 D5 D4 BL EN RW RS
        self.backlight = bool(value & 0x08)
        self._pins(rs=bool(value & 0x01), enable=bool(value & 0x04), data=value >> 4)

    def write_byte_data(self, address: int, register: int, value: int) -> None:
        self._check(address)
        self.writes.append((address, register, value))
        assert self.expander != "PCF8574", "a register write on a PCF8574 backpack"
        if register not in MCP_GPIO[self.expander]:
            return  # IODIR: all pins outputs
        # MCP230xx backpack: BL D7 D6 D5 D4 E RS -
        self.backlight = bool(value & 0x80)
        self._pins(rs=bool(value & 0x02), enable=bool(value & 0x04), data=(value >> 3) & 0x0F)

    def _pins(self, rs: bool, enable: bool, data: int) -> None:
        if self._enable and not enable:  # falling edge of E latches the nibble
            self.lcd.nibble(rs, data)
        self._enable = enable

    def close(self) -> None:
        pass
