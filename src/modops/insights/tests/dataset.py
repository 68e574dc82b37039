"""A small hand-made day of operations whose KPI values are worked out by hand in test_kpis.py.

The window is Monday 2025-03-03 00:00-24:00 UTC; ``t(h, m)`` is a time in it.

staff: alice, bob (dublin, emea, shift 08-16 local, shrinkage 0.25); carol (manila, apac,
08-16 local = 00-08 UTC, shrinkage 0.5). Productive hours: 6 + 6 + 4 = 16.

| item | queue | policy (tier) | lang | first signal | touches | closed | SLA due |
|---|---|---|---|---|---|---|---|
| I1 | general | spam (0) | en | user report 09:00 | alice claim 09:10, decide 09:20 (action) | 09:20 | 10:00 met |
| I2 | general | spam (0) | de | detection 10:00, user report 10:30 | bob claim 11:00, decide 11:30 (action) | 11:30 | 11:00 missed |
| I3 | live | gore (2) | en | trusted flagger 01:00 | carol claim 01:05, release 01:25, claim 02:00, decide 02:30 (action) | 02:30 | 01:15 missed |
| I4 | general | spam (0) | en | user report 12:00 | alice claim 12:10, decide 12:20 (no violation) | 12:20 | 13:00 met |
| I5 | general | spam (0) | en | user report 20:30 | - | open | |
| I6 | live | gore (2) | en | user report 22:00 | alice claim 23:00, still held | open | |
| I7 | general | spam (0) | en | user report 2025-02-28 | - | open | |
| I8 | general | spam (0) | en | 2025-03-01 | bob decide 2025-03-02 (action) | 2025-03-02 | |
| I9 | general | spam (0) | en | detection 14:00 | bob claim 14:00, decide 14:15 (action) | 14:15 | 15:00 met |

Automated actions without a decision: 05:00 on an unreported message; 06:00 on a message a user
reported at 05:30. Strikes: account A1 at 09:20 and 11:30 (repeat), A2 at 02:30 (its earlier strike
had expired), A3 at 14:15 (its earlier strike was voided).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction

from modops.accounts.models import Site
from modops.audit.services import NewEvent, record
from modops.enforcement.models import Action, Strike
from modops.intake.models import Detection, Report
from modops.policies.models import Policy
from modops.review.models import Decision, Queue, ReviewItem
from modops.subjects.models import Subject
from modops.testing.factories import StaffFactory
from modops.workforce.models import Assignment, Shift

DAY = datetime(2025, 3, 3, tzinfo=UTC)


def t(hours: float, minutes: float = 0) -> datetime:
    return DAY + timedelta(hours=hours, minutes=minutes)


@dataclass
class Dataset:
    items: dict[str, ReviewItem] = field(default_factory=dict)
    staff: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[datetime, NewEvent]] = field(default_factory=list)


def _policy(code: str, severity: int, tier: int) -> Policy:
    return Policy.objects.create(
        code=code,
        name=code,
        text=code,
        severity=severity,
        sensitivity_tier=tier,
        sla_live_seconds=600,
        sla_seconds=3600,
        ladder=[],
        strike_expiry_days=30,
        dsa_category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    )


def build() -> Dataset:
    ds = Dataset()
    dublin = Site.objects.create(name="kpi-dublin", city="Dublin", time_zone="Europe/Dublin", region="emea")
    manila = Site.objects.create(name="kpi-manila", city="Manila", time_zone="Asia/Manila", region="apac")
    dublin_day = Shift.objects.create(
        site=dublin, name="day", weekdays=[0, 1, 2, 3, 4], start_hour=8, end_hour=16, shrinkage=0.25
    )
    manila_day = Shift.objects.create(
        site=manila, name="day", weekdays=[0, 1, 2, 3, 4], start_hour=8, end_hour=16, shrinkage=0.5
    )
    for name, site, shift in (
        ("alice", dublin, dublin_day),
        ("bob", dublin, dublin_day),
        ("carol", manila, manila_day),
    ):
        profile = StaffFactory(user__username=name, site=site, clearance=3, languages=["en", "de"])
        Assignment.objects.create(staff=profile, shift=shift, starts_on=date(2025, 1, 1))
        ds.staff[name] = profile.user
    general = Queue.objects.create(slug="kq-general", name="general")
    live = Queue.objects.create(slug="kq-live", name="live", clearance_tier=2)
    spam = _policy("kp-spam", 1, 0)
    gore = _policy("kp-gore", 3, 2)
    accounts = {a: Subject.objects.create(kind="account", external_id=f"kpi_{a}") for a in ("A1", "A2", "A3", "A4")}

    def item(
        key: str,
        queue: Queue,
        policy: Policy,
        lang: str,
        seen: datetime,
        due: datetime | None,
        closed: datetime | None,
        account: str,
    ) -> ReviewItem:
        subject = Subject.objects.create(kind="chat_message", external_id=f"kpi_msg_{key}", account=accounts[account])
        obj = ReviewItem.objects.create(
            subject=subject,
            policy=policy,
            queue=queue,
            status="closed" if closed else "open",
            first_seen_at=seen,
            last_signal_at=seen,
            sla_due_at=due or seen + timedelta(hours=1),
            closed_at=closed,
            language=lang,
            tier=policy.sensitivity_tier,
        )
        ds.items[key] = obj
        return obj

    def report(obj: ReviewItem | None, at: datetime, source: str = "user", subject: Subject | None = None) -> None:
        signal(at, obj, "report.received")
        Report.objects.create(
            subject=subject or obj.subject,  # type: ignore[union-attr]
            policy=obj.policy if obj else spam,
            review_item=obj,
            reporter_id="r",
            source=source,
            received_at=at,
        )

    def detection(obj: ReviewItem, at: datetime) -> None:
        signal(at, obj, "detection.received")
        Detection.objects.create(
            subject=obj.subject, policy=obj.policy, review_item=obj, source="automod", score=0.9, received_at=at
        )

    def event(at: datetime, obj: ReviewItem, who: str, verb: str) -> None:
        ds.events.append((at, NewEvent(actor=f"staff:{who}", verb=verb, review_item_id=obj.id)))

    # Signals and actions record events as the intake and enforcement services do.
    def signal(at: datetime, obj: ReviewItem | None, verb: str) -> None:
        ds.events.append((at, NewEvent(actor="system:intake", verb=verb, review_item_id=obj.id if obj else None)))

    def acted(at: datetime, action: Action, obj: ReviewItem | None) -> None:
        after = {"action_id": str(action.id)}
        ds.events.append(
            (at, NewEvent(actor="system", verb="action.taken", review_item_id=obj.id if obj else None, after=after))
        )

    def decide(obj: ReviewItem, who: str, at: datetime, violation: bool, account: str | None) -> None:
        decision = Decision.objects.create(
            review_item=obj, decided_by=ds.staff[who], violation=violation, action_type="warn" if violation else "none"
        )
        Decision.objects.filter(pk=decision.pk).update(created_at=at)
        event(at, obj, who, "decision.made")
        if violation:
            action = Action.objects.create(
                subject=accounts[account or "A1"], decision=decision, policy=obj.policy, type="warn", starts_at=at
            )
            Action.objects.filter(pk=action.pk).update(created_at=at)
            acted(at, action, obj)
            Strike.objects.create(
                account=accounts[account or "A1"],
                policy=obj.policy,
                action=action,
                created_at=at,
                expires_at=at + timedelta(days=30),
            )

    i1 = item("I1", general, spam, "en", t(9), t(10), t(9, 20), "A1")
    report(i1, t(9))
    event(t(9, 10), i1, "alice", "review_item.claimed")
    decide(i1, "alice", t(9, 20), True, "A1")

    i2 = item("I2", general, spam, "de", t(10), t(11), t(11, 30), "A1")
    detection(i2, t(10))
    report(i2, t(10, 30))
    event(t(11), i2, "bob", "review_item.claimed")
    decide(i2, "bob", t(11, 30), True, "A1")

    i3 = item("I3", live, gore, "en", t(1), t(1, 15), t(2, 30), "A2")
    report(i3, t(1), source="trusted_flagger")
    event(t(1, 5), i3, "carol", "review_item.claimed")
    event(t(1, 25), i3, "carol", "review_item.released")
    event(t(2), i3, "carol", "review_item.claimed")
    decide(i3, "carol", t(2, 30), True, "A2")

    i4 = item("I4", general, spam, "en", t(12), t(13), t(12, 20), "A4")
    report(i4, t(12))
    event(t(12, 10), i4, "alice", "review_item.claimed")
    decide(i4, "alice", t(12, 20), False, None)

    i5 = item("I5", general, spam, "en", t(20, 30), None, None, "A4")
    report(i5, t(20, 30))

    i6 = item("I6", live, gore, "en", t(22), None, None, "A4")
    report(i6, t(22))
    event(t(23), i6, "alice", "review_item.claimed")

    i7 = item("I7", general, spam, "en", datetime(2025, 2, 28, tzinfo=UTC), None, None, "A4")
    report(i7, datetime(2025, 2, 28, tzinfo=UTC))

    i8 = item("I8", general, spam, "en", datetime(2025, 3, 1, tzinfo=UTC), None, datetime(2025, 3, 2, tzinfo=UTC), "A4")
    report(i8, datetime(2025, 3, 1, tzinfo=UTC))
    decide(i8, "bob", datetime(2025, 3, 2, tzinfo=UTC), True, "A4")

    i9 = item("I9", general, spam, "en", t(14), t(15), t(14, 15), "A3")
    detection(i9, t(14))
    event(t(14), i9, "bob", "review_item.claimed")
    decide(i9, "bob", t(14, 15), True, "A3")

    # Automated actions with no decision: one before any report, one after a user report.
    quiet = Subject.objects.create(kind="chat_message", external_id="kpi_auto_1")
    loud = Subject.objects.create(kind="chat_message", external_id="kpi_auto_2")
    report(None, t(5, 30), subject=loud)
    for subject, at in ((quiet, t(5)), (loud, t(6))):
        action = Action.objects.create(
            subject=subject, policy=spam, type="delete_message", automated=True, starts_at=at
        )
        Action.objects.filter(pk=action.pk).update(created_at=at)
        acted(at, action, None)

    # Earlier strikes: A2's ran out before the day; A3's was voided.
    Strike.objects.create(
        account=accounts["A2"],
        policy=gore,
        created_at=datetime(2025, 2, 1, tzinfo=UTC),
        expires_at=datetime(2025, 2, 15, tzinfo=UTC),
    )
    Strike.objects.create(
        account=accounts["A3"],
        policy=spam,
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
        expires_at=t(24 * 30),
        voided=True,
    )

    with transaction.atomic():
        for at, new in sorted(ds.events, key=lambda pair: pair[0]):
            record([new], at=at)
    return ds
