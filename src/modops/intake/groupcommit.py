"""Group commit: the single reports that arrive together in one process share one transaction.

Under a threaded server each request hands its report to the process's committer thread and
waits. The committer takes every report waiting (up to a limit, after a short wait for more),
records them with the set-based batch service in one transaction, and wakes each request with its
own result. A request answers 202 only after that commit, so a process that dies loses nothing it
acknowledged. If the shared transaction fails, each report is retried alone, so one bad report
fails only its own request.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from modops.dbretry import retrying
from modops.intake.services import ReportInput, submit_group, submit_report
from modops.policies.models import Policy
from modops.policies.services import get_policy

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    data: ReportInput
    policy: Policy
    actor: str
    future: Future[dict[str, Any]] = field(default_factory=Future)


class GroupCommitter:
    """A queue of waiting reports and the thread that commits them in groups."""

    def __init__(self, max_group: int = 200, max_wait: float = 0.002, autostart: bool = True) -> None:
        self.max_group = max_group
        self.max_wait = max_wait
        self.autostart = autostart
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        #: Sizes of the groups committed so far (the last 1,000), for tests and diagnostics.
        self.group_sizes: list[int] = []

    def submit(self, data: ReportInput, actor: str) -> dict[str, Any]:
        """Record one report; returns once it is committed (or raises its own error)."""
        policy = get_policy(data.policy_code)  # an unknown policy fails here, alone, before queueing
        waiting = _Waiting(data, policy, actor)
        self._queue.put(waiting)
        if self.autostart:
            self.start()
        return waiting.future.result()

    def pending(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        # A forked worker inherits the object but not the thread: start one per process.
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="intake-group-commit", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Commit what is waiting, then end the thread and close its database connection."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join()
        self._thread = None

    def _run(self) -> None:
        try:
            while (first := self._queue.get()) is not None:
                group = [first]
                deadline = time.monotonic() + self.max_wait
                stopping = False
                while len(group) < self.max_group:
                    left = deadline - time.monotonic()
                    try:
                        nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stopping = True
                        break
                    group.append(nxt)
                self._commit(group)
                if stopping:
                    return
        finally:
            connection.close()

    def _commit(self, group: list[_Waiting]) -> None:
        close_old_connections()
        try:
            bodies = retrying(lambda: submit_group([(w.data, w.policy, w.actor) for w in group]))
        except Exception:
            log.warning("group of %d reports failed; committing them one by one", len(group), exc_info=True)
            for waiting in group:
                self._commit_alone(waiting)
        else:
            for waiting, body in zip(group, bodies, strict=True):
                waiting.future.set_result(body)
        self.group_sizes = [*self.group_sizes[-999:], len(group)]
        close_old_connections()

    def _commit_alone(self, waiting: _Waiting) -> None:
        close_old_connections()
        try:
            waiting.future.set_result(retrying(lambda: submit_report(waiting.data, waiting.actor)))
        except Exception as exc:  # handed to the waiting request, which maps it to its response
            waiting.future.set_exception(exc)


_committer: GroupCommitter | None = None
_committer_lock = threading.Lock()


def committer() -> GroupCommitter:
    """The process's committer, made on first use with the configured limits."""
    global _committer
    with _committer_lock:
        if _committer is None:
            _committer = GroupCommitter(
                max_group=settings.MODOPS_INTAKE_GROUP_MAX, max_wait=settings.MODOPS_INTAKE_GROUP_WAIT_MS / 1000
            )
        return _committer


def enabled() -> bool:
    return bool(settings.MODOPS_INTAKE_GROUP_COMMIT)


def reset() -> None:
    """Stop the process's committer (its next use makes a new one)."""
    global _committer
    with _committer_lock:
        if _committer is not None:
            _committer.stop()
        _committer = None
