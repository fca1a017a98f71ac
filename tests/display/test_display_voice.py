"""Sound: the generated chime, WAV handling, espeak-ng's Indonesian voice, voice packs."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import pytest

from common.speech.audio import Pcm, chime, join, read_wav, silence, trim
from common.speech.phrase import GAP_S, PAUSE_S, TEMPLATES, build_phrase
from common.speech.voices import WORD_GAP_S, EspeakVoice, VoiceError, VoicePack
from nodes.display import voicepack

RATE = 16000


def tone(freq: float, seconds: float, rate: int = RATE, channels: int = 1) -> Pcm:
    samples = array(
        "h",
        (
            int(12000 * math.sin(2 * math.pi * freq * i / rate))
            for i in range(round(seconds * rate))
            for _ in range(channels)
        ),
    )
    return Pcm(rate, channels, samples.tobytes())


def test_chime_is_generated_deterministic_and_audible() -> None:
    first = chime(22050)
    assert first == chime(22050)
    assert 1.0 <= first.duration_s <= 2.0
    assert first.rms() > 2000
    assert max(abs(v) for v in first.samples()) <= 32767
    stereo = chime(44100, channels=2)
    assert stereo.channels == 2 and abs(stereo.duration_s - first.duration_s) < 0.01


def test_wav_round_trip(tmp_path: Path) -> None:
    sound = tone(440, 0.5)
    path = tmp_path / "t.wav"
    path.write_bytes(sound.to_wav())
    assert read_wav(path) == sound
    assert read_wav(sound.to_wav()) == sound


def test_join_and_silence() -> None:
    a, b = tone(440, 0.2), tone(660, 0.3)
    joined = join([a, b], 0.1)
    assert joined.duration_s == pytest.approx(0.6, abs=0.001)
    assert joined.frames == a.frames + silence(RATE, 1, 0.1).frames + b.frames
    assert silence(RATE, 1, 1.0).rms() == 0
    with pytest.raises(ValueError):
        _ = a + tone(440, 0.1, rate=22050)


def test_trim_cuts_leading_and_trailing_silence() -> None:
    padded = silence(RATE, 1, 0.5) + tone(440, 0.3) + silence(RATE, 1, 0.7)
    trimmed = trim(padded, keep_s=0.02)
    assert trimmed.duration_s == pytest.approx(0.34, abs=0.01)
    assert trim(silence(RATE, 1, 0.2)) == silence(RATE, 1, 0.2)  # nothing loud: unchanged


def test_espeak_indonesian_announcement_is_2_to_8_seconds_and_not_silent(tmp_path: Path) -> None:
    voice = EspeakVoice("id")
    phrase = build_phrase(TEMPLATES["id"], number="A-012", counter_name="Loket 3")
    speech = voice.speak(phrase)
    (tmp_path / "a012.wav").write_bytes(speech.to_wav())
    assert speech.rate == 22050 and speech.channels == 1
    assert 2.0 <= speech.duration_s <= 8.0
    assert speech.rms() > 500
    # Pieces are cached: the next call reuses every piece but the number.
    again = voice.speak(build_phrase(TEMPLATES["id"], number="A-013", counter_name="Loket 3"))
    assert 2.0 <= again.duration_s <= 8.0
    assert set(voice._cache) >= {"Nomor antrian", "silakan menuju", "loket tiga", "A tiga belas"}


def test_espeak_each_piece_is_its_own_file() -> None:
    # pyttsx3 2.99 keeps only the last utterance of a batch; one engine call per piece.
    voice = EspeakVoice("id")
    short, long = voice.synthesise("satu"), voice.synthesise("satu dua tiga empat lima enam")
    assert 0.2 < short.duration_s < long.duration_s
    assert short.rms() > 500


def test_unknown_espeak_voice_is_a_clear_error() -> None:
    with pytest.raises(VoiceError, match="not available"):
        EspeakVoice("xx-nonexistent").synthesise("satu")


def make_pack(directory: Path, names: list[str]) -> dict[str, Pcm]:
    """A pack of distinct tones, one per clip, so the order can be read back."""
    directory.mkdir()
    clips = {}
    for index, name in enumerate(names):
        clip = tone(300 + 40 * index, 0.1 + 0.01 * index)
        (directory / f"{name}.wav").write_bytes(clip.to_wav())
        clips[name] = clip
    return clips


def test_voice_pack_assembles_the_right_clips_in_order(tmp_path: Path) -> None:
    names = ["nomor_antrian", "a", "dua", "belas", "silakan_menuju", "loket", "tiga", "satu"]
    clips = make_pack(tmp_path / "pack", names)
    pack = VoicePack(tmp_path / "pack")
    phrase = build_phrase(TEMPLATES["id"], number="A-012", counter_name="Loket 3")
    audio = pack.speak(phrase)

    def t(name: str) -> Pcm:
        return trim(clips[name])

    gap, word, pause = (silence(RATE, 1, s) for s in (GAP_S, WORD_GAP_S, PAUSE_S))
    expected = (
        t("nomor_antrian") + gap
        + t("a") + word + t("dua") + word + t("belas") + pause
        + t("silakan_menuju") + gap
        + t("loket") + word + t("tiga")
    )  # fmt: skip
    assert audio == expected
    assert pack.missing(["a", "dua", "lima"]) == ["lima"]


def test_voice_pack_missing_clip_and_bad_format(tmp_path: Path) -> None:
    make_pack(tmp_path / "pack", ["nomor_antrian", "a"])
    pack = VoicePack(tmp_path / "pack")
    with pytest.raises(VoiceError, match=r"dua\.wav"):
        pack.speak(build_phrase("{number}", number="A-002", counter_name="1"))
    (tmp_path / "pack" / "dua.wav").write_bytes(tone(440, 0.1, rate=44100).to_wav())
    with pytest.raises(VoiceError, match="44100 Hz"):
        pack.clip("dua")
    with pytest.raises(VoiceError, match="does not exist"):
        VoicePack(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VoiceError, match=r"no \.wav"):
        VoicePack(tmp_path / "empty")


def test_a_pack_prefilled_by_espeak_says_any_number(tmp_path: Path, capsys) -> None:
    pack_dir = tmp_path / "pack"
    args = [str(pack_dir), "--counters", "Loket 1", "Loket 12", "--prefixes", "A", "B"]
    assert voicepack.main([*args, "--espeak"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["nomor_antrian.wav", "espeak", "nomor", "antrian"]
    pack = VoicePack(pack_dir)
    for number in ("A-012", "B-999", "A-1005"):
        phrase = build_phrase(TEMPLATES["id"], number=number, counter_name="Loket 12")
        speech = pack.speak(phrase)
        assert 2.0 <= speech.duration_s <= 10.0 and speech.rms() > 500
    # Listing again reports every clip present and writes nothing.
    assert voicepack.main(args) == 0
    assert all(" present " in line for line in capsys.readouterr().out.splitlines())


def test_espeak_english_catalogue_and_voices_side_by_side() -> None:
    english, indonesian = EspeakVoice("en"), EspeakVoice("id")
    phrase = build_phrase(TEMPLATES["en"], number="B-021", counter_name="Counter 2", lang="en")
    speech = english.speak(phrase)
    assert 2.0 <= speech.duration_s <= 8.0 and speech.rms() > 500
    # pyttsx3 has one engine per process; each voice still speaks in its own language.
    indonesian.synthesise("dua belas")
    assert indonesian._engine.getProperty("voice") == "poz/id"
    english.synthesise("twelve")
    assert english._engine.getProperty("voice") == "gmw/en"
