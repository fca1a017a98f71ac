"""The display's own config tables, `[display]`, `[screen]` and `[voice]`, read and checked
at start.

Every mistake is reported with the file and key (`display.toml: voice.engine: must be one
of espeak, pack, not 'espek'`), and unknown keys are refused, so a misspelled option
never silently does nothing. Relative paths are relative to the config file's folder
(`Table.filepath`), wherever the daemon was started from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common.adapters import Choice
from common.bahasa import Lang, NumberStyle
from common.config import NodeIdentity, Table, read_identity, setting
from common.config import root as config_root
from common.legibility import min_letter_px
from common.speech.outputs import OUTPUTS, AudioOutput
from common.speech.phrase import TEMPLATES, check_template
from common.speech.voices import VOICES, Voice
from nodes.display.calling import EVERYWHERE, Zone
from nodes.display.panels import PANELS, FullscreenConfig, Panel
from nodes.display.screen import BOLD_FONT, REGULAR_FONT

#: Where the display keeps what must survive a restart (systemd's StateDirectory).
STATE_DIR = Path("/var/lib/antrian/display")
DEFAULT_FONTS = {"font": REGULAR_FONT, "bold_font": BOLD_FONT}
#: `[screen] type` left out: the TV on the HDMI port, full screen.
FULLSCREEN = Choice[Panel]("fullscreen", FullscreenConfig())


@dataclass(frozen=True)
class ScreenSettings:
    panel: Choice[Panel] = FULLSCREEN
    logo: Path | None = None
    font: Path = REGULAR_FONT
    bold_font: Path = BOLD_FONT
    language: Lang = setting("id", choices=("id", "en"))
    running_text: str = setting("", nonempty=False)
    highlight_s: float = setting(10.0, min=0)
    ticker_speed: int = setting(120, min=0, max=2000)  # pixels/s; 0 keeps the text still
    fps: int = setting(30, min=1, max=60)  # frame rate while the running text scrolls
    diagonal_in: float = setting(43.0, min=7)  # the TV's size, for the legibility rule
    #: From the screen to the back of the waiting room.
    viewing_distance_m: float = setting(8.0, min=0.5)

    def letter_px(self, width: int, height: int) -> float:
        """The capital height, in pixels, readable from the back of the room."""
        return min_letter_px(self.diagonal_in, self.viewing_distance_m, width, height)


@dataclass(frozen=True)
class VoiceSettings:
    engine: Choice[Voice]
    output: Choice[AudioOutput]
    language: Lang
    template: str
    enabled: bool = True
    number_style: NumberStyle = setting("words", choices=("words", "digits"))
    max_age_s: float = setting(60.0, min=0)
    #: Say the phrase twice (the chime once), except when behind.
    repeat: int = setting(1, min=1, max=2)


@dataclass(frozen=True)
class DisplaySettings:
    """`[display]`: the zone this display serves and where it keeps its state."""

    zone: Zone = EVERYWHERE
    state_dir: Path = STATE_DIR
    state_dir_given: bool = False  # a default that cannot be written only costs the journal


@dataclass(frozen=True)
class DisplayConfig:
    identity: NodeIdentity
    screen: ScreenSettings
    voice: VoiceSettings
    path: Path
    display: DisplaySettings = field(default_factory=DisplaySettings)


def _existing_file(table: Table, name: str, default: Path) -> Path:
    path: Path = table.filepath(name, default)
    if not path.is_file():
        raise table.error(name, f"file {path} does not exist")
    return path


def read_screen(table: Table, office_logo: str | None = None) -> ScreenSettings:
    """`[screen]`; the logo defaults to the office-wide `[office] logo`."""
    panel = PANELS.read(table)
    logo: Path | None = table.filepath("logo", None)
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


def read_display(table: Table) -> DisplaySettings:
    """`[display]`: `counters` and `services` (the zone; all when left out), `state_dir`."""
    counters = table.str_list("counters", None, ids=True)
    services = table.str_list("services", None, ids=True)
    for name, value in (("counters", counters), ("services", services)):
        if value is not None and not value:
            raise table.error(name, "must name at least one (leave it out for all)")
    state_dir: Path | None = table.filepath("state_dir", None)
    if state_dir is not None:
        table.check_writable("state_dir", state_dir)
    settings = DisplaySettings(
        zone=Zone(
            frozenset(counters) if counters is not None else None,
            frozenset(services) if services is not None else None,
        ),
        state_dir=state_dir or STATE_DIR,
        state_dir_given=state_dir is not None,
    )
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
    display = read_display(root.table("display"))
    root.finish()
    return DisplayConfig(identity, screen, voice, Path(root.file), display)
