"""Worker heartbeats: each worker loop stamps its row so /metrics can show who is alive."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from django.utils import timezone

from modops.insights.models import WorkerHeartbeat

# A busy worker goes round its loop many times a second; one write per interval is enough.
MIN_INTERVAL_SECONDS = 10.0


class Heartbeat:
    def __init__(self, worker: str | None = None, min_interval: float = MIN_INTERVAL_SECONDS) -> None:
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.min_interval = min_interval
        self.started_at = timezone.now()
        self.ticks = 0
        self._last_write = float("-inf")

    def beat(self, now: datetime | None = None) -> bool:
        """Count a tick; write the row when the interval has passed. Returns True when written."""
        self.ticks += 1
        clock = time.monotonic()
        if clock - self._last_write < self.min_interval:
            return False
        WorkerHeartbeat.objects.update_or_create(
            worker=self.worker,
            defaults={"beat_at": now or timezone.now(), "started_at": self.started_at, "ticks": self.ticks},
        )
        self._last_write = clock
        return True
