"""Screening services: channel settings, the chat path, held messages, commands, raids."""

from modops.screening.services.channels import (
    InvalidSettings,
    get_channel_settings,
    save_channel_settings,
    screener_for,
    update_chat_modes,
)
from modops.screening.services.commands import run_command
from modops.screening.services.held import Resolution, expire_held, list_held, resolve_held
from modops.screening.services.intake import Queued, submit_chat
from modops.screening.services.pipeline import HOLD_FOR, Incoming, screen_batch, screen_one
from modops.screening.services.raids import apply_lockdown, list_incidents, observe_raids

__all__ = [
    "HOLD_FOR",
    "Incoming",
    "InvalidSettings",
    "Queued",
    "Resolution",
    "apply_lockdown",
    "expire_held",
    "get_channel_settings",
    "list_held",
    "list_incidents",
    "observe_raids",
    "resolve_held",
    "run_command",
    "save_channel_settings",
    "screen_batch",
    "screen_one",
    "screener_for",
    "submit_chat",
    "update_chat_modes",
]
