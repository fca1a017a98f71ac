"""The region's rewind point after a restore, on real files: a marker beside the database,
the lower of two points kept, an unreadable marker taken as "rewind everything"."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from nodes.hub import rewind


def test_no_marker_no_rewind(tmp_path: Path) -> None:
    assert rewind.point(tmp_path / "antrian.db") is None


def test_a_marked_point_is_read_back_and_done_removes_it(tmp_path: Path) -> None:
    db = tmp_path / "antrian.db"
    assert rewind.mark(db, 42) == 42
    assert (tmp_path / "antrian.db.region-rewind").is_file()
    assert rewind.point(db) == 42
    rewind.done(db)
    assert rewind.point(db) is None
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either
    rewind.done(db)  # done twice: nothing to remove, no error


def test_a_second_restore_keeps_the_lower_point(tmp_path: Path) -> None:
    db = tmp_path / "antrian.db"
    rewind.mark(db, 40)
    assert rewind.mark(db, 90) == 40  # the region must lose everything after 40
    assert rewind.point(db) == 40
    assert rewind.mark(db, 7) == 7
    assert rewind.point(db) == 7


@pytest.mark.parametrize(
    "text",
    [b"", b"garbage", b'{"v": 1}', b'{"v": 2, "seq": 5}', b'{"v": 1, "seq": -3}',
     b'{"v": 1, "seq": "5"}', b'{"v": 1, "seq": true}', b"[5]", b"\xff\xfe"],
)  # fmt: skip
def test_an_unreadable_marker_rewinds_everything_with_a_warning(
    tmp_path: Path, text: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "antrian.db"
    (tmp_path / "antrian.db.region-rewind").write_bytes(text)
    with caplog.at_level(logging.WARNING, logger="antrian.hub.rewind"):
        assert rewind.point(db) == 0
    assert "rewound to seq 0" in caplog.text
    assert rewind.mark(db, 12) == 0  # 0 is lower than any point: it stays
