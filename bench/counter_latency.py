"""Counter latency: keypress -> hub answer -> indicator updated, p50/p99.

Starts a private mosquitto and a real hub (the test office), issues tickets, then plays an
officer at Loket 1: call next, start, finish, over and over. Each press goes in through
the counter desk exactly as a keypad driver delivers it (`press_key`), and the clock stops
when the indicator has written the line showing the hub's answer. Target: p99 < 50 ms.

    PYTHONPATH=. .venv/bin/python bench/counter_latency.py [--rounds 100] [--lcd]

`--lcd` shows on the HD44780 LCD adapter (RPLCD) over a fake I2C bus instead of the
terminal line: the same path plus RPLCD's own waits between nibbles.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.mqtt import BrokerLink
from common.wire import Topics
from nodes.counter.daemon import subscribe
from nodes.counter.flow import CounterDesk
from nodes.counter.indicator import (
    Indicator,
    LcdConfig,
    LcdIndicator,
    TerminalIndicator,
    open_lcd,
)
from nodes.counter.view import CounterView, terminal_line
from tests.counter.fake_i2c import FakeSMBus
from tests.harness import OFFICE, HubProcess, Mosquitto, client


class TimedTerminal(io.StringIO):
    """Where the terminal indicator writes: wakes the bench when a line with `text` lands."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()
        self.last = ""
        self.at = 0.0

    def write(self, text: str) -> int:
        with self.changed:
            self.at = time.perf_counter()
            self.last = text
            self.changed.notify_all()
        return len(text)


class TimedLcd:
    """The LCD adapter on a fake bus, timed the same way (after the bytes are on the bus)."""

    def __init__(self, stream: TimedTerminal) -> None:
        config = LcdConfig(cols=16, rows=2)
        self.bus = FakeSMBus(cols=16, rows=2)
        self.lcd = LcdIndicator(lambda: open_lcd(config, self.bus), 16, 2)
        self.stream = stream

    def show(self, view: CounterView) -> None:
        self.lcd.show(view)
        self.stream.write(terminal_line(view) + "\n")

    def close(self) -> None:
        self.lcd.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="call/start/finish cycles")
    parser.add_argument("--lcd", action="store_true", help="LCD adapter on a fake I2C bus")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        hub = HubProcess(broker, Path(tmp) / "hub")
        hub.start()
        kiosk = client(broker, "kiosk-1", "kiosk")
        link = BrokerLink(broker.config, Topics(OFFICE), "loket-1", role="counter")
        stream = TimedTerminal()
        indicator: Indicator = TimedLcd(stream) if args.lcd else TerminalIndicator(stream)
        desk = CounterDesk(link, "1", indicator)
        subscribe(link, Topics(OFFICE), desk)
        desk.start()
        try:
            for _ in range(args.rounds):
                assert kiosk.request("ticket", {"service": "A"}).ok
            link.start(wait=10)

            def shown(text: str, timeout: float = 5.0) -> float:
                with stream.changed:
                    if not stream.changed.wait_for(lambda: text in stream.last, timeout):
                        raise RuntimeError(f"{text!r} not shown; last: {stream.last!r}")
                    return stream.at

            shown("| BUKA |")
            latencies: dict[str, list[float]] = {"call_next": [], "start": [], "finish": []}
            for n in range(1, args.rounds + 1):
                for key, text in (
                    ("call_next", f"MEMANGGIL A-{n:03d}"),
                    ("start", f"MELAYANI A-{n:03d}"),
                    ("finish", "| BUKA |"),
                ):
                    started = time.perf_counter()
                    desk.press_key(key)
                    latencies[key].append((shown(text) - started) * 1000)
                    desk.wait_idle(5)
        finally:
            desk.stop()
            link.stop()
            kiosk.stop()
            hub.stop()
            broker.stop()

    everything = [ms for values in latencies.values() for ms in values]
    where = "LCD (RPLCD, fake I2C bus)" if args.lcd else "terminal line"
    print(f"counter latency, keypress -> hub answer -> indicator ({where})")
    print(f"{'press':<10} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for key, values in (*latencies.items(), ("all", everything)):
        print(
            f"{key:<10} {len(values):>5} {statistics.median(values):>8.2f} "
            f"{percentile(values, 99):>8.2f} {max(values):>8.2f}"
        )
    target = percentile(everything, 99) < 50
    print(f"target p99 < 50 ms: {'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
