"""The repository's systemd/ tree as it lands on a node, and a small unit-file reader.

`install_tree` copies every file to the destination `systemd/README.md` gives it, inside a
temporary root that also holds this machine's own systemd units (sysinit.target and the
rest a unit depends on) and Debian's mosquitto.service. `systemd-analyze --root=` then
checks the units as a node would load them, on a machine where nothing is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "systemd"
README = SYSTEMD / "README.md"

#: Where the image puts the project's program; a stand-in is installed there.
PROGRAM = "/opt/antrian/venv/bin/antrian"

#: The groups the image creates and puts the antrian user in (the brief's list).
IMAGE_GROUPS = frozenset(
    {"gpio", "i2c", "spi", "lp", "dialout", "plugdev", "input", "video", "render", "audio"}
)

ROLES = ("hub", "web", "kiosk", "counter", "display")

_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`(/[^`]+)`\s*\|")


def destinations() -> dict[str, str]:
    """{repository path under systemd/: installed path}, from the README's table."""
    table: dict[str, str] = {}
    for line in README.read_text().splitlines():
        match = _ROW.match(line)
        if match:
            table[match.group(1)] = match.group(2)
    return table


def repository_files() -> list[str]:
    """Every file under systemd/ except the README, as paths relative to systemd/."""
    return sorted(
        str(path.relative_to(SYSTEMD))
        for path in SYSTEMD.rglob("*")
        if path.is_file() and path != README
    )


@dataclass
class Unit:
    """A unit file or drop-in: {section: [(key, value), ...]}, keys in file order."""

    path: Path
    sections: dict[str, list[tuple[str, str]]]

    def values(self, section: str, key: str) -> list[str]:
        """Every value of `key` in file order (an empty assignment included, as "")."""
        return [v for k, v in self.sections.get(section, []) if k == key]

    def value(self, section: str, key: str) -> str | None:
        """The last assignment, as systemd reads a single-valued setting."""
        found = self.values(section, key)
        return found[-1] if found else None

    def words(self, section: str, key: str) -> list[str]:
        """A list setting (After=, SupplementaryGroups=): all assignments, split on space,
        where an empty assignment resets the list."""
        words: list[str] = []
        for value in self.values(section, key):
            words = [] if value == "" else [*words, *value.split()]
        return words


def read_unit(path: Path) -> Unit:
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None or "=" not in line or line.endswith("\\"):
            raise ValueError(f"{path}:{number}: not a key=value line in a section: {raw!r}")
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return Unit(path, sections)


def host_unit_dir() -> Path:
    """This machine's packaged units (/usr/lib/systemd/system on a merged-/usr Debian)."""
    for candidate in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (candidate / "sysinit.target").exists():
            return candidate
    raise AssertionError("no systemd units on this machine: run scripts/install.sh")


def executables(unit: Unit) -> set[str]:
    """Absolute program paths of the Exec*= lines (prefixes like "-" or "+" removed)."""
    programs: set[str] = set()
    for lines in unit.sections.values():
        for key, value in lines:
            if key.startswith("Exec") and value:
                program = value.split()[0].lstrip("-+!@:")
                if program.startswith("/"):
                    programs.add(program)
    return programs


def install_tree(root: Path) -> dict[str, Path]:
    """Lay out a node's root under `root`; {repository path: installed file}."""
    units = root / "usr/lib/systemd/system"
    shutil.copytree(host_unit_dir(), units, symlinks=True)
    installed: dict[str, Path] = {}
    for source, destination in destinations().items():
        target = root / destination.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SYSTEMD / source, target)
        installed[source] = target

    # Our units' programs, and those of the Debian units our drop-ins amend.
    programs: set[str] = set()
    for source, target in installed.items():
        if source.startswith("system/"):
            programs |= executables(read_unit(target))
            if target.parent.name.endswith(".d"):
                amended = units / target.parent.name.removesuffix(".d")
                if not amended.exists():
                    raise AssertionError(
                        f"{source} amends {amended.name}, which is not installed here"
                        " (run scripts/install.sh)"
                    )
                programs |= executables(read_unit(amended))
    for program in sorted(programs):
        target = root / program.lstrip("/")
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if program.startswith("/opt/antrian/"):
            # The image's venv; its commands are checked against nodes/cli.py instead.
            target.write_text("#!/bin/sh\nexit 0\n")
            target.chmod(0o755)
        elif Path(program).exists():
            shutil.copy2(program, target)  # a Debian program, e.g. /usr/sbin/mosquitto
        # Any other program stays missing, and verify says so.
    return installed


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        raise AssertionError("systemd-analyze is missing: run scripts/install.sh")
    return subprocess.run(
        [binary, "--no-pager", *args], capture_output=True, text=True, timeout=60, check=False
    )
