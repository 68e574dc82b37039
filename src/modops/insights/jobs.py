"""Insights work for the background worker loop (``modops.enforcement.worker``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from modops.insights.projection import catch_up
from modops.insights.targets import evaluate_targets

TARGETS_EVERY_SECONDS = 60.0


class Throttled:
    """Run ``job`` at most once every ``every`` seconds in this process; otherwise report no work."""

    def __init__(self, job: Callable[[], int], every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.job = job
        self.every = every
        self.clock = clock
        self.last: float | None = None

    def __call__(self) -> int:
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return 0
        # Counted from the start, so a failing run also waits its turn instead of retrying every tick.
        self.last = now
        return self.job()


def _evaluate() -> int:
    # Measuring is not "work done": returning 0 keeps the worker's idle sleep between ticks.
    evaluate_targets()
    return 0


evaluate_targets_job = Throttled(_evaluate, TARGETS_EVERY_SECONDS)


def project_events() -> int:
    """Keep the KPI projections up with the event log, so dashboards never wait for a backlog."""
    return catch_up()
