"""Config errors name the file, the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(text)
    return path


def test_identity_with_defaults(tmp_path: Path) -> None:
    root = config.load(write(tmp_path, '[node]\nid = "kiosk-1"\n'))
    identity = config.read_identity(root)
    assert identity.office_id == "kantor"
    assert identity.node_id == "kiosk-1"
    assert identity.broker == config.BrokerConfig()
    assert identity.timezone == "Asia/Jakarta"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[node]\nid = "kiosk 1"\n', "node.id", "letters, digits"),
        ("[office]\n", "node", "required"),
        ('[node]\nid = "k"\n[broker]\nport = "abc"\n', "broker.port", "integer"),
        ('[node]\nid = "k"\n[broker]\nport = 70000\n', "broker.port", "1 to 65535"),
        ('[node]\nid = "k"\n[broker]\nhots = "x"\n', "broker.hots", "unknown key"),
        ('[node]\nid = "k"\n[broker]\nusername = "k"\n', "broker.password", "together"),
        ('[node]\nid = "k"\n[office]\ntimezone = "Mars/Base"\n', "office.timezone", "time zone"),
        ('[node]\nid = "k"\n[log]\nlevel = "LOUD"\n', "log.level", "one of"),
    ],
)
def test_errors_name_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as caught:
        config.read_identity(config.load(path))
    message = str(caught.value)
    assert message.startswith(str(path))
    assert f": {key}: " in message
    assert problem in message


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "[node\n"))
    with pytest.raises(config.ConfigError, match="file not found"):
        config.load(tmp_path / "nope.toml")
