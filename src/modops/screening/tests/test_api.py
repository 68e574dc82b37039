"""Screening API: batch and NDJSON screening, channel settings, held messages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from modops.audit.models import Event
from modops.conftest import Api
from modops.screening.models import HeldMessage, HeldStatus
from modops.screening.services import expire_held, screen_one
from modops.testing.factories import token_for

pytestmark = pytest.mark.django_db
VERDICT_FIELDS = {"id", "verdict", "offensive", "categories", "level", "boundaries", "reasons"}


def test_batch_returns_one_verdict_per_message_with_the_cli_fields(intake_api: Api) -> None:
    messages = [
        {"id": "a", "text": "good game"},
        {"id": 7, "text": "kill yourself loser", "channel": "c1", "user": "u1"},
    ]
    response = intake_api.post("/screen", {"messages": messages})
    assert response.status_code == 200
    verdicts = response.json()["verdicts"]
    assert [v["id"] for v in verdicts] == ["a", "7"]
    assert all(set(v) == VERDICT_FIELDS for v in verdicts)
    assert verdicts[0]["verdict"] == "allow" and verdicts[1]["verdict"] == "hold"
    assert HeldMessage.objects.get(message_id="7").status == HeldStatus.PENDING


def test_batch_over_1000_messages_is_422(intake_api: Api) -> None:
    response = intake_api.post("/screen", {"messages": [{"id": i, "text": "x"} for i in range(1001)]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "messages"]


def test_batch_names_the_bad_message_field(intake_api: Api) -> None:
    response = intake_api.post("/screen", {"messages": [{"id": "a", "text": "ok"}, {"id": "b"}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "messages", 1, "text"]


def test_screening_needs_the_intake_scope(moderator_api: Api) -> None:
    assert moderator_api.post("/screen", {"messages": [{"id": "a", "text": "x"}]}).status_code == 403


def _stream(token: str, raw: bytes) -> tuple[int, list[dict]]:
    response = Client().post(
        "/api/v1/screen/stream", data=raw, content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, [json.loads(line) for line in body.splitlines()]


def test_stream_answers_each_line_in_order_and_names_bad_lines(db: None) -> None:
    token = token_for(["intake"])
    raw = (
        b'{"id":"1","text":"hello there"}\n'
        b"not json\n"
        b"\xff\xfe\n"
        b'{"id":"2"}\n'
        b"\n"
        b'{"id":"3","text":"you are a retard","channel":"c"}\n'
    )
    status, lines = _stream(token, raw)
    assert status == 200
    assert lines[0]["id"] == "1" and lines[0]["verdict"] == "allow"
    assert lines[1] == {"line": 2, "error": "invalid JSON"}
    assert lines[2]["line"] == 3 and "UTF-8" in lines[2]["error"]
    assert lines[3] == {"line": 4, "error": "missing or invalid 'text'"}
    assert lines[4]["id"] == "3" and set(lines[4]) == VERDICT_FIELDS


def test_stream_megabyte_message_is_truncated_with_a_reason_and_the_stream_goes_on(db: None) -> None:
    token = token_for(["intake"])
    raw = json.dumps({"id": "big", "text": "a" * 900_000}).encode() + b'\n{"id":"after","text":"hi"}\n'
    status, lines = _stream(token, raw)
    assert status == 200 and [line["id"] for line in lines] == ["big", "after"]
    assert any("truncated" in r for r in lines[0]["reasons"])


def test_stream_line_over_the_limit_is_an_error_line(db: None) -> None:
    token = token_for(["intake"])
    raw = b'{"id":"x","text":"' + b"a" * (1 << 20) + b'"}\n{"id":"ok","text":"hi"}\n'
    _, lines = _stream(token, raw)
    assert lines[0]["line"] == 1 and "over" in lines[0]["error"]
    assert lines[1]["id"] == "ok"


def test_stream_refuses_other_content_types(db: None) -> None:
    response = Client().post(
        "/api/v1/screen/stream",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(['intake'])}",
    )
    assert response.status_code == 415


def test_settings_round_trip_and_are_audited(moderator_api: Api) -> None:
    body = {
        "automod": {"overall_level": None, "aggression": 4, "swearing": 2},
        "blocked_terms": ["b*tcoin", "/free\\s+vbucks/"],
        "permitted_terms": ["scunthorpe"],
        "allowed_links": ["twitch.tv"],
        "auto_timeout": {"after": 3, "window_minutes": 5, "seconds": 300},
    }
    response = moderator_api.client.put(
        "/api/v1/channels/c1/settings",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {moderator_api.token}",
    )
    assert response.status_code == 200, response.content
    got = moderator_api.get("/channels/c1/settings").json()
    assert got["automod"]["aggression"] == 4 and got["automod"]["swearing"] == 2
    assert got["automod"]["bullying"] == 0 and got["automod"]["overall_level"] is None
    assert got["blocked_terms"] == body["blocked_terms"] and got["auto_timeout"] == body["auto_timeout"]
    assert Event.objects.filter(verb="channel.settings_changed", subject_external_id="c1").exists()
    assert screen_one("m1", "buy bitcoin now", "c1")["verdict"] == "deny"


def _put(api: Api, channel: str, body: dict) -> object:
    return api.client.put(
        f"/api/v1/channels/{channel}/settings",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def test_pattern_re2_refuses_is_422_naming_the_index(moderator_api: Api) -> None:
    response = _put(moderator_api, "c1", {"blocked_terms": ["ok", "fine", "b*d", "/(a)\\1/"]})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "blocked_terms", "3"] and "backreferences" in detail["msg"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"automod": {"aggression": 7}}, ["body", "automod", "aggression"]),
        ({"automod": {"nonsense": 1}}, ["body", "automod", "nonsense"]),
        ({"auto_timeout": {"after": -1}}, ["body", "auto_timeout", "after"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
def test_bad_settings_name_the_field(moderator_api: Api, body: dict, loc: list[str]) -> None:
    response = _put(moderator_api, "c1", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_settings_need_the_moderation_scope(intake_api: Api) -> None:
    assert intake_api.get("/channels/c1/settings").status_code == 403


def test_held_messages_listed_and_resolved_with_an_event(moderator_api: Api) -> None:
    screen_one("h1", "kill yourself loser", "c9", "u1")
    listed = moderator_api.get("/channels/c9/held").json()
    assert [h["id"] for h in listed] == ["h1"]
    response = moderator_api.post("/held/h1/deny", {"moderator_id": "mod_42"})
    assert response.json() == {"id": "h1", "status": "denied", "changed": True}
    event = Event.objects.get(verb="held_message.denied")
    assert event.subject_external_id == "h1" and event.after["moderator_id"] == "mod_42"
    assert moderator_api.post("/held/h1/allow", {"moderator_id": "mod_42"}).json()["changed"] is False
    assert moderator_api.get("/channels/c9/held").json() == []
    assert moderator_api.post("/held/nope/allow", {"moderator_id": "m"}).status_code == 404


def test_worker_job_expires_held_messages(db: None) -> None:
    from modops.enforcement.worker import JOBS

    screen_one("h2", "kill yourself loser", "c9", "u1")
    assert "held" in dict(JOBS)
    assert expire_held(timezone.now()) == 0
    assert expire_held(timezone.now() + timedelta(minutes=6)) == 1
    assert HeldMessage.objects.get(message_id="h2").status == HeldStatus.EXPIRED
    assert Event.objects.filter(verb="held_message.expired", subject_external_id="h2").exists()
