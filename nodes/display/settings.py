"""The display's own config tables, `[screen]` and `[voice]`, read and checked at start.

Every mistake is reported with the file and key (`display.toml: voice.engine: must be one
of espeak, pack, not 'espek'`), and unknown keys are refused, so a misspelled option
never silently does nothing. Relative paths are relative to the working directory (as for
every node; systemd runs the daemons from /var/lib/antrian, the demo from the repository).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.adapters import Choice
from common.bahasa import Lang, NumberStyle
from common.config import ConfigError, NodeIdentity, Table, read_identity, setting
from common.config import root as config_root
from nodes.display.outputs import OUTPUTS, AudioOutput
from nodes.display.panels import PANELS, Panel
from nodes.display.phrase import TEMPLATES, check_template
from nodes.display.screen import BOLD_FONT, REGULAR_FONT
from nodes.display.voices import VOICES, Voice

DEFAULT_FONTS = {"font": REGULAR_FONT, "bold_font": BOLD_FONT}


@dataclass(frozen=True)
class ScreenSettings:
    panel: Choice[Panel]
    logo: Path | None
    font: Path
    bold_font: Path
    language: Lang = setting("id", choices=("id", "en"))
    running_text: str = setting("", nonempty=False)
    highlight_s: float = setting(10.0, min=0)
    ticker_speed: int = setting(120, min=0, max=2000)  # pixels/s; 0 keeps the text still
    fps: int = setting(30, min=1, max=60)  # frame rate while the running text scrolls


@dataclass(frozen=True)
class VoiceSettings:
    engine: Choice[Voice]
    output: Choice[AudioOutput]
    language: Lang
    template: str
    enabled: bool = True
    number_style: NumberStyle = setting("words", choices=("words", "digits"))
    max_age_s: float = setting(60.0, min=0)


@dataclass(frozen=True)
class DisplayConfig:
    identity: NodeIdentity
    screen: ScreenSettings
    voice: VoiceSettings
    path: Path


def _existing_file(table: Table, name: str, default: Path) -> Path:
    path = table.local_path(name, default)
    assert path is not None
    if not path.is_file():
        raise table.error(name, f"file {path} does not exist")
    return path


def read_screen(table: Table, office_logo: str | None = None) -> ScreenSettings:
    """`[screen]`; the logo defaults to the office-wide `[office] logo`."""
    panel = PANELS.read(table)
    logo = table.local_path("logo")
    if logo is None and office_logo:
        logo = Path(office_logo).expanduser()
    if logo is not None and not logo.is_file():
        raise table.error("logo", f"file {logo} does not exist")
    fonts = {name: _existing_file(table, name, d) for name, d in DEFAULT_FONTS.items()}
    settings: ScreenSettings = table.fields(ScreenSettings, panel=panel, logo=logo, **fonts)
    table.finish()
    return settings


def read_voice(table: Table, default_language: Lang) -> VoiceSettings:
    language = table.choice("language", ("id", "en"), default_language)
    output = OUTPUTS.read(table)
    engine = VOICES.read(table, language=language)
    template = table.str("template", TEMPLATES[language])
    try:
        check_template(template)
    except ValueError as exc:
        raise table.error("template", str(exc)) from None
    given = {"engine": engine, "output": output, "language": language, "template": template}
    settings: VoiceSettings = table.fields(VoiceSettings, **given)
    table.finish()
    return settings


def read_config(source: str | Path | Table) -> DisplayConfig:
    """The display node's whole config file; ConfigError naming file and key if wrong."""
    root = config_root(source)
    identity = read_identity(root)
    office_logo = root.data.get("office", {}).get("logo")
    screen = read_screen(
        root.table("screen"), office_logo if isinstance(office_logo, str) else None
    )
    voice = read_voice(root.table("voice"), screen.language)
    root.finish()
    return DisplayConfig(identity, screen, voice, Path(root.file))


__all__ = ["ConfigError", "DisplayConfig", "ScreenSettings", "VoiceSettings", "read_config"]
