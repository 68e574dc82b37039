"""The policy taxonomy as loaded: every policy is complete and its ladder is valid."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from modops.policies.models import DSA_CATEGORIES, Policy
from modops.policies.services import UnknownPolicy, get_policy

pytestmark = pytest.mark.django_db

CODES = {
    "youth_safety",
    "violent_extremism",
    "violence_threats",
    "self_harm",
    "hateful_conduct",
    "harassment",
    "sexual_content",
    "illegal_activity",
    "spam_scams",
    "impersonation",
    "suspension_evasion",
    "private_information",
    "off_service_conduct",
    "misinformation",
}


def test_the_taxonomy_has_every_policy_code():
    assert set(Policy.objects.values_list("code", flat=True)) == CODES


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_policy_is_complete(code):
    policy = Policy.objects.get(code=code)
    policy.full_clean()
    assert 1 <= policy.severity <= 4
    assert 0 <= policy.sensitivity_tier <= 3
    assert 0 < policy.sla_live_seconds < policy.sla_seconds
    assert policy.steps, "a ladder with at least one step"
    assert policy.dsa_category in DSA_CATEGORIES
    if policy.severity <= 1:
        assert policy.strike_expiry_days == 90
    # Self-harm is severe but its strikes are short-lived on purpose: the person needs help, not a record.
    if policy.severity >= 3 and code != "self_harm":
        assert 365 <= policy.strike_expiry_days <= 730


def test_the_most_severe_harms_go_straight_to_indefinite_suspension():
    for code in ("youth_safety", "violent_extremism"):
        assert [s.type for s in Policy.objects.get(code=code).steps] == ["indefinite_suspension"]


def test_live_severe_harm_is_due_in_minutes():
    # Off-service conduct happens elsewhere: being live on the service does not make it urgent.
    for policy in Policy.objects.filter(severity__gte=3).exclude(code="off_service_conduct"):
        assert policy.sla_live_seconds <= 15 * 60, policy.code


@pytest.mark.parametrize("ladder", [[], [{"type": "banish"}], [{"type": "suspension"}], ["warn"], "warn"])
def test_the_admin_refuses_a_bad_ladder(ladder):
    policy = Policy.objects.get(code="harassment")
    policy.ladder = ladder
    with pytest.raises(ValidationError) as excinfo:
        policy.full_clean()
    assert "ladder" in excinfo.value.message_dict


def test_an_inactive_or_unknown_policy_is_unknown():
    Policy.objects.filter(code="misinformation").update(active=False)
    with pytest.raises(UnknownPolicy):
        get_policy("misinformation")
    with pytest.raises(UnknownPolicy):
        get_policy("jaywalking")
    assert get_policy("harassment").code == "harassment"
