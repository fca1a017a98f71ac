"""The kiosk's pure rules: which lamp shows what, and when a press is not even sent."""

from __future__ import annotations

import pytest

from nodes.kiosk.flow import KioskView, led_for, refusal


def view(**changes: object) -> KioskView:
    base: dict[str, object] = {
        "hub_reachable": True,
        "printer": "ok",
        "open": {"A": True, "B": False},
        "busy": frozenset(),
    }
    base.update(changes)
    return KioskView(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "a", "b"),
    [
        ({}, "lit", "off"),  # B is closed
        ({"busy": frozenset({"A"})}, "blinking", "off"),
        ({"printer": "paper_low"}, "lit", "off"),  # still prints
        ({"printer": "paper_out"}, "off", "off"),
        ({"printer": "offline"}, "off", "off"),
        ({"hub_reachable": False}, "off", "off"),
        ({"open": {}}, "off", "off"),  # no queue state from the hub yet
    ],
)
def test_led_for(changes: dict[str, object], a: str, b: str) -> None:
    assert (led_for("A", view(**changes)), led_for("B", view(**changes))) == (a, b)


def test_refusal_reasons() -> None:
    assert refusal("A", view()) is None
    assert refusal("A", view(hub_reachable=False)) is None  # worth a try: bounded by timeout
    assert refusal("A", view(printer="paper_out")) == "printer paper_out"
    assert refusal("B", view()) == "service closed"
    assert refusal("Z", view()) == "service unknown to the hub"
