"""The touch kiosk's layout and gestures: pure rules, measured with the real font."""

from __future__ import annotations

import io
import itertools
import json
import os
from functools import cache
from pathlib import Path

import pygame
import pytest

from common.legibility import capital_height, min_letter_px
from nodes.kiosk.gestures import TouchTracker
from nodes.kiosk.tiles import (
    Geometry,
    Rect,
    Screen,
    ServiceChoice,
    message_screen,
    priority_screen,
    services_screen,
)
from nodes.kiosk.touch import FONT, ScreenConfig, TouchInput, TouchScreen, open_font
from tests.harness import wait_for

pygame.font.init()

#: The screens the kiosk is built for, with their diagonals: the Pi's 7" panel, a 10.1"
#: landscape tablet panel and a 21.5" portrait kiosk.
SCREENS = [(800, 480, 7.0), (1280, 800, 10.1), (1080, 1920, 21.5)]
NAMES = [
    "Kartu Keluarga", "KTP Elektronik", "Akta Kelahiran", "Surat Pindah",
    "Izin Usaha Mikro dan Kecil", "Paspor", "SIM Perpanjangan", "NPWP",
    "BPJS Kesehatan", "Sertifikat Tanah", "Pajak Kendaraan Bermotor", "Akta Kematian",
]  # fmt: skip


@cache
def _font(size: int) -> pygame.font.Font:
    return open_font(size)  # not by path: hundreds of sizes would hold hundreds of files


def measure(text: str, size: int) -> tuple[int, int]:
    font = _font(size)
    return font.size(text)[0], capital_height(font)


def geometry(width: int, height: int, diagonal: float, large: bool = False) -> Geometry:
    cap_ratio = capital_height(_font(100)) / 100
    return Geometry(width, height, min_letter_px(diagonal, 0.5, width, height), cap_ratio, large)


def choices(count: int) -> list[ServiceChoice]:
    states = ["open", "open", "closed", "open", "exhausted"]
    return [
        ServiceChoice(
            f"S{i}",
            NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i}"),
            chr(ord("A") + i % 26) + ("" if i < 26 else "A"),
            waiting=i * 3,
            estimated_wait_s=None if i % 4 == 3 else 300.0 * i,
            state=states[i % len(states)],  # type: ignore[arg-type]
        )
        for i in range(count)
    ]


def assert_readable(screen: Screen, g: Geometry) -> None:
    whole = Rect(0, 0, screen.width, screen.height)
    for tile in screen.tiles:
        assert tile.rect.inside(whole), tile
        for text in tile.texts:
            assert text.rect.inside(tile.rect), (text, tile.rect)
            assert measure(text.text, text.size)[0] <= text.rect.w, text
            assert text.cap_px >= g.min_letter_px * (1.5 if g.large else 1.0), text
    for text in screen.texts:
        assert text.rect.inside(whole), text
        assert text.cap_px >= g.min_letter_px, text
    for a, b in itertools.combinations(screen.tiles, 2):
        if a.kind != "start" and b.kind != "start":
            ra, rb = a.rect, b.rect
            apart = ra.x + ra.w <= rb.x or rb.x + rb.w <= ra.x
            apart = apart or ra.y + ra.h <= rb.y or rb.y + rb.h <= ra.y
            assert apart, (a.key, b.key)


@pytest.mark.parametrize(("width", "height", "diagonal"), SCREENS)
@pytest.mark.parametrize("count", [3, 8, 24])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_service_has_a_readable_tile_inside_its_rectangle(
    width: int, height: int, diagonal: float, count: int, lang: str
) -> None:
    g = geometry(width, height, diagonal)
    offered = choices(count)
    first = services_screen(offered, g, measure, lang=lang)  # type: ignore[arg-type]
    seen: list[str] = []
    for page in range(first.pages):
        screen = services_screen(offered, g, measure, lang=lang, page=page)  # type: ignore[arg-type]
        assert_readable(screen, g)
        tiles = [t for t in screen.tiles if t.kind == "service"]
        seen += [t.key for t in tiles]
        for tile in tiles:
            choice = next(c for c in offered if c.id == tile.key)
            assert tile.enabled == (choice.state == "open")
            assert tile.texts[0].text == choice.prefix
        nav = {t.key: t.enabled for t in screen.tiles if t.kind == "page"}
        if first.pages > 1:
            assert nav == {"prev": page > 0, "next": page < first.pages - 1}
    assert seen == [c.id for c in offered]  # each exactly once, in order
    if count <= 8:
        assert first.pages == 1


@pytest.mark.parametrize(("width", "height", "diagonal"), SCREENS)
def test_priority_idle_and_issued_screens_are_readable(
    width: int, height: int, diagonal: float
) -> None:
    g = geometry(width, height, diagonal)
    priority = priority_screen(g, measure)
    assert [t.key for t in priority.tiles if t.kind == "group"] == [
        "disabilitas", "lansia", "hamil", "anak", "bencana",
    ]  # fmt: skip
    assert_readable(priority, g)
    issued = message_screen(
        "issued",
        [("Nomor antrian Anda", 0.2), ("A-012", 0.4), ("Kartu Keluarga", 0.2), ("Ambil", 0.2)],
        g,
        measure,
        tile=("done", "done", "Selesai"),
    )
    assert_readable(issued, g)
    number = next(t for t in issued.texts if t.text == "A-012")
    assert number.cap_px >= 3 * g.min_letter_px  # the number is the biggest thing there


def test_large_text_mode_has_bigger_letters_and_fewer_tiles() -> None:
    normal, large = geometry(1280, 800, 10.1), geometry(1280, 800, 10.1, large=True)
    plain = services_screen(choices(24), normal, measure)
    big = services_screen(choices(24), large, measure)
    assert_readable(big, large)
    assert big.pages > plain.pages


def test_a_tap_is_one_finger_up_near_where_it_went_down() -> None:
    touch = TouchTracker(slop_px=20)
    touch.down(0, 100, 100)
    touch.move(0, 110, 105)
    tap = touch.up(0, 112, 104)
    assert tap is not None and (tap.start_x, tap.start_y) == (100, 100)


def test_a_drag_is_not_a_tap_even_when_it_comes_back() -> None:
    touch = TouchTracker(slop_px=20)
    touch.down(0, 100, 100)
    touch.move(0, 300, 100)
    assert touch.up(0, 102, 100) is None
    touch.down(0, 100, 100)
    assert touch.up(0, 100, 100) is not None  # the next touch starts afresh


def test_a_palm_or_second_finger_is_not_a_tap() -> None:
    touch = TouchTracker()
    touch.down(0, 100, 100)
    touch.down(1, 140, 100)
    assert touch.up(1, 140, 100) is None
    assert touch.up(0, 100, 100) is None
    assert not touch.touching


def test_a_finger_held_down_is_one_tap_when_lifted() -> None:
    touch = TouchTracker()
    touch.down(0, 50, 50)
    for _ in range(100):  # a finger resting: only jitter
        touch.move(0, 51, 50)
    assert touch.up(0, 50, 50) is not None
    assert touch.up(0, 50, 50) is None  # a second lift without a touch is nothing


def test_the_screen_keeps_no_font_file_open(tmp_path: Path) -> None:
    """Fitting text opens the font at hundreds of sizes; by path, each held the file open
    until the process ran past 1024 descriptors and paho's select() could not connect."""

    def font_files() -> int:
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir() if _target(fd) == str(FONT.resolve()))

    before = font_files()
    config = TouchInput(screen=ScreenConfig("headless", 800, 480, tmp_path))
    screen = TouchScreen(config, stream=io.StringIO())
    try:
        screen.start(lambda press: None)
        wait_for(lambda: (tmp_path / "latest.json").exists())
        assert json.loads((tmp_path / "latest.json").read_text())["texts"]  # text was fitted
        assert font_files() == before
    finally:
        screen.close()


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # the listing's own descriptor, closed by now
        return ""


@pytest.mark.parametrize(("width", "height", "diagonal"), SCREENS)
@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_now_serving_tile_is_readable_on_every_screen(
    width: int, height: int, diagonal: float, large: bool, lang: str
) -> None:
    """With a voice, the bottom band also holds "Sedang dilayani": five tiles beside the
    pages' on a 7" panel, every label whole (never cut with "…")."""
    g = geometry(width, height, diagonal, large)
    screen = services_screen(choices(24), g, measure, lang=lang, now_serving=True)  # type: ignore[arg-type]
    assert_readable(screen, g)
    band = [t for t in screen.tiles if t.kind != "service"]
    now = next(t for t in band if t.kind == "now")
    words = " ".join(t.text for t in now.texts)  # two lines on a narrow tile
    assert words == ("Sedang dilayani" if lang == "id" else "Now serving") and now.enabled
    for tile in band:
        assert "…" not in tile.label, tile.label
    arrows = {t.key: t.label for t in band if t.kind == "page"}
    named = [{"prev": "Sebelumnya", "next": "Berikutnya"}, {"prev": "Previous", "next": "Next"}]
    assert screen.pages == 1 or arrows in [{"prev": "◀", "next": "▶"}, *named]
    plain = services_screen(choices(24), g, measure, lang=lang)  # type: ignore[arg-type]
    assert not [t for t in plain.tiles if t.kind == "now"]  # without a voice: no tile
