"""Screening chat messages in batches: terms, channel rules, classifier, verdict.

Decision, per message:
- a channel blocked term -> ``deny`` (Twitch removes blocked terms outright);
- a listed term caught by the channel's AutoMod level for its category -> ``hold``;
- the calibrated offensive probability at or above the channel's classifier threshold
  -> ``hold``, unless the only evidence is swearing and swearing is not filtered;
- otherwise ``allow``.

The classifier threshold follows the hostility levels (the higher of aggression and
bullying): level 1: 0.97, 2: 0.9, 3: 0.8, 4: 0.65; level 0 never holds on the score.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from modops.text.automod import AutoModCategory, AutoModSettings
from modops.text.classify import Classifier, LinearCalibration, get_classifier
from modops.text.normalize import MAX_CHARS, Normalized, normalize, truncate
from modops.text.patterns import BLOCKED, ChannelTerms
from modops.text.terms import TermMatch, TermMatcher, default_terms

__all__ = ["LineError", "Message", "Outcome", "Screener", "Verdict", "screen_jsonl"]

CLASSIFIER_THRESHOLDS = {0: 2.0, 1: 0.97, 2: 0.9, 3: 0.8, 4: 0.65}
_SEVERITY = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4}
_SWEARING = AutoModCategory.SWEARING.value


class Outcome(StrEnum):
    ALLOW = "allow"
    HOLD = "hold"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    text: str
    channel: str | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    id: str
    outcome: Outcome
    offensive: float
    category: str | None = None
    level: int = 0
    #: (start, end) in the original text, end exclusive, in code points
    boundaries: tuple[tuple[int, int], ...] = ()
    reasons: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "verdict": self.outcome.value,
            "offensive": round(self.offensive, 4),
            "categories": {name: round(score, 4) for name, score in self.scores.items()},
            "level": self.level,
            # Twitch's AutoMod boundaries are inclusive at both ends.
            "boundaries": [{"start_pos": s, "end_pos": e - 1} for s, e in self.boundaries],
            "reasons": list(self.reasons),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def lexicon_features(hits: Sequence[TermMatch]) -> tuple[float, float, float]:
    """(severe non-swearing hit, mild non-swearing hit, swearing hit) as 0/1 features."""
    severe = mild = swear = 0.0
    for hit in hits:
        if hit.category == _SWEARING:
            swear = 1.0
        elif hit.level <= 2:
            severe = 1.0
        else:
            mild = 1.0
    return severe, mild, swear


_DEFAULT_MATCHER: TermMatcher | None = None


def default_matcher() -> TermMatcher:
    global _DEFAULT_MATCHER
    if _DEFAULT_MATCHER is None:
        _DEFAULT_MATCHER = TermMatcher(default_terms("en"))
    return _DEFAULT_MATCHER


class Screener:
    def __init__(
        self,
        settings: AutoModSettings,
        channel_terms: ChannelTerms | None = None,
        classifier: Classifier | None = None,
        *,
        matcher: TermMatcher | None = None,
        calibration: LinearCalibration | None = None,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.settings = settings
        self.channel_terms = channel_terms
        self.classifier = classifier if classifier is not None else get_classifier("profanity-check")
        self.matcher = matcher if matcher is not None else default_matcher()
        self.calibration = calibration if calibration is not None else LinearCalibration.load()
        self.max_chars = max_chars
        hostility = max(
            settings.level(AutoModCategory.AGGRESSION),
            settings.level(AutoModCategory.BULLYING),
        )
        self.classifier_threshold = CLASSIFIER_THRESHOLDS[hostility]

    def screen_texts(self, texts: Sequence[str]) -> list[Verdict]:
        return self.screen_batch([Message(str(i), t) for i, t in enumerate(texts)])

    def screen_batch(self, messages: Sequence[Message]) -> list[Verdict]:
        prepared: list[tuple[Normalized, str | None]] = []
        for message in messages:
            text, cut = truncate(message.text, self.max_chars)
            prepared.append((normalize(text), cut))
        scores = self.classifier.predict_proba([n.text for n, _ in prepared])
        return [
            self._verdict(message, normalized, cut, score)
            for message, (normalized, cut), score in zip(messages, prepared, scores, strict=True)
        ]

    def _verdict(self, message: Message, normalized: Normalized, cut: str | None, score: float) -> Verdict:
        hits = self.matcher.match(normalized)
        blocked: list[TermMatch] = []
        if self.channel_terms is not None:
            hits = self.channel_terms.suppress(hits, normalized) if hits else hits
            blocked = self.channel_terms.check(normalized)
        calibration = self.calibration
        offensive = calibration.probability((calibration.logit(score), *lexicon_features(hits)))
        reasons: list[str] = [cut] if cut else []
        categories: dict[str, float] = {}
        for hit in hits:
            severity = _SEVERITY[hit.level]
            if severity > categories.get(hit.category, 0.0):
                categories[hit.category] = severity
        if blocked:
            categories[BLOCKED] = 1.0
            reasons.extend(f"blocked term {b.term!r}" for b in blocked)
            return Verdict(
                message.id,
                Outcome.DENY,
                offensive,
                BLOCKED,
                0,
                tuple((b.start, b.end) for b in blocked),
                tuple(reasons),
                categories,
            )
        settings = self.settings
        caught = [h for h in hits if settings.catches(h.category, h.level)]
        if caught:
            worst = min(caught, key=lambda h: (h.level, h.start))
            reasons.extend(f"{h.category} term at level {h.level}" for h in caught)
            return Verdict(
                message.id,
                Outcome.HOLD,
                offensive,
                worst.category,
                worst.level,
                tuple((h.start, h.end) for h in caught if h.category == worst.category),
                tuple(reasons),
                categories,
            )
        only_swearing = bool(hits) and all(h.category == _SWEARING for h in hits)
        if offensive >= self.classifier_threshold and not (
            only_swearing and settings.level(AutoModCategory.SWEARING) == 0
        ):
            others = [h for h in hits if h.category != _SWEARING]
            category = min(others, key=lambda h: h.level).category if others else AutoModCategory.BULLYING.value
            reasons.append(f"classifier score {offensive:.2f} >= {self.classifier_threshold:.2f}")
            return Verdict(
                message.id,
                Outcome.HOLD,
                offensive,
                category,
                settings.level(category),
                tuple((h.start, h.end) for h in others),
                tuple(reasons),
                categories,
            )
        return Verdict(
            message.id,
            Outcome.ALLOW,
            offensive,
            None,
            0,
            (),
            tuple(reasons),
            categories,
        )


@dataclass(frozen=True, slots=True)
class LineError:
    line_number: int
    error: str

    def to_json(self) -> str:
        return json.dumps({"line": self.line_number, "error": self.error}, separators=(",", ":"))


def _parse(line: str, number: int) -> Message | LineError:
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        return LineError(number, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        return LineError(number, "expected a JSON object")
    ident, text = data.get("id"), data.get("text")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        return LineError(number, "missing or invalid 'id' (string or integer)")
    if not isinstance(text, str):
        return LineError(number, "missing or invalid 'text' (string)")
    channel, user = data.get("channel"), data.get("user")
    if channel is not None and not isinstance(channel, str):
        return LineError(number, "'channel' must be a string")
    if user is not None and not isinstance(user, (str, int)):
        return LineError(number, "'user' must be a string")
    return Message(str(ident), text, channel, None if user is None else str(user))


def screen_jsonl(
    in_lines: Iterable[str],
    level: int | AutoModSettings = 3,
    channel_config: Mapping[str, ChannelTerms] | None = None,
    *,
    batch_size: int = 1024,
    classifier: Classifier | None = None,
) -> Iterator[str | LineError]:
    """Screen ``{"id","text","channel"?,"user"?}`` lines; yield verdict lines or errors, in order.

    Memory stays bounded by ``batch_size`` whatever the input length.
    """
    settings = level if isinstance(level, AutoModSettings) else AutoModSettings.overall(level)
    shared = classifier if classifier is not None else get_classifier("profanity-check")
    screeners: dict[str | None, Screener] = {}

    def screener_for(channel: str | None) -> Screener:
        screener = screeners.get(channel)
        if screener is None:
            terms = channel_config.get(channel) if channel_config and channel is not None else None
            screener = screeners[channel] = Screener(settings, terms, shared)
        return screener

    pending: list[Message | LineError] = []

    def flush() -> Iterator[str | LineError]:
        messages = [p for p in pending if isinstance(p, Message)]
        by_channel: dict[str | None, list[Message]] = {}
        for message in messages:
            by_channel.setdefault(message.channel, []).append(message)
        verdicts: dict[int, Verdict] = {}
        for channel, group in by_channel.items():
            for message, verdict in zip(group, screener_for(channel).screen_batch(group), strict=True):
                verdicts[id(message)] = verdict
        for item in pending:
            yield item if isinstance(item, LineError) else verdicts[id(item)].to_json()
        pending.clear()

    valid = 0
    for number, raw in enumerate(in_lines, start=1):
        line = raw.strip()
        if not line:
            continue
        parsed = _parse(line, number)
        pending.append(parsed)
        if isinstance(parsed, Message):
            valid += 1
        if valid >= batch_size or len(pending) >= 4 * batch_size:
            yield from flush()
            valid = 0
    yield from flush()
