"""Banks and hashes: add, disable, remove with tombstones, import (all or nothing) and export."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from modops.audit.models import Event
from modops.hashbanks.models import Bank, BankEntry, BankKind, Tombstone
from modops.hashbanks.services import (
    BankSettings,
    add_hash,
    configure_bank,
    create_bank,
    current_index,
    export_bank,
    import_bank_file,
    remove_hash,
    set_hash_enabled,
)
from modops.media.bankfile import BankFileError, read_bank_file
from modops.review.services.errors import Invalid

PDQ_A = "f" * 64
PDQ_B = "0f" * 32
MD5 = "d41d8cd98f00b204e9800998ecf8427e"

pytestmark = pytest.mark.django_db


def _csv(*rows: str) -> io.StringIO:
    return io.StringIO("signal_type,signal,source\n" + "".join(r + "\n" for r in rows))


def test_new_banks_take_their_kinds_policy_and_queue():
    bank = create_bank("NCMEC CSAM", BankSettings(kind=BankKind.CSAM), "test")
    assert (bank.policy.code, bank.queue.slug) == ("youth_safety", "child-safety")
    tvec = create_bank("TVEC", BankSettings(kind=BankKind.TVEC), "test")
    assert (tvec.policy.code, tvec.queue.slug) == ("violent_extremism", "violent-extremism")
    with pytest.raises(Invalid):
        create_bank("NCMEC CSAM", BankSettings(kind=BankKind.CSAM), "test")


def test_import_creates_the_bank_skips_duplicates_and_records_an_event():
    result = import_bank_file("local known-bad", _csv(f"pdq,{PDQ_A},x", f"md5,{MD5},y", f"pdq,{PDQ_A},x"), "test")
    assert result.created_bank and (result.rows, result.added) == (3, 2)
    again = import_bank_file("local known-bad", _csv(f"pdq,{PDQ_A},x", f"pdq,{PDQ_B},z"), "test")
    assert (again.added, again.already_present, again.created_bank) == (1, 1, False)
    assert BankEntry.objects.filter(bank__name="local known-bad").count() == 3
    assert Event.objects.filter(verb="bank.imported").count() == 2


def test_a_malformed_file_names_the_line_and_imports_nothing():
    bad = _csv(f"pdq,{PDQ_A},ok", "pdq,not-a-hash,bad")
    with pytest.raises(BankFileError) as caught:
        import_bank_file("fresh", bad, "test")
    assert caught.value.line == 3
    assert not Bank.objects.filter(name="fresh").exists()
    assert not BankEntry.objects.exists()


def test_the_bank_command_reports_the_bad_line_and_leaves_no_bank(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text(f"signal_type,signal\npdq,{PDQ_A}\nsha1,abc\n")
    with pytest.raises(CommandError, match="line 3: unknown signal type"):
        call_command("bank", "import", "--bank", "cli bank", str(path), "--no-progress")
    assert not Bank.objects.filter(name="cli bank").exists()


def test_import_then_export_round_trips_through_the_command(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(f"signal_type,signal,source\npdq,{PDQ_A},gifct\nmd5,{MD5},\n")
    out = io.StringIO()
    call_command("bank", "import", "--bank", "TVEC", "--kind", "tvec", str(path), "--no-progress", stdout=out)
    assert "2 added" in out.getvalue()
    exported = io.StringIO()
    call_command("bank", "export", "--bank", "TVEC", stdout=exported)
    entries = read_bank_file(exported.getvalue())
    assert {(e.signal_type.value, e.signal) for e in entries} == {("pdq", PDQ_A), ("md5", MD5)}
    assert [e.metadata for e in entries if e.signal == PDQ_A] == [{"source": "gifct"}]


def test_removing_an_imported_hash_leaves_a_tombstone_that_reimports_respect():
    import_bank_file("shared", _csv(f"pdq,{PDQ_A},x", f"pdq,{PDQ_B},y"), "test")
    entry = BankEntry.objects.get(bank__name="shared", signal=PDQ_A)
    assert remove_hash("shared", entry.pk, "staff:lead", "false positive") is True
    again = import_bank_file("shared", _csv(f"pdq,{PDQ_A},x", f"pdq,{PDQ_B},y"), "test")
    assert (again.added, again.tombstoned) == (0, 1)
    assert not BankEntry.objects.filter(bank__name="shared", signal=PDQ_A).exists()
    # Staff may still add it back on purpose; that lifts the tombstone.
    add_hash("shared", "pdq", PDQ_A, "staff:lead")
    assert not Tombstone.objects.exists()


def test_removing_a_hand_added_hash_leaves_no_tombstone():
    create_bank("mine", BankSettings(), "test")
    entry = add_hash("mine", "md5", MD5.upper(), "staff:lead")
    assert entry.signal == MD5  # normalised
    assert remove_hash("mine", entry.pk, "staff:lead") is False
    assert not Tombstone.objects.exists()


def test_bad_hashes_are_refused_naming_the_field():
    create_bank("mine", BankSettings(), "test")
    with pytest.raises(Invalid) as caught:
        add_hash("mine", "pdq", "xyz", "test")
    assert caught.value.field == "signal"
    with pytest.raises(Invalid) as caught:
        add_hash("mine", "tlsh", "abc", "test")
    assert caught.value.field == "signal_type"


def test_the_index_follows_bank_changes_by_generation():
    create_bank("mine", BankSettings(), "test")
    entry = add_hash("mine", "md5", MD5, "test")
    first = current_index()
    assert first.entries == 1 and current_index() is first  # unchanged banks: the same index
    set_hash_enabled("mine", entry.pk, False, "test")
    second = current_index()
    assert second is not first and second.entries == 0
    set_hash_enabled("mine", entry.pk, True, "test")
    configure_bank("mine", "test", enabled=False)
    assert current_index().entries == 0


def test_a_rolled_back_change_never_leaves_a_stale_index():
    create_bank("mine", BankSettings(), "test")
    try:
        with transaction.atomic():
            add_hash("mine", "md5", MD5, "test")
            assert current_index().entries == 1
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert current_index().entries == 0


def test_export_writes_only_enabled_hashes():
    import_bank_file("shared", _csv(f"pdq,{PDQ_A},x", f"pdq,{PDQ_B},y"), "test")
    entry = BankEntry.objects.get(signal=PDQ_B)
    set_hash_enabled("shared", entry.pk, False, "test")
    out = io.StringIO()
    assert export_bank("shared", out) == 1
    assert PDQ_B not in out.getvalue()
