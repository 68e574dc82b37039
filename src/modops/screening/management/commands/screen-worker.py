"""``modops screen-worker``: screen chat from the NATS JetStream bus; run as many as you like."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from modops.screening.bus import BusConfig, ScreenFn, run_worker
from modops.screening.management.commands._pure import pure_screen
from modops.screening.services.pipeline import Incoming


class Command(BaseCommand):
    help = "Screen chat from the NATS bus (MODOPS_BUS_URL) in batches and publish verdicts. See docs/screening.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=settings.MODOPS_BUS_URL, help="nats://host:port (default MODOPS_BUS_URL)")
        parser.add_argument("--stream", default=settings.MODOPS_BUS_STREAM)
        parser.add_argument("--prefix", default=settings.MODOPS_BUS_PREFIX)
        parser.add_argument("--durable", default="screeners", help="the shared consumer's name")
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument(
            "--ack-wait", type=float, default=30.0, help="seconds before an unacknowledged message is redelivered"
        )
        parser.add_argument(
            "--channel-config",
            help="screen from this channel-config file without a database (no holds stored, no escalation)",
        )
        parser.add_argument("--level", type=int, default=3, choices=range(5))
        parser.add_argument("--name", default=f"{socket.gethostname()}:{os.getpid()}")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["url"]:
            raise CommandError("--url: no bus configured (set MODOPS_BUS_URL=nats://host:port)")
        inline = bool(options["channel_config"])  # no database: screen on the event loop
        if options["channel_config"]:
            try:
                screen = pure_screen(options["channel_config"], options["level"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"--channel-config: {exc}") from exc
        else:
            from django.db import close_old_connections

            from modops.screening.services import screen_batch

            def screen(messages: list[Incoming]) -> list[dict[str, Any]]:
                close_old_connections()
                return screen_batch(messages)

        config = BusConfig(options["url"], options["stream"], options["prefix"], options["durable"])
        asyncio.run(self._run(config, screen, options, inline))

    async def _run(self, config: BusConfig, screen: ScreenFn, options: dict[str, Any], inline: bool) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        self.stderr.write(f"screen-worker {options['name']} on {config.url} stream {config.stream}\n")
        stats = await run_worker(
            config,
            screen,
            stop,
            name=options["name"],
            batch=options["batch"],
            ack_wait=options["ack_wait"],
            inline=inline,
        )
        self.stderr.write(f"screened {stats.screened}, rejected {stats.rejected}\n")
