"""Hate-raid detection: bursts of new accounts posting near-duplicates into one channel.

Only messages from *suspect* accounts (first-time chatters, or accounts younger
than ``new_account_age_s``) are considered. When at least ``min_accounts`` of
them post near-duplicates into a channel within ``window_s`` seconds, one
:class:`RaidIncident` is raised for that channel. The same message family seen in
another channel gets the same ``campaign_id``, linking the raids.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from datasketch import MinHash, MinHashLSH

from modops.text.spam import minhash_of

__all__ = ["LOCKDOWN", "RaidDetector", "RaidIncident"]

#: Recommended lockdown, strongest last: follower-only chat, slow mode, Shield Mode.
LOCKDOWN = ("followers", "slow", "shield_mode")


@dataclass(frozen=True, slots=True)
class RaidIncident:
    channel: str
    campaign_id: str
    accounts: frozenset[str]
    started_at: float
    sample: str
    recommended_lockdown: tuple[str, ...] = field(default=LOCKDOWN)


@dataclass(slots=True)
class _Message:
    timestamp: float
    user: str
    text: str
    key: str


@dataclass(slots=True)
class _Open:
    campaign_id: str
    last_seen: float


class RaidDetector:
    def __init__(
        self,
        window_s: float = 60.0,
        min_accounts: int = 5,
        new_account_age_s: float = 7 * 86_400,
        threshold: float = 0.6,
        num_perm: int = 64,
    ) -> None:
        self.window_s = window_s
        self.min_accounts = min_accounts
        self.new_account_age_s = new_account_age_s
        self.threshold = threshold
        self.num_perm = num_perm
        self._channels: dict[str, tuple[MinHashLSH, deque[_Message]]] = {}
        self._minhashes: dict[str, MinHash] = {}
        self._campaigns = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._open: dict[tuple[str, str], _Open] = {}
        self._ids = itertools.count(1)

    def is_suspect(self, timestamp: float, first_time: bool, account_created_at: float | None) -> bool:
        if first_time:
            return True
        return account_created_at is not None and timestamp - account_created_at < self.new_account_age_s

    def observe(
        self,
        channel: str,
        user: str,
        text: str,
        timestamp: float,
        *,
        first_time: bool = False,
        account_created_at: float | None = None,
    ) -> RaidIncident | None:
        """Feed one chat message; returns an incident the first time a raid is recognised."""
        if not self.is_suspect(timestamp, first_time, account_created_at):
            return None
        lsh, recent = self._channels.setdefault(
            channel,
            (MinHashLSH(threshold=self.threshold, num_perm=self.num_perm), deque()),
        )
        while recent and recent[0].timestamp < timestamp - self.window_s:
            old = recent.popleft()
            lsh.remove(old.key)
            del self._minhashes[old.key]
        minhash = minhash_of(text, self.num_perm)
        similar = [m for m in recent if m.key in set(lsh.query(minhash))]
        key = f"{channel}\x00{next(self._ids)}"
        lsh.insert(key, minhash)
        self._minhashes[key] = minhash
        recent.append(_Message(timestamp, user, text, key))
        accounts = {m.user for m in similar} | {user}
        if len(accounts) < self.min_accounts:
            return None
        campaign_id = self._campaign_for(minhash, timestamp)
        opened = self._open.get((channel, campaign_id))
        if opened is not None and timestamp - opened.last_seen <= self.window_s:
            opened.last_seen = timestamp
            return None
        self._open[(channel, campaign_id)] = _Open(campaign_id, timestamp)
        started = min(m.timestamp for m in similar) if similar else timestamp
        return RaidIncident(channel, campaign_id, frozenset(accounts), started, text)

    def _campaign_for(self, minhash: MinHash, timestamp: float) -> str:
        """The id of the campaign whose messages look like this one, or a new id."""
        hits = self._campaigns.query(minhash)
        if hits:
            return str(min(hits))
        campaign_id = f"campaign-{next(self._ids)}"
        self._campaigns.insert(campaign_id, minhash)
        return campaign_id
