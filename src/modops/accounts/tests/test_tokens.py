"""API tokens: created from the command line, stored hashed, scoped, revocable."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from modops.accounts.models import ApiToken
from modops.accounts.services import authenticate_token, revoke_token
from modops.conftest import Api
from modops.testing.factories import report_body

pytestmark = pytest.mark.django_db


def _create(*args: str) -> str:
    out = io.StringIO()
    call_command("token", "create", *args, stdout=out)
    return out.getvalue().strip()


def test_token_create_prints_an_intake_token_that_works():
    secret = _create("--name", "platform", "--scope", "intake")
    assert secret.startswith("mo_") and len(secret) > 40
    api = Api(secret)
    assert api.post("/reports", report_body()).status_code == 202
    assert api.post("/queues/general/claim").status_code == 403
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.user) == ("platform", ["intake"], None)


def test_token_create_binds_a_moderation_token_to_its_user(moderator):
    secret = _create("--name", "console", "--scope", "moderation", "--user", "mod1")
    api = Api(secret)
    assert api.post("/queues/general/claim").status_code == 204
    assert api.post("/reports", report_body()).status_code == 403
    assert ApiToken.objects.get().user == moderator.user


def test_several_scopes_on_one_token(moderator):
    secret = _create("--name", "both", "--scope", "intake", "--scope", "moderation", "--user", "mod1")
    api = Api(secret)
    assert api.post("/reports", report_body()).status_code == 202  # a live stream: the live queue
    assert api.post("/queues/live/claim").status_code == 200


def test_a_moderation_token_without_a_user_is_refused():
    with pytest.raises(CommandError, match="--user"):
        _create("--name", "nobody", "--scope", "moderation")
    assert ApiToken.objects.count() == 0


def test_an_unknown_user_or_scope_is_refused():
    with pytest.raises(CommandError, match="ghost"):
        _create("--name", "x", "--scope", "moderation", "--user", "ghost")
    with pytest.raises(CommandError):
        _create("--name", "x", "--scope", "superpowers")
    assert ApiToken.objects.count() == 0


def test_the_secret_is_stored_only_as_a_hash():
    secret = _create("--name", "platform", "--scope", "intake")
    token = ApiToken.objects.get()
    assert secret[10:] not in token.digest
    assert token.prefix == secret[:10]
    body = secret[len("mo_") :]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                assert not any(body in str(value) for value in row), f"the token's secret is stored in {table}"


def test_each_token_is_different():
    assert len({_create("--name", f"t{n}", "--scope", "intake") for n in range(5)}) == 5


def test_a_revoked_token_is_401():
    secret = _create("--name", "platform", "--scope", "intake")
    api = Api(secret)
    assert api.post("/reports", report_body()).status_code == 202
    revoke_token(ApiToken.objects.get())
    assert api.post("/reports", report_body(reporter="acc_2")).status_code == 401
    assert authenticate_token(secret) is None


def test_a_token_that_is_almost_right_is_401():
    secret = _create("--name", "platform", "--scope", "intake")
    for wrong in (secret[:-1], secret + "x", secret.upper(), secret[3:], "mo_" + "A" * 43):
        assert Api(wrong).post("/reports", report_body()).status_code == 401, wrong


def test_an_admin_token_may_use_intake_endpoints():
    secret = _create("--name", "ops", "--scope", "admin")
    assert Api(secret).post("/reports", report_body()).status_code == 202
