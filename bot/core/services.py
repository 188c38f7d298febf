"""The process-wide services every handler, job and adapter shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import ReviewOptions, Settings
from bot.policy.runtime import TimeKeeping, load_timekeeping
from storage.enums import Platform

if TYPE_CHECKING:
    from aiohttp import web
    from arq.connections import ArqRedis

    from bot.core.channels import Channel

# Adds an adapter's routes (its callback endpoints) to the web application.
RouteSetup = Callable[["web.Application"], None]
Hook = Callable[[], Awaitable[None]]


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
    # Inbound events being processed after their HTTP answer (see dispatch.process_later).
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    # What enabled adapters add: their web routes, and what to close when the process ends.
    web_routes: list[RouteSetup] = field(default_factory=list)
    on_close: list[Hook] = field(default_factory=list)
    # Runs after the demo clock moves (fires what became due at once; see bot.runtime).
    on_clock_change: Hook | None = None
    # The key that signs file download links (bot.core.files), read once from the database.
    file_signing_key: bytes | None = None
    # One deadline reconcile at a time per process (bot.deadlines.reconciler).
    reconcile_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # When the calendar watch last looked at the calendar file (monotonic seconds).
    calendar_checked_at: float | None = None
    _timekeeping: TimeKeeping | None = None
    _review: ReviewOptions | None = None

    async def wait_background(self, grace_seconds: float = 10.0) -> None:
        """Let in-flight processing finish before shutdown (the sweeper covers the rest)."""
        if self.background:
            await asyncio.wait(set(self.background), timeout=grace_seconds)

    async def close(self) -> None:
        """Run the adapters' cleanups (HTTP sessions); called once when the process ends."""
        for hook in self.on_close:
            await hook()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def enabled_platforms(self) -> list[Platform]:
        return list(self.channels)

    @property
    def notification_platforms(self) -> list[Platform]:
        """Where notifications (not replies) may go. The console simulator only when no real
        platform is configured: switching it on in production must never take a reminder or
        an approval request away from the WeCom / Feishu chat where people will see it."""
        real: list[Platform] = [p for p in self.channels if p != Platform.CONSOLE]
        return real or list(self.channels)

    @property
    def timekeeping(self) -> TimeKeeping:
        """Policy preset, calendar and timezone (loaded from the settings on first use)."""
        if self._timekeeping is None:
            self._timekeeping = load_timekeeping(self.settings)
        return self._timekeeping

    @timekeeping.setter
    def timekeeping(self, value: TimeKeeping) -> None:
        self._timekeeping = value

    @property
    def review(self) -> ReviewOptions:
        """What this deployment changes about review (``DUTYBOT_REVIEW_*``)."""
        if self._review is None:
            self._review = ReviewOptions()
        return self._review

    @review.setter
    def review(self, value: ReviewOptions) -> None:
        self._review = value
