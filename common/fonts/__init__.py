"""The DejaVu fonts every screen and ticket uses, bundled once (their licence is
LICENSE-DejaVu.txt here) so that no node depends on what fonts the system has."""

from __future__ import annotations

from pathlib import Path
from typing import Final

FOLDER: Final = Path(__file__).parent
SANS: Final = FOLDER / "DejaVuSans.ttf"
SANS_BOLD: Final = FOLDER / "DejaVuSans-Bold.ttf"
MONO: Final = FOLDER / "DejaVuSansMono.ttf"
MONO_BOLD: Final = FOLDER / "DejaVuSansMono-Bold.ttf"
