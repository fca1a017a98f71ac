"""Faults: the hub SIGKILLed mid-burst, twice; nothing a client was told about is lost or
doubled, and numbers stay unique and gap-free."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter, defaultdict
from typing import Any

import pytest

from common.mqtt import RequestTimeout
from tests.harness import HubProcess, Mosquitto, client

CLIENTS = 5
PER_CLIENT = 100
SERVICES = ("A", "B", "C")


@pytest.mark.slow
def test_sigkill_mid_burst_loses_and_doubles_nothing(broker: Mosquitto, hub: HubProcess) -> None:
    answers: list[dict[str, Any]] = []
    failures: list[str] = []
    lock = threading.Lock()
    progress = [0]

    def kiosk_run(index: int) -> None:
        # Two registered kiosks; the others share their ids with different client ids,
        # which is what five tablets behind one kiosk account would look like.
        link = client(broker, f"kiosk-{index % 2 + 1}", "kiosk")
        try:
            for n in range(PER_CLIENT):
                service = SERVICES[(index + n) % len(SERVICES)]
                try:
                    # Long enough to ride out a hub restart; retries keep the transaction.
                    response = link.request(
                        "ticket",
                        {"service": service, "transaction": f"c{index}-{n}"},
                        timeout=30,
                        attempt_timeout=1.0,
                    )
                except RequestTimeout as exc:
                    with lock:
                        failures.append(str(exc))
                    continue
                with lock:
                    if response.ok:
                        answers.append(response.data)
                    else:
                        failures.append(f"{response.error_code}: {response.error_message}")
                    progress[0] += 1
        finally:
            link.stop()

    threads = [threading.Thread(target=kiosk_run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    total = CLIENTS * PER_CLIENT
    for fraction in (0.3, 0.6):
        deadline = time.monotonic() + 60
        while progress[0] < total * fraction and time.monotonic() < deadline:
            time.sleep(0.01)
        hub.kill()  # SIGKILL: no goodbye, no flush
        time.sleep(0.3)
        hub.start()
    for thread in threads:
        thread.join(120)

    assert failures == []
    assert len(answers) == total
    # Every ticket a client was told about exists exactly once in the database.
    told = Counter(a["ticket_id"] for a in answers)
    assert max(told.values()) == 1
    with sqlite3.connect(hub.db_path) as db:
        rows = db.execute(
            "SELECT ticket_id, service, json_extract(data, '$.seq') FROM events"
            " WHERE kind = 'ticket_issued'"
        ).fetchall()
    stored = Counter(ticket_id for ticket_id, _, _ in rows)
    assert max(stored.values()) == 1
    assert set(stored) == set(told)
    # Numbers are unique and gap-free per service.
    seqs: dict[str, list[int]] = defaultdict(list)
    for _, service, seq in rows:
        seqs[service].append(int(seq))
    for service, numbers in seqs.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), service
    # The hub really was killed twice mid-burst (three starts, the last one serving).
    assert hub.log().count("office kantor:") == 3
