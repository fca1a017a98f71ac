"""Every route over HTTP (Starlette's TestClient) against a real hub and mosquitto."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.harness import HubProcess, Mosquitto, client, wait_for
from tests.web.conftest import PASSWORD, WebFactory, WebNode, csrf_of


def take(browser: TestClient, service: str = "A", **form: str) -> Any:
    token = csrf_of(browser.get("/ambil").text)
    return browser.post(
        "/ambil", data={"csrf": token, "service": service, **form}, follow_redirects=False
    )


def sign_in(browser: TestClient, user: str = "camat", password: str = PASSWORD) -> Any:
    token = csrf_of(browser.get("/masuk").text)
    return browser.post(
        "/masuk",
        data={"csrf": token, "user": user, "password": password, "next": "/dasbor"},
        follow_redirects=False,
    )


def ticket_json(browser: TestClient, ticket_id: str) -> dict[str, Any]:
    response = browser.get(f"/api/t/{ticket_id}")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


# --- public board ---------------------------------------------------------------------------


def test_board_shows_the_office_in_indonesian_and_english(
    web: WebNode, kiosk: Callable[[str], str]
) -> None:
    kiosk("A")
    kiosk("A")
    wait_for(lambda: web.model.queues["A"].waiting == 2)
    with web.client() as browser:
        page = browser.get("/")
        assert page.status_code == 200
        assert "Kartu Keluarga" in page.text and "Menunggu" in page.text
        assert 'data-live="/live/papan' in page.text  # the live upgrade is wired
        english = browser.get("/?lang=en")
        assert "Waiting" in english.text and english.cookies.get("bahasa") == "en"
        assert "Waiting" in browser.get("/").text  # the cookie keeps the choice
        board = browser.get("/api/papan").json()
    assert {s["id"]: s["waiting"] for s in board["services"]} == {"A": 2, "B": 0, "C": 0}


def test_static_assets_are_local(web: WebNode) -> None:
    with web.client() as browser:
        assert "EventSource" in browser.get("/static/app.js").text
        assert browser.get("/static/app.css").status_code == 200
        page = browser.get("/").text
    assert '<noscript><meta http-equiv="refresh"' in page  # works without JavaScript too
    assert "http://" not in page.replace("http://127.0.0.1", "").replace("http://testserver", "")
    assert "https://" not in page


# --- online queue ---------------------------------------------------------------------------


def test_take_an_online_ticket_and_follow_it(
    web: WebNode, hub: HubProcess, kiosk: Callable[[str], str]
) -> None:
    kiosk("A")
    kiosk("A")
    with web.client() as browser:
        response = take(browser, "A")
        assert response.status_code == 303
        ticket_id = response.headers["location"].removeprefix("/t/")
        page = browser.get(f"/t/{ticket_id}")
        assert page.status_code == 200
        assert "A-003" in page.text and "<svg" in page.text  # number and QR code
        assert "Batalkan antrian" in page.text  # the holder may cancel
        view = ticket_json(browser, ticket_id)
    assert (view["number"], view["state"], view["ahead"]) == ("A-003", "waiting", 2)
    with sqlite3.connect(hub.db_path) as db:
        (online, node) = db.execute(
            "SELECT online, node FROM tickets WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
    assert (online, node) == (1, "web-1")  # counted as an online ticket of web-1


def test_position_drops_when_a_counter_calls(
    web: WebNode, kiosk: Callable[[str], str], counter: Callable[..., dict[str, Any]]
) -> None:
    kiosk("A")
    kiosk("A")
    with web.client() as browser:
        ticket_id = take(browser, "A").headers["location"].removeprefix("/t/")
        assert ticket_json(browser, ticket_id)["ahead"] == 2
        assert not ticket_json(browser, ticket_id)["near"] or web.config.near_alert_ahead >= 2
        counter("call_next")
        wait_for(lambda: ticket_json(browser, ticket_id)["ahead"] == 1)
        view = ticket_json(browser, ticket_id)
        assert view["near"] is True  # near_alert_ahead = 2 in the test office
        counter("finish")
        counter("call_next")
        counter("finish")
        counter("call_next")
        wait_for(lambda: ticket_json(browser, ticket_id)["state"] == "called")
        view = ticket_json(browser, ticket_id)
        assert view["counter_name"] == "Loket 1" and "Loket 1" in view["state_text"]
        page = browser.get(f"/t/{ticket_id}").text
        assert "Loket 1" in page and "Nomor diambil" in page and "Dipanggil" in page
        assert [step["text"] for step in view["history"]] == ["Nomor diambil", "Dipanggil"]


def test_one_active_ticket_per_browser(web: WebNode) -> None:
    with web.client() as browser:
        first = take(browser, "A").headers["location"]
        assert 'name="service"' not in browser.get("/ambil").text  # no form while one is active
        token = csrf_of(browser.get("/masuk").text)  # the session's token, as a script would
        again = browser.post("/ambil", data={"csrf": token, "service": "B"}, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == f"{first}?sudah=1"
        assert "sudah memiliki antrian aktif" in browser.get("/ambil").text
    assert web.model.queues["B"].waiting == 0


def test_unknown_and_malformed_services_are_refused(web: WebNode) -> None:
    with web.client() as browser:
        unknown = take(browser, "Z")
        assert unknown.status_code == 404 and "Layanan tidak dikenal" in unknown.text
        malformed = take(browser, "../../etc")
        assert malformed.status_code == 400
        missing = browser.post("/ambil", data={"csrf": csrf_of(browser.get("/ambil").text)})
        assert missing.status_code == 400


def test_forged_or_missing_csrf_token_is_refused(web: WebNode) -> None:
    with web.client() as browser:
        csrf_of(browser.get("/ambil").text)
        forged = browser.post("/ambil", data={"csrf": "forged", "service": "A"})
        assert forged.status_code == 403 and "Formulir kedaluwarsa" in forged.text
        assert browser.post("/ambil", data={"service": "A"}).status_code == 403
    with web.client() as other:  # a token from another session is no good either
        token = csrf_of(other.get("/ambil").text)
    with web.client() as browser:
        browser.get("/ambil")
        assert browser.post("/ambil", data={"csrf": token, "service": "A"}).status_code == 403
    assert web.model.queues["A"].waiting == 0


def test_rate_limit_per_address(make_web: WebFactory, hub: HubProcess) -> None:
    web = make_web(hub, rate=2)
    answers = []
    for _ in range(3):
        with web.client() as browser:  # a new browser each time: only the address is shared
            answers.append(take(browser, "B").status_code)
    assert answers == [303, 303, 429]


def test_closed_service_is_refused_with_a_clear_message(web: WebNode) -> None:
    with web.client() as admin:
        assert sign_in(admin).status_code == 303
        token = csrf_of(admin.get("/dasbor").text)
        closed = admin.post(
            "/dasbor/layanan/A", data={"csrf": token, "accepting": "0"}, follow_redirects=False
        )
        assert closed.status_code == 303
    wait_for(lambda: not web.model.service_open("A"))
    with web.client() as browser:
        assert "Tutup" in browser.get("/ambil").text
        refused = take(browser, "A")
        assert refused.status_code == 409 and "Kartu Keluarga sedang ditutup" in refused.text
        english = browser.post(
            "/ambil?lang=en", data={"csrf": csrf_of(browser.get("/ambil").text), "service": "A"}
        )
        assert "closed" in english.text


def test_office_closed_by_opening_hours(
    broker: Mosquitto, tmp_path: Any, make_web: WebFactory
) -> None:
    now = datetime.now(ZoneInfo("Asia/Jakarta"))
    # A one-minute window that is surely not now (opening hours are whole minutes).
    opens = (now + timedelta(hours=2)).replace(second=0)
    if opens.hour == 23:
        opens = opens.replace(hour=2)
    window = f'opens = "{opens:%H}:00"\ncloses = "{opens:%H}:30"'
    hub = HubProcess(broker, tmp_path / "hub-hours", service_a_extra=window)
    hub.start()
    try:
        web = make_web(hub)
        wait_for(lambda: not web.model.service_open("A"))
        with web.client() as browser:
            refused = take(browser, "A")
        # the hub's own words say when to come back
        assert refused.status_code == 409 and "hanya menerima antrian pukul" in refused.text
        assert web.model.queues["A"].waiting == 0
    finally:
        hub.stop()


def test_online_quota_used_up(broker: Mosquitto, tmp_path: Any, make_web: WebFactory) -> None:
    hub = HubProcess(broker, tmp_path / "hub-quota", service_a_extra="online_quota = 1")
    hub.start()
    try:
        web = make_web(hub)
        with web.client() as first:
            assert take(first, "A").status_code == 303
        with web.client() as second:
            refused = take(second, "A")
            assert refused.status_code == 409 and "Kuota" in refused.text
            english = take(second, "A", lang="en")  # the form field is ignored; use the query
            assert english.status_code == 409
            en = second.post(
                "/ambil?lang=en", data={"csrf": csrf_of(second.get("/ambil").text), "service": "A"}
            )
            assert "quota" in en.text
    finally:
        hub.stop()


def test_phone_number_required_and_one_ticket_per_phone(
    make_web: WebFactory, hub: HubProcess
) -> None:
    web = make_web(hub, requires="phone")
    with web.client() as browser:
        assert 'name="holder"' in browser.get("/ambil").text
        assert take(browser, "A").status_code == 400
        bad = take(browser, "A", holder="12345")
        assert bad.status_code == 400 and "Nomor HP tidak valid" in bad.text
        assert take(browser, "A", holder="0812-3456-7890").status_code == 303
    with web.client() as other_browser:  # same person, another browser, written differently
        again = take(other_browser, "A", holder="+62 812 3456 7890")
        assert again.status_code == 409 and "sudah memiliki antrian aktif" in again.text
        assert take(other_browser, "A", holder="081399998888").status_code == 303
    assert all("6281234567890" not in key for key in web.state.holds.held_keys())


def test_nik_required(make_web: WebFactory, hub: HubProcess) -> None:
    web = make_web(hub, requires="nik")
    with web.client() as browser:
        assert take(browser, "B", holder="1234").status_code == 400
        assert take(browser, "B", holder="3201 0123 4567 0001").status_code == 303


def test_cancel_by_the_holder_only(web: WebNode) -> None:
    with web.client() as browser:
        ticket_id = take(browser, "A").headers["location"].removeprefix("/t/")
        page = browser.get(f"/t/{ticket_id}").text
        with web.client() as stranger:
            stranger_page = stranger.get(f"/t/{ticket_id}").text
            assert "Batalkan antrian" not in stranger_page
            token = csrf_of(stranger.get("/masuk").text)  # a valid token of its own session
            refused = stranger.post(f"/t/{ticket_id}/batal", data={"csrf": token})
            assert refused.status_code == 403
        forged = browser.post(f"/t/{ticket_id}/batal", data={"csrf": "x"})
        assert forged.status_code == 403
        assert ticket_json(browser, ticket_id)["state"] == "waiting"
        done = browser.post(f"/t/{ticket_id}/batal", data={"csrf": csrf_of(page)})
        assert done.status_code == 200 and "Dibatalkan" in done.text
        assert ticket_json(browser, ticket_id)["state"] == "cancelled"
        assert take(browser, "A").status_code == 303  # free to take another one


def test_unknown_tickets(web: WebNode) -> None:
    with web.client() as browser:
        assert browser.get("/t/20261128-A-999").status_code == 404
        assert browser.get("/t/not-a-ticket").status_code == 404
        assert browser.get("/api/t/20261128-A-999").status_code == 404
        assert browser.get("/live/t/20261128-A-999").status_code == 404


def test_a_kiosk_ticket_opens_from_its_qr_code(web: WebNode, kiosk: Callable[[str], str]) -> None:
    ticket_id = kiosk("C")
    with web.client() as browser:
        page = browser.get(f"/t/{ticket_id}")
        assert page.status_code == 200 and "C-001" in page.text
        assert "Batalkan antrian" not in page.text  # only the browser that took it may cancel


def test_hub_down_gives_a_clear_message(web: WebNode, hub: HubProcess) -> None:
    web.state.desk.timeout = 1.5
    hub.kill()
    with web.client() as browser:
        refused = take(browser, "A")
    assert refused.status_code == 503 and "tidak menjawab" in refused.text


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_requires_sign_in(web: WebNode) -> None:
    with web.client() as browser:
        response = browser.get("/dasbor", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/masuk")
        assert browser.get("/api/dasbor").status_code == 403
        assert browser.get("/live/dasbor").status_code == 403
        assert browser.get("/dasbor/laporan", follow_redirects=False).status_code == 303
        token = csrf_of(browser.get("/masuk").text)
        assert browser.post("/dasbor/layanan/A", data={"csrf": token}).status_code == 403


def test_wrong_password_ten_times_locks_the_account(web: WebNode) -> None:
    with web.client() as browser:
        for _ in range(10):
            assert sign_in(browser, password="salah").status_code == 401
        locked = sign_in(browser)  # now even the right password is refused
        assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.text
        assert browser.get("/dasbor", follow_redirects=False).status_code == 303
    with web.client() as colleague:  # the other account, from the same address: also locked
        assert sign_in(colleague, user="staf").status_code == 429


def test_unknown_user_and_open_redirect(web: WebNode) -> None:
    with web.client() as browser:
        assert sign_in(browser, user="siapa").status_code == 401
        token = csrf_of(browser.get("/masuk").text)
        response = browser.post(
            "/masuk",
            data={"csrf": token, "user": "camat", "password": PASSWORD, "next": "//evil.example"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/dasbor"


def test_dashboard_shows_nodes_counters_and_queues(
    web: WebNode,
    broker: Mosquitto,
    kiosk: Callable[[str], str],
    counter: Callable[..., dict[str, Any]],
) -> None:
    kiosk("A")
    kiosk("B")
    counter("call_next")
    printer_kiosk = client(broker, "kiosk-2", "kiosk")
    printer_kiosk.set_status(printer="paper_low")
    wait_for(lambda: web.model.nodes.get("kiosk-2") and web.model.nodes["kiosk-2"].details)
    with web.client() as browser:
        assert sign_in(browser).status_code == 303
        page = browser.get("/dasbor").text
        for text in (
            "kiosk-1",
            "loket-1",
            "web-1",
            "hub",
            "kertas hampir habis",
            "A-001",
            "Loket 1",
        ):
            assert text in page
        view = browser.get("/api/dasbor").json()
        assert {n["id"]: n["online"] for n in view["nodes"]}["kiosk-2"] is True
        assert [c["ticket"] for c in view["counters"] if c["id"] == "1"] == ["A-001"]
        assert {s["id"]: s["next"] for s in view["services"]} == {"A": "-", "B": "B-001", "C": "-"}
        printer_kiosk.stop()
        wait_for(lambda: not web.model.nodes["kiosk-2"].online)
        view = browser.get("/api/dasbor").json()
        assert {n["id"]: n["online"] for n in view["nodes"]}["kiosk-2"] is False
        assert "Luring" in browser.get("/dasbor").text
        token = csrf_of(browser.get("/dasbor").text)
        copied = dict(browser.cookies)  # someone copies the signed-in cookie...
        signed_out = browser.post("/keluar", data={"csrf": token}, follow_redirects=False)
        assert signed_out.status_code == 303
        assert browser.get("/dasbor", follow_redirects=False).status_code == 303
    with web.client() as thief:  # ...and replays it after sign-out: no longer valid
        thief.cookies.update(copied)
        assert thief.get("/dasbor", follow_redirects=False).status_code == 303


def test_only_an_admin_opens_and_closes_services(web: WebNode) -> None:
    with web.client() as supervisor:
        assert sign_in(supervisor, user="staf").status_code == 303
        page = supervisor.get("/dasbor").text
        assert "Tutup layanan" not in page
        refused = supervisor.post(
            "/dasbor/layanan/A", data={"csrf": csrf_of(page), "accepting": "0"}
        )
        assert refused.status_code == 403
    assert web.model.service_open("A")
    with web.client() as admin:
        sign_in(admin)
        token = csrf_of(admin.get("/dasbor").text)
        assert admin.post("/dasbor/layanan/Z", data={"csrf": token}).status_code == 404
        admin.post("/dasbor/layanan/B", data={"csrf": token, "accepting": "0"})
        wait_for(lambda: not web.model.service_open("B"))
        admin.post("/dasbor/layanan/B", data={"csrf": token, "accepting": "1"})
        wait_for(lambda: web.model.service_open("B"))


def test_reports_pages_use_the_reports_package(
    web: WebNode, kiosk: Callable[[str], str], counter: Callable[..., dict[str, Any]]
) -> None:
    kiosk("A")
    counter("call_next")
    counter("start")
    counter("finish")
    today = web.state.today()
    with web.client() as browser:
        assert (
            browser.get(f"/dasbor/laporan/{today}.csv", follow_redirects=False).status_code == 303
        )
        sign_in(browser)
        page = browser.get("/dasbor/laporan")
        assert page.status_code == 200 and f"/dasbor/laporan/{today}.html" in page.text
        assert browser.get("/dasbor/laporan?hari=kemarin").status_code == 400
        assert browser.get(f"/dasbor/laporan/{today}.exe").status_code == 404
        html = browser.get(f"/dasbor/laporan/{today}.html")
        assert html.status_code == 200 and "Kartu Keluarga" in html.text
        assert html.headers["content-disposition"].startswith("inline")
        csv = browser.get(f"/dasbor/laporan/{today}.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"] and "Kartu Keluarga" in csv.text
        assert browser.get(f"/dasbor/laporan/{today}.xlsx").content[:2] == b"PK"
        assert browser.get(f"/dasbor/laporan/{today}.pdf").content[:5] == b"%PDF-"


def test_security_headers(web: WebNode) -> None:
    with web.client() as browser:
        page = browser.get("/")
        session = page.headers.get("set-cookie", "")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "httponly" in session.lower() and "samesite=lax" in session.lower()


def test_health_endpoint(web: WebNode) -> None:
    with web.client() as browser:
        assert browser.get("/healthz").json() == {"broker": True}


@pytest.mark.parametrize("path", ["/", "/ambil", "/masuk", "/t/20261128-A-001"])
def test_pages_carry_no_external_assets_and_switch_language(web: WebNode, path: str) -> None:
    with web.client() as browser:
        page = browser.get(path + "?lang=en")
        assert 'lang="en"' in page.text
        assert '<script src="/static/app.js"' in page.text
