"""First boot: the boot-partition file becomes exactly one enabled node."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def firstboot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("firstboot", ROOT / "image/firstboot.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["firstboot"] = module
    spec.loader.exec_module(module)
    return module


def wants(root: Path) -> set[str]:
    folder = root / "etc/systemd/system/multi-user.target.wants"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_example_boot_file_sets_up_a_kiosk(tmp_path: Path) -> None:
    fb = firstboot()
    boot = ROOT / "image/files/antrian.example.toml"
    assert fb.main(["--boot-file", str(boot), "--root", str(tmp_path), "--no-commands"]) == 0
    config = tmp_path / "etc/antrian/kiosk.toml"
    data = tomllib.loads(config.read_text())
    assert "role" not in data and data["node"]["id"] == "kiosk-1"
    assert (tmp_path / "etc/hostname").read_text() == "antrian-kiosk-1\n"
    assert wants(tmp_path) == {"antrian-kiosk.service"}


def test_changing_the_role_switches_the_unit(tmp_path: Path) -> None:
    fb = firstboot()
    boot = tmp_path / "antrian.toml"
    boot.write_text('role = "kiosk"\n[node]\nid = "k1"\n')
    fb.setup(boot, tmp_path, run_commands=False)
    boot.write_text('role = "hub"\n[node]\nid = "hub"\n')
    fb.setup(boot, tmp_path, run_commands=False)
    assert wants(tmp_path) == {"antrian-hub.service", "mosquitto.service"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('role = "toaster"\n[node]\nid = "x"\n', "role: must be one of"),
        ('role = "kiosk"\n', "node.id"),
        ("role = \n", "not valid TOML"),
    ],
)
def test_bad_boot_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    fb = firstboot()
    boot = tmp_path / "antrian.toml"
    boot.write_text(text)
    with pytest.raises(fb.SetupError, match=message):
        fb.setup(boot, tmp_path, run_commands=False)
