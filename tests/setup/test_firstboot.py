"""`antrian firstboot` on a folder laid out like a Pi's root: boot partition, /run, data."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import tomllib
from pathlib import Path

import pytest

from common.config import ConfigError, Table
from nodes.setup import bootfile, firstboot
from nodes.setup.provision import provision
from tests.harness import write_hub_config


def pi(tmp_path: Path, cards: Path, node: str) -> Path:
    """A fresh Pi root with `node`'s card inserted and an activity LED."""
    root = tmp_path / "pi"
    (root / "boot/firmware").mkdir(parents=True)
    shutil.copy(cards / node / "antrian.toml", root / "boot/firmware/antrian.toml")
    led = root / "sys/class/leds/ACT"
    led.mkdir(parents=True)
    (led / "trigger").write_text("mmc0")
    return root


def boot(root: Path) -> int:
    return firstboot.main(["--root", str(root)])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_hub_card_configures_hub_web_and_broker(tmp_path: Path, cards: Path) -> None:
    root = pi(tmp_path, cards, "hub")
    assert boot(root) == 0
    run = root / "run/antrian"
    assert sorted(p.name for p in run.glob("*.toml")) == ["hub.toml", "web.toml"]
    hub = tomllib.loads((run / "hub.toml").read_text())
    assert hub["hub"]["database"] == "/var/lib/antrian/hub/antrian.db"
    assert hub["broker"]["host"] == "127.0.0.1" and hub["broker"]["username"] == "hub"
    assert [s["id"] for s in hub["services"]] == ["A", "B", "C"]
    assert all("password" not in n for n in hub["nodes"])
    web = tomllib.loads((run / "web.toml").read_text())
    assert web["node"]["id"] == "web-1" and web["hub"]["database"] == hub["hub"]["database"]
    passwd = (run / "broker/passwd").read_text().splitlines()
    assert sorted(line.split(":")[0] for line in passwd) == sorted(
        ["hub", "kiosk-1", "kiosk-2", "loket-1", "loket-2", "loket-3", "display-1", "web-1"]
    )
    assert "pattern readwrite antrian/kantor/node/%u/#" in (run / "broker/acl").read_text()
    for path in (run / "hub.toml", run / "web.toml", run / "broker/passwd"):
        assert mode(path) == 0o640, path
    assert (root / "proc/sys/kernel/hostname").read_text() == "antrian-hub\n"


def test_secrets_leave_the_card_and_the_next_boot_still_works(tmp_path: Path, cards: Path) -> None:
    root = pi(tmp_path, cards, "kiosk-1")
    card = root / "boot/firmware/antrian.toml"
    password = tomllib.loads(card.read_text())["password"]
    assert boot(root) == 0
    left = card.read_text()
    assert (
        password not in left and "# password: moved to /var/lib/antrian/boot/secrets.toml" in left
    )
    store = root / "var/lib/antrian/boot"
    assert mode(store) == 0o700 and mode(store / "secrets.toml") == 0o600
    assert tomllib.loads((store / "secrets.toml").read_text())["password"] == password
    # /run is empty after a reboot; the scrubbed card and the stored secret are enough.
    shutil.rmtree(root / "run")
    assert boot(root) == 0
    kiosk = tomllib.loads((root / "run/antrian/kiosk.toml").read_text())
    assert kiosk["broker"]["password"] == password
    assert kiosk["input"]["buttons"]["A"] == {"pin": 17, "led": 27}


def test_a_new_role_on_the_card_replaces_the_old_one(tmp_path: Path, cards: Path) -> None:
    root = pi(tmp_path, cards, "kiosk-1")
    assert boot(root) == 0
    shutil.copy(cards / "display-1/antrian.toml", root / "boot/firmware/antrian.toml")
    assert boot(root) == 0
    assert [p.name for p in (root / "run/antrian").glob("*.toml")] == ["display.toml"]
    assert (root / "proc/sys/kernel/hostname").read_text() == "antrian-display-1\n"


def test_wifi_becomes_a_private_networkmanager_keyfile(tmp_path: Path, cards: Path) -> None:
    root = pi(tmp_path, cards, "loket-1")
    card = root / "boot/firmware/antrian.toml"
    card.write_text(
        card.read_text() + '\n[wifi]\nssid = "Kantor Camat"\npassword = "sandi-wifi-1"\n'
    )
    assert boot(root) == 0
    keyfile = root / "run/NetworkManager/system-connections/antrian-wifi.nmconnection"
    text = keyfile.read_text()
    assert "ssid=Kantor Camat" in text and "psk=sandi-wifi-1" in text and "key-mgmt=wpa-psk" in text
    assert mode(keyfile) == 0o600
    assert "sandi-wifi-1" not in card.read_text()
    counter = tomllib.loads((root / "run/antrian/counter.toml").read_text())
    assert counter["counter"]["id"] == "1" and counter["keypad"]["type"] == "evdev"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace('role = "kiosk"', 'role = "kios"'), "role: must be one of"),
        (lambda text: text.replace('role = "kiosk"\n', ""), "role: must be one of"),
        (lambda text: text + '\n[printer]\ntype = "laser"\n', "antrian.toml: printer.type:"),
        (lambda text: text.replace("pin = 17", "pin = -1"), "antrian.toml: input.buttons.A.pin:"),
        (lambda text: text.replace("[office]", "[ofice]"), "antrian.toml: ofice: unknown key"),
        (lambda text: "role = ", "not valid TOML"),
    ],
)
def test_an_invalid_card_starts_nothing_and_says_why_on_screen_and_led(
    tmp_path: Path, cards: Path, edit: object, message: str
) -> None:
    root = pi(tmp_path, cards, "kiosk-1")
    card = root / "boot/firmware/antrian.toml"
    original = card.read_text()
    card.write_text(edit(original))  # type: ignore[operator]
    assert boot(root) == 1
    assert not list((root / "run").glob("antrian/*.toml"))
    screen = (root / "dev/tty1").read_text()
    assert message in screen and "Pi ini belum diatur" in screen
    assert message in (root / "run/issue.d/antrian.issue").read_text()
    assert (root / "sys/class/leds/ACT/trigger").read_text() == "timer"
    assert (root / "sys/class/leds/ACT/delay_on").read_text() == "200"
    # Fixing the card and rebooting clears the message from the login prompt.
    card.write_text(original)
    assert boot(root) == 0
    assert not (root / "run/issue.d/antrian.issue").exists()


def test_a_missing_card_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "sys/class/leds/led0").mkdir(parents=True)
    (tmp_path / "sys/class/leds/led0/trigger").write_text("mmc0")
    assert boot(tmp_path) == 1
    assert "antrian.toml is missing" in (tmp_path / "dev/tty1").read_text()
    assert (tmp_path / "sys/class/leds/led0/trigger").read_text() == "timer"


def test_a_data_partition_that_cannot_be_written_is_shown_too(tmp_path: Path, cards: Path) -> None:
    root = pi(tmp_path, cards, "kiosk-1")
    (root / "var/lib").mkdir(parents=True)
    (root / "var/lib/antrian").write_text("not a folder")  # as good as a read-only root
    assert boot(root) == 1
    screen = (root / "dev/tty1").read_text()
    assert "var/lib/antrian/boot" in screen and "data partition" in screen
    assert not list((root / "run").glob("antrian/*.toml"))
    assert (root / "sys/class/leds/ACT/trigger").read_text() == "timer"


def test_check_validates_a_card_on_a_laptop(
    cards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert firstboot.main(["--check", str(cards / "hub/antrian.toml")]) == 0
    assert "a valid hub (hub); it runs hub, web" in capsys.readouterr().out
    bad = tmp_path / "antrian.toml"
    bad.write_text(
        (cards / "loket-2/antrian.toml").read_text().replace('counter = "2"', 'counter = "2 "')
    )
    assert firstboot.main(["--check", str(bad)]) == 1
    assert "counter: must be 1-32 letters" in capsys.readouterr().err


@pytest.mark.parametrize("node", ["hub", "kiosk-1", "loket-1", "display-1"])
def test_each_daemon_reads_its_config_from_data_with_the_same_rules(cards: Path, node: str) -> None:
    card = bootfile.parse_text((cards / node / "antrian.toml").read_text())
    for name, data in bootfile.role_configs(card).items():
        reader = firstboot.daemon_reader(name)
        reader(Table(data, f"{name}.toml"))  # valid as firstboot writes it
        with pytest.raises(ConfigError) as error:
            reader(Table({**data, "servises": []}, "as given"))
        assert (error.value.file, error.value.key) == ("as given", "servises")


def test_check_and_provision_need_no_scratch_folder(
    cards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A laptop without a writable temp folder can still check cards and provision."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    assert firstboot.main(["--check", str(cards / "hub/antrian.toml")]) == 0
    office = write_hub_config(tmp_path / "office.toml", 1883, tmp_path / "unused.db")
    written = provision(office, tmp_path / "out", "antrian-hub.local", None)
    assert len(written) == 7
    assert not (tmp_path / "no such folder").exists()


def test_the_office_time_zone_reaches_every_daemon(tmp_path: Path, cards: Path) -> None:
    """/etc/localtime cannot change on the read-only root: the units read TZ from /run."""
    root = pi(tmp_path, cards, "display-1")
    card = root / "boot/firmware/antrian.toml"
    card.write_text(
        card.read_text().replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Makassar"')
    )
    assert boot(root) == 0
    environment = root / "run/antrian/environment"
    assert environment.read_text() == "TZ=Asia/Makassar\n"
    assert mode(environment) == 0o644
    units = Path(__file__).resolve().parents[2] / "systemd/system"
    for role in ("hub", "kiosk", "counter", "display", "web"):
        unit = (units / f"antrian-{role}.service").read_text()
        assert "EnvironmentFile=-/run/antrian/environment\n" in unit, role


@pytest.mark.parametrize(
    ("web", "url"),
    [
        ("", "http://antrian-hub.local:8080"),
        ("[web]\nport = 8443\n", "http://antrian-hub.local:8443"),
        ('[web]\nbase_url = "https://antrian.kantor.go.id"\n', "https://antrian.kantor.go.id"),
    ],
)
def test_the_kiosk_qr_opens_the_webs_public_url(tmp_path: Path, web: str, url: str) -> None:
    office = write_hub_config(tmp_path / "office.toml", 1883, tmp_path / "unused.db")
    office.write_text(office.read_text() + web)
    provision(office, tmp_path / "out", "antrian-hub.local", None)
    card = tomllib.loads((tmp_path / "out/boot/kiosk-1/antrian.toml").read_text())
    assert card["kiosk"]["base_url"] == url


def test_the_system_clock_shows_the_office_zone(tmp_path: Path, cards: Path) -> None:
    """The image's /etc/localtime links to /run/antrian/localtime (install.sh), so
    journalctl shows the office's time although the root is read-only."""
    root = pi(tmp_path, cards, "kiosk-1")
    for zone in ("Asia/Makassar", "UTC"):
        (root / "usr/share/zoneinfo" / zone).parent.mkdir(parents=True, exist_ok=True)
        (root / "usr/share/zoneinfo" / zone).write_bytes(b"TZif")
    card = root / "boot/firmware/antrian.toml"
    card.write_text(
        card.read_text().replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Makassar"')
    )
    assert boot(root) == 0
    link = root / "run/antrian/localtime"
    assert os.readlink(link) == "/usr/share/zoneinfo/Asia/Makassar"
    # A zone this system lacks: UTC, the clock still works.
    card.write_text(
        card.read_text().replace('timezone = "Asia/Makassar"', 'timezone = "Asia/Jayapura"')
    )
    assert boot(root) == 0
    assert os.readlink(link) == "/usr/share/zoneinfo/UTC"
    install = (Path(__file__).resolve().parents[2] / "image/install.sh").read_text()
    assert 'ln -sfn /run/antrian/localtime "$root/etc/localtime"' in install
