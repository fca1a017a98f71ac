"""Server-sent events over real HTTP (uvicorn): updates arrive when the hub changes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx

from tests.harness import wait_for
from tests.web.conftest import WebNode, csrf_of


def updates(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The JSON of each `update` event of a stream."""
    event = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "update":
            yield json.loads(line.removeprefix("data: "))


def next_matching(
    stream: Iterator[dict[str, Any]],
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = 5.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    for view in stream:
        if predicate(view):
            return view
        assert time.monotonic() < deadline, "no matching update in time"
    raise AssertionError("stream ended")


def test_ticket_stream_follows_the_position(
    web: WebNode, kiosk: Callable[[str], str], counter: Callable[..., dict[str, Any]]
) -> None:
    kiosk("A")
    url = web.serve()
    with httpx.Client(base_url=url, timeout=10, follow_redirects=True) as browser:
        token = csrf_of(browser.get("/ambil").text)
        taken = browser.post("/ambil", data={"csrf": token, "service": "A"})
        ticket_id = str(taken.url).rsplit("/", 1)[1]
        with browser.stream("GET", f"/live/t/{ticket_id}") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = updates(response)
            first = next(stream)
            assert (first["number"], first["ahead"]) == ("A-002", 1)
            started = time.monotonic()
            counter("call_next")
            moved = next_matching(stream, lambda v: v["ahead"] == 0)
            assert time.monotonic() - started < 2.0
            assert moved["near"] is True and moved["estimate_text"] == "Segera dilayani"
            counter("finish")
            counter("call_next")
            called = next_matching(stream, lambda v: v["state"] == "called")
            assert called["counter_name"] == "Loket 1"


def test_board_stream_shows_calls(
    web: WebNode, kiosk: Callable[[str], str], counter: Callable[..., dict[str, Any]]
) -> None:
    kiosk("B")
    # The kiosk's answer can overtake the retained queue state on its way to the web node.
    # A page opened now shows what the node knows now; wait until it knows the ticket.
    wait_for(lambda: web.model.queues.get("B", None) and web.model.queues["B"].waiting == 1)
    url = web.serve()
    with (
        httpx.Client(base_url=url, timeout=10, follow_redirects=True) as browser,
        browser.stream("GET", "/live/papan?lang=en") as response,
    ):
        stream = updates(response)
        first = next(stream)
        assert {s["id"]: s["waiting"] for s in first["services"]}["B"] == 1
        counter("call_next")
        view = next_matching(stream, lambda v: bool(v["calls"]))
        assert view["calls"][0]["number"] == "B-001"
        assert view["calls"][0]["counter_name"] == "Loket 1"


def test_dashboard_stream_needs_a_session_and_reports_nodes(web: WebNode) -> None:
    url = web.serve()
    with httpx.Client(base_url=url, timeout=10, follow_redirects=True) as browser:
        assert browser.get("/live/dasbor").status_code == 403
        token = csrf_of(browser.get("/masuk").text)
        browser.post("/masuk", data={"csrf": token, "user": "camat", "password": "rahasia-kantor"})
        with browser.stream("GET", "/live/dasbor") as response:
            # its own retained status may reach the node a moment after the page opens
            view = next_matching(
                updates(response), lambda v: "web-1" in {n["id"] for n in v["nodes"]}
            )
    assert "web-1" in {n["id"] for n in view["nodes"]}
