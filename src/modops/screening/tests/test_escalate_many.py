"""Severe messages of a batch are escalated together, once per message id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modops.audit.models import Event
from modops.intake.models import Detection
from modops.review.models import ReviewItem
from modops.screening.models import Escalation
from modops.screening.services import Incoming, screen_batch
from modops.screening.services import escalation as escalation_module
from modops.screening.services.escalation import escalate_many

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)
THREAT = ("violence_threats", "automod", 1.0, "aggression")
SLUR = ("hateful_conduct", "automod", 0.9, "race_ethnicity_or_religion")


def _severe(*ids: str) -> list[tuple[Incoming, dict, tuple[str, str, float, str]]]:
    return [(Incoming(i, f"message {i}", "c1", f"u_{i}"), {}, THREAT if i < "m3" else SLUR) for i in ids]


def _markers_match_detections() -> None:
    markers = dict(Escalation.objects.values_list("message_id", "detection_id"))
    detections = {str(d.pk): d.subject.external_id for d in Detection.objects.select_related("subject")}
    assert {detections[d]: m for m, d in markers.items()} == {m: m for m in markers}


def test_a_batch_of_severe_messages_is_escalated_in_one_go() -> None:
    assert escalate_many(_severe("m1", "m2", "m3", "m1"), NOW) == ["m1", "m2", "m3"]
    assert Escalation.objects.count() == Detection.objects.count() == ReviewItem.objects.count() == 3
    _markers_match_detections()
    assert Event.objects.filter(verb="detection.received").count() == 3
    assert set(ReviewItem.objects.values_list("policy__code", flat=True)) == {"violence_threats", "hateful_conduct"}


def test_messages_escalated_before_are_skipped() -> None:
    assert escalate_many(_severe("m1", "m2"), NOW) == ["m1", "m2"]
    # Another worker's batch overlapping this one: only the new message goes through.
    assert escalate_many(_severe("m2", "m3"), NOW) == ["m3"]
    assert escalate_many(_severe("m1", "m3"), NOW) == []
    assert Escalation.objects.count() == Detection.objects.count() == 3
    _markers_match_detections()


def test_a_batch_screened_again_is_not_escalated_twice() -> None:
    batch = [
        Incoming("t1", "i will kill you", "c1", "u1"),
        Incoming("t2", "hello chat", "c1", "u2"),
        Incoming("t3", "i will kill you all", "c2", "u3"),
        Incoming("cs1", "selling ch1ld p0rn dm me", "c1", "u4"),
    ]
    screen_batch(batch)
    assert Detection.objects.count() == 3
    screen_batch(batch)
    screen_batch([*batch, Incoming("t4", "i will kill you", "c1", "u5")])
    assert Escalation.objects.count() == Detection.objects.count() == 4
    assert Event.objects.filter(verb="detection.received").count() == 4
    _markers_match_detections()


def test_a_failed_batch_falls_back_to_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(escalation_module, "submit_detections", broken)
    screen_batch([Incoming("t1", "i will kill you", "c1", "u1"), Incoming("t2", "i will kill you", "c1", "u2")])
    assert Escalation.objects.count() == Detection.objects.count() == 2
    _markers_match_detections()
