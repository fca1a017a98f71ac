"""`antrian counter --config FILE`: the config file, and the daemon driven by stdin lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.config import ConfigError
from nodes.counter.daemon import main, read_config
from tests.harness import ROOT, HubProcess, Mosquitto, client

EXAMPLES = ROOT / "examples" / "office"

MINIMAL = """\
[office]
id = "kantor"
[node]
id = "loket-1"
[broker]
port = {port}
[counter]
id = "1"
"""


def write(tmp_path: Path, extra: str = "", port: int = 1883) -> Path:
    path = tmp_path / "counter.toml"
    path.write_text(MINIMAL.format(port=port) + extra)
    return path


@pytest.mark.parametrize("n", ["1", "2"])
def test_example_configs(n: str) -> None:
    settings = read_config(str(EXAMPLES / f"counter-{n}.toml"))
    assert settings.counter == n
    assert settings.identity.node_id == f"loket-{n}"
    assert settings.keypad.type == "stdin"
    assert settings.indicator.type == "terminal"
    assert settings.language == "id"


def test_defaults(tmp_path: Path) -> None:
    settings = read_config(str(write(tmp_path)))
    assert (settings.keypad.type, settings.indicator.type) == ("stdin", "terminal")
    assert settings.request_timeout == 5.0
    assert settings.score_seconds == 10.0
    off = read_config(str(write(tmp_path, "score_seconds = 0\n")))  # lands in [counter]
    assert off.score_seconds == 0.0
    gpio = read_config(str(write(tmp_path, '[keypad]\ntype = "gpio"\n[indicator]\ntype = "lcd"')))
    assert gpio.keypad.config.pins["GPIO5"] == "call_next"  # the 6-button box
    lcd = gpio.indicator.config
    assert (lcd.address, lcd.cols, lcd.rows) == (0x27, 16, 2)
    evdev = read_config(str(write(tmp_path, '[keypad]\ntype = "evdev"\n')))
    assert evdev.keypad.config.keys["KEY_KPENTER"] == "enter"  # the 17-key numpad


def test_gpio_pins_replace_the_layout_and_evdev_keys_amend_the_numpad(tmp_path: Path) -> None:
    settings = read_config(str(write(tmp_path, """
[keypad]
type = "gpio"
bounce_time = 0.02
[keypad.pins]
17 = "call_next"
GPIO27 = "finish"
[keypad.keys]
KEY_KPPLUS = "none"
KEY_F1 = "recall"
[indicator]
type = "lcd"
address = 0x3F
expander = "MCP23017"
gpio_bank = "B"
cols = 20
rows = 4
""")))  # fmt: skip
    assert settings.keypad.config.pins == {"17": "call_next", "GPIO27": "finish"}
    assert settings.keypad.config.bounce_time == 0.02
    keys = '[keypad]\ntype = "evdev"\n[keypad.keys]\nKEY_KPPLUS = "none"\nKEY_F1 = "recall"\n'
    evdev = read_config(str(write(tmp_path, keys)))
    assert "KEY_KPPLUS" not in evdev.keypad.config.keys
    assert evdev.keypad.config.keys["KEY_F1"] == "recall"
    assert evdev.keypad.config.keys["KEY_KP1"] == "1"
    lcd = settings.indicator.config
    assert (lcd.address, lcd.expander, lcd.gpio_bank, lcd.cols, lcd.rows) == (
        0x3F, "MCP23017", "B", 20, 4,
    )  # fmt: skip


def test_box4_layout(tmp_path: Path) -> None:
    settings = read_config(str(write(tmp_path, '[keypad]\ntype = "gpio"\nlayout = "box4"\n')))
    assert sorted(settings.keypad.config.pins.values()) == ["call_next", "finish", "recall", "skip"]


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        ('[keypad]\ntype = "usb"\n', "keypad.type", "must be one of stdin, gpio, evdev"),
        ('[keypad]\ntyep = "gpio"\n', "keypad.tyep", "unknown key"),
        ('[keypad.pins]\nGPIO5 = "panggil"\n', "keypad.pins.GPIO5", "must be one of"),
        ('[keypad.pins]\n"GPIO 5" = "recall"\n', "keypad.pins.GPIO 5", "is not a pin"),
        ('[keypad.keys]\nKP_ENTER = "enter"\n', "keypad.keys.KP_ENTER", "key code name"),
        ('[indicator]\ntype = "oled"\n', "indicator.type", "must be one of terminal, lcd"),
        ("[indicator]\naddress = 300\n", "indicator.address", "from 3 to 119"),
        ('[indicator]\nexpander = "PCF8575"\n', "indicator.expander", "must be one of"),
        ("[indicator]\nrows = 6\n", "indicator.rows", "from 1 to 4"),
    ],
)
def test_config_errors_name_file_and_key(
    tmp_path: Path, extra: str, key: str, problem: str
) -> None:
    path = write(tmp_path, extra)
    with pytest.raises(ConfigError) as caught:
        read_config(str(path))
    message = str(caught.value)
    assert message.startswith(str(path))
    assert key in message and problem in message


def test_a_bad_counter_language_and_missing_id(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[node]\nid = "loket-1"\n[counter]\nlanguage = "jv"\n')
    with pytest.raises(ConfigError, match=r"counter\.id: is required"):
        read_config(str(path))
    path.write_text('[node]\nid = "loket-1"\n[counter]\nid = "1"\nlanguage = "jv"\n')
    with pytest.raises(ConfigError, match=r"counter\.language: must be one of id, en"):
        read_config(str(path))


def test_main_refuses_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_daemon_driven_by_stdin_lines(broker: Mosquitto, hub: HubProcess, tmp_path: Path) -> None:
    """What a demo script does: pipe actions in, read indicator lines out."""
    kiosk = client(broker, "kiosk-1", "kiosk")
    try:
        for service in ("A", "A", "B"):
            assert kiosk.request("ticket", {"service": service}).ok
    finally:
        kiosk.stop()
    config = (EXAMPLES / "counter-1.toml").read_text().replace("18830", str(broker.port))
    path = tmp_path / "counter-1.toml"
    path.write_text(config)
    script = "call_next\nrecall\nstart\nfinish\ncall A-002 # a specific number\ntransfer B\nnope\n"
    result = subprocess.run(
        [sys.executable, "-m", "nodes.cli", "counter", "--config", str(path)],
        input=script, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for expected in (
        "LOKET 1 | MEMANGGIL A-001 | menunggu 2",
        "LOKET 1 | MEMANGGIL A-001 | menunggu 2 | Dipanggil ulang",
        "LOKET 1 | MELAYANI A-001 | menunggu 2",
        "LOKET 1 | MEMANGGIL A-002 | menunggu 1",
        "LOKET 1 | BUKA | menunggu 2 | Dialihkan ke B",
    ):
        assert expected in lines, (expected, lines)
    # After finish; the quick score's prompt beside it only if the next line came later.
    assert any(line.startswith("LOKET 1 | BUKA | menunggu 2") for line in lines), lines
    # In the order pressed.
    indexes = [lines.index(x) for x in ("LOKET 1 | MEMANGGIL A-001 | menunggu 2",
                                        "LOKET 1 | MELAYANI A-001 | menunggu 2",
                                        "LOKET 1 | MEMANGGIL A-002 | menunggu 1")]  # fmt: skip
    assert indexes == sorted(indexes)
    assert "not a command: 'nope'" in result.stderr
