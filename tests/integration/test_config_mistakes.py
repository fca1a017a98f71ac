"""Configuration mistakes a technician makes, through the real command line: each one
stops the daemon with exit code 2 and one line naming the file, the key and the problem
(on stderr, which journald shows), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.disk import small_disk
from tests.harness import ROOT, HubProcess, Mosquitto, write_hub_config

UTF8_BOM = b"\xef\xbb\xbf"


def run(role: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nodes.cli", role, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "dummy"},
    )


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A real read-only filesystem (root may write anywhere else)."""
    with small_disk(tmp_path / "read-only", "1m", read_only=True) as mounted:
        yield mounted


def hub_config(tmp_path: Path, database: Path) -> Path:
    return write_hub_config(tmp_path / "hub.toml", 1883, database)


def folder_as_config(tmp_path: Path, read_only: Path) -> tuple[Path, str, str]:
    (tmp_path / "hub.toml").mkdir()
    return tmp_path / "hub.toml", "", "is a folder"


def latin1_config(tmp_path: Path, read_only: Path) -> tuple[Path, str, str]:
    path = hub_config(tmp_path, tmp_path / "antrian.db")
    path.write_bytes(path.read_bytes().replace(b"Contoh", "Contóh".encode("latin-1")))
    return path, "", "is not UTF-8 text (byte 0xf3 on line 3)"


def database_under_a_file(tmp_path: Path, read_only: Path) -> tuple[Path, str, str]:
    (tmp_path / "data").write_text("a file where a folder should be")
    path = hub_config(tmp_path, tmp_path / "data" / "antrian.db")
    return path, "hub.database", f"cannot create the folder {tmp_path / 'data'}"


def database_on_a_read_only_disk(tmp_path: Path, read_only: Path) -> tuple[Path, str, str]:
    path = hub_config(tmp_path, read_only / "hub" / "antrian.db")
    return path, "hub.database", "Read-only file system"


def database_is_a_folder(tmp_path: Path, read_only: Path) -> tuple[Path, str, str]:
    (tmp_path / "db").mkdir()
    return hub_config(tmp_path, tmp_path / "db"), "hub.database", "is a folder"


def database_is_not_sqlite(tmp_path: Path, read_only: Path) -> tuple[Path, str, str]:
    (tmp_path / "antrian.db").write_text("Nomor antrian hari ini\n" * 200)
    path = hub_config(tmp_path, tmp_path / "antrian.db")
    return path, "hub.database", "is not an SQLite database"


@pytest.mark.parametrize(
    "mistake",
    [
        folder_as_config,
        latin1_config,
        database_under_a_file,
        database_on_a_read_only_disk,
        database_is_a_folder,
        database_is_not_sqlite,
    ],
)
def test_hub_config_mistake_exits_2_naming_file_key_and_problem(
    tmp_path: Path,
    read_only: Path,
    mistake: Callable[[Path, Path], tuple[Path, str, str]],
) -> None:
    path, key, problem = mistake(tmp_path, read_only)
    result = run("hub", path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"configuration error: {path}: {key + ': ' if key else ''}" in result.stderr
    assert problem in result.stderr


def test_a_config_saved_by_notepad_with_a_bom_is_accepted(
    broker: Mosquitto, tmp_path: Path
) -> None:
    hub = HubProcess(broker, tmp_path / "hub")
    hub.config_path.write_bytes(UTF8_BOM + hub.config_path.read_bytes())
    try:
        hub.start()  # waits until it is online
    finally:
        hub.stop()


DISPLAY_TOML = """\
[node]
id = "display-1"
[screen]
type = "headless"
screenshot_dir = "{shots}"
[voice]
output = "file"
dir = "{voice}"
"""


@pytest.mark.parametrize(
    ("shots", "voice", "key", "problem"),
    [
        ("shots", "ro/voice", "voice.dir", "cannot be written (Read-only file system)"),
        ("shots", "file/voice", "voice.dir", "is a file"),
        ("ro/shots", "voice", "screen.screenshot_dir", "cannot be written"),
    ],
)
def test_display_folder_it_cannot_write_exits_2(
    tmp_path: Path, read_only: Path, shots: str, voice: str, key: str, problem: str
) -> None:
    (tmp_path / "file").write_text("not a folder")
    folders = {"ro": str(read_only), "file": str(tmp_path / "file")}

    def where(relative: str) -> str:
        first, _, rest = relative.partition("/")
        return f"{folders[first]}/{rest}" if first in folders else str(tmp_path / relative)

    path = tmp_path / "display.toml"
    path.write_text(DISPLAY_TOML.format(shots=where(shots), voice=where(voice)))
    result = run("display", path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{path}: {key}: " in result.stderr and problem in result.stderr
