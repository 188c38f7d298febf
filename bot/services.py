"""The process-wide services every handler, job and adapter shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from storage.enums import Platform

if TYPE_CHECKING:
    from arq.connections import ArqRedis

    from bot.adapters.base import Channel


@dataclass
class Services:
    """Settings, clock, Redis and the enabled channels, built once per process."""

    settings: Settings
    clock: Clock
    redis: ArqRedis
    demo: bool = False
    channels: dict[Platform, Channel] = field(default_factory=dict)
    # Called after a transaction commits with new outbox ids, to deliver them soon.
    outbox_kick: Callable[[list[int]], Awaitable[None]] | None = None
    # Hands a recorded delivery to the worker for processing (see dispatch.process_later).
    inbound_kick: Callable[[int], Awaitable[None]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # Inbound events being processed after their HTTP answer (see dispatch.process_later).
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    async def wait_background(self, grace_seconds: float = 10.0) -> None:
        """Let in-flight processing finish before shutdown (the sweeper covers the rest)."""
        if self.background:
            await asyncio.wait(set(self.background), timeout=grace_seconds)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def enabled_platforms(self) -> list[Platform]:
        return list(self.channels)
