from __future__ import annotations


class Conflict(Exception):
    """The item changed under the caller (stale version, claimed by someone else, closed)."""


class NotFound(LookupError):
    pass


class Invalid(ValueError):
    """A request that is well-formed but cannot be carried out; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
