from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from modops.enforcement.adapters.base import PlatformAdapter, register

if TYPE_CHECKING:
    from modops.enforcement.models import OutboxMessage

log = logging.getLogger("modops.enforcement.log_adapter")


@register
class LogAdapter(PlatformAdapter):
    kind = "log"
    description = "Writes each action to the log; for demos and dry runs."

    def deliver(self, message: OutboxMessage) -> None:
        log.info("enforcement", extra={"data": {"key": message.idempotency_key, "payload": message.payload}})
