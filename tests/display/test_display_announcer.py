"""The announcer: one at a time, only calls still current; recalls again; stale calls
silent; the journal keeps a restart from repeating itself.

The voice is the real espeak-ng Indonesian voice; only the loudspeaker at the very edge
is a stand-in (`RecordingSpeaker`), which "plays" for the sound's length (sped up) and
writes down when each sound started and ended.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from common.payloads import Call, CounterState
from common.speech.audio import Pcm, read_wav
from common.speech.outputs import LOG_NAME, Announcement, FileOutput
from common.speech.phrase import TEMPLATES
from common.speech.voices import EspeakVoice, VoiceError
from nodes.display.announcer import JOURNAL_NAME, Announcer, AnnouncerSettings
from tests.display.office import NOW, call, counter_state
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


_RUNNING: list[Announcer] = []


@pytest.fixture(autouse=True)
def _stop_every_announcer() -> Iterator[None]:
    """Each announcer a test started is stopped after it, whatever happened in the test:
    its thread must not outlive the test (and log into the next one)."""
    yield
    while _RUNNING:
        _RUNNING.pop().stop(timeout=15)


def started(voice: object, output: object, clock: Clock, **kwargs: object) -> Announcer:
    announcer = Announcer(voice, output, SETTINGS, clock, **kwargs)  # type: ignore[arg-type]
    announcer.start()
    _RUNNING.append(announcer)
    return announcer


def offered(announcer: Announcer, number: str, counter: str, **kwargs: object) -> Call:
    """The hub's two messages for a call: the counter's state, then the `event/call`."""
    item = Call.from_payload(call(number, counter, **kwargs))  # type: ignore[arg-type]
    hold(announcer, counter, number, at=item.called_at if not item.recall else NOW)
    announcer.submit(item)
    return item


def hold(announcer: Announcer, counter: str, number: str | None, **kwargs: object) -> None:
    state = CounterState.from_payload(counter_state(counter, number, **kwargs))  # type: ignore[arg-type]
    announcer.on_counter(counter, state)


def test_burst_of_five_calls_is_announced_in_order_one_at_a_time(voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker()
    announcer = started(voice, speaker, Clock(NOW))
    calls = []
    for n in range(1, 6):  # five counters, five calls within ~25 ms
        calls.append(offered(announcer, f"A-{n:03d}", str(n)))
        time.sleep(0.005)
    assert announcer.wait_idle(30)
    announcer.stop()
    assert [p.number for p in speaker.played] == [c.number for c in calls]
    assert speaker.max_playing == 1
    for before, after in zip(speaker.played, speaker.played[1:], strict=False):
        assert before.end <= after.start  # never two at once
    # Each sound is the chime plus the sentence: several seconds at real speed.
    assert all(3.0 < p.duration_s < 10.0 for p in speaker.played)
    assert speaker.played[2].text == "Nomor antrian A tiga, silakan menuju loket tiga"


def test_a_recall_is_announced_again_a_duplicate_is_not(voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker()
    announcer = started(voice, speaker, Clock(NOW))
    first = offered(announcer, "B-004", "2", at=NOW)
    assert announcer.submit(first) == "duplicate"  # QoS 1 redelivery
    wait_for(lambda: speaker.played)
    recall = Call.from_payload(call("B-004", "2", at=NOW + timedelta(seconds=20), recall=1))
    assert announcer.submit(recall) == "queued"
    assert announcer.submit(first) == "duplicate"  # the retained list, after a reconnect
    assert announcer.wait_idle(30)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["B-004", "B-004"]


def test_only_calls_still_current_are_spoken_newest_per_counter(voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker(speed=2.0)  # slow enough to fall behind
    announcer = started(voice, speaker, Clock(NOW))
    offered(announcer, "A-001", "1")
    wait_for(lambda: announcer.book.waiting() == 0)  # A-001 is being announced
    offered(announcer, "A-002", "1")
    offered(announcer, "B-001", "2")
    offered(announcer, "C-001", "3")
    offered(announcer, "A-003", "1", at=NOW + timedelta(seconds=1))  # loket 1 moved on
    hold(announcer, "2", None)  # B-001 skipped (no-show) while A-001 was spoken
    recall = Call.from_payload(call("C-001", "3", at=NOW + timedelta(seconds=2), recall=1))
    announcer.submit(recall)  # coalesces with C-001's first call
    assert announcer.wait_idle(60)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["A-001", "C-001", "A-003"]


def test_the_journal_keeps_a_restart_from_repeating(voice: EspeakVoice, tmp_path: Path) -> None:
    journal = tmp_path / "state" / JOURNAL_NAME
    speaker = RecordingSpeaker()
    first = started(voice, speaker, Clock(NOW), journal=journal)
    spoken = offered(first, "A-001", "1")
    assert first.wait_idle(30)
    first.stop()
    assert journal.exists()
    # Restarted: the retained state says A-001 and B-001 are still called.
    again = started(voice, speaker, Clock(NOW + timedelta(seconds=5)), journal=journal)
    hold(again, "1", "A-001")
    hold(again, "2", "B-001")
    assert again.offer_recent([Call.from_payload(call("B-001", "2")), spoken]) == 1
    assert again.wait_idle(30)
    again.stop()
    assert [p.number for p in speaker.played] == ["A-001", "B-001"]


def test_a_stale_call_is_not_spoken(voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker()
    clock = Clock(NOW)
    announcer = started(voice, speaker, clock)
    old = Call.from_payload(call("C-001", "2", at=NOW - timedelta(minutes=5)))
    assert announcer.submit(old) == "stale"
    offered(announcer, "C-002", "3", at=NOW - timedelta(seconds=5))
    assert announcer.wait_idle(30)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["C-002"]


def test_start_and_idle_callbacks_frame_each_burst(voice: EspeakVoice) -> None:
    events: list[str] = []
    announcer = started(
        voice,
        RecordingSpeaker(),
        Clock(NOW),
        on_start=lambda c: events.append(f"start {c.number}"),
        on_idle=lambda: events.append("idle"),
    )
    for n in (1, 2):
        offered(announcer, f"A-{n:03d}", str(n))
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


def test_a_broken_voice_still_chimes_and_says_so(tmp_path: Path) -> None:
    speaker = RecordingSpeaker()
    health: list[bool] = []
    announcer = started(BrokenVoice(), speaker, Clock(NOW), on_voice=health.append)
    announcer.prepare(["Loket 1"])
    offered(announcer, "A-001", "1")
    offered(announcer, "A-002", "2")
    assert announcer.wait_idle(10)
    announcer.stop()
    assert [p.number for p in speaker.played] == ["A-001", "A-002"]
    assert all(1.0 < p.duration_s < 2.0 for p in speaker.played)  # the chime alone
    assert health == [False]  # reported once, not per call


def test_file_output_writes_wavs_and_log_lines(voice: EspeakVoice, tmp_path: Path) -> None:
    output = FileOutput(tmp_path / "voice", pace=False)
    announcer = started(voice, output, Clock(NOW))
    announcer.prepare(["Loket 1", "Loket 2"])
    for number, counter in (("A-012", "1"), ("B-003", "2")):
        offered(announcer, number, counter)
    assert announcer.wait_idle(30)
    announcer.stop()
    lines = (tmp_path / "voice" / LOG_NAME).read_text(encoding="utf-8").splitlines()
    at = "2026-11-28T08:15:30.000+07:00"  # to the millisecond, to check against the hub's log
    assert lines == [
        f"{at}, A-012, 1, Nomor antrian A dua belas, silakan menuju loket satu",
        f"{at}, B-003, 2, Nomor antrian B tiga, silakan menuju loket dua",
    ]
    wavs = sorted((tmp_path / "voice").glob("*.wav"))
    assert [w.name.split("-", 3)[-1] for w in wavs] == ["A-012.wav", "B-003.wav"]
    for wav in wavs:
        sound = read_wav(wav)
        assert 3.0 < sound.duration_s < 10.0 and sound.rms() > 500


def test_stop_ends_the_worker_after_the_sound_playing_now(voice: EspeakVoice) -> None:
    speaker = RecordingSpeaker(speed=1.0)  # at real speed, each call takes seconds
    announcer = started(voice, speaker, Clock(NOW))
    for number, counter in (("A-001", "1"), ("B-001", "2"), ("C-001", "3")):
        offered(announcer, number, counter)
    wait_for(lambda: speaker.playing == 1, timeout=15)
    announcer.stop(timeout=15)
    # Nothing of it runs (or speaks, or logs) once stop() has returned ...
    assert "announcer" not in [thread.name for thread in threading.enumerate()]
    # ... the call being played was finished, not cut off; the two waiting were not spoken.
    assert len(speaker.played) == 1
    assert announcer.book.waiting() == 2
