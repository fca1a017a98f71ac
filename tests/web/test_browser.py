"""A real browser (Debian's chromium, headless, driven by Selenium) on a phone-sized screen.

Never downloads a browser or driver: /usr/bin/chromium and /usr/bin/chromedriver only
(`apt-get install chromium chromium-driver`). To refresh the screenshots in the docs:
`ANTRIAN_WEB_SCREENSHOTS=1 .venv/bin/pytest tests/web/test_browser.py` (docs/img/web-*.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import HubProcess, Mosquitto, client, wait_for
from tests.web.conftest import PASSWORD, WebFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def browser_installed() -> None:
    """A missing browser fails these tests: a skip would hide that nothing was checked."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"missing {', '.join(missing)}: install Debian's chromium and chromium-driver "
            "(scripts/install.sh does)",
            pytrace=False,
        )


def chromium(profile: Path, *, mobile: bool) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1100,1500",
    ):
        options.add_argument(flag)
    if mobile:
        options.add_experimental_option(
            "mobileEmulation",
            {
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0},
                "userAgent": "Mozilla/5.0 (Linux; Android 12; Pixel 5) AppleWebKit/537.36 "
                "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            },
        )
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    return driver


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path / "phone-profile", mobile=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path / "desktop-profile", mobile=False)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> None:
    """A screenshot, checked to be a PNG; kept in docs/img with ANTRIAN_WEB_SCREENSHOTS=1."""
    png: bytes = driver.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 5000  # a real, non-empty page
    if os.environ.get("ANTRIAN_WEB_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        (IMAGES / f"web-{name}.png").write_bytes(png)


def text_of(driver: Any, selector: str) -> str:
    """The element's text; "" while it is missing (e.g. the dashboard is reloading)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return str(driver.find_element(By.CSS_SELECTOR, selector).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def test_phone_takes_a_ticket_sees_it_move_live_and_cancels(
    phone: Any,
    make_web: WebFactory,
    hub: HubProcess,
    kiosk: Callable[[str], str],
    counter: Callable[..., dict[str, Any]],
) -> None:
    from selenium.webdriver.common.by import By

    for service in "AAAB":
        kiosk(service)
    counter("call_next")  # one ticket served, so the hub can estimate waits
    counter("start")
    counter("finish")
    web = make_web(hub, near=1)
    url = web.serve()
    phone.get(f"{url}/")
    assert "Kartu Keluarga" in phone.page_source
    shot(phone, "board")
    phone.get(f"{url}/ambil")
    phone.find_element(By.CSS_SELECTOR, 'input[name="service"][value="A"]').click()
    shot(phone, "take")
    phone.find_element(By.CSS_SELECTOR, "form.take button[type=submit]").click()
    wait_for(lambda: "/t/" in phone.current_url, timeout=10)
    assert text_of(phone, '[data-f="number"]') == "A-004"
    assert "menit" in text_of(phone, '[data-f="estimate_text"]')
    assert text_of(phone, '[data-f="ahead"]') == "2"
    assert not phone.find_element(By.ID, "near").is_displayed()
    shot(phone, "ticket")
    # A marker that a page reload would wipe: the position must change in place (SSE).
    phone.execute_script("window.__noReload = true;")
    wait_for(lambda: phone.execute_script("return document.body.dataset.version"), timeout=5)
    counter("call_next")
    wait_for(lambda: text_of(phone, '[data-f="ahead"]') == "1", timeout=5)
    assert phone.execute_script("return window.__noReload === true")
    wait_for(lambda: phone.find_element(By.ID, "near").is_displayed(), timeout=5)
    assert "Giliran Anda sudah dekat" in text_of(phone, "#near")
    shot(phone, "ticket-near")
    phone.find_element(By.CSS_SELECTOR, "#cancel button").click()
    alert = phone.switch_to.alert
    assert "membatalkan" in alert.text
    alert.accept()
    wait_for(lambda: "Dibatalkan" in text_of(phone, '[data-f="state_text"]'), timeout=10)
    assert not phone.find_elements(By.CSS_SELECTOR, "#cancel")
    shot(phone, "ticket-cancelled")


def test_dashboard_shows_a_kiosk_going_offline(
    desktop: Any,
    broker: Mosquitto,
    make_web: WebFactory,
    hub: HubProcess,
    kiosk: Callable[[str], str],
    counter: Callable[..., dict[str, Any]],
) -> None:
    from selenium.webdriver.common.by import By

    kiosk("A")
    kiosk("B")
    counter("call_next")
    kiosk_2 = client(broker, "kiosk-2", "kiosk")
    kiosk_2.set_status(printer="paper_low")
    web = make_web(hub)
    url = web.serve()
    desktop.get(f"{url}/masuk")
    desktop.find_element(By.NAME, "user").send_keys("camat")
    desktop.find_element(By.NAME, "password").send_keys(PASSWORD)
    desktop.find_element(By.CSS_SELECTOR, "form.signin button").click()
    wait_for(lambda: desktop.current_url.endswith("/dasbor"), timeout=10)
    row = 'tr[data-node="kiosk-2"] [data-f="online"]'
    wait_for(lambda: text_of(desktop, row) == "Daring", timeout=5)
    shot(desktop, "dashboard")
    kiosk_2.stop()  # a clean goodbye; a crash would send the same via its Last Will
    wait_for(lambda: text_of(desktop, row) == "Luring", timeout=10)
    wait_for(lambda: text_of(desktop, 'tr.down[data-node="kiosk-2"]'), timeout=5)  # red row
    shot(desktop, "dashboard-offline")
    desktop.find_element(By.CSS_SELECTOR, 'a[href^="/dasbor/laporan"]').click()
    frame = wait_for(lambda: desktop.find_elements(By.CSS_SELECTOR, ".report iframe"), timeout=10)
    desktop.switch_to.frame(frame[0])
    wait_for(lambda: "Kartu Keluarga" in desktop.page_source, timeout=10)  # the day's report
    desktop.switch_to.default_content()
    shot(desktop, "reports")


def test_chromium_is_debians() -> None:
    assert shutil.which("chromium") == str(CHROMIUM)


def test_a_browser_without_eventsource_follows_by_polling(
    phone: Any,
    make_web: WebFactory,
    hub: HubProcess,
    kiosk: Callable[[str], str],
    counter: Callable[..., dict[str, Any]],
) -> None:
    # An old Android browser: no EventSource at all. The page polls /api/t/{id} instead.
    phone.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": "window.EventSource = undefined;"}
    )
    kiosk("A")
    kiosk("A")
    ticket_id = kiosk("A")  # a printed ticket, opened from its QR code
    web = make_web(hub)
    url = web.serve()
    phone.get(f"{url}/t/{ticket_id}")
    wait_for(lambda: text_of(phone, '[data-f="ahead"]') == "2", timeout=5)
    assert not phone.execute_script("return window.EventSource")
    phone.execute_script("window.__noReload = true;")
    counter("call_next")
    # it polls every 10 s; allow two rounds on a loaded machine
    wait_for(lambda: text_of(phone, '[data-f="ahead"]') == "1", timeout=25)
    assert phone.execute_script("return window.__noReload === true")
    assert "Batalkan" not in phone.page_source  # a kiosk ticket is follow-only
