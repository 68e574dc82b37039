"""Subjects are created or brought up to date from what intake sends; standing is readable."""

from __future__ import annotations

import pytest
from django.db import transaction

from modops.subjects.kinds import SubjectKind
from modops.subjects.models import Subject
from modops.subjects.services import SubjectRef, account_of, upsert
from modops.testing.factories import decide_item, open_item, report_body

pytestmark = pytest.mark.django_db


def _upsert(**kwargs):
    with transaction.atomic():
        return upsert(SubjectRef(**kwargs))


def test_a_subject_is_keyed_by_kind_and_platform_id():
    first = _upsert(kind=SubjectKind.STREAM, id="st_1", viewers=10).subject
    again = _upsert(kind=SubjectKind.STREAM, id="st_1", viewers=20).subject
    other_kind = _upsert(kind=SubjectKind.CHANNEL, id="st_1").subject
    assert first.pk == again.pk != other_kind.pk
    assert Subject.objects.get(pk=first.pk).viewers == 20


def test_context_links_the_account_channel_and_stream():
    message = _upsert(
        kind=SubjectKind.CHAT_MESSAGE, id="m1", account_id="acc_1", channel_id="ch_1", stream_id="st_1", text="hi"
    ).subject
    assert (message.account.ref, message.channel.ref, message.stream.ref) == (
        "account:acc_1",
        "channel:ch_1",
        "stream:st_1",
    )
    assert account_of(message).external_id == "acc_1"
    account = Subject.objects.get(kind="account", external_id="acc_1")
    assert account_of(account) == account


def test_missing_context_does_not_erase_what_is_known():
    _upsert(kind=SubjectKind.STREAM, id="st_1", live=True, viewers=500, language="en")
    stream = _upsert(kind=SubjectKind.STREAM, id="st_1").subject
    assert (stream.live, stream.viewers, stream.language) == (True, 500, "en")


def test_live_changes_are_reported_and_ending_is_timestamped():
    assert not _upsert(kind=SubjectKind.STREAM, id="st_1", live=True).live_changed  # first sight
    assert not _upsert(kind=SubjectKind.STREAM, id="st_1", live=True).live_changed
    ended = _upsert(kind=SubjectKind.STREAM, id="st_1", live=False)
    assert ended.live_changed
    assert ended.subject.ended_at is not None
    assert _upsert(kind=SubjectKind.STREAM, id="st_1", live=True).live_changed


def test_a_chat_message_reports_its_streams_live_change():
    _upsert(kind=SubjectKind.STREAM, id="st_1", live=False)
    result = _upsert(kind=SubjectKind.CHAT_MESSAGE, id="m1", stream_id="st_1", live=True)
    assert result.live_changed
    assert Subject.objects.get(kind="stream", external_id="st_1").live is True


def test_the_standing_api_shows_actions_strikes_and_history(intake_api, moderator):
    decide_item(moderator.user, open_item("m1"), action="warn")
    decide_item(moderator.user, open_item("m2"), action="suspension", duration=86400)
    response = intake_api.get("/subjects/account/acc_9")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kind"], body["id"], body["standing"]) == ("account", "acc_9", "suspended")
    assert [a["type"] for a in body["active_actions"]] == ["suspension"]
    assert [s["policy"] for s in body["strikes"]] == ["harassment", "harassment"]
    assert sorted(a["type"] for a in body["history"]) == ["suspension", "warn"]


def test_standing_of_a_subject_without_actions_is_good(intake_api):
    intake_api.post("/reports", report_body())
    assert intake_api.get("/subjects/stream/st_123").json()["standing"] == "good"
    assert intake_api.get("/subjects/stream/unknown").status_code == 404
