"""The announcer: once, in order, one at a time; recalls again; stale calls silent.

The voice is the real espeak-ng Indonesian voice; only the loudspeaker at the very edge
is a stand-in (`RecordingSpeaker`), which "plays" for the sound's length (sped up) and
writes down when each sound started and ended.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from common.payloads import Call
from nodes.display.announcer import Announcer, AnnouncerSettings, admit
from nodes.display.audio import Pcm, read_wav
from nodes.display.outputs import LOG_NAME, Announcement, FileOutput
from nodes.display.phrase import TEMPLATES
from nodes.display.voices import EspeakVoice, VoiceError
from tests.display.office import NOW, call
from tests.harness import wait_for


@dataclass
class Played:
    number: str
    text: str
    start: float
    end: float
    duration_s: float


class RecordingSpeaker:
    """A loudspeaker that keeps a playback log. `speed` > 1 plays faster than life."""

    def __init__(self, speed: float = 20.0) -> None:
        self.speed = speed
        self.played: list[Played] = []
        self.playing = 0
        self.max_playing = 0
        self._lock = threading.Lock()

    def play(self, audio: Pcm, announcement: Announcement) -> None:
        with self._lock:
            self.playing += 1
            self.max_playing = max(self.max_playing, self.playing)
        start = time.monotonic()
        time.sleep(audio.duration_s / self.speed)
        end = time.monotonic()
        with self._lock:
            self.playing -= 1
            self.played.append(
                Played(announcement.number, announcement.text, start, end, audio.duration_s)
            )

    def close(self) -> None:
        pass


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


SETTINGS = AnnouncerSettings(template=TEMPLATES["id"], max_age_s=60, between_s=0.01)


@pytest.fixture(scope="module")
def voice() -> EspeakVoice:
    return EspeakVoice("id")


Start = Callable[..., Announcer]


@pytest.fixture
def started() -> Iterator[Start]:
    """`started(voice, output, clock, **callbacks)`: a running announcer, stopped after the
    test whatever happened in it (its thread must not outlive the test)."""
    running: list[Announcer] = []

    def start(voice: object, output: object, clock: Clock, **kwargs: object) -> Announcer:
        announcer = Announcer(voice, output, SETTINGS, clock, **kwargs)  # type: ignore[arg-type]
        announcer.start()
        running.append(announcer)
        return announcer

    yield start
    for announcer in running:
        announcer.stop()


def test_burst_of_five_calls_is_announced_in_order_one_at_a_time(
    started: Start, voice: EspeakVoice
) -> None:
    speaker = RecordingSpeaker()
    announcer = started(voice, speaker, Clock(NOW))
    calls = [Call.from_payload(call(f"A-{n:03d}", str(1 + n % 3))) for n in range(1, 6)]
    for item in calls:
        assert announcer.submit(item) == "queued"
        time.sleep(0.005)  # five calls within ~25 ms, while the first is already playing
    assert announcer.wait_idle(30)
    announcer.stop()
    assert [p.number for p in speaker.played] == [c.number for c in calls]
    assert speaker.max_playing == 1
    for before, after in zip(speaker.played, speaker.played[1:], strict=False):
        assert before.end <= after.start  # never two at once
    # Each sound is the chime plus the sentence: several seconds at real speed.
    assert all(3.0 < p.duration_s < 10.0 for p in speaker.played)
    assert speaker.played[2].text == "Nomor antrian A tiga, silakan menuju loket satu"


def test_a_recall_is_announced_again_a_duplicate_is_not(started: Start, voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker()
    announcer = started(voice, speaker, Clock(NOW))
    first = Call.from_payload(call("B-004", "2", at=NOW))
    recall = Call.from_payload(call("B-004", "2", at=NOW + timedelta(seconds=20), recall=1))
    assert announcer.submit(first) == "queued"
    assert announcer.submit(first) == "duplicate"  # QoS 1 redelivery
    assert announcer.submit(recall) == "queued"
    assert announcer.wait_idle(30)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["B-004", "B-004"]


def test_a_stale_call_is_not_spoken(started: Start, voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker()
    clock = Clock(NOW)
    announcer = started(voice, speaker, clock)
    old = Call.from_payload(call("C-001", "3", at=NOW - timedelta(minutes=5)))
    fresh = Call.from_payload(call("C-002", "3", at=NOW - timedelta(seconds=5)))
    assert announcer.submit(old) == "stale"
    assert announcer.submit(fresh) == "queued"
    assert announcer.wait_idle(30)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["C-002"]


def test_stop_ends_the_worker_and_drops_the_calls_still_waiting(
    voice: EspeakVoice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "nodes.display.announcer")
    speaker = RecordingSpeaker(speed=1.0)  # at real speed, each call takes seconds
    announcer = Announcer(voice, speaker, SETTINGS, Clock(NOW))
    announcer.start()
    try:
        for n in range(1, 6):
            assert announcer.submit(Call.from_payload(call(f"A-{n:03d}", "1"))) == "queued"
        wait_for(lambda: speaker.playing == 1, timeout=15)
    finally:
        announcer.stop(timeout=15)
    # Nothing of it runs (or speaks, or logs) once stop() has returned ...
    assert "announcer" not in [thread.name for thread in threading.enumerate()]
    # ... the call being played was finished, not cut off; the other four were dropped.
    assert [p.number for p in speaker.played] == ["A-001"]
    assert "4 call(s) not announced" in caplog.text
    assert announcer.submit(Call.from_payload(call("A-006", "1"))) == "stopping"
    assert announcer.wait_idle(0)


def test_admit_rules() -> None:
    fresh = Call.from_payload(call("A-001", "1", at=NOW))
    assert admit(fresh, NOW + timedelta(seconds=59), 60, []) == "queued"
    assert admit(fresh, NOW + timedelta(seconds=61), 60, []) == "stale"
    assert admit(fresh, NOW - timedelta(seconds=30), 60, []) == "queued"  # clock skew
    assert admit(fresh, NOW, 60, [fresh.key]) == "duplicate"


def test_start_and_idle_callbacks_frame_each_burst(started: Start, voice: EspeakVoice) -> None:
    events: list[str] = []
    announcer = started(
        voice,
        RecordingSpeaker(),
        Clock(NOW),
        on_start=lambda c: events.append(f"start {c.number}"),
        on_idle=lambda: events.append("idle"),
    )
    for n in (1, 2):
        announcer.submit(Call.from_payload(call(f"A-{n:03d}", "1")))
    assert announcer.wait_idle(30)
    announcer.stop()
    assert events == ["start A-001", "start A-002", "idle"]


class BrokenVoice:
    rate = 22050
    channels = 1

    def speak(self, phrase: object) -> Pcm:
        raise VoiceError("no such clip")

    def prepare(self, pieces: object) -> None:
        raise VoiceError("no such clip")


def test_a_broken_voice_still_chimes_and_says_so(started: Start, tmp_path: Path) -> None:
    speaker = RecordingSpeaker()
    health: list[bool] = []
    announcer = started(BrokenVoice(), speaker, Clock(NOW), on_voice=health.append)
    announcer.prepare(["Loket 1"])
    announcer.submit(Call.from_payload(call("A-001", "1")))
    announcer.submit(Call.from_payload(call("A-002", "1")))
    assert announcer.wait_idle(10)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["A-001", "A-002"]
    assert all(1.0 < p.duration_s < 2.0 for p in speaker.played)  # the chime alone
    assert health == [False]  # reported once, not per call


def test_file_output_writes_wavs_and_log_lines(
    started: Start, voice: EspeakVoice, tmp_path: Path
) -> None:
    output = FileOutput(tmp_path / "voice", pace=False)
    announcer = started(voice, output, Clock(NOW))
    announcer.prepare(["Loket 1", "Loket 2"])
    for number, counter in (("A-012", "1"), ("B-003", "2")):
        announcer.submit(Call.from_payload(call(number, counter)))
    assert announcer.wait_idle(30)
    announcer.stop()
    lines = (tmp_path / "voice" / LOG_NAME).read_text(encoding="utf-8").splitlines()
    assert lines == [
        "2026-11-28T08:15:30+07:00, A-012, 1, Nomor antrian A dua belas, silakan menuju loket satu",
        "2026-11-28T08:15:30+07:00, B-003, 2, Nomor antrian B tiga, silakan menuju loket dua",
    ]
    wavs = sorted((tmp_path / "voice").glob("*.wav"))
    assert [w.name.split("-", 3)[-1] for w in wavs] == ["A-012.wav", "B-003.wav"]
    for wav in wavs:
        sound = read_wav(wav)
        assert 3.0 < sound.duration_s < 10.0 and sound.rms() > 500
