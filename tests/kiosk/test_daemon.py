"""`antrian kiosk --config FILE`: the config file, and the whole daemon as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from common.config import ConfigError
from nodes.kiosk.buttons import ButtonPins
from nodes.kiosk.daemon import main, read_config
from nodes.kiosk.printer import TICKET_FOLDER, FilePrinter, UsbPrinter
from tests.harness import ROOT, Collector, HubProcess, Mosquitto, client, wait_for

EXAMPLE = ROOT / "examples" / "office" / "kiosk.toml"

GPIO_CONFIG = """\
[office]
id = "kantor"
[node]
id = "kiosk-2"
[kiosk]
base_url = "http://10.0.0.1:8080"
language = "en"
request_timeout = 3
[input]
type = "gpio"
debounce_ms = 150
[input.buttons.A]
pin = 17
led = 27
[input.buttons.B]
pin = "GPIO18"
[input.priority]
pin = 22
led = 23
[printer]
type = "usb"
paper_mm = 58
usb_vendor = 0x0416
usb_product = 0x5011
"""


def test_the_example_config_reads(tmp_path: Path) -> None:
    config = read_config(EXAMPLE)
    assert config.identity.node_id == "kiosk-1"
    assert config.input.type == "stdin" and config.input.config.services == ("A", "B", "C")
    assert config.printer.type == "file" and config.printer.paper.columns == 48
    # "../../run/office/tickets": from the example's folder, not the working directory
    assert config.printer.adapter.config.path == ROOT / "run" / "office" / "tickets"
    assert config.settings.request_timeout_s == 5.0
    assert config.office.name == "Kantor Kecamatan Contoh"


def test_gpio_usb_config_reads(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GPIO_CONFIG)
    config = read_config(path)
    buttons, printer = config.input.config, config.printer.adapter.config
    assert buttons.buttons == (ButtonPins("A", 17, 27), ButtonPins("B", "GPIO18", None))
    assert buttons.priority == (22, 23)
    assert buttons.debounce_s == pytest.approx(0.15)
    assert config.printer.profile == "RP-F10-58mm"  # the 58 mm default
    assert printer == UsbPrinter(0x0416, 0x5011, profile="RP-F10-58mm", read_status=True)
    assert config.office.lang == "en" and config.settings.request_timeout_s == 3.0
    assert buttons.pull == "up" and buttons.chip is None  # a Pi: buttons to ground


def test_gpio_on_a_named_chip_with_buttons_to_3v3_reads(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GPIO_CONFIG.replace("[input]\n", '[input]\nchip = 0\npull = "down"\n'))
    buttons = read_config(path).input.config
    assert buttons.chip == 0 and buttons.pull == "down"
    for wrong, problem in (('pull = "sideways"', "one of up, down"), ("chip = -1", "at least 0")):
        path.write_text(GPIO_CONFIG.replace("[input]\n", f"[input]\n{wrong}\n"))
        with pytest.raises(ConfigError, match=problem) as caught:
            read_config(path)
        assert caught.value.key == f"input.{wrong.split()[0]}"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("[printer]\n", "[printer]\npaper_width = 80\n"), "printer.paper_width"),
        (('type = "usb"', 'type = "parallel"'), "printer.type"),
        (("paper_mm = 58", "paper_mm = 76"), "printer.paper_mm"),
        (("pin = 22", "pin = -1"), "input.priority.pin"),
        (("[printer]\n", "[input.now]\npin = 5\nled = 6\n[printer]\n"), "input.now.led"),
        (("[printer]\n", "[input.now]\n[printer]\n"), "input.now.pin"),
        (("[kiosk]\n", '[kiosk]\nprofile = "x"\n'), "kiosk.profile"),
        (("[printer]\n", '[printer]\nprofile = "NoSuchPrinter"\n'), "printer.profile"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GPIO_CONFIG.replace(*change, 1))
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert caught.value.key == key and str(path) in str(caught.value)


def test_logo_is_read_at_start_relative_to_the_config(tmp_path: Path) -> None:
    Image.new("L", (40, 20), 0).save(tmp_path / "logo.png")
    path = tmp_path / "kiosk.toml"
    path.write_text(GPIO_CONFIG + '[ticket]\nlogo = "logo.png"\n')
    logo = read_config(path).office.logo
    assert logo is not None and logo.size == (384, 20)  # 58 mm paper, centred


@pytest.mark.parametrize(
    ("logo", "problem"),
    [('"missing.png"', "not found"), ('"kiosk.toml"', "not a picture"), ("7", "must be")],
)
def test_a_bad_logo_stops_the_kiosk_at_start(tmp_path: Path, logo: str, problem: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GPIO_CONFIG + f"[ticket]\nlogo = {logo}\n")
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert caught.value.key == "ticket.logo" and str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_bad_config_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(GPIO_CONFIG.replace("[input]\n", "[input]\nservises = []\n"))
    assert main(["--config", str(path)]) == 2
    assert "input.servises: unknown key" in capsys.readouterr().err


def test_daemon_prints_from_stdin_presses(
    hub: HubProcess, broker: Mosquitto, tmp_path: Path
) -> None:
    tickets = tmp_path / "tickets"
    config = EXAMPLE.read_text().replace("port = 18830", f"port = {broker.port}")
    config = config.replace('"../../run/office/tickets"', f'"{tickets}"')
    path = tmp_path / "kiosk.toml"
    path.write_text(config)
    watcher = client(broker, "watcher")
    statuses = Collector(watcher, hub.topics.node_status("kiosk-1"))
    process = subprocess.Popen(
        [sys.executable, "-m", "nodes.cli", "kiosk", "--config", str(path)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert process.stdin is not None and process.stderr is not None
    said: list[str] = []  # the kiosk's log, read as it is written
    reader = threading.Thread(target=said.extend, args=(process.stderr,), daemon=True)
    reader.start()
    try:
        statuses.wait(lambda found: found and found[-1].get("online"), timeout=15)
        # The retained queue state has arrived once the simulated LEDs are lit.
        wait_for(lambda: any("LED A: lit" in line for line in said), timeout=10)
        for line in ("A", "A", "!B"):  # the second A is a bounce: within 300 ms
            process.stdin.write(line + "\n")
            process.stdin.flush()
            time.sleep(0.05 if line == "A" else 0)
        wait_for(lambda: (tickets / "B-001.png").exists(), timeout=10)
        assert sorted(p.name for p in tickets.iterdir()) == [
            "A-001.bin", "A-001.png", "B-001.bin", "B-001.png"
        ]  # fmt: skip
        assert b"PRIORITAS" in (tickets / "B-001.bin").read_bytes()
        assert (statuses.latest(hub.topics.node_status("kiosk-1")) or {}).get("printer") == "ok"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        statuses.wait(lambda found: found and not found[-1]["online"])  # said goodbye
    finally:
        if process.poll() is None:
            process.kill()
        watcher.stop()
    reader.join(10)
    errors = "".join(said)
    assert "printed A-001" in errors and "printed B-001" in errors


def test_office_wide_keys_are_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[office]\nid = "kantor"\nname = "Kantor"\naddress = "Jl. A"\n'
        'base_url = "http://10.0.0.1"\nlanguage = "en"\n[node]\nid = "kiosk-1"\n'
    )
    config = read_config(path)
    assert (config.office.address, config.office.base_url, config.office.lang) == (
        "Jl. A",
        "http://10.0.0.1",
        "en",
    )
    assert config.input.type == "stdin" and config.printer.type == "file"


def test_the_simulated_printer_has_one_default_folder(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[node]\nid = "kiosk-1"\n')
    printer = read_config(path).printer.adapter.config
    assert printer == FilePrinter() and printer.path == TICKET_FOLDER
    assert printer.path == Path("/tmp/antrian-tickets")
