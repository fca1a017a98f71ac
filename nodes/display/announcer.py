"""The announcer: every call said once, in order, one at a time, never cut off.

Calls arrive from the MQTT thread (`submit`) and wait in a FIFO queue; a single worker
thread takes one, plays the chime and the phrase, and only when the output says the sound
has finished takes the next. Because there is exactly one worker and `AudioOutput.play`
blocks, two announcements can never overlap, and a burst of calls from several counters
is simply spoken one after another.

What is *not* spoken is decided at arrival, by `admit` (pure):
- a call older than `max_age_s` (an event the broker held while we were offline, a
  replay after a reconnect) is shown on screen but not announced;
- the same call delivered twice (MQTT QoS 1 may redeliver) is announced once. A recall
  is a new call (its `recall` count differs), so it is announced again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from common.bahasa import Lang, NumberStyle
from nodes.display.audio import Pcm, chime, silence
from nodes.display.outputs import Announcement, AudioOutput
from nodes.display.phrase import Piece, build_phrase, spoken_name
from nodes.display.view import Call
from nodes.display.voices import Voice, VoiceError

log = logging.getLogger(__name__)

Verdict = Literal["queued", "stale", "duplicate", "stopping"]
#: How many recent calls are remembered to recognise a redelivered one.
REMEMBERED_CALLS: Final = 256


def admit(
    call: Call, now: datetime, max_age_s: float, heard: Iterable[tuple[str, int, str]]
) -> Verdict:
    """Should this call be announced? "queued" if yes, else why not."""
    if call.key in heard:
        return "duplicate"
    age = call.age_s(now)
    if age is not None and age > max_age_s:
        return "stale"
    return "queued"


@dataclass(frozen=True)
class AnnouncerSettings:
    template: str
    number_style: NumberStyle = "words"
    lang: Lang = "id"
    max_age_s: float = 60.0
    #: Silence after each announcement, so two calls are heard as two.
    between_s: float = 0.6
    #: Silence between the chime and the voice.
    after_chime_s: float = 0.25


@dataclass
class _Warmup:
    pieces: list[Piece] = field(default_factory=list)


class Announcer:
    """See the module docstring. `clock` gives the office's aware local time."""

    def __init__(
        self,
        voice: Voice,
        output: AudioOutput,
        settings: AnnouncerSettings,
        clock: Callable[[], datetime],
        *,
        service_name: Callable[[str], str] = lambda service: "",
        on_start: Callable[[Call], None] = lambda call: None,
        on_idle: Callable[[], None] = lambda: None,
        on_voice: Callable[[bool], None] = lambda ok: None,
    ) -> None:
        self.voice = voice
        self.output = output
        self.settings = settings
        self.clock = clock
        self.service_name = service_name
        self.on_start = on_start
        self.on_idle = on_idle
        self.on_voice = on_voice  # told when the voice starts or stops failing
        self.voice_ok = True
        self.chime: Pcm = chime(voice.rate, voice.channels)
        self._queue: queue.Queue[Call | _Warmup | None] = queue.Queue()
        self._heard: deque[tuple[str, int, str]] = deque(maxlen=REMEMBERED_CALLS)
        self._lock = threading.Lock()
        self._busy = threading.Event()  # set while something is queued or playing
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.spoken = 0

    # --- called from other threads ------------------------------------------------------

    def submit(self, call: Call) -> Verdict:
        """Queue a call for announcement (returns at once)."""
        with self._lock:
            if self._stopping.is_set():  # the link delivers until it is stopped, after us
                return "stopping"
            verdict = admit(call, self.clock(), self.settings.max_age_s, self._heard)
            if verdict != "duplicate":
                self._heard.append(call.key)
            if verdict == "queued":
                self._busy.set()
                self._queue.put(call)
        if verdict == "stale":
            log.info(
                "not announcing %s at %s: called %s, too long ago",
                call.number,
                call.counter,
                call.called_at,
            )
        elif verdict == "duplicate":
            log.debug("ignoring repeated call event for %s (recall %d)", call.number, call.recall)
        return verdict

    def prepare(self, counter_names: Iterable[str]) -> None:
        """Have the voice ready the fixed parts of the phrase and the counters' names."""
        probe = build_phrase(
            self.settings.template,
            number="A-001",
            counter_name="1",
            style=self.settings.number_style,
            lang=self.settings.lang,
        )
        fixed = [piece for piece in probe.pieces if piece.kind == "text"]
        for name in counter_names:
            text, clips = spoken_name(name, self.settings.lang)
            fixed.append(Piece(text, clips))
        self._queue.put(_Warmup(fixed))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the announcement being played, drop the calls still waiting (a display
        that is stopping says nothing more) and end the worker thread."""
        with self._lock:  # a call submitted from now on is refused, not left queued
            self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("announcer still playing %.0f s after stop; leaving it", timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Until every queued call has been played (for tests and the benchmark)."""
        deadline = time.monotonic() + timeout
        while self._busy.is_set():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # --- the worker thread --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._stopping.is_set():
                self._drop_waiting(item)
                return
            try:
                if isinstance(item, _Warmup):
                    self._warm_up(item.pieces)
                else:
                    self._announce(item)
            except Exception:
                # One failed announcement (a broken clip, a sound device hiccup) must not
                # silence the rest of the day.
                log.exception("announcement failed")
            if self._queue.empty():
                self.on_idle()
                with self._lock:
                    if self._queue.empty():
                        self._busy.clear()

    def _drop_waiting(self, item: Call | _Warmup | None) -> None:
        dropped = [item] if isinstance(item, Call) else []
        with self._lock:
            while not self._queue.empty():
                waiting = self._queue.get_nowait()
                if isinstance(waiting, Call):
                    dropped.append(waiting)
            self._busy.clear()
        if dropped:
            log.info("stopping: %d call(s) not announced", len(dropped))

    def _warm_up(self, pieces: list[Piece]) -> None:
        started = time.monotonic()
        try:
            self.voice.prepare(pieces)
        except VoiceError as exc:
            log.error("voice not ready: %s", exc)
            return
        log.info("voice ready (%d pieces in %.2f s)", len(pieces), time.monotonic() - started)

    def _announce(self, call: Call) -> None:
        self.on_start(call)
        settings = self.settings
        phrase = build_phrase(
            settings.template,
            number=call.number,
            counter_name=call.counter_name,
            service_name=self.service_name(call.service),
            style=settings.number_style,
            lang=settings.lang,
        )
        audio = self.chime
        try:
            speech = self.voice.speak(phrase)
            audio = audio + silence(speech.rate, speech.channels, settings.after_chime_s) + speech
            voice_ok = True
        except VoiceError as exc:
            # The number is on screen; the chime alone still makes people look up.
            log.error("cannot say %r, playing the chime only: %s", phrase.text, exc)
            voice_ok = False
        if voice_ok != self.voice_ok:
            self.voice_ok = voice_ok
            self.on_voice(voice_ok)
        announcement = Announcement(
            number=call.number,
            counter=call.counter,
            counter_name=call.counter_name,
            text=phrase.text,
            started_at=self.clock(),
        )
        self.output.play(audio, announcement)
        self.spoken += 1
        self._stopping.wait(settings.between_s)
