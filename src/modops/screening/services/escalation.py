"""Severe messages become detections in the core loop; repeat offenders are timed out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from modops.audit.services import record
from modops.enforcement.models import Action
from modops.enforcement.services import ActionRequest, take_action
from modops.intake.services import DetectionInput, submit_detection, submit_detections
from modops.ops.ladder import ActionType, Step
from modops.screening.models import ChannelSettings, Escalation, HeldMessage, HeldStatus
from modops.statements import Statements, bulk_set
from modops.subjects.kinds import SubjectKind
from modops.subjects.services import SubjectRef, upsert
from modops.text.classify import DEFAULT_CLASSIFIER

if TYPE_CHECKING:
    from modops.screening.services.pipeline import Incoming

ACTOR = "system:screening"

#: AutoMod category -> the policy its severe cases are reviewed under.
CATEGORY_POLICIES = {
    "aggression": "violence_threats",
    "race_ethnicity_or_religion": "hateful_conduct",
    "sexuality_sex_or_gender": "hateful_conduct",
    "disability": "hateful_conduct",
    "misogyny": "hateful_conduct",
    "bullying": "harassment",
    "sex_based_terms": "sexual_content",
    "child_safety": "youth_safety",
}
_DISCRIMINATION = ("race_ethnicity_or_religion", "sexuality_sex_or_gender", "disability", "misogyny")
#: A listed term of level 1-2 scores 0.8 or more in a verdict's categories.
SEVERE_TERM = 0.8
#: "High confidence" for a slur: the term, and the classifier agreeing it is offensive.
SLUR_CONFIDENCE = 0.7
#: A message no listed term explains but the classifier is all but sure of.
SEVERE_CLASSIFIER = 0.97


def severe_policy(verdict: dict[str, Any]) -> tuple[str, str, float, str] | None:
    """(policy, source, score, label) when a verdict is severe enough for human review, else None.

    Severe: child-safety terms; threats (aggression terms of level 1-2); slurs (discrimination
    terms of level 1-2) with the classifier agreeing; level-1 bullying or sexual terms with the
    classifier agreeing; a classifier-only hold at 0.97 or more.
    """
    categories: dict[str, float] = verdict.get("categories") or {}
    offensive = float(verdict.get("offensive") or 0.0)
    if categories.get("child_safety"):
        return CATEGORY_POLICIES["child_safety"], "automod", 1.0, "child_safety"
    if categories.get("aggression", 0.0) >= SEVERE_TERM:
        return CATEGORY_POLICIES["aggression"], "automod", max(offensive, categories["aggression"]), "aggression"
    for category in _DISCRIMINATION:
        if categories.get(category, 0.0) >= SEVERE_TERM and offensive >= SLUR_CONFIDENCE:
            return CATEGORY_POLICIES[category], "automod", max(offensive, categories[category]), category
    for category in ("bullying", "sex_based_terms"):
        if categories.get(category, 0.0) >= 1.0 and offensive >= SLUR_CONFIDENCE:
            return CATEGORY_POLICIES[category], "automod", max(offensive, categories[category]), category
    if verdict.get("verdict") == "hold" and not categories and offensive >= SEVERE_CLASSIFIER:
        return CATEGORY_POLICIES["bullying"], f"classifier:{DEFAULT_CLASSIFIER}", offensive, "offensive"
    return None


Found = tuple[str, str, float, str]


def _marker(message: Incoming, found: Found, now: datetime) -> Escalation:
    policy, source, _, _ = found
    return Escalation(
        message_id=message.id[:200],
        channel=(message.channel or "")[:100],
        user=(message.user or "")[:100],
        policy=policy,
        source=source,
        detection_id="",
        created_at=now,
    )


def _detection(message: Incoming, found: Found) -> DetectionInput:
    policy, source, score, label = found
    subject = SubjectRef(
        kind=SubjectKind.CHAT_MESSAGE,
        id=message.id[:200],
        account_id=(message.user or "")[:200] or None,
        channel_id=(message.channel or "")[:200] or None,
        text=message.text[:20_000].replace("\x00", "\ufffd"),
    )
    return DetectionInput(subject=subject, source=source, score=min(1.0, score), policy_code=policy, label=label)


def escalate(message: Incoming, verdict: dict[str, Any], found: Found, now: datetime) -> bool:
    """Submit one detection for a severe message, once per message id; False when done before."""
    try:
        with transaction.atomic():
            marker = _marker(message, found, now)
            marker.save(force_insert=True)
            body = submit_detection(_detection(message, found), ACTOR)
            marker.detection_id = body["detection_id"]
            marker.save(update_fields=["detection_id"])
    except IntegrityError:
        return False
    return True


def escalate_many(found: list[tuple[Incoming, dict[str, Any], Found]], now: datetime) -> list[str]:
    """Submit the detections of severe messages in one transaction, once per message id.

    The markers go in first, in one INSERT that skips message ids already escalated (here or by a
    concurrent worker: the unique index decides); only the messages whose marker went in are
    submitted, in one batch. Returns the message ids escalated now.
    """
    first: dict[str, tuple[Incoming, Found]] = {}
    for message, _, severe in found:
        first.setdefault(message.id[:200], (message, severe))
    if not first:
        return []
    markers = [_marker(message, severe, now) for message, severe in first.values()]
    with transaction.atomic():
        insert = Statements()
        insert.insert(markers, returning=["id", "message_id"], ignore_conflicts=True)
        stored = {message_id: pk for pk, message_id in insert.run()[0]}
        fresh = [m for m in markers if m.message_id in stored]
        if not fresh:
            return []
        bodies = submit_detections([_detection(*first[m.message_id]) for m in fresh], ACTOR)
        for marker, body in zip(fresh, bodies, strict=True):
            marker.pk = stored[marker.message_id]
            marker.detection_id = body["detection_id"]
        bulk_set(Escalation, fresh, ["detection_id"])
    return [m.message_id for m in fresh]


def maybe_auto_timeout(rule: ChannelSettings, user: str, now: datetime) -> bool:
    """Time the user out when they reached the channel's held/denied count within its window.

    Messages before the last automatic timeout do not count again, so one burst earns one timeout.
    """
    since = now - timedelta(minutes=rule.auto_timeout_window_minutes)
    with transaction.atomic():
        account = upsert(SubjectRef(kind=SubjectKind.ACCOUNT, id=user)).subject
        last = (
            Action.objects.filter(
                subject=account,
                type=ActionType.TIMEOUT.value,
                automated=True,
                channel_external_id=rule.channel,
                starts_at__gte=since,
            )
            .order_by("-starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
        recent = HeldMessage.objects.filter(channel=rule.channel, user=user).exclude(status=HeldStatus.ALLOWED)
        recent = recent.filter(held_at__gt=last) if last is not None else recent.filter(held_at__gte=since)
        count = recent.count()
        if count < rule.auto_timeout_after:
            return False
        taken = take_action(
            ActionRequest(
                subject=account,
                step=Step(ActionType.TIMEOUT, rule.auto_timeout_seconds),
                policy=None,
                actor=ACTOR,
                facts=(
                    f"{count} messages held or denied in channel {rule.channel} within "
                    f"{rule.auto_timeout_window_minutes} minutes"
                ),
                automated=True,
                channel=rule.channel,
            )
        )
        record(taken.events, at=now)
    return True
