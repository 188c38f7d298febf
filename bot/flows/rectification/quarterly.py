"""The quarterly review, once per quarter: on a schedule (the worker's cron) or by ``整改季度``.

A ``RectQuarterRun`` row per quarter is the claim. Whoever inserts it (conflicts ignored) with
its own random ``claim`` runs the review in the same transaction; everyone else finds the row
and reports what was done. The insert waits for a competing uncommitted insert (PostgreSQL's
unique index, SQLite's write lock), so two workers, a retried job and a supervisor's command at
the same moment still review the quarter exactly once — Redis is not involved.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.core.context import HandlerContext
from bot.core.directory import load_member, members_with_role
from bot.core.emit import Emitter
from bot.core.outgoing import FileRef, Message
from bot.core.services import Services
from bot.flows.rectification.consequences import Quarter, quarterly_review
from storage import audit
from storage.enums import Role
from storage.models.rectification import Rectification, RectQuarterRun

log = logging.getLogger(__name__)

CRON = "cron"
CHAT = "chat"


@dataclass(frozen=True)
class QuarterReview:
    """What a request to review a quarter found: ``ran`` is False when it had been done."""

    ran: bool
    run: RectQuarterRun
    files: tuple[FileRef, ...]
    # Supervisor staff of the units that issued the quarter's notices (who are told).
    supervisors: tuple[int, ...]


def due_quarter(services: Services, now: datetime) -> Quarter:
    """The quarter the schedule reviews at ``now``: the last one that has ended."""
    return Quarter.of(now.astimezone(services.tz).date()).previous()


async def _claim(
    conn: BaseDBAsyncClient, quarter: Quarter, trigger: str, person_id: int | None, now: datetime
) -> tuple[bool, RectQuarterRun]:
    claim = secrets.token_hex(16)
    await RectQuarterRun.bulk_create(
        [
            RectQuarterRun(
                period=quarter.label,
                claim=claim,
                trigger=trigger,
                person_id=person_id,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
        using_db=conn,
    )
    run = await RectQuarterRun.filter(period=quarter.label).using_db(conn).get()
    return run.claim == claim, run


async def _supervisors(services: Services, conn: BaseDBAsyncClient, quarter: Quarter) -> list[int]:
    tz = services.tz
    units = (
        await Rectification.filter(issued_at__gte=quarter.start(tz), issued_at__lt=quarter.end(tz))
        .using_db(conn)
        .distinct()
        .values_list("supervisor_unit_id", flat=True)
    )
    found: list[int] = []
    for unit_id in sorted({int(str(u)) for u in units}):
        for member in await members_with_role(unit_id, Role.SUPERVISOR_STAFF, conn):
            if member.id not in found:
                found.append(member.id)
    return found


async def review_once(
    services: Services,
    conn: BaseDBAsyncClient,
    emit: Emitter,
    quarter: Quarter,
    now: datetime,
    *,
    trigger: str,
    person: audit.Actor | None = None,
) -> QuarterReview:
    """Review ``quarter`` unless it was reviewed; in the caller's transaction."""
    person_id = person.person_id if person is not None else None
    claimed, run = await _claim(conn, quarter, trigger, person_id, now)
    supervisors = tuple(await _supervisors(services, conn, quarter))
    if not claimed:
        refs = tuple(FileRef.model_validate(f) for f in run.files or [])
        return QuarterReview(ran=False, run=run, files=refs, supervisors=supervisors)
    result = await quarterly_review(services, conn, emit, quarter, now)
    run.summary = result.text()
    run.files = [ref.model_dump() for ref in result.files]
    await run.save(using_db=conn, update_fields=["summary", "files"])
    await audit.record(
        conn,
        actor=person or audit.Actor.system("整改统计"),
        action="rectification.quarter_reviewed",
        subject_type="quarter",
        subject_id=quarter.label,
        at=now,
        detail={
            "trigger": trigger,
            "letters": result.letters,
            "circulars": result.circulars,
            "bottom": result.bottom,
            "bottom_twice": result.bottom_twice,
        },
    )
    return QuarterReview(ran=True, run=run, files=tuple(result.files), supervisors=supervisors)


def done_before_text(run: RectQuarterRun, quarter: Quarter, who: str, services: Services) -> str:
    when = run.created_at.astimezone(services.tz).strftime("%Y年%m月%d日 %H:%M")
    how = "按计划自动复核" if run.trigger == CRON else f"由{who}发起复核"
    return (
        f"{quarter.title}已于{when}{how}，每季度只复核一次，不再重复印发整改函或标记。"
        f"当时的结果：\n{run.summary}"
    )


async def tell_supervisors(
    emit: Emitter, outcome: QuarterReview, *, skip: int | None = None
) -> None:
    """One message to each supervisor, with the letters issued."""
    message = Message(text=outcome.run.summary, files=outcome.files)
    for person_id in outcome.supervisors:
        if person_id != skip:
            await emit.to_person(person_id, message)


async def review_requested(ctx: HandlerContext, rest: str) -> None:
    """整改季度 [季度]: a supervisor reviews a quarter that has ended (the last one by default),
    or learns when it was reviewed and gets that result and its letters again."""
    today = ctx.now.astimezone(ctx.tz).date()
    quarter = Quarter.parse(rest) if rest else Quarter.of(today).previous()
    if quarter is None:
        await ctx.reply(f"“{rest}”不是季度，请写成“2026Q4”或“2026年第四季度”。")
        return
    if quarter.start(ctx.tz) > ctx.now:
        await ctx.reply(f"{quarter.title}还没有开始。")
        return
    if quarter.end(ctx.tz) > ctx.now:
        # Reviewing a quarter before it ends would claim it and leave its last weeks unseen.
        await ctx.reply(
            f"{quarter.title}还没有结束，季度结束后会自动复核并通知监管人员。"
            "要查看目前的进展，请发送“整改记录”。"
        )
        return
    outcome = await review_once(
        ctx.services, ctx.conn, ctx.emit, quarter, ctx.now, trigger=CHAT, person=ctx.by
    )
    if outcome.ran:
        text = outcome.run.summary
        # The other supervisors learn of it as they would from the scheduled review.
        await tell_supervisors(ctx.emit, outcome, skip=ctx.actor.id)
    else:
        who = "—"
        if outcome.run.person_id is not None:
            member = await load_member(outcome.run.person_id, ctx.conn)
            who = member.name if member is not None else who
        text = done_before_text(outcome.run, quarter, who, ctx.services)
    # The supervisor gets a copy of every letter issued for the quarter.
    await ctx.emit.to_person(
        ctx.actor.id,
        Message(text=text, files=outcome.files),
        platform=ctx.event.place.platform,
    )


async def scheduled_review(services: Services) -> str | None:
    """The cron's work: review the quarter that last ended, if nobody has.

    Runs often and is cheap when there is nothing to do, so a worker that was down at the turn
    of the quarter catches up when it comes back. A quarter without any notice is recorded but
    nobody is messaged about it (a fresh deployment does not greet supervisors with an empty
    report).
    """
    now = services.clock.now()
    quarter = due_quarter(services, now)
    if await RectQuarterRun.exists(period=quarter.label):
        return None
    async with in_transaction() as conn:
        emit = Emitter(services, conn, key_prefix=f"rect-quarter:{quarter.label}", now=now)
        outcome = await review_once(services, conn, emit, quarter, now, trigger=CRON)
        if outcome.ran:
            await tell_supervisors(emit, outcome)
    if emit.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(emit.outbox_ids)
    if outcome.ran:
        log.info("quarterly rectification review of %s done", quarter.label)
        return quarter.label
    return None
