"""The deadline engine: lifecycle operations, idempotent firing and the reconciler.

The database is the truth. Each step is a row; an arq job deferred to the step's time is
only an accelerator, and ``reconcile`` (a cron every few seconds, and right after the demo
clock moves) fires whatever is due and was not fired. A step fires at most once:

1. the firing transaction first locks the deadline row (PostgreSQL: the audit advisory lock,
   then ``SELECT … FOR UPDATE``; SQLite: a no-op ``UPDATE``, which takes the write lock),
2. checks the fencing token (the step's token must equal the deadline's current token, and
   the job's token, if it came from a job) and the states,
3. claims the step with a conditional ``UPDATE … WHERE status = 'pending'``,
4. runs the handler in the same transaction, then commits.

A killed worker rolls back at step 4 and the step is fired again later; a second worker, a
retried job or a replayed reconcile finds the step fired and does nothing.

Lifecycle operations take the caller's transaction connection (``conn``) and its ``now``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import OperationalError, TransactionManagementError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from bot.constants import deadline_job_id
from bot.core.emit import Emitter
from bot.deadlines import registry
from bot.policy.model import Policy
from bot.services import Services
from bot.timekeeping.calendar import WorkingCalendar, WorkingHours
from bot.timekeeping.explain import explain, format_time, span_text
from bot.timekeeping.rules import DeadlineRule, rule_from_json
from bot.timekeeping.runtime import timekeeping
from bot.timekeeping.schedule import DEFAULT_SCHEDULE, StepSpec
from storage import audit
from storage.audit import _PG_AUDIT_LOCK  # one global lock order: audit first, then rows
from storage.models.deadlines import Deadline, DeadlineStatus, DeadlineStep, StepStatus

log = logging.getLogger(__name__)

JOB_NAME = "fire_deadline_step"
# A failing handler is retried with backoff, then given up (and the failure audited).
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
# Transient database contention (SQLite "database is locked", a PostgreSQL deadlock victim).
BUSY_RETRIES = 6
# One reconcile run stops after this long; the next run continues.
RECONCILE_BUDGET_SECONDS = 50.0
RECONCILE_BATCH = 500

_OPEN_STATES = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)
_LIVE_STEPS = (StepStatus.PENDING, StepStatus.HELD)


class FireOutcome(StrEnum):
    FIRED = "fired"
    NOT_DUE = "not_due"  # the step's time (or its retry time) has not come yet
    STALE = "stale"  # already fired, superseded, or the deadline is closed or paused
    MISSING = "missing"  # no such step (yet: a job can run before the creating commit)
    FAILED = "failed"  # the handler raised; retried later with backoff
    BUSY = "busy"  # the database stayed locked; the reconciler retries


class DeadlineClosedError(ValueError):
    """A closed deadline cannot be paused, resumed or rescheduled."""


class UnknownHandlerError(LookupError):
    pass


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … up to an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** max(1, attempts)))


# ---- helpers ---------------------------------------------------------------------------------


def _is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


async def _lock(conn: BaseDBAsyncClient, deadline_id: int) -> Deadline | None:
    """Lock the deadline row for the rest of the transaction (see the module doc)."""
    if _is_postgres(conn):
        # Firing handlers write audit entries, which take this lock; taking it first
        # everywhere keeps one lock order and so no deadlock between flows and firings.
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_PG_AUDIT_LOCK])
        return await Deadline.filter(id=deadline_id).using_db(conn).select_for_update().first()
    # SQLite: a write as the first statement takes the database write lock (waiting for it),
    # instead of failing later when a read snapshot has to be upgraded.
    await Deadline.filter(id=deadline_id).using_db(conn).update(token=F("token"))
    return await Deadline.filter(id=deadline_id).using_db(conn).first()


def _specs(deadline: Deadline) -> list[StepSpec]:
    return [StepSpec.model_validate(item) for item in deadline.schedule or []]


def _rule(deadline: Deadline) -> DeadlineRule | None:
    return rule_from_json(deadline.rule) if deadline.rule else None


def _hours(deadline: Deadline) -> WorkingHours | None:
    if not deadline.working_hours:
        return None
    return WorkingHours.parse([(str(a), str(b)) for a, b in deadline.working_hours])


def _calendar(services: Services, deadline: Deadline) -> WorkingCalendar:
    return timekeeping(services).calendar(_hours(deadline))


def _shift(deadline: Deadline) -> timedelta:
    return timedelta(seconds=deadline.paused_seconds or 0.0)


def _explanation(services: Services, deadline: Deadline, cal: WorkingCalendar) -> None:
    """Refresh due_at-dependent texts and the provisional flag from the rule snapshot."""
    rule = _rule(deadline)
    tz = services.tz
    if rule is None:
        return
    due = rule.due(deadline.start_at, cal)
    text = explain(rule, due, start=deadline.start_at, tz=tz)
    shift = _shift(deadline)
    if shift > timedelta(0):
        text += f"（因暂停{span_text(shift)}，顺延至 {format_time(deadline.due_at, tz)}）"
    deadline.explanation = text
    deadline.basis = rule.citation.basis()
    deadline.provisional = due.provisional
    deadline.provisional_years = sorted(due.guessed_years)


def _rule_due(deadline: Deadline, cal: WorkingCalendar) -> datetime:
    rule = _rule(deadline)
    assert rule is not None
    return rule.due(deadline.start_at, cal).due_at + _shift(deadline)


def _plan_times(
    deadline: Deadline, cal: WorkingCalendar, now: datetime
) -> list[tuple[StepSpec, int, datetime]]:
    """(spec, repeat, fire_at) for each step of a fresh plan, repeats already in the past
    advanced to their next occurrence."""
    planned: list[tuple[StepSpec, int, datetime]] = []
    for spec in _specs(deadline):
        first = spec.first_fire_at(deadline.start_at, deadline.due_at, cal, _shift(deadline))
        repeat = 0
        if spec.every_minutes is not None and first <= now:
            later = spec.next_repeat_at(first, now)
            assert later is not None
            repeat = round((later - first) / timedelta(minutes=spec.every_minutes))
            if spec.max_repeats is not None and repeat > spec.max_repeats:
                continue
            first = later
        planned.append((spec, repeat, first))
    return planned


async def _plan(
    conn: BaseDBAsyncClient,
    deadline: Deadline,
    cal: WorkingCalendar,
    now: datetime,
    already_fired: Iterable[str] = (),
    skip_past: bool = True,
) -> None:
    """Write the steps of the deadline's current generation.

    A step whose time has passed is written as skipped (a plan made late does not send a
    burst of stale reminders) unless ``skip_past`` is false, and so is a non-repeating step
    already fired under an earlier plan (``already_fired``). Both are for calendar edits:
    there, a step that moved into the past never fired and is due now.
    """
    fired = set(already_fired)
    paused = deadline.status == DeadlineStatus.PAUSED
    rows = []
    for spec, repeat, fire_at in _plan_times(deadline, cal, now):
        if paused:
            status = StepStatus.HELD
        elif (spec.every_minutes is None and spec.name in fired) or (skip_past and fire_at <= now):
            status = StepStatus.SKIPPED
        else:
            status = StepStatus.PENDING
        rows.append(
            DeadlineStep(
                deadline_id=deadline.id,
                generation=deadline.generation,
                name=spec.name,
                repeat=repeat,
                token=deadline.token,
                fire_at=fire_at,
                status=status,
            )
        )
    if rows:
        await DeadlineStep.bulk_create(rows, using_db=conn)


async def _retire_live_steps(conn: BaseDBAsyncClient, deadline_id: int) -> None:
    await (
        DeadlineStep.filter(deadline_id=deadline_id, status__in=_LIVE_STEPS)
        .using_db(conn)
        .update(status=StepStatus.CANCELLED)
    )


async def _next_step(
    deadline_id: int, conn: BaseDBAsyncClient | None = None
) -> DeadlineStep | None:
    return (
        await DeadlineStep.filter(deadline_id=deadline_id, status=StepStatus.PENDING)
        .using_db(conn)
        .order_by("fire_at", "id")
        .first()
    )


async def kick(services: Services, step: DeadlineStep | None) -> None:
    """Ask arq to fire ``step`` at its time (best effort: the reconciler is the safety net).

    Called inside the caller's transaction too: a job that runs before the commit finds no
    step and retries shortly (see ``bot.deadlines.jobs``).
    """
    if step is None:
        return
    delay = max(0.0, (step.fire_at - services.clock.now()).total_seconds())
    try:
        await asyncio.wait_for(
            services.redis.enqueue_job(
                JOB_NAME,
                step.id,
                step.token,
                _job_id=deadline_job_id(step.id, step.token),
                _defer_by=delay,
            ),
            timeout=2.0,
        )
    except Exception:  # Redis down or flushed: the reconciler fires the step anyway
        log.warning("could not enqueue deadline step %s; the reconciler will fire it", step.id)


# ---- lifecycle -----------------------------------------------------------------------------


async def start(
    services: Services,
    conn: BaseDBAsyncClient,
    *,
    kind: str,
    subject_type: str,
    subject_id: str | int,
    handler: str,
    now: datetime,
    start_at: datetime | None = None,
    rule: str | DeadlineRule | None = None,
    due_at: datetime | None = None,
    schedule: Sequence[StepSpec] | None = None,
    data: dict[str, Any] | None = None,
    policy: Policy | None = None,
) -> Deadline:
    """Start a countdown: from a rule (an id of the active policy, or a rule object)
    applied to ``start_at`` (default ``now``), or to an explicit ``due_at``.

    ``schedule`` lists the steps (default: one step at the due time); ``handler`` names the
    registered step handler that runs when each step fires.
    """
    if (rule is None) == (due_at is None):
        raise ValueError("give exactly one of rule and due_at")
    registry.ensure_loaded()
    if registry.get_handler(handler) is None:
        raise UnknownHandlerError(f"no step handler registered as {handler!r}")
    tk = timekeeping(services)
    policy = policy or tk.policy
    start_at = start_at or now
    rule_id = ""
    rule_obj: DeadlineRule | None = None
    hours = policy.hours()
    if rule is not None:
        rule_id = rule if isinstance(rule, str) else ""
        rule_obj = policy.rule(rule) if isinstance(rule, str) else rule
        due = tk.due(rule_obj, start_at, policy=policy, hours=hours)
        due_at = due.due_at
    assert due_at is not None
    if due_at.tzinfo is None or start_at.tzinfo is None:
        raise ValueError("start_at and due_at must be timezone-aware")
    specs = tuple(schedule) if schedule else DEFAULT_SCHEDULE
    deadline = Deadline(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        handler=handler,
        status=DeadlineStatus.OPEN,
        policy_id=policy.id,
        rule_id=rule_id,
        rule=rule_obj.model_dump(mode="json") if rule_obj is not None else None,
        working_hours=[list(b) for b in policy.working_hours.blocks],
        schedule=[s.model_dump(mode="json") for s in specs],
        start_at=start_at,
        due_at=due_at,
        explanation=f"截止 {format_time(due_at, services.tz, reference=start_at)}",
        data=data or {},
        created_at=now,
        updated_at=now,
    )
    cal = tk.calendar(hours)
    _explanation(services, deadline, cal)
    await deadline.save(using_db=conn)
    await _plan(conn, deadline, cal, now)
    await kick(services, await _next_step(deadline.id, conn))
    return deadline


async def get(conn: BaseDBAsyncClient | None, deadline_id: int) -> Deadline | None:
    return await Deadline.filter(id=deadline_id).using_db(conn).first()


async def for_subject(
    conn: BaseDBAsyncClient | None,
    subject_type: str,
    subject_id: str | int,
    *,
    kind: str | None = None,
    open_only: bool = True,
) -> list[Deadline]:
    """The subject's deadlines, newest first (open or paused ones unless ``open_only=False``)."""
    query = Deadline.filter(subject_type=subject_type, subject_id=str(subject_id))
    if kind is not None:
        query = query.filter(kind=kind)
    if open_only:
        query = query.filter(status__in=_OPEN_STATES)
    return await query.using_db(conn).order_by("-id")


async def steps_of(conn: BaseDBAsyncClient | None, deadline_id: int) -> list[DeadlineStep]:
    return (
        await DeadlineStep.filter(deadline_id=deadline_id).using_db(conn).order_by("fire_at", "id")
    )


async def _close(
    conn: BaseDBAsyncClient,
    deadline_id: int,
    status: DeadlineStatus,
    now: datetime,
    reason: str,
) -> bool:
    deadline = await _lock(conn, deadline_id)
    if deadline is None or deadline.status not in _OPEN_STATES:
        return False
    deadline.status = status
    deadline.closed_at = now
    deadline.updated_at = now
    deadline.close_reason = reason[:200]
    deadline.token += 1
    await deadline.save(
        using_db=conn, update_fields=["status", "closed_at", "updated_at", "close_reason", "token"]
    )
    await _retire_live_steps(conn, deadline_id)
    return True


async def complete(
    services: Services,
    conn: BaseDBAsyncClient,
    deadline_id: int,
    *,
    now: datetime,
    reason: str = "",
) -> bool:
    """Done in time (or late): no further steps fire. False if it was already closed."""
    return await _close(conn, deadline_id, DeadlineStatus.COMPLETED, now, reason)


async def cancel(
    services: Services,
    conn: BaseDBAsyncClient,
    deadline_id: int,
    *,
    now: datetime,
    reason: str = "",
) -> bool:
    """Withdrawn: no further steps fire. False if it was already closed."""
    return await _close(conn, deadline_id, DeadlineStatus.CANCELLED, now, reason)


async def pause(
    services: Services, conn: BaseDBAsyncClient, deadline_id: int, *, now: datetime
) -> bool:
    """Stop the clock (e.g. while the supervisor verifies evidence). False if not running."""
    deadline = await _lock(conn, deadline_id)
    if deadline is None or deadline.status != DeadlineStatus.OPEN:
        return False
    deadline.status = DeadlineStatus.PAUSED
    deadline.paused_at = now
    deadline.updated_at = now
    deadline.token += 1
    await deadline.save(using_db=conn, update_fields=["status", "paused_at", "updated_at", "token"])
    await (
        DeadlineStep.filter(deadline_id=deadline_id, status=StepStatus.PENDING)
        .using_db(conn)
        .update(status=StepStatus.HELD)
    )
    return True


async def resume(
    services: Services, conn: BaseDBAsyncClient, deadline_id: int, *, now: datetime
) -> bool:
    """Restart the clock: the due time and every waiting step move by the time spent paused."""
    deadline = await _lock(conn, deadline_id)
    if deadline is None or deadline.status != DeadlineStatus.PAUSED:
        return False
    assert deadline.paused_at is not None
    shift = max(timedelta(0), now - deadline.paused_at)
    deadline.status = DeadlineStatus.OPEN
    deadline.due_at = deadline.due_at + shift
    deadline.paused_seconds = (deadline.paused_seconds or 0.0) + shift.total_seconds()
    deadline.paused_at = None
    deadline.updated_at = now
    deadline.token += 1
    _explanation(services, deadline, _calendar(services, deadline))
    if deadline.rule is None:
        when = format_time(deadline.due_at, services.tz, reference=now)
        deadline.explanation = f"截止 {when}（因暂停{span_text(shift)}顺延）"
    await deadline.save(using_db=conn)
    held = await DeadlineStep.filter(deadline_id=deadline_id, status=StepStatus.HELD).using_db(conn)
    for step in held:
        step.fire_at = step.fire_at + shift
        step.status = StepStatus.PENDING
        step.token = deadline.token
        await step.save(using_db=conn, update_fields=["fire_at", "status", "token"])
    await kick(services, await _next_step(deadline_id, conn))
    return True


async def reschedule(
    services: Services,
    conn: BaseDBAsyncClient,
    deadline_id: int,
    *,
    now: datetime,
    due_at: datetime | None = None,
    start_at: datetime | None = None,
    rule: str | DeadlineRule | None = None,
    reason: str = "",
) -> Deadline:
    """A new due time, and a fresh plan of steps around it.

    - ``due_at``: an explicit new due time (an extension). The deadline then no longer
      follows its rule, so a later calendar edit does not undo the extension.
    - ``start_at`` and/or ``rule``: recompute from the (new) rule and start, e.g. a review
      step that starts over after a send-back.
    """
    if due_at is not None and (start_at is not None or rule is not None):
        raise ValueError("give either due_at, or start_at/rule")
    if due_at is None and start_at is None and rule is None:
        raise ValueError("nothing to reschedule")
    deadline = await _lock(conn, deadline_id)
    if deadline is None:
        raise LookupError(f"deadline {deadline_id} does not exist")
    if deadline.status not in _OPEN_STATES:
        raise DeadlineClosedError(f"deadline {deadline_id} is {deadline.status}")
    cal = _calendar(services, deadline)
    tz = services.tz
    if due_at is not None:
        deadline.due_at = due_at
        deadline.rule = None
        deadline.provisional = False
        deadline.provisional_years = []
        when = format_time(due_at, tz, reference=now)
        deadline.explanation = f"{reason}，截止 {when}" if reason else f"截止时间已调整为 {when}"
        deadline.basis = reason
    else:
        if rule is not None:
            tk = timekeeping(services)
            rule_obj = tk.policy.rule(rule) if isinstance(rule, str) else rule
            deadline.rule = rule_obj.model_dump(mode="json")
            deadline.rule_id = rule if isinstance(rule, str) else ""
        if deadline.rule is None:
            raise ValueError("this deadline has no rule to recompute from; give due_at")
        if start_at is not None:
            deadline.start_at = start_at
        deadline.paused_seconds = 0.0
        if deadline.status == DeadlineStatus.PAUSED:
            deadline.paused_at = now
        deadline.due_at = _rule_due(deadline, cal)
        _explanation(services, deadline, cal)
    deadline.generation += 1
    deadline.token += 1
    deadline.updated_at = now
    await deadline.save(using_db=conn)
    await _retire_live_steps(conn, deadline_id)
    await _plan(conn, deadline, cal, now)
    await kick(services, await _next_step(deadline_id, conn))
    return deadline


async def recompute(services: Services, deadline_id: int, now: datetime) -> bool:
    """Re-apply the rule after the calendar changed (own transaction). True if times moved.

    Steps already fired under the previous plan are not fired again.
    """
    async with in_transaction() as conn:
        deadline = await _lock(conn, deadline_id)
        if deadline is None or deadline.status not in _OPEN_STATES:
            return False
        cal = _calendar(services, deadline)
        before_due = deadline.due_at
        if deadline.rule is not None:
            deadline.due_at = _rule_due(deadline, cal)
        _explanation(services, deadline, cal)
        live = await (
            DeadlineStep.filter(deadline_id=deadline_id, generation=deadline.generation)
            .using_db(conn)
            .order_by("id")
        )
        planned = {(s.name, t) for s, _, t in _plan_times(deadline, cal, now)}
        current = {(s.name, s.fire_at) for s in live}
        moved = deadline.due_at != before_due or not planned <= current
        if moved:
            fired = {
                s.name
                for s in await DeadlineStep.filter(
                    deadline_id=deadline_id, status=StepStatus.FIRED
                ).using_db(conn)
            }
            deadline.generation += 1
            deadline.token += 1
            deadline.updated_at = now
            await deadline.save(using_db=conn)
            await _retire_live_steps(conn, deadline_id)
            await _plan(conn, deadline, cal, now, already_fired=fired, skip_past=False)
            await audit.record(
                conn,
                actor=registry.SYSTEM_ACTOR,
                action="deadline.recomputed",
                subject_type=deadline.subject_type,
                subject_id=deadline.subject_id,
                at=now,
                detail={
                    "deadline": deadline.id,
                    "before": before_due.isoformat(),
                    "after": deadline.due_at.isoformat(),
                    "reason": "calendar",
                },
            )
        else:
            await deadline.save(
                using_db=conn,
                update_fields=["explanation", "basis", "provisional", "provisional_years"],
            )
        next_step = await _next_step(deadline_id, conn)
    if moved:
        await kick(services, next_step)
    return moved


# ---- firing ------------------------------------------------------------------------------


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
            deadline = await _lock(conn, row.deadline_id)
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
                raise UnknownHandlerError(f"no step handler registered as {deadline.handler!r}")
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
    await kick(services, await _next_step(row.deadline_id))
    return FireOutcome.FIRED


async def _plan_repeat(
    conn: BaseDBAsyncClient, deadline_id: int, step: DeadlineStep, now: datetime
) -> None:
    """After a repeating step fired, plan its next occurrence (if the deadline still runs)."""
    deadline = await Deadline.filter(id=deadline_id).using_db(conn).first()
    if deadline is None or deadline.status != DeadlineStatus.OPEN or deadline.token != step.token:
        return  # the handler closed, paused or rescheduled it
    spec = next((s for s in _specs(deadline) if s.name == step.name), None)
    if spec is None or spec.every_minutes is None:
        return
    next_at = spec.next_repeat_at(step.fire_at, now)
    assert next_at is not None
    repeat = step.repeat + round((next_at - step.fire_at) / timedelta(minutes=spec.every_minutes))
    if spec.max_repeats is not None and repeat > spec.max_repeats:
        return
    await DeadlineStep.create(
        using_db=conn,
        deadline_id=deadline_id,
        generation=step.generation,
        name=step.name,
        repeat=repeat,
        token=step.token,
        fire_at=next_at,
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


# ---- the reconciler --------------------------------------------------------------------------

_RUNNING_KEY = "deadline_reconcile_lock"


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
    from bot.deadlines import watch

    lock = services.extras.setdefault(_RUNNING_KEY, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
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
                if await fire_step(services, step_id, token) == FireOutcome.FIRED:
                    fired += 1
        await watch.warn_missing_years(services)
        return fired
