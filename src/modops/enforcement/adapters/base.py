from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from modops.enforcement.models import Adapter, OutboxMessage


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class PlatformAdapter(ABC):
    kind: ClassVar[str]
    description: ClassVar[str]
    #: Config keys the adapter needs.
    required_config: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: dict[str, object]) -> None:
        missing = [k for k in self.required_config if not config.get(k)]
        if missing:
            raise DeliveryError(f"{self.kind} adapter is missing config {missing}", retryable=False)
        self.config = config

    @abstractmethod
    def deliver(self, message: OutboxMessage) -> None:
        """Deliver one outbox message; raise DeliveryError on failure."""


_REGISTRY: dict[str, type[PlatformAdapter]] = {}


def register(cls: type[PlatformAdapter]) -> type[PlatformAdapter]:
    _REGISTRY[cls.kind] = cls
    return cls


def adapter_for(row: Adapter) -> PlatformAdapter:
    try:
        cls = _REGISTRY[row.kind]
    except KeyError:
        raise DeliveryError(f"no adapter of kind {row.kind!r}", retryable=False) from None
    return cls(dict(row.config))
