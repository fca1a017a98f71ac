"""Group commit on a slow card: the hub runs under strace, which delays every fdatasync
(as an SD card does); requests that arrive while one commit waits for its fsync are
committed together, and every promise still holds: each answer only once its ticket is
on disk, in order, idempotent, and a failed group fails every member."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.mqtt import BrokerLink, Response
from tests.harness import HubProcess, Mosquitto, client

#: Each fdatasync of the hub takes this much longer (microseconds): long enough that the
#: other clients' requests, sent at once, arrive while the first commit is in flight.
DELAY_US = 150_000


def strace_wrapper(log: Path) -> tuple[str, ...]:
    strace = shutil.which("strace")
    assert strace, "strace is missing: run scripts/install.sh (it installs the test tools)"
    return (
        strace, "-f", "-qq", "--seccomp-bpf", "-o", str(log), "-e", "trace=fdatasync",
        "-e", f"inject=fdatasync:delay_exit={DELAY_US}",
    )  # fmt: skip


@pytest.fixture
def slow_hub(broker: Mosquitto, tmp_path: Path) -> Iterator[HubProcess]:
    hub = HubProcess(broker, tmp_path / "hub", wrapper=strace_wrapper(tmp_path / "fsyncs"))
    hub.start()
    yield hub
    hub.stop()


def fsyncs(path: Path) -> int:
    return sum("fdatasync(" in line for line in path.read_text().splitlines())


def at_once(links: list[BrokerLink], send: list[dict[str, object]]) -> list[Response]:
    """Each link sends its request at the same moment; the answers, in link order."""
    barrier = threading.Barrier(len(links))
    answers: list[Response | None] = [None] * len(links)

    def work(index: int) -> None:
        barrier.wait()
        answers[index] = links[index].request("ticket", send[index], timeout=15)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(links))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers)
    return [a for a in answers if a is not None]


def tickets(db_path: Path) -> dict[str, str]:
    """ticket number -> issuing node, as committed."""
    with sqlite3.connect(db_path) as db:
        return dict(db.execute("SELECT number, node FROM tickets").fetchall())


NODES = ("kiosk-1", "kiosk-2", "web-1", "kiosk-1", "kiosk-2", "web-1")


def test_requests_waiting_for_a_slow_fsync_are_committed_together(
    broker: Mosquitto, slow_hub: HubProcess, tmp_path: Path
) -> None:
    links = [client(broker, node, "kiosk") for node in NODES]
    try:
        assert links[0].request("ticket", {"service": "A"}, timeout=15).ok  # warm
        before = fsyncs(tmp_path / "fsyncs")
        sends: list[dict[str, object]] = [
            {"service": "A", "transaction": f"t-{i}"} for i in range(len(links))
        ]
        # Two links of each node: a node's second request waits behind its first.
        answers = at_once(links, sends)
        used = fsyncs(tmp_path / "fsyncs") - before
        assert all(a.ok for a in answers), answers
        numbers = [a.data["number"] for a in answers]
        assert sorted(numbers) == [f"A-{n:03d}" for n in range(2, 8)]
        # Committed, each by the node that asked, before it was answered.
        committed = tickets(slow_hub.db_path)
        assert {n: committed[n] for n in numbers} == dict(zip(numbers, NODES, strict=True))
        # Fewer fsyncs than requests: some commits carried several.
        assert used < len(links), f"{used} fsyncs for {len(links)} requests"
        # A repeat gets the same answer and no second ticket.
        again = at_once(links[:3], sends[:3])
        assert [a.data for a in again] == [a.data for a in answers[:3]]
        assert len(tickets(slow_hub.db_path)) == 7
    finally:
        for link in links:
            link.stop()


def test_a_failed_group_commit_fails_every_member_and_keeps_none(
    broker: Mosquitto, slow_hub: HubProcess
) -> None:
    links = [client(broker, node, "kiosk") for node in NODES]
    try:
        assert links[0].request("ticket", {"service": "A"}, timeout=15).ok
        # SQLite refuses the bad requests' writes, inside the transaction that carries them.
        with sqlite3.connect(slow_hub.db_path) as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON transactions"
                " WHEN NEW.transaction_id LIKE 't-bad-%'"
                " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        # Which requests gather behind a commit in flight depends on arrival: a bad one
        # that happened to come first is committed (and fails) alone. Repeat the burst
        # until it was part of a group; every burst must keep every promise.
        grouped = False
        landed: set[str] = set()
        for burst in range(8):
            sends: list[dict[str, object]] = [
                {"service": "A", "transaction": f"t-{burst}-{i}"} for i in range(len(links) - 1)
            ]
            bad: dict[str, object] = {"service": "A", "transaction": f"t-bad-{burst}"}
            answers = at_once(links, [*sends, bad])
            failed = [a for a in answers if not a.ok]
            assert all(a.error_code == "internal_error" for a in failed), answers
            assert not answers[-1].ok
            landed |= {a.data["number"] for a in answers if a.ok}
            committed = tickets(slow_hub.db_path)
            # Every answered ticket is on disk; no failed one left anything.
            assert landed == set(committed) - {"A-001"}
            if len(failed) > 1:  # the bad request failed the whole commit it was part of
                grouped = True
                break
        assert grouped, "the bad request never shared a commit with another in 8 bursts"
        with sqlite3.connect(slow_hub.db_path) as db:
            db.execute("DROP TRIGGER refuse")
        # The queue was rebuilt from the database: numbering goes on from what landed.
        after = links[0].request("ticket", {"service": "A"}, timeout=15)
        assert after.data["number"] == f"A-{len(committed) + 1:03d}"
    finally:
        for link in links:
            link.stop()
