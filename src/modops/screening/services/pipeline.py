"""The chat path: screen a batch, store holds and denials, escalate what is severe, time out
repeat offenders, and watch for raids.

Every step is idempotent per message id (unique rows for holds and escalations), so a
message screened again after a worker died is not counted, held or escalated twice.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from django.db import transaction
from django.utils import timezone

from modops.intake.services import MAX_BATCH
from modops.screening.models import ChannelSettings, HeldMessage, HeldStatus
from modops.screening.services.channels import screeners_for
from modops.screening.services.escalation import escalate, escalate_many, maybe_auto_timeout, severe_policy
from modops.screening.services.raids import observe_raids
from modops.text.normalize import normalize
from modops.text.screen import Message, Outcome
from modops.text.terms import TermMatcher, load_terms

log = logging.getLogger("modops.screening")

HOLD_FOR = timedelta(minutes=5)
MAX_STORED_TEXT = 10_000
AUTOMOD = "automod"


@dataclass(frozen=True, slots=True)
class Incoming:
    """A chat message as intake received it, with what is known about its author."""

    id: str
    text: str
    channel: str | None = None
    user: str | None = None
    #: the author's first message in this channel (None: unknown, modops guesses)
    first_time: bool | None = None
    #: when the author's account was created, epoch seconds
    account_created_at: float | None = None

    def message(self) -> Message:
        return Message(self.id, self.text, self.channel, self.user)


@cache
def child_safety_matcher() -> TermMatcher:
    text = resources.files("modops.screening").joinpath("data", "child_safety.tsv").read_text("utf-8")
    return TermMatcher(load_terms(text.splitlines()))


def storable(text: str, limit: int = MAX_STORED_TEXT) -> str:
    """Text any database accepts: no NUL, no lone surrogates, bounded length."""
    return text[:limit].replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


class FirstSeen:
    """Guesses "first message in this channel" when the platform does not say.

    A user is first-time when this process has watched the channel for ``warmup_s``
    and not seen them in it; before that nobody is (a restart must not look like a raid).
    Bounded: the oldest channels and users are forgotten first.
    """

    def __init__(self, warmup_s: float = 600.0, max_users: int = 200_000, max_channels: int = 10_000) -> None:
        self.warmup_s = warmup_s
        self.max_users = max_users
        self.max_channels = max_channels
        self._channels: OrderedDict[str, float] = OrderedDict()
        self._users: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first_time(self, channel: str, user: str, now: float) -> bool:
        since = self._channels.get(channel)
        if since is None:
            self._channels[channel] = now
            if len(self._channels) > self.max_channels:
                self._channels.popitem(last=False)
            since = now
        key = (channel, user)
        seen = key in self._users
        self._users[key] = None
        self._users.move_to_end(key)
        if len(self._users) > self.max_users:
            self._users.popitem(last=False)
        return not seen and now - since >= self.warmup_s


FIRST_SEEN = FirstSeen()


def _apply_links(verdict: dict[str, Any], text: str, links: Any) -> dict[str, Any]:
    if links is None or not links.allowed or verdict["verdict"] != Outcome.ALLOW:
        return verdict
    hit = links.check(text)
    if hit is None:
        return verdict
    return {
        **verdict,
        "verdict": Outcome.HOLD.value,
        "reasons": [*verdict["reasons"], f"link outside the allow-list: {hit.detail[:200]}"],
    }


def _child_safety(text: str) -> list[str]:
    return [m.term for m in child_safety_matcher().match(normalize(text[:10_000]))]


def screen_batch(messages: list[Message] | list[Incoming], now: datetime | None = None) -> list[dict[str, Any]]:
    """Screen messages (grouped by channel) under their channel's settings; returns verdict dicts in order."""
    incoming = [m if isinstance(m, Incoming) else Incoming(m.id, m.text, m.channel, m.user) for m in messages]
    moment = now or timezone.now()
    screeners = screeners_for({m.channel or "" for m in incoming})
    # Channels sharing a screener (all those without settings) are screened as one batch.
    groups: dict[int, list[int]] = {}
    for index, message in enumerate(incoming):
        groups.setdefault(id(screeners[message.channel or ""][0]), []).append(index)
    out: list[dict[str, Any]] = [{} for _ in incoming]
    flagged: list[tuple[Incoming, dict[str, Any]]] = []
    for indices in groups.values():
        screener, _ = screeners[incoming[indices[0]].channel or ""]
        group = [incoming[i].message() for i in indices]
        for index, verdict in zip(indices, screener.screen_batch(group), strict=True):
            links = screeners[incoming[index].channel or ""][1].links
            out[index] = _apply_links(verdict.to_dict(), incoming[index].text, links)
    for index, message in enumerate(incoming):
        terms = _child_safety(message.text) if message.text else []
        if terms:
            out[index] = {
                **out[index],
                "verdict": Outcome.DENY.value,
                "categories": {**out[index]["categories"], "child_safety": 1.0},
                "reasons": [*out[index]["reasons"], f"child-safety term {terms[0]!r}"],
            }
        if out[index]["verdict"] != Outcome.ALLOW:
            flagged.append((message, out[index]))
    if flagged:
        _store(flagged, moment)
    if any(m.channel for m in incoming):
        observe_raids(incoming, moment, FIRST_SEEN)
    return out


def _store(flagged: list[tuple[Incoming, dict[str, Any]]], moment: datetime) -> None:
    """Holds wait for a moderator; denials are kept (already resolved) to count repeat offenders."""
    rows = [
        HeldMessage(
            message_id=message.id[:200],
            channel=(message.channel or "")[:100],
            user=(message.user or "")[:100],
            text=storable(message.text),
            verdict=verdict,
            status=HeldStatus.PENDING if verdict["verdict"] == Outcome.HOLD else HeldStatus.DENIED,
            resolved_by="" if verdict["verdict"] == Outcome.HOLD else AUTOMOD,
            held_at=moment,
            expires_at=moment + HOLD_FOR,
        )
        for message, verdict in flagged
    ]
    with transaction.atomic():
        existing = set(
            HeldMessage.objects.filter(message_id__in=[r.message_id for r in rows]).values_list("message_id", flat=True)
        )
        fresh = [r for r in rows if r.message_id not in existing]
        HeldMessage.objects.bulk_create(fresh, ignore_conflicts=True)
    fresh_ids = {r.message_id for r in fresh}
    offenders: set[tuple[str, str]] = set()
    severe = []
    for message, verdict in flagged:
        if message.id[:200] not in fresh_ids:
            continue  # seen before: already escalated and counted
        policy = severe_policy(verdict)
        if policy is not None:
            severe.append((message, verdict, policy))
        if message.channel and message.user:
            offenders.add((message.channel[:100], message.user[:100]))
    for start in range(0, len(severe), MAX_BATCH):
        _escalate(severe[start : start + MAX_BATCH], moment)
    if offenders:
        rules = {
            s.channel: s
            for s in ChannelSettings.objects.filter(channel__in={c for c, _ in offenders}, auto_timeout_after__gt=0)
        }
        for channel, user in sorted(offenders):
            if channel in rules:
                try:
                    maybe_auto_timeout(rules[channel], user, moment)
                except Exception:
                    log.exception("automatic timeout failed", extra={"data": {"channel": channel}})


def _escalate(severe: list[tuple[Incoming, dict[str, Any], tuple[str, str, float, str]]], moment: datetime) -> None:
    """Escalate in one batch; should the batch fail, one by one, so one bad message loses only itself."""
    try:
        escalate_many(severe, moment)
        return
    except Exception:
        log.exception("batch escalation failed", extra={"data": {"messages": len(severe)}})
    for message, verdict, policy in severe:
        try:
            escalate(message, verdict, policy, moment)
        except Exception:  # one bad escalation must not lose the batch's verdicts
            log.exception("escalation failed", extra={"data": {"message_id": message.id[:200]}})


def screen_one(message_id: str, text: str, channel: str, user: str = "") -> dict[str, Any]:
    return screen_batch([Incoming(message_id, text, channel, user or None)])[0]
