"""Log lines carry the office's local time with its offset, like the tickets and screen."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = (
    "import logging; from common.log import setup_logging; "
    "setup_logging('INFO'); logging.getLogger('antrian.test').info('hello')"
)


@pytest.mark.parametrize(
    ("zone", "offset"), [("Asia/Jakarta", "+0700"), ("Asia/Jayapura", "+0900")]
)
def test_log_time_is_local_with_its_offset(zone: str, offset: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    env["TZ"] = zone
    before = datetime.now(UTC)
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    match = re.fullmatch(r"(\S+) INFO antrian\.test: hello\n", result.stderr)
    assert match, result.stderr
    stamp = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S%z")
    assert match.group(1).endswith(offset)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)


def test_under_journald_the_time_is_left_to_the_journal() -> None:
    env = dict(os.environ, JOURNAL_STREAM="8:1234", TZ="Asia/Jakarta")
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert result.stderr == "INFO antrian.test: hello\n"
