"""Draw a `TicketLayout` with python-escpos: every byte the thermal printer receives.

python-escpos builds the bytes in its `Escpos` base class and each connection (USB,
serial, network, file, `Dummy` in tests) only carries them, so this one function serves
every printer. The QR code uses the printer's own QR command (`GS ( k`, ~50 bytes) rather
than a raster image (kilobytes, and slow on serial lines); the office's logo, which has no
such command, goes as one raster image (`GS v 0`).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import platform
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PIL import Image, ImageOps, UnidentifiedImageError

from nodes.kiosk.ticket import Gap, Line, Logo, Paper, QrCode, Rule, TicketLayout

if TYPE_CHECKING:
    from escpos.escpos import Escpos

#: Module size of the QR code in printer dots: 6 dots (0.75 mm) scans reliably from a
#: phone held at arm's length without crowding a 58 mm roll.
QR_DOTS: Final = 6
#: The tallest logo, in dots (25 mm at 203 dpi): a letterhead, not half the ticket.
LOGO_MAX_DOTS: Final = 200


def load_logo(path: Path, paper: Paper) -> Image.Image:
    """The office's logo as the printer draws it: 1-bit, scaled down to fit the paper and
    `LOGO_MAX_DOTS`, centred on an image exactly the paper's width (so both renderers and
    every printer put it in the same place, whatever their own centring does).

    Read once at start; ValueError says what is wrong with the file.
    """
    try:
        with Image.open(path) as source:
            source.load()
            picture = source.convert("RGBA")
    except FileNotFoundError:
        raise ValueError(f"file {str(path)!r} not found") from None
    except IsADirectoryError:
        raise ValueError(f"{str(path)!r} is a folder, not a picture") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{str(path)!r} is not a picture PIL can read ({exc})") from None
    # Transparent parts are paper (white), not black.
    flat = Image.new("RGBA", picture.size, "white")
    flat.alpha_composite(picture)
    grey = flat.convert("L")
    grey.thumbnail((paper.dots, LOGO_MAX_DOTS), Image.Resampling.LANCZOS)
    ink = ImageOps.invert(grey).getbbox()
    if ink is None:
        raise ValueError(f"{str(path)!r} is blank (nothing dark to print)")
    sheet = Image.new("L", (paper.dots, grey.height), 255)
    sheet.paste(grey, ((paper.dots - grey.width) // 2, 0))
    return sheet.convert("1")  # Floyd-Steinberg dithering, as a thermal head prints grey


def prepare_escpos() -> None:
    """Give python-escpos a fixed cache folder before it is first imported.

    Without ESCPOS_CAPABILITIES_PICKLE_DIR every import of escpos creates a new temporary
    directory that is never removed; on a kiosk restarted daily that adds up, and the
    folder must exist or the import fails.
    """
    # One folder per user: a folder left by root would make the import fail for the
    # kiosk's service user, who cannot write its pickle there.
    folder = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR") or os.path.join(
        tempfile.gettempdir(), f"antrian-escpos-{os.getuid()}"
    )
    os.makedirs(folder, exist_ok=True)
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = folder
    if "escpos.capabilities" in sys.modules:
        return  # imported already: its pickle is read only once
    # escpos writes its pickle in place, not atomically, on its first import: a second
    # process importing meanwhile (two kiosks of scripts/office.sh) read it half-written
    # and died (EOFError), and a pickle cut short by a crash broke every later start. So
    # one process at a time imports it, and a pickle that does not load is removed first.
    with open(os.path.join(folder, "import.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = os.path.join(folder, f"{platform.python_version()}.capabilities.pickle")
        try:
            with open(cached, "rb") as file:
                pickle.load(file)
        except FileNotFoundError:
            pass
        except Exception:  # any way a cut-short pickle fails: escpos makes it again
            os.unlink(cached)
        import escpos.capabilities  # noqa: F401  (its pickle is written here, under the lock)


def render(layout: TicketLayout, printer: Escpos, *, qr_dots: int = QR_DOTS) -> None:
    """Send the whole ticket, ending with a feed and a cut. Exceptions of the connection
    propagate: the caller decides what a failed print means."""
    printer.hw("INIT")
    for item in layout.items:
        if isinstance(item, Line):
            scale = item.scale
            printer.set(
                align=item.align, bold=item.bold, custom_size=True, width=scale, height=scale
            )
            printer.textln(item.text)
        elif isinstance(item, Logo):
            printer.set(align="left")
            printer.image(item.image, impl="bitImageRaster")
        elif isinstance(item, Rule):
            printer.set(align="left", bold=False, custom_size=True, width=1, height=1)
            printer.textln("-" * layout.paper.columns)
        elif isinstance(item, Gap):
            printer.ln()
        elif isinstance(item, QrCode):
            # Native QR codes ignore python-escpos' `center`; the justification set here
            # is what the printer applies to them.
            printer.set(align="center")
            printer.qr(item.payload, size=qr_dots, native=True)
            printer.ln()
    printer.set_with_default()
    printer.cut()


def ticket_bytes(layout: TicketLayout, profile: str | None = None) -> bytes:
    """The ESC/POS bytes of a ticket, without a printer (the simulated printer's `.bin`)."""
    prepare_escpos()
    from escpos.printer import Dummy

    dummy = Dummy(profile=profile)
    render(layout, dummy)
    return bytes(dummy.output)
