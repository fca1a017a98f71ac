"""The lines of any Linux gpiochip as gpiozero pins, for boards that are not a Pi.

gpiozero's lgpio factory maps BCM numbers to lines through the Pi's revision code, and on
a board without one (qemu's `virt` machine in image/office-test.sh, another single-board
computer) it raises PinUnknownPi before any pin is opened. `[input] chip = N` names
`/dev/gpiochipN` instead, and the pins are its line offsets: `pin = 3` or `"GPIO3"` is
line 3. No line has a fixed pull resistor here (a Pi's GPIO2/3 do), so `pull` applies to
every line.
"""

from __future__ import annotations

from typing import Any

from gpiozero.pins import BoardInfo, HeaderInfo, PinInfo


def chip_board(chip: int, lines: int) -> BoardInfo:
    """gpiozero's description of a board whose only header is gpiochip `chip` with
    `lines` lines, each a GPIO named by its offset. Pure."""
    pins = {
        line: PinInfo(
            number=line,
            # gpiozero's lgpio pin takes the line from the name after "GPIO".
            name=f"GPIO{line}",
            names=frozenset({line, str(line), f"GPIO{line}"}),
            pull="",
            row=line + 1,
            col=1,
            interfaces=frozenset({"gpio"}),
        )
        for line in range(lines)
    }
    header = HeaderInfo(name=f"gpiochip{chip}", rows=max(lines, 1), columns=1, pins=pins)
    return BoardInfo(
        revision="0",
        model=f"gpiochip{chip}",
        pcb_revision="",
        released="",
        soc="",
        manufacturer="",
        memory=None,
        storage="",
        usb=0,
        usb3=0,
        ethernet=0,
        eth_speed=0,
        wifi=False,
        bluetooth=False,
        csi=0,
        dsi=0,
        headers={header.name: header},
        board="",
    )


def chip_factory(chip: int) -> Any:
    """A gpiozero pin factory on /dev/gpiochip`chip` through lgpio, its pins the chip's
    line offsets (see `chip_board`)."""
    import lgpio
    from gpiozero.pins.lgpio import LGPIOFactory

    class ChipFactory(LGPIOFactory):
        def __init__(self) -> None:
            super().__init__(chip=chip)  # an explicit chip: no Pi revision is looked up
            _, lines, _, _ = lgpio.gpio_get_chip_info(self._handle)
            self._info = chip_board(chip, lines)

        def _get_revision(self) -> int:
            return 0

    return ChipFactory()
