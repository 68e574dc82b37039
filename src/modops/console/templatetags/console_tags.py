"""Small formatting filters for the console."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def age(seconds: float | None) -> str:
    """4m 12s, 3h 05m, 2d 4h: short enough for a table cell."""
    if seconds is None:
        return "—"
    s = int(max(seconds, 0))
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


@register.filter
def since(when: datetime | None) -> str:
    if when is None:
        return "—"
    return age((timezone.now() - when).total_seconds())


@register.filter
def until(when: datetime | None) -> str:
    if when is None:
        return "—"
    delta = (when - timezone.now()).total_seconds()
    return f"in {age(delta)}" if delta >= 0 else f"{age(-delta)} ago"


@register.filter
def duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    return age(seconds).replace("m 00s", "m").replace("h 00m", "h").replace("d 0h", "d")


@register.filter
def pct(value: float) -> int:
    return round(value * 100)


@register.filter
def words(value: str) -> str:
    return str(value).replace("_", " ")
