"""The reconciler: fires every due step that was not fired, and keeps deadlines honest
about the calendar (``watch``). It runs as a cron every few seconds, at worker start-up and,
in the demo, right after the console moves the clock — so a lost Redis job, a killed worker
or a crashed web process never loses a reminder.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from tortoise.expressions import Q

from bot.core.services import Services
from bot.deadlines import firing, watch
from storage.models.deadlines import DeadlineStep, StepStatus

# One reconcile run stops after this long; the next run continues.
RECONCILE_BUDGET_SECONDS = 50.0
RECONCILE_BATCH = 500


async def due_steps(now: datetime, limit: int = RECONCILE_BATCH) -> list[tuple[int, int]]:
    """(step id, token) of pending steps whose time (and retry time) has come, oldest first."""
    rows = (
        await DeadlineStep.filter(status=StepStatus.PENDING, fire_at__lte=now)
        .filter(Q(retry_at=None) | Q(retry_at__lte=now))
        .order_by("fire_at", "id")
        .limit(limit)
        .values_list("id", "token")
    )
    return [(int(str(i)), int(str(t))) for i, t in rows]


async def reconcile(services: Services, *, wait: bool = False) -> int:
    """Fire every due step that has not fired (cron, and after the demo clock moves).

    Also recomputes open deadlines after a calendar edit and reminds admins about years
    without holiday data (see ``bot.deadlines.watch``). Returns the number of steps fired.
    With ``wait`` a run already going in this process is waited for, then this one runs
    (the demo clock's hook must see everything now due fired); without it, it is skipped.
    """
    lock = services.reconcile_lock
    if lock.locked() and not wait:
        return 0  # a run in this process is still going; the next cron run follows it
    async with lock:
        await watch.recompute_if_calendar_changed(services)
        fired = 0
        started = asyncio.get_running_loop().time()
        seen: set[int] = set()
        while asyncio.get_running_loop().time() - started < RECONCILE_BUDGET_SECONDS:
            batch = [(i, t) for i, t in await due_steps(services.clock.now()) if i not in seen]
            if not batch:
                break
            for step_id, token in batch:
                seen.add(step_id)
                if await firing.fire_step(services, step_id, token) == firing.FireOutcome.FIRED:
                    fired += 1
        await watch.warn_missing_years(services)
        return fired
