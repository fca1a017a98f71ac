"""The hub's disk, as the dashboard shows it: free space, and what the card has written.

Free space is that of the filesystem holding the database (statvfs, as an unprivileged
writer sees it). The write total is the block device's own counter (sectors written,
/sys/dev/block/MAJOR:MINOR/stat of the partition holding the database) since boot: it
counts every writer on the card (the hub, the journal, the broker, the web node), which
is what wears it, where /proc/self/io would count the hub's writes alone. On a
filesystem without a block device (tmpfs, overlay in a container) there is no such
counter and the total is left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nodes.hub.store import free_bytes

MB = 1 << 20


@dataclass(frozen=True)
class DiskHealth:
    free_mb: int
    written_mb: int | None
    low: bool

    def status(self) -> dict[str, object]:
        """The fields of the hub's retained status."""
        fields: dict[str, object] = {
            "disk": "low" if self.low else "ok",
            "disk_free_mb": self.free_mb,
        }
        if self.written_mb is not None:
            fields["disk_written_mb"] = self.written_mb
        return fields


def sectors_written(path: Path) -> int | None:
    """Sectors (512 B) written to the block device holding `path` since boot."""
    try:
        device = os.stat(path).st_dev
        stat = Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/stat").read_text()
        return int(stat.split()[6])
    except (OSError, ValueError, IndexError):
        return None


def disk_health(database: Path, warn_below_mb: int) -> DiskHealth:
    free = free_bytes(database) // MB
    sectors = sectors_written(database.parent if not database.exists() else database)
    written = sectors * 512 // MB if sectors is not None else None
    return DiskHealth(free, written, free < warn_below_mb)
