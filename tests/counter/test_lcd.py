"""The HD44780 LCD indicator, through RPLCD, on a fake I2C bus decoded back into characters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.payloads import CounterState, CounterTicket
from nodes.counter.indicator import LcdConfig, LcdIndicator, open_lcd
from nodes.counter.keys import Office
from nodes.counter.view import CounterView
from tests.counter.fake_i2c import Expander, FakeSMBus
from tests.counter.test_keys import CONFIG

T = datetime(2026, 11, 28, 8, 20, tzinfo=UTC)


def view(number: str | None = "A-001", waiting: int = 3, **fields: object) -> CounterView:
    ticket = CounterTicket(f"20261128-{number}", number, "A", "called", T) if number else None
    state = CounterState("1", "Loket 1", "open", ticket, waiting)
    values: dict[str, object] = {
        "counter": "1",
        "state": state,
        "office": Office.from_config(CONFIG, "1"),
        "online": True,
    }
    values.update(fields)
    return CounterView(**values)  # type: ignore[arg-type]


def lcd_on(bus: FakeSMBus, config: LcdConfig) -> LcdIndicator:
    return LcdIndicator(lambda: open_lcd(config, bus), config.cols, config.rows)


@pytest.mark.parametrize("expander", ["PCF8574", "MCP23008", "MCP23017"])
def test_16x2_shows_the_called_number_on_every_backpack(expander: Expander) -> None:
    bus = FakeSMBus(address=0x27, expander=expander, cols=16, rows=2)
    lcd = lcd_on(bus, LcdConfig(address=0x27, expander=expander, cols=16, rows=2))
    lcd.show(view())
    assert bus.lcd.text() == ["MEMANGGIL A-001 ", "      menunggu 3"]
    assert bus.lcd.display_on and bus.lcd.four_bit
    assert bus.backlight is True


def test_20x4_layout() -> None:
    bus = FakeSMBus(address=0x3F, cols=20, rows=4)
    lcd = lcd_on(bus, LcdConfig(address=0x3F, cols=20, rows=4))
    lcd.show(view("B-014", 12, notice="Dipanggil ulang"))
    assert bus.lcd.text() == [
        "LOKET 1             ",
        "MEMANGGIL B-014     ",
        "menunggu 12         ",
        "Dipanggil ulang     ",
    ]


def test_only_changed_characters_are_sent() -> None:
    bus = FakeSMBus()
    lcd = lcd_on(bus, LcdConfig())
    lcd.show(view("A-001", 3))
    first = bus.lcd.data_bytes
    # Every visible character once; RPLCD knows a cleared screen is blank already.
    assert first == 32 - 9
    lcd.show(view("A-002", 2))
    assert bus.lcd.text() == ["MEMANGGIL A-002 ", "      menunggu 2"]
    assert bus.lcd.data_bytes - first == 2  # "1"->"2" and "3"->"2"
    writes = len(bus.writes)
    lcd.show(view("A-002", 2))
    assert len(bus.writes) == writes  # nothing changed, nothing written


def test_offline_and_back() -> None:
    bus = FakeSMBus()
    lcd = lcd_on(bus, LcdConfig())
    lcd.show(view(online=False))
    assert bus.lcd.text()[0] == "OFFLINE         "
    lcd.show(view())
    assert bus.lcd.text()[0] == "MEMANGGIL A-001 "


def test_an_unplugged_lcd_is_initialised_again_when_it_returns() -> None:
    bus = FakeSMBus()
    lcd = lcd_on(bus, LcdConfig())
    lcd.RETRY_SECONDS = 0.0
    lcd.show(view("A-001"))
    bus.unplugged = True
    lcd.show(view("A-002"))  # logged, not raised: the keypad must keep working
    # The LCD lost power meanwhile: it forgot everything and is back in 8-bit mode.
    bus.unplugged = False
    bus.lcd.__init__(16, 2)  # type: ignore[misc]
    lcd.show(view("A-003"))
    assert bus.lcd.text() == ["MEMANGGIL A-003 ", "      menunggu 3"]


def test_a_wrong_address_does_not_crash() -> None:
    bus = FakeSMBus(address=0x27)
    lcd = lcd_on(bus, LcdConfig(address=0x3F))
    lcd.show(view())  # OSError inside, logged
    assert bus.writes == []
    assert bus.lcd.text() == [" " * 16] * 2
