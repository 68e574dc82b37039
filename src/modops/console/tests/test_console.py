"""The console's pages and actions, through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from modops.accounts import exposure
from modops.accounts.models import ExposureSpan
from modops.audit.models import Event
from modops.console.tests.helpers import image_on, report, staff
from modops.review.models import Decision, ItemStatus, ReviewItem
from modops.review.services import claim_next

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    profile = staff(username)
    client = Client()
    client.force_login(profile.user)
    return client


def test_root_redirects_to_sign_in_when_signed_out() -> None:
    response = Client().get("/", follow=True)
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert response.redirect_chain[-1][0].startswith("/console/sign-in/")


def test_pages_send_a_content_security_policy_without_inline_scripts() -> None:
    response = Client().get("/console/sign-in/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert b"<script>" not in response.content


def test_claim_next_takes_the_highest_priority_item_across_queues_and_decide_claims_the_next() -> None:
    client = _client("moderator")
    low = report("m_low")
    high = report("st_1", policy="hateful_conduct", kind="stream", live=True, viewers=5000)
    assert high.queue.slug == "live" and low.queue.slug == "general"
    response = client.post("/console/claim/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/review/{high.id}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<h1>Review</h1>" in page.content
    high.refresh_from_db()
    response = client.post(
        f"/console/review/{high.id}/decide/",
        {"version": high.version, "violation": "no", "policy": "hateful_conduct", "next": "True"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/console/review/{low.id}/"
    assert Decision.objects.get(review_item=high).violation is False
    assert ReviewItem.objects.get(pk=low.pk).status == ItemStatus.CLAIMED


def test_a_stale_decision_is_refused_and_changes_nothing() -> None:
    client = _client("moderator")
    item = report("m1")
    client.post("/console/claim/")
    before = Event.objects.count()
    response = client.post(
        f"/console/review/{item.id}/decide/", {"version": 1, "violation": "yes", "policy": "harassment"}
    )
    assert response.status_code == 302
    assert not Decision.objects.exists()
    assert Event.objects.count() == before


def test_a_decision_with_an_unknown_policy_names_the_field() -> None:
    client = _client("moderator")
    item = report("m1")
    client.post("/console/claim/")
    item.refresh_from_db()
    response = client.post(
        f"/console/review/{item.id}/decide/", {"version": item.version, "violation": "yes", "policy": "nope"}
    )
    assert response.status_code == 400
    assert b"policy" in response.content
    assert not Decision.objects.exists()


def test_skip_escalate_and_note_are_logged() -> None:
    client = _client("moderator")
    first, second = report("m1"), report("m2")
    client.post("/console/claim/")
    held = ReviewItem.objects.get(status=ItemStatus.CLAIMED)
    client.post(f"/console/review/{held.id}/note/", {"note": "looks like a raid"})
    assert Event.objects.filter(verb="review_item.noted", reason="looks like a raid").exists()
    response = client.post(f"/console/review/{held.id}/skip/")
    assert response.status_code == 302
    other = ({first.id, second.id} - {held.id}).pop()
    assert response["Location"] == f"/console/review/{other}/"
    client.post(f"/console/review/{other}/escalate/", {"queue": "policy", "reason": "unclear rule"})
    assert ReviewItem.objects.get(pk=other).queue.slug == "policy"


def test_queue_table_shows_size_oldest_and_sla_risk() -> None:
    client = _client("moderator")
    item = report("m1")
    ReviewItem.objects.filter(pk=item.pk).update(sla_due_at=timezone.now() + timedelta(minutes=2))
    response = client.get("/console/queues/table/")
    assert response.status_code == 200
    row = response.content.decode().split("general")[1].split("</tr>")[0]
    assert '<span class="badge warn">1</span>' in row


def test_revealing_an_image_records_an_event_and_tier3_media_is_no_store() -> None:
    lead = _client("lead")
    item = report("img_1", policy="sexual_content", kind="image")
    media = image_on(item)
    response = lead.get(f"/console/media/{media.id}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=300"
    response = lead.post(f"/console/media/{media.id}/reveal/", {"item": str(item.id)})
    assert response.status_code == 200
    event = Event.objects.get(verb="media.revealed")
    assert event.actor == "staff:lead" and event.after["tier"] == 2
    secret = report("img_3", policy="youth_safety", kind="image")
    media3 = image_on(secret)
    assert lead.get(f"/console/media/{media3.id}/")["Cache-Control"] == "no-store"


def test_a_tier1_moderator_cannot_see_tier2_media_or_reveal_it() -> None:
    client = _client("moderator")
    media = image_on(report("img_1", policy="sexual_content", kind="image"))
    assert client.get(f"/console/media/{media.id}/").status_code == 403
    assert client.post(f"/console/media/{media.id}/reveal/").status_code == 403
    assert not Event.objects.filter(verb="media.revealed").exists()


def test_tier3_media_is_never_put_in_the_page_before_reveal() -> None:
    lead = _client("lead")
    item = report("img_3", policy="youth_safety", kind="image")
    media = image_on(item)
    assert claim_next(_user("lead")) is not None
    page = lead.get(f"/console/review/{item.id}/")
    assert page.status_code == 200
    assert f'src="/console/media/{media.id}/"'.encode() not in page.content
    assert b"Tier 3" in page.content and b"Reveal media" in page.content


def _user(username: str):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.get(username=username)


def test_over_the_exposure_cap_sensitive_items_are_no_longer_offered(settings) -> None:  # type: ignore[no-untyped-def]
    settings.MODOPS_EXPOSURE_CAP_SECONDS = 600
    senior = staff("senior")
    sensitive = report("m_sh", policy="self_harm")
    mild = report("m_sp", policy="spam_scams")
    assert sensitive.tier == 2 and sensitive.priority > mild.priority
    now = timezone.now()
    ExposureSpan.objects.create(
        user=senior.user, review_item_id=sensitive.id, tier=2, started_at=now - timedelta(minutes=11), last_seen_at=now
    )
    assert exposure.over_cap(senior.user)
    result = claim_next(senior.user)
    assert result is not None and result.item.pk == mild.pk


def test_heartbeats_count_exposure_and_gaps_do_not() -> None:
    senior = staff("senior")
    item = report("m_sh", policy="self_harm")
    start = timezone.now() - timedelta(minutes=10)
    exposure.touch(senior.user, item.id, 2, start)
    exposure.touch(senior.user, item.id, 2, start + timedelta(seconds=30))
    exposure.touch(senior.user, item.id, 2, start + timedelta(seconds=300))  # after a gap: a new span
    exposure.touch(senior.user, item.id, 1, start + timedelta(seconds=310))  # tier 1 never counts
    assert exposure.seconds_for(senior.user, start + timedelta(seconds=320)) == 30


def test_leads_see_everyones_exposure_and_moderators_do_not() -> None:
    assert _client("lead").get("/console/team/").status_code == 200
    assert _client("moderator").get("/console/team/").status_code == 403


def test_preferences_change_blur_for_that_moderator_only() -> None:
    client = _client("moderator")
    response = client.post("/console/preferences/", {"blur": "8"})
    assert response.status_code == 302
    profile = _user("moderator").staff
    assert profile.media_blur_px == 8 and profile.media_greyscale is False
    assert client.post("/console/preferences/", {"blur": "900"}).status_code == 400


def test_lookup_finds_a_subject_and_shows_its_timeline() -> None:
    client = _client("moderator")
    report("m1", account_id="acc_77")
    response = client.get("/console/lookup/", {"q": "acc_77"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Event timeline" in page.content
    assert client.get("/console/lookup/", {"q": ""}).status_code == 400


def test_nav_shows_only_links_the_role_allows() -> None:
    moderator = _client("moderator").get("/console/").content.decode()
    assert "Team exposure" not in moderator and ">Admin<" not in moderator
    lead = _client("lead").get("/console/").content.decode()
    assert "Team exposure" in lead
