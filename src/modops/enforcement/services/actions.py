"""Taking, expiring and reversing actions; recording and expiring strikes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from modops.audit.services import NewEvent, record, require_transaction
from modops.enforcement.models import Action, ActionStatus, Strike
from modops.enforcement.services.notices import statement_of_reasons
from modops.enforcement.services.outbox import enqueue
from modops.ops.ladder import ACCOUNT_ACTIONS, ActionType, Step, suggest
from modops.policies.models import Policy
from modops.review.models import Decision
from modops.statements import Rows, Statements
from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject
from modops.subjects.services import account_of

_CONTENT_TARGETS = {
    ActionType.DELETE_MESSAGE: {SubjectKind.CHAT_MESSAGE},
    ActionType.REMOVE_CONTENT: {SubjectKind.CLIP, SubjectKind.VOD, SubjectKind.IMAGE, SubjectKind.CHAT_MESSAGE},
    ActionType.END_STREAM: {SubjectKind.STREAM},
}


@dataclass
class ActionRequest:
    subject: Subject
    step: Step
    policy: Policy | None
    actor: str
    facts: str = ""
    decision: Decision | None = None
    automated: bool = False
    #: The channel it applies in, when the subject does not say (a channel moderator's ban of an account).
    channel: str = ""


@dataclass
class Taken:
    action: Action
    events: list[NewEvent] = field(default_factory=list)
    #: Strikes whose INSERT is still queued: (its index in the writes, the strike, its event).
    unsettled: list[tuple[int, Strike, NewEvent]] = field(default_factory=list)

    def settle(self, results: list[Rows]) -> None:
        """Fill in the ids the database gave the queued strikes, before the events are chained."""
        for at, strike, event in self.unsettled:
            strike.pk = results[at][0][0]
            event.after["strike_id"] = strike.pk
        self.unsettled = []


#: Unexpired strikes of account ``{account}`` under policy ``{policy}`` (SQL expressions), as SQL.
UNEXPIRED_STRIKES_SQL = (
    "SELECT count(*) FROM enforcement_strike st WHERE st.account_id = {account} AND st.policy_id = {policy} "
    "AND st.expired = %s AND st.voided = %s"
)
UNEXPIRED_STRIKES_PARAMS = (False, False)


def unexpired_strikes(account: Subject, policy: Policy) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            UNEXPIRED_STRIKES_SQL.format(account="%s", policy="%s"),
            [account.pk, policy.pk, *UNEXPIRED_STRIKES_PARAMS],
        )
        return int(cursor.fetchone()[0])


def suggest_for(subject: Subject, policy: Policy, strikes: int | None = None) -> Step:
    """The ladder step the account behind ``subject`` has earned under ``policy``.

    ``strikes``: the account's unexpired strikes under ``policy`` when the caller has read them.
    """
    if strikes is None:
        account = account_of(subject)
        strikes = unexpired_strikes(account, policy) if account else 0
    return suggest(policy.steps, strikes)


def _target(subject: Subject, kind: ActionType) -> Subject:
    if kind in ACCOUNT_ACTIONS:
        account = account_of(subject)
        if account is None:
            raise ValueError(f"{kind} needs an account, and {subject.ref} has none on record")
        return account
    allowed = _CONTENT_TARGETS.get(kind, set())
    if subject.kind in allowed:
        return subject
    if kind == ActionType.END_STREAM and subject.stream_id:
        return Subject.objects.get(pk=subject.stream_id)
    raise ValueError(f"{kind} cannot apply to a {subject.kind}")


def _channel_of(subject: Subject, target: Subject) -> str:
    for candidate in (subject, target):
        if candidate.kind == SubjectKind.CHANNEL:
            return candidate.external_id
        if candidate.channel_id:
            if Subject.channel.is_cached(candidate):
                return candidate.channel.external_id  # type: ignore[union-attr]
            return Subject.objects.only("external_id").get(pk=candidate.channel_id).external_id
    return ""


def _event(action: Action, actor: str, verb: str, after: dict[str, object], reason: str = "") -> NewEvent:
    return NewEvent(
        actor=actor,
        verb=verb,
        subject_kind=action.subject.kind,
        subject_external_id=action.subject.external_id,
        review_item_id=action.decision.review_item_id if action.decision else None,
        after=after,
        reason=reason,
    )


def reserve_strike_id(batch: Statements) -> int | None:
    """Queue the reservation of an id for a strike in ``batch``; returns its place in the batch's
    results, or None on SQLite, where only the INSERT gives one.

    With the id known before the strike's row is written, its event is complete before the writes
    run, and both travel together (``append_with``). An id reserved and not used leaves a gap,
    which nothing minds.
    """
    if connection.vendor != "postgresql":
        return None
    return batch.add(f"SELECT nextval(pg_get_serial_sequence('{Strike._meta.db_table}', 'id'))", prepare=True)


def take_action(req: ActionRequest, writes: Statements | None = None, strike_id: int | None = None) -> Taken:
    """Create the action with its notice, record a strike, and queue delivery in the outbox.

    Runs in the caller's transaction; returns the events for the caller to record last. With
    ``writes``, the rows are queued there for the caller to send with its own (``record_with``),
    and ``Taken.settle`` must see the results before the events are recorded, unless
    ``strike_id`` (from ``reserve_strike_id``) gave the strike its id.
    """
    require_transaction()
    deferred = writes is not None
    writes = writes if writes is not None else Statements()
    now = timezone.now()
    target = _target(req.subject, req.step.type)
    action = Action(
        subject=target,
        decision=req.decision,
        policy=req.policy,
        type=req.step.type.value,
        duration_seconds=req.step.duration_seconds,
        automated=req.automated,
        channel_external_id=req.channel or _channel_of(req.subject, target),
        starts_at=now,
        ends_at=now + timedelta(seconds=req.step.duration_seconds) if req.step.duration_seconds else None,
    )
    action.notice = statement_of_reasons(action, req.policy, req.facts)
    writes.insert([action], prepare=True)
    taken = Taken(action)
    taken.events.append(
        _event(
            action, req.actor, "action.taken", {"action_id": str(action.id), **req.step.as_dict(), "target": target.ref}
        )
    )
    account = account_of(target)
    if req.policy is not None and account is not None:
        strike = Strike(
            id=strike_id,
            account=account,
            policy=req.policy,
            action=action,
            created_at=now,
            expires_at=now + timedelta(days=req.policy.strike_expiry_days),
        )
        event = NewEvent(
            actor=req.actor,
            verb="strike.recorded",
            subject_kind=account.kind,
            subject_external_id=account.external_id,
            after={"strike_id": strike_id, "policy": req.policy.code, "expires_at": strike.expires_at.isoformat()},
        )
        taken.events.append(event)
        if strike_id is None:
            taken.unsettled.append((writes.insert([strike], returning=["id"], prepare=True), strike, event))
        else:
            writes.insert([strike], prepare=True)
    enqueue(action, "action.apply", _reference_subject(req.subject, target), writes)
    if not deferred:
        taken.settle(writes.run())
    return taken


def _reference_subject(subject: Subject, target: Subject) -> dict[str, object]:
    return {"kind": subject.kind, "id": subject.external_id, "target": {"kind": target.kind, "id": target.external_id}}


def reverse_action(
    action: Action, actor: str, reason: str, status: ActionStatus = ActionStatus.REVERSED
) -> list[NewEvent]:
    """End an action early (or at its natural end with ``EXPIRED``) and queue the platform reversal."""
    require_transaction()
    action.status = status
    action.ended_at = timezone.now()
    action.save(update_fields=["status", "ended_at"])
    if status == ActionStatus.REVERSED:
        Strike.objects.filter(action=action).update(voided=True)
    extra = {
        "kind": action.subject.kind,
        "id": action.subject.external_id,
        "reason": reason,
        "expired": status == ActionStatus.EXPIRED,
    }
    enqueue(action, "action.reverse", extra)
    verb = "action.expired" if status == ActionStatus.EXPIRED else "action.reversed"
    return [_event(action, actor, verb, {"action_id": str(action.id), "status": status.value}, reason)]


def expire_actions(now: datetime | None = None, batch: int = 500) -> int:
    """Reverse temporary actions whose time is up."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Action.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subject", "decision")
            .filter(status=ActionStatus.ACTIVE, ends_at__lte=now)[:batch]
        )
        events: list[NewEvent] = []
        for action in due:
            events.extend(reverse_action(action, "system:worker", "the action's time ran out", ActionStatus.EXPIRED))
        record(events)
    return len(due)


def expire_strikes(now: datetime | None = None, batch: int = 1000) -> int:
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Strike.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account", "policy")
            .filter(expired=False, expires_at__lte=now)[:batch]
        )
        for strike in due:
            strike.expired = True
            strike.save(update_fields=["expired"])
        record(
            NewEvent(
                actor="system:worker",
                verb="strike.expired",
                subject_kind=s.account.kind,
                subject_external_id=s.account.external_id,
                after={"strike_id": s.pk, "policy": s.policy.code},
            )
            for s in due
        )
    return len(due)
