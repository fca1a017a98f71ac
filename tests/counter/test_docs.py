"""The keymap docs and the printable label sheet stay true to the default keymaps."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from nodes.counter.keypad import GPIO_BOX6, NUMPAD_KEYS
from tests.harness import ROOT

DOC = ROOT / "docs" / "counter.md"
SHEET = ROOT / "docs" / "counter-keypad-labels.svg"
#: The word on each function key's label, as the docs and the sheet print it.
LABELS = {
    "recall": "ULANG",
    "skip": "LEWATI",
    "start": "MULAI",
    "finish": "SELESAI",
    "transfer": "ALIHKAN",
    "toggle_pause": "ISTIRAHAT",
    "enter": "BERIKUT",
    "call_next": "PANGGIL",
}


def test_docs_list_every_default_key_with_its_label() -> None:
    text = DOC.read_text()
    for code, key in NUMPAD_KEYS.items():
        row = next((line for line in text.splitlines() if f"`{code}`" in line), None)
        if key.isdigit():
            assert "`KEY_KP0` … `KEY_KP9`" in text
            continue
        assert row is not None, f"{code} is not in docs/counter.md"
        assert f"`{key}`" in row
        if key in LABELS:
            assert LABELS[key] in row, (code, row)
    for pin, key in GPIO_BOX6.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {pin} "))
        assert f"`{key}`" in row and LABELS[key] in row


def test_label_sheet_is_an_a4_svg_with_every_function_key() -> None:
    root = ET.parse(SHEET).getroot()
    assert root.tag.endswith("svg")
    assert (root.get("width"), root.get("height")) == ("210mm", "297mm")
    assert root.get("viewBox") == "0 0 210 297"
    words = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for word in LABELS.values():
        assert word in words, word
    for pin in GPIO_BOX6:
        assert pin in words
    # Everything drawn lies on the page (mm coordinates).
    for element in root.iter():
        for attribute in ("x", "y"):
            value = element.get(attribute)
            if value is not None and re.fullmatch(r"[0-9.]+", value):
                assert 0 <= float(value) <= (210 if attribute == "x" else 297)
