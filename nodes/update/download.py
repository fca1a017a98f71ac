"""The update agent fetches the bundle itself onto the data partition, then installs the file.

RAUC 1.8 (Debian 12) without streaming support first copies a bundle given by URL into
RAM (`/tmp`): hundreds of MB, on a Pi 3 with 1 GB. A file on disk is mounted in place.
So the agent streams the download to `{state dir}/download/` on `/var/lib/antrian`, after
checking that it fits with room to spare (the hub's database lives on the same
partition), checks that every byte announced arrived, and deletes the file once RAUC has
it, or after any failure; a leftover of a download cut short (a power cut) goes at the
agent's next start.
"""

from __future__ import annotations

import http.client
import logging
import shutil
import urllib.request
from pathlib import Path

log = logging.getLogger("antrian.update")

#: Left free on the data partition besides the bundle: the hub's database, the display's
#: journal and mosquitto's store keep writing while the bundle is installed.
RESERVE_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
NAME = "bundle.raucb"


class DownloadError(Exception):
    """The bundle is not on disk; the message says why (English, for the dashboard)."""


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def clear(folder: Path) -> list[Path]:
    """Delete what an earlier download left (cut short by a crash or a power cut)."""
    removed = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("removed %d leftover download(s) from %s", len(removed), folder)
    return removed


def fetch(url: str, folder: Path, reserve: int = RESERVE_BYTES, timeout: float = 30.0) -> Path:
    """Stream `url` into `folder` and return the file; nothing is left behind on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    clear(folder)
    target = folder / NAME
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            if announced is None or not announced.isdigit():
                raise DownloadError("download refused: the server did not say the bundle's size")
            size = int(announced)
            free = shutil.disk_usage(folder).free
            if size + reserve > free:
                raise DownloadError(
                    f"not enough space for the bundle: {megabytes(size)} plus "
                    f"{megabytes(reserve)} kept free needed, {megabytes(free)} free in {folder}"
                )
            received = 0
            with target.open("wb") as out:
                target.chmod(0o600)
                while chunk := response.read(CHUNK):
                    received += len(chunk)
                    out.write(chunk)
            if received != size:
                raise DownloadError(f"download incomplete: {received} of {size} bytes")
    except DownloadError:
        target.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:
        target.unlink(missing_ok=True)
        raise DownloadError(f"download failed: {exc}") from None
    return target
