"""Admin for banks and their hashes.

Every change of a hash goes through the hashbanks services, so it is validated, recorded in the
event log and bumps the index generation (matching processes then rebuild their index).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from modops.hashbanks.models import Bank, BankEntry, EntrySource, Tombstone
from modops.hashbanks.services import add_hash, bank_edited, remove_hash, set_hash_enabled
from modops.media.signals import parse_signal_type, validate_signal


def _actor(request: HttpRequest) -> str:
    return f"staff:{request.user.get_username()}"


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin[Bank]):
    list_display = ["name", "kind", "policy", "queue", "enabled", "enabled_ratio", "pdq_threshold", "quality_floor"]
    list_filter = ["kind", "enabled"]

    def save_model(self, request: HttpRequest, obj: Bank, form: forms.ModelForm[Bank], change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            verb = "bank.configured" if change else "bank.created"
            bank_edited(obj, list(form.changed_data), _actor(request), verb)

    def delete_model(self, request: HttpRequest, obj: Bank) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            bank_edited(obj, [], _actor(request), "bank.deleted")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Bank]) -> None:
        for bank in queryset:
            self.delete_model(request, bank)


class BankEntryForm(forms.ModelForm[BankEntry]):
    class Meta:
        model = BankEntry
        fields = ["bank", "signal_type", "signal", "metadata", "enabled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and "signal_type" in data and "signal" in data:
            try:
                kind = parse_signal_type(data["signal_type"])
            except ValueError as exc:
                self.add_error("signal_type", str(exc))
                return data
            try:
                data["signal"] = validate_signal(kind, data["signal"])
            except ValueError as exc:
                self.add_error("signal", str(exc))
        metadata = data.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
        ):
            self.add_error("metadata", "metadata is an object of text values")
        return data


@admin.register(BankEntry)
class BankEntryAdmin(admin.ModelAdmin[BankEntry]):
    form = BankEntryForm
    list_display = ["id", "bank", "signal_type", "source", "enabled", "created_at"]
    list_filter = ["bank", "signal_type", "source", "enabled"]
    search_fields = ["signal"]
    actions = ["enable_hashes", "disable_hashes"]

    def get_readonly_fields(self, request: HttpRequest, obj: BankEntry | None = None) -> list[str]:
        if obj is None:
            return []
        # A stored hash changes only by being enabled, disabled or removed.
        return ["bank", "signal_type", "signal", "signal_key", "metadata", "source", "created_at"]

    def save_model(self, request: HttpRequest, obj: BankEntry, form: forms.ModelForm[BankEntry], change: bool) -> None:
        actor = _actor(request)
        if change:
            if "enabled" in form.changed_data:
                set_hash_enabled(obj.bank.name, obj.pk, obj.enabled, actor)
            return
        saved = add_hash(
            obj.bank.name, obj.signal_type, obj.signal, actor, metadata=obj.metadata or {}, source=EntrySource.MANUAL
        )
        if not obj.enabled:
            saved = set_hash_enabled(obj.bank.name, saved.pk, False, actor)
        # The admin redirects and logs by the object's primary key.
        obj.pk, obj.signal_key, obj.source, obj.created_at = saved.pk, saved.signal_key, saved.source, saved.created_at

    def delete_model(self, request: HttpRequest, obj: BankEntry) -> None:
        remove_hash(obj.bank.name, obj.pk, _actor(request), reason="removed in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> None:
        for entry in queryset.select_related("bank"):
            remove_hash(entry.bank.name, entry.pk, _actor(request), reason="removed in the admin")

    def _set_enabled(self, request: HttpRequest, queryset: QuerySet[BankEntry], enabled: bool) -> None:
        changed = 0
        for entry in queryset.select_related("bank").filter(enabled=not enabled):
            set_hash_enabled(entry.bank.name, entry.pk, enabled, _actor(request))
            changed += 1
        self.message_user(request, f"{changed} hash(es) {'enabled' if enabled else 'disabled'}.", messages.SUCCESS)

    @admin.action(description="Enable the selected hashes", permissions=["change"])
    def enable_hashes(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> None:
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable the selected hashes", permissions=["change"])
    def disable_hashes(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> None:
        self._set_enabled(request, queryset, False)


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin[Tombstone]):
    list_display = ["bank", "signal_type", "removed_by", "removed_at", "reason"]
    list_filter = ["bank"]
