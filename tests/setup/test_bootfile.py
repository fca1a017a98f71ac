"""The boot file's rules, pure: parsing, the role's configs, and scrubbing secrets."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from nodes.setup import bootfile
from nodes.setup.bootfile import BootFileError, parse_text, role_configs

OK = 'role = "kiosk"\nnode = "k"\nhub = "h"\npassword = "rahasia-panjang"\n'
KIOSK = """\
role = "kiosk"
node = "kiosk-1"
hub = "antrian-hub.local"
password = "rahasia-panjang-1"

[wifi]
ssid = "Kantor"
password = "wifi-rahasia"   # the office's WPA2 key

[office]
id = "kantor"

[printer]
type = "serial"
"""


def test_a_kiosk_file_becomes_the_kiosk_config_over_the_defaults() -> None:
    boot = parse_text(KIOSK)
    assert (boot.role, boot.node, boot.hub_host, boot.hub_port) == (
        "kiosk",
        "kiosk-1",
        "antrian-hub.local",
        1883,
    )
    assert boot.wifi == bootfile.Wifi("Kantor", "wifi-rahasia", "ID")
    configs = role_configs(boot)
    assert list(configs) == ["kiosk"]
    config = configs["kiosk"]
    assert config["printer"] == {"type": "serial", "paper_mm": 80}  # merged, not replaced
    assert config["input"]["type"] == "gpio"  # the image's default for a real kiosk
    assert config["node"] == {"id": "kiosk-1"}
    assert config["broker"] == {
        "host": "antrian-hub.local",
        "port": 1883,
        "username": "kiosk-1",
        "password": "rahasia-panjang-1",
    }
    assert "wifi" not in config


def test_a_counter_gets_its_counter_id_and_a_port_from_the_address() -> None:
    text = 'role = "counter"\nnode = "loket-2"\nhub = "192.168.1.10:1884"\n'
    boot = parse_text(text + 'password = "rahasia-panjang-2"\ncounter = "2"\n')
    config = role_configs(boot)["counter"]
    assert config["counter"]["id"] == "2"
    assert (config["broker"]["host"], config["broker"]["port"]) == ("192.168.1.10", 1884)


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('node = "k"\npassword = "rahasia-panjang"\nhub = "h"\n', "role", "must be one of"),
        ('role = "toaster"\n', "role", "must be one of"),
        ('role = "kiosk"\nhub = "h"\npassword = "rahasia-panjang"\n', "node", "letters"),
        ('role = "kiosk"\nnode = "k"\npassword = "rahasia-panjang"\n', "hub", "address"),
        (
            'role = "kiosk"\nnode = "k"\nhub = "h:99999"\npassword = "rahasia-panjang"\n',
            "hub",
            "port",
        ),
        ('role = "kiosk"\nnode = "k"\nhub = "h"\npassword = "pendek"\n', "password", "at least"),
        (
            OK + 'counter = "1"\n',
            "counter",
            "only for",
        ),
        (
            'role = "counter"\nnode = "k"\nhub = "h"\npassword = "rahasia-panjang"\n',
            "counter",
            "letters",
        ),
        (
            OK + 'rol = "x"\n',
            "rol",
            "unknown key",
        ),
        (
            OK + "[broker]\nport = 1\n",
            "[broker]",
            "set by firstboot",
        ),
        (
            OK + '[wifi]\nssid = "x"\npassword = "short"\n',
            "wifi.password",
            "8-63",
        ),
        (
            OK + '[wifi]\nssid = "x"\ncountry = "indonesia"\n',
            "wifi.country",
            "two-letter",
        ),
        (
            OK + 'web_password = "rahasia-panjang"\n',
            "web_password",
            "only for the hub",
        ),
        ("role = \n", "", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key(text: str, key: str, problem: str) -> None:
    with pytest.raises(BootFileError) as caught:
        parse_text(text)
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_scrub_removes_exactly_the_secrets_and_keeps_the_comments() -> None:
    scrubbed = bootfile.scrub(KIOSK, "moved")
    assert "rahasia-panjang-1" not in scrubbed and "wifi-rahasia" not in scrubbed
    assert "# password: moved" in scrubbed
    assert 'ssid = "Kantor"' in scrubbed and "[printer]" in scrubbed
    before, after = tomllib.loads(KIOSK), tomllib.loads(scrubbed)
    del before["password"], before["wifi"]["password"]
    assert after == before


def test_stored_secrets_fill_a_scrubbed_file_only_for_the_same_node() -> None:
    stored = bootfile.secrets_of(tomllib.loads(KIOSK))
    scrubbed = bootfile.scrub(KIOSK, "moved")
    boot = parse_text(scrubbed, stored)
    assert boot.password == "rahasia-panjang-1"
    assert boot.wifi is not None and boot.wifi.password == "wifi-rahasia"
    # A card rewritten for another node must not inherit this node's password.
    other = scrubbed.replace('node = "kiosk-1"', 'node = "kiosk-2"')
    with pytest.raises(BootFileError, match="password"):
        parse_text(other, stored)
    # A password written on the card again wins over the stored one.
    again = scrubbed.replace("# password: moved", 'password = "baru-dan-panjang"', 1)
    assert parse_text(again, stored).password == "baru-dan-panjang"


def test_merge_replaces_values_and_arrays_and_merges_tables() -> None:
    base: dict[str, Any] = {"a": {"x": 1, "y": [1, 2]}, "b": [{"id": 1}]}
    assert bootfile.merge(base, {"a": {"y": [3]}, "b": [{"id": 2}]}) == {
        "a": {"x": 1, "y": [3]},
        "b": [{"id": 2}],
    }
    assert base["a"]["y"] == [1, 2]  # the defaults are not changed in place
