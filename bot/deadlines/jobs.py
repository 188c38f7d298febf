"""arq entry points of the deadline engine (registered in ``bot.worker``)."""

from __future__ import annotations

from typing import Any

from arq import Retry

from bot.core.services import Services
from bot.deadlines import firing, reconciler
from bot.deadlines.firing import FireOutcome
from storage.models.deadlines import DeadlineStep

# A job may run before the transaction that planned its step commits: look again shortly.
MISSING_RETRIES = 3
MAX_NOT_DUE_DEFER = 300.0


def _services(ctx: dict[str, Any]) -> Services:
    services = ctx["services"]
    assert isinstance(services, Services)
    return services


async def fire_deadline_step(ctx: dict[str, Any], step_id: int, token: int) -> str:
    """Fire one planned step near its time (stale or repeated jobs are no-ops)."""
    services = _services(ctx)
    outcome = await firing.fire_step(services, step_id, token)
    job_try = int(ctx.get("job_try", 1))
    if outcome is FireOutcome.MISSING and job_try <= MISSING_RETRIES:
        raise Retry(defer=1)
    if outcome is FireOutcome.BUSY and job_try <= MISSING_RETRIES:
        raise Retry(defer=1)
    if outcome is FireOutcome.NOT_DUE and job_try <= MISSING_RETRIES:
        # Early (the clock was moved back, or the step waits for a retry): come back then.
        step = await DeadlineStep.filter(id=step_id).first()
        if step is not None:
            wait_until = max(step.fire_at, step.retry_at or step.fire_at)
            seconds = (wait_until - services.clock.now()).total_seconds()
            raise Retry(defer=min(MAX_NOT_DUE_DEFER, max(1.0, seconds)))
    return outcome.value


async def reconcile_deadlines(ctx: dict[str, Any]) -> int:
    """Fire whatever is due and was not fired (lost jobs, dead workers, a flushed Redis)."""
    return await reconciler.reconcile(_services(ctx))
