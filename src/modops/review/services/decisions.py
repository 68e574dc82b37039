"""Decisions: a moderator's verdict on a review item, and the enforcement it sets off."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from modops.accounts.permissions import Perm, PermissionDenied
from modops.accounts.services import clearance_of, require
from modops.audit.services import NewEvent, append_with, lock_head
from modops.enforcement.models import Action
from modops.enforcement.services import ActionRequest, Taken, suggest_for, take_action
from modops.enforcement.services.actions import UNEXPIRED_STRIKES_PARAMS, UNEXPIRED_STRIKES_SQL, reserve_strike_id
from modops.ops.ladder import ActionType, Step
from modops.policies.models import Policy
from modops.policies.services import policy_by_id
from modops.review.models import Decision, ItemStatus, ReviewItem
from modops.review.services.errors import Conflict, Invalid, NotFound
from modops.statements import Rows, Statements
from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject


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


def _step(data: DecisionInput, policy: Policy, item: ReviewItem, suggestion: Step) -> Step:
    if not data.violation:
        return Step(ActionType.NONE)
    if data.action_type is None:
        return suggestion
    try:
        kind = ActionType(data.action_type)
    except ValueError:
        raise Invalid("action.type", f"unknown action type {data.action_type!r}") from None
    try:
        return Step(kind, data.duration_seconds)
    except ValueError as exc:
        raise Invalid("action.duration_seconds", str(exc)) from None


#: In the model's field order, as ``from_db`` wants them.
_SUBJECT_COLUMNS = ("id", "kind", "external_id", "account_id", "channel_id", "stream_id")


def _subject(values: tuple[Any, ...]) -> Subject | None:
    if values[0] is None:
        return None
    return Subject.from_db(connection.alias, _SUBJECT_COLUMNS, values)


def _read_locked_item(item_id: uuid.UUID, now: datetime, read: Statements) -> int:
    """Queue in ``read`` the item, locked, with its subject, the subject's account and channel, and
    the account's unexpired strikes under the item's policy: one statement, for the decision's hot
    path. Returns its place in the batch's results, for ``_locked_item``."""
    subject_columns = ", ".join(f"{{t}}.{c}" for c in _SUBJECT_COLUMNS)
    owner = "COALESCE(s.account_id, CASE WHEN s.kind = %s THEN s.id END)"
    strikes = UNEXPIRED_STRIKES_SQL.format(account=owner, policy="r.policy_id")
    lock = " FOR UPDATE OF r" if connection.vendor == "postgresql" else ""
    return read.add(
        "SELECT r.id, r.status, r.version, r.tier, r.claimed_by_id, r.lease_expires_at > %s, r.policy_id, "  # noqa: S608
        f"{subject_columns.format(t='s')}, {subject_columns.format(t='a')}, {subject_columns.format(t='c')}, "
        f"({strikes}) "
        "FROM review_reviewitem r JOIN subjects_subject s ON s.id = r.subject_id "
        "LEFT JOIN subjects_subject a ON a.id = s.account_id "
        "LEFT JOIN subjects_subject c ON c.id = s.channel_id "
        f"WHERE r.id = %s{lock}",
        [
            connection.ops.adapt_datetimefield_value(now),
            SubjectKind.ACCOUNT.value,
            *UNEXPIRED_STRIKES_PARAMS,
            ReviewItem._meta.pk.get_db_prep_value(item_id, connection),
        ],
        prepare=True,
    )


def _locked_item(item_id: uuid.UUID, found: Rows) -> tuple[ReviewItem, int] | None:
    """The item and the account's unexpired strikes, from ``_read_locked_item``'s rows."""
    if not found:
        return None
    row = found[0]
    n = len(_SUBJECT_COLUMNS)
    subject = _subject(row[7 : 7 + n])
    assert subject is not None
    account, channel = _subject(row[7 + n : 7 + 2 * n]), _subject(row[7 + 2 * n : 7 + 3 * n])
    if subject.account_id:
        subject.account = account
    if subject.channel_id:
        subject.channel = channel
    loaded = {
        "id": item_id,
        "status": row[1],
        "version": row[2],
        "tier": row[3],
        "claimed_by_id": row[4],
        "policy_id": row[6],
        "subject_id": subject.pk,
    }
    # from_db takes the loaded values in the model's field order; the rest stay deferred.
    names = [f.attname for f in ReviewItem._meta.concrete_fields if f.attname in loaded]
    item = ReviewItem.from_db(connection.alias, names, [loaded[n] for n in names])
    item.subject = subject
    item.policy = policy_by_id(row[6])
    item.lease_live = bool(row[5])  # type: ignore[attr-defined]
    return item, int(row[-1])


def decide(user: User, item_id: uuid.UUID, data: DecisionInput) -> DecisionResult:
    """Record the verdict, close the item, and take the action, all in one transaction.

    A stale ``version`` (someone else claimed, released or decided since the caller read the item)
    is refused with ``Conflict``, so two people can never both decide one item. The item is read in
    one statement, with the event log's head lock and a strike's id; the writes then travel with
    the events (``append_with``): two round trips in all on PostgreSQL.
    """
    require(user, Perm.REVIEW_DECIDE)
    now = timezone.now()
    with transaction.atomic():
        read = Statements()
        at_item = _read_locked_item(item_id, now, read)
        at_head = lock_head(read)
        at_strike = reserve_strike_id(read)
        results = read.run()
        found = _locked_item(item_id, results[at_item])
        if found is None:
            raise NotFound(f"review item {item_id}")
        item, strikes = found
        if item.tier > clearance_of(user):
            raise PermissionDenied(f"item needs clearance {item.tier}")
        if item.status == ItemStatus.CLOSED:
            raise Conflict("the item is already decided")
        if item.version != data.version:
            raise Conflict(f"stale version {data.version}: the item is at version {item.version}")
        if item.status == ItemStatus.CLAIMED and item.claimed_by_id != user.pk and item.lease_live:  # type: ignore[attr-defined]
            raise Conflict("the item is claimed by someone else")
        policy = item.policy
        if data.policy_code and data.policy_code != policy.code:
            found_policy = Policy.objects.filter(code=data.policy_code, active=True).first()
            if found_policy is None:
                raise Invalid("policy", f"unknown policy {data.policy_code!r}")
            policy, strikes = found_policy, None  # type: ignore[assignment]
        suggestion = suggest_for(item.subject, policy, strikes)
        step = _step(data, policy, item, suggestion)
        decision = Decision(
            review_item=item,
            decided_by=user,
            violation=data.violation,
            policy=policy if data.violation else None,
            action_type=step.type.value,
            duration_seconds=step.duration_seconds,
            note=data.note,
            suggested=suggestion.as_dict(),
        )
        writes = Statements()
        writes.insert([decision], prepare=True)
        before = {"status": item.status, "version": item.version}
        writes.add(
            "UPDATE review_reviewitem SET status = %s, closed_at = %s, claimed_by_id = NULL, "
            "lease_expires_at = NULL, version = version + 1 WHERE id = %s",
            [
                ItemStatus.CLOSED.value,
                connection.ops.adapt_datetimefield_value(now),
                ReviewItem._meta.pk.get_db_prep_value(item.id, connection),
            ],
            prepare=True,
        )
        item.status, item.closed_at, item.claimed_by_id, item.lease_expires_at = ItemStatus.CLOSED, now, None, None
        item.version += 1
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
        taken: Taken | None = None
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
                    ),
                    writes,
                    strike_id=None if at_strike is None else results[at_strike][0][0],
                )
            except ValueError as exc:
                raise Invalid("action.type", str(exc)) from None
            actions.append(taken.action)
            events.extend(taken.events)

        append_with(
            writes,
            events,
            None if at_head is None else results[at_head],
            taken.settle if taken is not None else None,
            last=True,
        )
    return DecisionResult(decision, actions)
