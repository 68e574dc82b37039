"""Service-level targets: when a review item must be handled by.

An item's SLA target is its policy's live target when the subject is live at the time, else the
ordinary target; the due time counts from when modops first saw the harm (the first report or
detection), so a stream going live after the first report pulls the due time earlier, never later
than it would have been.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def sla_target_seconds(live_seconds: int, ordinary_seconds: int, live: bool) -> int:
    return live_seconds if live else ordinary_seconds


def sla_due_at(
    first_seen_at: datetime,
    live_seconds: int,
    ordinary_seconds: int,
    live: bool,
    current_due: datetime | None = None,
) -> datetime:
    """Due time from first sight; once set, a change of live state can only bring it forward."""
    due = first_seen_at + timedelta(seconds=sla_target_seconds(live_seconds, ordinary_seconds, live))
    if current_due is not None and current_due < due:
        return current_due
    return due


def sla_risk(now: datetime, due: datetime, target_seconds: int, threshold: float = 0.25) -> bool:
    """At risk when less than ``threshold`` of the target time is left (or it has passed)."""
    return (due - now).total_seconds() <= target_seconds * threshold
