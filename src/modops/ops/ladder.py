"""Enforcement ladders: which action a violation earns, given the account's history.

A ladder is an ordered list of steps; an account with ``n`` unexpired strikes under the same policy
gets step ``n`` (the last step repeats once the ladder is climbed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActionType(StrEnum):
    WARN = "warn"
    DELETE_MESSAGE = "delete_message"
    TIMEOUT = "timeout"
    SUSPENSION = "suspension"
    INDEFINITE_SUSPENSION = "indefinite_suspension"
    REMOVE_CONTENT = "remove_content"
    END_STREAM = "end_stream"
    NONE = "none"


#: Actions that need a duration.
TIMED_ACTIONS = frozenset({ActionType.TIMEOUT, ActionType.SUSPENSION})
#: Actions taken against the account behind a subject (the others act on the content itself).
ACCOUNT_ACTIONS = frozenset(
    {ActionType.WARN, ActionType.TIMEOUT, ActionType.SUSPENSION, ActionType.INDEFINITE_SUSPENSION}
)
#: Twitch caps timeouts and timed bans at two weeks.
MAX_TIMEOUT_SECONDS = 1_209_600


@dataclass(frozen=True, slots=True)
class Step:
    type: ActionType
    duration_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.type in TIMED_ACTIONS:
            if self.duration_seconds is None or self.duration_seconds <= 0:
                raise ValueError(f"{self.type} needs a positive duration_seconds")
        elif self.duration_seconds is not None:
            raise ValueError(f"{self.type} takes no duration")

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.type.value}
        if self.duration_seconds is not None:
            out["duration_seconds"] = self.duration_seconds
        return out


def parse_ladder(raw: list[dict[str, object]]) -> list[Step]:
    """Validate a ladder as stored in configuration (a JSON list of steps)."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("a ladder is a list of at least one step")
    steps = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ValueError(f"step {i}: expected an object with a type")
        try:
            kind = ActionType(str(entry["type"]))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"step {i}: unknown or missing type") from exc
        duration = entry.get("duration_seconds")
        # bool is an int subclass; JSON true is not a duration.
        if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool)):
            raise ValueError(f"step {i}: duration_seconds must be an integer")
        try:
            steps.append(Step(kind, duration))
        except ValueError as exc:
            raise ValueError(f"step {i}: {exc}") from exc
    return steps


def suggest(ladder: list[Step], unexpired_strikes: int) -> Step:
    """The step for an account with this many unexpired strikes under the policy."""
    if not ladder:
        raise ValueError("empty ladder")
    return ladder[min(max(0, unexpired_strikes), len(ladder) - 1)]
