"""The reference day: a deterministic, seeded 24-hour day of review items and a tight roster.

What it models (all times UTC):

- Arrivals follow a daily curve peaking around 02:00 UTC (evening in the Americas, where most of a
  live-streaming audience is) with a smaller European-evening shoulder around 19:00, and a trough
  near 11:00. About 4,300 items in the day at the default scale.
- Policy mix with severities 1-4 and sensitivity tiers 0-3 (tier 2 and above expose moderators to
  disturbing material), see ``POLICIES``.
- About 15% of items are on live streams, with SLAs of 5-15 minutes by severity; recorded items
  have SLAs of 1-24 hours by severity.
- Handle times are log-normal around a mean that grows with severity (1, 2.5, 5 and 8 minutes).
- Languages en 55%, es 15%, pt 10%, de 10%, ja 10%.
- Three sites following the sun: Seattle (UTC-8), Dublin (UTC+0), Manila (UTC+8), each with two or
  three eight-hour shifts. Staffing covers the average load but is short at the evening peak, so
  the order in which work is taken matters.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TypeVar

from modops.ops.simulation.model import DAY_SECONDS, Arrival, Day, StaffGroup

__all__ = [
    "LANGUAGES",
    "POLICIES",
    "REFERENCE_SEED",
    "REFERENCE_STAFF",
    "PolicyMix",
    "arrival_rate_per_hour",
    "reference_day",
]

REFERENCE_SEED = 20_250_301

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PolicyMix:
    name: str
    severity: int
    sensitivity_tier: int
    share: float


POLICIES: tuple[PolicyMix, ...] = (
    PolicyMix("spam", 1, 0, 0.30),
    PolicyMix("harassment", 2, 0, 0.25),
    PolicyMix("sexual_content", 2, 1, 0.10),
    PolicyMix("hateful_conduct", 3, 1, 0.15),
    PolicyMix("doxxing", 3, 1, 0.05),
    PolicyMix("violent_threats", 4, 1, 0.08),
    PolicyMix("violent_graphic", 3, 2, 0.03),
    PolicyMix("self_harm", 4, 2, 0.02),
    PolicyMix("violent_extremism", 4, 3, 0.01),
    PolicyMix("child_safety", 4, 3, 0.01),
)

LANGUAGES: tuple[tuple[str, float], ...] = (
    ("en", 0.55),
    ("es", 0.15),
    ("pt", 0.10),
    ("de", 0.10),
    ("ja", 0.10),
)

LIVE_SHARE = 0.15
LIVE_SLA_MINUTES = {4: 5, 3: 10, 2: 15, 1: 15}
RECORDED_SLA_HOURS = {4: 1, 3: 4, 2: 12, 1: 24}
HANDLE_MEAN_SECONDS = {1: 45.0, 2: 120.0, 3: 240.0, 4: 360.0}
HANDLE_SIGMA = 0.5
LIVE_HANDLE_FACTOR = 0.5
"""A live item is judged on what the stream shows now, without a history to read through."""

BASE_RATE_PER_HOUR = 150.0

_EN = frozenset({"en"})


def _staff(site: str, count: int, start: int, end: int, languages: set[str], clearance: int) -> StaffGroup:
    return StaffGroup(site, count, start, end, frozenset(languages) | _EN, clearance)


REFERENCE_STAFF: tuple[StaffGroup, ...] = (
    # Seattle, UTC-8: 08-16 local is 16-24 UTC; 16-24 local is 00-08 UTC.
    _staff("seattle", 5, 8, 16, {"es"}, 3),
    _staff("seattle", 2, 16, 24, {"es"}, 3),
    _staff("seattle", 2, 16, 24, set(), 1),
    # Dublin, UTC+0.
    _staff("dublin", 3, 8, 16, {"de", "pt"}, 3),
    _staff("dublin", 1, 8, 16, {"es"}, 1),
    _staff("dublin", 3, 16, 24, {"de", "pt"}, 2),
    # Manila, UTC+8: 08-16 local is 00-08 UTC; 16-24 local is 08-16 UTC; 00-08 local is 16-24 UTC.
    _staff("manila", 3, 8, 16, {"ja"}, 3),
    _staff("manila", 2, 16, 24, {"ja"}, 3),
    _staff("manila", 2, 0, 8, {"ja"}, 2),
)


def arrival_rate_per_hour(hour_utc: float, scale: float = 1.0) -> float:
    """Expected arrivals per hour at a (fractional) UTC hour of the reference day."""
    americas = 0.75 * math.cos(2 * math.pi * (hour_utc - 2.0) / 24.0)
    europe = 0.2 * math.exp(-(((hour_utc - 19.0) / 2.5) ** 2))
    return scale * BASE_RATE_PER_HOUR * (1.0 + americas + europe)


def _pick(rng: random.Random, weighted: tuple[tuple[T, float], ...]) -> T:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def reference_day(seed: int = REFERENCE_SEED, scale: float = 1.0) -> Day:
    """Generate the reference day; the same seed and scale always give the same day."""
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    rng = random.Random(seed)
    peak = max(arrival_rate_per_hour(h / 10.0, scale) for h in range(240))
    policies = tuple((p, p.share) for p in POLICIES)
    arrivals: list[Arrival] = []
    now = 0.0
    # Non-homogeneous Poisson arrivals by thinning a constant peak-rate process.
    while True:
        now += rng.expovariate(peak / 3600.0)
        if now >= DAY_SECONDS:
            break
        if rng.random() * peak > arrival_rate_per_hour(now / 3600.0, scale):
            continue
        policy = _pick(rng, policies)
        live = rng.random() < LIVE_SHARE
        severity = policy.severity
        mean_handle = HANDLE_MEAN_SECONDS[severity] * (LIVE_HANDLE_FACTOR if live else 1.0)
        handle = rng.lognormvariate(math.log(mean_handle) - HANDLE_SIGMA**2 / 2, HANDLE_SIGMA)
        arrivals.append(
            Arrival(
                item_id=f"ref-{len(arrivals) + 1:05d}",
                at_seconds=now,
                policy=policy.name,
                severity=severity,
                live=live,
                reach=int(rng.lognormvariate(math.log(300 if live else 30), 1.2)),
                confidence=round(rng.uniform(0.5, 1.0), 3),
                velocity=round(rng.expovariate(1 / 2.0 if live else 1 / 0.3), 3),
                sla_seconds=LIVE_SLA_MINUTES[severity] * 60.0 if live else RECORDED_SLA_HOURS[severity] * 3600.0,
                handle_seconds=round(max(15.0, handle), 1),
                language=_pick(rng, LANGUAGES),
                sensitivity_tier=policy.sensitivity_tier,
            )
        )
    return Day.of(arrivals, REFERENCE_STAFF, label=f"reference(seed={seed}, scale={scale:g})")
