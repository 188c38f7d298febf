"""Shared by the alert, patrol and activity tests: a working Monday, the demo team on duty."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.deadlines import reconciler
from tests.conftest import SHANGHAI
from tests.harness import ChatHarness

# Monday 23 November 2026, a working day; the day shift (08:30–20:30) is running.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
GROUP = "group:ljq-zx-duty"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


async def advance(h: ChatHarness, minutes: float) -> None:
    """Move the clock, fire what became due (as the worker's reconciler does) and deliver."""
    h.clock.set(h.clock.now() + timedelta(minutes=minutes))
    await reconciler.reconcile(h.services)
    await h.drain()
