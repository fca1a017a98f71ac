"""Indonesian language helpers: numbers in words, dates, times and durations.

Everything here is pure: no clock, no locale settings (the Pi's locale is whatever the image
happens to have, and `strftime("%A")` would follow it). Citizen-facing text is Indonesian
by default; each function that produces words takes `lang="id"|"en"`.

    >>> terbilang(2005)
    'dua ribu lima'
    >>> clock(datetime(2026, 11, 28, 8, 15))
    '08.15'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Final, Literal

Lang = Literal["id", "en"]
LANGS: Final = ("id", "en")


def catalogue(entries: Mapping[str, str | tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Per-language word lists from one table of key: (Indonesian, English), so that a
    translation stands beside its original and neither language can miss a key. A plain
    string is the same in both languages."""
    pairs = {key: (text, text) if isinstance(text, str) else text for key, text in entries.items()}
    return {"id": {k: v[0] for k, v in pairs.items()}, "en": {k: v[1] for k, v in pairs.items()}}


_ONES_ID: Final = (
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
)  # fmt: skip
#: Scales above a thousand, each 1000 times the previous. "seribu" is the only scale with
#: the "se-" prefix for one; a million is "satu juta" in announcements and official text.
_SCALES_ID: Final = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"))
#: The largest number `terbilang` accepts (just under a quadrillion).
MAX_TERBILANG: Final = 10**15 - 1


def _below_thousand_id(n: int) -> list[str]:
    """Words for 1..999 (empty list for 0, which only stands alone as "nol")."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [_ONES_ID[hundreds], "ratus"]
    tens, ones = divmod(rest, 10)
    if tens == 1:
        if ones == 0:
            words.append("sepuluh")
        elif ones == 1:
            words.append("sebelas")
        else:
            words += [_ONES_ID[ones], "belas"]
        return words
    if tens > 1:
        words += [_ONES_ID[tens], "puluh"]
    if ones:
        words.append(_ONES_ID[ones])
    return words


def terbilang(n: int) -> str:
    """An integer in Indonesian words: 12 -> "dua belas", 1005 -> "seribu lima".

    Accepts 0 to `MAX_TERBILANG`; ValueError for negatives, larger numbers and non-ints.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise ValueError(f"terbilang needs an int, not {n!r}")
    if n < 0:
        raise ValueError(f"terbilang takes non-negative numbers, not {n}")
    if n > MAX_TERBILANG:
        raise ValueError(f"terbilang takes numbers up to {MAX_TERBILANG}, not {n}")
    if n == 0:
        return "nol"
    words: list[str] = []
    for scale, name in _SCALES_ID:
        count, n = divmod(n, scale)
        if count:
            words += [*_below_thousand_id(count), name]
    thousands, n = divmod(n, 1000)
    if thousands == 1:
        words.append("seribu")
    elif thousands > 1:
        words += [*_below_thousand_id(thousands), "ribu"]
    words += _below_thousand_id(n)
    return " ".join(words)


_ONES_EN: Final = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_TENS_EN: Final = (
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)  # fmt: skip
_SCALES_EN: Final = (
    (10**12, "trillion"),
    (10**9, "billion"),
    (10**6, "million"),
    (1000, "thousand"),
)


def _below_thousand_en(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES_EN[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS_EN[tens] + (f"-{_ONES_EN[ones]}" if ones else ""))
    elif rest:
        words.append(_ONES_EN[rest])
    return words


def number_words(n: int, lang: Lang = "id") -> str:
    """`terbilang` in either catalogue: 12 -> "dua belas" (id) or "twelve" (en)."""
    if lang == "id":
        return terbilang(n)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > MAX_TERBILANG:
        raise ValueError(f"number_words takes 0..{MAX_TERBILANG}, not {n!r}")
    if n == 0:
        return "zero"
    words: list[str] = []
    for scale, name in _SCALES_EN:
        count, n = divmod(n, scale)
        if count:
            words += [*_below_thousand_en(count), name]
    words += _below_thousand_en(n)
    return " ".join(words)


def digits_in_words(digits: str, lang: Lang = "id") -> str:
    """Each digit as a word: "012" -> "nol satu dua". ValueError on anything but 0-9."""
    if not digits or not all("0" <= ch <= "9" for ch in digits):
        raise ValueError(f"digits_in_words takes a string of digits, not {digits!r}")
    names = _ONES_ID if lang == "id" else _ONES_EN
    return " ".join(names[int(ch)] for ch in digits)


#: How the Indonesian alphabet is spoken, for voices that would otherwise read a lone
#: letter as a word ("A" as the article "a" in English voices) and for voice-pack clip
#: names. espeak-ng's Indonesian voice already says single capitals correctly.
LETTER_SPELLING_ID: Final[dict[str, str]] = {
    "A": "a", "B": "be", "C": "ce", "D": "de", "E": "e", "F": "ef", "G": "ge",
    "H": "ha", "I": "i", "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en",
    "O": "o", "P": "pe", "Q": "ki", "R": "er", "S": "es", "T": "te", "U": "u",
    "V": "ve", "W": "we", "X": "eks", "Y": "ye", "Z": "zet",
}  # fmt: skip


def letter_name(ch: str, *, spelled: bool = False) -> str:
    """How a voice should read one queue-number letter.

    By default the capital letter itself ("a" -> "A"): espeak-ng's Indonesian voice reads a
    lone capital as its Indonesian name. With `spelled=True`, the name written out
    ("B" -> "be"), for voices that need it. Digits are returned as their word.
    """
    if len(ch) != 1:
        raise ValueError(f"letter_name takes one character, not {ch!r}")
    if ch.isdigit():
        return _ONES_ID[int(ch)]
    upper = ch.upper()
    if upper not in LETTER_SPELLING_ID:
        raise ValueError(f"not a letter of the queue alphabet: {ch!r}")
    return LETTER_SPELLING_ID[upper] if spelled else upper


NumberStyle = Literal["words", "digits"]


def ticket_number_words(
    number: str, style: NumberStyle = "words", lang: Lang = "id", *, spelled: bool = False
) -> str:
    """A ticket number as it is spoken: "A-012" -> "A dua belas" or "A nol satu dua".

    The prefix letters are read one by one (`letter_name`), the digits as one number
    ("words") or digit by digit ("digits"). ValueError for a number that is not
    `{prefix}-{digits}`.
    """
    prefix, sep, digits = number.partition("-")
    if not sep or not prefix or not digits.isdigit():
        raise ValueError(f"not a ticket number: {number!r}")
    letters = [letter_name(ch, spelled=spelled) for ch in prefix]
    spoken = number_words(int(digits), lang) if style == "words" else digits_in_words(digits, lang)
    return " ".join([*letters, spoken])


# --- dates and times ----------------------------------------------------------------------

#: Monday first, like `date.weekday()`.
DAY_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
#: January first; index with `month - 1`.
MONTH_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def _lang(lang: str) -> Lang:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (id or en)")
    return lang  # type: ignore[return-value]


def long_date(d: date, lang: Lang = "id") -> str:
    """The date as an office writes it: "Sabtu, 28 November 2026" ("Saturday, ..." in en)."""
    lang = _lang(lang)
    return f"{DAY_NAMES[lang][d.weekday()]}, {d.day} {MONTH_NAMES[lang][d.month - 1]} {d.year}"


def clock(moment: datetime, lang: Lang = "id", *, seconds: bool = False) -> str:
    """24-hour time: "08.15" (Indonesian uses a dot), "08:15" in English."""
    sep = "." if _lang(lang) == "id" else ":"
    text = f"{moment.hour:02d}{sep}{moment.minute:02d}"
    return f"{text}{sep}{moment.second:02d}" if seconds else text


def long_datetime(moment: datetime, lang: Lang = "id") -> str:
    """Date and time: "Sabtu, 28 November 2026 08.15"."""
    return f"{long_date(moment.date(), lang)} {clock(moment, lang)}"


def hour_range(hour: int, lang: Lang = "id") -> str:
    """One hour of the day as a range, for peak-hour tables: 8 -> "08.00–09.00"."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, not {hour}")
    sep = "." if _lang(lang) == "id" else ":"
    return f"{hour:02d}{sep}00–{hour + 1:02d}{sep}00"


def duration_minutes_phrase(seconds: float | None, lang: Lang = "id") -> str:
    """An estimated wait as a citizen reads it: 900 -> "± 15 menit" / "about 15 minutes".

    Rounded to the nearest minute, never below one (a wait is never "0 minutes"). From an
    hour on, hours and minutes ("± 1 jam 30 menit"), the minutes rounded to five: nobody
    reads "± 97 menit" at a glance, and a long estimate is not that precise. None (unknown)
    gives "-" so a layout never shows "None".
    """
    lang = _lang(lang)
    if seconds is None:
        return "-"
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"a duration cannot be {seconds}")
    minutes = max(1, round(seconds / 60))
    if minutes >= 60:
        hours, rest = divmod(5 * round(minutes / 5), 60)
        if lang == "id":
            return f"± {hours} jam" + (f" {rest} menit" if rest else "")
        text = f"about {hours} hour{'s' if hours != 1 else ''}"
        return text + (f" {rest} minutes" if rest else "")
    if lang == "id":
        return f"± {minutes} menit"
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


#: What a ticket with nobody ahead of it is told instead of "± 1 menit".
SERVED_NEXT: Final[dict[str, str]] = {"id": "Segera dilayani", "en": "Any moment now"}


def wait_phrase(seconds: float | None, ahead: int | None, lang: Lang = "id") -> str | None:
    """The estimated wait of one ticket, as both the printed ticket and the phone page say it.

    None when there is no estimate (no counter open with its device online): the caller
    leaves the line out rather than promise anything. With nobody ahead, "Segera dilayani"
    ("You are next") rather than "± 1 menit". Otherwise `duration_minutes_phrase`.
    """
    lang = _lang(lang)
    if seconds is None:
        return None
    if ahead == 0:
        return SERVED_NEXT[lang]
    return duration_minutes_phrase(seconds, lang)


def _minutes_number(minutes: float, lang: Lang) -> str:
    whole = round(minutes, 1)
    text = f"{whole:g}"
    return text.replace(".", ",") if lang == "id" else text


def standard_phrase(standard_minutes: float, average_s: float | None, lang: Lang = "id") -> str:
    """A service's published waiting-time standard beside today's reality, as the TV and
    the public board both say it: "Standar 15 mnt · hari ini rata-rata 12 mnt" (or "...
    hari ini belum ada" before the first call). Minutes, today's rounded, never below one."""
    lang = _lang(lang)
    standard = _minutes_number(standard_minutes, lang)
    if lang == "id":
        today = (
            "hari ini belum ada"
            if average_s is None
            else f"hari ini rata-rata {max(1, round(average_s / 60))} mnt"
        )
        return f"Standar {standard} mnt · {today}"
    today = (
        "none yet today" if average_s is None else f"today {max(1, round(average_s / 60))} min avg"
    )
    return f"Standard {standard} min · {today}"
