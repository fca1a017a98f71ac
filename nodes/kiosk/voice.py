"""The kiosk's own voice: it says the number it just issued, and on request who is being
served now, through the display's voice engine and phrase rules (common/speech).

`[voice]` in the kiosk's file (docs/kiosk.md): `enabled` (default false: a kiosk without
speakers is unchanged), `engine` and `output` exactly as on the display. Speech runs in
its own thread so a long sentence never holds up the next ticket.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from common.adapters import Choice
from common.bahasa import Lang
from common.config import Table
from common.payloads import Call
from common.speech.outputs import OUTPUTS, Announcement, AudioOutput
from common.speech.phrase import Phrase, build_phrase, check_template
from common.speech.voices import VOICES, Voice, VoiceError

log = logging.getLogger(__name__)

#: What the kiosk says when a ticket has been printed.
ISSUED: Final[dict[str, str]] = {
    "id": "Nomor antrian Anda {number}, layanan {service}",
    "en": "Your number is {number}, service {service}",
}
#: One call of the "now serving" answer; the calls are said newest first.
SERVING: Final[dict[str, str]] = {
    "id": "Nomor {number}, di {counter}",
    "en": "Number {number}, at {counter}",
}
#: What "now serving" says before any call today.
NOBODY: Final[dict[str, str]] = {
    "id": "Belum ada nomor yang dipanggil",
    "en": "No number has been called yet",
}
#: How many of the latest calls "now serving" reads out.
SERVING_SHOWN: Final = 3


def issued_phrase(number: str, service_name: str, lang: Lang = "id") -> Phrase:
    """ "Nomor antrian Anda A dua belas, layanan Kartu Keluarga"."""
    return build_phrase(ISSUED[lang], number=number, counter_name="", service_name=service_name)


def serving_phrase(calls: tuple[Call, ...], lang: Lang = "id") -> Phrase:
    """The latest calls, one per counter, newest first: "Nomor A dua belas, di loket tiga"."""
    latest: dict[str, Call] = {}
    for call in sorted(calls, key=lambda c: c.called_at, reverse=True):
        latest.setdefault(call.counter, call)
    shown = list(latest.values())[:SERVING_SHOWN]
    if not shown:
        return build_phrase(NOBODY[lang], number="A-0", counter_name="")
    phrases = [
        build_phrase(SERVING[lang], number=c.number, counter_name=c.counter_name, lang=lang)
        for c in shown
    ]
    return Phrase(
        ". ".join(p.text for p in phrases),
        tuple(piece for p in phrases for piece in p.pieces),
    )


@dataclass(frozen=True)
class VoiceConfig:
    """`[voice]` of the kiosk's file; `engine` and `output` as on the display."""

    engine: Choice[Voice]
    output: Choice[AudioOutput]
    language: Lang = "id"


def read_voice(root: Table, default_language: Lang) -> VoiceConfig | None:
    """None unless `[voice] enabled = true`; every key is checked either way."""
    table = root.table("voice")
    enabled = table.bool("enabled", False)
    language = table.choice("language", ("id", "en"), default_language)
    output = OUTPUTS.read(table)
    engine = VOICES.read(table, language=language)
    for template in (ISSUED[language], SERVING[language]):
        check_template(template)
    table.finish()
    return VoiceConfig(engine, output, language) if enabled else None


class KioskVoice:
    """Says phrases one after another in its own thread; a failing voice costs a log line."""

    def __init__(
        self,
        voice: Voice,
        output: AudioOutput,
        *,
        lang: Lang = "id",
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.voice = voice
        self.output = output
        self.lang = lang
        self._clock = clock
        self._queue: queue.Queue[tuple[str, Phrase] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kiosk-voice", daemon=True)
        self._idle = threading.Event()
        self._idle.set()
        self._failing = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10.0)
        self.output.close()

    def say(self, label: str, phrase: Phrase) -> None:
        """Queue `phrase`; `label` names the file and log line ("A-012", "now-serving")."""
        self._idle.clear()
        self._queue.put((label, phrase))

    def wait_idle(self, timeout: float) -> bool:
        """True once everything queued has been said (tests)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            label, phrase = item
            try:
                audio = self.voice.speak(phrase)
                said = Announcement(label, "kiosk", "", phrase.text, self._clock())
                self.output.play(audio, said)
                self._failing = False
            except (VoiceError, OSError, RuntimeError) as exc:
                if not self._failing:  # one line per outage, not per ticket
                    log.error("the kiosk's voice cannot speak (%s); tickets still print", exc)
                self._failing = True
            if self._queue.empty():
                self._idle.set()
