"""Where an announcement's sound goes: the speakers, or WAV files when there is no sound card.

`AudioOutput.play` blocks until the sound has been played (or written and, with pacing,
its duration has passed): the announcer relies on that to never overlap two calls.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

from common.adapters import Registry
from common.config import Table
from common.speech.audio import Pcm

log = logging.getLogger(__name__)

LOG_NAME = "announcements.log"


@dataclass(frozen=True)
class Announcement:
    """One call being announced: who, where, the words, and when it started."""

    number: str
    counter: str
    counter_name: str
    text: str
    started_at: datetime

    def log_line(self) -> str:
        """ "ISO time, number, counter, text": the text last, since it contains commas. The
        time to the millisecond, so the log can be checked against the hub's event log."""
        started = self.started_at.isoformat(timespec="milliseconds")
        return f"{started}, {self.number}, {self.counter}, {self.text}"


class AudioOutput(Protocol):
    def play(self, audio: Pcm, announcement: Announcement) -> None:
        """Play `audio`; return when it has finished."""
        ...

    def close(self) -> None: ...


class SpeakerOutput:
    """pygame.mixer on the default sound device (HDMI or the headphone jack)."""

    def __init__(self) -> None:
        import pygame

        self._pygame: Any = pygame
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=22050, size=-16, channels=2, buffer=1024)
        except pygame.error as exc:
            raise RuntimeError(
                f'no sound device ({exc}); set [voice] output = "file" on a Pi without speakers'
            ) from exc

    def play(self, audio: Pcm, announcement: Announcement) -> None:
        pygame = self._pygame
        sound = pygame.mixer.Sound(file=io.BytesIO(audio.to_wav()))
        channel = sound.play()
        log.info("announcing: %s", announcement.log_line())
        time.sleep(sound.get_length())
        deadline = time.monotonic() + 1.0  # the device's buffer drains after the length
        while channel is not None and channel.get_busy() and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        if self._pygame.mixer.get_init():
            self._pygame.mixer.quit()


class FileOutput:
    """Each announcement as a WAV plus one line in `announcements.log`, for headless demos.

    With `pace`, `play` waits as long as the sound would play, so timings (and the
    screen's highlight) match what a waiting room would hear.
    """

    def __init__(self, directory: Path, *, pace: bool = True) -> None:
        self.directory = directory
        self.pace = pace
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def log_path(self) -> Path:
        return self.directory / LOG_NAME

    def play(self, audio: Pcm, announcement: Announcement) -> None:
        with self._lock:
            self._sequence += 1
            stamp = announcement.started_at.strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{self._sequence:04d}-{announcement.number}.wav"
            path = self.directory / name
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(audio.to_wav())
            tmp.replace(path)  # a reader never sees half a file
            with self.log_path.open("a", encoding="utf-8") as out:
                out.write(announcement.log_line() + "\n")
        log.info("announced to %s: %s", name, announcement.log_line())
        if self.pace:
            time.sleep(audio.duration_s)

    def close(self) -> None:
        pass


# --- `[voice] output`: where the sound goes, read from a node's `[voice]` table ----------


@dataclass(frozen=True)
class SpeakerConfig:
    def open(self) -> AudioOutput:
        return SpeakerOutput()


@dataclass(frozen=True)
class FileOutputConfig:
    dir: Path | None = None
    pace: bool = True

    def check(self, table: Table) -> None:
        if self.dir is None:
            raise table.error("dir", 'is required when output = "file"')
        table.check_writable("dir", self.dir)

    def open(self) -> AudioOutput:
        assert self.dir is not None  # check() saw to it
        return FileOutput(self.dir, pace=self.pace)


OUTPUTS: Final = Registry[AudioOutput](default="speaker", key="output")
OUTPUTS.register("speaker", SpeakerConfig)
OUTPUTS.register("file", FileOutputConfig)
