"""The hub's [region] TLS files and password, carried on its card: `antrian provision`
reads the files the office's plan names, the card carries their text, and the Pi's first
boot writes them under /run/antrian/region and moves the key and password off the card."""

from __future__ import annotations

import shutil
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

from common.accounts import mosquitto_hash, passwd_text
from common.config import Table
from nodes.hub.daemon import load_config
from nodes.hub.store import Store
from nodes.hub.uplink import Uplink
from nodes.setup import bootfile, firstboot
from nodes.setup.provision import main as provision_main
from nodes.setup.provision import provision
from tests.harness import Mosquitto, wait_for, write_hub_config
from tests.uplink.certs import make_certs

PASSWORD = "uplink-password-kec-a"


@dataclass(frozen=True)
class Plan:
    """An office's plan with a [region] naming files on the provisioning laptop."""

    office: Path
    files: dict[str, Path]  # the [region] key -> the file it names
    out: Path


def make_plan(folder: Path, port: int = 8883) -> Plan:
    certs = make_certs(folder / "certs")
    secret = folder / "uplink.secret"
    secret.write_text(PASSWORD + "\n")
    # The server's certificate and key serve as the office's client certificate: any pair
    # the regional broker's CA signed will do.
    files = {
        "ca_file": certs.ca,
        "cert_file": certs.server_cert,
        "key_file": certs.server_key,
        "password_file": secret,
    }
    office = write_hub_config(folder / "office.toml", 1883, folder / "unused.db")
    # Relative paths, as in a plan kept beside its files: taken from the plan's folder.
    region = "".join(f'{key} = "{path.relative_to(folder)}"\n' for key, path in files.items())
    office.write_text(
        office.read_text()
        + f'\n[region]\nhost = "127.0.0.1"\nport = {port}\nusername = "kec-a"\n{region}'
    )
    return Plan(office, files, folder / "out")


def provisioned(tmp_path: Path, port: int = 8883) -> Plan:
    plan = make_plan(tmp_path, port)
    provision(plan.office, plan.out, "antrian-hub.local", None)
    return plan


def pi(tmp_path: Path, card: Path) -> Path:
    root = tmp_path / "pi"
    (root / "boot/firmware").mkdir(parents=True)
    shutil.copy(card, root / "boot/firmware/antrian.toml")
    return root


def boot(root: Path) -> int:
    return firstboot.main(["--root", str(root)])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_hub_card_carries_the_files_not_their_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = make_plan(tmp_path)
    assert provision_main(["--config", str(plan.office), "--out", str(plan.out)]) == 0
    said = "region: the hub's card carries [region] (ca_pem, cert_pem, key_pem, password)"
    assert said in capsys.readouterr().out
    card = tomllib.loads((plan.out / "boot/hub/antrian.toml").read_text())
    region = card["region"]
    assert region["ca_pem"] == plan.files["ca_file"].read_text()
    assert region["cert_pem"] == plan.files["cert_file"].read_text()
    assert region["key_pem"] == plan.files["key_file"].read_text()
    assert region["password"] == PASSWORD
    assert not {"ca_file", "cert_file", "key_file", "password_file"} & set(region)
    assert region["host"] == "127.0.0.1" and region["username"] == "kec-a"
    kiosk = (plan.out / "boot/kiosk-1/antrian.toml").read_text()
    assert "region" not in tomllib.loads(kiosk) and "PRIVATE KEY" not in kiosk


def test_first_boot_moves_the_key_and_password_into_the_secrets_file(tmp_path: Path) -> None:
    plan = provisioned(tmp_path)
    root = pi(tmp_path, plan.out / "boot/hub/antrian.toml")
    key = plan.files["key_file"].read_text()
    assert boot(root) == 0
    left = (root / "boot/firmware/antrian.toml").read_text()
    assert PASSWORD not in left and "BEGIN PRIVATE KEY" not in left
    assert "# key_pem: moved to /var/lib/antrian/boot/secrets.toml" in left
    assert tomllib.loads(left)["region"]["ca_pem"] == plan.files["ca_file"].read_text()
    stored = tomllib.loads((root / "var/lib/antrian/boot/secrets.toml").read_text())
    assert stored["region.key_pem"] == key and stored["region.password"] == PASSWORD
    assert "PRIVATE KEY" not in (root / "run/antrian/hub.toml").read_text()
    # A later boot (an empty /run) takes them from the data partition.
    shutil.rmtree(root / "run")
    assert boot(root) == 0
    assert (root / "run/antrian/region/key.pem").read_text() == key
    hub = tomllib.loads((root / "run/antrian/hub.toml").read_text())
    assert hub["region"]["password"] == PASSWORD


def test_first_boot_writes_the_files_and_the_hub_config_names_them(tmp_path: Path) -> None:
    plan = provisioned(tmp_path)
    root = pi(tmp_path, plan.out / "boot/hub/antrian.toml")
    assert boot(root) == 0
    folder = root / "run/antrian/region"
    hub = tomllib.loads((root / "run/antrian/hub.toml").read_text())["region"]
    for key, name, file_mode in [
        ("ca_file", "ca.pem", 0o644),
        ("cert_file", "cert.pem", 0o644),
        ("key_file", "key.pem", 0o600),
    ]:
        assert hub[key] == str(folder / name)
        assert (folder / name).read_text() == plan.files[key].read_text()
        assert mode(folder / name) == file_mode, name
    assert mode(folder) == 0o750
    assert not {"ca_pem", "cert_pem", "key_pem", "password_file"} & set(hub)


def test_a_card_without_region_files_writes_none(tmp_path: Path, cards: Path) -> None:
    table = {"host": "region.example", "username": "kec-a", "password": PASSWORD, "tls": True}
    assert bootfile.region_files(table, Path("/run/antrian/region")) == (table, [])
    # A Pi that had a region card, given one without [region]: its old key goes.
    plan = provisioned(tmp_path)
    root = pi(tmp_path, plan.out / "boot/hub/antrian.toml")
    assert boot(root) == 0 and (root / "run/antrian/region/key.pem").exists()
    shutil.copy(cards / "hub/antrian.toml", root / "boot/firmware/antrian.toml")
    assert boot(root) == 0
    assert not (root / "run/antrian/region").exists()
    assert "region" not in tomllib.loads((root / "run/antrian/hub.toml").read_text())


def test_region_files_decides_names_and_modes() -> None:
    folder = Path("/run/antrian/region")
    card = {"host": "h", "ca_pem": "-----BEGIN CERTIFICATE-----\nA\n", "key_pem": "x"}
    with pytest.raises(bootfile.BootFileError, match=r"region\.key_pem: must be PEM text"):
        bootfile.region_files(card, folder)
    card["key_pem"] = "-----BEGIN PRIVATE KEY-----\nB\n-----END PRIVATE KEY-----\n"
    card["cert_pem"] = "-----BEGIN CERTIFICATE-----\nC\n"
    table, files = bootfile.region_files(card, folder)
    assert table == {
        "host": "h",
        "ca_file": "/run/antrian/region/ca.pem",
        "cert_file": "/run/antrian/region/cert.pem",
        "key_file": "/run/antrian/region/key.pem",
    }
    assert [(f.path.name, f.text, f.mode, f.group_mode) for f in files] == [
        ("ca.pem", card["ca_pem"], 0o644, None),
        ("cert.pem", card["cert_pem"], 0o644, None),
        ("key.pem", card["key_pem"], 0o600, 0o640),
    ]
    with pytest.raises(bootfile.BootFileError, match=r"region\.ca_file: give ca_pem or ca_file"):
        bootfile.region_files({**card, "ca_file": "/data/ca.pem"}, folder)


@pytest.mark.parametrize("key", ["ca_file", "key_file"])
def test_a_missing_file_is_named_and_nothing_is_written(
    tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = make_plan(tmp_path)
    plan.files[key].unlink()
    argv = ["--config", str(plan.office), "--out", str(plan.out)]
    assert provision_main(argv) == 2
    error = capsys.readouterr().err
    assert f"region.{key}: cannot read {plan.files[key]} (No such file or directory)" in error
    assert not plan.out.exists()


def test_check_on_a_laptop_checks_the_carried_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = provisioned(tmp_path)
    card = plan.out / "boot/hub/antrian.toml"
    assert firstboot.main(["--check", str(card)]) == 0
    assert "a valid hub (hub)" in capsys.readouterr().out
    broken = tmp_path / "antrian.toml"
    broken.write_text(card.read_text().replace("-----BEGIN CERTIFICATE-----", "BEGIN", 1))
    assert firstboot.main(["--check", str(broken)]) == 1
    assert "antrian.toml: region.ca_pem: must be PEM text" in capsys.readouterr().err


@pytest.fixture
def regional(tmp_path: Path) -> Iterator[Mosquitto]:
    """A regional broker over TLS that wants the office's client certificate and password."""
    certs = make_certs(tmp_path / "regional-certs")
    broker = Mosquitto(tmp_path / "regional", auth="allow_anonymous false")
    passwd = broker.dir / "passwd"
    passwd.write_text(passwd_text({"kec-a": mosquitto_hash(PASSWORD)}))
    with broker.conf.open("a") as conf:
        conf.write(f"password_file {passwd}\ncafile {certs.ca}\ncertfile {certs.server_cert}\n"
                   f"keyfile {certs.server_key}\nrequire_certificate true\n")  # fmt: skip
    # The office's plan trusts this broker's CA and presents a certificate it signed.
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def test_provision_then_first_boot_gives_a_hub_whose_uplink_logs_in(
    tmp_path: Path, regional: Mosquitto
) -> None:
    plan = make_plan(tmp_path / "laptop", regional.port)
    names = {"ca_file": "ca.crt", "cert_file": "server.crt", "key_file": "server.key"}
    for key, name in names.items():
        shutil.copy(tmp_path / "regional-certs" / name, plan.files[key])
    provision(plan.office, plan.out, "antrian-hub.local", None)
    for file in plan.files.values():
        file.unlink()  # the Pi has only its card
    root = pi(tmp_path, plan.out / "boot/hub/antrian.toml")
    assert boot(root) == 0
    path = root / "run/antrian/hub.toml"
    settings = load_config(Table(tomllib.loads(path.read_text()), path)).settings
    region = settings.region
    assert region is not None and region.tls and region.port == regional.port
    folder = root / "run/antrian/region"
    assert (region.ca_file, region.cert_file, region.key_file) == (
        folder / "ca.pem",
        folder / "cert.pem",
        folder / "key.pem",
    )
    database = tmp_path / "hub.db"
    Store(database).close()
    uplink = Uplink(region, database)
    uplink.start()
    try:
        wait_for(lambda: uplink.connected, 15)
    finally:
        uplink.stop()


def test_a_card_provisioned_again_without_a_client_certificate_drops_the_stored_key(
    tmp_path: Path,
) -> None:
    plan = provisioned(tmp_path)
    root = pi(tmp_path, plan.out / "boot/hub/antrian.toml")
    assert boot(root) == 0
    text = plan.office.read_text()
    plan.office.write_text(text.replace('cert_file = "certs/server.crt"\n', "").replace(
        'key_file = "certs/server.key"\n', ""
    ))  # fmt: skip
    provision(plan.office, plan.out, "antrian-hub.local", None)
    shutil.copy(plan.out / "boot/hub/antrian.toml", root / "boot/firmware/antrian.toml")
    assert boot(root) == 0
    assert sorted(p.name for p in (root / "run/antrian/region").iterdir()) == ["ca.pem"]
    hub = tomllib.loads((root / "run/antrian/hub.toml").read_text())["region"]
    assert "key_file" not in hub and "cert_file" not in hub


def test_a_carried_file_that_does_not_load_is_a_boot_fault(tmp_path: Path) -> None:
    plan = provisioned(tmp_path)
    root = pi(tmp_path, plan.out / "boot/hub/antrian.toml")
    assert boot(root) == 0 and (root / "run/antrian/region/key.pem").exists()
    card = root / "boot/firmware/antrian.toml"
    data = tomllib.loads(card.read_text())
    data["region"]["cert_pem"] = make_certs(tmp_path / "other").server_cert.read_text()
    card.write_text(tomli_w.dumps(data))  # a certificate, but not the key's
    assert boot(root) == 1
    assert "antrian.toml: region.cert_file:" in (root / "dev/tty1").read_text()
    assert not (root / "run/antrian/region").exists()
    assert not list((root / "run/antrian").glob("*.toml"))
