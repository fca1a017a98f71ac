"""What the indicator says (pure): the terminal line and the LCD rows for each situation."""

from __future__ import annotations

import pytest

from common.payloads import CounterState
from nodes.counter.keys import Entry, Office
from nodes.counter.view import TEXT, CounterView, lcd_lines, terminal_line
from tests.counter.test_keys import CONFIG

OFFICE = Office.from_config(CONFIG, "1")


def state(**payload: object) -> CounterState:
    fields = {"counter": "1", "name": "Loket 1", "ticket": None, "waiting": 0}
    return CounterState.from_payload({**fields, **payload})


def called(number: str = "A-001", phase: str = "called") -> dict[str, object]:
    return {
        "ticket_id": f"20261128-{number}",
        "number": number,
        "service": "A",
        "state": phase,
        "called_at": "2026-11-28T08:20:11+07:00",
    }


def view(**fields: object) -> CounterView:
    values: dict[str, object] = {"counter": "1", "office": OFFICE, "online": True}
    values.update(fields)
    return CounterView(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("payload", "line"),
    [
        (
            {"status": "open", "ticket": called(), "waiting": 3},
            "LOKET 1 | MEMANGGIL A-001 | menunggu 3",
        ),
        (
            {"status": "open", "ticket": called("B-014", "serving"), "waiting": 0},
            "LOKET 1 | MELAYANI B-014 | menunggu 0",
        ),
        ({"status": "open", "ticket": None, "waiting": 5}, "LOKET 1 | BUKA | menunggu 5"),
        ({"status": "paused", "ticket": None, "waiting": 2}, "LOKET 1 | ISTIRAHAT | menunggu 2"),
        ({"status": "closed", "ticket": None, "waiting": 2}, "LOKET 1 | TUTUP"),
    ],
)
def test_terminal_line_per_state(payload: dict[str, object], line: str) -> None:
    assert terminal_line(view(state=state(**payload))) == line


def test_offline_wins_over_the_last_known_state() -> None:
    v = view(state=state(status="open", ticket=called(), waiting=3), online=False)
    assert terminal_line(v) == "LOKET 1 | OFFLINE"


def test_before_the_hub_speaks_the_counter_is_loading() -> None:
    assert terminal_line(view()) == "LOKET 1 | MEMUAT"
    # Without the hub's config the title still names the counter.
    assert terminal_line(view(office=Office())) == "LOKET 1 | MEMUAT"


def test_notice_prompt_and_busy_are_appended() -> None:
    base = {"state": state(status="open", ticket=None, waiting=0)}
    assert terminal_line(view(**base, notice="Antrian kosong")) == (
        "LOKET 1 | BUKA | menunggu 0 | Antrian kosong"
    )
    assert terminal_line(view(**base, entry=Entry("transfer"))) == (
        "LOKET 1 | BUKA | menunggu 0 | ALIHKAN KE: 1=A 2=B 3=C"
    )
    assert terminal_line(view(**base, entry=Entry("number", "12"))) == (
        "LOKET 1 | BUKA | menunggu 0 | NOMOR: 12_"
    )
    assert terminal_line(view(**base, entry=Entry("number_service", "12"))) == (
        "LOKET 1 | BUKA | menunggu 0 | LAYANAN? 12: 1=A 2=B"
    )
    assert terminal_line(view(**base, busy=True)) == "LOKET 1 | BUKA | menunggu 0 | mengirim..."


def test_english_catalogue() -> None:
    v = view(state=state(status="open", ticket=called(), waiting=3), language="en")
    assert terminal_line(v) == "LOKET 1 | CALLING A-001 | waiting 3"
    unnamed = CounterView(counter="7", online=False, language="en")
    assert terminal_line(unnamed) == "COUNTER 7 | OFFLINE"


def test_lcd_16x2_rows() -> None:
    v = view(state=state(status="open", ticket=called(), waiting=3))
    assert lcd_lines(v, 16, 2) == ["MEMANGGIL A-001 ", "      menunggu 3"]
    # The counter's name is added when it fits beside the count.
    v = view(state=state(name="L1", status="open", ticket=called(), waiting=3))
    assert lcd_lines(v, 16, 2) == ["MEMANGGIL A-001 ", "L1    menunggu 3"]
    assert lcd_lines(view(state=state(status="open"), notice="Antrian kosong"), 16, 2) == [
        "BUKA            ",
        "Antrian kosong  ",
    ]
    assert lcd_lines(view(entry=Entry("transfer")), 16, 2) == [
        "ALIHKAN KE      ",
        "1=A 2=B 3=C     ",
    ]


def test_lcd_20x4_rows() -> None:
    v = view(state=state(status="open", ticket=called("B-014", "serving"), waiting=12))
    assert lcd_lines(v, 20, 4) == [
        "LOKET 1             ",
        "MELAYANI B-014      ",
        "menunggu 12         ",
        "                    ",
    ]
    assert lcd_lines(view(state=state(status="open"), entry=Entry("number", "7")), 20, 4)[2:] == [
        "NOMOR               ",
        "7_                  ",
    ]


def test_lcd_rows_never_overflow() -> None:
    v = view(state=state(status="open", ticket=called("ABCDEFGH-12345"), waiting=99999),
             notice="Nomor terlalu panjang")  # fmt: skip
    for cols, rows in ((8, 1), (16, 2), (20, 4)):
        lines = lcd_lines(v, cols, rows)
        assert len(lines) == rows
        assert all(len(line) == cols for line in lines)


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_word_fits_a_16_column_lcd(language: str) -> None:
    assert set(TEXT[language]) == set(TEXT["id"])  # the catalogues stay in step
    for key, text in TEXT[language].items():
        shown = text.format(n=999, service="KTP")
        assert len(shown) <= 16, (key, shown)
