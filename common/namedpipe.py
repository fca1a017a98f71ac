"""Lines from a named pipe (FIFO) that writers open and close in turn.

A demo script feeds a simulated keypad or button box with `echo call_next > some.fifo`:
each `echo` opens the pipe, writes a line and closes it. A reader that opens the pipe the
usual way sees end of input whenever the last writer closes, and reopening it loses lines:
a writer that opens the pipe between the reader's end of input and its close writes into a
pipe that is then thrown away (500 quick `echo`s lost up to 480 lines). So the reader
holds a writing end of its own: the pipe never reaches end of input while it is read, and
no line is lost however writers come and go.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path


class NamedPipe:
    """A FIFO at `path` read line by line, for as long as the caller likes.

    `create()` makes the pipe (mode 0600) or checks that what is there is one; `lines()`
    yields each line written, from any number of writers, until `close()`.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._holder: int | None = None  # our own writing end; closing it ends `lines()`
        self._closed = False

    def create(self) -> None:
        """Make the pipe if missing; ValueError if something else has its name."""
        if not self.path.exists():
            os.mkfifo(self.path, 0o600)
        elif not stat.S_ISFIFO(self.path.stat().st_mode):
            raise ValueError(f"{self.path} exists and is not a named pipe")

    def lines(self) -> Iterator[str]:
        """Every line any writer sends, in order; ends only after `close()`.

        A line cut off by a writer that never sent its newline is joined to the next
        writer's text, as a shell reading the pipe would do.
        """
        # Non-blocking, the read end opens at once with no writer; our own write end then
        # opens at once too (there is a reader), and reads may block again.
        reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            with self._lock:
                if not self._closed:
                    self._holder = os.open(self.path, os.O_WRONLY)
            flags = fcntl.fcntl(reader, fcntl.F_GETFL)
            fcntl.fcntl(reader, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        except BaseException:
            os.close(reader)
            self._release()
            raise
        if self._holder is None:  # closed before we began
            os.close(reader)
            return
        with open(reader, encoding="utf-8", errors="replace") as pipe:
            yield from pipe  # end of input comes only once `close()` drops our write end

    def close(self) -> None:
        """End `lines()` once every outside writer has closed too."""
        with self._lock:
            self._closed = True
        self._release()

    def _release(self) -> None:
        with self._lock:
            holder, self._holder = self._holder, None
        if holder is not None:
            os.close(holder)
