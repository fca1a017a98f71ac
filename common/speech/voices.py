"""Voices: turn a `Phrase` into sound. One interface, two adapters, chosen by config.

- `EspeakVoice`: pyttsx3 driving espeak-ng's Indonesian voice, offline. Each piece of a
  phrase is synthesised once and kept, so the parts that never change ("Nomor antrian",
  "silakan menuju", the counter names) cost nothing after start-up.
- `VoicePack`: a folder of recorded WAV clips, one per word or fixed phrase
  (`nomor_antrian.wav`, `a.wav`, `dua.wav`, `belas.wav`, `loket.wav`, ...), joined in
  the phrase's order. See docs/display.md for the list of clips.

A voice is used from one thread only (the announcer's): pyttsx3 is not thread-safe.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from common.adapters import Registry
from common.config import Table, setting
from common.speech.audio import Pcm, join, read_wav, silence, trim
from common.speech.phrase import GAP_S, Phrase, Piece

log = logging.getLogger(__name__)

#: Silence between the clips of one piece ("dua" + "belas"): words of one breath.
WORD_GAP_S = 0.04


class VoiceError(Exception):
    """The voice cannot say something; the message is for the technician's log."""


class Voice(Protocol):
    rate: int
    channels: int

    def speak(self, phrase: Phrase) -> Pcm:
        """The whole phrase as audio; VoiceError if it cannot be said."""
        ...

    def prepare(self, pieces: Iterable[Piece]) -> None:
        """Get ready to say these pieces quickly (synthesise or load them now)."""
        ...


def _assemble(parts: list[tuple[Piece, Pcm]], rate: int, channels: int) -> Pcm:
    """Pieces in order, each after its pause (or the ordinary gap between pieces)."""
    if not parts:
        raise VoiceError("empty phrase")
    audio = parts[0][1]
    for piece, pcm in parts[1:]:
        audio = audio + silence(rate, channels, piece.pause_before_s or GAP_S) + pcm
    return audio


class EspeakVoice:
    """pyttsx3 + espeak-ng, synthesising to WAV one piece per engine call.

    pyttsx3 2.99's espeak driver synthesises only the last utterance queued before
    `runAndWait()`, so every piece is its own `save_to_file` + `runAndWait`; it also
    sometimes writes an empty file, which is retried.
    """

    rate = 22050  # what pyttsx3's espeak driver writes
    channels = 1

    def __init__(
        self, voice: str = "id", words_per_minute: int = 150, cache_size: int = 512
    ) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute
        self._cache: OrderedDict[str, Pcm] = OrderedDict()
        self._cache_size = cache_size
        self._engine: Any = None
        self._dir = tempfile.mkdtemp(prefix="antrian-voice-")
        weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)

    def _engine_ready(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3
            except ImportError as exc:  # pragma: no cover - a broken install
                raise VoiceError(f"pyttsx3 is not installed: {exc}") from exc
            try:
                engine = pyttsx3.init("espeak")
                known = engine.getProperty("voices")
            except (RuntimeError, ValueError, OSError) as exc:
                raise VoiceError(
                    f"espeak-ng cannot start ({exc}); install espeak-ng and libespeak-ng1"
                ) from exc
            # pyttsx3 applies properties lazily and falls back to English on an unknown
            # voice without a word, so check the name against espeak-ng's own list first.
            names = {
                n for v in known for n in (v.id, v.id.rsplit("/", 1)[-1], *(v.languages or []))
            }
            if self.voice not in names:
                raise VoiceError(
                    f"espeak-ng voice {self.voice!r} is not available; "
                    '`espeak-ng --voices` lists them (Indonesian is "id")'
                )
            self._engine = engine
        return self._engine

    def synthesise(self, text: str) -> Pcm:
        """One utterance, uncached and untrimmed."""
        engine = self._engine_ready()
        path = os.path.join(self._dir, "piece.wav")
        for _attempt in range(3):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            # The driver prints "Audio saved to ..." for every file; keep it out of the log.
            with contextlib.redirect_stdout(io.StringIO()):
                # pyttsx3 shares one engine per process: set our voice every time.
                engine.setProperty("voice", self.voice)
                engine.setProperty("rate", self.words_per_minute)
                engine.save_to_file(text, path)
                engine.runAndWait()
            try:
                pcm = read_wav(Path(path))
            except (FileNotFoundError, EOFError, ValueError):
                continue
            if pcm.frames:
                return pcm
        raise VoiceError(f"espeak-ng produced no audio for {text!r}")

    def piece(self, text: str) -> Pcm:
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        pcm = trim(self.synthesise(text))
        self._cache[text] = pcm
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return pcm

    def prepare(self, pieces: Iterable[Piece]) -> None:
        for piece in pieces:
            self.piece(piece.text)

    def speak(self, phrase: Phrase) -> Pcm:
        return _assemble([(p, self.piece(p.text)) for p in phrase.pieces], self.rate, 1)


class VoicePack:
    """Recorded clips in a folder, `{clip}.wav`, all 16-bit PCM of one rate and layout."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise VoiceError(f"voice pack folder {directory} does not exist")
        self.directory = directory
        self._clips: dict[str, Pcm] = {}
        first = next(iter(sorted(directory.glob("*.wav"))), None)
        if first is None:
            raise VoiceError(f"voice pack folder {directory} has no .wav clips")
        sample = self._load_file(first)
        self.rate = sample.rate
        self.channels = sample.channels

    def _load_file(self, path: Path) -> Pcm:
        try:
            return trim(read_wav(path))
        except (OSError, EOFError, ValueError) as exc:
            raise VoiceError(f"voice pack clip {path} cannot be read: {exc}") from exc

    def clip(self, name: str) -> Pcm:
        found = self._clips.get(name)
        if found is None:
            path = self.directory / f"{name}.wav"
            if not path.exists():
                raise VoiceError(f"voice pack {self.directory} has no clip {name}.wav")
            found = self._load_file(path)
            if (found.rate, found.channels) != (self.rate, self.channels):
                raise VoiceError(
                    f"{path}: {found.rate} Hz/{found.channels} ch, but the pack is "
                    f"{self.rate} Hz/{self.channels} ch; convert it (e.g. with sox)"
                )
            self._clips[name] = found
        return found

    def missing(self, clips: Iterable[str]) -> list[str]:
        """Clip names the pack does not have, for a warning at start-up."""
        return sorted({c for c in clips if not (self.directory / f"{c}.wav").exists()})

    def prepare(self, pieces: Iterable[Piece]) -> None:
        for piece in pieces:
            for name in piece.clips:
                with contextlib.suppress(VoiceError):  # reported by `missing` at start
                    self.clip(name)

    def speak(self, phrase: Phrase) -> Pcm:
        parts = [
            (piece, join([self.clip(name) for name in piece.clips], WORD_GAP_S))
            for piece in phrase.pieces
        ]
        return _assemble(parts, self.rate, self.channels)


# --- `[voice] engine`: which voice, read from a node's `[voice]` table -------------------


@dataclass(frozen=True)
class EspeakConfig:
    language: str = "id"  # of [voice]
    espeak_voice: str | None = None  # None: the language's voice
    rate: int = setting(150, min=60, max=400)  # words per minute

    def open(self) -> Voice:
        return EspeakVoice(self.espeak_voice or self.language, self.rate)


@dataclass(frozen=True)
class PackConfig:
    pack_dir: Path | None = None

    def check(self, table: Table) -> None:
        if self.pack_dir is None or not self.pack_dir.is_dir():
            raise table.error(
                "pack_dir", f'must be an existing folder when engine = "pack" ({self.pack_dir})'
            )

    def open(self) -> Voice:
        assert self.pack_dir is not None  # check() saw to it
        return VoicePack(self.pack_dir)


VOICES: Final = Registry[Voice](default="espeak", key="engine")
VOICES.register("espeak", EspeakConfig)
VOICES.register("pack", PackConfig)
