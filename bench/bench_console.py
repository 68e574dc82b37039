"""Claim-next latency with 100k open items on PostgreSQL; prints a markdown table.

Run: DATABASE_URL=postgresql://... python bench/bench_console.py [--items N] [--claims N]
Creates a throwaway database ``<name>_bench_console`` next to DATABASE_URL's and drops it after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=300)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or os.environ.get(
        "MODOPS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modops.settings")
    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False, keepdb=False, aliases={"default"})
    try:
        rows = run(args.items, args.claims)
    finally:
        teardown_databases(old, verbosity=0)
    print("| measure | items | claims | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, samples in rows:
        ms = sorted(s * 1000 for s in samples)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"| {name} | {args.items:,} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} |")


def run(n_items: int, n_claims: int) -> list[tuple[str, list[float]]]:
    import random

    from django.db import connection
    from django.utils import timezone

    from modops.accounts.models import StaffProfile
    from modops.accounts.permissions import Role
    from modops.policies.models import Policy
    from modops.review.models import Queue, ReviewItem
    from modops.review.services import claim_next
    from modops.subjects.models import Subject
    from modops.testing.factories import UserFactory

    rng = random.Random(1)
    now = timezone.now()
    queues = list(Queue.objects.all())
    policies = list(Policy.objects.filter(sensitivity_tier__lte=2))
    subjects = Subject.objects.bulk_create(Subject(kind="chat_message", external_id=f"msg_{i}") for i in range(n_items))
    items = []
    for i, subject in enumerate(subjects):
        policy = rng.choice(policies)
        items.append(
            ReviewItem(
                id=uuid.uuid4(),
                subject=subject,
                policy=policy,
                queue=rng.choice(queues),
                priority=rng.random() * 100,
                sla_due_at=now + timedelta(minutes=rng.randint(1, 600)),
                first_seen_at=now,
                last_signal_at=now,
                language=rng.choice(["en", "es", "de", "pt", "ja"]),
                tier=policy.sensitivity_tier,
                account_external_id=f"acc_{i % 5000}",
            )
        )
    ReviewItem.objects.bulk_create(items, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    mods = []
    for i in range(20):
        user = UserFactory(username=f"bench{i}")
        StaffProfile.objects.create(user=user, role=Role.MODERATOR, clearance=1 + i % 2, languages=["en", "es"])
        mods.append(user)
    samples = []
    for i in range(n_claims):
        user = mods[i % len(mods)]
        start = time.perf_counter()
        result = claim_next(user)
        samples.append(time.perf_counter() - start)
        assert result is not None
    return [("claim next (all eligible queues)", samples)]


if __name__ == "__main__":
    main()
