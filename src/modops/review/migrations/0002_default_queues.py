"""Default queues and routing rules; operations edit them in the admin."""

from django.db import migrations

QUEUES = [
    # slug, name, clearance, skills, escalation target
    ("general", "General", 0, [], False),
    ("live", "Live now", 0, [], False),
    ("child-safety", "Child safety (restricted)", 3, ["child_safety"], True),
    ("violent-extremism", "Violent extremism", 2, ["violent_extremism"], True),
    ("legal", "Legal", 1, ["legal"], True),
    ("policy", "Policy", 1, [], True),
    ("partnerships", "Partnerships", 1, [], True),
]
RULES = [
    # order, queue, policy code, live
    (10, "child-safety", "youth_safety", None),
    (20, "violent-extremism", "violent_extremism", None),
    (30, "live", None, True),
]


def load(apps, schema_editor):
    Queue = apps.get_model("review", "Queue")
    RoutingRule = apps.get_model("review", "RoutingRule")
    Policy = apps.get_model("policies", "Policy")
    queues = {}
    for slug, name, clearance, skills, target in QUEUES:
        queues[slug], _ = Queue.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "clearance_tier": clearance, "required_skills": skills, "escalation_target": target},
        )
    if RoutingRule.objects.exists():
        return
    for order, slug, code, live in RULES:
        policy = Policy.objects.get(code=code) if code else None
        RoutingRule.objects.create(order=order, queue=queues[slug], policy=policy, live=live)


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial"), ("policies", "0002_taxonomy")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
