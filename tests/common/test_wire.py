"""The codec: every malformed payload becomes a precise WireError, never an exception."""

from __future__ import annotations

import json

import pytest

from common.wire import (
    MAX_PAYLOAD_BYTES,
    AdminRequest,
    CounterRequest,
    TicketRequest,
    Topics,
    WireError,
    decode_counter_request,
    decode_request,
    decode_response,
    decode_ticket_request,
    encode,
    error_response,
    ok_response,
    transaction_of,
)

T = Topics("kantor")


def test_topics_are_built_in_one_place() -> None:
    assert T.request("kiosk-1", "ticket") == "antrian/kantor/node/kiosk-1/request/ticket"
    assert T.response("loket-1", "counter") == "antrian/kantor/node/loket-1/response/counter"
    assert T.requests == "antrian/kantor/node/+/request/+"
    assert T.state_counter("3") == "antrian/kantor/state/counter/3"
    assert T.parse_request("antrian/kantor/node/kiosk-1/request/ticket") == ("kiosk-1", "ticket")
    assert T.parse_counter_state("antrian/kantor/state/counter/3") == "3"
    assert T.parse_node_status("antrian/kantor/node/kiosk-1/status") == "kiosk-1"


@pytest.mark.parametrize(
    "topic",
    [
        "antrian/other/node/kiosk-1/request/ticket",
        "antrian/kantor/node/kiosk-1/request/pizza",
        "antrian/kantor/node/kiosk 1/request/ticket",
        "antrian/kantor/node/kiosk-1/response/ticket",
    ],
)
def test_foreign_topics_are_not_requests(topic: str) -> None:
    with pytest.raises(WireError):
        T.parse_request(topic)


def test_requests_round_trip() -> None:
    ticket = TicketRequest("A", "t-1", priority=True)
    assert decode_ticket_request(encode(ticket.to_payload())) == ticket
    online = TicketRequest("B", "t-2", online=True)
    assert decode_ticket_request(encode(online.to_payload())) == online
    cancel = TicketRequest("A", "t-3", action="cancel", ticket_id="20261128-A-001", reason="x")
    assert decode_ticket_request(encode(cancel.to_payload())) == cancel
    counter = CounterRequest("1", "call_ticket", "t-4", ticket="A-012")
    assert decode_counter_request(encode(counter.to_payload())) == counter
    transfer = CounterRequest("1", "transfer", "t-5", service="B")
    assert decode_counter_request(encode(transfer.to_payload())) == transfer
    admin = AdminRequest("service_accepting", "A", False, "t-6")
    assert decode_request("admin", encode(admin.to_payload())) == admin


MALFORMED: list[tuple[str, bytes]] = [
    ("ticket", b"not json"),
    ("ticket", b"\xff\xfe"),
    ("ticket", b"[1, 2]"),
    ("ticket", b'"A"'),
    ("ticket", b"{}"),
    ("ticket", b'{"service": 5}'),
    ("ticket", b'{"service": "A B"}'),
    ("ticket", b'{"service": "A", "priority": "yes"}'),
    ("ticket", b'{"service": "A", "transaction": {"x": 1}}'),
    ("ticket", b'{"action": "cancel", "ticket_id": "nope"}'),
    ("ticket", b'{"service": "A", "action": "steal"}'),
    ("counter", b'{"action": "call_next"}'),
    ("counter", b'{"counter": "1"}'),
    ("counter", b'{"counter": "1", "action": "dance"}'),
    ("counter", b'{"counter": "1", "action": "transfer"}'),
    ("counter", b'{"counter": "1", "action": "call_ticket", "ticket": 12}'),
    ("counter", b'{"counter": ["1"], "action": "call_next"}'),
    ("admin", b'{"action": "service_accepting", "service": "A"}'),
    ("pizza", b'{"service": "A"}'),
]


@pytest.mark.parametrize(("verb", "raw"), MALFORMED)
def test_malformed_payloads_are_bad_requests(verb: str, raw: bytes) -> None:
    with pytest.raises(WireError) as caught:
        decode_request(verb, raw)
    assert caught.value.code == "bad_request"
    assert caught.value.message  # Indonesian text for whoever sent it


def test_oversize_payload_is_refused_before_parsing() -> None:
    raw = json.dumps({"service": "A", "pad": "x" * MAX_PAYLOAD_BYTES}).encode()
    with pytest.raises(WireError, match="terlalu besar"):
        decode_ticket_request(raw)


def test_transaction_is_recovered_for_error_answers() -> None:
    assert transaction_of(b'{"transaction": "abc", "service": 1}') == "abc"
    assert transaction_of(b"garbage") is None


def test_responses_decode() -> None:
    ok = decode_response(encode(ok_response("t", {"number": "A-001"})))
    assert ok.ok and ok.data == {"number": "A-001"}
    err = decode_response(encode(error_response("t", "queue_empty")))
    assert not err.ok and err.error_code == "queue_empty"
    assert err.error_message == "Tidak ada antrian yang menunggu."
