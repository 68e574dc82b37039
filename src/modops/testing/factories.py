"""factory_boy factories for the application's models."""

from __future__ import annotations

from functools import cache
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from modops.accounts.models import Site, StaffProfile
from modops.accounts.permissions import Role
from modops.accounts.services import create_token
from modops.subjects.models import Subject

TEST_PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' test password


@cache
def _test_password_hash() -> str:
    return make_password(TEST_PASSWORD)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("name",)

    name = "dublin"
    city = "Dublin"
    time_zone = "Europe/Dublin"
    region = "emea"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    # Argon2 is slow by design: hash the shared test password once, not once per user.
    password = factory.LazyFunction(lambda: _test_password_hash())


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.MODERATOR.value
    clearance = 1
    skills: Any = factory.LazyFunction(list)
    languages: Any = factory.LazyFunction(lambda: ["en"])
    site = factory.SubFactory(SiteFactory)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ("kind", "external_id")

    kind = "account"
    external_id = factory.Sequence(lambda n: f"acc_{n}")


def token_for(scopes: list[str], user: Any = None, name: str = "test") -> str:
    return create_token(name, scopes, user).secret


def report_body(
    subject_id: str = "st_123",
    kind: str = "stream",
    policy: str = "hateful_conduct",
    reporter: str = "acc_55",
    **subject: Any,
) -> dict[str, Any]:
    """A valid ``POST /api/v1/reports`` body; keyword arguments add subject context."""
    base: dict[str, Any] = {"kind": kind, "id": subject_id}
    if kind == "stream":
        base.update(channel_id="ch_9", account_id="acc_9", live=True, viewers=1200)
    base.update(subject)
    return {"subject": base, "policy": policy, "reporter_id": reporter, "text": "slurs on stream", "language": "en"}


def detection_body(
    subject_id: str = "msg_1", policy: str | None = "harassment", score: float = 0.93, **subject: Any
) -> dict[str, Any]:
    """A valid ``POST /api/v1/detections`` body on a chat message."""
    base: dict[str, Any] = {"kind": "chat_message", "id": subject_id, "account_id": "acc_9", "channel_id": "ch_9"}
    base.update(subject)
    body: dict[str, Any] = {"subject": base, "source": "classifier:toxicity", "score": score}
    if policy is not None:
        body["policy"] = policy
    return body


def open_item(
    subject_id: str = "m1",
    policy: str = "harassment",
    kind: str = "chat_message",
    account_id: str | None = "acc_9",
    channel_id: str | None = "ch_9",
    **context: Any,
) -> Any:
    """A review item opened by one report through the intake service (not live: general queue)."""
    from modops.intake.services import ReportInput, submit_report
    from modops.review.models import ReviewItem
    from modops.subjects.kinds import SubjectKind
    from modops.subjects.services import SubjectRef

    ref = SubjectRef(kind=SubjectKind(kind), id=subject_id, account_id=account_id, channel_id=channel_id, **context)
    body = submit_report(ReportInput(subject=ref, policy_code=policy, reporter_id="acc_reporter"), "api:test")
    return ReviewItem.objects.get(pk=body["review_item_id"])


def decide_item(user: Any, item: Any, action: str | None = None, duration: int | None = None, note: str = "") -> Any:
    """Decide ``item`` as a violation with ``action`` (the ladder's suggestion when None)."""
    from modops.review.services import DecisionInput, decide

    item.refresh_from_db()
    data = DecisionInput(violation=True, version=item.version, action_type=action, duration_seconds=duration, note=note)
    return decide(user, item.pk, data)
