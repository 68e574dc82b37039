"""What a known-CSAM match sets in motion, in the matching transaction.

Quarantine (sealed evidence under legal hold), top priority in the restricted queue, the interim
action on the uploading account through the outbox, and an NCMEC report draft for a cleared
reviewer to confirm.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from modops.audit.services import NewEvent, record, require_transaction
from modops.childsafety.keys import evidence_cipher
from modops.childsafety.models import Evidence, NcmecReport
from modops.childsafety.services.reports import draft_report
from modops.enforcement.models import Action, ActionStatus
from modops.enforcement.services import ActionRequest, suggest_for, take_action
from modops.ops.ladder import ACCOUNT_ACTIONS, Step, parse_ladder
from modops.review.models import ItemStatus, ReviewItem
from modops.subjects.services import account_of

if TYPE_CHECKING:
    from modops.hashbanks.models import Bank
    from modops.hashbanks.services.matching import Hashed

HOLD_REASON = "known CSAM hash match: preserved for law enforcement"


def _event(item: ReviewItem, actor: str, verb: str, after: dict[str, Any], reason: str = "") -> NewEvent:
    return NewEvent.about_item(item, actor, verb, after=after, reason=reason)


def quarantine(item: ReviewItem, bank_name: str, match: dict[str, Any], hashed: Hashed, filename: str) -> Evidence:
    """Seal the bytes with the evidence key, bound to the record's id, and hold them."""
    require_transaction()
    now = timezone.now()
    account = account_of(item.subject)
    evidence = Evidence(
        subject=item.subject,
        review_item=item,
        account_external_id=account.external_id if account else "",
        bank_name=bank_name,
        match=match,
        content_type=hashed.content_type,
        original_filename=filename[:255],
        size=len(hashed.data),
        md5=hashed.hashes.md5,
        sha256=hashed.hashes.sha256,
        received_at=now,
        preserve_until=now + timedelta(days=settings.MODOPS_EVIDENCE_RETENTION_DAYS),
        legal_hold=True,
        legal_hold_reason=HOLD_REASON,
    )
    evidence.sealed = evidence_cipher().seal(hashed.data, aad=evidence.id.bytes)
    evidence.save(force_insert=True)
    return evidence


def _to_top(item: ReviewItem, actor: str) -> list[NewEvent]:
    """Put the item ahead of everything open in its queue."""
    top = (
        ReviewItem.objects.filter(queue_id=item.queue_id)
        .exclude(status=ItemStatus.CLOSED)
        .exclude(pk=item.pk)
        .aggregate(top=Max("priority"))["top"]
    )
    wanted = round(max(item.priority, (top or 0.0) + 1.0), 4)
    if wanted == item.priority and wanted == item.priority_floor:
        return []
    before = item.priority
    # The floor keeps the item at the top when a later signal recomputes its priority.
    item.priority = item.priority_floor = wanted
    item.save(update_fields=["priority", "priority_floor"])
    return [
        NewEvent.about_item(
            item,
            actor,
            "review_item.reprioritised",
            before={"priority": before},
            after={"priority": item.priority, "priority_floor": item.priority_floor},
            reason="known CSAM hash match: top priority",
        )
    ]


def _interim_step(bank: Bank, item: ReviewItem) -> Step:
    if bank.interim_action:
        return parse_ladder([bank.interim_action])[0]
    return suggest_for(item.subject, item.policy)


def interim_action(bank: Bank, item: ReviewItem, actor: str) -> list[NewEvent]:
    """The policy's interim action on the uploading account, automated, through the outbox."""
    step = _interim_step(bank, item)
    account = account_of(item.subject)
    if step.type in ACCOUNT_ACTIONS and account is None:
        return [_event(item, actor, "childsafety.interim_action_skipped", {"reason": "no account on record"})]
    target = account if step.type in ACCOUNT_ACTIONS else item.subject
    already = Action.objects.filter(
        subject=target, policy=item.policy, type=step.type.value, status=ActionStatus.ACTIVE, automated=True
    ).exists()
    if already:
        return []
    taken = take_action(
        ActionRequest(
            subject=item.subject,
            step=step,
            policy=item.policy,
            actor=actor,
            facts=f"Media uploaded by this account matched a list of known child sexual abuse material ({bank.name}).",
            automated=True,
        )
    )
    return taken.events


def on_csam_match(
    item: ReviewItem, bank: Bank, match: dict[str, Any], hashed: Hashed, filename: str, actor: str
) -> Evidence:
    require_transaction()
    item = ReviewItem.objects.select_related("subject", "policy", "queue").get(pk=item.pk)
    evidence = quarantine(item, bank.name, match, hashed, filename)
    events = [
        _event(
            item,
            actor,
            "evidence.quarantined",
            {
                "evidence_id": str(evidence.id),
                "bank": bank.name,
                "sha256": evidence.sha256,
                "md5": evidence.md5,
                "legal_hold": True,
                "preserve_until": evidence.preserve_until.isoformat(),
            },
        )
    ]
    events += _to_top(item, actor)
    events += interim_action(bank, item, actor)
    report: NcmecReport = draft_report(evidence, item)
    events.append(_event(item, actor, "ncmec.report_drafted", {"report_id": str(report.id)}))
    record(events)
    return evidence
