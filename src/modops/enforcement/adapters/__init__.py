"""Platform adapters: where enforcement is delivered.

Each adapter is a small class with class-level metadata (``kind``, ``description``) registered by
kind; the outbox worker looks it up from the configured ``Adapter`` row.
"""

from __future__ import annotations

from modops.enforcement.adapters.base import DeliveryError, PlatformAdapter, adapter_for, register
from modops.enforcement.adapters.log import LogAdapter
from modops.enforcement.adapters.twitch import TwitchHelixAdapter
from modops.enforcement.adapters.webhook import WebhookAdapter

__all__ = [
    "DeliveryError",
    "LogAdapter",
    "PlatformAdapter",
    "TwitchHelixAdapter",
    "WebhookAdapter",
    "adapter_for",
    "register",
]
