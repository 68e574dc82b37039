"""KPI computation time on PostgreSQL: every KPI over 30 days and 1M review items.

Loads a throw-away database with bulk SQL (generate_series): review items over 30 days, their
reports and detections, claims, releases and decisions as audit events with the verbs the KPIs
read, decisions, actions (some automated) and strikes; brings the insights projections up to date
the way the worker does; then times ``compute_all`` (every KPI) over the 30 days, unsliced and cut
by one queue, a few times each, and prints the median.

    .venv/bin/python bench/bench_kpis.py [--items 1000000] [--runs 5] [--keep]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on, fresh_database

DB_NAME = "modops_bench_kpis"
END = datetime(2025, 4, 1, tzinfo=UTC)
DAYS = 30
START = END - timedelta(days=DAYS)
QUEUES = 6
POLICIES = 8  # policy p has sensitivity tier p % 4: a quarter of items are tier 2, a quarter tier 3
LANGUAGES = ("en", "de", "fr", "es", "pt", "tl")
MODERATORS = 600
ACCOUNTS = 400_000
HEAVY_ACCOUNTS = 2_000  # a few accounts behind many items: the repeat offenders
LEASE_MINUTES = 15

# Every figure below is a deterministic function of the item number i, so runs are comparable.
# h(i, k) is a cheap integer hash in [0, k).
SQL_LOAD = """
CREATE TEMP TABLE bench_item ON COMMIT DROP AS
SELECT i,
       md5('item' || i)::uuid AS id,
       (%(start)s::timestamptz + (i - 1) * (%(span)s::float / %(n)s) * interval '1 second') AS seen,
       (i * 7) %% {queues} AS q,
       (i * 13) %% {policies} AS p,
       (i * 11) %% {languages} AS l,
       (i * 17) %% {moderators} AS m,
       ((i * 2654435761) %% 3600) AS ttft,        -- seconds to first claim
       30 + ((i * 40503) %% 240) AS handle,         -- seconds the decisive claim is held
       (i %% 50 <> 0) AS decided,                   -- 2%% stay open
       (i %% 100 = 0) AS held,                      -- half of the open ones are claimed and let lapse
       (i %% 10 = 0) AS released_first,             -- 10%% are released once, then claimed again
       (i %% 5 < 2) AS violation,
       (i %% 10) AS sig,                            -- 0-7 user report, 8 trusted flagger, 9 detection only
       -- One item in ten comes from a small set of heavy accounts; the rest spread thinly, so most
       -- struck accounts are struck once and the repeat-offender rate is well below 1.
       CASE WHEN i %% 10 = 0 THEN 1 + ((i * 40503) %% {heavy})
            ELSE 1 + abs(hashint8(i)) %% {accounts} END AS acct
FROM generate_series(1::bigint, %(n)s::bigint) AS i;

CREATE TEMP TABLE bench_touch ON COMMIT DROP AS
SELECT b.*,
       b.seen + b.ttft * interval '1 second' AS claim1,
       b.seen + (b.ttft + CASE WHEN b.released_first THEN 300 ELSE 0 END) * interval '1 second' AS claim2,
       b.seen + (b.ttft + CASE WHEN b.released_first THEN 300 ELSE 0 END + b.handle) * interval '1 second' AS decided_at,
       -- A held claim's lease runs out after {lease} minutes, as the worker would record; only the
       -- claims taken in the last minutes of the month are still held at its end.
       b.held AND b.seen + b.ttft * interval '1 second' + interval '{lease} minutes' > %(end)s AS still_held
FROM bench_item b;

INSERT INTO subjects_subject (kind, external_id, display_name, text, language, first_seen_at, updated_at)
SELECT 'account', 'acc_' || a, '', '', '', %(start)s, %(start)s FROM generate_series(1, {accounts}) a;

INSERT INTO subjects_subject (kind, external_id, display_name, text, language, first_seen_at, updated_at, account_id)
SELECT 'chat_message', 'msg_' || i, '', '', 'en', seen, seen,
       (SELECT min(id) FROM subjects_subject) + acct - 1
FROM bench_item;

INSERT INTO review_reviewitem (id, status, priority, priority_floor, sla_due_at, sla_breached, first_seen_at, last_signal_at,
    report_count, detection_count, confidence, velocity, live, reach, language, tier, account_external_id,
    version, lease_expires_at, closed_at, created_at, claimed_by_id, policy_id, queue_id, subject_id)
SELECT t.id,
       CASE WHEN t.decided THEN 'closed' WHEN t.still_held THEN 'claimed' ELSE 'open' END,
       0, 0, t.seen + interval '1 hour', false, t.seen, t.seen, 1, 0, 0, 0, false, 0,
       (ARRAY{language_array})[t.l + 1], pol.sensitivity_tier, 'acc_' || t.acct, 1,
       CASE WHEN t.still_held THEN t.claim1 + interval '{lease} minutes' END,
       CASE WHEN t.decided THEN t.decided_at END, t.seen,
       CASE WHEN t.still_held THEN u.id END, pol.id, qu.id, s.id
FROM bench_touch t
JOIN subjects_subject s ON s.kind = 'chat_message' AND s.external_id = 'msg_' || t.i
JOIN policies_policy pol ON pol.code = 'bp-' || t.p
JOIN review_queue qu ON qu.slug = 'bq-' || t.q
JOIN auth_user u ON u.username = 'mod' || t.m;

INSERT INTO intake_report (id, reporter_id, source, reporter_trust, text, language, received_at, policy_id,
    review_item_id, subject_id)
SELECT md5('report' || t.i)::uuid, 'r' || t.i, CASE WHEN t.sig = 8 THEN 'trusted_flagger' ELSE 'user' END, 0.5, '',
       'en', CASE WHEN t.sig = 9 THEN t.seen + interval '20 minutes' ELSE t.seen END,
       r.policy_id, r.id, r.subject_id
FROM bench_touch t JOIN review_reviewitem r ON r.id = t.id
WHERE t.sig <> 9 OR t.i %% 3 = 0
UNION ALL
SELECT md5('report2-' || t.i)::uuid, 's' || t.i, 'user', 0.5, '', 'en', t.seen + interval '10 minutes',
       r.policy_id, r.id, r.subject_id
FROM bench_touch t JOIN review_reviewitem r ON r.id = t.id
WHERE t.i %% 4 = 0;

INSERT INTO intake_detection (id, source, label, score, received_at, policy_id, review_item_id, subject_id)
SELECT md5('detection' || t.i)::uuid, 'automod', '', 0.9, t.seen, r.policy_id, r.id, r.subject_id
FROM bench_touch t JOIN review_reviewitem r ON r.id = t.id
WHERE t.sig >= 8;

INSERT INTO audit_event (seq, at, actor, verb, subject_kind, subject_external_id, review_item_id, before, after,
    reason, prev_hash, hash)
SELECT row_number() OVER (ORDER BY e.at, e.ord, e.i), e.at, 'staff:mod' || e.m, e.verb, 'chat_message',
       'msg_' || e.i, e.id, '{{}}'::jsonb, '{{}}'::jsonb, '', repeat('0', 64), repeat('0', 64)
FROM (
    SELECT i, id, m, claim1 AS at, 0 AS ord, 'review_item.claimed' AS verb FROM bench_touch
        WHERE decided OR held
    UNION ALL
    SELECT i, id, m, claim1 + interval '2 minutes', 1, 'review_item.released' FROM bench_touch
        WHERE released_first AND decided
    UNION ALL
    SELECT i, id, m, claim2, 2, 'review_item.claimed' FROM bench_touch WHERE released_first AND decided
    UNION ALL
    SELECT i, id, m, decided_at, 3, 'decision.made' FROM bench_touch WHERE decided
    UNION ALL
    SELECT i, id, m, claim1 + interval '{lease} minutes', 4, 'review_item.lease_expired' FROM bench_touch
        WHERE held AND NOT still_held
) e;

INSERT INTO review_decision (id, violation, action_type, note, suggested, created_at, decided_by_id, policy_id,
    review_item_id)
SELECT md5('decision' || t.i)::uuid, t.violation, CASE WHEN t.violation THEN 'warn' ELSE 'none' END, '', '{{}}'::jsonb,
       t.decided_at, u.id, pol.id, t.id
FROM bench_touch t
JOIN auth_user u ON u.username = 'mod' || t.m
JOIN policies_policy pol ON pol.code = 'bp-' || t.p
WHERE t.decided;

INSERT INTO enforcement_action (id, type, status, automated, channel_external_id, starts_at, notice, created_at,
    decision_id, policy_id, subject_id)
SELECT md5('action' || t.i)::uuid, 'warn', 'active', false, '', t.decided_at + interval '1 second', '{{}}'::jsonb,
       t.decided_at + interval '1 second', md5('decision' || t.i)::uuid, d.policy_id, s.account_id
FROM bench_touch t
JOIN review_decision d ON d.id = md5('decision' || t.i)::uuid
JOIN subjects_subject s ON s.kind = 'chat_message' AND s.external_id = 'msg_' || t.i
WHERE t.decided AND t.violation
UNION ALL
-- Automated removals without a decision, one per 20 items, on messages a detection found: proactive
-- unless a person reported the message within 5 minutes.
SELECT md5('auto' || t.i)::uuid, 'delete_message', 'active', true, '', t.seen + interval '5 minutes', '{{}}'::jsonb,
       t.seen + interval '5 minutes', NULL, r.policy_id, r.subject_id
FROM bench_touch t JOIN review_reviewitem r ON r.id = t.id
WHERE t.i %% 20 = 19;

INSERT INTO enforcement_strike (created_at, expires_at, expired, voided, account_id, action_id, policy_id)
SELECT a.created_at, a.created_at + interval '30 days', false, (row_number() OVER (ORDER BY a.id)) %% 50 = 0,
       a.subject_id, a.id, a.policy_id
FROM enforcement_action a WHERE NOT a.automated;
"""


def load(n: int) -> dict[str, int]:
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from modops.accounts.models import Site, StaffProfile
    from modops.policies.models import Policy
    from modops.review.models import Queue
    from modops.workforce.models import Assignment, Shift

    sites = [
        Site.objects.create(name="b-dublin", city="Dublin", time_zone="Europe/Dublin", region="emea"),
        Site.objects.create(name="b-manila", city="Manila", time_zone="Asia/Manila", region="apac"),
        Site.objects.create(name="b-austin", city="Austin", time_zone="America/Chicago", region="americas"),
    ]
    shifts = [
        Shift.objects.create(site=site, name=name, weekdays=[0, 1, 2, 3, 4, 5, 6], start_hour=h, end_hour=h + 8)
        for site in sites
        for name, h in (("early", 6), ("late", 14))
    ]
    users = User.objects.bulk_create([User(username=f"mod{m}", password="!") for m in range(MODERATORS)])
    profiles = StaffProfile.objects.bulk_create(
        [
            StaffProfile(user=u, site=shifts[k % len(shifts)].site, clearance=3, languages=list(LANGUAGES))
            for k, u in enumerate(users)
        ]
    )
    Assignment.objects.bulk_create(
        [Assignment(staff=p, shift=shifts[k % len(shifts)], starts_on=date(2025, 1, 1)) for k, p in enumerate(profiles)]
    )
    for q in range(QUEUES):
        Queue.objects.create(slug=f"bq-{q}", name=f"bench queue {q}")
    for p in range(POLICIES):
        Policy.objects.create(
            code=f"bp-{p}",
            name=f"bench policy {p}",
            text="",
            severity=1 + p % 4,
            sensitivity_tier=p % 4,
            sla_live_seconds=600,
            sla_seconds=3600,
            ladder=[],
            strike_expiry_days=30,
            dsa_category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        )
    sql = SQL_LOAD.format(
        queues=QUEUES,
        policies=POLICIES,
        languages=len(LANGUAGES),
        language_array="[" + ", ".join(f"'{x}'" for x in LANGUAGES) + "]",
        moderators=MODERATORS,
        accounts=ACCOUNTS,
        heavy=HEAVY_ACCOUNTS,
        lease=LEASE_MINUTES,
    )
    params = {"start": START, "end": END, "span": DAYS * 86400.0, "n": n}
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in sql.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        for table in (
            "review_reviewitem",
            "intake_report",
            "intake_detection",
            "audit_event",
            "review_decision",
            "enforcement_action",
            "enforcement_strike",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def timed(fn: object, runs: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - began)
    return statistics.median(samples), samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse an already loaded database")
    parser.add_argument("--per-kpi", action="store_true", help="also time each KPI on its own")
    args = parser.parse_args()

    if args.keep:
        from _setup import BASE_URL

        django_on(BASE_URL.rsplit("/", 1)[0] + "/" + DB_NAME)
        counts: dict[str, int] = {}
        load_seconds = 0.0
    else:
        django_on(fresh_database(DB_NAME))
        began = time.perf_counter()
        counts = load(args.items)
        load_seconds = time.perf_counter() - began

    from modops.insights import kpis
    from modops.insights.projection import catch_up
    from modops.insights.slices import Slice

    began = time.perf_counter()
    projected = catch_up()
    project_seconds = time.perf_counter() - began
    if projected:
        from django.db import connection

        with connection.cursor() as cursor:
            # What autovacuum would do after a backfill: the planner needs the new tables' statistics.
            cursor.execute("ANALYZE")

    everything = Slice(since=START, until=END)
    one_queue = Slice(since=START, until=END, queue="bq-1")
    result = kpis.compute_all(everything)
    unsliced, unsliced_runs = timed(lambda: kpis.compute_all(everything), args.runs)
    sliced, sliced_runs = timed(lambda: kpis.compute_all(one_queue), args.runs)

    print(f"\n`.venv/bin/python bench/bench_kpis.py --items {args.items} --runs {args.runs}`\n")
    if counts:
        print("| table | rows |\n|---|---:|")
        for table, rows in counts.items():
            print(f"| {table} | {rows:,} |")
        print(
            f"\nLoaded in {load_seconds:.0f} s; projections caught up ({projected:,} events) in {project_seconds:.1f} s.\n"
        )
    print("| computation (30 days) | median | runs |\n|---|---:|---|")
    print(f"| all KPIs, unsliced | {unsliced * 1000:.0f} ms | {', '.join(f'{s * 1000:.0f}' for s in unsliced_runs)} |")
    print(f"| all KPIs, queue bq-1 | {sliced * 1000:.0f} ms | {', '.join(f'{s * 1000:.0f}' for s in sliced_runs)} |")
    if args.per_kpi:
        print("\n| KPI (unsliced) | median |\n|---|---:|")
        for name in kpis.COMPUTE_ORDER:
            fn = getattr(kpis, name)
            median, _ = timed(lambda fn=fn: fn(everything), args.runs)
            print(f"| {name} | {median * 1000:.0f} ms |")
    print("\nValues (unsliced):")
    for name, value in result.items():
        print(f"- {name}: {value}")


if __name__ == "__main__":
    main()
