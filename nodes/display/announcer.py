"""The announcer: the calls that are still current, one at a time, never cut off.

A single worker thread announces (chime, phrase) and only when the output says the sound
has finished looks for the next one; because `AudioOutput.play` blocks, two announcements
never overlap. *Which* call comes next is not the order events arrived in but the
office's current truth, decided by `nodes.display.calling.CallBook` (pure): per counter
only its newest call waits, and it is spoken only while the counter's retained state still
holds that ticket as called, checked again right before the sound starts. Calls that
were transferred, skipped, served or superseded meanwhile are dropped; repeated recalls
coalesce; a call older than `max_age_s` is shown, not spoken.

What was announced is journaled (per counter, the newest call announced) in a small JSON
file, written atomically before each sound, so a restart neither repeats it nor forgets
a call that is still current: the retained `state/calls` is offered again on every start
and reconnect.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from common.bahasa import Lang, NumberStyle
from common.files import write_atomic
from common.payloads import Call, CounterState
from common.repeats import RepeatedWarning
from common.speech.audio import Pcm, chime, silence
from common.speech.outputs import Announcement, AudioOutput
from common.speech.phrase import Piece, build_phrase, spoken_name
from common.speech.voices import Voice, VoiceError
from nodes.display.calling import (
    EVERYWHERE,
    CallBook,
    Verdict,
    Zone,
    in_call_order,
    journal_payload,
    read_journal,
)

log = logging.getLogger(__name__)

#: The journal's file name in the display's state folder.
JOURNAL_NAME: Final = "announced.json"
#: The worker wakes at least this often to let waiting calls age out.
IDLE_WAKE_S: Final = 1.0


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
    #: Say the phrase this often (1 or 2; the chime once). Said once when behind.
    repeat: int = 1
    #: Silence between the two sayings.
    between_repeats_s: float = 0.8


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
        zone: Zone = EVERYWHERE,
        journal: Path | None = None,
        service_name: Callable[[str], str] = lambda service: "",
        on_start: Callable[[Call], None] = lambda call: None,
        on_idle: Callable[[], None] = lambda: None,
        on_voice: Callable[[bool], None] = lambda ok: None,
    ) -> None:
        self.voice = voice
        self.output = output
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.service_name = service_name
        self.on_start = on_start
        self.on_idle = on_idle
        self.on_voice = on_voice  # told when the voice starts or stops failing
        self.voice_ok = True
        self.chime: Pcm = chime(voice.rate, voice.channels)
        self.book = CallBook(settings.max_age_s, zone, self._read_journal())
        self._lock = threading.Condition()
        self._warmups: list[_Warmup] = []
        self._stopping = False
        self._playing = False
        self._reported_drops = 0
        self._journal_warning = RepeatedWarning(log, 600.0)
        self._thread: threading.Thread | None = None
        self.spoken = 0

    # --- called from other threads ------------------------------------------------------

    def submit(self, call: Call) -> Verdict:
        """A live `event/call` (returns at once)."""
        with self._lock:
            verdict = self.book.offer(call, self.clock())
            self._lock.notify()
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

    def offer_recent(self, calls: Iterable[Call]) -> int:
        """The retained `state/calls` (on every start and reconnect, and after each call):
        whatever is still news is announced; how many calls were taken up."""
        with self._lock:
            now = self.clock()
            taken = sum(self.book.offer(c, now) == "queued" for c in in_call_order(calls))
            self._lock.notify()
        if taken:
            log.info("%d recent call(s) not yet announced, from the retained calls", taken)
        return taken

    def on_counter(self, counter: str, state: CounterState | None) -> None:
        """A counter's retained state: it confirms a waiting call or shows it is gone."""
        with self._lock:
            self.book.on_counter(counter, state)
            self._lock.notify()

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
        with self._lock:
            self._warmups.append(_Warmup(fixed))
            self._lock.notify()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the sound playing now, and wait for the thread (up to `timeout`)."""
        with self._lock:
            self._stopping = True
            self._lock.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is playing or ready to be announced (tests and the benchmark)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if not (self._playing or self._warmups or self.book.ready(self.clock())):
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    # --- the worker thread --------------------------------------------------------------

    def _next(self) -> Call | _Warmup | None:
        """Wait for the next thing to do; None when stopping."""
        with self._lock:
            while not self._stopping:
                if self._warmups:
                    self._playing = True
                    return self._warmups.pop(0)
                call = self.book.next(self.clock())
                self._report_drops()
                if call is not None:
                    self._playing = True
                    return call
                self._lock.wait(IDLE_WAKE_S)
            return None

    def _report_drops(self) -> None:
        dropped = self.book.dropped - self._reported_drops
        if dropped:
            self._reported_drops = self.book.dropped
            log.info(
                "not announcing %d call(s) no longer current at their counter "
                "(served, skipped, transferred, called again or too old)",
                dropped,
            )

    def _run(self) -> None:
        while (item := self._next()) is not None:
            try:
                if isinstance(item, _Warmup):
                    self._warm_up(item.pieces)
                else:
                    self._announce(item)
            except Exception:
                # One failed announcement (a broken clip, a sound device hiccup) must not
                # silence the rest of the day.
                log.exception("announcement failed")
            with self._lock:
                self._playing = False
                idle = not (self._warmups or self.book.ready(self.clock()))
            if idle:
                self.on_idle()

    def _warm_up(self, pieces: list[Piece]) -> None:
        started = time.monotonic()
        try:
            self.voice.prepare(pieces)
        except VoiceError as exc:
            log.error("voice not ready: %s", exc)
            return
        log.info("voice ready (%d pieces in %.2f s)", len(pieces), time.monotonic() - started)

    def _announce(self, call: Call) -> None:
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
            voice_ok = True
        except VoiceError as exc:
            # The number is on screen; the chime alone still makes people look up.
            log.error("cannot say %r, playing the chime only: %s", phrase.text, exc)
            speech, voice_ok = None, False
        if voice_ok != self.voice_ok:
            self.voice_ok = voice_ok
            self.on_voice(voice_ok)
        with self._lock:
            # The voice took its time: is the call still current, right before the sound?
            if not self.book.still_current(call):
                self.book.next(self.clock())  # drops it
                self._report_drops()
                return
            self.book.announced(call)
            behind = self.book.ready(self.clock())
            journal = self.book.journal(self.clock())
        if speech is not None:
            audio = audio + silence(speech.rate, speech.channels, settings.after_chime_s) + speech
            if settings.repeat > 1 and not behind:  # said once when others wait
                gap = silence(speech.rate, speech.channels, settings.between_repeats_s)
                audio = audio + gap + speech
        self._write_journal(journal)
        self.on_start(call)
        announcement = Announcement(
            number=call.number,
            counter=call.counter,
            counter_name=call.counter_name,
            text=phrase.text,
            started_at=self.clock(),
        )
        self.output.play(audio, announcement)
        self.spoken += 1
        time.sleep(settings.between_s)

    # --- the journal --------------------------------------------------------------------

    def _read_journal(self) -> dict[str, Call]:
        if self.journal is None or not self.journal.exists():
            return {}
        try:
            payload = json.loads(self.journal.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning(
                "announcement journal %s unreadable (%s); starting afresh", self.journal, exc
            )
            return {}
        return read_journal(payload if isinstance(payload, dict) else {})

    def _write_journal(self, entries: dict[str, Call]) -> None:
        if self.journal is None:
            return
        try:
            write_atomic(self.journal, json.dumps(journal_payload(entries)) + "\n")
        except OSError as exc:
            # The voice matters more than the journal: a restart may then repeat a call.
            self._journal_warning.warn(
                "journal", f"cannot write the announcement journal {self.journal}: {exc}"
            )
