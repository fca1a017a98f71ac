"""What a citizen or an officer reads on the pages (HTML over TestClient, real hub + broker).

Issue 15: one message per ticket state, reloads that never wipe a form, dashboard actions
that ask first and say what they did, and Indonesian everywhere a person reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from tests.harness import HubProcess, Mosquitto, client, wait_for
from tests.web.conftest import PASSWORD, WebFactory, WebNode, csrf_of

REFRESH = '<meta http-equiv="refresh"'


def sign_in(browser: TestClient, user: str = "camat") -> None:
    token = csrf_of(browser.get("/masuk").text)
    answer = browser.post(
        "/masuk",
        data={"csrf": token, "user": user, "password": PASSWORD, "next": "/dasbor"},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def element(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"no #{element_id} in the page"
    return match.group(0)


def row(html: str, attribute: str) -> str:
    """One table row, e.g. row(page, 'data-node="loket-2"')."""
    match = re.search(rf"<tr {attribute}.*?</tr>", html, re.S)
    assert match, f"no row {attribute}"
    return re.sub(r"\s+", " ", match.group(0))


def test_only_pages_without_a_form_to_fill_in_reload_themselves(
    web: WebNode, kiosk: Callable[[str], str]
) -> None:
    ticket_id = kiosk("A")
    with web.client() as browser:
        filled_in = {path: browser.get(path).text for path in ("/ambil", "/masuk")}
        read_only = {path: browser.get(path).text for path in ("/", f"/t/{ticket_id}")}
        sign_in(browser)
        filled_in["/dasbor/laporan"] = browser.get("/dasbor/laporan").text
        read_only["/dasbor"] = browser.get("/dasbor").text
    for path, page in filled_in.items():
        assert "<form" in page and REFRESH not in page, path  # a reload wipes what was typed
    for path, page in read_only.items():
        assert f"<noscript>{REFRESH}" in page, path  # follows the queue without JavaScript


def test_a_called_ticket_says_where_to_go_and_nothing_else(
    web: WebNode, kiosk: Callable[[str], str], counter: Callable[..., dict[str, Any]]
) -> None:
    ticket_id = kiosk("A")
    kiosk("A")
    with web.client() as browser:
        waiting = browser.get(f"/t/{kiosk('A')}").text
        counter("call_next")
        wait_for(lambda: browser.get(f"/api/t/{ticket_id}").json()["state"] == "called")
        called = browser.get(f"/t/{ticket_id}").text
        view = browser.get(f"/api/t/{ticket_id}").json()
    assert "hidden" not in element(waiting, "near")  # two ahead: near (near_alert_ahead = 2)
    assert "Dipanggil! Silakan menuju Loket 1" in called
    assert "hidden" in element(called, "near")  # not also "Giliran Anda sudah dekat"
    assert (view["near"], view["alert"]) == (False, "called")  # the phone still vibrates
    assert re.search(r"<h1>Nomor antrian Anda · Kartu Keluarga</h1>", called)


def test_closing_a_service_asks_first_then_says_what_was_done(web: WebNode) -> None:
    with web.client() as admin:
        sign_in(admin)
        dashboard = admin.get("/dasbor").text
        assert 'href="/dasbor/layanan/A?terima=0">Tutup layanan</a>' in dashboard
        confirm = admin.get("/dasbor/layanan/A?terima=0")
        assert confirm.status_code == 200
        assert "<h1>Tutup layanan Kartu Keluarga?</h1>" in confirm.text
        assert "Nomor yang sudah diambil tetap dilayani" in confirm.text
        assert "Ya, tutup layanan" in confirm.text and 'href="/dasbor">Batal</a>' in confirm.text
        assert web.model.service_open("A")  # asking is not doing
        # The confirmation's own form, followed as a browser without JavaScript would:
        after = admin.post(
            "/dasbor/layanan/A", data={"csrf": csrf_of(confirm.text), "accepting": "0"}
        )
        assert after.url.path == "/dasbor"
        message = re.search(r'<p class="flash" role="status">([^<]*)</p>', after.text)
        assert message, "no result message"
        assert re.fullmatch(
            r"Pukul \d\d\.\d\d: layanan Kartu Keluarga ditutup untuk nomor antrian baru\.",
            message.group(1),
        )
        # The page it lands on already shows the service closed (no wait: what a person sees)
        assert "Tutup" in row(after.text, 'data-service="A"')
        assert "Buka layanan</a>" in row(after.text, 'data-service="A"')
        assert message.group(1) in admin.get("/dasbor").text  # still there after a reload
        opened = admin.post(
            "/dasbor/layanan/A",
            data={"csrf": csrf_of(after.text), "accepting": "1"},
        )
        assert "layanan Kartu Keluarga dibuka kembali" in opened.text
        assert "Tutup layanan</a>" in row(opened.text, 'data-service="A"')
    with web.client() as supervisor:
        sign_in(supervisor, user="staf")
        assert supervisor.get("/dasbor/layanan/A?terima=0").status_code == 403


def test_the_device_table_is_in_indonesian_and_online_means_now(
    web: WebNode, broker: Mosquitto
) -> None:
    panel = client(broker, "loket-2", "counter")
    display = client(broker, "display-1", "display")
    try:
        panel.set_status(counter="2", keypad="lost")
        display.set_status(voice="espeak", output="file")
        wait_for(lambda: web.model.nodes.get("loket-2") and web.model.nodes["loket-2"].details)
        wait_for(lambda: web.model.nodes.get("display-1") and web.model.nodes["display-1"].details)
        with web.client() as browser:
            sign_in(browser)
            page = browser.get("/dasbor").text
    finally:
        panel.stop()
        display.stop()
    hub = row(page, 'data-node="hub"')
    counter = row(page, 'data-node="loket-2"')
    voice = row(page, 'data-node="display-1"')
    assert "Server antrian" in hub and "office" not in hub and "kantor" not in hub
    assert "Panel loket" in counter and "Loket: 2" in counter and "Tombol: terputus!" in counter
    assert "warn" in counter  # a lost keypad is marked like a printer out of paper
    assert "Layar panggilan" in voice
    assert "Keluaran suara: berkas (uji coba)" in voice and "Suara: espeak" in voice
    assert "Situs web" in row(page, 'data-node="web-1"')
    for line in (hub, counter, voice):
        assert '<td data-f="last_seen">Sekarang</td>' in line  # not a stamp that looks frozen
    english = TestClient(web.app)
    sign_in(english)
    assert "Counter panel" in row(english.get("/dasbor?lang=en").text, 'data-node="loket-2"')


def test_missing_pages_and_wrong_methods_are_explained_in_indonesian(web: WebNode) -> None:
    with web.client() as browser:
        missing = browser.get("/tidak-ada")
        wrong = browser.get("/keluar")  # a POST-only address opened as a link
        english = browser.get("/static/tidak-ada.css?lang=en")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<h1>Halaman tidak ditemukan</h1>" in missing.text
    assert "Not Found" not in missing.text and '<html lang="id">' in missing.text
    assert wrong.status_code == 405 and "POST" in wrong.headers["allow"]
    assert "Halaman ini tidak dapat dibuka dengan cara tersebut." in wrong.text
    assert "Method Not Allowed" not in wrong.text
    assert english.status_code == 404 and "<h1>Page not found</h1>" in english.text


def test_forms_are_checked_by_the_page_not_the_browser(
    make_web: WebFactory, hub: HubProcess
) -> None:
    web = make_web(hub, requires="phone")
    with web.client() as browser:
        take_form = browser.get("/ambil").text
        sign_in_form = browser.get("/masuk").text
        # "Please select one of these options." comes from `required`, in the browser's tongue
        assert " required" not in take_form and " required" not in sign_in_form
        token = csrf_of(take_form)
        no_service = browser.post("/ambil", data={"csrf": token, "holder": "081234567890"})
        no_phone = browser.post("/ambil", data={"csrf": token, "service": "A", "holder": " "})
        no_password = browser.post("/masuk", data={"csrf": token, "user": "camat"})
    assert no_service.status_code == 400
    assert "Pilih salah satu layanan terlebih dahulu." in no_service.text
    assert no_phone.status_code == 400 and "Isi nomor HP Anda terlebih dahulu." in no_phone.text
    assert 'value="A" checked' in no_phone.text  # the choice survives the refusal
    assert no_password.status_code == 400
    assert "Isi nama pengguna dan kata sandi." in no_password.text
    assert "sandi acak" not in take_form
    assert "Nomor ini tidak kami simpan dalam bentuk aslinya" in take_form
