from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from modops.enforcement.models import Action, Adapter, OutboxMessage, OutboxStatus, Strike
from modops.enforcement.services.outbox import retry


@admin.register(Adapter)
class AdapterAdmin(admin.ModelAdmin[Adapter]):
    list_display = ("name", "kind", "enabled")


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin[Action]):
    list_display = ("id", "type", "subject", "status", "starts_at", "ends_at", "automated")
    list_filter = ("type", "status", "automated")
    raw_id_fields = ("subject", "decision")


@admin.register(Strike)
class StrikeAdmin(admin.ModelAdmin[Strike]):
    list_display = ("account", "policy", "created_at", "expires_at", "expired", "voided")
    list_filter = ("expired", "voided", "policy")
    raw_id_fields = ("account", "action")


@admin.action(description="Retry the selected dead-lettered messages")
def retry_dead(modeladmin: "OutboxAdmin", request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
    dead = list(queryset.filter(status=OutboxStatus.DEAD))
    for message in dead:
        retry(message)
    modeladmin.message_user(request, f"{len(dead)} message(s) queued again", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ("id", "adapter", "topic", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "adapter", "topic")
    readonly_fields = ("payload", "idempotency_key", "attempts", "last_error", "delivered_at")
    raw_id_fields = ("action",)
    actions = [retry_dead]
