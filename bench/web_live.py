"""Benchmark: 200 phones holding live pages while 2 tickets/s are issued and called.

    .venv/bin/python bench/web_live.py [--clients 200] [--ticket-pages 50] [--seconds 30]
        [--fd-limit 1024] [--max-live N]

Starts a private mosquitto, a real hub and `antrian web` as subprocesses. Before the
clock starts, a kiosk takes `--ticket-pages` tickets for service A; one phone follows each
of them (`/live/t/{id}`), the other phones follow the public board (`/live/papan`). Then,
every 0.5 s, a kiosk takes an A ticket and Loket 1 finishes its ticket and calls the next.

Update latency = from just before the counter's `call_next` request is sent to the moment
a phone reads the server-sent event that shows its effect:
- board phones: the called number at the top of the recent calls (exact match by number);
- ticket phones: their `ahead` going down by one, or their own call (the i-th call since
  the start moves a ticket that started with `ahead0` to `ahead0 - i`: exact, FIFO).
Server RSS is the web process's VmRSS sampled during the run, and its peak (VmHWM).
Targets: p99 < 500 ms, RSS < 120 MB.

Overload (`--clients 1100 --fd-limit 1024`, systemd's default file limit): phones beyond
the web's live cap must get 503 with Retry-After (their page then polls), `/healthz` must
keep answering (probed every 0.5 s, 2 s timeout) and the web's log must stay small.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import HubProcess, Mosquitto, client, free_port, wait_for  # noqa: E402

WEB_TOML = """\
[office]
id = "kantor"
timezone = "Asia/Jakarta"
[node]
id = "web-1"
[broker]
host = "127.0.0.1"
port = {broker_port}
[web]
host = "127.0.0.1"
port = {port}
secret_key = "bench-secret-key-0123456789"
rate_limit_per_minute = 1000
[hub]
database = "{db}"
[log]
level = "WARNING"
"""


def proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Phone:
    """One live page over a raw HTTP/1.1 connection; records (receive time, view)."""

    def __init__(self, port: int, path: str) -> None:
        self.port = port
        self.path = path
        self.views: list[tuple[float, dict[str, object]]] = []
        self.connected = asyncio.Event()  # answered, whatever the answer
        self.status = 0  # 0: no answer (refused, reset or timed out)
        self.retry_after = False

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._run(stop)
        except (OSError, TimeoutError, ValueError):
            pass
        finally:
            self.connected.set()

    async def _run(self, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 20)
        writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 20)
        parts = status.split()
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        while header := (await reader.readline()).strip():
            self.retry_after |= header.lower().startswith(b"retry-after:")
        self.connected.set()
        if self.status != 200:
            writer.close()
            return
        event = ""
        while not stop.is_set():
            try:
                line = await asyncio.wait_for(reader.readline(), 0.5)
            except TimeoutError:
                continue
            if not line:
                break
            text = line.decode().rstrip("\r\n")
            # chunked transfer: size lines are hex, data lines are what we want
            if text.startswith("event: "):
                event = text[7:]
            elif text.startswith("data: ") and event == "update":
                self.views.append((time.monotonic(), json.loads(text[6:])))
        writer.close()


def drive(
    broker: Mosquitto,
    seconds: float,
    rate: float,
    calls: dict[int, tuple[float, str]],
    started: threading.Event,
) -> None:
    """Every 1/rate s: a kiosk takes an A ticket; Loket 1 finishes and calls the next."""
    kiosk = client(broker, "kiosk-2", "kiosk")
    counter = client(broker, "loket-1", "counter")
    started.set()
    interval = 1.0 / rate
    next_at = time.monotonic()
    end = next_at + seconds
    index = 0
    while time.monotonic() < end:
        kiosk.request("ticket", {"service": "A"})
        if index:
            counter.request("counter", {"counter": "1", "action": "finish"})
        index += 1
        sent = time.monotonic()
        answer = counter.request("counter", {"counter": "1", "action": "call_next"})
        if answer.ok and answer.data.get("ticket"):
            calls[index] = (sent, answer.data["ticket"]["number"])
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    kiosk.stop()
    counter.stop()


def latencies(
    phones: list[Phone], ticket_phones: set[int], calls: dict[int, tuple[float, str]]
) -> tuple[list[float], list[float]]:
    sent_by_number = {number: sent for sent, number in calls.values()}
    board: list[float] = []
    tickets: list[float] = []
    for i, phone in enumerate(phones):
        if not phone.views:
            continue
        if i in ticket_phones:
            first = phone.views[0][1]
            ahead0 = first.get("ahead")
            if not isinstance(ahead0, int):
                continue
            seen: set[int] = set()
            for received, view in phone.views[1:]:
                ahead = view.get("ahead")
                step = ahead0 - ahead if isinstance(ahead, int) else None
                if view.get("state") == "called":
                    step = ahead0 + 1
                if step and step in calls and step not in seen:
                    seen.add(step)
                    tickets.append(received - calls[step][0])
        else:
            shown: set[str] = set()
            for received, view in phone.views:
                recent = view.get("calls")
                if isinstance(recent, list) and recent:
                    number = recent[0].get("number")
                    if number in sent_by_number and number not in shown:
                        shown.add(number)
                        board.append(received - sent_by_number[number])
    return board, tickets


async def probe_health(port: int, stop: asyncio.Event, times: list[float | None]) -> None:
    """GET /healthz every 0.5 s on a new connection; None for no answer within 2 s."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2.0)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            line = await asyncio.wait_for(reader.readline(), 2.0 - (time.monotonic() - started))
            writer.close()
            times.append(time.monotonic() - started if b" 200 " in line else None)
        except (OSError, TimeoutError, ValueError):
            times.append(None)
        await asyncio.sleep(0.5)


def limit_files(limit: int | None) -> None:
    if limit is not None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


async def main_async(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="antrian-bench-web-"))
    broker = Mosquitto(work / "mosquitto")
    broker.start()
    hub = HubProcess(broker, work / "hub")
    hub.start()
    port = free_port()
    config = work / "web.toml"
    toml = WEB_TOML.format(broker_port=broker.port, port=port, db=hub.db_path)
    if args.max_live is not None:
        toml = toml.replace("[hub]", f"max_live = {args.max_live}\n[hub]")
    config.write_text(toml)
    web_log = work / "web.log"
    with web_log.open("wb") as log_file:
        web = subprocess.Popen(
            [sys.executable, "-m", "nodes.cli", "web", "--config", str(config)],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: limit_files(args.fd_limit),
        )
    try:
        kiosk = client(broker, "kiosk-1", "kiosk")
        followed = [
            kiosk.request("ticket", {"service": "A"}).data["ticket_id"]
            for _ in range(args.ticket_pages)
        ]
        kiosk.stop()
        wait_for(lambda: _up(port), timeout=20)
        phones: list[Phone] = []
        ticket_phones: set[int] = set()
        for i in range(args.clients):
            if i < len(followed):
                ticket_phones.add(i)
                phones.append(Phone(port, f"/live/t/{followed[i]}"))
            else:
                phones.append(Phone(port, "/live/papan"))
        stop = asyncio.Event()
        health: list[float | None] = []
        prober = asyncio.create_task(probe_health(port, stop, health))
        opened = time.monotonic()
        tasks = [asyncio.create_task(p.run(stop)) for p in phones]
        await asyncio.wait_for(asyncio.gather(*(p.connected.wait() for p in phones)), 60)
        await asyncio.sleep(1.0)  # every phone has its first view
        idle_rss = proc_kb(web.pid, "VmRSS") / 1024
        calls: dict[int, tuple[float, str]] = {}
        started = threading.Event()
        driver = threading.Thread(
            target=drive, args=(broker, args.seconds, args.rate, calls, started), daemon=True
        )
        driver.start()
        samples: list[float] = []
        while driver.is_alive():
            samples.append(proc_kb(web.pid, "VmRSS") / 1024)
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.5)  # the last updates arrive
        stop.set()
        await asyncio.gather(*tasks, prober, return_exceptions=True)
        elapsed = time.monotonic() - opened
        peak = proc_kb(web.pid, "VmHWM") / 1024
        board, tickets = latencies(phones, ticket_phones, calls)
        both = board + tickets
        print(
            f"phones: {args.clients} ({len(ticket_phones)} ticket pages, "
            f"{args.clients - len(ticket_phones)} board pages); "
            f"{len(calls)} calls + {len(calls)} tickets in {args.seconds:.0f} s "
            f"({args.rate:g}/s each)"
        )
        for name, values in (("board", board), ("ticket", tickets), ("all", both)):
            if values:
                print(
                    f"update latency {name:>6}: n={len(values):5d}  "
                    f"p50={percentile(values, 0.50) * 1000:6.1f} ms  "
                    f"p99={percentile(values, 0.99) * 1000:6.1f} ms  "
                    f"max={max(values) * 1000:6.1f} ms"
                )
        print(
            f"web RSS: idle with phones connected {idle_rss:.1f} MB, "
            f"during run max {max(samples, default=0):.1f} MB, peak (VmHWM) {peak:.1f} MB"
        )
        ok = both and percentile(both, 0.99) < 0.5 and peak < 120
        print("targets (p99 < 500 ms, RSS < 120 MB):", "met" if ok else "NOT met")
        statuses: dict[int, int] = {}
        for phone in phones:
            statuses[phone.status] = statuses.get(phone.status, 0) + 1
        busy = [p for p in phones if p.status == 503]
        print(
            f"live pages: {statuses.get(200, 0)} served, {len(busy)} answered 503 "
            f"({sum(p.retry_after for p in busy)} with Retry-After), "
            f"{statuses.get(0, 0)} got no answer; other: "
            f"{ {k: v for k, v in statuses.items() if k not in (0, 200, 503)} }"
        )
        answered = [t for t in health if t is not None]
        print(
            f"/healthz: {len(answered)}/{len(health)} answered within 2 s, "
            f"max {max(answered, default=0) * 1000:.0f} ms"
        )
        size = web_log.stat().st_size
        lines = len(web_log.read_bytes().splitlines())
        print(
            f"web log: {lines} lines, {size / 1024:.1f} KiB in {elapsed:.0f} s "
            f"({size / 1024 / max(1.0, elapsed) * 60:.1f} KiB/min); "
            f"fd limit {args.fd_limit or 'inherited'}"
        )
        return 0
    finally:
        web.terminate()
        try:
            web.wait(10)
        except subprocess.TimeoutExpired:
            web.kill()
        hub.stop()
        broker.stop()


def _up(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--ticket-pages", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2.0, help="tickets (and calls) per second")
    parser.add_argument(
        "--fd-limit", type=int, default=None, help="RLIMIT_NOFILE of the web (systemd: 1024)"
    )
    parser.add_argument("--max-live", type=int, default=None, help="[web] max_live")
    args = parser.parse_args()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
