"""Core-loop benchmarks on PostgreSQL, in one run:

1. reports/s through the HTTP API (gunicorn + wrk on loopback);
2. claim → decide → outbox cycles/s, against a bare ``SELECT … FOR UPDATE SKIP LOCKED`` loop on the
   same shape of data;
3. claim latency percentiles with 1M open items.

    .venv/bin/python bench/bench_core.py [--seconds 20] [--items 1000000] [--workers 3] [--threads 16] [--connections 64]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, django_on, fresh_database

WRK_SCRIPT = r"""
local policies = {"hateful_conduct", "harassment", "spam_scams", "violence_threats", "sexual_content"}
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  counter = counter + 1
  local s = math.random(1, 5000)
  local body = string.format(
    '{"subject":{"kind":"stream","id":"st_%d","channel_id":"ch_%d","account_id":"acc_%d","live":true,"viewers":%d},' ..
    '"policy":"%s","reporter_id":"r_%d_%d","text":"bench report","language":"en"}',
    s, s, s, 100 + s, policies[math.random(#policies)], math.random(1, 1000000), counter)
  return wrk.format("POST", "/api/v1/reports",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer __TOKEN__"}, body)
end
"""


BATCH_SCRIPT = r"""
local policies = {"hateful_conduct", "harassment", "spam_scams", "violence_threats", "sexual_content"}
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local parts = {}
  for i = 1, __BATCH__ do
    counter = counter + 1
    local s = math.random(1, 5000)
    parts[i] = string.format(
      '{"subject":{"kind":"stream","id":"st_%d","channel_id":"ch_%d","account_id":"acc_%d","live":true,"viewers":%d},' ..
      '"policy":"%s","reporter_id":"r_%d_%d","text":"bench report","language":"en"}',
      s, s, s, 100 + s, policies[math.random(#policies)], math.random(1, 1000000), counter)
  end
  local body = '{"reports":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v1/reports/batch",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer __TOKEN__"}, body)
end
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_http(
    url: str, seconds: int, workers: int, threads: int, connections: int, batch: int = 0
) -> dict[str, float]:
    from modops.accounts.services import create_token
    from modops.intake.models import Report

    token = create_token("bench", ["intake"]).secret
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MODOPS_DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 40,
        # Production settings refuse to start without an evidence key; a throw-away one for the run.
        "MODOPS_EVIDENCE_KEY": base64.b64encode(os.urandom(32)).decode(),
        "MODOPS_LOG_LEVEL": "WARNING",
        # Threaded workers commit the single reports that arrive together in one transaction.
        "MODOPS_INTAKE_GROUP_COMMIT": "1",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "modops.wsgi",
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-w",
            str(workers),
            "-b",
            "127.0.0.1:8099",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                import urllib.request

                urllib.request.urlopen("http://127.0.0.1:8099/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            script = BATCH_SCRIPT.replace("__BATCH__", str(batch)) if batch else WRK_SCRIPT
            f.write(script.replace("__TOKEN__", token))
        before = Report.objects.count()
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                f.name,
                "http://127.0.0.1:8099",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        stored = Report.objects.count() - before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    return {
        "reports_per_s": stored / seconds,
        "rps": rps,
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "stored": stored,
        "p99": f"{p99.group(1)}{p99.group(2)}" if p99 else "?",
    }


def seed_items(count: int, queue_slug: str, subjects_offset: int = 0, accounts: bool = False) -> None:
    """Bulk-insert ``count`` open items (10 policies per subject) straight in SQL.

    ``accounts``: each chat message gets an author account, so an action on it records a strike.
    """
    from django.db import connection

    from modops.review.models import Queue

    queue = Queue.objects.get(slug=queue_slug)
    n_subjects = (count + 9) // 10
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO subjects_subject (kind, external_id, display_name, text, language, first_seen_at, updated_at)
            SELECT 'chat_message', 'bench_' || %s || '_' || g, '', '', 'en', now(), now()
            FROM generate_series(1, %s) g
            """,
            [subjects_offset, n_subjects],
        )
        if accounts:
            cur.execute(
                """
                INSERT INTO subjects_subject (kind, external_id, display_name, text, language, first_seen_at, updated_at)
                SELECT 'account', 'bench_acc_' || %s || '_' || g, '', '', 'en', now(), now()
                FROM generate_series(1, %s) g
                """,
                [subjects_offset, n_subjects],
            )
            cur.execute(
                """
                UPDATE subjects_subject m SET account_id = a.id FROM subjects_subject a
                WHERE m.kind = 'chat_message' AND a.kind = 'account'
                  AND a.external_id = 'bench_acc_' || substr(m.external_id, length('bench_') + 1)
                  AND m.external_id LIKE %s
                """,
                [f"bench\\_{subjects_offset}\\_%"],
            )
        cur.execute("SELECT id FROM policies_policy WHERE sensitivity_tier <= 1 ORDER BY id LIMIT 10")
        policies = [r[0] for r in cur.fetchall()]
        cur.execute(
            """
            INSERT INTO review_reviewitem (id, subject_id, policy_id, queue_id, status, priority, priority_floor, sla_due_at, sla_breached,
                first_seen_at, last_signal_at, report_count, detection_count, confidence, velocity, live, reach,
                language, tier, account_external_id, version, created_at)
            SELECT gen_random_uuid(), s.id, p.pid, %s, 'open', random() * 1000, 0, now() + interval '1 hour', false,
                now(), now(), 1, 0, 0.5, 1, false, 0, 'en', 0, '', 1, now()
            FROM subjects_subject s CROSS JOIN unnest(%s::bigint[]) AS p(pid)
            WHERE s.external_id LIKE %s
            LIMIT %s
            """,
            [queue.pk, policies, f"bench\\_{subjects_offset}\\_%", count],
        )
        cur.execute("ANALYZE review_reviewitem")


def _backend_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the PostgreSQL backend serving this process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_cycles(seconds: float, slice_seconds: float = 0.5) -> dict[str, float]:
    """Both loops in alternating slices, so that a shared machine's changing speed falls on both.

    Returns median rates and the median of each round's ratio, and CPU milliseconds per cycle in
    this process and in its database backend.
    """
    from django.db import connection, transaction

    from modops.enforcement.models import Adapter, OutboxMessage, Strike
    from modops.review import services
    from modops.review.models import Queue
    from modops.testing.factories import StaffFactory

    moderator = StaffFactory(user__username="bench-mod", clearance=1, languages=["en"]).user
    # An enabled adapter, so every action writes its delivery to the outbox (nothing delivers it here).
    Adapter.objects.create(name="bench-webhook", kind="webhook", config={"url": "http://127.0.0.1:9/", "secret": "x"})
    expected = int(seconds / 2 * 1500) + 1000  # more items than either loop can take
    seed_items(expected, "general", subjects_offset=1, accounts=True)
    Queue.objects.create(slug="bare", name="bare")
    seed_items(expected, "bare", subjects_offset=2)
    queue_id = Queue.objects.get(slug="bare").pk

    def modops_cycle() -> None:
        got = services.claim(moderator, "general")
        assert got is not None
        services.decide(
            moderator,
            got.item_id,
            services.DecisionInput(violation=True, version=got.version, action_type="delete_message"),
        )

    def bare_cycle() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT id FROM review_reviewitem WHERE queue_id = %s AND status = 'open' "
                "ORDER BY priority DESC LIMIT 1 FOR UPDATE SKIP LOCKED",
                [queue_id],
            )
            (item_id,) = cur.fetchone()
            cur.execute("UPDATE review_reviewitem SET status = 'closed' WHERE id = %s", [item_id])

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (backend,) = cur.fetchone()
    loops = {"modops": modops_cycle, "bare": bare_cycle}
    warm = 50  # cycles each, to fill the caches and prepare the statements
    for loop in loops.values():
        for _ in range(warm):
            loop()
    rates: dict[str, list[float]] = {name: [] for name in loops}
    cpu: dict[str, list[float]] = {name: [0.0, 0.0, 0.0] for name in loops}  # cycles, client s, server s
    done = dict.fromkeys(loops, warm)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for name, loop in loops.items():
            n, client, server = 0, time.process_time(), _backend_cpu_seconds(backend)
            start = time.perf_counter()
            while time.perf_counter() - start < slice_seconds:
                loop()
                n += 1
            rates[name].append(n / (time.perf_counter() - start))
            cpu[name][0] += n
            cpu[name][1] += time.process_time() - client
            cpu[name][2] += _backend_cpu_seconds(backend) - server
            done[name] += n
    # Every cycle wrote its decision, action, strike and outbox row.
    assert OutboxMessage.objects.count() == done["modops"], (OutboxMessage.objects.count(), done["modops"])
    assert Strike.objects.count() == done["modops"], (Strike.objects.count(), done["modops"])
    ratios = [m / b for m, b in zip(rates["modops"], rates["bare"], strict=True)]
    out = {name: statistics.median(values) for name, values in rates.items()}
    out["ratio"] = statistics.median(ratios)
    out["rounds"] = len(ratios)
    for name, (n, client, server) in cpu.items():
        out[f"{name}_client_ms"] = client / n * 1000
        out[f"{name}_server_ms"] = server / n * 1000
    return out


def bench_claim_latency(items: int, claims: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model

    from modops.review import services
    from modops.review.models import Queue

    Queue.objects.create(slug="million", name="million")
    started = time.perf_counter()
    seed_items(items, "million", subjects_offset=3)
    seeded = time.perf_counter() - started
    moderator = get_user_model().objects.get(username="bench-mod")
    latencies = []
    for _ in range(claims):
        t = time.perf_counter()
        got = services.claim(moderator, "million")
        latencies.append((time.perf_counter() - t) * 1000)
        assert got is not None
    return {
        "seed_seconds": seeded,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "mean": statistics.fmean(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=16, help="gthread threads per gunicorn worker")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (one report per request)")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk") and not args.skip_http:
        sys.exit("wrk is not installed: apt-get install -y wrk (or pass --skip-http)")
    url = fresh_database("modops_bench_core")
    django_on(url)
    print(f"## Core loop (PostgreSQL, {os.cpu_count()} cores)\n")
    print(
        f"Command: `.venv/bin/python bench/bench_core.py --seconds {args.seconds} --items {args.items} "
        f"--claims {args.claims} --workers {args.workers} --threads {args.threads} "
        f"--connections {args.connections}{' --skip-http' if args.skip_http else ''}`\n"
    )
    if not args.skip_http:
        one = bench_http(url, args.seconds, args.workers, args.threads, args.connections)
        many = bench_http(url, args.seconds, args.workers, args.threads, args.workers * 2, batch=100)
        print(
            f"| reports through HTTP (gunicorn {args.workers} gthread workers × {args.threads} threads, group commit on) "
            f"| one report per request, wrk {args.connections} connections "
            f"| `POST /reports/batch`, 100 per request, wrk {args.workers * 2} connections |"
        )
        print("|---|---|---|")
        print(
            f"| reports/s stored (target ≥ 1,000) | **{one['reports_per_s']:.0f}** | **{many['reports_per_s']:.0f}** |"
        )
        print(f"| requests/s | {one['rps']:.0f} | {many['rps']:.1f} |")
        print(
            f"| requests / non-2xx / reports stored | {one['requests']} / {one['non_2xx']} / {one['stored']} "
            f"| {many['requests']} / {many['non_2xx']} / {many['stored']} |"
        )
        print(f"| request latency p99 | {one['p99']} | {many['p99']} |\n")
    cycles = bench_cycles(args.seconds)
    print(
        f"| claim → decide → outbox ({cycles['rounds']:.0f} alternating rounds of 0.5 s each) | per second "
        "| CPU ms per cycle: this process | its database backend |\n|---|---|---|---|"
    )
    print(
        f"| modops services: claim (item + event), decide (decision, item, action, strike, outbox row, "
        f"3 events) | {cycles['modops']:.0f} | {cycles['modops_client_ms']:.2f} | {cycles['modops_server_ms']:.2f} |"
    )
    print(
        f"| bare `SELECT … FOR UPDATE SKIP LOCKED` + `UPDATE` loop | {cycles['bare']:.0f} "
        f"| {cycles['bare_client_ms']:.2f} | {cycles['bare_server_ms']:.2f} |"
    )
    print(f"| ratio (median of the rounds' ratios) | **{cycles['ratio']:.2f}×** (target ≥ 0.3×) | | |\n")
    claim = bench_claim_latency(args.items, args.claims)
    print(f"| claim with {args.items:,} open items ({args.claims} claims) | ms |\n|---|---|")
    for key in ("p50", "p95", "p99", "mean"):
        print(f"| {key} | {claim[key]:.2f} |")
    print(f"\n(seeding {args.items:,} items took {claim['seed_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
