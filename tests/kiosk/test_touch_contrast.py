"""The touch kiosk's large, high-contrast text, measured on the PNG it draws: WCAG contrast
between every text and what it is drawn on, and the height of its capitals in pixels."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from common.payloads import ServiceQueue
from nodes.kiosk.flow import KioskView
from nodes.kiosk.printer import PrinterHealth
from nodes.kiosk.touch import ScreenConfig, TouchInput, TouchScreen
from tests.harness import wait_for

SCREENS = [(800, 480, 7.0), (1280, 800, 10.1), (1080, 1920, 21.5)]
#: WCAG 2.x success criterion 1.4.6 (contrast, enhanced, level AAA): 7:1 for text.
AAA = 7.0
#: Capitals only, no descenders: the ink's height is the capital height.
NAMES = ["KARTU KELUARGA", "KTP ELEKTRONIK", "AKTA KELAHIRAN", "SURAT PINDAH", "NPWP"]
RGB = tuple[int, int, int]


def luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def view(*, paper: PrinterHealth = "ok") -> KioskView:
    queue = tuple(
        ServiceQueue(chr(ord("A") + i), name, chr(ord("A") + i), waiting=i, open=i != 2)
        for i, name in enumerate(NAMES)
    )
    opened = {s.id: s.open for s in queue}
    agencies = {s.id: "DISDUKCAPIL" if s.id < "C" else "BAPENDA" for s in queue}
    return KioskView(
        True, paper, opened, queue=queue, exhausted=frozenset({"D"}), agencies=agencies
    )


class Shown:
    """A headless touch screen and what it last drew."""

    def __init__(self, screen: TouchScreen, directory: Path) -> None:
        self.screen, self.directory = screen, directory

    def frame(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.directory / "latest.json").read_text()))
        except FileNotFoundError:
            return {}

    def image(self) -> Image.Image:
        with Image.open(self.directory / "latest.png") as image:
            return image.convert("RGB")

    def tile(self, key: str) -> dict[str, Any] | None:
        return next((t for t in self.frame().get("tiles", []) if t["key"] == key), None)

    def tap(self, key: str) -> None:
        tile = self.tile(key)
        assert tile is not None, key
        x, y, w, h = tile["rect"]
        self.screen.feed(f"tap {x + w // 2} {y + h // 2}")


@pytest.fixture(params=SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def shown(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shown]:
    width, height, diagonal = request.param
    config = TouchInput(
        diagonal_in=diagonal,
        idle_s=600.0,
        screen=ScreenConfig("headless", width, height, tmp_path),
    )
    screen = TouchScreen(config, stream=io.StringIO())
    screen.start(lambda press: None)
    rig = Shown(screen, tmp_path)
    try:
        screen.show_view(view())
        wait_for(lambda: rig.tile("start") is not None)
        rig.tap("start")
        wait_for(lambda: rig.tile("A") is not None)
        yield rig
    finally:
        screen.close()


def ink(image: Image.Image, rect: dict[str, int], ground: RGB) -> tuple[RGB, int]:
    """The text's colour in `rect` (its pixel most unlike `ground`) and the height of its
    ink: the rows holding a pixel at least half as contrasting as that one."""
    x, y, w, h = rect["x"], rect["y"], rect["w"], rect["h"]
    crop = image.crop((x, y, x + w, y + h))
    pixels: list[RGB] = list(crop.get_flattened_data())  # type: ignore[arg-type]
    ratios = {colour: contrast(colour, ground) for colour in set(pixels)}
    colour = max(ratios, key=lambda c: ratios[c])
    enough = 1 + (ratios[colour] - 1) / 2
    inked = [
        row for row in range(h) if any(ratios[p] >= enough for p in pixels[row * w : (row + 1) * w])
    ]
    return colour, (max(inked) - min(inked) + 1) if inked else 0


def pixel(image: Image.Image, x: int, y: int) -> RGB:
    return image.getpixel((x, y))  # type: ignore[return-value]


def checked_texts(rig: Shown) -> list[tuple[float, int, str, float]]:
    """(contrast, ink height, text, the letter height the rule asks) of every text drawn
    on a tile or on the headline band, each measured against the pixels around it."""
    frame, image = rig.frame(), rig.image()
    rule = frame["min_letter_px"] * (1.5 if frame["large_text"] else 1.0)
    measured = []
    for tile in frame["tiles"]:
        x, y, w, _ = tile["rect"]
        ground = pixel(image, x + w // 2, y + 2)  # the tile's own colour, above its text
        for text in tile["texts"]:
            colour, height = ink(image, text["rect"], ground)
            measured.append((contrast(colour, ground), height, text["text"], rule))
    ground = pixel(image, 2, 2)  # the headline band (red when it reports trouble)
    for text in frame["texts"]:
        colour, height = ink(image, text["rect"], ground)
        measured.append((contrast(colour, ground), height, text["text"], frame["min_letter_px"]))
    for heading in frame["headings"]:  # an agency's name, on the screen's background
        ground = pixel(image, 1, heading["rect"]["y"] + heading["rect"]["h"] // 2)
        colour, height = ink(image, heading["rect"], ground)
        measured.append((contrast(colour, ground), height, heading["text"], rule))
    return measured


def test_the_large_text_tile_gives_aaa_contrast_and_taller_letters(shown: Shown) -> None:
    """A citizen's tap on "Teks besar": every text at 7:1 or more, the services' letters
    and names in capitals half as tall again as the legibility rule asks (measured ink);
    "Teks normal" undoes it."""
    shown.tap("large")
    wait_for(lambda: shown.frame().get("large_text") is True)
    frame = shown.frame()
    assert frame["high_contrast"] is True and frame["headings"]  # two agencies
    assert shown.tile("normal") is not None  # the same tile now turns it off
    measured = checked_texts(shown)
    for ratio, height, text, rule in measured:
        assert ratio >= AAA, f"{text!r}: contrast {ratio:.1f}:1"
        if text.isupper():  # a service's letter or name: capitals only
            assert height >= rule, f"{text!r}: {height} px, the rule asks {rule:.1f}"
    shown.tap("normal")
    wait_for(lambda: shown.frame().get("large_text") is False)
    assert shown.frame()["high_contrast"] is False


def test_trouble_in_high_contrast_is_still_aaa(shown: Shown) -> None:
    """Paper out: the red headline band and the greyed tiles keep 7:1 too."""
    shown.tap("large")
    wait_for(lambda: shown.frame().get("large_text") is True)
    shown.screen.show_view(view(paper="paper_out"))
    wait_for(lambda: shown.frame().get("alert") is True)
    measured = checked_texts(shown)
    assert any("Kertas tiket habis" in text for _, _, text, _ in measured)
    for ratio, _, text, _ in measured:
        assert ratio >= AAA, f"{text!r}: contrast {ratio:.1f}:1"


def test_the_next_citizen_starts_from_the_kiosks_own_settings(tmp_path: Path) -> None:
    """Whoever turned on "Teks besar" walks away: back at the idle screen the kiosk is
    in its configured look again (here: large text and high contrast from the file)."""
    now = [1000.0]
    config = TouchInput(
        idle_s=60.0,
        large_text=True,
        high_contrast=True,
        screen=ScreenConfig("headless", 800, 480, tmp_path),
    )
    screen = TouchScreen(config, stream=io.StringIO(), clock=lambda: now[0])
    screen.start(lambda press: None)
    rig = Shown(screen, tmp_path)
    try:
        screen.show_view(view())
        wait_for(lambda: rig.tile("start") is not None)
        rig.tap("start")
        wait_for(lambda: rig.tile("normal") is not None)  # configured on: the tile undoes it
        rig.tap("normal")
        wait_for(lambda: rig.frame().get("large_text") is False)
        assert rig.frame()["high_contrast"] is False
        now[0] += 61.0  # nobody touches it for longer than idle_s
        wait_for(lambda: rig.frame().get("screen") == "idle")
        frame = rig.frame()
        assert frame["large_text"] is True and frame["high_contrast"] is True
        assert rig.image().getpixel((2, 2)) == (0, 0, 0)  # the high-contrast background
    finally:
        screen.close()
