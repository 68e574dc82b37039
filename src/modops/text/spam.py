"""Chat spam detectors: small, stateful, with explicit clocks.

Every stateful detector takes the message timestamp (seconds, any epoch) from the
caller, so replaying a log gives the same answers as live traffic.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from datasketch import MinHash, MinHashLSH

from modops.text.normalize import normalize

__all__ = [
    "LinkFilter",
    "NearDuplicateDetector",
    "RepeatDetector",
    "SpamHit",
    "caps_flood",
    "emote_flood",
    "minhash_of",
    "symbol_flood",
]


@dataclass(frozen=True, slots=True)
class SpamHit:
    kind: str
    detail: str


def caps_flood(text: str, min_letters: int = 12, ratio: float = 0.75) -> SpamHit | None:
    """Mostly capital letters in a message with enough letters to matter."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < min_letters:
        return None
    upper = sum(1 for c in letters if c.isupper())
    share = upper / len(letters)
    return SpamHit("caps_flood", f"{share:.0%} capitals") if share >= ratio else None


def symbol_flood(text: str, min_chars: int = 10, ratio: float = 0.5) -> SpamHit | None:
    """Mostly punctuation, symbols (not emoji) or box-drawing art."""
    visible = [c for c in text if not c.isspace()]
    if len(visible) < min_chars:
        return None
    symbols = sum(1 for c in visible if unicodedata.category(c)[0] in "PS" and unicodedata.category(c) != "So")
    share = symbols / len(visible)
    return SpamHit("symbol_flood", f"{share:.0%} symbols") if share >= ratio else None


# Twitch emote codes are words like ``Kappa``, ``PogChamp``, ``LUL``, ``monkaS``.
_EMOTE_WORD = re.compile(r"(?<!\S)(?:[A-Z][a-z]+[A-Z][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Z]{3,}|Kappa)(?!\S)")


def emote_flood(
    text: str,
    emote_positions: Sequence[tuple[int, int]] | None = None,
    max_emotes: int = 10,
) -> SpamHit | None:
    """Too many emotes: counted from the platform's positions, else by heuristic."""
    if emote_positions is not None:
        count = len(emote_positions)
    else:
        count = len(_EMOTE_WORD.findall(text)) + sum(1 for c in text if unicodedata.category(c) == "So")
    return SpamHit("emote_flood", f"{count} emotes") if count > max_emotes else None


_URL = re.compile(
    r"(?i)\b(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24})(?::\d+)?(?:/[^\s]*)?"
)
_TLD_HINT = re.compile(r"(?i)\.(?:com|net|org|io|gg|tv|ru|xyz|ly|me|co|info|biz|link|app|shop|site|top|us|uk|de)\b")


class LinkFilter:
    """Flags links whose host is not on the allow-list (subdomains of allowed hosts pass)."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.allowed = tuple(h.lower().lstrip(".") for h in allowed_hosts)

    def links(self, text: str) -> list[str]:
        # Fold full-width dots and confusables so "example。com" is still a link.
        folded = normalize(text).text if not text.isascii() else text
        found = []
        for match in _URL.finditer(folded):
            candidate = match.group(0)
            if "://" in candidate or _TLD_HINT.search(candidate):
                found.append(candidate)
        return found

    def _allowed(self, link: str) -> bool:
        host = urlsplit(link if "://" in link else "//" + link).hostname or ""
        return any(host == a or host.endswith("." + a) for a in self.allowed)

    def check(self, text: str) -> SpamHit | None:
        blocked = [link for link in self.links(text) if not self._allowed(link)]
        return SpamHit("link", ", ".join(blocked)) if blocked else None


class RepeatDetector:
    """One user sending the same (normalised) message too often within a window."""

    def __init__(self, window_s: float = 30.0, max_repeats: int = 3, max_users: int = 100_000) -> None:
        self.window_s = window_s
        self.max_repeats = max_repeats
        self.max_users = max_users
        self._recent: dict[str, deque[tuple[float, str]]] = {}

    def observe(self, user: str, text: str, timestamp: float) -> SpamHit | None:
        key = normalize(text).skeleton.text.strip()
        history = self._recent.get(user)
        if history is None:
            if len(self._recent) >= self.max_users:
                self._evict(timestamp)
            history = self._recent[user] = deque()
        while history and history[0][0] < timestamp - self.window_s:
            history.popleft()
        history.append((timestamp, key))
        count = sum(1 for _, k in history if k == key)
        if count > self.max_repeats:
            return SpamHit("repeat", f"{count} identical messages in {self.window_s:g}s")
        return None

    def _evict(self, now: float) -> None:
        stale = [u for u, h in self._recent.items() if not h or h[-1][0] < now - self.window_s]
        for user in stale:
            del self._recent[user]
        if len(self._recent) >= self.max_users:
            # Still full of active users: forget the oldest half rather than grow without bound.
            for user in list(self._recent)[: self.max_users // 2]:
                del self._recent[user]


def _shingles(text: str, size: int = 3) -> set[bytes]:
    skeleton = normalize(text).skeleton.text
    compact = " ".join(skeleton.split())
    if len(compact) <= size:
        return {compact.encode("utf-8", "surrogatepass")}
    return {compact[i : i + size].encode("utf-8", "surrogatepass") for i in range(len(compact) - size + 1)}


def minhash_of(text: str, num_perm: int = 64) -> MinHash:
    """MinHash of the character 3-grams of the normalised text."""
    minhash = MinHash(num_perm=num_perm)
    minhash.update_batch(list(_shingles(text)))
    return minhash


class NearDuplicateDetector:
    """Near-identical messages from different accounts within a window (MinHash LSH)."""

    def __init__(self, window_s: float = 60.0, threshold: float = 0.7, num_perm: int = 64) -> None:
        self.window_s = window_s
        self.num_perm = num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._entries: deque[tuple[float, str, str]] = deque()
        self._owner: dict[str, str] = {}
        self._counter = 0

    def _expire(self, timestamp: float) -> None:
        while self._entries and self._entries[0][0] < timestamp - self.window_s:
            _, key, _ = self._entries.popleft()
            self._lsh.remove(key)
            del self._owner[key]

    def observe(self, user: str, text: str, timestamp: float) -> set[str]:
        """Record the message; return the other accounts that sent a near-duplicate."""
        self._expire(timestamp)
        minhash = minhash_of(text, self.num_perm)
        others = {self._owner[key] for key in self._lsh.query(minhash)} - {user}
        self._counter += 1
        key = f"m{self._counter}"
        self._lsh.insert(key, minhash)
        self._owner[key] = user
        self._entries.append((timestamp, key, user))
        return others
