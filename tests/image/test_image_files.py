"""Quick checks of the image build's inputs (the build itself is image/boot-test.sh's job):
the lock pins every dependency, install.sh installs every file of systemd/, and both card
layouts have the three partitions the node's fstab expects."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "image"


def pins() -> dict[str, Version]:
    found: dict[str, Version] = {}
    for raw in (IMAGE / "requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^\s;]*)", line)
        assert match, f"image/requirements.txt: {line!r} is not an exact name==version pin"
        name = canonicalize_name(match[1])
        assert name not in found, f"image/requirements.txt pins {name} twice"
        found[name] = Version(match[2])
    return found


def test_lock_pins_every_project_dependency_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = pins()
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        marker = requirement.marker
        if marker is not None and not marker.evaluate(
            {"sys_platform": "linux", "platform_machine": "aarch64", "python_version": "3.11"}
        ):
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not pinned: run bash image/lock.sh"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{name}=={locked[name]} is outside pyproject.toml's {requirement.specifier}: "
            "run bash image/lock.sh"
        )
    assert "antrian" not in locked


def install_targets() -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(IMAGE / "install.sh"), "--list-targets"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    pairs = dict(line.split(" -> ") for line in out.splitlines())
    return pairs


def test_install_sh_installs_every_file_of_systemd() -> None:
    targets = install_targets()
    tree = ROOT / "systemd"
    files = {
        str(p.relative_to(ROOT))
        for p in tree.rglob("*")
        if p.is_file() and p.relative_to(tree).parts != ("README.md",)
    }
    assert set(targets) == files
    for source, dest in targets.items():
        assert dest.startswith("/etc/"), f"{source} -> {dest}: not under /etc"
    # The brief's contract: units and drop-ins under /etc/systemd/system, the broker's
    # config where mosquitto.service's drop-in points (-c /etc/mosquitto/antrian.conf).
    for source, dest in targets.items():
        if source.startswith("systemd/system/"):
            assert dest == "/etc/systemd/system/" + source.removeprefix("systemd/system/")
    if "systemd/mosquitto/antrian.conf" in targets:
        assert targets["systemd/mosquitto/antrian.conf"] == "/etc/mosquitto/antrian.conf"


def test_install_sh_follows_the_table_in_systemd_readme() -> None:
    readme = ROOT / "systemd" / "README.md"
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*`(/[^`]+)`\s*\|", readme.read_text(), re.M)
    table = {f"systemd/{source}": dest for source, dest in rows}
    assert table, "systemd/README.md has the table of where each file goes"
    assert install_targets() == table


def genimage_images(text: str) -> dict[str, str]:
    """image name -> its body, for genimage's brace syntax (one level of nesting deep)."""
    images: dict[str, str] = {}
    for match in re.finditer(r"^image\s+(\S+)\s*\{", text, re.M):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        images[match[1]] = text[match.end() : i - 1]
    return images


def check_layout(path: Path) -> None:
    images = genimage_images(path.read_text())
    disks = [body for body in images.values() if "hdimage" in body]
    assert len(disks) == 1, f"{path}: one disk image"
    partitions = re.findall(r"partition\s+(\w+)\s*\{([^}]*)\}", disks[0])
    assert [name for name, _ in partitions] == ["boot", "root", "data"], path
    wanted = {
        "boot": ("vfat", "bootfs", "/boot/firmware"),
        "root": ("ext4", "rootfs", "/"),
        "data": ("ext4", "antrian-data", "/var/lib/antrian"),
    }
    for name, body in partitions:
        image = re.search(r'image\s*=\s*"?([^"\s]+)"?', body)
        assert image, f"{path}: partition {name} has no image"
        fs = images[image[1]]
        kind, label, mountpoint = wanted[name]
        assert re.search(rf"\b{kind}\s*\{{", fs), f"{path}: {name} is not {kind}"
        assert f'label = "{label}"' in fs, f"{path}: {name} is not labelled {label}"
        assert f'mountpoint = "{mountpoint}"' in fs, f"{path}: {name} not from {mountpoint}"
    assert 'partition-table-type = "mbr"' in disks[0], "the Pi boots from MBR"


def test_ci_and_pi_layouts_have_boot_root_and_data_partitions() -> None:
    check_layout(IMAGE / "genimage.cfg")
    check_layout(IMAGE / "rpi-image-gen" / "image" / "antrian-sd" / "genimage.cfg.in")


def test_fstab_mounts_the_data_partition_by_the_layouts_label() -> None:
    script = (IMAGE / "install.sh").read_text()
    line = re.search(r'^line="(LABEL=\S+ /var/lib/antrian [^"]+)"', script, re.M)
    assert line, "install.sh writes the data partition's fstab line"
    fields = line[1].split()
    assert fields[0] == "LABEL=antrian-data"
    assert fields[2] == "ext4"
    # A missing or broken data partition must not stop the boot: the units wait for it
    # (RequiresMountsFor=) and firstboot reports it.
    assert "nofail" in fields[3].split(",")


def test_rpi_image_gen_layer_runs_the_same_install_script() -> None:
    layer = (IMAGE / "rpi-image-gen" / "layer" / "antrian.yaml").read_text()
    assert "X-Env-Layer-Name: antrian" in layer
    assert '/image/install.sh" "$1"' in layer
    text = (IMAGE / "rpi-image-gen" / "config" / "antrian.yaml").read_text()
    assert re.search(r"^\s+app:\s+antrian$", text, re.M)
    assert re.search(r"^\s+layer:\s+antrian-sd$", text, re.M)


def stale(freeze: str, lock: Path = IMAGE / "requirements.txt") -> list[str]:
    done = subprocess.run(
        ["bash", str(IMAGE / "install.sh"), "--stale-packages", str(lock)],
        input=freeze, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert done.stderr == ""  # comm complains of unsorted input and then misses names
    return done.stdout.split()


def test_install_sh_finds_what_the_venv_has_beyond_the_lock(tmp_path: Path) -> None:
    """A stale package is uninstalled before the lock is installed (pygame beside
    pygame-ce would delete pygame-ce's files later): found whatever the names' order."""
    lock = tmp_path / "requirements.txt"
    lock.write_text("# pins\npaho-mqtt==2.2.0\npygame-ce==2.5.8\nEt_XmlFile==2.0.0\nzope==1\n")
    freeze = "pygame-ce==2.5.8\npygame==2.6.1\nzope==1\nzope-interface==7\net-xmlfile==2.0.0\n"
    assert stale(freeze, lock) == ["pygame", "zope-interface"]
    assert stale("paho_mqtt==2.2.0\n", lock) == []
    locked = "".join(f"{name}=={version}\n" for name, version in pins().items())
    assert stale(locked) == []
