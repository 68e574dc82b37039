"""p99 per-message latency of chat screening at a sustained rate: in-process, and through
NATS JetStream with two ``modops screen-worker`` processes.

- in-process: messages arrive at ``--rate`` per second and are screened in micro-batches
  every ``--micro-batch-ms``; a message's latency = its batch's end - its arrival. Twice:
  the text pipeline alone (what a database-free worker runs) and the full path intake takes
  without a bus (channel settings, stored holds and denials, raid watch) on a fresh SQLite
  database (or ``DATABASE_URL``).
- NATS: a publisher sends at ``--rate`` per second onto ``<prefix>.chat.<channel>`` (each
  message stamped with its send time), two workers share the durable consumer, and a
  subscriber on ``<prefix>.verdicts.>`` takes latency = verdict received - message sent.
  Needs the server on 127.0.0.1:4222 (scripts/services.sh starts it).

    python bench/bench_screening.py [--rate 10000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modops.settings")
os.environ.setdefault("MODOPS_LOG_LEVEL", "WARNING")
_DB_DIR = tempfile.mkdtemp(prefix="bench-screening-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_DB_DIR}/bench.sqlite3")

import django  # noqa: E402

django.setup()

import nats  # noqa: E402

from modops.screening.bus import MSG_ID, SENT_AT, BusConfig, chat_subject, encode, ensure_streams, verdict_stream  # noqa: E402
from modops.screening.management.commands._pure import pure_screen  # noqa: E402
from modops.screening.services.pipeline import Incoming  # noqa: E402

CLEAN = ["gg", "lets go", "that was a clutch play", "hello chat", "LUL", "what song is this", "first time here, hi!"]
DIRTY = ["you are trash", "kill yourself loser", "shut up idiot", "this streamer sucks ass", "you retard"]


def messages(n: int, seed: int = 7) -> list[Incoming]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = rng.choice(DIRTY) if rng.random() < 0.1 else rng.choice(CLEAN) + f" {rng.randint(0, 999)}"
        out.append(Incoming(f"m{i}", text, f"ch{i % 50}", f"u{rng.randint(0, 5000)}"))
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0


def in_process(rate: int, seconds: float, micro_ms: float, full: bool = False) -> dict[str, float]:
    if full:
        from django.core.management import call_command

        from modops.screening.services import screen_batch

        call_command("migrate", verbosity=0)
        screen = screen_batch
    else:
        screen = pure_screen(None, 3)
    screen(messages(2000, 1))  # warm the model and caches
    msgs = messages(int(rate * seconds))
    tick = micro_ms / 1000.0
    per_tick = max(1, int(rate * tick))
    latencies: list[float] = []
    start = time.perf_counter()
    for b in range(0, len(msgs), per_tick):
        batch = msgs[b : b + per_tick]
        arrivals = [start + (b + k) / rate for k in range(len(batch))]
        due = arrivals[-1]
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        screen(batch)
        end = time.perf_counter()
        latencies.extend(end - a for a in arrivals)
    elapsed = time.perf_counter() - start
    return {"messages": len(msgs), "rate": len(msgs) / elapsed, "p50": p(latencies, 0.5), "p99": p(latencies, 0.99)}


async def through_nats(rate: int, seconds: float) -> dict[str, float]:
    tag = uuid.uuid4().hex[:8]
    config = BusConfig("nats://127.0.0.1:4222", f"BENCH_{tag}", f"b{tag}", "screeners")
    nc = await nats.connect(config.url)
    js = nc.jetstream()
    await ensure_streams(js, config)
    with tempfile.TemporaryDirectory() as tmp:
        channels = Path(tmp) / "channels.json"
        channels.write_text(json.dumps({"*": {"automod": {"overall_level": 3}}}))
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "modops.cli",
                    "screen-worker",
                    "--url",
                    config.url,
                    "--stream",
                    config.stream,
                    "--prefix",
                    config.prefix,
                    "--batch",
                    "500",
                    "--name",
                    f"w{i}",
                    "--channel-config",
                    str(channels),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(2)
        ]
        latencies: list[float] = []

        async def on_verdict(msg: nats.aio.msg.Msg) -> None:
            sent = (msg.headers or {}).get(SENT_AT)
            if sent and sent != "0":  # "0": warm-up
                latencies.append(time.time() - float(sent))

        await nc.subscribe(f"{config.prefix}.verdicts.>", cb=on_verdict)
        try:
            # Warm-up: both workers load the model before the clock starts.
            for m in messages(2000, 1):
                await nc.publish(
                    chat_subject(config.prefix, m.channel), encode(m), headers={MSG_ID: "w" + m.id, SENT_AT: "0"}
                )
            while True:
                info = await js.stream_info(verdict_stream(config.stream))
                if info.state.messages >= 2000:
                    break
                await asyncio.sleep(0.2)
            msgs = messages(int(rate * seconds))
            start = time.time()
            step = max(1, rate // 100)  # 10 ms worth at a time, each burst at its due time
            for b in range(0, len(msgs), step):
                due = start + b / rate
                delay = due - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                for m in msgs[b : b + step]:
                    await nc.publish(
                        chat_subject(config.prefix, m.channel),
                        encode(m),
                        headers={MSG_ID: m.id, SENT_AT: f"{time.time():.6f}"},
                    )
            sent_rate = len(msgs) / (time.time() - start)
            deadline = time.time() + 60
            while len(latencies) < len(msgs) and time.time() < deadline:
                await asyncio.sleep(0.2)
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)
            for name in (config.stream, verdict_stream(config.stream)):
                await js.delete_stream(name)
            await nc.close()
    return {"messages": len(latencies), "rate": sent_rate, "p50": p(latencies, 0.5), "p99": p(latencies, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--micro-batch-ms", type=float, default=10.0)
    parser.add_argument("--skip-nats", action="store_true")
    args = parser.parse_args()
    rows = [("in-process, text pipeline", in_process(args.rate, args.seconds, args.micro_batch_ms))]
    rows.append(
        ("in-process, full path (settings, holds)", in_process(args.rate, args.seconds, args.micro_batch_ms, True))
    )
    if not args.skip_nats:
        rows.append(("NATS JetStream, 2 workers", asyncio.run(through_nats(args.rate, args.seconds))))
    print(f"### Chat screening latency at {args.rate:,} msgs/s for {args.seconds:g} s")
    print(f"(in-process micro-batches every {args.micro_batch_ms:g} ms)\n")
    print("| path | messages | offered msgs/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['messages']:,.0f} | {r['rate']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} |")


if __name__ == "__main__":
    main()
