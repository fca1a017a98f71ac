"""The display daemon against a real mosquitto: retained state in, screenshots and
announcements out; bad messages, duplicates, stale calls and a broker restart.

The hub's side is played by a test client publishing exactly what the hub publishes
(retained state, `event/call`); the test with the real hub is in test_display_office.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.mqtt import BrokerLink
from common.speech.outputs import LOG_NAME
from nodes.display.daemon import DisplayNode
from nodes.display.panels import LATEST, LATEST_FRAME
from nodes.display.settings import read_config
from tests.display.office import CALLS, CONFIG, COUNTERS, QUEUE, WIB, call, counter_state
from tests.harness import ROOT, Mosquitto, client, wait_for

CONFIG_TOML = """\
[office]
id = "kantor"
timezone = "Asia/Jakarta"
[node]
id = "display-1"
[broker]
host = "127.0.0.1"
port = {port}
keepalive = 5
[screen]
type = "headless"
width = 1280
height = 720
screenshot_dir = "{dir}/shots"
running_text = "Selamat datang"
[voice]
output = "file"
dir = "{dir}/voice"
pace = false
max_age_s = 60
[display]
state_dir = "{dir}/state"
"""


def write_config(directory: Path, port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "display.toml"
    path.write_text(CONFIG_TOML.format(port=port, dir=directory))
    return path


class RunningDisplay:
    def __init__(self, directory: Path, port: int) -> None:
        config = read_config(write_config(directory, port))
        self.dir = directory
        self.node = DisplayNode(
            config,
            config.screen.panel.build(),
            config.voice.engine.build(),
            config.voice.output.build(),
        )
        self.thread = threading.Thread(target=self.node.run, daemon=True)

    @property
    def log_lines(self) -> list[str]:
        path = self.dir / "voice" / LOG_NAME
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def frame(self) -> dict[str, Any]:
        """latest.json: what the headless screen last wrote (written whole or not at all)."""
        path = self.dir / "shots" / LATEST_FRAME
        try:
            frame: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return frame

    def texts(self, region: str) -> list[str]:
        region_frame = self.frame().get("regions", {}).get(region, {})
        return [text["text"] for text in region_frame.get("texts", [])]

    def featured(self) -> tuple[str, str] | None:
        """(number, counter id) of the featured call in latest.json."""
        featured = self.frame().get("featured")
        return None if featured is None else (featured["number"], featured["counter"])


@pytest.fixture
def display(broker: Mosquitto, tmp_path: Path) -> Iterator[RunningDisplay]:
    running = RunningDisplay(tmp_path / "display", broker.port)
    running.thread.start()
    try:
        yield running
    finally:
        running.node.stopping.set()
        running.node.changed.set()
        running.thread.join(10)


@pytest.fixture
def hub_side(broker: Mosquitto) -> Iterator[BrokerLink]:
    link = client(broker, "hub-stand-in", "test")
    try:
        yield link
    finally:
        link.stop()


def publish_office(link: BrokerLink, *, queue: dict | None = None) -> None:
    topics = link.topics
    link.publish(topics.config, CONFIG, retain=True)
    link.publish(topics.state_queue, queue or QUEUE, retain=True)
    for counter, payload in COUNTERS.items():
        link.publish(topics.state_counter(counter), payload, retain=True)
    link.publish(topics.state_calls, CALLS, retain=True)


def now() -> datetime:
    return datetime.now(WIB)


def publish_call(link: BrokerLink, number: str, counter: str, at: datetime) -> None:
    """What the hub publishes for a call: the event, then the counter's retained state."""
    link.publish(link.topics.event_call, call(number, counter, at=at))
    state = counter_state(counter, number, at=at)
    link.publish(link.topics.state_counter(counter), state, retain=True)


def test_retained_state_and_a_call_become_a_screenshot_and_an_announcement(
    display: RunningDisplay, hub_side: BrokerLink
) -> None:
    publish_office(hub_side)
    wait_for(lambda: "REHAT" in display.texts("counters"), timeout=10)  # Loket 3
    wait_for(lambda: display.texts("header") == ["Kantor Kecamatan Contoh"])
    wait_for(lambda: "A-012" in display.texts("counters"))
    shots = display.dir / "shots"
    wait_for(lambda: (shots / LATEST).exists())

    publish_call(hub_side, "A-013", "1", now())
    wait_for(lambda: "A-013" in display.texts("featured"), timeout=5)
    wait_for(lambda: display.log_lines, timeout=15)
    number, counter, text = display.log_lines[0].split(", ", 3)[1:]
    assert (number, counter) == ("A-013", "1")
    assert text == "Nomor antrian A tiga belas, silakan menuju loket satu"
    assert len(list((display.dir / "voice").glob("*A-013.wav"))) == 1
    assert len(list(shots.glob("screen-*.png"))) >= 2


def test_duplicates_stale_calls_and_garbage(display: RunningDisplay, hub_side: BrokerLink) -> None:
    publish_office(hub_side)
    topics = hub_side.topics
    wait_for(lambda: "Loket 3" in display.texts("counters"), timeout=10)
    for garbage in (b"not json", b"[1, 2]", b'{"number": 5}', b"\xff\xfe"):
        for topic in (topics.event_call, topics.state_queue, topics.config):
            hub_side.publish(topic, garbage)
    hub_side.publish(topics.state_counter("9"), b'{"status": "asleep"}')
    stale = call("C-009", "3", at=now() - timedelta(minutes=10))
    hub_side.publish(topics.event_call, stale)
    # The stale call is shown (no later state of Loket 3 says otherwise), just not spoken.
    wait_for(lambda: "C-009" in display.texts("featured"), timeout=10)
    moment = now()
    publish_call(hub_side, "B-007", "2", moment)
    hub_side.publish(topics.event_call, call("B-007", "2", at=moment))  # redelivered
    wait_for(lambda: display.log_lines, timeout=15)
    assert display.node.announcer is not None
    assert display.node.announcer.wait_idle(15)
    numbers = [line.split(", ")[1] for line in display.log_lines]
    assert numbers == ["B-007"]
    # Once B-007 took the big area, the stale call stepped back to the previous calls.
    wait_for(lambda: "C-009" in display.texts("recent"))
    # The state from before the garbage is intact.
    assert "Kantor Kecamatan Contoh" in display.texts("header")
    assert display.thread.is_alive()


def test_broker_restart_shows_offline_then_rebuilds(
    display: RunningDisplay, hub_side: BrokerLink, broker: Mosquitto
) -> None:
    publish_office(hub_side)
    wait_for(lambda: "A-012" in display.texts("featured"), timeout=10)
    wait_for(lambda: display.texts("status") == [])  # painted after "featured", not with it

    broker.stop()
    wait_for(lambda: display.texts("status") == ["Terputus dari server"], timeout=10)
    assert "A-012" in display.texts("featured")  # the last picture stays up
    assert "Loket 1" in display.texts("counters")

    broker.start()  # an empty broker: its retained messages are gone
    wait_for(lambda: display.texts("status") == [], timeout=20)
    assert hub_side.wait_connected(20)
    # The hub republishes its retained state on reconnect; the display redraws from it.
    publish_office(hub_side, queue={**QUEUE, "A": {**QUEUE["A"], "waiting": 42}})
    wait_for(lambda: "42" in display.texts("services"), timeout=10)


def test_daemon_process_starts_and_stops_cleanly(broker: Mosquitto, tmp_path: Path) -> None:
    config = write_config(tmp_path / "proc", broker.port)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    process = subprocess.Popen(
        [sys.executable, "-m", "nodes.cli", "display", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: (tmp_path / "proc" / "shots" / LATEST).exists(), timeout=15)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output.decode()
    assert b"display display-1 for office kantor" in output


def test_config_error_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[node]\nid = "display-1"\n[voice]\nengine = "espek"\n')
    result = subprocess.run(
        [sys.executable, "-m", "nodes.cli", "display", "--config", str(path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "voice.engine" in result.stdout + result.stderr


def test_a_silent_display_still_shows_calls(broker: Mosquitto, tmp_path: Path) -> None:
    directory = tmp_path / "silent"
    path = write_config(directory, broker.port)
    path.write_text(path.read_text().replace("[voice]\n", "[voice]\nenabled = false\n"))
    config = read_config(path)
    assert not config.voice.enabled
    node = DisplayNode(config, config.screen.panel.build(), None, None)
    thread = threading.Thread(target=node.run, daemon=True)
    thread.start()
    link = client(broker, "hub-stand-in", "test")
    try:
        publish_office(link)
        wait_for(lambda: "Loket 3" in node.screen.text_in("counters"), timeout=10)  # subscribed
        link.publish(link.topics.event_call, call("A-077", "1", at=now()))
        wait_for(lambda: "A-077" in node.screen.text_in("featured"), timeout=10)
        assert node.announcer is None
        assert not (directory / "voice").exists()
    finally:
        link.stop()
        node.stopping.set()
        node.changed.set()
        thread.join(10)


def test_a_restarted_display_announces_what_is_still_current_and_nothing_twice(
    broker: Mosquitto, hub_side: BrokerLink, tmp_path: Path
) -> None:
    directory = tmp_path / "display"
    topics = hub_side.topics
    publish_office(hub_side)
    first = RunningDisplay(directory, broker.port)
    first.thread.start()
    try:
        wait_for(lambda: "Loket 3" in first.texts("counters"), timeout=10)
        a013 = now()
        publish_call(hub_side, "A-013", "1", a013)
        hub_side.publish(topics.state_calls, {"calls": [call("A-013", "1", at=a013)]}, retain=True)
        wait_for(lambda: first.log_lines, timeout=15)
    finally:
        first.node.stopping.set()
        first.node.changed.set()
        first.thread.join(10)
    assert not first.thread.is_alive()

    # While the display is down: B-008 is called at Loket 2 and C-005 at Loket 3, which
    # then marks C-005 as a no-show. Only the retained state tells the display.
    moment = now()
    publish_call(hub_side, "B-008", "2", moment)
    publish_call(hub_side, "C-005", "3", moment)
    hub_side.publish(topics.state_counter("3"), counter_state("3", None), retain=True)
    recent = [call(n, k, at=moment) for n, k in (("B-008", "2"), ("C-005", "3"))]
    recent.append(call("A-013", "1", at=a013))
    hub_side.publish(topics.state_calls, {"calls": recent}, retain=True)

    second = RunningDisplay(directory, broker.port)
    second.thread.start()
    try:
        wait_for(lambda: len(second.log_lines) >= 2, timeout=20)
        assert second.node.announcer is not None
        assert second.node.announcer.wait_idle(15)
        numbers = [line.split(", ")[1] for line in second.log_lines]
        assert numbers == ["A-013", "B-008"]  # A-013 not again, C-005 no longer called
    finally:
        second.node.stopping.set()
        second.node.changed.set()
        second.thread.join(10)
