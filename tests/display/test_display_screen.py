"""The screen drawn for real with pygame (SDL's dummy video driver) and checked by pixel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pygame
import pytest

from common.legibility import min_letter_mm, pixel_pitch_mm
from common.payloads import (
    Call,
    Calls,
    Counter,
    CounterState,
    CounterTicket,
    OfficeConfig,
    QueueState,
    Service,
    ServiceQueue,
)
from nodes.display import screen as screen_module
from nodes.display.screen import ACCENT, BACKGROUND, OFFLINE, PANEL, DrawnText, FontBook, Screen
from nodes.display.settings import ScreenSettings
from nodes.display.view import Board, View
from tests.display.office import CALLS, CONFIG, COUNTERS, NOW, QUEUE, call

SIZES = [(1920, 1080), (1280, 720), (1080, 1920)]
RUNNING = "Selamat datang di Kantor Kecamatan Contoh. Jam layanan 08.00–15.00."


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    return FontBook()


def office_board(online: bool = True) -> Board:
    board = Board()
    board.apply_config(OfficeConfig.from_payload(CONFIG))
    board.apply_queue(QueueState.from_payload(QUEUE))
    for counter, payload in COUNTERS.items():
        board.apply_counter(counter, CounterState.from_payload(payload))
    board.apply_calls(Calls.from_payload(CALLS))
    board.online = online
    return board


def crowded_board() -> Board:
    """A big office with long names: the worst case for overflow."""
    board = Board()
    name = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kepulauan Seribu Utara — Unit Pelayanan Terpadu Satu Atap"  # noqa: E501
    services = tuple(
        Service(f"S{i}", f"Layanan Perekaman dan Pencetakan Dokumen {i}", chr(65 + i))
        for i in range(8)
    )
    counters = tuple(
        Counter(str(i), f"Loket Pelayanan Prioritas Lansia Nomor {i}", ()) for i in range(1, 13)
    )
    board.apply_config(OfficeConfig("kantor", name, "hub", services, counters))
    board.apply_queue(
        QueueState(
            tuple(
                ServiceQueue(s.id, s.name, s.prefix, 1000 + i, estimated_wait_s=99_999)
                for i, s in enumerate(services)
            )
        )
    )
    for i in range(1, 13):
        ticket = CounterTicket(f"20261128-AB-{i:05d}", f"AB-{i:05d}", "S0", "called", NOW)
        board.apply_counter(str(i), CounterState(str(i), counters[i - 1].name, "open", ticket))
    for i in range(6):
        name = f"Loket Pelayanan Prioritas {i + 1}"
        board.apply_call(
            Call(f"20261128-AB-{i:05d}", f"AB-{i:05d}", "S0", str(i + 1), name, 0, NOW)
        )
    return board


def render(
    view: View, size: tuple[int, int], fonts: FontBook, *, diagonal_in: float = 43.0
) -> Screen:
    """Drawn as the daemon draws it for a TV of `diagonal_in` read from 8 m."""
    letter_px = ScreenSettings(diagonal_in=diagonal_in).letter_px(*size)
    screen = Screen(pygame.Surface(size), fonts, animate_ticker=False, letter_px=letter_px)
    screen.draw(view)
    return screen


def share_not(surface: pygame.Surface, rect: pygame.Rect, color: tuple[int, int, int]) -> float:
    """The share of pixels in `rect` that are not `color`."""
    area = surface.subsurface(rect)
    width, height = area.get_size()
    other = sum(
        1
        for x in range(0, width, 2)
        for y in range(0, height, 2)
        if area.get_at((x, y))[:3] != color
    )
    return other / (((width + 1) // 2) * ((height + 1) // 2))


@pytest.mark.parametrize("size", SIZES)
def test_called_number_is_drawn_large(
    size: tuple[int, int], fonts: FontBook, tmp_path: Path
) -> None:
    view = office_board().view(NOW, running_text=RUNNING)
    screen = render(view, size, fonts)
    pygame.image.save(screen.surface, str(tmp_path / "screen.png"))
    number = next(t for t in screen.texts["featured"] if t.text == "A-012")
    region = screen.regions["featured"]
    # Big: the number fills a good part of its panel, and ink covers its box.
    assert number.rect.height > region.height * 0.35
    assert number.rect.width > region.width * 0.4
    assert share_not(screen.surface, number.rect, PANEL) > 0.25
    # The file written is the image drawn.
    loaded = pygame.image.load(str(tmp_path / "screen.png"))
    assert loaded.get_at(number.rect.center) == screen.surface.get_at(number.rect.center)


@pytest.mark.parametrize("size", SIZES)
def test_counter_names_and_numbers_appear(size: tuple[int, int], fonts: FontBook) -> None:
    screen = render(office_board().view(NOW), size, fonts)
    drawn = {t.text: t for t in screen.texts["counters"]}
    for text in ("Loket 1", "Loket 2", "Loket 3", "A-012", "B-004", "REHAT"):
        item = drawn[text]
        # Render the text again on the row's background and compare pixel for pixel.
        font = fonts.get(item.size, bold=item.bold)
        expected = pygame.Surface(item.rect.size)
        background = screen.surface.get_at((item.rect.left - 2, item.rect.top))
        expected.fill(background)
        expected.blit(font.render(item.text, True, item.color), (0, 0))
        actual = screen.surface.subsurface(item.rect)
        assert pygame.image.tobytes(actual, "RGB") == pygame.image.tobytes(expected, "RGB"), text
        rgb = (background.r, background.g, background.b)
        assert share_not(screen.surface, item.rect, rgb) > 0.05


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("board", [office_board, crowded_board], ids=["office", "crowded"])
def test_nothing_overflows(size: tuple[int, int], board, fonts: FontBook) -> None:
    view = board().view(NOW, running_text=RUNNING * 3)
    screen = render(view, size, fonts)
    bounds = screen.surface.get_rect()
    texts = screen.all_texts()
    assert len(texts) > 15
    for text in texts:
        region = screen.regions[text.region]
        assert bounds.contains(text.rect), text
        assert region.contains(text.rect), text
    for name, region in screen.regions.items():
        assert bounds.contains(region), name
        for other_name, other in screen.regions.items():
            if other_name != name:
                assert not region.colliderect(other), (name, other_name)


@pytest.mark.parametrize("size", SIZES)
def test_long_texts_are_cut_with_an_ellipsis(size: tuple[int, int], fonts: FontBook) -> None:
    screen = render(crowded_board().view(NOW), size, fonts)
    header = screen.texts["header"][0]
    assert header.text.endswith("…") and header.text.startswith("Dinas Kependuduk")
    assert all(t.size >= screen_module.MIN_FONT_PX for t in screen.all_texts())


@pytest.mark.parametrize("size", SIZES)
def test_an_ordinary_office_is_readable(size: tuple[int, int], fonts: FontBook) -> None:
    screen = render(office_board().view(NOW, running_text=RUNNING), size, fonts)
    smallest = min(t.size for t in screen.all_texts())
    assert smallest >= 16
    number = next(t for t in screen.texts["featured"] if t.text == "A-012")
    assert number.size >= min(size) // 6  # the called number is the biggest thing on screen
    assert number.size == max(t.size for t in screen.all_texts())


def test_highlight_lights_the_panel(fonts: FontBook) -> None:
    board = office_board()
    lit = render(board.view(NOW, highlight_s=60), (1920, 1080), fonts)
    plain = render(board.view(NOW, highlight_s=5), (1920, 1080), fonts)
    corner = lit.regions["featured"].inflate(-40, -40).topleft
    assert lit.surface.get_at(corner)[:3] == ACCENT
    assert plain.surface.get_at(corner)[:3] == PANEL


def test_offline_mark(fonts: FontBook) -> None:
    online = render(office_board(online=True).view(NOW), (1920, 1080), fonts)
    offline = render(office_board(online=False).view(NOW), (1920, 1080), fonts)
    region = offline.regions["status"]

    def red_pixels(screen: Screen) -> int:
        area = screen.surface.subsurface(region)
        return sum(
            1
            for x in range(area.get_width())
            for y in range(area.get_height())
            if area.get_at((x, y))[:3] == OFFLINE
        )

    assert red_pixels(offline) > 20
    assert red_pixels(online) == 0
    assert offline.text_in("status") == ["Terputus dari server"]
    # The last known state stays on screen while offline.
    assert "A-012" in offline.text_in("featured")


def test_redraws_only_what_changed(fonts: FontBook) -> None:
    board = office_board()
    screen = Screen(pygame.Surface((1920, 1080)), fonts, animate_ticker=False)
    first = screen.draw(board.view(NOW))
    assert len(first) == len(screen.regions)
    assert screen.draw(board.view(NOW + timedelta(seconds=5))) == []  # same minute
    assert screen.draw(board.view(NOW + timedelta(minutes=1))) == [screen.regions["clock"]]
    board.apply_queue(QueueState.from_payload({"A": {**QUEUE["A"], "waiting": 6}}))
    assert screen.draw(board.view(NOW + timedelta(minutes=1))) == [screen.regions["services"]]
    board.apply_call(Call.from_payload(call("C-001", "3", at=NOW + timedelta(minutes=1))))
    dirty = screen.draw(board.view(NOW + timedelta(minutes=1)))
    assert set(map(tuple, dirty)) == {
        tuple(screen.regions[name]) for name in ("featured", "recent", "counters")
    }


def test_ticker_scrolls_only_when_animated_and_too_long(fonts: FontBook) -> None:
    board = office_board()
    screen = Screen(pygame.Surface((1280, 720)), fonts, animate_ticker=True)
    view = board.view(NOW, running_text=RUNNING * 4)
    assert screen.ticker_moves(view)
    screen.draw(view)
    before = pygame.image.tobytes(screen.surface.subsurface(screen.regions["ticker"]), "RGB")
    screen.ticker_offset += 50
    assert screen.draw(view) == [screen.regions["ticker"]]
    after = pygame.image.tobytes(screen.surface.subsurface(screen.regions["ticker"]), "RGB")
    assert before != after
    short = board.view(NOW, running_text="Selamat datang")
    assert not screen.ticker_moves(short)


def test_empty_screen_before_any_state(fonts: FontBook) -> None:
    screen = render(Board().view(NOW), (1920, 1080), fonts)
    assert screen.text_in("featured") == ["NOMOR ANTRIAN", "Silakan menunggu nomor Anda dipanggil"]
    assert screen.surface.get_at((5, screen.regions["featured"].bottom + 2))[:3] == BACKGROUND


def test_logo_sits_left_of_the_office_name(fonts: FontBook) -> None:
    logo = pygame.Surface((200, 100))
    logo.fill((0, 200, 0))
    screen = Screen(pygame.Surface((1920, 1080)), fonts, logo=logo, animate_ticker=False)
    screen.draw(office_board().view(NOW))
    header = screen.regions["header"]
    name = screen.texts["header"][0]
    assert screen.logo is not None and screen.logo.get_height() == int(header.height * 0.8)
    logo_spot = (header.left + screen._pad() + 5, header.centery)
    red, green, blue, _ = screen.surface.get_at(logo_spot)
    assert green > 180 and red < 20 and blue < 20  # the (smoothly scaled) logo
    assert name.rect.left > header.left + screen._pad() + screen.logo.get_width()
    assert header.contains(name.rect)


def capital_height_px(image: pygame.Surface, text: DrawnText, font: pygame.font.Font) -> int:
    """The inked height of the text's first character (a capital or a digit), measured in
    the PNG: rows where a pixel differs from the background by more than half the text's
    own contrast (the 50 % edge convention for character height)."""
    first = text.text[0]
    assert first.isupper() or first.isdigit(), text.text
    columns = pygame.Rect(text.rect.left, text.rect.top, font.size(first)[0], text.rect.height)
    background = image.get_at((text.rect.left - 3, text.rect.top))
    ink = text.color

    def inked(x: int, y: int) -> bool:
        pixel = image.get_at((x, y))
        return (
            sum(abs(pixel[i] - background[i]) for i in range(3))
            > sum(abs(ink[i] - background[i]) for i in range(3)) / 2
        )

    rows = [
        y
        for y in range(columns.top, columns.bottom)
        if any(inked(x, y) for x in range(columns.left, columns.right))
    ]
    return rows[-1] - rows[0] + 1 if rows else 0


@pytest.mark.parametrize("diagonal_in", [43.0, 55.0])
def test_what_a_citizen_needs_is_readable_from_eight_metres(
    diagonal_in: float, fonts: FontBook, tmp_path: Path
) -> None:
    """ISO 9241-303: capitals of at least 16 arc minutes, 37.2 mm at 8 m (docs/display.md)."""
    size = (1920, 1080)
    board = office_board()
    board.view(NOW)  # A-012 was on the big area; then four calls, the newest featured
    for i, (number, counter) in enumerate([("B-005", "2"), ("A-013", "1"), ("C-001", "3")]):
        board.view(NOW + timedelta(seconds=10 * i))
        board.apply_call(
            Call.from_payload(call(number, counter, at=NOW + timedelta(seconds=10 * (i + 1))))
        )
    view = board.view(NOW + timedelta(seconds=40))
    screen = render(view, size, fonts, diagonal_in=diagonal_in)
    path = tmp_path / "screen.png"
    pygame.image.save(screen.surface, str(path))
    image = pygame.image.load(str(path))
    needed = [
        *screen.texts["featured"][1:],  # the number and the counter (not the label)
        *screen.texts["recent"][1:],  # every previous call and its counter (not the title)
        *screen.texts["counters"],
    ]
    assert [t.text for t in screen.texts["featured"][1:]] == ["C-001", "LOKET 3"]
    assert [t.text for t in screen.texts["recent"][1:]] == [
        "A-013",
        "Loket 1",
        "B-005",
        "Loket 2",
        "A-012",
        "Loket 1",
        "B-004",
        "Loket 2",
    ]
    assert len(screen.texts["counters"]) == 6
    pitch = pixel_pitch_mm(diagonal_in, *size)
    rule = min_letter_mm(8.0)
    for text in needed:
        font = fonts.get(text.size, bold=text.bold)
        height_mm = capital_height_px(image, text, font) * pitch
        assert height_mm >= rule, (text.text, round(height_mm, 1), round(rule, 1))
