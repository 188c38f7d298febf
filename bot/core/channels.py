"""What the outbox needs from a platform: deliver one row, or say why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.outgoing import OutboxPayload
from storage.enums import Platform
from storage.models.machinery import OutboxMessage


@dataclass(frozen=True)
class Delivered:
    """Delivery succeeded; ``external_id`` is the platform's message id, if any."""

    external_id: str | None = None
    # One-shot credential to update a delivered card later (WeCom response_code).
    update_token: str | None = None


class DeliveryError(Exception):
    """Delivery failed. ``retry_after`` seconds, or None when retrying cannot help."""

    def __init__(self, message: str, *, retry_after: float | None = 30.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.retry_after is None


class RateLimited(DeliveryError):
    """The platform (or our own budget for it) says wait; this is not counted as a failure."""


class Channel(Protocol):
    platform: Platform

    async def deliver(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        """Send one outbox row. Raise ``DeliveryError`` (or ``RateLimited``) on failure."""
        ...
