"""Decisions: a moderator's verdict on a review item, and the enforcement it sets off."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, require
from modops.audit.services import NewEvent, record
from modops.enforcement.models import Action
from modops.enforcement.services import ActionRequest, suggest_for, take_action
from modops.ops.ladder import ActionType, Step
from modops.policies.models import Policy
from modops.review.models import Decision, ItemStatus, ReviewItem
from modops.review.services.errors import Conflict, Invalid, NotFound


@dataclass(frozen=True)
class DecisionInput:
    violation: bool
    version: int
    policy_code: str | None = None
    action_type: str | None = None
    duration_seconds: int | None = None
    note: str = ""


@dataclass(frozen=True)
class DecisionResult:
    decision: Decision
    actions: list[Action]


def _step(data: DecisionInput, policy: Policy, item: ReviewItem) -> Step:
    if not data.violation:
        return Step(ActionType.NONE)
    if data.action_type is None:
        return suggest_for(item.subject, policy)
    try:
        kind = ActionType(data.action_type)
    except ValueError:
        raise Invalid("action.type", f"unknown action type {data.action_type!r}") from None
    try:
        return Step(kind, data.duration_seconds)
    except ValueError as exc:
        raise Invalid("action.duration_seconds", str(exc)) from None


def decide(user: User, item_id: uuid.UUID, data: DecisionInput) -> DecisionResult:
    """Record the verdict, close the item, and take the action, all in one transaction.

    A stale ``version`` (someone else claimed, released or decided since the caller read the item)
    is refused with ``Conflict``, so two people can never both decide one item.
    """
    require(user, Perm.REVIEW_DECIDE)
    with transaction.atomic():
        item = (
            ReviewItem.objects.select_for_update(of=("self",))
            .select_related("subject", "subject__account", "subject__channel", "policy", "queue")
            .filter(pk=item_id)
            .first()
        )
        if item is None:
            raise NotFound(f"review item {item_id}")
        if item.tier > clearance_of(user):
            raise PermissionDenied(f"item needs clearance {item.tier}")
        if item.status == ItemStatus.CLOSED:
            raise Conflict("the item is already decided")
        if item.version != data.version:
            raise Conflict(f"stale version {data.version}: the item is at version {item.version}")
        now = timezone.now()
        if (
            item.status == ItemStatus.CLAIMED
            and item.claimed_by_id != user.pk
            and item.lease_expires_at is not None
            and item.lease_expires_at > now
        ):
            raise Conflict("the item is claimed by someone else")
        policy = item.policy
        if data.policy_code and data.policy_code != policy.code:
            found = Policy.objects.filter(code=data.policy_code, active=True).first()
            if found is None:
                raise Invalid("policy", f"unknown policy {data.policy_code!r}")
            policy = found
        suggestion = suggest_for(item.subject, policy)
        step = _step(data, policy, item)
        decision = Decision.objects.create(
            review_item=item,
            decided_by=user,
            violation=data.violation,
            policy=policy if data.violation else None,
            action_type=step.type.value,
            duration_seconds=step.duration_seconds,
            note=data.note,
            suggested=suggestion.as_dict(),
        )
        before = {"status": item.status, "version": item.version}
        item.status = ItemStatus.CLOSED
        item.closed_at = now
        item.claimed_by = None
        item.lease_expires_at = None
        item.version += 1
        item.save(update_fields=["status", "closed_at", "claimed_by", "lease_expires_at", "version"])
        actor = f"staff:{user.get_username()}"
        events = [
            NewEvent.about_item(
                item,
                actor,
                "decision.made",
                before=before,
                after={
                    "decision_id": str(decision.id),
                    "violation": data.violation,
                    "policy": policy.code,
                    "action": step.as_dict(),
                    "version": item.version,
                },
                reason=data.note,
            )
        ]
        actions: list[Action] = []
        if step.type != ActionType.NONE:
            try:
                taken = take_action(
                    ActionRequest(
                        subject=item.subject,
                        step=step,
                        policy=policy,
                        decision=decision,
                        automated=False,
                        actor=actor,
                        facts=data.note,
                    )
                )
            except ValueError as exc:
                raise Invalid("action.type", str(exc)) from None
            actions.append(taken.action)
            events.extend(taken.events)
        record(events)
    return DecisionResult(decision, actions)
