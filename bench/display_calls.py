"""The waiting room's voice against a real office: idle latency, a busy office, chaos.

Real mosquitto and the real hub (tests/display/soak.py's `Office`); counters are clients
pressing keys. Three runs, each printed with its figures and the issue's targets:

1. idle: one counter calls, waits for the announcement, `--calls` times: the counter's
   request sent -> the display's sound starts (display in this process, espeak-ng, output
   to WAV files at real speed). Target p50 <= 300 ms.
2. busy: two counters each call the next ticket every 4 s for `--busy-seconds`: lag from
   each call to its announcement, and how many calls waited per counter. Targets: never
   more than one announcement behind per counter, lag <= 8 s.
3. chaos: the whole simulated day at random (`--chaos-seconds`): three counters calling,
   recalling, starting, skipping, transferring; the display process killed, the broker
   and the hub restarted at random. Judged from the hub's event log and
   announcements.log. Targets: 0 current calls left unannounced, 0 stale calls spoken.

    PYTHONPATH=. .venv/bin/python bench/display_calls.py [--calls 10] [--busy-seconds 120]
        [--chaos-seconds 600] [--seed 14]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.speech.audio import Pcm
from common.speech.outputs import Announcement, AudioOutput
from nodes.display.daemon import DisplayNode
from nodes.display.settings import read_config
from tests.display.soak import Office, callings, drive, judge, settle, spoken
from tests.harness import wait_for

BOUND_S = 40.0
SLACK_S = 1.5


class TimedOutput:
    """The real file output, plus the moment each sound started."""

    def __init__(self, output: AudioOutput) -> None:
        self.output = output
        self.starts: list[tuple[float, str]] = []

    def play(self, audio: Pcm, announcement: Announcement) -> None:
        self.starts.append((time.perf_counter(), announcement.number))
        self.output.play(audio, announcement)

    def close(self) -> None:
        self.output.close()


def in_process_display(office: Office) -> tuple[DisplayNode, TimedOutput, threading.Thread]:
    config = read_config(office.config)
    output = TimedOutput(config.voice.output.build())
    node = DisplayNode(config, config.screen.panel.build(), config.voice.engine.build(), output)
    thread = threading.Thread(target=node.run, daemon=True)
    thread.start()
    wait_for(lambda: "Loket 3" in node.screen.text_in("counters"), timeout=30)
    time.sleep(2.0)  # the voice prepares the fixed pieces
    return node, output, thread


def stop(node: DisplayNode, thread: threading.Thread) -> None:
    node.stopping.set()
    node.changed.set()
    thread.join(15)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def idle(work: Path, calls: int) -> None:
    office = Office(work / "idle")
    node, output, thread = in_process_display(office)
    try:
        latencies = []
        counter = office.counters["1"]
        for _ in range(calls):
            office.kiosk.request("ticket", {"service": "A"}, timeout=5)
            before = len(output.starts)
            sent = time.perf_counter()
            assert counter.request("counter", {"counter": "1", "action": "call_next"}).ok
            wait_for(lambda: len(output.starts) > before, timeout=10, interval=0.002)  # noqa: B023
            latencies.append((output.starts[before][0] - sent) * 1000)
            assert node.announcer is not None and node.announcer.wait_idle(30)
        print(f"1. idle display, {calls} calls (target p50 <= 300 ms)")
        print(
            f"   call_next sent -> sound starts: p50 {statistics.median(latencies):.0f} ms, "
            f"p90 {percentile(latencies, 0.9):.0f} ms, max {max(latencies):.0f} ms"
        )
    finally:
        stop(node, thread)
        office.close()


def busy(work: Path, seconds: float) -> None:
    office = Office(work / "busy")
    node, _output, thread = in_process_display(office)
    assert node.announcer is not None
    book = node.announcer.book
    most_waiting: dict[str, int] = {}
    try:
        started = time.monotonic()
        next_call = {"1": started, "2": started + 2.0}  # each every 4 s, interleaved
        while time.monotonic() - started < seconds:
            for counter, due in next_call.items():
                if time.monotonic() >= due:
                    service = "A" if counter == "1" else "C"
                    office.kiosk.request("ticket", {"service": service}, timeout=5)
                    office.counters[counter].request(
                        "counter", {"counter": counter, "action": "call_next"}, timeout=5
                    )
                    next_call[counter] = due + 4.0
            with node.announcer._lock:
                for counter in ("1", "2"):
                    waiting = int(counter in book._waiting)
                    most_waiting[counter] = max(most_waiting.get(counter, 0), waiting)
            time.sleep(0.05)
        end = settle(office, BOUND_S)
        verdict = judge(callings(office.events(), {}), spoken(office.log), end, BOUND_S, SLACK_S)
        lags = verdict.lags_s
        print(f"2. two counters each calling every 4 s for {seconds:.0f} s (targets: <= 1 behind")
        print("   per counter, lag <= 8 s)")
        print(f"   {verdict.summary()}")
        print(
            f"   calls waiting per counter at most: {most_waiting}; lag call -> announcement:"
            f" p50 {statistics.median(lags):.1f} s, max {max(lags):.1f} s"
        )
    finally:
        stop(node, thread)
        office.close()


def chaos(work: Path, seconds: float, seed: int) -> None:
    office = Office(work / "chaos")
    office.display_start()
    wait_for(lambda: (office.display_dir / "shots" / "latest.png").exists(), timeout=30)
    rng = random.Random(seed)
    faults: list[tuple[float, Callable[[], None]]] = []

    def display_down() -> None:
        office.display_kill()
        time.sleep(2)  # the Pi reboots (systemd restarts the unit after 2 s)
        office.display_start()

    kinds: dict[str, Callable[[], None]] = {
        "display killed": display_down,
        "broker restarted": office.broker.restart,
        "hub killed": office.hub.restart,
    }
    counts = dict.fromkeys(kinds, 0)
    at = 20.0
    while at < seconds - 30:
        kind = rng.choice(sorted(kinds))
        counts[kind] += 1
        faults.append((at, kinds[kind]))
        at += rng.uniform(15, 45)
    try:
        calm_from = [time.monotonic()]

        def pause() -> float:  # rush hours and calm spells
            phase = int((time.monotonic() - calm_from[0]) // 60) % 3
            return rng.uniform(0.1, 0.6) if phase < 2 else rng.uniform(2, 6)

        drive(office, seconds, rng, pause=pause, faults=faults)
        end = settle(office, BOUND_S)
        office.display_stop()
        verdict = judge(callings(office.events(), {}), spoken(office.log), end, BOUND_S, SLACK_S)
        faults_text = ", ".join(f"{n} {k}" for k, n in counts.items())
        print(f"3. chaos: {seconds:.0f} s, seed {seed}, faults: {faults_text}")
        print("   (targets: 0 current calls left unannounced, 0 stale calls spoken)")
        print(f"   {verdict.summary()}")
        if verdict.lags_s:
            print(
                f"   lag call -> announcement: p50 {statistics.median(verdict.lags_s):.1f} s,"
                f" max {max(verdict.lags_s):.1f} s"
            )
        for item in [*verdict.late, *verdict.stale, *verdict.twice]:
            print(f"   ! {item}")
    finally:
        office.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--busy-seconds", type=float, default=120.0)
    parser.add_argument("--chaos-seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only", choices=("idle", "busy", "chaos"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="display-calls-"))
    if args.only in (None, "idle"):
        idle(work, args.calls)
    if args.only in (None, "busy"):
        busy(work, args.busy_seconds)
    if args.only in (None, "chaos"):
        chaos(work, args.chaos_seconds, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
