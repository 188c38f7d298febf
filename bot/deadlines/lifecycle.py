"""Deadline lifecycle: start, complete, cancel, pause, resume, reschedule, recompute.

The database is the truth. Each step is a row; an arq job deferred to the step's time is
only an accelerator (``kick``), and the reconciler fires whatever is due and was not fired
(see ``bot.deadlines.firing`` for why a step fires at most once). Every operation here takes
the caller's transaction connection (``conn``) and its ``now``, locks the deadline row, moves
its fencing token on (so a job planned under the old plan becomes a no-op) and writes the
plan that ``bot.deadlines.planning`` computes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.constants import deadline_job_id
from bot.core.services import Services
from bot.deadlines import planning, registry
from bot.policy.model import Policy
from bot.timekeeping.calendar import WorkingCalendar, WorkingHours
from bot.timekeeping.explain import format_time, span_text
from bot.timekeeping.rules import DeadlineRule, rule_from_json
from bot.timekeeping.schedule import DEFAULT_SCHEDULE, StepSpec
from storage import audit
from storage.audit import lock_chain  # one global lock order: audit first, then rows
from storage.models.deadlines import Deadline, DeadlineStatus, DeadlineStep, StepStatus

log = logging.getLogger(__name__)

JOB_NAME = "fire_deadline_step"
OPEN_STATES = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)
_LIVE_STEPS = (StepStatus.PENDING, StepStatus.HELD)


class DeadlineClosedError(ValueError):
    """A closed deadline cannot be paused, resumed or rescheduled."""


class UnknownHandlerError(LookupError):
    pass


def _is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


async def lock(conn: BaseDBAsyncClient, deadline_id: int) -> Deadline | None:
    """Lock the deadline row for the rest of the transaction (see the module doc)."""
    if _is_postgres(conn):
        # Firing handlers write audit entries, which take this lock; taking it first
        # everywhere keeps one lock order and so no deadlock between flows and firings.
        await lock_chain(conn)
        return await Deadline.filter(id=deadline_id).using_db(conn).select_for_update().first()
    # SQLite: a write as the first statement takes the database write lock (waiting for it),
    # instead of failing later when a read snapshot has to be upgraded.
    await Deadline.filter(id=deadline_id).using_db(conn).update(token=F("token"))
    return await Deadline.filter(id=deadline_id).using_db(conn).first()


def specs(deadline: Deadline) -> list[StepSpec]:
    return [StepSpec.model_validate(item) for item in deadline.schedule or []]


def _rule(deadline: Deadline) -> DeadlineRule | None:
    return rule_from_json(deadline.rule) if deadline.rule else None


def _hours(deadline: Deadline) -> WorkingHours | None:
    if not deadline.working_hours:
        return None
    return WorkingHours.parse([(str(a), str(b)) for a, b in deadline.working_hours])


def _calendar(services: Services, deadline: Deadline) -> WorkingCalendar:
    return services.timekeeping.calendar(_hours(deadline))


def _paused(deadline: Deadline) -> timedelta:
    return timedelta(seconds=deadline.paused_seconds or 0.0)


def _explain(services: Services, deadline: Deadline, cal: WorkingCalendar) -> None:
    """Refresh due_at-dependent texts and the provisional flag from the rule snapshot."""
    rule = _rule(deadline)
    if rule is None:
        return
    found = planning.explanation(
        rule,
        start_at=deadline.start_at,
        due_at=deadline.due_at,
        paused=_paused(deadline),
        cal=cal,
        tz=services.tz,
    )
    deadline.explanation = found.text
    deadline.basis = found.basis
    deadline.provisional = found.provisional
    deadline.provisional_years = found.provisional_years


def _rule_due(deadline: Deadline, cal: WorkingCalendar) -> datetime:
    rule = _rule(deadline)
    assert rule is not None
    return planning.rule_due(rule, deadline.start_at, _paused(deadline), cal)


def _step_times(
    deadline: Deadline, cal: WorkingCalendar, now: datetime
) -> list[planning.PlannedStep]:
    return planning.step_times(
        specs(deadline),
        start_at=deadline.start_at,
        due_at=deadline.due_at,
        paused=_paused(deadline),
        cal=cal,
        now=now,
    )


async def _plan(
    conn: BaseDBAsyncClient,
    deadline: Deadline,
    cal: WorkingCalendar,
    now: datetime,
    already_fired: Iterable[str] = (),
    skip_past: bool = True,
    fresh: bool = False,
) -> None:
    """Write the steps of the deadline's current generation (see ``planning.initial_status``).

    ``fresh``: the deadline was just started; if it is already past due, its at-due steps
    still fire (once), since none of them can have fired before.
    """
    fired = set(already_fired)
    paused = deadline.status == DeadlineStatus.PAUSED
    missed_due_at = deadline.due_at if fresh and deadline.due_at <= now else None
    rows = [
        DeadlineStep(
            deadline_id=deadline.id,
            generation=deadline.generation,
            name=planned.spec.name,
            repeat=planned.repeat,
            token=deadline.token,
            fire_at=planned.fire_at,
            status=planning.initial_status(
                planned,
                now=now,
                paused=paused,
                already_fired=fired,
                skip_past=skip_past,
                missed_due_at=missed_due_at,
            ),
        )
        for planned in _step_times(deadline, cal, now)
    ]
    if rows:
        await DeadlineStep.bulk_create(rows, using_db=conn)


async def _retire_live_steps(conn: BaseDBAsyncClient, deadline_id: int) -> None:
    await (
        DeadlineStep.filter(deadline_id=deadline_id, status__in=_LIVE_STEPS)
        .using_db(conn)
        .update(status=StepStatus.CANCELLED)
    )


async def next_step(deadline_id: int, conn: BaseDBAsyncClient | None = None) -> DeadlineStep | None:
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
    tk = services.timekeeping
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
    _explain(services, deadline, cal)
    await deadline.save(using_db=conn)
    await _plan(conn, deadline, cal, now, fresh=True)
    await kick(services, await next_step(deadline.id, conn))
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
        query = query.filter(status__in=OPEN_STATES)
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
    deadline = await lock(conn, deadline_id)
    if deadline is None or deadline.status not in OPEN_STATES:
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
    deadline = await lock(conn, deadline_id)
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
    deadline = await lock(conn, deadline_id)
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
    _explain(services, deadline, _calendar(services, deadline))
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
    await kick(services, await next_step(deadline_id, conn))
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
    deadline = await lock(conn, deadline_id)
    if deadline is None:
        raise LookupError(f"deadline {deadline_id} does not exist")
    if deadline.status not in OPEN_STATES:
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
            tk = services.timekeeping
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
        _explain(services, deadline, cal)
    deadline.generation += 1
    deadline.token += 1
    deadline.updated_at = now
    await deadline.save(using_db=conn)
    await _retire_live_steps(conn, deadline_id)
    await _plan(conn, deadline, cal, now)
    await kick(services, await next_step(deadline_id, conn))
    return deadline


async def recompute(services: Services, deadline_id: int, now: datetime) -> bool:
    """Re-apply the rule after the calendar changed (own transaction). True if times moved.

    Steps already fired under the previous plan are not fired again.
    """
    async with in_transaction() as conn:
        deadline = await lock(conn, deadline_id)
        if deadline is None or deadline.status not in OPEN_STATES:
            return False
        cal = _calendar(services, deadline)
        before_due = deadline.due_at
        if deadline.rule is not None:
            deadline.due_at = _rule_due(deadline, cal)
        _explain(services, deadline, cal)
        live = await (
            DeadlineStep.filter(deadline_id=deadline_id, generation=deadline.generation)
            .using_db(conn)
            .order_by("id")
        )
        planned = {(p.spec.name, p.fire_at) for p in _step_times(deadline, cal, now)}
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
        upcoming = await next_step(deadline_id, conn)
    if moved:
        await kick(services, upcoming)
    return moved
