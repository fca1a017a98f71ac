"""The fields issue 18 added to the contract: optional on read (an older hub omits them),
always written, and checked like every other field when present."""

from __future__ import annotations

from typing import Any

import pytest

from common.payloads import OfficeConfig, QueueState, Service, ServiceQueue
from common.wire import WireError

SERVICE = Service("A", "Kartu Keluarga", "A", 15, 7.5)
ENTRY = ServiceQueue("A", "Kartu Keluarga", "A", 3, "A-005", "A-002", 600, True, 720, 300)


def test_the_standard_and_todays_figures_round_trip() -> None:
    assert Service.from_payload(SERVICE.to_payload()) == SERVICE
    entry = QueueState((ENTRY,)).to_payload()["A"]
    assert (entry["average_wait_s"], entry["average_service_s"]) == (720, 300)
    assert QueueState.from_payload({"A": entry}) == QueueState((ENTRY,))


def test_a_payload_of_an_older_hub_reads_with_no_standard() -> None:
    old_service = {"id": "A", "name": "Kartu Keluarga", "prefix": "A"}
    assert Service.from_payload(old_service) == Service("A", "Kartu Keluarga", "A")
    old_entry: dict[str, Any] = {
        "name": "Kartu Keluarga", "prefix": "A", "waiting": 3, "last_issued": None,
        "last_called": None, "estimated_wait_s": None, "open": True,
    }  # fmt: skip
    (read,) = QueueState.from_payload({"A": old_entry}).services
    assert (read.average_wait_s, read.average_service_s) == (None, None)
    config = {"office": {"id": "k", "name": "K"}, "hub": "hub", "services": [old_service],
              "counters": []}  # fmt: skip
    assert OfficeConfig.from_payload(config).services[0].standard_wait_minutes is None


@pytest.mark.parametrize(
    "fields",
    [
        {"standard_wait_minutes": 0},
        {"standard_wait_minutes": 601},
        {"standard_service_minutes": "15"},
        {"standard_service_minutes": True},
    ],
)
def test_a_bad_standard_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(WireError):
        Service.from_payload({**SERVICE.to_payload(), **fields})


@pytest.mark.parametrize("fields", [{"average_wait_s": -1}, {"average_service_s": "soon"}])
def test_bad_figures_of_today_are_refused(fields: dict[str, Any]) -> None:
    entry = {**QueueState((ENTRY,)).to_payload()["A"], **fields}
    with pytest.raises(WireError):
        QueueState.from_payload({"A": entry})
