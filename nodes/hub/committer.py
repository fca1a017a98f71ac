"""Group commit: the requests that wait while a commit is in flight are committed together.

A commit costs one fsync, on an SD card 5–20 ms, while deciding a request costs a fraction
of a millisecond. One request alone is committed by the thread that decided it, at once,
as before. While that commit (its fsync) is in flight the hub's lock is free, so the other
sessions' threads decide their requests meanwhile (against the queue as it will stand once
the commit lands) and leave them here; the next commit takes all of them in ONE SQLite
transaction, in the order they were decided. The promises hold for every request:

- answered only after its commit has returned (durable), in the order decided, the
  answers of a group one after another once the group is committed;
- on a failed commit no member is answered with what was decided: every member, and every
  request decided after it (on top of the state that did not land), gets the error of the
  failure (`disk_full` or `internal_error`), and the queue is rebuilt from the database;
- idempotent: a repeat of a request still in flight is answered, after it, with the
  answer the original finally got, never decided a second time.

An answer that needs no commit (a repeat of a committed request, a refusal) still waits its
turn while anything is in flight, so that no answer overtakes an earlier one.

The thread that committed one request hands what gathered meanwhile to a committing thread
of its own (started for the burst, ended when nothing waits), so that no node's session
waits for other nodes' commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.mqtt import Message
from common.wire import error_response
from nodes.hub.store import Store, Write

#: A closure that publishes what was computed when a group was taken (its retained state).
Publish = Callable[[], None]


@dataclass
class Decided:
    """One request decided and waiting to be answered (after its write, if any, commits)."""

    node: str
    verb: str
    message: Message
    response: dict[str, Any]
    write: Write | None = None  # None: nothing to commit
    #: The ticket and call events to publish once committed: (topic, payload).
    publications: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: A repeat of a request still in flight: answered with that request's final answer.
    original: Decided | None = None

    @property
    def key(self) -> tuple[str, str] | None:
        transaction = self.write.transaction if self.write is not None else None
        return (self.node, transaction) if transaction is not None else None

    def answer(self) -> dict[str, Any]:
        return self.original.answer() if self.original is not None else self.response


class Committer:
    """The decided requests waiting for their commit. `find` and `add` are called with the
    hub's `lock` held; `commit_now` without it, by the thread `add` told to."""

    def __init__(
        self,
        lock: threading.Lock,
        store: Store,
        *,
        deliver: Callable[[Decided], None],
        committed: Callable[[list[Decided]], None],
        failed: Callable[[BaseException, int], str],
        taken: Callable[[], Publish | None],
        idle: Callable[[], None],
    ) -> None:
        """`deliver` answers one request and publishes its events (no lock held);
        `taken` (locked) computes what must be published after the group being taken
        commits (the retained state, if due); `committed` (locked) notes a successful
        group; `failed` (locked) rebuilds the queue after a failed commit of so many
        members and names the error code; `idle` (locked) runs when nothing waits."""
        self._lock = lock
        self._store = store
        self._deliver = deliver
        self._committed = committed
        self._failed = failed
        self._taken = taken
        self._idle = idle
        self._waiting: list[Decided] = []
        self._in_flight: dict[tuple[str, str], Decided] = {}
        #: A commit is in flight or about to be: a new request waits for the next group.
        self.busy = False
        self.groups = 0  # commits of more than one request (for the log and the tests)

    # --- with the hub's lock held -------------------------------------------------------

    def find(self, node: str, transaction: str | None) -> Decided | None:
        """The request of `node` with this transaction still waiting or in flight."""
        return self._in_flight.get((node, transaction)) if transaction is not None else None

    def add(self, decided: Decided) -> bool:
        """Queue `decided`; True if the caller must now call `commit_now` (nothing was in
        flight: today's path, the request's own thread commits it)."""
        self._waiting.append(decided)
        if decided.key is not None:
            self._in_flight[decided.key] = decided
        if self.busy:
            return False
        self.busy = True
        return True

    # --- without it ---------------------------------------------------------------------

    def commit_now(self) -> None:
        """Commit and answer what waits (the caller's request first); hand what gathered
        during that commit to a committing thread."""
        self._commit_group()
        with self._lock:
            if not self._waiting:
                self.busy = False
                self._idle()
                return
        threading.Thread(target=self._drain, name="group-commit", daemon=True).start()

    def _drain(self) -> None:
        while self._commit_group():
            pass

    def _commit_group(self) -> bool:
        """Commit everything waiting in one transaction, then answer each in order. False
        (and no longer busy) if nothing waited."""
        with self._lock:
            group, self._waiting = self._waiting, []
            if not group:
                self.busy = False
                self._idle()
                return False
            after = self._taken()
        writes = [d.write for d in group if d.write is not None]
        failure: BaseException | None = None
        if writes:
            try:
                self._store.commit_group(writes)
            except Exception as exc:
                failure = exc
        if failure is None:
            # Answered at once: durable now. A repeat arriving meanwhile still finds its
            # original in flight and is answered after it, the same way.
            for decided in group:
                self._deliver(decided)
        with self._lock:
            if failure is None:
                self._committed(group)
                if len(writes) > 1:
                    self.groups += 1
            else:
                # What was decided after this group stood on it: it fails with it.
                group += self._waiting
                self._waiting = []
                code = self._failed(failure, len(group))
                for decided in group:
                    if decided.write is not None:
                        transaction = decided.response.get("transaction")
                        decided.response = error_response(transaction, code)
                        decided.publications = []
                after = None
            for decided in group:
                if decided.key is not None:
                    self._in_flight.pop(decided.key, None)
        if failure is not None:
            for decided in group:
                self._deliver(decided)
        if after is not None:
            after()
        return True
