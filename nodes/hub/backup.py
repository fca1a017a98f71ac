"""Backups of the hub's database to a USB stick, and `antrian restore`.

The hub copies its database once a day (`Hub.tick`, after `[hub] backup_time`) with
SQLite's online backup API: the copy is one consistent state of the queue although the
hub keeps writing. It is written as `antrian-YYYYMMDD-HHMMSS.db.part`, fsynced and then
renamed, so a stick pulled out mid-copy never holds a half backup under a backup's name;
the newest `backup_keep` generations are kept.

"Present": `backup_dir` is a mount point (the stick's, e.g. /media/antrian-backup). A
missing stick leaves an empty folder behind on the SD card, and a backup written there
would only fill the card it is meant to protect; so without a mount there is no backup
(the status says so). `backup_mounted = false` drops that check (a folder on another
disk, or the tests).

`antrian restore BACKUP --database PATH` puts one back: it checks the backup is a whole
hub database, refuses while any process has PATH open (stop the hub first: a running hub
would go on with the queue it has in memory), and replaces PATH atomically (copy beside
it, fsync, rename; the old -wal and -shm removed, they belong to the old file). The region
still holds the replaced log's events after the backup's last seq L, and the hub's new
events will reuse those seqs: before replacing, restore leaves the rewind marker for L
(nodes/hub/rewind.py), and on its next connection the uplink has the region set them aside.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from common.files import fsync
from nodes.hub import rewind
from nodes.hub.eventlog import check_schema

log = logging.getLogger(__name__)

PREFIX = "antrian-"
SUFFIX = ".db"


@dataclass(frozen=True)
class Backup:
    path: Path
    at: datetime
    size: int


def present(folder: Path, *, mounted: bool = True) -> bool:
    """Whether a backup can be written to `folder` now (see the module docstring)."""
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return False
    return os.path.ismount(folder) or not mounted


def generations(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first (their names sort by time)."""
    return sorted(p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def back_up(database: Path, folder: Path, keep: int, now: datetime) -> Backup:
    """Copy `database` (live) into `folder` and keep the newest `keep` backups."""
    target = folder / f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"
    part = target.with_name(target.name + ".part")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(part)
        try:
            source.backup(copy, pages=1024)  # steps, so the hub's writes are not held up
        finally:
            copy.close()
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    fsync(part)
    os.replace(part, target)
    fsync(folder)
    for old in generations(folder)[:-keep]:
        old.unlink()
    return Backup(target, now, target.stat().st_size)


def latest(folder: Path) -> Backup | None:
    found = generations(folder) if folder.is_dir() else []
    if not found:
        return None
    stat = found[-1].stat()
    return Backup(found[-1], datetime.fromtimestamp(stat.st_mtime).astimezone(), stat.st_size)


class RestoreError(Exception):
    pass


def holders(path: Path) -> list[int]:
    """The processes that have `path` open (from /proc/*/fd)."""
    wanted = {path.resolve(), Path(f"{path.resolve()}-wal")}
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    if Path(os.readlink(fd)) in wanted:
                        found.append(int(fd_dir.parent.name))
                        break
    return found


def restore(backup: Path, database: Path) -> int:
    """Put `backup` in place of `database`; RestoreError says why not. The seq the region
    will be rewound to (the backup's last, or a lower one still pending)."""
    if not backup.is_file():
        raise RestoreError(f"no backup at {backup}")
    try:
        check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            check_schema(check, backup, older=True)
            if check.execute("PRAGMA user_version").fetchone() == (0,):
                raise RestoreError(f"{backup} is not a hub database (no schema version)")
            if check.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise RestoreError(f"{backup} is damaged (integrity check failed)")
            last = check.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{backup} is not a hub database: {exc}") from None
    busy = holders(database) if database.exists() else []
    if busy:
        raise RestoreError(
            f"{database} is in use by process {', '.join(map(str, busy))}:"
            " stop the hub first (systemctl stop antrian-hub)"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    part = database.with_name(database.name + ".restoring")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(part)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    fsync(part)
    # Before the replace: a power cut between the two leaves a marker over the old log,
    # which costs the region a resend, never a restored log without its rewind.
    point = rewind.mark(database, int(last))
    for stale in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(part, database)
    fsync(database.parent)
    return point


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrian restore", description="Put a backup of the hub's database back."
    )
    parser.add_argument("backup", type=Path, help="a backup file (antrian-*.db)")
    parser.add_argument("--database", type=Path, required=True, help="the hub's database")
    args = parser.parse_args(argv)
    try:
        point = restore(args.backup, args.database)
    except (RestoreError, OSError) as exc:
        print(f"antrian restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.backup} to {args.database}; start the hub again")
    print(f"the region (if any) will be rewound to seq {point} on the hub's next connection")
    return 0
