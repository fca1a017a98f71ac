"""write_atomic: the old file or the new one, never a mix, with the permissions asked for."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from common.files import write_atomic


def test_replaces_whole_with_the_mode_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "deep/folder/secrets.toml"
    write_atomic(path, "old = 1\n", mode=0o644)
    write_atomic(path, b"new = 2\n", mode=0o600)
    assert path.read_text() == "new = 2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secrets.toml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    write_atomic(path, b"old")
    with pytest.raises(TypeError):
        write_atomic(path, 42)  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
