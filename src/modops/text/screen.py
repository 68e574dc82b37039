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

import numpy as np

from modops.text.automod import AutoModCategory, AutoModSettings
from modops.text.batchnorm import normalize_batch
from modops.text.channels import DEFAULT_CHANNEL, ChannelConfig
from modops.text.classify import (
    DEFAULT_CLASSIFIER,
    Classifier,
    LinearCalibration,
    SecondStage,
    get_classifier,
    logits,
)
from modops.text.normalize import MAX_CHARS, truncate
from modops.text.patterns import BLOCKED, ChannelTerms
from modops.text.prefilter import JoinedSkeleton
from modops.text.terms import TermMatch, TermMatcher, default_terms

__all__ = ["LEXICON_FEATURES", "LineError", "Message", "Outcome", "Screener", "Verdict", "screen_jsonl"]

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


_CATEGORY_INDEX = {c.value: i for i, c in enumerate(AutoModCategory)}
#: names of :func:`lexicon_features`' columns, after the classifier logit in the calibration
LEXICON_FEATURES = tuple(f"{c.value}_term" for c in AutoModCategory)


def lexicon_features(hits: Sequence[TermMatch]) -> list[float]:
    """One 0/1 feature per AutoMod category: whether a listed term of it occurs."""
    features = [0.0] * len(_CATEGORY_INDEX)
    for hit in hits:
        column = _CATEGORY_INDEX.get(hit.category)
        if column is not None:
            features[column] = 1.0
    return features


def calibration_features(scores: Sequence[float], lexicon: np.ndarray) -> np.ndarray:
    """Rows of [classifier logit, lexicon features]: what the calibration maps to ``offensive``."""
    return np.column_stack((logits(scores), lexicon))


@dataclass(frozen=True, slots=True)
class _Plan:
    """A message's verdict as far as its hits' terms decide it (see :meth:`Screener._plan`).

    ``picks`` are the ranks, in the message's ordered hits, of those whose spans are
    the boundaries; ``score_holds`` whether a score at or over the threshold holds
    (when no term is caught).
    """

    categories: dict[str, float]
    held: bool
    category: str | None
    level: int
    picks: tuple[int, ...]
    reasons: tuple[str, ...]
    score_holds: bool


def _pick(
    starts: Sequence[int], ends: Sequence[int], first: int, ranks: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """The spans ``(starts[first + rank], ends[first + rank])`` of ``ranks``, as a tuple."""
    if len(ranks) == 1:
        row = first + ranks[0]
        return ((starts[row], ends[row]),)
    return tuple([(starts[first + rank], ends[first + rank]) for rank in ranks])


#: plans kept per screener; hit signatures repeat a lot, but their number has no bound
_PLAN_CACHE = 4096

_DEFAULT_MATCHER: TermMatcher | None = None


def default_matcher() -> TermMatcher:
    global _DEFAULT_MATCHER
    if _DEFAULT_MATCHER is None:
        _DEFAULT_MATCHER = TermMatcher(default_terms("en"))
    return _DEFAULT_MATCHER


class Screener:
    """Screens batches of messages for one channel's settings.

    The batch is pre-filtered as a whole (:mod:`modops.text.prefilter`): messages no
    term or pattern can touch skip the matchers and get their verdict from the
    classifier score alone, which is most of the traffic.
    """

    def __init__(
        self,
        settings: AutoModSettings,
        channel_terms: ChannelTerms | None = None,
        classifier: Classifier | None = None,
        *,
        matcher: TermMatcher | None = None,
        calibration: LinearCalibration | None = None,
        second_stage: SecondStage | None = None,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.settings = settings
        self.second_stage = second_stage
        self.channel_terms = channel_terms
        self.classifier = classifier if classifier is not None else get_classifier(DEFAULT_CLASSIFIER)
        self.matcher = matcher if matcher is not None else default_matcher()
        self.calibration = calibration if calibration is not None else LinearCalibration.load()
        self.max_chars = max_chars
        hostility = max(
            settings.level(AutoModCategory.AGGRESSION),
            settings.level(AutoModCategory.BULLYING),
        )
        self.classifier_threshold = CLASSIFIER_THRESHOLDS[hostility]
        self._levels = {c.value: settings.level(c) for c in AutoModCategory}
        # Lexicon feature column of each matcher entry's category (-1: none).
        self._columns = np.array(
            [_CATEGORY_INDEX.get(term.category, -1) for term in self.matcher.terms], dtype=np.int64
        )
        self._plans: dict[tuple[int, ...], _Plan] = {}

    def screen_texts(self, texts: Sequence[str]) -> list[Verdict]:
        return self.screen_batch([Message(str(i), t) for i, t in enumerate(texts)])

    def screen_batch(self, messages: Sequence[Message]) -> list[Verdict]:
        if not messages:
            return []
        limit = self.max_chars
        texts = [m.text for m in messages]
        cuts: dict[int, str] = {}
        if max(map(len, texts)) > limit:
            for index, text in enumerate(texts):
                if len(text) > limit:
                    texts[index], cut = truncate(text, limit)
                    if cut:
                        cuts[index] = cut
        batch = normalize_batch(texts)
        folded = batch.texts
        joined = JoinedSkeleton(folded, batch.elongated_map())
        hits = self.matcher.match_table(batch, joined)
        blocked: dict[int, list[TermMatch]] = {}
        if self.channel_terms is not None:
            blocked, hits = self.channel_terms.check_table(batch, joined, hits)
        count = len(messages)
        lexicon = np.zeros((count, len(LEXICON_FEATURES)))
        if len(hits):
            columns = self._columns[hits.entry]
            listed = columns >= 0
            lexicon[hits.owner[listed], columns[listed]] = 1.0
        offensive = self.offensive(folded, lexicon)
        threshold = self.classifier_threshold
        verdicts: list[Verdict] = []
        allow = Outcome.ALLOW
        # Messages whose hits are of the same terms in the same order get the same
        # verdict up to boundaries and score: its plan is worked out once per screener.
        bounds = hits.bounds(count)
        entries: list[int] = hits.entry.tolist()
        starts: list[int] = hits.start.tolist()
        ends: list[int] = hits.end.tolist()
        plans = self._plans
        for index, message in enumerate(messages):
            score = offensive[index]
            cut = cuts.get(index) if cuts else None
            first, stop = bounds[index], bounds[index + 1]
            if blocked and index in blocked:
                found = [self._match(entries[row], starts[row], ends[row]) for row in range(first, stop)]
                verdicts.append(self._verdict(message, found, blocked[index], cut, score))
            elif first != stop:
                signature = tuple(entries[first:stop])
                plan = plans.get(signature)
                if plan is None:
                    plan = self._plan_for(signature)
                verdicts.append(self._from_plan(plan, message, starts, ends, first, cut, score))
            elif score >= threshold:
                verdicts.append(self._score_hold(message, score, [], (cut,) if cut else ()))
            elif cut:
                verdicts.append(Verdict(message.id, allow, score, reasons=(cut,)))
            else:
                verdicts.append(Verdict(message.id, allow, score))
        return verdicts

    def offensive(self, folded: Sequence[str], lexicon: np.ndarray) -> list[float]:
        """Calibrated offensive probabilities from normalised texts and their lexicon features."""
        features = calibration_features(self.classifier.predict_proba(folded), lexicon)
        offensive = self.calibration.probabilities(features)
        if self.second_stage is not None:
            offensive = self.second_stage.refine(offensive, folded)
        result: list[float] = offensive.tolist()
        return result

    def _match(self, entry: int, start: int, end: int) -> TermMatch:
        term = self.matcher.terms[entry]
        return TermMatch(term.text, term.category, term.level, start, end)

    def _plan_for(self, signature: tuple[int, ...]) -> _Plan:
        """The plan for hits of the matcher's entries ``signature``, in hit order (cached)."""
        terms = self.matcher.terms
        plan = self._plan([(terms[entry].category, terms[entry].level) for entry in signature])
        if len(self._plans) >= _PLAN_CACHE:
            self._plans.clear()
        self._plans[signature] = plan
        return plan

    def _plan(self, hits: Sequence[tuple[str, int]]) -> _Plan:
        """What the verdict is for hits of these (category, level), in order, whatever their positions.

        A caught term holds, on the worst (lowest level, then earliest) caught term's
        category, with the caught hits of that category as boundaries. Otherwise the
        score decides: it holds (on the worst category other than swearing) unless the
        only evidence is swearing and swearing is not filtered.
        """
        categories: dict[str, float] = {}
        for category, level in hits:
            severity = _SEVERITY[level]
            if severity > categories.get(category, 0.0):
                categories[category] = severity
        levels = self._levels
        caught = [
            rank
            for rank, (category, level) in enumerate(hits)
            if levels.get(category, 0) > 0 and level <= levels.get(category, 0)
        ]
        if caught:
            worst = min(caught, key=lambda rank: hits[rank][1])
            category, level = hits[worst]
            return _Plan(
                categories,
                True,
                category,
                level,
                tuple(rank for rank in caught if hits[rank][0] == category),
                tuple(f"{hits[rank][0]} term at level {hits[rank][1]}" for rank in caught),
                True,
            )
        only_swearing = bool(hits) and all(category == _SWEARING for category, _ in hits)
        others = tuple(rank for rank, (category, _) in enumerate(hits) if category != _SWEARING)
        category = hits[min(others, key=lambda rank: hits[rank][1])][0] if others else AutoModCategory.BULLYING.value
        return _Plan(
            categories,
            False,
            category,
            levels.get(category, 0),
            others,
            (),
            not (only_swearing and self.settings.level(AutoModCategory.SWEARING) == 0),
        )

    def _from_plan(
        self,
        plan: _Plan,
        message: Message,
        starts: Sequence[int],
        ends: Sequence[int],
        first: int,
        cut: str | None,
        offensive: float,
    ) -> Verdict:
        if plan.held:
            reasons = (cut, *plan.reasons) if cut else plan.reasons
        elif offensive >= self.classifier_threshold and plan.score_holds:
            score = f"classifier score {offensive:.2f} >= {self.classifier_threshold:.2f}"
            reasons = (cut, score) if cut else (score,)
        else:
            return Verdict(
                message.id, Outcome.ALLOW, offensive, None, 0, (), (cut,) if cut else (), dict(plan.categories)
            )
        return Verdict(
            message.id,
            Outcome.HOLD,
            offensive,
            plan.category,
            plan.level,
            _pick(starts, ends, first, plan.picks),
            reasons,
            dict(plan.categories),
        )

    def _score_hold(
        self,
        message: Message,
        offensive: float,
        others: list[TermMatch],
        reasons: tuple[str, ...],
        categories: dict[str, float] | None = None,
    ) -> Verdict:
        category = min(others, key=lambda h: h.level).category if others else AutoModCategory.BULLYING.value
        return Verdict(
            message.id,
            Outcome.HOLD,
            offensive,
            category,
            self._levels.get(category, 0),
            tuple((h.start, h.end) for h in others),
            (*reasons, f"classifier score {offensive:.2f} >= {self.classifier_threshold:.2f}"),
            categories if categories is not None else {},
        )

    def _verdict(
        self, message: Message, hits: list[TermMatch], blocked: list[TermMatch], cut: str | None, offensive: float
    ) -> Verdict:
        """The verdict for a message's term hits and blocked-term hits (each ordered by start)."""
        plan = self._plan([(hit.category, hit.level) for hit in hits])
        if not blocked:
            starts = [hit.start for hit in hits]
            ends = [hit.end for hit in hits]
            return self._from_plan(plan, message, starts, ends, 0, cut, offensive)
        reasons: list[str] = [cut] if cut else []
        categories = dict(plan.categories)
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


def _config_parts(config: ChannelTerms | ChannelConfig | None) -> tuple[AutoModSettings | None, ChannelTerms | None]:
    if config is None:
        return None, None
    if isinstance(config, ChannelTerms):
        return None, config
    return config.settings, config.terms


def screen_jsonl(
    in_lines: Iterable[str | bytes],
    level: int | AutoModSettings = 3,
    channel_config: Mapping[str, ChannelTerms | ChannelConfig] | None = None,
    *,
    batch_size: int = 1024,
    classifier: Classifier | None = None,
    second_stage: SecondStage | None = None,
) -> Iterator[str | LineError]:
    """Screen ``{"id","text","channel"?,"user"?}`` lines; yield verdict lines or errors, in order.

    ``channel_config`` maps a channel to its settings; the key ``"*"`` applies to
    channels not listed and to messages without one. Lines given as bytes are
    decoded here, so invalid UTF-8 is reported for its line. Memory stays bounded
    by ``batch_size`` whatever the input length. ``second_stage`` re-scores the messages
    the classifier is unsure of.
    """
    settings = level if isinstance(level, AutoModSettings) else AutoModSettings.overall(level)
    shared = classifier if classifier is not None else get_classifier(DEFAULT_CLASSIFIER)
    screeners: dict[str | None, Screener] = {}
    configs = channel_config or {}

    def screener_for(channel: str | None) -> Screener:
        screener = screeners.get(channel)
        if screener is None:
            config = configs.get(channel) if channel is not None else None
            if config is None:
                config = configs.get(DEFAULT_CHANNEL)
            own_settings, terms = _config_parts(config)
            screener = screeners[channel] = Screener(own_settings or settings, terms, shared, second_stage=second_stage)
        return screener

    pending: list[Message | LineError] = []

    def flush() -> Iterator[str | LineError]:
        by_channel: dict[str | None, list[int]] = {}
        for position, item in enumerate(pending):
            if isinstance(item, Message):
                by_channel.setdefault(item.channel, []).append(position)
        out: list[str | LineError | None] = [p if isinstance(p, LineError) else None for p in pending]
        for channel, positions in by_channel.items():
            group = [pending[p] for p in positions]
            verdicts = screener_for(channel).screen_batch(group)  # type: ignore[arg-type]
            for position, verdict in zip(positions, verdicts, strict=True):
                out[position] = verdict.to_json()
        pending.clear()
        for result in out:
            assert result is not None
            yield result

    valid = 0
    for number, raw in enumerate(in_lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                pending.append(LineError(number, f"invalid UTF-8 at byte {exc.start}"))
                continue
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
