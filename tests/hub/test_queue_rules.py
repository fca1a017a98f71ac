"""The counter rules are data: the docs show that data, and it covers every key."""

from __future__ import annotations

import re
from pathlib import Path

from common.wire import COUNTER_ACTIONS
from nodes.hub.queue import COUNTER_RULES, rules_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "queue-rules.md"


def test_docs_show_the_rules_the_queue_uses() -> None:
    """Fix by running scripts/rules_table.py after changing COUNTER_RULES."""
    shown = re.search(
        r"<!-- generated from COUNTER_RULES .*-->\n(.*?)<!-- end", DOC.read_text(), re.S
    )
    assert shown is not None, "docs/queue-rules.md lost its generated table's comment lines"
    assert shown[1] == rules_table()


def test_every_counter_key_has_a_rule_for_every_status() -> None:
    assert set(COUNTER_RULES) == set(COUNTER_ACTIONS)
    assert all(len(cells) == 3 for cells in COUNTER_RULES.values())
