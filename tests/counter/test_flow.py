"""The desk's rules when the hub does not answer: presses are refused visibly, never sent late.

A real mosquitto, no hub: what the counter puts on the wire is read back from the broker.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from nodes.counter.flow import MAX_QUEUED
from tests.counter.conftest import Desk
from tests.counter.test_keys import CONFIG
from tests.harness import Collector, Mosquitto, client


def test_no_hub_presses_are_refused_visibly_and_never_sent_late(
    broker: Mosquitto, make_desk: Callable[..., Desk]
) -> None:
    watcher = client(broker, "watcher", "test")
    requests = Collector(watcher, "antrian/kantor/node/loket-1/request/counter")
    desk = make_desk(broker, "loket-1", "1", request_timeout=3.0).connect()
    desk.desk.on_config(CONFIG)
    try:
        for _ in range(MAX_QUEUED + 3):  # an impatient officer on a dead hub
            desk.desk.press_key("call_next")
        desk.screen.wait_line("Tunggu sebentar")  # the queue is full: refused, visibly
        assert desk.desk.wait_idle(5)
        desk.screen.wait_line("Server tak jawab")
        # Only the first press went out (retries of one request share its transaction);
        # the ones queued behind it were refused when it timed out.
        transactions = {json.loads(m.payload)["transaction"] for m in requests.messages}
        assert len(transactions) == 1, transactions
        # The broker is up but no hub has said anything.
        assert desk.screen.last == "LOKET 1 | MEMUAT | Server tak jawab"
    finally:
        watcher.stop()


def test_digits_and_prompts_answer_while_a_request_is_pending(
    broker: Mosquitto, make_desk: Callable[..., Desk]
) -> None:
    desk = make_desk(broker, "loket-1", "1", request_timeout=2.0).connect()
    desk.desk.on_config(CONFIG)
    desk.desk.press_key("call_next")  # waits for a hub that is not there
    desk.desk.press_key("transfer")
    desk.screen.wait_line("ALIHKAN KE: 1=A 2=B 3=C", timeout=1.0)
    desk.screen.wait_line("mengirim...", timeout=1.0)  # the slow request is visible too
    assert not desk.desk.idle()
