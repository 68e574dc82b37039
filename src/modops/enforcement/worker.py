"""The background worker: one loop, several small jobs, each safe to run in many processes at once."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

from django.db import close_old_connections

from modops.enforcement.services import deliver_due, expire_actions, expire_strikes
from modops.insights.heartbeat import Heartbeat
from modops.insights.jobs import evaluate_targets_job, project_events
from modops.review.services import expire_leases, mark_sla_breaches
from modops.screening.services import expire_held

log = logging.getLogger("modops.worker")

JOBS: list[tuple[str, Callable[[], int]]] = [
    ("outbox", deliver_due),
    ("leases", expire_leases),
    ("actions", expire_actions),
    ("strikes", expire_strikes),
    ("sla", mark_sla_breaches),
    ("held", expire_held),
    ("projections", project_events),
    ("targets", evaluate_targets_job),  # throttled to once a minute per process
]


def run_once() -> dict[str, int]:
    done: dict[str, int] = {}
    for name, job in JOBS:
        try:
            done[name] = job()
        except Exception:  # one failing job must not stop the others
            log.exception("worker job failed", extra={"data": {"job": name}})
            done[name] = -1
    return done


def run_forever(interval: float = 1.0) -> None:
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker started")
    heartbeat = Heartbeat()
    while not stopping:
        close_old_connections()
        done = run_once()
        try:
            heartbeat.beat()
        except Exception:  # a missed heartbeat must not stop deliveries
            log.exception("heartbeat failed")
        if any(v > 0 for v in done.values()):
            log.info("worker tick", extra={"data": done})
            continue
        time.sleep(interval)
    log.info("worker stopped")
