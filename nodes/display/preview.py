"""Draw the screen for a sample office to a PNG, without a hub: for docs and for checking
a layout on a new TV size before installing it.

    python -m nodes.display.preview docs/img/display-1920x1080.png --size 1920x1080
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pygame

from common import payloads
from nodes.display.screen import Screen
from nodes.display.settings import ScreenSettings
from nodes.display.view import Board

WIB = timezone(timedelta(hours=7))
#: A Saturday-morning moment in the sample office, a few seconds after a call.
SAMPLE_NOW = datetime(2026, 11, 28, 9, 41, 5, tzinfo=WIB)
SAMPLE_TEXT = "Selamat datang. Ambil nomor antrian di kios, lalu tunggu panggilan."


def sample_board(now: datetime = SAMPLE_NOW) -> Board:
    board = Board(online=True)
    services = [("A", "Kartu Keluarga"), ("B", "KTP Elektronik"), ("C", "Akta Kelahiran")]
    board.apply_config(
        payloads.OfficeConfig(
            "kantor",
            "Kantor Kecamatan Contoh",
            "hub",
            tuple(payloads.Service(s, n, s) for s, n in services),
            tuple(payloads.Counter(str(i), f"Loket {i}", ()) for i in range(1, 5)),
        )
    )
    waiting = {"A": (7, 1260, True), "B": (3, 540, True), "C": (0, None, False)}
    board.apply_queue(
        payloads.QueueState(
            tuple(
                payloads.ServiceQueue(
                    s, n, s, waiting[s][0], None, None, waiting[s][1], waiting[s][2]
                )
                for s, n in services
            )
        )
    )
    calls = [("B-010", "2", 700), ("A-022", "1", 600), ("A-023", "4", 300)]
    calls += [("B-011", "2", 160), ("A-024", "1", 3)]
    for number, counter, ago in calls:
        called = now - timedelta(seconds=ago)
        ticket = payloads.CounterTicket(
            f"{called:%Y%m%d}-{number}", number, number[0], "called", called
        )
        board.apply_counter(
            counter, payloads.CounterState(counter, f"Loket {counter}", "open", ticket)
        )
        call = payloads.Call(
            ticket.ticket_id, number, number[0], counter, f"Loket {counter}", 0, called
        )
        board.apply_call(call)
    board.apply_counter("3", payloads.CounterState("3", "Loket 3", "paused"))
    return board


def render(path: Path, width: int, height: int, *, lang: str = "id", offline: bool = False) -> None:
    board = sample_board()
    board.online = not offline
    surface = pygame.Surface((width, height))
    letter_px = ScreenSettings().letter_px(width, height)  # a 43" TV read from 8 m
    Screen(surface, animate_ticker=False, letter_px=letter_px).draw(
        board.view(SAMPLE_NOW, lang="en" if lang == "en" else "id", running_text=SAMPLE_TEXT)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the display for a sample office.")
    parser.add_argument("out", type=Path, help="PNG file to write")
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT")
    parser.add_argument("--lang", choices=("id", "en"), default="id")
    parser.add_argument("--offline", action="store_true", help="show the offline mark")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    render(args.out, width, height, lang=args.lang, offline=args.offline)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
