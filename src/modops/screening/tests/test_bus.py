"""The NATS JetStream bus against the real server: sharing, crash safety, hostile payloads."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from modops.screening.bus import (
    MSG_ID,
    WORKER,
    BusConfig,
    chat_subject,
    decode,
    encode,
    ensure_streams,
    run_worker,
    verdict_stream,
)
from modops.screening.services.pipeline import Incoming

URL = "nats://127.0.0.1:4222"


def _server_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _server_up(), reason="NATS is not running on 127.0.0.1:4222 (scripts/services.sh)")


@pytest.fixture
def config() -> Iterator[BusConfig]:
    """A stream and subject prefix of its own, removed afterwards."""
    tag = uuid.uuid4().hex[:10]
    cfg = BusConfig(URL, f"TEST_{tag}", f"t{tag}", "screeners")
    yield cfg

    async def drop() -> None:
        nc = await nats.connect(URL)
        js = nc.jetstream()
        for name in (cfg.stream, verdict_stream(cfg.stream)):
            with contextlib.suppress(Exception):  # already gone
                await js.delete_stream(name)
        await nc.close()

    asyncio.run(drop())


async def _publish_raw(cfg: BusConfig, items: list[tuple[str, bytes, str]]) -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await ensure_streams(js, cfg)
    for subject, payload, msg_id in items:
        await js.publish(subject, payload, headers={MSG_ID: msg_id})
    await nc.close()


async def _verdicts(cfg: BusConfig, want: int, deadline_s: float) -> list[Any]:
    """Read the verdict stream until ``want`` messages are stored or the deadline passes."""
    nc = await nats.connect(URL)
    js = nc.jetstream()
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        info = await js.stream_info(verdict_stream(cfg.stream))
        if info.state.messages >= want:
            break
        await asyncio.sleep(0.2)
    sub = await js.pull_subscribe(
        f"{cfg.prefix}.verdicts.>",
        stream=verdict_stream(cfg.stream),
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
    )
    out: list[Any] = []
    while True:
        try:
            batch = await sub.fetch(1000, timeout=1)
        except Exception:
            break
        out.extend(batch)
    await nc.close()
    return out


def test_encode_decode_round_trip_and_hostile_payloads() -> None:
    message = Incoming("m1", "hi", "chan.with dots", "u", True, 12.0)
    assert decode(encode(message)) == message
    assert decode(b"\xff\xfe") == "invalid UTF-8 at byte 0"
    assert decode(b"{nope") == "invalid JSON"
    assert decode(b"[1]") == "expected a JSON object"
    assert decode(b'{"id": "x", "text": 5}') == "missing or invalid 'text'"
    assert chat_subject("modops", "chan.with dots").count(".") == 2


def test_worker_survives_bad_payloads_and_screens_the_rest(config: BusConfig) -> None:
    from modops.screening.management.commands._pure import pure_screen

    screen = pure_screen(None, 3)
    subject = chat_subject(config.prefix, "c1")
    big = json.dumps({"id": "big", "text": "a" * 900_000, "channel": "c1"}).encode()
    items = [
        (subject, b"\xff\xfe\xfd", "bad-utf8"),
        (subject, b'{"id": "x", "text": ', "bad-json"),
        (subject, b'"just a string"', "not-object"),
        (subject, big, "big"),
        (subject, encode(Incoming("zw", "\u200b" * 5000 + "hi", "c1")), "zw"),
        (subject, encode(Incoming("ok", "kill yourself loser", "c1", "u1")), "ok"),
    ]

    async def scenario() -> Any:
        await _publish_raw(config, items)
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(config, screen, stop, name="w", fetch_timeout=0.2))
        verdicts = await _verdicts(config, 3, 20)
        stop.set()
        return await task, verdicts

    stats, verdicts = asyncio.run(scenario())
    by_id = {json.loads(m.data)["id"]: json.loads(m.data) for m in verdicts}
    assert set(by_id) == {"big", "zw", "ok"}
    assert by_id["ok"]["verdict"] == "hold"
    assert any("truncated" in r for r in by_id["big"]["reasons"])
    assert stats.rejected == 3 and stats.screened == 3


def _worker(config: BusConfig, name: str, config_file: Path) -> subprocess.Popen[bytes]:
    log = (config_file.parent / f"{name}.log").open("wb")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "modops.cli",
            "screen-worker",
            "--url",
            URL,
            "--stream",
            config.stream,
            "--prefix",
            config.prefix,
            "--ack-wait",
            "2",
            "--batch",
            "50",
            "--name",
            name,
            "--channel-config",
            str(config_file),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()  # the child has its own descriptor
    return proc


def test_two_workers_share_the_load_and_a_killed_one_loses_nothing(config: BusConfig, tmp_path: Path) -> None:
    config_file = tmp_path / "channels.json"
    config_file.write_text(json.dumps({"*": {"automod": {"overall_level": 3}}}))
    total = 3000
    messages = [Incoming(f"m{i}", f"message number {i} gg", f"c{i % 7}", f"u{i % 50}") for i in range(total)]
    victim = _worker(config, "victim", config_file)
    survivor = _worker(config, "survivor", config_file)
    try:

        async def feed_until_both_work_then_kill() -> None:
            """Trickle messages in until both workers have screened some, then kill one mid-stream."""
            nc = await nats.connect(URL)
            js = nc.jetstream()
            await ensure_streams(js, config)
            seen: dict[str, int] = {}

            async def count(msg: Any) -> None:
                name = (msg.headers or {}).get(WORKER, "")
                seen[name] = seen.get(name, 0) + 1

            await nc.subscribe(f"{config.prefix}.verdicts.>", cb=count)
            # Both workers must be up and pulling before the first message goes out.
            end = time.monotonic() + 120
            while time.monotonic() < end:
                with contextlib.suppress(Exception):  # the consumer may not exist yet
                    info = await js.consumer_info(config.stream, config.durable)
                    if info.num_waiting >= 2:
                        break
                await asyncio.sleep(0.1)
            sent = 0
            end = time.monotonic() + 120
            while time.monotonic() < end and sent < total:
                for m in messages[sent : sent + 20]:
                    await js.publish(chat_subject(config.prefix, m.channel), encode(m), headers={MSG_ID: m.id})
                sent += 20
                await asyncio.sleep(0.05)
                if seen.get("victim", 0) >= 20 and seen.get("survivor", 0) >= 20 and sent >= total // 3:
                    break
            victim.send_signal(signal.SIGKILL)
            for m in messages[sent:]:
                await js.publish(chat_subject(config.prefix, m.channel), encode(m), headers={MSG_ID: m.id})
            await nc.close()

        asyncio.run(feed_until_both_work_then_kill())
        victim.wait(10)
        verdicts = asyncio.run(_verdicts(config, total, 90))
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    ids = [json.loads(m.data)["id"] for m in verdicts]
    logs = {p.name: p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log")}
    assert len(ids) == total, f"{len(ids)} verdicts for {total} messages; worker logs: {logs}"
    assert set(ids) == {m.id for m in messages}  # none lost, none twice
    workers = {m.headers[WORKER] for m in verdicts}
    assert workers == {"victim", "survivor"}


@pytest.mark.django_db
def test_batch_endpoint_and_eventsub_publish_to_the_bus_when_configured(config: BusConfig) -> None:
    from django.test import override_settings

    from modops.conftest import Api
    from modops.integrations.models import EventSubDelivery
    from modops.integrations.tests.test_eventsub import SECRET, _chat, post
    from modops.screening.models import HeldMessage
    from modops.testing.factories import token_for

    api = Api(token_for(["intake"]))
    with override_settings(
        MODOPS_BUS_URL=URL,
        MODOPS_BUS_STREAM=config.stream,
        MODOPS_BUS_PREFIX=config.prefix,
        MODOPS_TWITCH_EVENTSUB_SECRET=SECRET,
    ):
        response = api.post("/screen", {"messages": [{"id": "a", "text": "kill yourself", "channel": "c.1"}]})
        assert response.status_code == 202 and response.json() == {"queued": 1, "published": 1}
        assert api.post("/screen", {"messages": [{"id": "a", "text": "again"}]}).json()["published"] == 0
        assert post(_chat("kill yourself loser", "chat-7")).status_code == 204
    assert EventSubDelivery.objects.get().result == {"queued": True}
    assert not HeldMessage.objects.exists()  # screening happens in the workers

    async def stored() -> int:
        nc = await nats.connect(URL)
        info = await nc.jetstream().stream_info(config.stream)
        await nc.close()
        return int(info.state.messages)

    assert asyncio.run(stored()) == 2
