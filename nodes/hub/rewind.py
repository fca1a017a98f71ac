"""The region's rewind point after `antrian restore`: a marker file beside the database.

A restored database ends at the backup's last seq L, but the region still holds the lost
log's events after L; the hub's new events reuse those seqs. So the restore leaves
`<database>.region-rewind` (`{"v": 1, "seq": L}`), and the uplink asks the region to set
aside its events after L before it sends anything (nodes/hub/uplink.py); when the region has
answered, the marker goes. A file rather than a row: the database is what was replaced.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from common.files import fsync, write_atomic

log = logging.getLogger("antrian.hub.rewind")

SUFFIX = ".region-rewind"


def marker(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


def point(database: Path) -> int | None:
    """The seq the region must be rewound to, or None when no rewind is pending. A marker
    that cannot be read as one means 0 (rewind everything): the region then holds exactly
    what the hub sends again, never events of a lost log."""
    path = marker(database)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read %s (%s): the region will be rewound to seq 0", path, exc)
        return 0
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    seq = doc.get("seq") if isinstance(doc, dict) and doc.get("v") == 1 else None
    if type(seq) is not int or seq < 0:
        log.warning("%s is not a rewind marker: the region will be rewound to seq 0", path)
        return 0
    return seq


def mark(database: Path, seq: int) -> int:
    """Leave the marker for `seq`; a pending one for a lower seq stays (two restores before
    the hub reconnected: the region must lose everything after the lower one). The point."""
    pending = point(database)
    if pending is not None and pending <= seq:
        return pending
    write_atomic(marker(database), json.dumps({"v": 1, "seq": seq}) + "\n", mode=0o644)
    fsync(database.parent)
    return seq


def done(database: Path) -> None:
    """The region has been rewound: remove the marker (OSError if it cannot be)."""
    marker(database).unlink(missing_ok=True)
    fsync(database.parent)
