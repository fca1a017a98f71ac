"""The update agent's download of a bundle onto the data partition, from a real HTTP server
on loopback that misbehaves the way a network or a hub may (a connection cut mid-way, no
size announced)."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodes.update import download

BODY = b"x" * 300_000


class Server(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        if self.path == "/cut":  # announces the whole bundle, sends a third, hangs up
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[: len(BODY) // 3])
        elif self.path == "/no-size":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BODY)
        else:
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_whole_download_is_on_disk(base_url: str, tmp_path: Path) -> None:
    path = download.fetch(f"{base_url}/bundle", tmp_path / "download")
    assert path.read_bytes() == BODY
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_download_cut_short_fails_and_leaves_no_file(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(download.DownloadError) as refused:
        download.fetch(f"{base_url}/cut", tmp_path / "download")
    assert str(refused.value) == f"download incomplete: {len(BODY) // 3} of {len(BODY)} bytes"
    assert list((tmp_path / "download").iterdir()) == []


def test_a_download_of_unknown_size_is_refused(base_url: str, tmp_path: Path) -> None:
    with pytest.raises(download.DownloadError, match="did not say the bundle's size"):
        download.fetch(f"{base_url}/no-size", tmp_path / "download")
    assert list((tmp_path / "download").iterdir()) == []


def test_the_reserve_is_kept_free(base_url: str, tmp_path: Path) -> None:
    room = shutil.disk_usage(tmp_path).total  # more than can ever be free
    with pytest.raises(download.DownloadError, match=r"^not enough space for the bundle: 0\.3 MB"):
        download.fetch(f"{base_url}/bundle", tmp_path / "download", reserve=room)
    assert list((tmp_path / "download").iterdir()) == []
