"""common.bahasa: Indonesian numbers in words, dates, times and durations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common import bahasa
from common.bahasa import (
    DAY_NAMES,
    MONTH_NAMES,
    clock,
    digits_in_words,
    duration_minutes_phrase,
    hour_range,
    letter_name,
    long_date,
    long_datetime,
    number_words,
    terbilang,
    ticket_number_words,
    wait_phrase,
)

TERBILANG_CASES = [
    (0, "nol"),
    (1, "satu"),
    (7, "tujuh"),
    (9, "sembilan"),
    (10, "sepuluh"),
    (11, "sebelas"),
    (12, "dua belas"),
    (19, "sembilan belas"),
    (20, "dua puluh"),
    (21, "dua puluh satu"),
    (45, "empat puluh lima"),
    (99, "sembilan puluh sembilan"),
    (100, "seratus"),
    (101, "seratus satu"),
    (110, "seratus sepuluh"),
    (111, "seratus sebelas"),
    (115, "seratus lima belas"),
    (200, "dua ratus"),
    (205, "dua ratus lima"),
    (999, "sembilan ratus sembilan puluh sembilan"),
    (1000, "seribu"),
    (1001, "seribu satu"),
    (1100, "seribu seratus"),
    (1011, "seribu sebelas"),
    (2000, "dua ribu"),
    (2005, "dua ribu lima"),
    (9999, "sembilan ribu sembilan ratus sembilan puluh sembilan"),
    (10_000, "sepuluh ribu"),
    (11_000, "sebelas ribu"),
    (12_345, "dua belas ribu tiga ratus empat puluh lima"),
    (100_000, "seratus ribu"),
    (101_000, "seratus satu ribu"),
    (999_999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
    (1_000_000, "satu juta"),
    (1_000_001, "satu juta satu"),
    (2_500_000, "dua juta lima ratus ribu"),
    (1_000_000_000, "satu miliar"),
    (3_000_000_000_000, "tiga triliun"),
]


@pytest.mark.parametrize(("n", "words"), TERBILANG_CASES)
def test_terbilang_table(n: int, words: str) -> None:
    assert terbilang(n) == words


@pytest.mark.parametrize("bad", [-1, -100, bahasa.MAX_TERBILANG + 1])
def test_terbilang_rejects_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        terbilang(bad)


@pytest.mark.parametrize("bad", [1.5, "12", True, None])
def test_terbilang_rejects_non_integers(bad: object) -> None:
    with pytest.raises(ValueError):
        terbilang(bad)  # type: ignore[arg-type]


def test_terbilang_is_injective_and_tidy_up_to_9999() -> None:
    seen: dict[str, int] = {}
    for n in range(10_000):
        words = terbilang(n)
        assert words not in seen, f"{n} and {seen[words]} both read {words!r}"
        seen[words] = n
        assert "  " not in words
        assert words == words.strip()
        assert words.islower()
        # "satu ratus" / "satu ribu" are never said: the prefix se- replaces them.
        assert "satu ratus" not in words and "satu ribu" not in words
        assert "satu puluh" not in words and "satu belas" not in words
        assert ("nol" in words) == (n == 0)


@given(st.integers(min_value=0, max_value=bahasa.MAX_TERBILANG))
def test_terbilang_never_has_double_spaces(n: int) -> None:
    words = terbilang(n)
    assert "  " not in words and words == words.strip() and words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (12, "twelve"),
        (21, "twenty-one"),
        (105, "one hundred five"),
        (2005, "two thousand five"),
        (1_000_000, "one million"),
    ],
)
def test_number_words_english(n: int, words: str) -> None:
    assert number_words(n, "en") == words
    assert number_words(n, "id") == terbilang(n)


@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("012", "nol satu dua"),
        ("0", "nol"),
        ("9876543210", "sembilan delapan tujuh enam lima empat tiga dua satu nol"),
    ],
)
def test_digits_in_words(digits: str, words: str) -> None:
    assert digits_in_words(digits) == words


def test_digits_in_words_english_and_errors() -> None:
    assert digits_in_words("012", "en") == "zero one two"
    for bad in ("", "1a", "-1", "1 2"):
        with pytest.raises(ValueError):
            digits_in_words(bad)


@pytest.mark.parametrize(
    ("ch", "default", "spelled"),
    [
        ("A", "A", "a"),
        ("b", "B", "be"),
        ("C", "C", "ce"),
        ("Q", "Q", "ki"),
        ("Z", "Z", "zet"),
        ("7", "tujuh", "tujuh"),
    ],
)
def test_letter_name(ch: str, default: str, spelled: str) -> None:
    assert letter_name(ch) == default
    assert letter_name(ch, spelled=True) == spelled


@pytest.mark.parametrize("bad", ["", "AB", "-", "é"])
def test_letter_name_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        letter_name(bad)


@pytest.mark.parametrize(
    ("number", "style", "lang", "spoken"),
    [
        ("A-012", "words", "id", "A dua belas"),
        ("A-012", "digits", "id", "A nol satu dua"),
        ("B-100", "words", "id", "B seratus"),
        ("C-001", "words", "id", "C satu"),
        ("AB-1005", "words", "id", "A B seribu lima"),
        ("A-012", "words", "en", "A twelve"),
    ],
)
def test_ticket_number_words(number: str, style: str, lang: str, spoken: str) -> None:
    assert ticket_number_words(number, style, lang) == spoken  # type: ignore[arg-type]


def test_ticket_number_words_spelled_and_errors() -> None:
    assert ticket_number_words("B-002", spelled=True) == "be dua"
    for bad in ("A012", "-012", "A-", "A-01x"):
        with pytest.raises(ValueError):
            ticket_number_words(bad)


def test_catalogues_are_complete() -> None:
    for lang in ("id", "en"):
        assert len(DAY_NAMES[lang]) == 7 and len(set(DAY_NAMES[lang])) == 7
        assert len(MONTH_NAMES[lang]) == 12 and len(set(MONTH_NAMES[lang])) == 12
    assert DAY_NAMES["id"][0] == "Senin" and DAY_NAMES["id"][6] == "Minggu"
    assert MONTH_NAMES["id"][7] == "Agustus"


def test_long_date_every_weekday() -> None:
    # 23 November 2026 is a Monday.
    expected = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
    for offset, day in enumerate(expected):
        d = date(2026, 11, 23) + timedelta(days=offset)
        assert long_date(d) == f"{day}, {d.day} November 2026"
    assert long_date(date(2026, 11, 28)) == "Sabtu, 28 November 2026"
    assert long_date(date(2026, 11, 28), "en") == "Saturday, 28 November 2026"
    assert long_date(date(2027, 1, 1)) == "Jumat, 1 Januari 2027"


def test_times() -> None:
    moment = datetime(2026, 11, 28, 8, 15, 7)
    assert clock(moment) == "08.15"
    assert clock(moment, "en") == "08:15"
    assert clock(moment, seconds=True) == "08.15.07"
    assert long_datetime(moment) == "Sabtu, 28 November 2026 08.15"
    assert long_datetime(moment, "en") == "Saturday, 28 November 2026 08:15"
    assert hour_range(8) == "08.00–09.00"
    assert hour_range(23) == "23.00–24.00"
    assert hour_range(0, "en") == "00:00–01:00"
    for bad in (-1, 24):
        with pytest.raises(ValueError):
            hour_range(bad)
    with pytest.raises(ValueError):
        long_date(date(2026, 1, 1), "fr")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "lang", "phrase"),
    [
        (900, "id", "± 15 menit"),
        (929, "id", "± 15 menit"),
        (931, "id", "± 16 menit"),
        (0, "id", "± 1 menit"),
        (20, "id", "± 1 menit"),
        (3540, "id", "± 59 menit"),
        (3600, "id", "± 1 jam"),
        (5400, "id", "± 1 jam 30 menit"),  # not "± 90 menit"
        (5580, "id", "± 1 jam 35 menit"),  # 93 minutes: past an hour, to five minutes
        (7300, "id", "± 2 jam"),
        (None, "id", "-"),
        (900, "en", "about 15 minutes"),
        (60, "en", "about 1 minute"),
        (5400, "en", "about 1 hour 30 minutes"),
        (7200, "en", "about 2 hours"),
    ],
)
def test_duration_minutes_phrase(seconds: float | None, lang: str, phrase: str) -> None:
    assert duration_minutes_phrase(seconds, lang) == phrase  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "ahead", "lang", "phrase"),
    [
        (60, 0, "id", "Segera dilayani"),  # not "± 1 menit" with nobody ahead
        (60, 0, "en", "Any moment now"),
        (None, 0, "id", None),  # no counter serving: no promise at all
        (None, 3, "id", None),
        (60, 2, "id", "± 1 menit"),
        (5400, 12, "id", "± 1 jam 30 menit"),
        (900, None, "en", "about 15 minutes"),
    ],
)
def test_wait_phrase_is_what_ticket_and_phone_say(
    seconds: float | None, ahead: int | None, lang: str, phrase: str | None
) -> None:
    assert wait_phrase(seconds, ahead, lang) == phrase  # type: ignore[arg-type]


def test_duration_rejects_negative() -> None:
    with pytest.raises(ValueError):
        duration_minutes_phrase(-1)
