"""The daily backup and `antrian restore`: a running hub backs its database up to the
stick with SQLite's online backup, says when and how big in its status, and the backup,
restored into a fresh hub, gives the same report and today's queue."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from nodes.hub.reports.source import build_report
from nodes.hub.store import Store
from tests.harness import ROOT, Collector, HubProcess, Mosquitto, client
from tests.hub.support import office
from tests.hub.test_store import everything

STATUS = "antrian/kantor/node/hub/status"


def restore(backup: Path, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nodes.cli", "restore", str(backup), "--database", str(database)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip


def queue_of(database: Path) -> dict[str, object]:
    now = datetime.now(ZoneInfo("Asia/Jakarta"))
    store = Store(database)
    try:
        return everything(store.load(office(), now), now)
    finally:
        store.close()


def test_a_backup_restored_into_a_fresh_hub_gives_the_same_report_and_queue(
    broker: Mosquitto, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    first = HubProcess(broker, tmp_path / "first")
    first.start()
    kiosk = client(broker, "kiosk-1", "kiosk")
    counter = client(broker, "loket-1", "counter")
    try:
        for service in "ABAB":
            assert kiosk.request("ticket", {"service": service}, timeout=10).ok
        assert counter.request("counter", {"counter": "1", "action": "call_next"}, timeout=10).ok
    finally:
        kiosk.stop()
        counter.stop()
    first.stop()
    # The same database, now with a stick and past the day's report time: backed up live.
    hub = HubProcess(
        broker,
        tmp_path / "first",
        hub_extra=f'report_time = "00:00"\nbackup_dir = "{stick}"\nbackup_mounted = false',
    )
    watcher = client(broker, "watcher")
    seen = Collector(watcher, STATUS)
    hub.start()
    try:
        status = seen.wait(lambda p: next((s for s in p if "backup_at" in s), None), STATUS)
        assert status["backup"] == "ok" and "disk_free_mb" in status
        (backup,) = sorted(stick.glob("antrian-*.db"))
        assert status["backup_bytes"] == backup.stat().st_size
        # Not over a running hub's database.
        refused = restore(backup, hub.db_path)
        assert refused.returncode == 1 and "stop the hub first" in refused.stderr
    finally:
        hub.stop()
        watcher.stop()

    fresh = tmp_path / "fresh" / "antrian.db"
    done = restore(backup, fresh)
    assert done.returncode == 0, done.stderr
    # The region is told to forget what came after the backup's last event.
    with closing(sqlite3.connect(backup)) as db:
        (last,) = db.execute("SELECT max(seq) FROM events").fetchone()
    assert last > 0
    assert f"will be rewound to seq {last} on the hub's next connection" in done.stdout
    marker = json.loads(fresh.with_name("antrian.db.region-rewind").read_text())
    assert marker == {"v": 1, "seq": last}
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    assert build_report(fresh, office(), today) == build_report(hub.db_path, office(), today)
    assert queue_of(fresh) == queue_of(hub.db_path)
    # And a hub starts on it, with today's queue: the next ticket goes on from A-003.
    second = HubProcess(broker, tmp_path / "fresh")
    second.start()
    kiosk = client(broker, "kiosk-2", "kiosk")
    try:
        assert kiosk.request("ticket", {"service": "A"}, timeout=10).data["number"] == "A-003"
    finally:
        kiosk.stop()
        second.stop()
