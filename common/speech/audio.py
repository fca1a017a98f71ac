"""Sound as plain data: 16-bit PCM in memory, WAV in and out, and the generated chime.

Stdlib only (`array`, `wave`, `math`): numpy is not needed for a few seconds of mono audio,
and keeping it out keeps the display's install small on a Pi.
"""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian PCM: what every voice produces and every output plays."""

    rate: int
    channels: int
    frames: bytes

    @property
    def duration_s(self) -> float:
        return len(self.frames) / (2 * self.channels * self.rate)

    def __add__(self, other: Pcm) -> Pcm:
        if (other.rate, other.channels) != (self.rate, self.channels):
            raise ValueError(
                f"cannot join {other.rate} Hz/{other.channels} ch audio "
                f"to {self.rate} Hz/{self.channels} ch"
            )
        return Pcm(self.rate, self.channels, self.frames + other.frames)

    def samples(self) -> array[int]:
        values = array("h")
        values.frombytes(self.frames)
        if sys.byteorder == "big":
            values.byteswap()
        return values

    def rms(self) -> float:
        """Root mean square amplitude (0..32768): a silent file is 0."""
        values = self.samples()
        if not values:
            return 0.0
        return math.sqrt(sum(v * v for v in values) / len(values))

    def to_wav(self) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(self.channels)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(self.frames)
        return buffer.getvalue()


def silence(rate: int, channels: int, seconds: float) -> Pcm:
    return Pcm(rate, channels, bytes(2 * channels * round(rate * seconds)))


def join(parts: list[Pcm], gap_s: float = 0.0) -> Pcm:
    """Parts one after another with `gap_s` of silence between them (all one format)."""
    if not parts:
        raise ValueError("nothing to join")
    result = parts[0]
    gap = silence(result.rate, result.channels, gap_s)
    for part in parts[1:]:
        result = result + gap + part if gap_s else result + part
    return result


def read_wav(source: Path | bytes) -> Pcm:
    """A 16-bit PCM WAV file (or its bytes); ValueError for any other kind of audio."""
    handle = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    with handle, wave.open(handle, "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{source if isinstance(source, Path) else 'WAV'}: not 16-bit PCM")
        return Pcm(wav.getframerate(), wav.getnchannels(), wav.readframes(wav.getnframes()))


def chime(rate: int = 22050, channels: int = 1, volume: float = 0.5) -> Pcm:
    """The "ding-dong" before every announcement, generated so no asset can go missing.

    Two bell-like tones (a fifth apart, with a soft octave overtone) that fade out; about
    1.3 s. Deterministic: the same arguments always give the same bytes.
    """
    notes = ((784.0, 0.0, 0.65), (523.25, 0.55, 0.75))  # G5 then C5: (Hz, start s, length s)
    total = round(rate * 1.3)
    mix = [0.0] * total
    for freq, start, length in notes:
        first = round(start * rate)
        for i in range(round(length * rate)):
            if first + i >= total:
                break
            t = i / rate
            envelope = min(1.0, t / 0.005) * math.exp(-t * 4.0)  # 5 ms attack, bell decay
            tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            mix[first + i] += envelope * tone
    peak = max(abs(v) for v in mix) or 1.0
    scale = 32767 * volume / peak
    values = array("h", (int(v * scale) for v in mix for _ in range(channels)))
    if sys.byteorder == "big":
        values.byteswap()
    return Pcm(rate, channels, values.tobytes())


def trim(pcm: Pcm, threshold: int = 300, keep_s: float = 0.02) -> Pcm:
    """Cut the near-silence off both ends (keeping `keep_s`), so pieces join evenly.

    Synthetic voices pad every utterance and recordings start late; without this the gaps
    between the parts of an announcement would vary with each clip.
    """
    values = pcm.samples()
    first = next((i for i, v in enumerate(values) if abs(v) > threshold), None)
    if first is None:
        return pcm
    last = next(i for i in range(len(values) - 1, -1, -1) if abs(values[i]) > threshold)
    keep = round(keep_s * pcm.rate) * pcm.channels
    start = max(0, first - keep) // pcm.channels * pcm.channels
    end = min(len(values), last + 1 + keep)
    end += (-end) % pcm.channels
    return Pcm(pcm.rate, pcm.channels, pcm.frames[start * 2 : end * 2])
