"""The chat bus: NATS JetStream between intake and any number of screening workers.

Subjects, with ``<prefix>`` from ``MODOPS_BUS_PREFIX`` (default ``modops``):

- ``<prefix>.chat.<channel>``: messages to screen, one JSON object each
  (``{"id","text","channel"?,"user"?,"first_time"?,"account_created_at"?}``), stored in
  the work-queue stream ``MODOPS_BUS_STREAM``; published with ``Nats-Msg-Id`` = the
  message id, so a message published twice is stored once.
- ``<prefix>.verdicts.<channel>``: one verdict per message (the fields of ``modops
  screen`` output lines), stored in ``<stream>_VERDICTS`` with ``Nats-Msg-Id`` = the
  message id: a message screened again after a worker died is stored once.

Workers share one durable pull consumer and acknowledge a message only after its
verdict is stored, so a worker killed mid-batch loses nothing: the server redelivers
the unacknowledged messages to the others once ``ack_wait`` runs out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StreamConfig
from nats.js.errors import NotFoundError

from modops.screening.services.pipeline import Incoming

log = logging.getLogger("modops.screening.bus")

#: Text beyond this is cut before publishing (the screener cuts further, with a reason);
#: it keeps every message under the server's 1 MB payload limit.
MAX_BUS_TEXT = 100_000
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
SENT_AT = "Modops-Sent-At"
WORKER = "Modops-Worker"
MSG_ID = "Nats-Msg-Id"


class BusUnavailable(Exception):
    """The bus could not take the messages (server down, timeout)."""


def subject_token(channel: str | None) -> str:
    """A channel as one subject token: kept when it is safe, hashed when it holds dots, spaces or wildcards."""
    if not channel:
        return "_"
    if _TOKEN.match(channel):
        return channel
    return "h" + hashlib.sha256(channel.encode("utf-8", "replace")).hexdigest()[:24]


def chat_subject(prefix: str, channel: str | None) -> str:
    return f"{prefix}.chat.{subject_token(channel)}"


def verdict_subject(prefix: str, channel: str | None) -> str:
    return f"{prefix}.verdicts.{subject_token(channel)}"


def verdict_stream(stream: str) -> str:
    return f"{stream}_VERDICTS"


def encode(message: Incoming) -> bytes:
    data: dict[str, Any] = {"id": message.id, "text": message.text[:MAX_BUS_TEXT]}
    for key in ("channel", "user", "first_time", "account_created_at"):
        value = getattr(message, key)
        if value is not None:
            data[key] = value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def decode(payload: bytes) -> Incoming | str:
    """A message from the bus, or the reason it cannot be screened."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    except (ValueError, RecursionError):
        return "invalid JSON"
    if not isinstance(data, dict):
        return "expected a JSON object"
    ident, text = data.get("id"), data.get("text")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or not str(ident):
        return "missing or invalid 'id'"
    if not isinstance(text, str):
        return "missing or invalid 'text'"
    channel, user = data.get("channel"), data.get("user")
    first, created = data.get("first_time"), data.get("account_created_at")
    return Incoming(
        str(ident)[:200],
        text,
        channel if isinstance(channel, str) else None,
        str(user) if isinstance(user, (str, int)) and not isinstance(user, bool) else None,
        first if isinstance(first, bool) else None,
        float(created) if isinstance(created, (int, float)) and not isinstance(created, bool) else None,
    )


@dataclass(frozen=True)
class BusConfig:
    url: str
    stream: str = "MODOPS_CHAT"
    prefix: str = "modops"
    durable: str = "screeners"

    @classmethod
    def from_settings(cls) -> BusConfig | None:
        from django.conf import settings

        url = getattr(settings, "MODOPS_BUS_URL", "")
        if not url:
            return None
        return cls(url, settings.MODOPS_BUS_STREAM, settings.MODOPS_BUS_PREFIX)


async def ensure_streams(js: Any, config: BusConfig) -> None:
    """Create the chat and verdict streams when missing (idempotent; many processes may race)."""
    wanted = [
        StreamConfig(
            name=config.stream,
            subjects=[f"{config.prefix}.chat.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            duplicate_window=120.0,
            max_age=86_400.0,
        ),
        StreamConfig(
            name=verdict_stream(config.stream),
            subjects=[f"{config.prefix}.verdicts.>"],
            duplicate_window=600.0,
            max_age=3_600.0,
        ),
    ]
    for stream in wanted:
        try:
            await js.stream_info(stream.name)
        except NotFoundError:
            try:
                await js.add_stream(stream)
            except Exception:  # another process created it between our look and our add
                await js.stream_info(stream.name)


class Publisher:
    """Publishes from synchronous code (views, EventSub) through one background event loop."""

    def __init__(self, config: BusConfig, timeout: float = 5.0) -> None:
        self.config = config
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="modops-bus", daemon=True)
        self._thread.start()
        self._js: Any = None
        self._lock = threading.Lock()

    async def _connect(self) -> Any:
        if self._js is None:
            nc = await nats.connect(self.config.url, name="modops-intake", connect_timeout=self.timeout)
            js = nc.jetstream()
            await ensure_streams(js, self.config)
            self._js = js
        return self._js

    async def _publish(self, messages: Sequence[Incoming]) -> int:
        js = await self._connect()
        sent = f"{time.time():.6f}"
        acks = await asyncio.gather(
            *(
                js.publish(
                    chat_subject(self.config.prefix, m.channel),
                    encode(m),
                    headers={MSG_ID: m.id, SENT_AT: sent},
                )
                for m in messages
            )
        )
        return sum(1 for a in acks if not a.duplicate)

    def publish(self, messages: Sequence[Incoming]) -> int:
        """Publish and wait for the server's acknowledgements; returns how many were new."""
        if not messages:
            return 0
        with self._lock:
            future = asyncio.run_coroutine_threadsafe(self._publish(messages), self._loop)
            try:
                return future.result(self.timeout + 5.0)
            except Exception as exc:
                future.cancel()
                self._js = None
                raise BusUnavailable(str(exc) or type(exc).__name__) from exc


_PUBLISHER: Publisher | None = None
_PUBLISHER_LOCK = threading.Lock()


def publisher() -> Publisher | None:
    """The process's publisher when ``MODOPS_BUS_URL`` is set, else None (screen in-process)."""
    global _PUBLISHER
    config = BusConfig.from_settings()
    if config is None:
        return None
    with _PUBLISHER_LOCK:
        if _PUBLISHER is None or _PUBLISHER.config != config:
            _PUBLISHER = Publisher(config)
        return _PUBLISHER


@dataclass
class WorkerStats:
    screened: int = 0
    rejected: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


ScreenFn = Callable[[list[Incoming]], list[dict[str, Any]]]


def _screen_safely(screen: ScreenFn, messages: list[Incoming]) -> list[dict[str, Any] | str]:
    """Verdicts, or per message the error that stopped it: one bad message never sinks a batch."""
    try:
        return list(screen(messages))
    except Exception:
        log.exception("batch screening failed; screening one by one")
    out: list[dict[str, Any] | str] = []
    for message in messages:
        try:
            out.append(screen([message])[0])
        except Exception as exc:
            log.exception("message screening failed", extra={"data": {"id": message.id}})
            out.append(f"screening failed: {type(exc).__name__}")
    return out


async def run_worker(
    config: BusConfig,
    screen: ScreenFn,
    stop: asyncio.Event,
    *,
    name: str = "screen-worker",
    batch: int = 500,
    ack_wait: float = 30.0,
    fetch_timeout: float = 0.5,
    batch_wait: float = 0.005,
    in_flight: int = 4,
    inline: bool = False,
    stats: WorkerStats | None = None,
) -> WorkerStats:
    """Pull, screen in batches, store verdicts, then acknowledge; until ``stop`` is set.

    Idle, the worker waits up to ``fetch_timeout`` for one message; busy, it takes up to
    ``batch`` messages waiting at most ``batch_wait`` for them, so a quiet channel's message
    is not held back to fill a batch. Up to ``in_flight`` batches may wait for their verdicts'
    storage acknowledgements while the next batch is screened. ``inline`` screens on the
    event loop's thread: right for screening that does no I/O (no database), where a worker
    thread would only add GIL hand-offs to every batch.
    """
    stats = stats if stats is not None else WorkerStats()
    nc = await nats.connect(config.url, name=name, max_reconnect_attempts=-1)
    pending: set[asyncio.Task[None]] = set()
    try:
        js = nc.jetstream(publish_async_max_pending=max(4000, batch * (in_flight + 1)))
        await ensure_streams(js, config)
        consumer = ConsumerConfig(
            durable_name=config.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            max_ack_pending=20_000,
        )
        sub = await js.pull_subscribe(
            f"{config.prefix}.chat.>", durable=config.durable, stream=config.stream, config=consumer
        )
        loop = asyncio.get_running_loop()
        window = asyncio.Semaphore(in_flight)
        busy = False
        while not stop.is_set():
            try:
                if busy:
                    msgs = await sub.fetch(batch, timeout=batch_wait)
                else:
                    msgs = await sub.fetch(1, timeout=fetch_timeout)
            except (TimeoutError, NatsTimeout):
                busy = False
                continue
            except Exception:  # server restart, consumer hiccup: keep serving
                log.exception("fetch failed")
                busy = False
                await asyncio.sleep(0.5)
                continue
            busy = True
            stats.batches += 1
            good = await _usable(msgs, stats)
            if not good:
                continue
            batch_in = [m for _, m in good]
            if inline:
                results = _screen_safely(screen, batch_in)
            else:
                results = await loop.run_in_executor(None, _screen_safely, screen, batch_in)
            await window.acquire()
            task = asyncio.create_task(_store_then_ack(js, config, good, results, name, stats))
            pending.add(task)
            task.add_done_callback(pending.discard)
            task.add_done_callback(lambda _: window.release())
    finally:
        # Let the batches in flight finish (their verdicts stored, their messages acknowledged).
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await nc.close()
    return stats


async def _usable(msgs: list[Any], stats: WorkerStats) -> list[tuple[Any, Incoming]]:
    good: list[tuple[Any, Incoming]] = []
    for msg in msgs:
        decoded = decode(msg.data or b"")
        if isinstance(decoded, str):
            stats.rejected += 1
            stats.errors.append(decoded)
            del stats.errors[:-100]
            log.warning("unusable bus message dropped", extra={"data": {"subject": msg.subject, "error": decoded}})
            await msg.term()  # never redeliver what can never be screened
        else:
            good.append((msg, decoded))
    return good


#: How long a batch waits for the server to confirm its verdicts are stored.
STORE_TIMEOUT = 10.0


async def _store_then_ack(
    js: Any,
    config: BusConfig,
    good: list[tuple[Any, Incoming]],
    results: list[dict[str, Any] | str],
    name: str,
    stats: WorkerStats,
) -> None:
    futures = []
    done = []
    for (msg, message), result in zip(good, results, strict=True):
        if isinstance(result, str):
            stats.rejected += 1
            await msg.term()
            continue
        headers = {MSG_ID: message.id, WORKER: name}
        sent = (msg.headers or {}).get(SENT_AT)
        if sent:
            headers[SENT_AT] = sent
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
        futures.append(
            await js.publish_async(verdict_subject(config.prefix, message.channel), payload, headers=headers)
        )
        done.append(msg)
    # Verdicts first, acknowledgements after: a crash in between means redelivery, and the
    # verdict stream's Nats-Msg-Id window turns the second verdict into a no-op. The
    # publishes go out together and their storage acknowledgements are awaited as one.
    try:
        await asyncio.wait_for(asyncio.gather(*futures), STORE_TIMEOUT)
    except Exception as exc:
        # Unacknowledged, the batch is redelivered after ack_wait (its stored verdicts deduplicated).
        log.warning("verdicts not confirmed; batch left for redelivery", extra={"data": {"error": repr(exc)}})
        return
    for msg in done:
        await msg.ack()
    stats.screened += len(done)
