"""Stand-ins at the hardware edge only: a python-escpos `Dummy` that also has a paper
sensor and can lose its cable. Everything above the connection is our real code."""

from __future__ import annotations

import time

from nodes.kiosk.escpos_render import prepare_escpos

prepare_escpos()

from escpos.printer import Dummy  # noqa: E402

#: DLE EOT 4 answers (python-escpos masks): paper present, near end, out.
PAPER_OK = 0x12
PAPER_LOW = 0x1E
PAPER_OUT = 0x72
QR_COMMAND = b"\x1d(k"  # GS ( k: the printer's native 2D code command
CUT = b"\x1dV"  # GS V


class SensorDummy(Dummy):
    """`Dummy` (bytes kept in `.output`) with a readable paper sensor, a switch that makes
    every write fail like an unplugged USB cable, and one that jams the next ticket."""

    def __init__(self, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self.paper = PAPER_OK
        self.broken = False
        self.jam_next_ticket = False
        self.jam_delay = 0.0  # seconds the jammed write hangs before it fails
        self.writes = 0

    def _raw(self, msg: bytes) -> None:
        if self.broken:
            raise OSError("[Errno 19] No such device (USB cable pulled)")
        if self.jam_next_ticket and len(msg) > 16:  # a ticket, not a status query
            self.jam_next_ticket = False
            time.sleep(self.jam_delay)
            raise OSError("[Errno 5] Input/output error (paper jam)")
        self.writes += 1
        super()._raw(msg)

    def _read(self) -> bytes:
        if self.broken:
            raise OSError("[Errno 19] No such device (USB cable pulled)")
        return bytes([self.paper])

    def tickets(self) -> int:
        """How many tickets were cut."""
        return bytes(self.output).count(CUT)
