"""What the announcer says: templates, number styles, clip names for voice packs."""

from __future__ import annotations

import pytest

from common.speech.phrase import (
    NUMBER_CLIPS,
    PAUSE_S,
    TEMPLATES,
    build_phrase,
    check_template,
    clip_name,
    required_clips,
    spoken_name,
)


def test_default_indonesian_phrase() -> None:
    phrase = build_phrase(TEMPLATES["id"], number="A-012", counter_name="Loket 3")
    assert phrase.text == "Nomor antrian A dua belas, silakan menuju loket tiga"
    assert [p.text for p in phrase.pieces] == [
        "Nomor antrian",
        "A dua belas",
        "silakan menuju",
        "loket tiga",
    ]
    assert [p.kind for p in phrase.pieces] == ["text", "number", "text", "counter"]
    assert phrase.clips == ("nomor_antrian", "a", "dua", "belas", "silakan_menuju", "loket", "tiga")
    # The comma in the template becomes a pause before "silakan menuju".
    assert [p.pause_before_s for p in phrase.pieces] == [0.0, 0.0, PAUSE_S, 0.0]


@pytest.mark.parametrize(
    ("number", "style", "spoken", "clips"),
    [
        ("A-012", "digits", "A nol satu dua", ("a", "nol", "satu", "dua")),
        ("B-100", "words", "B seratus", ("b", "seratus")),
        ("C-1005", "words", "C seribu lima", ("c", "seribu", "lima")),
        ("AB-011", "words", "A B sebelas", ("a", "b", "sebelas")),
        (
            "Q-999",
            "words",
            "Q sembilan ratus sembilan puluh sembilan",
            ("q", "sembilan", "ratus", "sembilan", "puluh", "sembilan"),
        ),
    ],
)
def test_number_styles(number: str, style: str, spoken: str, clips: tuple[str, ...]) -> None:
    phrase = build_phrase("{number}", number=number, counter_name="1", style=style)  # type: ignore[arg-type]
    assert phrase.text == spoken
    assert phrase.clips == clips


def test_english_template() -> None:
    phrase = build_phrase(TEMPLATES["en"], number="B-021", counter_name="Counter 2", lang="en")
    assert phrase.text == "Number B twenty-one, please go to counter two"
    assert phrase.clips == ("number", "b", "twenty", "one", "please_go_to", "counter", "two")


def test_custom_template_with_service() -> None:
    phrase = build_phrase(
        "Panggilan untuk {service}. Nomor {number}, ke {counter}.",
        number="C-007",
        counter_name="Teller B",
        service_name="Akta Kelahiran",
    )
    assert phrase.text == "Panggilan untuk Akta Kelahiran. Nomor C tujuh, ke teller B."
    assert phrase.clips == (
        "panggilan_untuk",
        "akta_kelahiran",
        "nomor",
        "c",
        "tujuh",
        "ke",
        "teller",
        "b",
    )


@pytest.mark.parametrize(
    ("name", "said", "clips"),
    [
        ("Loket 3", "loket tiga", ("loket", "tiga")),
        ("Loket 12", "loket dua belas", ("loket", "dua", "belas")),
        ("Loket 3A", "loket tiga A", ("loket", "tiga", "a")),
        ("Meja Prioritas", "meja prioritas", ("meja", "prioritas")),
    ],
)
def test_counter_names_are_said_in_words(name: str, said: str, clips: tuple[str, ...]) -> None:
    assert spoken_name(name) == (said, clips)


@pytest.mark.parametrize(
    "template",
    ["Silakan ke {counter}", "Nomor {nomor}", "Nomor {number", "Nomor {number} {0}"],
)
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError):
        check_template(template)


def test_good_templates_pass() -> None:
    for template in (*TEMPLATES.values(), "{number} {service} {counter}"):
        check_template(template)


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        build_phrase(TEMPLATES["id"], number="A012", counter_name="Loket 1")


def test_clip_names() -> None:
    assert clip_name("Nomor antrian") == "nomor_antrian"
    assert clip_name(", silakan  menuju!") == "silakan_menuju"


def test_required_clips_cover_every_number() -> None:
    clips = set(required_clips(TEMPLATES["id"], ["Loket 1", "Loket 12"], ["A", "B"]))
    assert {"nomor_antrian", "silakan_menuju", "loket", "a", "b"} <= clips
    for n in range(1, 10_000):
        phrase = build_phrase(TEMPLATES["id"], number=f"A-{n:03d}", counter_name="Loket 12")
        assert set(phrase.clips) <= clips, n
    assert set(NUMBER_CLIPS["id"]) <= clips
