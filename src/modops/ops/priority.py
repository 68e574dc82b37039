"""Priority of a review item: how urgently a person should look at it.

Pure functions, no Django. The formula::

    priority = S(severity) × R(reach) × L(live) × C(confidence) × V(velocity)

    S(severity)   = 3 ** (severity - 1)            severity 1..4  → 1, 3, 9, 27
    R(reach)      = 1 + log10(1 + reach)           reach: concurrent viewers when live, else followers
    L(live)       = 3 if live else 1
    C(confidence) = 0.5 + confidence               confidence 0..1: best detection score or reporter trust
    V(velocity)   = 1 + log2(1 + velocity)         velocity: reports per minute, exponentially decayed

Each factor is ≥ 0.5, so no single weak signal zeroes an item, and the logarithms keep a storm of
100,000 reports or a stream with a million viewers from drowning every other item: a live severe
harm outranks a non-live one of the same severity at any reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Time constant of the report-velocity decay, in seconds.
VELOCITY_TAU_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class PriorityInputs:
    severity: int
    reach: int
    live: bool
    confidence: float
    velocity: float


def severity_factor(severity: int) -> float:
    if not 1 <= severity <= 4:
        raise ValueError(f"severity must be 1..4, got {severity}")
    return float(3 ** (severity - 1))


def reach_factor(reach: int) -> float:
    return 1.0 + math.log10(1 + max(0, reach))


def live_factor(live: bool) -> float:
    return 3.0 if live else 1.0


def confidence_factor(confidence: float) -> float:
    return 0.5 + min(1.0, max(0.0, confidence))


def velocity_factor(velocity_per_minute: float) -> float:
    return 1.0 + math.log2(1.0 + max(0.0, velocity_per_minute))


def priority(inputs: PriorityInputs) -> float:
    """The product of the five factors above, rounded to 4 decimals so it sorts stably."""
    value = (
        severity_factor(inputs.severity)
        * reach_factor(inputs.reach)
        * live_factor(inputs.live)
        * confidence_factor(inputs.confidence)
        * velocity_factor(inputs.velocity)
    )
    return round(value, 4)


def decayed_count(previous: float, elapsed_seconds: float, tau: float = VELOCITY_TAU_SECONDS) -> float:
    """An exponentially decayed event count, as it stands ``elapsed_seconds`` after ``previous``."""
    return previous * math.exp(-max(0.0, elapsed_seconds) / tau)


def add_arrival(previous: float, elapsed_seconds: float, tau: float = VELOCITY_TAU_SECONDS) -> float:
    """Decay the count to now, then count one more arrival."""
    return decayed_count(previous, elapsed_seconds, tau) + 1.0


def velocity_per_minute(decayed: float, tau: float = VELOCITY_TAU_SECONDS) -> float:
    """A decayed count over time constant ``tau`` approximates ``rate × tau``; return the per-minute rate."""
    return decayed * 60.0 / tau
