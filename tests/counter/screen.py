"""A terminal for the terminal indicator: keeps every line written, for assertions."""

from __future__ import annotations

import io
import threading
import time

from tests.harness import wait_for


class Screen(io.StringIO):
    """Stands where stdout would; `lines` are the indicator lines in order, with times."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.times: list[float] = []
        self._lock = threading.Lock()
        self._partial = ""

    def write(self, text: str) -> int:
        with self._lock:
            self._partial += text
            *complete, self._partial = self._partial.split("\n")
            now = time.perf_counter()
            for line in complete:
                self.lines.append(line)
                self.times.append(now)
        return len(text)

    @property
    def last(self) -> str:
        with self._lock:
            return self.lines[-1] if self.lines else ""

    def wait_line(self, text: str, timeout: float = 5.0) -> str:
        """Until the latest line contains `text`; that line."""
        try:
            return str(wait_for(lambda: text in self.last and self.last, timeout=timeout))
        except AssertionError:
            raise AssertionError(f"{text!r} not shown; lines: {self.lines[-8:]}") from None

    def wait_last(self, line: str, timeout: float = 5.0) -> None:
        """Until the latest line is exactly `line`."""
        try:
            wait_for(lambda: self.last == line, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"{line!r} not shown; lines: {self.lines[-8:]}") from None

    def saw(self, text: str) -> bool:
        with self._lock:
            return any(text in line for line in self.lines)
