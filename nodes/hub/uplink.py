"""The office's uplink to the region: the hub's event log, sent in order to the regional
MQTT broker, resent from the region's end-to-end acknowledgement after any outage.

The contract (docs/config.md, `[region]`; the region's side is `antrian region`), topic
base B, office id = this office's account on the regional broker:

    B/office/OFFICE/events  hub -> region  {"v": 1, "after": A, "events": [E, ...]}
    B/office/OFFICE/ack     region -> hub  {"v": 1, "seq": S}      retained
    B/office/OFFICE/rewind  hub -> region  {"v": 1, "seq": L}      after `antrian restore`
    B/office/OFFICE/state   hub -> region  live snapshot           retained, <= 1 per 5 s
    B/office/OFFICE/status  hub -> region  {"v": 1, "online": b}   retained, Will: false

The uplink is its own thread with its own paho client, reading the log through its own
read-only connection (`EventLog.since`): it never takes the hub's lock, and the office
works exactly as before while the region is unreachable (for days, in a village). The
rules of the window (`Window`) are pure and take a clock; this module's `Uplink` is the
shell around them.

After `antrian restore` (a rewind marker for seq L, nodes/hub/rewind.py) the uplink first
asks the region to set aside this office's events after L, which the restored log will
reuse, and sends nothing until an ack carrying `"rewound": L` says it has; then it sends
from that ack.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sqlite3
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho

from common import config
from common.repeats import RepeatedWarning
from common.wire import ID_PATTERN
from nodes.hub import rewind
from nodes.hub.eventlog import EventLog
from nodes.hub.failures import FailureStreak

log = logging.getLogger("antrian.hub.uplink")

#: Batches sent beyond the acknowledged seq at most (the window), and events per batch.
WINDOW = 8
BATCH_EVENTS = 500
#: A batch is cut before it grows past this (the region refuses payloads above 1 MiB).
BATCH_BYTES = 512 * 1024
#: Without the acknowledged seq advancing this long, everything above it is sent again.
RESEND_AFTER_S = 30.0
#: How long after subscribing to the ack the uplink waits for the retained one before it
#: takes "nothing acknowledged yet" (0) and starts from the beginning of the log.
ACK_GRACE_S = 3.0
#: The live snapshot is published at most this often (and only when it changed).
STATE_EVERY_S = 5.0
#: The log is looked at this often even without a nudge from the hub's commits.
POLL_S = 1.0
DEFAULT_BASE = "antrian-region"


@dataclass(frozen=True)
class RegionSettings:
    """The hub's `[region]` table."""

    host: str
    port: int
    office: str
    username: str
    password: str
    base: str = DEFAULT_BASE
    tls: bool = False
    ca_file: Path | None = None  # None with tls: the system's CAs (a public certificate)
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive: int = 30

    def topic(self, leaf: str) -> str:
        return f"{self.base}/office/{self.office}/{leaf}"


def read_region(root: config.Table) -> RegionSettings | None:
    """`[region]`, or None without one (no uplink: the office alone, as before)."""
    if "region" not in root:
        root.ignore("region")
        return None
    table = root.table("region")
    host = table.str("host")
    username = table.str("username")
    if not ID_PATTERN.match(username):
        raise table.error("username", f"must be 1-32 letters, digits, '_' or '-', not {username!r}")
    office = table.id("office", username)
    if office != username:
        # The regional broker's ACL confines an account to B/office/<its username>/...
        raise table.error("office", f"must be the account's username {username!r}")
    password = _password(table)
    files = {name: table.filepath(name, None) for name in ("ca_file", "cert_file", "key_file")}
    for name, path in files.items():
        if path is not None and not path.is_file():
            raise table.error(name, f"{path} is not a file")
    if (files["cert_file"] is None) != (files["key_file"] is None):
        raise table.error("key_file", "cert_file and key_file must be given together")
    tls = table.bool("tls", files["ca_file"] is not None or files["cert_file"] is not None)
    if not tls and any(files.values()):
        raise table.error("tls", "must be true with ca_file, cert_file or key_file")
    if tls:
        _check_tls(table, **files)
    port = table.int("port", 8883 if tls else 1883, min=1, max=65535)
    base = table.str("base", DEFAULT_BASE)
    if any(c in base for c in "+#") or base.startswith("/") or base.endswith("/"):
        raise table.error("base", f"must be a topic prefix without + # or outer '/', not {base!r}")
    keepalive = table.int("keepalive", 30, min=5, max=600)
    table.finish()
    return RegionSettings(host, port, office, username, password, base, tls,
                          keepalive=keepalive, **files)  # fmt: skip


def _check_tls(
    table: config.Table, ca_file: Path | None, cert_file: Path | None, key_file: Path | None
) -> None:
    """Load the TLS files as the connection will, so a wrong file stops the start naming
    its key rather than failing at every reconnect."""
    context = ssl.create_default_context()
    try:
        if ca_file is not None:
            context.load_verify_locations(cafile=str(ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise table.error("ca_file", f"{ca_file} is not a CA certificate (PEM): {exc}") from None
    if cert_file is not None:
        asked: list[bool] = []

        def no_passphrase() -> bytes:
            # Without this OpenSSL would prompt for it on the terminal, and the hub wait there.
            asked.append(True)
            return b""

        try:
            context.load_cert_chain(str(cert_file), str(key_file), password=no_passphrase)
        except (ssl.SSLError, OSError) as exc:
            if not asked:
                problem = f"{cert_file} and {key_file} are not a certificate and its key: {exc}"
                raise table.error("cert_file", problem) from None
        if asked:
            raise table.error(
                "key_file",
                f"{key_file} is protected by a passphrase, and the hub starts unattended:"
                " give it the key without one (openssl pkey -in KEY -out PLAIN_KEY)",
            )


def _password(table: config.Table) -> str:
    if "password" in table and "password_file" in table:
        raise table.error("password_file", "give password or password_file, not both")
    if "password_file" not in table:
        table.ignore("password_file")
        return str(table.str("password"))
    path: Path = table.filepath("password_file")
    table.ignore("password")
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise table.error("password_file", f"cannot read {path} ({exc.strerror})") from None
    if not text:
        raise table.error("password_file", f"{path} is empty")
    return text


# --- the window: pure rules ------------------------------------------------------------


@dataclass
class Window:
    """What has been sent and acknowledged on the current connection.

    `acked` is None until the region's acknowledgement is known (on connect: the retained
    ack, or 0 after ACK_GRACE_S without one). `after` is the seq of the last event sent (the
    next batch's `after`), `cursor` the last seq read from the log (past rows left out).
    """

    acked: int | None = None
    after: int = 0
    cursor: int = 0
    in_flight: deque[int] = field(default_factory=deque)  # each unacked batch's last seq
    progress_at: float = 0.0

    def restart(self, acked: int, now: float) -> None:
        """Send again from `acked` (a new connection, or no progress for too long)."""
        self.acked = self.after = self.cursor = acked
        self.in_flight.clear()
        self.progress_at = now

    def ack(self, seq: int, now: float) -> bool:
        """The region acknowledged `seq`; True if that moved anything. An ack below the
        known one (acks of several region instances may cross) is ignored: a region that
        really went back is followed on the next connection, when its retained ack is read."""
        if self.acked is None:
            self.restart(seq, now)
            return True
        if seq <= self.acked:
            return False
        self.acked = seq
        self.progress_at = now
        while self.in_flight and self.in_flight[0] <= seq:
            self.in_flight.popleft()
        if seq > self.after:  # stored by someone before us (an earlier life of this hub)
            self.after = self.cursor = seq
            self.in_flight.clear()
        return True

    @property
    def room(self) -> bool:
        return self.acked is not None and len(self.in_flight) < WINDOW

    def sent(self, last: int | None, cursor: int, now: float) -> None:
        """A batch ending at `last` went out (None: the rows read were all left out)."""
        self.cursor = cursor
        if last is None:
            return
        if not self.in_flight:
            self.progress_at = now  # the wait for an ack starts with the first batch out
        self.in_flight.append(last)
        self.after = last

    def stalled(self, now: float) -> bool:
        return bool(self.in_flight) and now - self.progress_at >= RESEND_AFTER_S


def batches(after: int, events: list[dict[str, Any]]) -> list[tuple[int, bytes]]:
    """`events` (seq increasing, all above `after`) as batch payloads of at most
    BATCH_EVENTS events and about BATCH_BYTES: (the batch's last seq, payload) each."""
    out: list[tuple[int, bytes]] = []
    chunk: list[bytes] = []
    size = last = 0
    for event in events:
        encoded = _json(event)
        if chunk and (len(chunk) >= BATCH_EVENTS or size + len(encoded) > BATCH_BYTES):
            out.append((last, _batch(after, chunk)))
            after, chunk, size = last, [], 0
        chunk.append(encoded)
        size += len(encoded) + 1
        last = int(event["seq"])
    if chunk:
        out.append((last, _batch(after, chunk)))
    return out


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _batch(after: int, events: list[bytes]) -> bytes:
    return b'{"v":1,"after":%d,"events":[%s]}' % (after, b",".join(events))


def decode_ack(payload: bytes) -> int:
    """The seq of an ack payload; ValueError for anything but {"v": 1, "seq": int >= 0}."""
    return decode_rewound_ack(payload)[0]


def decode_rewound_ack(payload: bytes) -> tuple[int, int | None]:
    """An ack's seq and the rewind point it answers (`rewound`, None in an ordinary ack);
    ValueError for anything but {"v": 1, "seq": int >= 0} with `rewound` an int >= 0 if any."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise ValueError("not JSON") from None
    if not isinstance(data, dict) or data.get("v") != 1:
        raise ValueError("not a version 1 object")
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError(f"seq must be a whole number >= 0, not {seq!r}")
    rewound = data.get("rewound")
    if rewound is not None and (type(rewound) is not int or rewound < 0):
        raise ValueError(f"rewound must be a whole number >= 0, not {rewound!r}")
    return seq, rewound


def without_time(state: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without its `at`: what decides whether it changed."""
    return {k: v for k, v in state.items() if k != "at"}


# --- the shell ------------------------------------------------------------------------


class Uplink:
    """The uplink's client and thread. `start()` after the hub is built, `stop()` before
    the store closes; `nudge()` (from a commit) and `offer_state()` never block."""

    def __init__(
        self,
        settings: RegionSettings,
        database: Path,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.database = database
        self.events = EventLog(database)
        #: The seq the region must be rewound to before anything is sent (None: no rewind).
        self._rewind = rewind.point(database)
        self._rewind_at: float | None = None  # when asked on this connection
        self.window = Window()
        self._lock = threading.Lock()  # the window: acks arrive in paho's thread
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._subscribed_at: float | None = None
        self._state: dict[str, Any] | None = None  # offered, not yet published
        self._state_sent: dict[str, Any] | None = None
        self._state_at = -STATE_EVERY_S
        self._state_offered = -STATE_EVERY_S
        self._acked_known = 0  # the latest ack, kept across connections for the health
        self._last_seq = 0
        self._bad_acks = RepeatedWarning(log)
        self._reads = FailureStreak(log, "reading the event log for the region")
        self._thread: threading.Thread | None = None
        self._client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            # One fixed id per office: a hub restarted after a crash takes its session over at once.
            client_id=f"antrian-uplink-{settings.office}",
            protocol=paho.MQTTv5,
        )
        self._client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            self._client.tls_set(
                ca_certs=str(settings.ca_file) if settings.ca_file else None,
                certfile=str(settings.cert_file) if settings.cert_file else None,
                keyfile=str(settings.key_file) if settings.key_file else None,
            )
        self._client.will_set(
            settings.topic("status"), _json({"v": 1, "online": False}), qos=1, retain=True
        )
        self._client.reconnect_delay_set(min_delay=1, max_delay=60)
        self._client.on_socket_open = _no_delay
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (paho retries for as long as it takes) and send."""
        s = self.settings
        self._client.connect_async(s.host, s.port, keepalive=s.keepalive)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._thread.start()
        log.info("uplink to the region: %s:%s as office %s%s", s.host, s.port, s.office,
                 " (TLS)" if s.tls else "")  # fmt: skip

    def stop(self) -> None:
        """Say offline (retained), disconnect, and close the log."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._connected.is_set():
            info = self._client.publish(
                self.settings.topic("status"), _json({"v": 1, "online": False}), 1, True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2.0)
        self._client.disconnect()
        self._client.loop_stop()
        self.events.close()

    def nudge(self) -> None:
        """New events were committed: look at the log now rather than within POLL_S."""
        self._wake.set()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wants_state(self) -> bool:
        """Whether a snapshot offered now would be used (the hub computes one only then)."""
        return self.connected and self.clock() - self._state_offered >= STATE_EVERY_S

    def offer_state(self, state: dict[str, Any]) -> None:
        self._state_offered = self.clock()
        self._state = state
        self._wake.set()

    def health(self) -> dict[str, Any]:
        """The fields of the hub's retained status: connected, last acked seq, waiting."""
        return {
            "uplink": "connected" if self.connected else "down",
            "uplink_acked": self._acked_known,
            "uplink_waiting": max(0, self._last_seq - self._acked_known),
        }

    # --- the uplink's thread --------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._last_seq = self.events.last_seq()
                if self.connected:
                    self._send()
                    self._publish_state()
                self._reads.succeeded()
            except Exception:
                # A locked or damaged database must not end the uplink: it tries again.
                self._reads.failed(f"retried every {POLL_S:.0f} s")

    def _send(self) -> None:
        now = self.clock()
        with self._lock:
            if self._rewind is not None:
                self._ask_rewind(self._rewind, now)
                return
            window = self.window
            if window.acked is None:
                since = self._subscribed_at
                if since is None or now - since < ACK_GRACE_S:
                    return
                log.info("no acknowledgement retained for office %s: sending from the"
                         " start of the log", self.settings.office)  # fmt: skip
                window.restart(0, now)
                self._acked_known = 0
            if window.stalled(now):
                log.info("the region acknowledged nothing for %.0f s: sending again from"
                         " seq %d", RESEND_AFTER_S, window.acked)  # fmt: skip
                window.restart(window.acked or 0, now)
            while window.room:
                free = WINDOW - len(window.in_flight)
                rows, cursor = self.events.since(window.cursor, free * BATCH_EVENTS)
                if cursor == window.cursor:
                    return  # nothing new
                if not rows:
                    window.sent(None, cursor, now)
                    continue
                for last, payload in batches(window.after, rows)[:free]:
                    info = self._client.publish(self.settings.topic("events"), payload, qos=1)
                    if info.rc != paho.MQTT_ERR_SUCCESS:
                        return  # connection lost meanwhile: the next one starts from the ack
                    window.sent(last, last, now)
                if window.cursor < cursor and window.room:
                    window.sent(None, cursor, now)  # rows left out at the end of the read

    def _ask_rewind(self, point: int, now: float) -> None:
        """Publish the rewind once the ack is subscribed, and again every RESEND_AFTER_S
        while no ack answers it (the region was down, or its answer was lost)."""
        if self._subscribed_at is None:
            return
        if self._rewind_at is not None:
            if now - self._rewind_at < RESEND_AFTER_S:
                return
            log.warning("the region has not answered the rewind to seq %d for %.0f s:"
                        " asking again", point, RESEND_AFTER_S)  # fmt: skip
        else:
            log.info("the database was restored: asking the region to set aside this"
                     " office's events after seq %d before sending", point)  # fmt: skip
        payload = _json({"v": 1, "seq": point})
        info = self._client.publish(self.settings.topic("rewind"), payload, qos=1)
        if info.rc == paho.MQTT_ERR_SUCCESS:
            self._rewind_at = now

    def _publish_state(self) -> None:
        state = self._state
        if state is None or self.clock() - self._state_at < STATE_EVERY_S:
            return
        self._state = None
        if self._state_sent is not None and without_time(state) == self._state_sent:
            return
        self._client.publish(self.settings.topic("state"), _json(state), qos=1, retain=True)
        self._state_sent = without_time(state)
        self._state_at = self.clock()

    # --- paho callbacks (network thread) ----------------------------------------------

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        s = self.settings
        if reason.is_failure:
            log.warning("the regional broker %s:%s refused the uplink: %s", s.host, s.port,
                        reason)  # fmt: skip
            return
        with self._lock:
            # What paho would send again from the last connection: the window starts
            # afresh from the region's ack instead (under the lock: no batch is half sent).
            client.drop_out_messages()
            self.window = Window()
            self._subscribed_at = None
            self._rewind_at = None
        self._state_sent = None  # the broker may have lost the retained snapshot
        self._state_at = -STATE_EVERY_S
        client.subscribe(s.topic("ack"), qos=1)
        client.publish(s.topic("status"), _json({"v": 1, "online": True}), qos=1, retain=True)
        self._connected.set()
        log.info("uplink connected to the region %s:%s", s.host, s.port)

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: Any, reasons: Any, properties: Any
    ) -> None:
        self._subscribed_at = self.clock()
        self._wake.set()  # a pending rewind goes out now, not at the next poll

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if self._connected.is_set() and not self._stop.is_set():
            log.warning("uplink to the region lost (%s); the office works on, the log is sent"
                        " when it is back", reason)  # fmt: skip
        self._connected.clear()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        try:
            seq, rewound = decode_rewound_ack(bytes(msg.payload))
        except ValueError as exc:
            self._bad_acks.warn("ack", f"ignored a malformed ack on {msg.topic}: {exc}")
            return
        with self._lock:
            pending = self._rewind
            if pending is not None:
                if rewound != pending:
                    return  # an ack of the replaced log: it says nothing about this one
                self._rewind = None
        if pending is not None:
            log.info("the region has set aside this office's events after seq %d", pending)
            try:
                rewind.done(self.database)
            except OSError as exc:  # the next start asks again: harmless, the log is resent
                log.warning("cannot remove the rewind marker: %s", exc)
        with self._lock:
            first = self.window.acked is None
            if self.window.ack(seq, self.clock()):
                self._acked_known = self.window.acked or 0
        if first:  # once a connection: where the region stands
            log.info("the region has this office's log up to seq %d; sending from there", seq)
            self._check_beyond(seq)
        self._wake.set()

    def _check_beyond(self, seq: int) -> None:
        """An ack past the end of this log: the database was replaced (a restore from an
        older backup, a new card) and its new events would reuse seqs the region has."""
        try:
            last = self.events.last_seq()
        except (OSError, sqlite3.Error):
            return  # the uplink's thread reports an unreadable log
        if seq > last:
            log.warning(
                "the region has acknowledged seq %d, beyond this log's last event (%d): was"
                " the database restored from an older backup or replaced? Events up to seq"
                " %d will not be sent (`antrian restore` would have rewound the region)",
                seq, last, seq,
            )  # fmt: skip


def _no_delay(client: paho.Client, userdata: Any, sock: Any) -> None:
    with contextlib.suppress(OSError, AttributeError):  # a TLS wrapper may not take it
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
