"""The per-officer report is the head of office's: `[[web.users]] role = "head"` sees it in
the dashboard's day report, an admin or a supervisor does not (real hub, broker, web)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nodes.hub.web.config import load
from tests.harness import HubProcess, Mosquitto, free_port
from tests.web.conftest import WEB_TOML, WebNode
from tests.web.test_pages import sign_in

#: The test web file with one more user: the head of office.
HEAD_USER = '[[web.users]]\nname = "kepala"\nrole = "head"\npassword_hash = "{hash}"\n'


@pytest.fixture
def web_with_head(
    broker: Mosquitto, hub: HubProcess, tmp_path: Path, password_hash: str
) -> Iterator[WebNode]:
    port = free_port()
    text = WEB_TOML.replace("[hub]\n", HEAD_USER + "[hub]\n").format(
        broker_port=broker.port, port=port, requires="none", rate=30, near=2,
        hash=password_hash, db=hub.db_path,
    )  # fmt: skip
    path = tmp_path / "web.toml"
    path.write_text(text)
    node = WebNode(load(path))
    node.start()
    try:
        yield node
    finally:
        node.stop()


def test_only_the_head_of_office_gets_the_officers_table(
    web_with_head: WebNode,
    kiosk: Callable[[str], str],
    counter: Callable[..., dict[str, Any]],
) -> None:
    web = web_with_head
    assert counter("sign_in", officer="1", pin="1234")["officer_name"] == "Siti Aminah"
    kiosk("A")
    counter("call_next")
    counter("finish")
    today = web.state.today()
    url = f"/dasbor/laporan/{today}.csv"
    seen = {}
    for user in ("kepala", "camat", "staf"):
        with web.client() as browser:
            sign_in(browser, user=user)
            seen[user] = browser.get(url).content.decode("utf-8-sig")
    assert "Per petugas" in seen["kepala"] and "Siti Aminah,1," in seen["kepala"]
    assert "Per petugas" not in seen["camat"] and "Siti Aminah" not in seen["staf"]
    # The head may do what an admin may: open and close services.
    with web.client() as head:
        sign_in(head, user="kepala")
        assert head.get("/dasbor/layanan/A?terima=0").status_code == 200
