"""After closing time the hub writes the day's report into its archive folder by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.harness import HubProcess, Mosquitto, client, wait_for


@pytest.mark.slow
def test_the_hub_archives_the_days_report_after_report_time(
    broker: Mosquitto, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    # Closing time is midnight, so "after closing time" is now, whenever the test runs.
    hub = HubProcess(
        broker,
        tmp_path / "hub",
        hub_extra=f'archive_dir = "{archive}"\nreport_time = "00:00"',
    )
    hub.start()
    try:
        kiosk = client(broker, "kiosk-1", "kiosk")
        assert kiosk.request("ticket", {"service": "A"}).ok
        kiosk.stop()
        wait_for(lambda: "daily report for" in hub.log(), timeout=60)
        files = sorted(archive.glob("laporan-*"))
        assert {f.suffix for f in files} == {".html", ".xlsx", ".pdf", ".csv"}
    finally:
        hub.stop()
    workbook = load_workbook(next(f for f in files if f.suffix == ".xlsx"))
    assert workbook.sheetnames
