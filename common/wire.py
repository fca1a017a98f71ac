"""The wire contract of MQTT-API.md, version 1: topics, messages and the codec.

Every topic is built here and nowhere else, and every inbound payload goes through
`decode_*` before any node looks at it. A payload that does not fit raises `WireError`
carrying the contract's error code and an Indonesian message for the person who sent it;
it never reaches the queue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, get_args

from common.skm import ELEMENTS, MAX_COMMENT, SCORES

API_VERSION: Final = 1
#: Largest payload a node accepts. A ticket or counter request is ~200 bytes; anything
#: near this size is a mistake or an attack, and is refused before JSON parsing.
MAX_PAYLOAD_BYTES: Final = 16 * 1024
ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
#: A transaction is a client's idempotency key; UUIDs and counters both fit.
TRANSACTION_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
#: Ticket ids look like "20261128-A-012": day, then the number.
TICKET_ID_PATTERN: Final = re.compile(r"^[0-9]{8}-[A-Za-z0-9]{1,8}-[0-9]{3,5}$")
NUMBER_PATTERN: Final = re.compile(r"^[A-Za-z0-9]{1,8}-[0-9]{3,5}$")
#: Deepest nesting of arrays and objects a node accepts. The contract's deepest message is
#: three levels; Python's parser gives up (RecursionError) somewhere under 1,000, depending
#: on the thread's stack, so the limit is checked before parsing.
MAX_NESTING: Final = 32
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET: Final = re.compile(r"[\[\]{}]")

CounterAction = Literal[
    "call_next", "recall", "start", "finish", "skip", "transfer", "call_ticket", "pause", "resume",
    "open", "close", "sign_in", "sign_out",
]  # fmt: skip
TicketAction = Literal["issue", "cancel"]
Verb = Literal["ticket", "counter", "admin", "survey"]
COUNTER_ACTIONS: Final[tuple[CounterAction, ...]] = get_args(CounterAction)
TICKET_ACTIONS: Final[tuple[TicketAction, ...]] = get_args(TicketAction)
VERBS: Final = get_args(Verb)
ADMIN_ACTIONS: Final = ("service_accepting",)

#: Error codes of the contract, each with the Indonesian message a citizen or officer
#: sees when no more precise one is given.
ERROR_MESSAGES: Final[dict[str, str]] = {
    "bad_request": "Permintaan tidak valid.",
    "forbidden": "Perangkat ini tidak diizinkan melakukan permintaan ini.",
    "unknown_service": "Layanan tidak dikenal.",
    "unknown_counter": "Loket tidak dikenal.",
    "unknown_ticket": "Nomor antrian tidak ditemukan.",
    "quota_exhausted": "Kuota antrian layanan ini untuk hari ini sudah habis.",
    "service_closed": "Layanan ini sedang tutup.",
    "queue_empty": "Tidak ada antrian yang menunggu.",
    "invalid_state": "Tindakan ini tidak dapat dilakukan sekarang.",
    "counter_closed": "Loket sedang tutup atau istirahat.",
    "internal_error": "Terjadi gangguan pada sistem. Silakan coba lagi.",
    "disk_full": "Penyimpanan server antrian penuh. Mohon hubungi petugas.",
    "timeout": "Server antrian tidak menjawab. Silakan coba lagi.",
    "rate_limited": "Terlalu banyak permintaan saat ini. Tunggu sebentar, lalu coba lagi.",
    "wrong_pin": "Kode petugas atau PIN salah.",
    "pin_locked": "Terlalu banyak PIN salah. Tunggu beberapa menit, lalu coba lagi.",
}
#: An officer's code (typed on the counter's keypad) and PIN.
OFFICER_PATTERN: Final = re.compile(r"^[0-9]{1,8}$")
PIN_PATTERN: Final = re.compile(r"^[0-9]{4,8}$")


class WireError(Exception):
    """A payload that breaks the contract, with the error code to answer it with."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or ERROR_MESSAGES.get(code, ERROR_MESSAGES["bad_request"])
        super().__init__(f"{code}: {self.message}")


# --- topics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topics:
    """Every topic of one office, built in one place."""

    office: str = "kantor"

    @property
    def base(self) -> str:
        return f"antrian/{self.office}"

    @property
    def everything(self) -> str:
        """Filter for every topic of the office (the hub's broker account)."""
        return f"{self.base}/#"

    @property
    def config(self) -> str:
        return f"{self.base}/config"

    @property
    def state_queue(self) -> str:
        return f"{self.base}/state/queue"

    def state_counter(self, counter: str) -> str:
        return f"{self.base}/state/counter/{counter}"

    @property
    def state_counters(self) -> str:
        """Filter for every counter's state."""
        return f"{self.base}/state/counter/+"

    @property
    def states(self) -> str:
        return f"{self.base}/state/#"

    @property
    def state_calls(self) -> str:
        return f"{self.base}/state/calls"

    @property
    def event_call(self) -> str:
        return f"{self.base}/event/call"

    @property
    def event_ticket(self) -> str:
        return f"{self.base}/event/ticket"

    @property
    def events(self) -> str:
        return f"{self.base}/event/#"

    def node_all(self, node: str) -> str:
        """Filter for one node's requests, responses and status."""
        return f"{self.base}/node/{node}/#"

    def node_status(self, node: str) -> str:
        return f"{self.base}/node/{node}/status"

    @property
    def node_statuses(self) -> str:
        return f"{self.base}/node/+/status"

    def node_update(self, node: str) -> str:
        """A node's update agent's retained report (nodes/update/agent.py)."""
        return f"{self.base}/node/{node}/update"

    @property
    def node_updates(self) -> str:
        return f"{self.base}/node/+/update"

    def command(self, node: str, verb: str) -> str:
        """A command from the hub to one node: only the hub's account may publish it, the
        node may only read its own (the ACL). Today only `update`."""
        return f"{self.base}/command/{node}/{verb}"

    def commands(self, node: str) -> str:
        return f"{self.base}/command/{node}/#"

    @property
    def state_update(self) -> str:
        """The office rollout's progress (nodes/update/rollout.py), retained."""
        return f"{self.base}/state/update"

    def request(self, node: str, verb: str) -> str:
        return f"{self.base}/node/{node}/request/{verb}"

    @property
    def requests(self) -> str:
        """What the hub subscribes to: every node's every request."""
        return f"{self.base}/node/+/request/+"

    def response(self, node: str, verb: str) -> str:
        return f"{self.base}/node/{node}/response/{verb}"

    def is_own_response(self, node: str, topic: str) -> bool:
        """True if `topic` is a topic the hub may answer `node` on: inside the node's own
        `node/{node}/response/` subtree, with no wildcard. A request's MQTT 5 Response Topic
        is the sender's to choose; without this check a node could make the hub publish,
        with the hub's rights, on any topic of the office (state, another node's requests).
        """
        prefix = f"{self.base}/node/{node}/response/"
        rest = topic[len(prefix) :]
        return (
            topic.startswith(prefix)
            and rest != ""
            and "" not in rest.split("/")
            and not any(c in rest for c in "+#\0")
        )

    def parse_request(self, topic: str) -> tuple[str, str]:
        """(node, verb) of a request topic; WireError if it is not one."""
        prefix = f"{self.base}/node/"
        if not topic.startswith(prefix):
            raise WireError("bad_request", "Topik permintaan tidak dikenal.")
        parts = topic[len(prefix) :].split("/")
        if len(parts) != 3 or parts[1] != "request" or not ID_PATTERN.match(parts[0]):
            raise WireError("bad_request", "Topik permintaan tidak dikenal.")
        if parts[2] not in VERBS:
            raise WireError("bad_request", "Jenis permintaan tidak dikenal.")
        return parts[0], parts[2]

    def parse_counter_state(self, topic: str) -> str | None:
        """The counter id of a `state/counter/{id}` topic, else None."""
        prefix = f"{self.base}/state/counter/"
        if topic.startswith(prefix) and ID_PATTERN.match(topic[len(prefix) :]):
            return topic[len(prefix) :]
        return None

    def parse_node_status(self, topic: str) -> str | None:
        """The node id of a `node/{id}/status` topic, else None."""
        prefix = f"{self.base}/node/"
        rest = topic[len(prefix) :].split("/") if topic.startswith(prefix) else []
        if len(rest) == 2 and rest[1] == "status" and ID_PATTERN.match(rest[0]):
            return rest[0]
        return None


# --- requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRequest:
    """`request/ticket`: take a number, or (kiosk, after a failed print) cancel one."""

    service: str
    transaction: str | None = None
    priority: bool = False
    action: TicketAction = "issue"
    ticket_id: str | None = None  # for "cancel"
    reason: str | None = None  # for "cancel"
    online: bool = False  # taken from a phone: counts against the service's online quota

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"service": self.service, "priority": self.priority}
        if self.online:
            payload["online"] = True
        if self.transaction is not None:
            payload["transaction"] = self.transaction
        if self.action != "issue":
            payload["action"] = self.action
            payload["ticket_id"] = self.ticket_id
            if self.reason:
                payload["reason"] = self.reason
        return payload


@dataclass(frozen=True)
class CounterRequest:
    """`request/counter`: an officer's command to one counter."""

    counter: str
    action: CounterAction
    transaction: str | None = None
    ticket: str | None = None  # a ticket number ("A-012") or id, for call_ticket
    service: str | None = None  # the target service, for transfer
    officer: str | None = None  # sign_in: the officer's code
    pin: str | None = field(default=None, repr=False)  # sign_in: never in a log line

    def to_payload(self) -> dict[str, Any]:
        return _given(self)


@dataclass(frozen=True)
class AdminRequest:
    """`request/admin`: the office dashboard opens or closes a service for new tickets."""

    action: Literal["service_accepting"]
    service: str
    accepting: bool
    transaction: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return _given(self)


@dataclass(frozen=True)
class SurveyRequest:
    """`request/survey`: a citizen rates a finished ticket. From the web: the nine SKM
    `answers` (U1..U9, each 1..4) and an optional `comment`; from a counter: one `score`."""

    ticket_id: str
    transaction: str | None = None
    answers: dict[str, int] | None = None
    comment: str | None = None
    score: int | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"ticket_id": self.ticket_id}
        if self.answers is not None:
            payload["answers"] = dict(self.answers)
            if self.comment:
                payload["comment"] = self.comment
        if self.score is not None:
            payload["score"] = self.score
        if self.transaction is not None:
            payload["transaction"] = self.transaction
        return payload


Request = TicketRequest | CounterRequest | AdminRequest | SurveyRequest


def _given(request: CounterRequest | AdminRequest) -> dict[str, Any]:
    """The request's fields in declaration order, those not given (None) left out."""
    return {key: value for key, value in vars(request).items() if value is not None}


# --- codec ------------------------------------------------------------------------------


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the one encoding on the wire."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_object(raw: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> dict[str, Any]:
    """Parse a payload that must be a JSON object of bounded size."""
    if len(raw) > max_bytes:
        raise WireError("bad_request", "Pesan terlalu besar.")
    try:
        text = raw.decode("utf-8")
        if _nesting(text) > MAX_NESTING:
            raise WireError("bad_request", "Pesan terlalu dalam bersarang.")
        value = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WireError("bad_request", "Pesan bukan JSON yang valid.") from None
    if not isinstance(value, dict):
        raise WireError("bad_request", "Pesan harus berupa objek JSON.")
    return value


def _nesting(text: str) -> int:
    """How deep arrays and objects nest in `text` (brackets inside strings do not count).
    Cheap for the contract's messages: only a text with many brackets is walked."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _id(payload: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = payload.get(key)
    if value is None:
        if required:
            raise WireError("bad_request", f"Kolom '{key}' wajib diisi.")
        return None
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise WireError("bad_request", f"Kolom '{key}' tidak valid.")
    return value


def _transaction(payload: dict[str, Any]) -> str | None:
    value = payload.get("transaction")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not TRANSACTION_PATTERN.match(value):
        raise WireError("bad_request", "Kolom 'transaction' tidak valid.")
    return value


def transaction_of(raw: bytes) -> str | None:
    """Best-effort transaction of a payload we could not decode, to echo in the error."""
    try:
        payload = decode_object(raw)
        return _transaction(payload)
    except WireError:
        return None


def decode_ticket_request(raw: bytes) -> TicketRequest:
    payload = decode_object(raw)
    transaction = _transaction(payload)
    action = payload.get("action", "issue")
    if action not in TICKET_ACTIONS:
        raise WireError("bad_request", "Kolom 'action' tidak valid.")
    priority = payload.get("priority", False)
    if not isinstance(priority, bool):
        raise WireError("bad_request", "Kolom 'priority' harus true atau false.")
    if action == "cancel":
        ticket_id = payload.get("ticket_id")
        if not isinstance(ticket_id, str) or not TICKET_ID_PATTERN.match(ticket_id):
            raise WireError("bad_request", "Kolom 'ticket_id' tidak valid.")
        reason = payload.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 200:
            raise WireError("bad_request", "Kolom 'reason' tidak valid.")
        service_id = _id(payload, "service", required=False) or ticket_id.split("-")[1]
        return TicketRequest(
            service=service_id,
            transaction=transaction,
            action="cancel",
            ticket_id=ticket_id,
            reason=reason or None,
        )
    online = payload.get("online", False)
    if not isinstance(online, bool):
        raise WireError("bad_request", "Kolom 'online' harus true atau false.")
    service = _id(payload, "service", required=True)
    assert service is not None
    return TicketRequest(service=service, transaction=transaction, priority=priority, online=online)


def decode_counter_request(raw: bytes) -> CounterRequest:
    payload = decode_object(raw)
    transaction = _transaction(payload)
    counter = _id(payload, "counter", required=True)
    assert counter is not None
    action = payload.get("action")
    if action not in COUNTER_ACTIONS:
        raise WireError("bad_request", "Kolom 'action' tidak valid.")
    ticket = payload.get("ticket")
    if action == "call_ticket":
        if not isinstance(ticket, str) or not (
            NUMBER_PATTERN.match(ticket) or TICKET_ID_PATTERN.match(ticket)
        ):
            raise WireError("bad_request", "Kolom 'ticket' tidak valid.")
    else:
        ticket = None
    service = _id(payload, "service", required=action == "transfer")
    officer = pin = None
    if action == "sign_in":
        officer, pin = payload.get("officer"), payload.get("pin")
        if not isinstance(officer, str) or not OFFICER_PATTERN.match(officer):
            raise WireError("bad_request", "Kolom 'officer' harus kode petugas (1-8 angka).")
        if not isinstance(pin, str) or not PIN_PATTERN.match(pin):
            raise WireError("bad_request", "Kolom 'pin' harus 4-8 angka.")
    return CounterRequest(
        counter=counter,
        action=action,
        transaction=transaction,
        ticket=ticket,
        service=service if action == "transfer" else None,
        officer=officer,
        pin=pin,
    )


def decode_admin_request(raw: bytes) -> AdminRequest:
    payload = decode_object(raw)
    transaction = _transaction(payload)
    if payload.get("action") not in ADMIN_ACTIONS:
        raise WireError("bad_request", "Kolom 'action' tidak valid.")
    service = _id(payload, "service", required=True)
    assert service is not None
    accepting = payload.get("accepting")
    if not isinstance(accepting, bool):
        raise WireError("bad_request", "Kolom 'accepting' harus true atau false.")
    return AdminRequest("service_accepting", service, accepting, transaction)


def _score(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in SCORES:
        raise WireError("bad_request", f"Nilai '{name}' harus 1, 2, 3 atau 4.")
    return value


def decode_survey_request(raw: bytes) -> SurveyRequest:
    payload = decode_object(raw)
    transaction = _transaction(payload)
    ticket_id = payload.get("ticket_id")
    if not isinstance(ticket_id, str) or not TICKET_ID_PATTERN.match(ticket_id):
        raise WireError("bad_request", "Kolom 'ticket_id' tidak valid.")
    answers, score = payload.get("answers"), payload.get("score")
    if (answers is None) == (score is None):
        raise WireError("bad_request", "Kirim 'answers' (survei lengkap) atau 'score', salah satu.")
    if score is not None:
        return SurveyRequest(ticket_id, transaction, score=_score(score, "score"))
    if not isinstance(answers, dict) or set(answers) != set(ELEMENTS):
        raise WireError("bad_request", "Kolom 'answers' harus berisi U1 sampai U9.")
    comment = payload.get("comment", "")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise WireError("bad_request", f"Saran paling banyak {MAX_COMMENT} huruf.")
    checked = {key: _score(answers[key], key) for key in ELEMENTS}
    return SurveyRequest(ticket_id, transaction, checked, comment.strip() or None)


def decode_request(verb: str, raw: bytes) -> Request:
    if verb == "ticket":
        return decode_ticket_request(raw)
    if verb == "counter":
        return decode_counter_request(raw)
    if verb == "admin":
        return decode_admin_request(raw)
    if verb == "survey":
        return decode_survey_request(raw)
    raise WireError("bad_request", "Jenis permintaan tidak dikenal.")


# --- responses --------------------------------------------------------------------------


def ok_response(transaction: str | None, data: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "transaction": transaction, "data": data}


def error_response(
    transaction: str | None, code: str, message: str | None = None
) -> dict[str, Any]:
    return {
        "status": "error",
        "transaction": transaction,
        "error": {"code": code, "message": message or ERROR_MESSAGES.get(code, code)},
    }


@dataclass(frozen=True)
class Response:
    """A decoded response, as a requesting node sees it."""

    status: Literal["ok", "error"]
    transaction: str | None
    data: dict[str, Any]
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def decode_response(raw: bytes) -> Response:
    payload = decode_object(raw)
    status = payload.get("status")
    transaction = payload.get("transaction")
    if not isinstance(transaction, str | None):
        transaction = str(transaction)
    if status == "ok":
        data = payload.get("data")
        if not isinstance(data, dict):
            raise WireError("bad_request", "Jawaban tanpa data.")
        return Response("ok", transaction, data)
    if status == "error":
        error = payload.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise WireError("bad_request", "Jawaban galat tidak valid.")
        message = error.get("message")
        return Response(
            "error",
            transaction,
            {},
            error_code=error["code"],
            error_message=message if isinstance(message, str) else None,
        )
    raise WireError("bad_request", "Status jawaban tidak valid.")


# --- times ------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """ISO 8601 with offset and whole seconds, as the contract writes times."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime on the wire")
    return moment.isoformat(timespec="seconds")


def parse_iso(text: Any) -> datetime | None:
    """A contract time back to an aware datetime; None if absent or malformed."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
