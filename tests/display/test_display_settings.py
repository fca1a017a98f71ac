"""The display's config file: defaults, the example, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.config import ConfigError
from nodes.display.screen import REGULAR_FONT
from nodes.display.settings import read_config

ROOT = Path(__file__).resolve().parents[2]
BASE = """\
[office]
id = "kantor"
[node]
id = "display-1"
[broker]
port = 1883
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "display.toml"
    path.write_text(BASE + text)
    return path


def test_the_example_config_loads() -> None:
    config = read_config(ROOT / "examples/office/display.toml")
    assert config.identity.node_id == "display-1"
    assert config.screen.panel.type == "headless"
    assert config.screen.panel.config.screenshot_dir is not None
    assert config.voice.output.type == "file" and config.voice.output.config.dir is not None
    assert config.voice.template == "Nomor antrian {number}, silakan menuju {counter}"
    # beside the demo's other outputs in run/office/, not inside examples/
    assert config.display.state_dir == ROOT / "run" / "office" / "display"


def test_defaults_are_for_a_real_screen_and_speaker(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, ""))
    assert config.screen.panel.type == "fullscreen" and config.screen.panel.config.width is None
    assert config.screen.font == REGULAR_FONT and config.screen.language == "id"
    assert config.voice.output.type == "speaker" and config.voice.engine.type == "espeak"
    assert config.voice.number_style == "words" and config.voice.max_age_s == 60


def test_relative_paths_start_at_the_config_file(tmp_path: Path) -> None:
    config = read_config(
        write(
            tmp_path,
            '[screen]\ntype = "headless"\nscreenshot_dir = "run/shots"\n'
            f'[voice]\noutput = "file"\ndir = "{tmp_path}/voice"\n',
        )
    )
    assert config.screen.panel.config.screenshot_dir == tmp_path / "run/shots"  # file's folder
    assert config.voice.output.config.dir == tmp_path / "voice"


def test_a_zone_and_a_state_folder(tmp_path: Path) -> None:
    config = read_config(
        write(tmp_path, f'[display]\ncounters = ["1", "2"]\nstate_dir = "{tmp_path}/state"\n')
    )
    zone = config.display.zone
    assert zone.counters == {"1", "2"} and zone.services is None
    assert zone.covers("2", "C") and not zone.covers("3", "C")
    assert config.display.state_dir == tmp_path / "state" and config.display.state_dir_given
    assert read_config(write(tmp_path, "")).display.zone.covers("3", "C")  # all by default


def test_english_display_gets_the_english_template(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, '[screen]\nlanguage = "en"\n'))
    assert config.voice.language == "en" and config.voice.template.startswith("Number")


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[screen]\ntype = "tv"\n', "screen.type", "must be one of"),
        ('[screen]\ntype = "headless"\n', "screen.screenshot_dir", "required"),
        ("[screen]\nwidth = 10\n", "screen.width", "integer from 320"),
        ('[screen]\nlogo = "nope.png"\n', "screen.logo", "does not exist"),
        ('[screen]\ncolour = "red"\n', "screen.colour", "unknown key"),
        ('[voice]\noutput = "file"\n', "voice.dir", "required"),
        ('[voice]\nengine = "pack"\n', "voice.pack_dir", "existing folder"),
        ('[voice]\nengine = "espek"\n', "voice.engine", "must be one of"),
        ('[voice]\ntemplate = "Silakan ke {counter}"\n', "voice.template", "{number}"),
        ('[voice]\ntemplate = "Nomor {nomor}"\n', "voice.template", "unknown placeholder"),
        ('[voice]\nnumber_style = "roman"\n', "voice.number_style", "must be one of"),
        ("[voice]\nmax_age_s = -1\n", "voice.max_age_s", "at least 0"),
        ("[voice]\nrate = 5\n", "voice.rate", "integer from 60"),
        ("[display]\nx = 1\n", "display.x", "unknown key"),
        ("[display]\ncounters = []\n", "display.counters", "at least one"),
        ('[display]\ncounters = ["loket 1"]\n', "display.counters", "not a valid id"),
        ("[display]\nservices = 3\n", "display.services", "list of strings"),
        ("[voice]\nrepeat = 3\n", "voice.repeat", "integer from 1"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(path) in str(caught.value)


def test_the_office_logo_is_the_default_logo(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"png")
    path = tmp_path / "display.toml"
    path.write_text(f'[office]\nlogo = "{logo}"\n[node]\nid = "display-1"\n')
    assert read_config(path).screen.logo == logo
    path.write_text(f'[office]\nlogo = "{tmp_path}/gone.png"\n[node]\nid = "display-1"\n')
    with pytest.raises(ConfigError, match=r"gone\.png"):
        read_config(path)
