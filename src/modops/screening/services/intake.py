"""Where chat goes on arrival: onto the bus when one is configured, else screened here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modops.screening.services.pipeline import Incoming, screen_batch


@dataclass(frozen=True)
class Queued:
    """The messages went to the bus; verdicts will appear on its verdict subjects."""

    accepted: int
    published: int


def submit_chat(messages: list[Incoming]) -> list[dict[str, Any]] | Queued:
    """Verdicts in order (in-process), or :class:`Queued` when ``MODOPS_BUS_URL`` is set.

    Raises :class:`modops.screening.bus.BusUnavailable` when the bus cannot take them.
    """
    from modops.screening.bus import publisher

    bus = publisher()
    if bus is None:
        return screen_batch(messages)
    return Queued(len(messages), bus.publish(messages))
