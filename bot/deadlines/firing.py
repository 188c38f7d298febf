"""Firing a deadline step: at most once, in one transaction with its handler.

1. the firing transaction first locks the deadline row (PostgreSQL: the audit advisory lock,
   then ``SELECT … FOR UPDATE``; SQLite: a no-op ``UPDATE``, which takes the write lock),
2. checks the fencing token (the step's token must equal the deadline's current token, and
   the job's token, if it came from a job) and the states,
3. claims the step with a conditional ``UPDATE … WHERE status = 'pending'``,
4. runs the handler in the same transaction, then commits.

A killed worker rolls back at step 4 and the step is fired again later; a second worker, a
retried job or a replayed reconcile finds the step fired and does nothing. A handler that
raises is retried with backoff, then given up and audited.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import OperationalError, TransactionManagementError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.core.services import Services
from bot.deadlines import lifecycle, planning, registry
from storage import audit
from storage.models.deadlines import Deadline, DeadlineStatus, DeadlineStep, StepStatus

log = logging.getLogger(__name__)

# A failing handler is retried with backoff, then given up (and the failure audited).
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
# Transient database contention (SQLite "database is locked", a PostgreSQL deadlock victim).
BUSY_RETRIES = 6


class FireOutcome(StrEnum):
    FIRED = "fired"
    NOT_DUE = "not_due"  # the step's time (or its retry time) has not come yet
    STALE = "stale"  # already fired, superseded, or the deadline is closed or paused
    MISSING = "missing"  # no such step (yet: a job can run before the creating commit)
    FAILED = "failed"  # the handler raised; retried later with backoff
    BUSY = "busy"  # the database stayed locked; the reconciler retries


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … up to an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** max(1, attempts)))


class _Busy(Exception):
    """Transient contention: try the same firing again in a moment."""


_TRANSIENT_PG = frozenset({"DeadlockDetectedError", "SerializationError"})


def _retryable(exc: BaseException | None) -> bool:
    """SQLite "database is locked", or a PostgreSQL deadlock victim / serialization failure
    (asyncpg's own exception types, which tortoise does not translate)."""
    seen = 0
    while exc is not None and seen < 5:
        if type(exc).__name__ in _TRANSIENT_PG:
            return True
        db_error = isinstance(exc, OperationalError | TransactionManagementError | sqlite3.Error)
        if db_error and "database is locked" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


async def fire_step(services: Services, step_id: int, token: int | None = None) -> FireOutcome:
    """Fire one step if it is due and still current; idempotent (see the module doc)."""
    for attempt in range(BUSY_RETRIES):
        try:
            return await _fire_once(services, step_id, token)
        except _Busy:
            await asyncio.sleep(0.05 * 2**attempt)
        except (OperationalError, TransactionManagementError) as exc:
            if not _retryable(exc):
                raise
            await asyncio.sleep(0.05 * 2**attempt)
    log.warning("deadline step %s: database busy, leaving it to the reconciler", step_id)
    return FireOutcome.BUSY


async def _fire_once(services: Services, step_id: int, token: int | None) -> FireOutcome:
    now = services.clock.now()
    row = await DeadlineStep.filter(id=step_id).first()
    if row is None:
        return FireOutcome.MISSING
    if row.status != StepStatus.PENDING or (token is not None and row.token != token):
        return FireOutcome.STALE
    if row.fire_at > now or (row.retry_at is not None and row.retry_at > now):
        return FireOutcome.NOT_DUE
    registry.ensure_loaded()
    outbox_ids: list[int] = []
    try:
        async with in_transaction() as conn:
            deadline = await lifecycle.lock(conn, row.deadline_id)
            step = await DeadlineStep.filter(id=step_id).using_db(conn).first()
            if deadline is None or step is None:
                return FireOutcome.MISSING
            if step.status != StepStatus.PENDING:
                return FireOutcome.STALE
            if (
                deadline.status != DeadlineStatus.OPEN
                or step.token != deadline.token
                or (token is not None and step.token != token)
            ):
                # Left over from a superseded plan: retire it so nobody looks at it again.
                await (
                    DeadlineStep.filter(id=step_id, status=StepStatus.PENDING)
                    .using_db(conn)
                    .update(status=StepStatus.CANCELLED)
                )
                return FireOutcome.STALE
            claimed = await (
                DeadlineStep.filter(id=step_id, status=StepStatus.PENDING, token=deadline.token)
                .using_db(conn)
                .update(
                    status=StepStatus.FIRED,
                    fired_at=now,
                    attempts=F("attempts") + 1,
                    retry_at=None,
                )
            )
            if claimed != 1:
                return FireOutcome.STALE
            step.status = StepStatus.FIRED
            step.fired_at = now
            handler = registry.get_handler(deadline.handler)
            if handler is None:
                raise lifecycle.UnknownHandlerError(
                    f"no step handler registered as {deadline.handler!r}"
                )
            emit = Emitter(services, conn, key_prefix=f"deadline:{deadline.id}:{step.id}", now=now)
            ctx = registry.StepContext(
                services=services, conn=conn, now=now, deadline=deadline, step=step, emit=emit
            )
            await handler(ctx)
            await _plan_repeat(conn, deadline.id, step, now)
            outbox_ids = emit.outbox_ids
    except Exception as exc:
        if _retryable(exc):
            raise _Busy from exc
        await _record_failure(services, step_id, exc)
        return FireOutcome.FAILED
    if outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(outbox_ids)
    await lifecycle.kick(services, await lifecycle.next_step(row.deadline_id))
    return FireOutcome.FIRED


async def _plan_repeat(
    conn: BaseDBAsyncClient, deadline_id: int, step: DeadlineStep, now: datetime
) -> None:
    """After a repeating step fired, plan its next occurrence (if the deadline still runs)."""
    deadline = await Deadline.filter(id=deadline_id).using_db(conn).first()
    if deadline is None or deadline.status != DeadlineStatus.OPEN or deadline.token != step.token:
        return  # the handler closed, paused or rescheduled it
    spec = next((s for s in lifecycle.specs(deadline) if s.name == step.name), None)
    planned = planning.next_repeat(spec, step.fire_at, step.repeat, now) if spec else None
    if planned is None:
        return
    await DeadlineStep.create(
        using_db=conn,
        deadline_id=deadline_id,
        generation=step.generation,
        name=step.name,
        repeat=planned.repeat,
        token=step.token,
        fire_at=planned.fire_at,
        status=StepStatus.PENDING,
    )


async def _record_failure(services: Services, step_id: int, exc: Exception) -> None:
    """The handler failed and its transaction rolled back: retry later, or give up."""
    log.error("deadline step %s failed: %s: %s", step_id, type(exc).__name__, exc)
    now = services.clock.now()
    try:
        async with in_transaction() as conn:
            step = await DeadlineStep.filter(id=step_id).using_db(conn).first()
            if step is None or step.status != StepStatus.PENDING:
                return
            attempts = step.attempts + 1
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if attempts >= MAX_ATTEMPTS:
                await (
                    DeadlineStep.filter(id=step_id, status=StepStatus.PENDING)
                    .using_db(conn)
                    .update(status=StepStatus.FAILED, attempts=attempts, last_error=error)
                )
                deadline = await Deadline.filter(id=step.deadline_id).using_db(conn).first()
                if deadline is not None:
                    await audit.record(
                        conn,
                        actor=registry.SYSTEM_ACTOR,
                        action="deadline.step_failed",
                        subject_type=deadline.subject_type,
                        subject_id=deadline.subject_id,
                        at=now,
                        detail={"deadline": deadline.id, "step": step.name, "error": error},
                    )
                return
            await (
                DeadlineStep.filter(id=step_id, status=StepStatus.PENDING)
                .using_db(conn)
                .update(attempts=attempts, retry_at=now + backoff(attempts), last_error=error)
            )
    except Exception:
        log.exception("could not record the failure of deadline step %s", step_id)
