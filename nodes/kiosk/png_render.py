"""Draw a `TicketLayout` as a PNG, one pixel per printer dot: the simulated printer's
preview and the picture in the docs.

The geometry follows the printer: font A is a 12×24-dot cell, sizes scale it by whole
numbers, 48 columns fill 576 dots on 80 mm paper and 32 fill 384 on 58 mm. DejaVu Sans Mono
stands in for the printer's font (its advance is 0.6 em, so 20 px gives the 12-dot cell).
The fonts are bundled (`common/fonts/`) so the node needs nothing else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import qrcode
from PIL import Image, ImageDraw, ImageFont

from common import fonts
from nodes.kiosk.escpos_render import QR_DOTS
from nodes.kiosk.ticket import Item, Line, Logo, QrCode, Rule, TicketLayout

CELL_HEIGHT: Final = 24
FONT_PX: Final = 20
MARGIN: Final = 24


@cache
def _font(scale: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.MONO_BOLD if bold else fonts.MONO), FONT_PX * scale)


def _qr_matrix(payload: str) -> list[list[bool]]:
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(payload)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _height(item: Item) -> int:
    if isinstance(item, Line):
        return CELL_HEIGHT * item.scale
    if isinstance(item, Logo):
        return item.image.height
    if isinstance(item, QrCode):
        return len(_qr_matrix(item.payload)) * QR_DOTS + CELL_HEIGHT
    return CELL_HEIGHT


def render_image(layout: TicketLayout) -> Image.Image:
    """The ticket as a greyscale image `paper.dots` pixels wide."""
    width = layout.paper.dots
    height = 2 * MARGIN + sum(_height(item) for item in layout.items)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for item in layout.items:
        if isinstance(item, Line):
            font = _font(item.scale, item.bold)
            text_width = font.getlength(item.text)
            if item.align == "center":
                x = (width - text_width) / 2
            elif item.align == "right":
                x = width - text_width
            else:
                x = 0
            draw.text((x, y), item.text, font=font, fill=0)
        elif isinstance(item, Logo):
            image.paste(item.image.convert("L"), (0, y))
        elif isinstance(item, Rule):
            draw.text((0, y), "-" * layout.paper.columns, font=_font(1, False), fill=0)
        elif isinstance(item, QrCode):
            matrix = _qr_matrix(item.payload)
            left = (width - len(matrix) * QR_DOTS) // 2
            for row, cells in enumerate(matrix):
                for col, dark in enumerate(cells):
                    if dark:
                        x0, y0 = left + col * QR_DOTS, y + row * QR_DOTS
                        draw.rectangle((x0, y0, x0 + QR_DOTS - 1, y0 + QR_DOTS - 1), fill=0)
        y += _height(item)
    return image


def save_png(layout: TicketLayout, path: Path) -> Path:
    render_image(layout).save(path, optimize=True)
    return path
