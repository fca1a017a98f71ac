"""The web node's config file: defaults, every key, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.config import ConfigError
from nodes.hub.web import accounts
from nodes.hub.web.config import load

ROOT = Path(__file__).resolve().parents[2]
BASE = """
[office]
id = "kantor"
[node]
id = "web-1"
[web]
secret_key = "0123456789abcdef0123"
{web}
[hub]
database = "/tmp/antrian.db"
{extra}
"""


def write(tmp_path: Path, web: str = "", extra: str = "") -> Path:
    path = tmp_path / "web.toml"
    path.write_text(BASE.format(web=web, extra=extra))
    return path


def test_defaults(tmp_path: Path) -> None:
    config = load(write(tmp_path))
    assert (config.host, config.port, config.online_requires) == ("127.0.0.1", 8080, "none")
    assert config.identity.node_id == "web-1" and config.users == ()
    assert config.base_url == "http://127.0.0.1:8080"
    assert str(config.database) == "/tmp/antrian.db"


def test_the_example_config_loads() -> None:
    config = load(ROOT / "examples" / "office" / "web.toml")
    assert config.identity.node_id == "web-1" and config.port == 8080
    assert config.users and config.users[0].password_hash.startswith("$argon2id$")
    # the documented example password, to be replaced on a real office
    assert accounts.verify(config.users[0], "ganti-sandi-ini")


@pytest.mark.parametrize(
    ("web", "extra", "key"),
    [
        ('port = "80"', "", "web.port"),
        ('online_requires = "ktp"', "", "web.online_requires"),
        ("rate_limit_per_minute = 0", "", "web.rate_limit_per_minute"),
        ('secert = "x"', "", "web.secert"),
        ("", '[[web.users]]\nname = "a"\npassword_hash = "plain"', "web.users[0].password_hash"),
        (
            "",
            '[[web.users]]\nname = "a"\nrole = "root"\npassword_hash = "$argon2id$x"',
            "web.users[0].role",
        ),
    ],
)
def test_errors_name_the_key(tmp_path: Path, web: str, extra: str, key: str) -> None:
    # [[web.users]] must follow [web]'s own keys; put it after them.
    path = tmp_path / "web.toml"
    text = BASE.format(web=web, extra="").replace("[hub]", extra + "\n[hub]") if extra else None
    path.write_text(text or BASE.format(web=web, extra=""))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.key == key and str(path) in str(caught.value)


def test_short_secret_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(path.read_text().replace("0123456789abcdef0123", "short"))
    with pytest.raises(ConfigError, match="secret_key"):
        load(path)
