"""Run a whole office on this one machine: broker, hub, kiosk, two counters, display, web.

    .venv/bin/python scripts/office.py            # scripted morning, then interactive
    .venv/bin/python scripts/office.py --no-wait  # scripted morning, then stop (CI, tests)
    .venv/bin/python scripts/office.py --keep     # keep run/office/ (yesterday's database)

Hardware is simulated: the kiosk reads button presses from its stdin and prints tickets
(ESC/POS bytes + PNG) into run/office/tickets/; counters read keypad actions from stdin
and print their indicator line; the display renders PNG screenshots into
run/office/screen/ and speaks into WAV files in run/office/voice/. Everything each node
prints is shown here, prefixed with its name.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import tomli_w

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run" / "office"
EXAMPLES = ROOT / "examples" / "office"
PORT = 18830
ANTRIAN = [sys.executable, "-m", "nodes.cli"]
WEB_PORT = 8080
#: The demo's kiosk config: examples/office/kiosk.toml with this machine's address in the QR.
KIOSK_CONFIG = RUN / "kiosk.toml"

#: (name, command line after `antrian`, takes stdin)
NODES: list[tuple[str, list[str], bool]] = [
    ("hub", ["hub", "--config", str(EXAMPLES / "hub.toml")], False),
    ("kiosk-1", ["kiosk", "--config", str(KIOSK_CONFIG)], True),
    # The touch screen kiosk: `echo "tap 400 240" > /tmp/antrian-kiosk-2.fifo`, and its
    # screen in run/office/kiosk-2/latest.png (docs/kiosk.md, "The touch screen kiosk").
    ("kiosk-2", ["kiosk", "--config", str(EXAMPLES / "kiosk-touch.toml")], False),
    ("loket-1", ["counter", "--config", str(EXAMPLES / "counter-1.toml")], True),
    ("loket-2", ["counter", "--config", str(EXAMPLES / "counter-2.toml")], True),
    ("display-1", ["display", "--config", str(EXAMPLES / "display.toml")], False),
    ("web-1", ["web", "--config", str(EXAMPLES / "web.toml")], False),
]

#: A short morning: (seconds to wait first, node, line for its stdin). Each line waits for
#: its node's answer (below) before the next one goes, so a busy machine plays the same
#: morning, only slower.
SCRIPT: list[tuple[float, str, str]] = [
    (0.0, "kiosk-1", "A"),
    (0.4, "kiosk-1", "A"),
    (0.4, "kiosk-1", "B"),
    (0.4, "kiosk-1", "!C"),
    (0.4, "kiosk-1", "C"),
    (1.0, "loket-1", "call_next"),
    (0.3, "loket-2", "call_next"),
    (1.5, "loket-1", "recall"),
    (1.0, "loket-1", "start"),
    (0.5, "loket-2", "skip"),
    (0.5, "loket-2", "call_next"),
    (1.0, "loket-1", "finish"),
    (0.5, "loket-1", "call_next"),
    (0.5, "loket-1", "transfer B"),
    (0.5, "loket-2", "call_next"),
]

HELP = """
The office is running. Type a line to act (or 'quit'):
  kiosk-1 A          press the service A button      (kiosk-1 !A = priority)
  loket-1 call_next  counter 1 calls the next ticket (recall, start, finish, skip,
                     transfer B, call A-002, pause, resume, open, close)
  loket-2 call_next  the same for counter 2
Look at: run/office/tickets/ (printed tickets), run/office/screen/latest.png (the TV),
run/office/voice/announcements.log (what was said), {web} (web; the tickets' QR codes
open it from a phone on the same network).
"""


def lan_address(probe: str = "192.0.2.1") -> str:
    """This machine's address as a phone on the same network reaches it: the source address
    of its default route (a UDP "connect" only picks the route; nothing is sent), or
    `{hostname}.local` (mDNS) when there is no route or it is a loopback address."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe_socket:
            probe_socket.connect((probe, 9))
            address = str(probe_socket.getsockname()[0])
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    except OSError:
        pass
    return f"{socket.gethostname().split('.')[0]}.local"


def demo_base_url() -> str:
    return f"http://{lan_address()}:{WEB_PORT}"


def write_kiosk_config(base_url: str) -> Path:
    """The example kiosk with the QR codes pointing at this machine, not 127.0.0.1 (which a
    phone would take for itself), and its tickets folder made absolute."""
    config = tomllib.loads((EXAMPLES / "kiosk.toml").read_text(encoding="utf-8"))
    config["kiosk"]["base_url"] = base_url
    config["printer"]["path"] = str((EXAMPLES / config["printer"]["path"]).resolve())
    header = f"# Written by scripts/office.py from {EXAMPLES / 'kiosk.toml'}; do not edit.\n"
    KIOSK_CONFIG.write_text(header + tomli_w.dumps(config), encoding="utf-8")
    return KIOSK_CONFIG


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


#: What shows that a node has dealt with a scripted line: the kiosk's outcome of a press,
#: a counter's next indicator line.
ANSWERED = {"kiosk-1": re.compile(r"printed |ignored|refused|failed"), "loket": re.compile("")}
#: What shows that the nodes are ready for the script: every counter's desk is open.
READY = {"kiosk-1": re.compile("hub is online"), "loket-1": re.compile(r"\| BUKA")}
READY["loket-2"] = READY["loket-1"]


class Office:
    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.output_lock = threading.Condition()
        self.pumps: list[threading.Thread] = []
        self.lines: dict[str, list[str]] = {}

    def say(self, name: str, line: str) -> None:
        with self.output_lock:
            print(f"{name:>10} | {line}", flush=True)
            self.lines.setdefault(name, []).append(line)
            self.output_lock.notify_all()

    def _pump(self, name: str, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            self.say(name, raw.decode(errors="replace").rstrip())

    def wait_line(self, name: str, pattern: re.Pattern[str], after: int, timeout: float) -> bool:
        """Until a line of `name` past its first `after` lines matches `pattern`."""
        with self.output_lock:
            return self.output_lock.wait_for(
                lambda: any(pattern.search(line) for line in self.lines.get(name, [])[after:]),
                timeout,
            )

    def seen(self, name: str) -> int:
        with self.output_lock:
            return len(self.lines.get(name, []))

    def start(self, name: str, argv: list[str], stdin: bool) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        env.setdefault("TZ", office_timezone())  # logs in the office's time, as on a Pi
        env.setdefault("SDL_VIDEODRIVER", "dummy")
        env.setdefault("SDL_AUDIODRIVER", "dummy")
        env.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        pump = threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True)
        pump.start()
        self.pumps.append(pump)

    def send(self, name: str, line: str) -> bool:
        process = self.processes.get(name)
        if process is None or process.stdin is None or process.poll() is not None:
            self.say("office", f"no running node {name!r} takes input")
            return False
        self.say("office", f"-> {name}: {line}")
        process.stdin.write((line + "\n").encode())
        process.stdin.flush()
        return True

    def stop(self) -> None:
        """Nodes first (they say goodbye through the broker), the broker last."""
        names = [n for n in self.processes if n != "mosquitto"] + ["mosquitto"]
        for group in (names[:-1], names[-1:]):
            for name in group:
                process = self.processes.get(name)
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for name in group:
                process = self.processes.get(name)
                if process is None:
                    continue
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        for pump in self.pumps:  # every node's last lines before ours
            pump.join(5)


def office_timezone() -> str:
    hub = tomllib.loads((EXAMPLES / "hub.toml").read_text(encoding="utf-8"))
    return str(hub.get("office", {}).get("timezone", "Asia/Jakarta"))


def outputs() -> list[str]:
    """Where to look once the office stopped: the last lines the terminal shows."""

    def shown(path: Path) -> str:
        return str(path.relative_to(ROOT))

    tickets = sorted((RUN / "tickets").glob("*.png"))
    shots = RUN / "screen" / "latest.png"
    voice = sorted((RUN / "voice").glob("*.wav"))
    hub = EXAMPLES / "hub.toml"
    today = datetime.now(ZoneInfo(office_timezone())).date().isoformat()
    command = "antrian" if shutil.which("antrian") else ".venv/bin/antrian"
    return [
        "The office stopped. What it left:",
        f"  tickets     {shown(RUN / 'tickets')}/  ({len(tickets)} printed: .bin and .png)",
        f"  the TV      {shown(shots)}" + ("" if shots.exists() else "  (missing)"),
        f"  the voice   {shown(RUN / 'voice')}/  ({len(voice)} WAVs, announcements.log)",
        f"  database    {shown(RUN / 'antrian.db')}  (kept by --keep on the next run)",
        f"  logs        this terminal; the broker's in {shown(RUN / 'mosquitto.log')}",
        f"  a report    {command} report --config {shown(hub)} --date {today} --format pdf",
    ]


def start_broker(office: Office) -> None:
    if port_open(PORT):
        raise SystemExit(f"port {PORT} is in use: is another office demo running?")
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    conf = RUN / "mosquitto.conf"
    conf.write_text(
        f"listener {PORT} 127.0.0.1\n"
        "allow_anonymous true\n"
        "set_tcp_nodelay true\n"
        "persistence false\n"
        f"log_dest file {RUN / 'mosquitto.log'}\n"
        "user root\n"
    )
    office.start("mosquitto", [binary, "-c", str(conf)], False)
    deadline = time.monotonic() + 10
    while not port_open(PORT):
        if time.monotonic() > deadline:
            raise SystemExit(f"mosquitto did not start; see {RUN / 'mosquitto.log'}")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-wait", action="store_true", help="stop after the script")
    parser.add_argument(
        "--keep", action="store_true", help="keep run/office/ from the last run (its database)"
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the script")
    args = parser.parse_args()
    if RUN.exists() and not args.keep:
        shutil.rmtree(RUN)
    RUN.mkdir(parents=True, exist_ok=True)
    base_url = demo_base_url()
    write_kiosk_config(base_url)
    office = Office()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        start_broker(office)
        for name, argv, stdin in NODES:
            office.start(name, ANTRIAN + argv, stdin)
            if name == "hub":
                time.sleep(1.0)  # the hub loads its database before the nodes ask
        for node, pattern in READY.items():  # nodes connect and read the retained state
            if not office.wait_line(node, pattern, 0, 30):
                office.say("office", f"{node} is not ready after 30 s; playing the script anyway")
        for delay, node, line in SCRIPT:
            time.sleep(delay)
            before = office.seen(node)
            office.send(node, line)
            answered = ANSWERED["kiosk-1" if node == "kiosk-1" else "loket"]
            if not office.wait_line(node, answered, before, 15):
                office.say("office", f"{node} did not answer {line!r} within 15 s")
        time.sleep(args.settle)
        if args.no_wait:
            return 0
        print(HELP.format(web=f"{base_url}/"), flush=True)
        for line in sys.stdin:
            words = line.strip().split(maxsplit=1)
            if not words:
                continue
            if words[0] in ("quit", "exit", "q"):
                break
            if len(words) == 2:
                office.send(words[0], words[1])
            else:
                print(HELP.format(web=f"{base_url}/"), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        office.stop()
        print("\n".join(outputs()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
