"""The display's own config tables, `[display]`, `[screen]` and `[voice]`, read and checked
at start.

Every mistake is reported with the file and key (`display.toml: voice.engine: must be one
of espeak, pack, not 'espek'`), and unknown keys are refused, so a misspelled option
never silently does nothing. Relative paths are relative to the working directory (as for
every node; systemd runs the daemons from /var/lib/antrian, the demo from the repository).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.bahasa import Lang, NumberStyle
from common.config import ConfigError, NodeIdentity, Table, read_identity
from common.config import root as config_root
from nodes.display.calling import EVERYWHERE, Zone
from nodes.display.legibility import min_letter_px
from nodes.display.panels import PanelType
from nodes.display.phrase import TEMPLATES, check_template
from nodes.display.screen import BOLD_FONT, REGULAR_FONT

VoiceEngine = Literal["espeak", "pack"]
#: Where the display keeps what must survive a restart (systemd's StateDirectory).
STATE_DIR = Path("/var/lib/antrian/display")
VoiceOutput = Literal["speaker", "file"]


@dataclass(frozen=True)
class ScreenSettings:
    type: PanelType = "fullscreen"
    width: int | None = None  # None: the monitor's resolution (fullscreen) or 1920
    height: int | None = None
    screenshot_dir: Path | None = None
    screenshot_keep: int = 200
    language: Lang = "id"
    running_text: str = ""
    highlight_s: float = 10.0
    logo: Path | None = None
    font: Path = REGULAR_FONT
    bold_font: Path = BOLD_FONT
    ticker_speed: int = 120  # pixels per second; 0 keeps the running text still
    fps: int = 30  # frame rate while the running text scrolls
    diagonal_in: float = 43.0  # the TV's size, for the legibility rule
    viewing_distance_m: float = 8.0  # from the screen to the back of the waiting room

    def letter_px(self, width: int, height: int) -> float:
        """The capital height, in pixels, readable from the back of the room."""
        return min_letter_px(self.diagonal_in, self.viewing_distance_m, width, height)


@dataclass(frozen=True)
class VoiceSettings:
    enabled: bool = True
    output: VoiceOutput = "speaker"
    dir: Path | None = None
    pace: bool = True
    engine: VoiceEngine = "espeak"
    pack_dir: Path | None = None
    espeak_voice: str = "id"
    rate: int = 150
    language: Lang = "id"
    template: str = TEMPLATES["id"]
    number_style: NumberStyle = "words"
    max_age_s: float = 60.0
    repeat: int = 1  # say the phrase twice (the chime once), except when behind


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


def _path(table: Table, name: str, default: Path | None = None) -> Path | None:
    value = table.str(name, None)
    return default if value is None else table.resolve(value)


def _writable_folder(table: Table, name: str, folder: Path) -> None:
    """Prove that `folder` (or, if it does not exist yet, the folder it would be created
    in) takes a file, so that a read-only card or a wrong path stops the start with file
    and key instead of failing at the first call. Leaves nothing behind."""
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise table.error(name, f"folder {folder} cannot be created: {existing} is a file")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise table.error(name, f"folder {folder} cannot be written ({exc.strerror})") from None


def _existing_file(table: Table, name: str, default: Path) -> Path:
    path = _path(table, name, default)
    assert path is not None
    if not path.is_file():
        raise table.error(name, f"file {path} does not exist")
    return path


def read_screen(table: Table, office_logo: str | None = None) -> ScreenSettings:
    """`[screen]`; the logo defaults to the office-wide `[office] logo`."""
    kind = table.choice("type", ("headless", "window", "fullscreen"), "fullscreen")
    width = table.int("width", None, min=320, max=7680)
    height = table.int("height", None, min=240, max=7680)
    shots = _path(table, "screenshot_dir")
    if kind == "headless" and shots is None:
        raise table.error("screenshot_dir", 'is required when type = "headless"')
    if shots is not None:
        _writable_folder(table, "screenshot_dir", shots)
    logo = _path(table, "logo")
    if logo is None and office_logo:
        logo = Path(office_logo).expanduser()
    if logo is not None and not logo.is_file():
        raise table.error("logo", f"file {logo} does not exist")
    settings = ScreenSettings(
        type=kind,
        width=width,
        height=height,
        screenshot_dir=shots,
        screenshot_keep=table.int("screenshot_keep", 200, min=1),
        language=table.choice("language", ("id", "en"), "id"),
        running_text=table.str("running_text", "", nonempty=False),
        highlight_s=table.float("highlight_s", 10.0, min=0),
        logo=logo,
        font=_existing_file(table, "font", REGULAR_FONT),
        bold_font=_existing_file(table, "bold_font", BOLD_FONT),
        ticker_speed=table.int("ticker_speed", 120, min=0, max=2000),
        fps=table.int("fps", 30, min=1, max=60),
        diagonal_in=table.float("diagonal_in", 43.0, min=7),
        viewing_distance_m=table.float("viewing_distance_m", 8.0, min=0.5),
    )
    table.finish()
    return settings


def read_voice(table: Table, default_language: Lang) -> VoiceSettings:
    language = table.choice("language", ("id", "en"), default_language)
    output = table.choice("output", ("speaker", "file"), "speaker")
    directory = _path(table, "dir")
    if output == "file" and directory is None:
        raise table.error("dir", 'is required when output = "file"')
    if output == "file" and directory is not None:
        _writable_folder(table, "dir", directory)
    engine = table.choice("engine", ("espeak", "pack"), "espeak")
    pack_dir = _path(table, "pack_dir")
    if engine == "pack" and (pack_dir is None or not pack_dir.is_dir()):
        raise table.error(
            "pack_dir", f'must be an existing folder when engine = "pack" ({pack_dir})'
        )
    template = table.str("template", TEMPLATES[language])
    try:
        check_template(template)
    except ValueError as exc:
        raise table.error("template", str(exc)) from None
    settings = VoiceSettings(
        enabled=table.bool("enabled", True),
        output=output,
        dir=directory,
        pace=table.bool("pace", True),
        engine=engine,
        pack_dir=pack_dir,
        espeak_voice=table.str("espeak_voice", language),
        rate=table.int("rate", 150, min=60, max=400),
        language=language,
        template=template,
        number_style=table.choice("number_style", ("words", "digits"), "words"),
        max_age_s=table.float("max_age_s", 60.0, min=0),
        repeat=table.int("repeat", 1, min=1, max=2),
    )
    table.finish()
    return settings


def read_display(table: Table) -> DisplaySettings:
    """`[display]`: `counters` and `services` (the zone; all when left out), `state_dir`."""
    counters = table.str_list("counters", None, ids=True)
    services = table.str_list("services", None, ids=True)
    for name, value in (("counters", counters), ("services", services)):
        if value is not None and not value:
            raise table.error(name, "must name at least one (leave it out for all)")
    state_dir = _path(table, "state_dir")
    if state_dir is not None:
        _writable_folder(table, "state_dir", state_dir)
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


__all__ = [
    "ConfigError",
    "DisplayConfig",
    "DisplaySettings",
    "ScreenSettings",
    "VoiceSettings",
    "read_config",
]
