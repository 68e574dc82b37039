"""Severe messages reach the core loop; repeat offenders are timed out; raids are recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modops.audit.models import Event
from modops.conftest import Api
from modops.enforcement.models import Action
from modops.intake.models import Detection
from modops.screening.models import ChannelSettings, Escalation, RaidIncident
from modops.screening.services import Incoming, save_channel_settings, screen_batch
from modops.screening.services.escalation import severe_policy
from modops.screening.services.pipeline import FirstSeen
from modops.screening.services.raids import observe_raids
from modops.text.raid import RaidDetector

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("verdict", "policy"),
    [
        ({"categories": {"aggression": 1.0}, "offensive": 0.4}, "violence_threats"),
        ({"categories": {"race_ethnicity_or_religion": 1.0}, "offensive": 0.9}, "hateful_conduct"),
        ({"categories": {"misogyny": 0.8}, "offensive": 0.8}, "hateful_conduct"),
        ({"categories": {"bullying": 1.0}, "offensive": 0.9}, "harassment"),
        ({"categories": {"sex_based_terms": 1.0}, "offensive": 0.9}, "sexual_content"),
        ({"categories": {"child_safety": 1.0}, "offensive": 0.1}, "youth_safety"),
    ],
)
def test_severe_categories_map_to_policies(verdict: dict, policy: str) -> None:
    found = severe_policy({"verdict": "hold", **verdict})
    assert found is not None and found[0] == policy and found[1] == "automod"


def test_low_confidence_slur_and_swearing_are_not_severe() -> None:
    assert severe_policy({"verdict": "hold", "categories": {"disability": 0.8}, "offensive": 0.2}) is None
    assert severe_policy({"verdict": "hold", "categories": {"swearing": 1.0}, "offensive": 0.99}) is None
    assert severe_policy({"verdict": "hold", "categories": {}, "offensive": 0.99})[1].startswith("classifier:")


def test_threat_creates_one_detection_and_review_item_even_when_screened_twice() -> None:
    message = Incoming("t1", "i will kill you", "c1", "u1")
    first = screen_batch([message])[0]
    assert first["verdict"] == "hold" and first["categories"].get("aggression", 0) >= 0.8
    screen_batch([message])
    detection = Detection.objects.get()
    assert detection.policy.code == "violence_threats" and detection.source == "automod"
    assert detection.review_item is not None
    assert Escalation.objects.get().detection_id == str(detection.id)


def test_child_safety_terms_are_denied_and_escalated() -> None:
    verdict = screen_batch([Incoming("cs1", "selling ch1ld p0rn dm me", "c1", "u2")])[0]
    assert verdict["verdict"] == "deny" and verdict["categories"]["child_safety"] == 1.0
    assert Detection.objects.get().policy.code == "youth_safety"


def test_repeat_offender_gets_the_channel_timeout_once() -> None:
    save_channel_settings("c2", {"auto_timeout": {"after": 2, "window_minutes": 10, "seconds": 300}})
    screen_batch([Incoming("r1", "you are a retard", "c2", "bad")])
    assert not Action.objects.exists()
    screen_batch([Incoming("r2", "retard retard", "c2", "bad")])
    screen_batch([Incoming("r3", "such a retard", "c2", "bad")])
    action = Action.objects.get()
    assert action.type == "timeout" and action.duration_seconds == 300 and action.automated
    assert action.channel_external_id == "c2" and action.subject.external_id == "bad"


def test_raid_records_an_incident_and_lockdown_applies_in_one_call(moderator_api: Api) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    detector = RaidDetector(window_s=60, min_accounts=5)
    messages = [Incoming(f"r{i}", "this streamer is trash lol get out", "c3", f"bot{i}", True) for i in range(6)]
    incidents = observe_raids(messages, now, FirstSeen(), detector)
    assert len(incidents) == 1
    incident = RaidIncident.objects.get()
    assert set(incident.accounts) >= {f"bot{i}" for i in range(5)}
    assert incident.recommended_lockdown == ["followers", "slow", "shield_mode"]
    assert Event.objects.filter(verb="raid.detected", subject_external_id="c3").exists()
    listed = moderator_api.get("/channels/c3/incidents").json()
    assert listed[0]["id"] == str(incident.id)
    response = moderator_api.post("/channels/c3/lockdown", {"moderator_id": "mod_1", "incident_id": str(incident.id)})
    assert response.status_code == 200
    chat = ChannelSettings.objects.get(channel="c3").chat
    assert chat["follower_mode"] and chat["slow_mode_wait_time"] == 30 and chat["shield_mode"]
    incident.refresh_from_db()
    assert incident.lockdown_applied_at is not None


def test_first_seen_needs_a_warm_channel() -> None:
    seen = FirstSeen(warmup_s=60)
    assert not seen.first_time("c", "a", 0.0)  # the process just started watching
    assert seen.first_time("c", "b", 61.0)
    assert not seen.first_time("c", "b", 62.0)
