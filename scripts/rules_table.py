"""Rewrite the counter-keys table of docs/queue-rules.md from the queue's `COUNTER_RULES`.

    .venv/bin/python scripts/rules_table.py

tests/hub/test_queue_rules.py fails while the page and the code differ.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's queue, not an installed one

from nodes.hub.queue import rules_table  # noqa: E402

#: The generated table sits between these two comment lines.
TABLE = re.compile(
    r"(<!-- generated from COUNTER_RULES .*-->\n).*?(<!-- end of generated table -->)", re.S
)

if __name__ == "__main__":
    doc = ROOT / "docs" / "queue-rules.md"
    text, found = TABLE.subn(lambda m: m[1] + rules_table() + m[2], doc.read_text())
    if found != 1:
        sys.exit(f"{doc}: no generated table found (its comment lines are missing)")
    doc.write_text(text)
