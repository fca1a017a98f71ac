"""What the announcer says for a call, built from a template: pure, no voice, no clock.

A template is ordinary text with three placeholders:

    "Nomor antrian {number}, silakan menuju {counter}"

`{number}` is the ticket number read aloud ("A dua belas", or digit by digit: "A nol satu
dua"), `{counter}` the counter's name with its digits in words ("loket tiga"),
`{service}` the service's name. The result is a `Phrase`: the sentence as text (for the log
and for a synthetic voice) cut into `Piece`s, each naming the recorded clips that say it
(for a voice pack, and so a synthetic voice can cache the parts that never change).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Final

from common.bahasa import (
    Lang,
    NumberStyle,
    digits_in_words,
    letter_name,
    number_words,
    ticket_number_words,
)

TEMPLATES: Final[dict[str, str]] = {
    "id": "Nomor antrian {number}, silakan menuju {counter}",
    "en": "Number {number}, please go to {counter}",
}
FIELDS: Final = ("number", "counter", "service")
#: Silence between pieces, longer where the template has a comma or full stop.
GAP_S: Final = 0.12
PAUSE_S: Final = 0.3

_TOKEN = re.compile(r"\d+|[^\W\d_]+", re.UNICODE)


def clip_name(text: str) -> str:
    """The file name (without .wav) of the clip that says `text`: "Nomor antrian" ->
    "nomor_antrian"."""
    return "_".join(_TOKEN.findall(text.lower()))


@dataclass(frozen=True)
class Piece:
    """Part of a phrase: the words, the clips that say them, the pause before it."""

    text: str
    clips: tuple[str, ...]
    pause_before_s: float = 0.0
    #: "text" for the template's own words (the same in every call), else the placeholder.
    kind: str = "text"


@dataclass(frozen=True)
class Phrase:
    text: str
    pieces: tuple[Piece, ...]

    @property
    def clips(self) -> tuple[str, ...]:
        return tuple(clip for piece in self.pieces for clip in piece.clips)


def check_template(template: str) -> None:
    """ValueError naming the problem if `template` cannot be used."""
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ValueError(f"template is not valid ({exc})") from None
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{unknown[0]}}} (use {{number}}, {{counter}}, {{service}})"
        )
    if "number" not in fields:
        raise ValueError("template must contain {number}")


def spoken_name(name: str, lang: Lang = "id") -> tuple[str, tuple[str, ...]]:
    """A counter name as said: "Loket 3" -> ("loket tiga", ("loket", "tiga"))."""
    words: list[str] = []
    clips: list[str] = []
    for token in _TOKEN.findall(name):
        if token.isdigit():
            said = number_words(int(token), lang)
            words.append(said)
            clips += said.replace("-", " ").split()
        elif len(token) == 1:
            words.append(letter_name(token))
            clips.append(token.lower())
        else:
            words.append(token.lower())
            clips.append(token.lower())
    return " ".join(words), tuple(clips)


def spoken_number(
    number: str, style: NumberStyle = "words", lang: Lang = "id"
) -> tuple[str, tuple[str, ...]]:
    """A ticket number as said: "A-012" -> ("A dua belas", ("a", "dua", "belas"))."""
    text = ticket_number_words(number, style, lang)
    prefix, _, digits = number.partition("-")
    said = number_words(int(digits), lang) if style == "words" else digits_in_words(digits, lang)
    clips = (*(ch.lower() for ch in prefix), *said.replace("-", " ").split())
    return text, clips


def build_phrase(
    template: str,
    *,
    number: str,
    counter_name: str,
    service_name: str = "",
    style: NumberStyle = "words",
    lang: Lang = "id",
) -> Phrase:
    """The announcement for one call. ValueError for a number that is not `{prefix}-{nnn}`."""
    values = {
        "number": spoken_number(number, style, lang),
        "counter": spoken_name(counter_name, lang),
        "service": (service_name, (clip_name(service_name),) if service_name else ()),
    }
    pieces: list[Piece] = []
    text_parts: list[str] = []
    pause = 0.0
    for literal, field_name, _, _ in string.Formatter().parse(template):
        text_parts.append(literal)
        words = literal.strip(" \t,.;:!?")
        if any(mark in literal for mark in ",.;:!?"):
            pause = PAUSE_S
        if words:
            pieces.append(Piece(words, (clip_name(words),), pause if pieces else 0.0))
            pause = 0.0
        if field_name is None:
            continue
        said, clips = values[field_name]
        text_parts.append(said)
        if said:
            pieces.append(Piece(said, clips, pause if pieces else 0.0, field_name))
            pause = 0.0
    return Phrase(" ".join("".join(text_parts).split()), tuple(pieces))


#: Every word a number from 0 to 9,999 can need, in each language's voice pack.
NUMBER_CLIPS: Final[dict[str, tuple[str, ...]]] = {
    "id": (
        "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
        "sembilan", "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu",
        "ribu",
    ),
    "en": (
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
        "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
        "seventy", "eighty", "ninety", "hundred", "thousand",
    ),
}  # fmt: skip


def required_clips(
    template: str, counter_names: list[str], prefixes: list[str], lang: Lang = "id"
) -> list[str]:
    """Every clip a voice pack needs to announce any ticket of these services at these
    counters: the template's own words, the counters' names, the prefix letters and the
    number words."""
    clips: list[str] = []
    for literal, _, _, _ in string.Formatter().parse(template):
        words = literal.strip(" \t,.;:!?")
        if words:
            clips.append(clip_name(words))
    for name in counter_names:
        clips += spoken_name(name, lang)[1]
    for prefix in prefixes:
        clips += [ch.lower() for ch in prefix]
    clips += NUMBER_CLIPS[lang]
    return list(dict.fromkeys(clips))
