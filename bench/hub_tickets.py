"""Benchmark: ticket requests over loopback MQTT with durable (fsync'd) commits.

    .venv/bin/python bench/hub_tickets.py [--tickets 2000] [--clients 8]

Starts a private mosquitto and a real hub, then measures one client asking sequentially
and N clients asking at once: p50/p99 round trip, tickets/s, and the hub's RSS.
Targets on a 2-core dev machine: p50 < 2 ms, p99 < 10 ms, >= 500 tickets/s, RSS < 60 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def run(broker: Mosquitto, clients: int, per_client: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    links = [client(broker, f"kiosk-{i % 2 + 1}", "kiosk") for i in range(clients)]
    barrier = threading.Barrier(clients)

    def work(index: int) -> None:
        mine: list[float] = []
        barrier.wait()
        for n in range(per_client):
            started = time.perf_counter()
            response = links[index].request("ticket", {"service": "ABC"[n % 3]}, timeout=10)
            mine.append((time.perf_counter() - started) * 1000)
            assert response.ok, response
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for link in links:
        link.stop()
    return latencies, clients * per_client / elapsed


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
