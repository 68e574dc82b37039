"""Screening from a channel-config file alone, for stateless bus workers (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modops.screening.bus import ScreenFn
from modops.screening.services.pipeline import Incoming


def pure_screen(config_path: str | None, level: int) -> ScreenFn:
    """Screening from a channel-config file alone (no database): stateless workers."""
    from modops.screening.services.channels import live_second_stage
    from modops.text.automod import AutoModSettings
    from modops.text.channels import DEFAULT_CHANNEL, parse_channel_config
    from modops.text.screen import Message, Screener

    configs = parse_channel_config(json.loads(Path(config_path).read_text("utf-8"))) if config_path else {}
    default = AutoModSettings.overall(level)
    screeners: dict[str, Screener] = {}
    second_stage = live_second_stage()

    def key_of(channel: str | None) -> str:
        return channel if channel is not None and channel in configs else DEFAULT_CHANNEL

    def screener(key: str) -> Screener:
        if key not in screeners:
            config = configs.get(key)
            settings_ = config.settings if config and config.settings else default
            screeners[key] = Screener(settings_, config.terms if config else None, second_stage=second_stage)
        return screeners[key]

    def screen(messages: list[Incoming]) -> list[dict[str, Any]]:
        # Channels with the same settings are screened as one batch (per-call overhead dominates small groups).
        out: list[dict[str, Any]] = [{} for _ in messages]
        groups: dict[str, list[int]] = {}
        for i, m in enumerate(messages):
            groups.setdefault(key_of(m.channel), []).append(i)
        for key, indices in groups.items():
            batch = [Message(messages[i].id, messages[i].text, messages[i].channel, messages[i].user) for i in indices]
            for i, verdict in zip(indices, screener(key).screen_batch(batch), strict=True):
                out[i] = verdict.to_dict()
        return out

    return screen
