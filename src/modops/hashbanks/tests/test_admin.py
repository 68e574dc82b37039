"""Editing banks and hashes in the admin goes through the services: events, tombstones, a fresh index."""

from __future__ import annotations

import pytest
from django.test import Client

from modops.audit.models import Event
from modops.hashbanks.models import Bank, BankEntry, EntrySource, Tombstone
from modops.hashbanks.services import BankSettings, add_hash, create_bank, current_index
from modops.hashbanks.services.index import current_generation
from modops.testing.factories import UserFactory

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f" * 64

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def bank() -> Bank:
    return create_bank("local", BankSettings(), "test")


def test_a_hash_added_in_the_admin_is_validated_recorded_and_indexed(admin_client, bank):
    assert current_index().entries == 0
    response = admin_client.post(
        "/admin/hashbanks/bankentry/add/",
        {"bank": bank.pk, "signal_type": "md5", "signal": MD5.upper(), "metadata": "{}", "enabled": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    entry = BankEntry.objects.get()
    assert (entry.signal, entry.source) == (MD5, EntrySource.MANUAL)
    assert Event.objects.filter(verb="bank.hash_added", actor="staff:root").exists()
    assert current_index().entries == 1


def test_a_malformed_hash_is_refused_on_the_field(admin_client, bank):
    response = admin_client.post(
        "/admin/hashbanks/bankentry/add/",
        {"bank": bank.pk, "signal_type": "pdq", "signal": "xyz", "metadata": "{}", "enabled": "on"},
    )
    assert response.status_code == 200
    assert "signal" in response.context["adminform"].form.errors
    assert not BankEntry.objects.exists()


def test_disabling_and_removing_in_the_admin_refresh_the_index(admin_client, bank):
    entry = add_hash("local", "pdq", PDQ, "test", source=EntrySource.IMPORT)
    assert current_index().entries == 1
    generation = current_generation()
    response = admin_client.post(
        "/admin/hashbanks/bankentry/", {"action": "disable_hashes", "_selected_action": [str(entry.pk)]}
    )
    assert response.status_code == 302
    assert current_generation() != generation
    assert current_index().entries == 0
    assert Event.objects.filter(verb="bank.hash_disabled", actor="staff:root").exists()

    response = admin_client.post(f"/admin/hashbanks/bankentry/{entry.pk}/change/", {"enabled": "on"})
    assert response.status_code == 302, response.content[:2000]
    assert current_index().entries == 1

    response = admin_client.post(f"/admin/hashbanks/bankentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not BankEntry.objects.exists()
    assert Tombstone.objects.filter(bank=bank, signal=PDQ).exists()  # it came from an outside list
    assert current_index().entries == 0
    assert Event.objects.filter(verb="bank.hash_removed", actor="staff:root").exists()


def test_bank_settings_changed_in_the_admin_refresh_the_index(admin_client, bank):
    add_hash("local", "md5", MD5, "test")
    assert current_index().entries == 1
    form = {
        "name": "local",
        "kind": "local",
        "policy": bank.policy_id,
        "enabled_ratio": "1.0",
        "pdq_threshold": "31",
        "quality_floor": "49",
        "suppresses": "[]",
        "interim_action": "{}",
    }  # "enabled" left out: unticked
    response = admin_client.post(f"/admin/hashbanks/bank/{bank.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    assert current_index().entries == 0
    assert Event.objects.filter(verb="bank.configured", actor="staff:root", after__enabled=False).exists()
