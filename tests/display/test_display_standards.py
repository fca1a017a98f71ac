"""The published service standard on the TV: in turn with the estimates, each service with a
standard has the services strip to itself, beside today's average (read from latest.json)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.payloads import OfficeConfig, QueueState
from nodes.display.panels import LATEST_FRAME, HeadlessPanel
from nodes.display.screen import FontBook, Screen
from nodes.display.settings import ScreenSettings
from nodes.display.view import STANDARD_EVERY_S, Board
from tests.display.office import CONFIG, NOW, QUEUE

SIZES = [(1920, 1080), (1280, 720), (1080, 1920)]


def standard_board() -> Board:
    """Kartu Keluarga publishes 15 minutes (today 12 on average), Akta Kelahiran 7,5
    minutes (nobody called yet today); KTP Elektronik has no standard."""
    config: dict[str, Any] = json.loads(json.dumps(CONFIG))
    config["services"][0]["standard_wait_minutes"] = 15
    config["services"][2]["standard_wait_minutes"] = 7.5
    queue: dict[str, Any] = json.loads(json.dumps(QUEUE))
    queue["A"]["average_wait_s"] = 12 * 60 + 10
    board = Board()
    board.apply_config(OfficeConfig.from_payload(config))
    board.apply_queue(QueueState.from_payload(queue))
    board.online = True
    return board


def turn_start(turn: int) -> datetime:
    """The first moment of the strip's `turn` (0: estimates, 1: A's standard, 2: C's)."""
    cycle = STANDARD_EVERY_S * 3
    start = NOW - timedelta(seconds=NOW.timestamp() % cycle)
    return start + timedelta(seconds=turn * STANDARD_EVERY_S)


def frame_at(moment: datetime, size: tuple[int, int], directory: Path) -> dict[str, Any]:
    letter_px = ScreenSettings(diagonal_in=43.0).letter_px(*size)
    screen = Screen(pygame_surface(size), FontBook(), animate_ticker=False, letter_px=letter_px)
    panel = HeadlessPanel(directory, *size)
    panel.surface = screen.surface
    panel.show(screen.draw(standard_board().view(moment)), screen.frame())
    frame: dict[str, Any] = json.loads((directory / LATEST_FRAME).read_text(encoding="utf-8"))
    return frame


def pygame_surface(size: tuple[int, int]) -> Any:
    import pygame

    return pygame.Surface(size)


def strip(frame: dict[str, Any]) -> list[dict[str, Any]]:
    texts: list[dict[str, Any]] = frame["regions"]["services"]["texts"]
    return texts


@pytest.mark.parametrize("size", SIZES)
def test_each_standard_has_the_strip_in_turn(size: tuple[int, int], tmp_path: Path) -> None:
    estimates = strip(frame_at(turn_start(0), size, tmp_path / "0"))
    # The strip's label may be cut on a portrait screen (as it always was): its start shows.
    assert estimates[0]["text"].startswith("MENU")
    assert any(t["text"].startswith("± 15") for t in estimates)  # cut on a portrait screen
    size_of_estimates = max(t["size"] for t in estimates[1:])

    kartu = strip(frame_at(turn_start(1), size, tmp_path / "1"))
    assert kartu[0]["text"].startswith("STAN")
    # The letter and the standard whole; the name too where it fits (landscape).
    texts = [t["text"] for t in kartu[1:]]
    assert (texts[0], texts[-1]) == ("A", "Standar 15 mnt · hari ini rata-rata 12 mnt")
    if size[0] > size[1]:
        assert texts[1] == "Kartu Keluarga"
    # Whole (not cut with …) and no smaller than the estimates it takes turns with.
    assert all(t["size"] >= size_of_estimates for t in (kartu[1], kartu[-1]))

    akta = [t["text"] for t in strip(frame_at(turn_start(2), size, tmp_path / "2"))]
    assert (akta[1], akta[-1]) == ("C", "Standar 7,5 mnt · hari ini belum ada")
    # Then the estimates again: the turn goes round.
    again = strip(frame_at(turn_start(3), size, tmp_path / "3"))
    assert again[0]["text"].startswith("MENU")


def test_an_office_without_standards_always_shows_the_estimates() -> None:
    board = Board()
    board.apply_config(OfficeConfig.from_payload(CONFIG))
    board.apply_queue(QueueState.from_payload(QUEUE))
    for turn in range(4):
        rows = board.view(turn_start(turn)).services
        assert not any(row.show_standard or row.standard_text for row in rows)
