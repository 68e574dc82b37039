from django.contrib import admin

from modops.review.models import Decision, Queue, ReviewItem, RoutingRule


class RoutingRuleInline(admin.TabularInline[RoutingRule, Queue]):
    model = RoutingRule
    extra = 0


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = ("slug", "name", "clearance_tier", "required_skills", "languages", "escalation_target")
    inlines = [RoutingRuleInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    list_display = ("order", "queue", "policy", "language", "min_tier", "live")


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin[ReviewItem]):
    list_display = ("id", "queue", "policy", "status", "priority", "sla_due_at", "report_count", "live")
    list_filter = ("status", "queue", "policy", "live", "sla_breached")
    raw_id_fields = ("subject", "claimed_by")
    # State changes go through the services so they are logged; the admin only reads items.
    readonly_fields = [f.name for f in ReviewItem._meta.fields]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin[Decision]):
    list_display = ("id", "review_item", "decided_by", "violation", "policy", "action_type", "created_at")
    readonly_fields = [f.name for f in Decision._meta.fields]
