"""End to end: the README's first command (without its install step) runs a whole office
on this machine, and each simulated device shows what the real one would have."""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from tests.harness import ROOT

RUN = ROOT / "run" / "office"


@pytest.mark.slow
def test_the_office_demo_prints_calls_shows_and_speaks() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/office.py", "--no-wait", "--settle", "8"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    # The kiosk printed the five scripted tickets, as ESC/POS bytes and a PNG preview.
    tickets = sorted(p.name for p in (RUN / "tickets").glob("*.bin"))
    assert tickets == ["A-001.bin", "A-002.bin", "B-001.bin", "C-001.bin", "C-002.bin"]
    assert all((RUN / "tickets" / t.replace(".bin", ".png")).stat().st_size > 1000 for t in tickets)
    # Their QR codes open this machine from a phone, not the phone's own 127.0.0.1.
    printed = (RUN / "tickets" / "A-001.bin").read_bytes()
    base_url = tomllib.loads((RUN / "kiosk.toml").read_text())["kiosk"]["base_url"]
    assert b"127.0.0.1" not in printed and f"{base_url}/t/".encode() in printed
    # The counters showed their calls (C-001 was a priority ticket, so Loket 2 took it first).
    assert "LOKET 1 | MEMANGGIL A-001" in output
    assert "LOKET 2 | MEMANGGIL C-001" in output
    assert "LOKET 1 | MELAYANI A-001" in output
    # The hub's database holds every ticket; the display drew and spoke.
    assert (RUN / "screen" / "latest.png").stat().st_size > 10_000
    spoken = (RUN / "voice" / "announcements.log").read_text()
    assert "A-001" in spoken and "loket satu" in spoken
    assert "Traceback" not in output
    # It ends on where to look, not on the broker's last words.
    last = result.stdout.rstrip().splitlines()[-7:]
    assert last[0] == "The office stopped. What it left:", last
    assert last[1].startswith("  tickets     run/office/tickets/  (5 printed")
    assert last[2] == "  the TV      run/office/screen/latest.png"
    assert re.fullmatch(
        r"  a report    \S*antrian report --config examples/office/hub\.toml "
        r"--date \d{4}-\d\d-\d\d --format pdf",
        last[-1],
    )
    # Log lines carry the office's time with its offset (WIB), like its tickets.
    assert re.search(r"hub \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0700 INFO antrian\.hub", output)


def office_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("office_demo", ROOT / "scripts" / "office.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_qr_address_is_one_a_phone_can_reach(tmp_path: Path) -> None:
    demo = office_script()
    host = demo.lan_address()
    if host.endswith(".local"):
        assert host.count(".") == 1  # {hostname}.local, by mDNS
    else:
        assert not ipaddress.ip_address(host).is_loopback
    demo.KIOSK_CONFIG = tmp_path / "kiosk.toml"  # type: ignore[attr-defined]
    config = tomllib.loads(demo.write_kiosk_config("http://192.168.1.20:8080").read_text())
    assert config["kiosk"]["base_url"] == "http://192.168.1.20:8080"
    assert config["printer"]["path"] == str(ROOT / "run" / "office" / "tickets")
    assert config["node"]["id"] == "kiosk-1"  # the rest is the example's
