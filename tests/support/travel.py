"""Time travel and delivery: what the worker would do, done at once, on the tests' clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot import outbox
from bot.clock import ManualClock
from bot.core.services import Services
from bot.deadlines import reconciler
from storage.enums import OutboxStatus
from storage.models.machinery import OutboxMessage


async def drain(services: Services) -> int:
    """Deliver everything the outbox holds that is due now (what the worker's sweeper does)."""
    total = 0
    while True:
        sent = await outbox.drain(services)
        total += sent
        if sent == 0:
            return total


async def settle(services: Services) -> int:
    """Finish the background processing of accepted deliveries (platform callbacks are
    answered first and processed after), then deliver everything due."""
    total = 0
    while True:
        await services.wait_background()
        sent = await outbox.drain(services)
        total += sent
        if sent == 0 and not services.background:
            return total


async def advance(
    services: Services,
    delta: timedelta | None = None,
    *,
    to: datetime | None = None,
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
) -> int:
    """Travel in time in one call: move the clock (by ``delta``/``days``/``hours``/``minutes``,
    or ``to`` a moment), fire every deadline step that became due (the worker's
    ``reconcile_deadlines``), then deliver the outbox. Returns the number of steps fired.

    ``advance(services)`` with no amount moves no time: it fires and delivers what is due.
    """
    clock = services.clock
    assert isinstance(clock, ManualClock), "time travel needs the tests' ManualClock"
    step = (delta or timedelta()) + timedelta(days=days, hours=hours, minutes=minutes)
    if to is not None:
        assert not step, "advance takes either a moment (to=) or an amount of time, not both"
        assert to >= clock.now(), f"advance cannot go back in time: {to} < {clock.now()}"
        clock.set(to)
    elif step:
        assert step > timedelta(), "advance cannot go back in time"
        clock.advance(step)
    fired = await reconciler.reconcile(services, wait=True)
    await settle(services)
    return fired


async def deliver_all(services: Services, rounds: int = 40) -> None:
    """Deliver everything, waiting out the platforms' per-person rate budgets (real seconds in
    Redis; the ManualClock is moved on too so postponed rows come due)."""
    for _ in range(rounds):
        await services.wait_background()
        while await outbox.drain(services):
            pass
        if not await OutboxMessage.filter(status=OutboxStatus.PENDING).exists():
            return
        await asyncio.sleep(0.25)
        assert isinstance(services.clock, ManualClock)
        services.clock.advance(timedelta(seconds=1))
    pending = await OutboxMessage.filter(status=OutboxStatus.PENDING).values_list(
        "last_error", flat=True
    )
    raise AssertionError(f"outbox still pending: {pending}")
