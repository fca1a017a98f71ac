"""Real small filesystems for the storage faults: a tmpfs of a few megabytes that a test
fills to the last byte, and a read-only one.

Mounting needs root: CI and the development container run the tests as root; a developer
running them as a user goes through `sudo -n` (the README's test command already asked for
sudo once). Without either the test fails, it does not skip: a full disk is a fault the hub
must survive.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_AS_ROOT = [] if os.geteuid() == 0 else ["sudo", "-n"]


@contextmanager
def small_disk(path: Path, size: str = "8m", *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the duration of the block."""
    path.mkdir(parents=True, exist_ok=True)
    # Owned by whoever runs the tests, so the hub they start can write to it.
    options = f"size={size},mode=0755,uid={os.getuid()},gid={os.getgid()}"
    options += ",ro" if read_only else ""
    subprocess.run(
        [*_AS_ROOT, "mount", "-t", "tmpfs", "-o", options, "antrian-test", str(path)],
        check=True,
        capture_output=True,
    )
    try:
        yield path
    finally:
        # Lazy: a process of the test that still holds a file must not leave it mounted.
        subprocess.run([*_AS_ROOT, "umount", "--lazy", str(path)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk has not one byte left; returns it (delete it to free)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    chunk = b"\0" * 65536
    try:
        while chunk:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)
    stat = os.statvfs(disk)
    assert stat.f_bavail == 0, "the disk should be full now"
    return filler
