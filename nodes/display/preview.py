"""Draw the screen for a sample office to a PNG, without a hub: for docs and for checking
a layout on a new TV size before installing it.

    python -m nodes.display.preview docs/img/display-1920x1080.png --size 1920x1080
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pygame

from nodes.display.screen import Screen
from nodes.display.view import Board, parse_call

WIB = timezone(timedelta(hours=7))
#: A Saturday-morning moment in the sample office, a few seconds after a call.
SAMPLE_NOW = datetime(2026, 11, 28, 9, 41, 5, tzinfo=WIB)
SAMPLE_TEXT = "Selamat datang. Ambil nomor antrian di kios, lalu tunggu panggilan."


def sample_board(now: datetime = SAMPLE_NOW) -> Board:
    board = Board(online=True)
    services = [("A", "Kartu Keluarga"), ("B", "KTP Elektronik"), ("C", "Akta Kelahiran")]
    board.apply_config(
        {
            "office": {"id": "kantor", "name": "Kantor Kecamatan Contoh"},
            "services": [{"id": s, "name": n, "prefix": s} for s, n in services],
            "counters": [{"id": str(i), "name": f"Loket {i}"} for i in range(1, 5)],
        }
    )
    board.apply_queue(
        {
            "A": {"waiting": 7, "estimated_wait_s": 1260, "open": True},
            "B": {"waiting": 3, "estimated_wait_s": 540, "open": True},
            "C": {"waiting": 0, "estimated_wait_s": None, "open": False},
        }
    )
    serving = {"1": "A-024", "2": "B-011", "3": None, "4": "A-023"}
    for counter, number in serving.items():
        board.apply_counter(
            counter,
            {
                "status": "open" if counter != "3" else "paused",
                "ticket": {"number": number} if number else None,
            },
        )
    calls = [("A-023", "4", 300), ("B-011", "2", 160), ("A-024", "1", 3)]
    for number, counter, ago in calls:
        called = now - timedelta(seconds=ago)
        board.apply_call(
            parse_call(
                {
                    "ticket_id": f"{called:%Y%m%d}-{number}",
                    "number": number,
                    "service": number[0],
                    "counter": counter,
                    "counter_name": f"Loket {counter}",
                    "called_at": called.isoformat(),
                }
            )
        )
    return board


def render(path: Path, width: int, height: int, *, lang: str = "id", offline: bool = False) -> None:
    board = sample_board()
    board.online = not offline
    surface = pygame.Surface((width, height))
    Screen(surface, animate_ticker=False).draw(
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
