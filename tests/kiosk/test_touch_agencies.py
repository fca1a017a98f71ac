"""Services of several agencies (a Mal Pelayanan Publik): the optional `agency` of a
service from the hub's file through the retained `config` to the touch kiosk's headings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from common.config import ConfigError, Table
from common.payloads import OfficeConfig, Service
from common.wire import WireError
from nodes.hub import views
from nodes.hub.office import read_office
from nodes.kiosk.tiles import Geometry, Rect, Screen, services_screen
from tests.hub.support import office
from tests.kiosk.test_touch_tiles import SCREENS, assert_readable, choices, geometry, measure

AGENCIES = [
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Kantor Imigrasi Kelas I",
    "Badan Pendapatan Daerah",
    "BPJS Kesehatan",
]


def mpp(count: int = 24) -> list[Any]:
    """A Mal Pelayanan Publik: `count` services shared out in turn among (up to) four
    agencies, the first agency's services first."""
    share = len(AGENCIES) / count
    return [replace(c, agency=AGENCIES[int(i * share)]) for i, c in enumerate(choices(count))]


def overlaps(a: Rect, b: Rect) -> bool:
    return not (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y)


def agency_of_each_tile(screen: Screen) -> dict[str, str]:
    """The heading each service tile stands under: the nearest heading above it in the
    body, or the page's one heading in the headline band."""
    services = [t for t in screen.tiles if t.kind == "service"]
    if len(screen.headings) == 1:
        return {t.key: screen.headings[0].text for t in services}
    under = {}
    for tile in services:
        above = [h for h in screen.headings if h.rect.y + h.rect.h <= tile.rect.y]
        under[tile.key] = max(above, key=lambda h: h.rect.y).text
    return under


@pytest.mark.parametrize(("width", "height", "diagonal"), SCREENS)
@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("count", [3, 8, 24])
def test_services_of_several_agencies_stand_under_readable_headings(
    width: int, height: int, diagonal: float, large: bool, lang: str, count: int
) -> None:
    """24 services of 4 agencies (and 3 of 3, 8 of 4) on every screen, in both sizes of
    letters: every text in its tile, every heading whole, readable and over its own."""
    g = geometry(width, height, diagonal, large)
    offered = mpp(count)
    first = services_screen(offered, g, measure, lang=lang)  # type: ignore[arg-type]
    seen: list[str] = []
    for page in range(first.pages):
        screen = services_screen(offered, g, measure, lang=lang, page=page)  # type: ignore[arg-type]
        assert_readable(screen, g)
        assert_headings_readable(screen, g)
        under = agency_of_each_tile(screen)
        for choice in offered:
            if choice.id in under:
                assert under[choice.id] == choice.agency, (page, choice.id)
        seen += [t.key for t in screen.tiles if t.kind == "service"]
    assert seen == [c.id for c in offered]  # each exactly once, agency by agency


def assert_headings_readable(screen: Screen, g: Geometry) -> None:
    whole = Rect(0, 0, screen.width, screen.height)
    assert screen.headings
    for heading in screen.headings:
        assert heading.rect.inside(whole), heading
        assert "…" not in heading.text, heading  # the agency's whole name
        assert measure(heading.text, heading.size)[0] <= heading.rect.w, heading
        assert heading.cap_px >= g.min_letter_px, heading
        for tile in screen.tiles:
            assert not overlaps(heading.rect, tile.rect), (heading.text, tile.key)
        for text in screen.texts:  # the headline beside it in the band
            assert not overlaps(heading.rect, text.rect), (heading.text, text.text)


def test_one_agency_or_none_is_the_plain_look() -> None:
    g = geometry(800, 480, 7.0)
    plain = services_screen(choices(8), g, measure)
    one = services_screen([replace(c, agency="Disdukcapil") for c in choices(8)], g, measure)
    assert plain.headings == () and one == plain


def test_services_without_an_agency_come_last_as_other_services() -> None:
    g = geometry(1080, 1920, 21.5)
    offered = [
        replace(c, agency=None if i % 2 else "Disdukcapil") for i, c in enumerate(choices(6))
    ]
    screen = services_screen(offered, g, measure)
    assert [h.text for h in screen.headings] == ["Disdukcapil", "Layanan lainnya"]
    under = agency_of_each_tile(screen)
    assert [k for k, v in under.items() if v == "Layanan lainnya"] == ["S1", "S3", "S5"]


def test_a_heading_shares_the_headline_band_but_never_hides_trouble() -> None:
    """On a 7" panel one agency fills a page: its name goes above the headline. A trouble
    headline takes the whole band (the tiles are all grey then anyway)."""
    g = geometry(800, 480, 7.0)
    screen = services_screen(mpp(), g, measure)
    (heading,) = screen.headings
    assert heading.text == AGENCIES[0] and heading.rect.y + heading.rect.h <= screen.texts[0].rect.y
    trouble = "Kertas tiket habis. Silakan hubungi petugas."
    alert = services_screen(mpp(), g, measure, headline=trouble, alert=True, enabled=False)
    assert alert.headings == ()
    assert " ".join(t.text for t in alert.texts) == trouble


# --- the wire and the hub's file -------------------------------------------------------


def hub_file(**service: Any) -> Table:
    data = {
        "services": [{"id": "A", "name": "Kartu Keluarga", **service}],
        "counters": [{"id": "1", "services": ["A"]}],
    }
    return Table(data, "hub.toml")


def test_the_hub_publishes_each_services_agency() -> None:
    (service,) = read_office(hub_file(agency="Disdukcapil")).services
    assert service.agency == "Disdukcapil"
    (plain,) = read_office(hub_file()).services
    assert plain.agency is None
    payload = views.office_config(office(A={"agency": "Disdukcapil"}))
    assert [s["agency"] for s in payload["services"]] == ["Disdukcapil", None, None]
    config = OfficeConfig.from_payload(payload)
    assert [s.agency for s in config.services] == ["Disdukcapil", None, None]


@pytest.mark.parametrize(
    ("agency", "problem"),
    [("", "services[0].agency: must not be empty"), (7, "agency: must be a string"),
     ("x" * 81, "agency: must be at most 80 characters")],
)  # fmt: skip
def test_a_wrong_agency_stops_the_hub_naming_the_key(agency: Any, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        read_office(hub_file(agency=agency))


def test_an_older_hub_without_agencies_still_reads() -> None:
    old = {"id": "A", "name": "Kartu Keluarga", "prefix": "A"}
    assert Service.from_payload(old).agency is None


@pytest.mark.parametrize("agency", ["", "   ", 7, "x" * 81, ["Disdukcapil"]])
def test_a_bad_agency_on_the_wire_is_refused(agency: Any) -> None:
    good = Service("A", "Kartu Keluarga", "A", agency="Disdukcapil").to_payload()
    assert Service.from_payload(good).agency == "Disdukcapil"
    with pytest.raises(WireError):
        Service.from_payload({**good, "agency": agency})
