"""Display latency: `event/call` published -> frame showing it, -> audio starts; idle CPU; RSS.

Starts a private mosquitto and the display node in this process (screen: pygame's display
on SDL's dummy video driver unless --headless; voice: espeak-ng; sound: pygame.mixer on
SDL's dummy audio driver). A stand-in for the hub publishes the office's retained state,
then `--calls` call events one at a time, each waiting for the previous announcement to
end. Clocks stop when the screen shows a frame with the number as the featured call, and
when the speaker output starts playing its sound (chime first). Targets: frame < 100 ms,
audio < 300 ms, idle CPU < 5 % of one core.

    PYTHONPATH=. .venv/bin/python bench/display_latency.py [--calls 10] [--seconds 60]

Idle CPU is process CPU time over wall time, measured twice for `--seconds` each: with a
short running text (the screen wakes once a second for the clock) and with a long one
that scrolls at `fps` frames per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

from common.speech.audio import Pcm
from common.speech.outputs import Announcement, AudioOutput, SpeakerOutput
from nodes.display.daemon import DisplayNode
from nodes.display.panels import Panel
from nodes.display.settings import read_config
from tests.display.office import CALLS, CONFIG, COUNTERS, QUEUE, WIB, call
from tests.harness import Mosquitto, client

LONG_TEXT = (
    "Selamat datang di Kantor Kecamatan Contoh. Ambil nomor antrian di kios, lalu tunggu "
    "panggilan. Layanan tidak dipungut biaya. Jam layanan Senin–Jumat 08.00–15.00."
)

CONFIG_TOML = """\
[office]
id = "kantor"
[node]
id = "display-1"
[broker]
port = {port}
[screen]
type = "{screen}"
width = 1920
height = 1080
screenshot_dir = "{work}/shots"
running_text = "Selamat datang"
[voice]
output = "speaker"
"""


class WatchedPanel:
    """The real panel, plus the moment each frame was shown and what it featured."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self.surface = panel.surface
        self.animated = panel.animated
        self.node: DisplayNode | None = None
        self.waiting_for: str | None = None
        self.shown_at = 0.0
        self.seen = threading.Event()

    def show(self, dirty: list[pygame.Rect], frame: Mapping[str, Any] | None = None) -> None:
        self.panel.show(dirty, frame)
        if self.node and self.waiting_for in self.node.screen.text_in("featured"):
            self.shown_at = time.perf_counter()
            self.waiting_for = None
            self.seen.set()

    def closed(self) -> bool:
        return self.panel.closed()

    def close(self) -> None:
        self.panel.close()


class WatchedOutput:
    """The real speaker output, plus the moment each sound started."""

    def __init__(self, output: AudioOutput) -> None:
        self.output = output
        self.started_at = 0.0
        self.started = threading.Event()

    def play(self, audio: Pcm, announcement: Announcement) -> None:
        self.started_at = time.perf_counter()
        self.started.set()
        self.output.play(audio, announcement)

    def close(self) -> None:
        self.output.close()


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_share(seconds: float) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="each idle CPU phase")
    parser.add_argument("--headless", action="store_true", help="PNG screenshots instead")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="display-bench-"))
    broker = Mosquitto(work / "mosquitto")
    broker.start()
    hub = client(broker, "bench-hub", "test")
    try:
        path = work / "display.toml"
        screen = "headless" if args.headless else "window"
        path.write_text(CONFIG_TOML.format(port=broker.port, screen=screen, work=work))
        config = read_config(path)
        panel = WatchedPanel(config.screen.panel.build())
        output = WatchedOutput(SpeakerOutput())
        node = DisplayNode(config, panel, config.voice.engine.build(), output)
        panel.node = node
        thread = threading.Thread(target=node.run, daemon=True)
        thread.start()

        topics = hub.topics
        hub.publish(topics.config, CONFIG, retain=True)
        hub.publish(topics.state_queue, QUEUE, retain=True)
        for counter, payload in COUNTERS.items():
            hub.publish(topics.state_counter(counter), payload, retain=True)
        hub.publish(topics.state_calls, CALLS, retain=True)
        time.sleep(2.0)  # connected, retained state drawn, fixed phrase pieces synthesised

        frames: list[float] = []
        audio: list[float] = []
        assert node.announcer is not None
        for n in range(args.calls):
            number = f"A-{100 + n:03d}"
            panel.seen.clear()
            output.started.clear()
            panel.waiting_for = number
            event = call(number, str(1 + n % 3), at=datetime.now(WIB))
            sent = time.perf_counter()
            hub.publish(topics.event_call, event)
            if not panel.seen.wait(5) or not output.started.wait(5):
                print(f"call {number}: not shown or not announced within 5 s")
                return 1
            frames.append((panel.shown_at - sent) * 1000)
            audio.append((output.started_at - sent) * 1000)
            node.announcer.wait_idle(30)

        time.sleep(max(0.0, config.screen.highlight_s - 6))  # let the highlight fade
        idle_static = cpu_share(args.seconds)
        node.config = dataclasses.replace(
            config, screen=dataclasses.replace(config.screen, running_text=LONG_TEXT)
        )
        time.sleep(1.0)
        idle_scrolling = cpu_share(args.seconds)
        rss, peak = rss_mb()

        print(f"display latency, {args.calls} calls, screen {screen} 1920x1080, espeak-ng id")
        print(
            f"  event/call -> frame showing it: p50 {statistics.median(frames):.1f} ms, "
            f"p90 {percentile(frames, 0.9):.1f} ms, max {max(frames):.1f} ms"
        )
        print(
            f"  event/call -> audio starts:     p50 {statistics.median(audio):.1f} ms, "
            f"p90 {percentile(audio, 0.9):.1f} ms, max {max(audio):.1f} ms"
        )
        print(
            f"  idle CPU over {args.seconds:.0f} s: {idle_static * 100:.1f} % of one core "
            f"(clock only), {idle_scrolling * 100:.1f} % with running text scrolling at "
            f"{config.screen.fps} fps"
        )
        print(f"  RSS {rss:.0f} MB (peak {peak:.0f} MB)")
        node.stopping.set()
        node.changed.set()
        thread.join(10)
        return 0
    finally:
        hub.stop()
        broker.stop()


if __name__ == "__main__":
    raise SystemExit(main())
