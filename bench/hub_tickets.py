"""Benchmark: ticket requests over loopback MQTT with durable (fsync'd) commits.

    .venv/bin/python bench/hub_tickets.py [--tickets 2000] [--clients 8]

Starts a private mosquitto and a real hub, then measures one client asking sequentially
and N clients asking at once: p50/p99 round trip, tickets/s, and the hub's RSS.
Targets on a 2-core dev machine: p50 < 2 ms, p99 < 10 ms, >= 500 tickets/s, RSS < 60 MB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.config import BrokerConfig
from tests.harness import HubProcess, Mosquitto, client


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def add_kiosks(config_path: Path, count: int) -> None:
    """Register kiosk-3 .. kiosk-`count` in a hub's config (the test office has two)."""
    with config_path.open("a") as config:
        for n in range(3, count + 1):
            config.write(f'\n[[nodes]]\nid = "kiosk-{n}"\nrole = "kiosk"\n')


def _ask(broker: BrokerConfig, node: str, per_client: int, start: Any) -> list[float]:
    """One client asking `per_client` tickets one after another, once `start` lets it."""
    link = client(broker, node, "kiosk")
    mine: list[float] = []
    try:
        start.wait()
        for n in range(per_client):
            started = time.perf_counter()
            response = link.request("ticket", {"service": "ABC"[n % 3]}, timeout=10)
            mine.append((time.perf_counter() - started) * 1000)
            assert response.ok, response
    finally:
        link.stop()
    return mine


def _ask_in_process(broker: BrokerConfig, node: str, per_client: int, start: Any, out: Any) -> None:
    out.put(_ask(broker, node, per_client, start))


def run(
    broker: Mosquitto, clients: int, per_client: int, *, kiosks: int = 2, processes: bool = False
) -> tuple[list[float], float]:
    """`clients` clients asking at once, spread over kiosk-1 .. kiosk-`kiosks` (clients of
    one kiosk share its node id, so each of them also receives the others' answers); with
    `processes`, each client in a process of its own, as on separate Pis (else threads of
    this process, which share its GIL). Returns the round trips (ms) and tickets/s."""
    nodes = [f"kiosk-{i % kiosks + 1}" for i in range(clients)]
    if processes:
        # spawn: this process has threads (paho's), which fork would copy half-way.
        context = multiprocessing.get_context("spawn")
        start: Any = context.Barrier(clients + 1)
        out = context.Queue()
        workers = [
            context.Process(target=_ask_in_process, args=(broker.config, n, per_client, start, out))
            for n in nodes
        ]
        for worker in workers:
            worker.start()
        start.wait(timeout=60)  # every client connected
        started = time.perf_counter()
        latencies = [ms for _ in workers for ms in out.get(timeout=600)]
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.join()
        return latencies, clients * per_client / elapsed
    results: list[list[float]] = []
    start = threading.Barrier(clients + 1)

    def work(node: str) -> None:
        results.append(_ask(broker.config, node, per_client, start))

    threads = [threading.Thread(target=work, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if len(results) != clients:
        raise RuntimeError("a client failed; see its traceback above")
    return [ms for mine in results for ms in mine], clients * per_client / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        hub = HubProcess(broker, Path(tmp) / "hub")
        hub.start()
        try:
            run(broker, 1, 50)  # warm up
            assert hub.pid is not None
            for clients in (1, args.clients):
                hub_cpu, own_cpu = cpu_seconds(hub.pid), time.process_time()
                latencies, rate = run(broker, clients, args.tickets // clients)
                hub_cpu = cpu_seconds(hub.pid) - hub_cpu
                own_cpu = time.process_time() - own_cpu
                print(
                    f"{clients} client(s), {len(latencies)} tickets: "
                    f"p50 {statistics.median(latencies):.2f} ms, "
                    f"p99 {percentile(latencies, 0.99):.2f} ms, "
                    f"{rate:.0f} tickets/s; CPU per ticket: hub "
                    f"{hub_cpu / len(latencies) * 1000:.2f} ms, "
                    f"clients {own_cpu / len(latencies) * 1000:.2f} ms"
                )
            print(f"hub RSS {rss_mb(hub.pid):.1f} MB")
        finally:
            hub.stop()
            broker.stop()


if __name__ == "__main__":
    main()
