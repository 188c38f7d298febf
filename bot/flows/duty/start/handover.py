"""Starting handovers: planning one per shift change with its countdown, and the commands
交接班 (the handover card now) and 记录 (a note for the handover).

Every shift change of a team within ``HANDOVER_PLAN_AHEAD`` gets a ``DutyHandover`` row and
one deadline whose steps are the whole handover: the pre-shift reminder, the card to the
outgoing officer, the change itself, then the escalation (duty lead, unit head, again and
again) until someone acknowledges. Planning is idempotent (one row per team and change
time), so the worker's cron, ``org load`` and the roster planner may all call it.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.core.context import HandlerContext
from bot.core.emit import card_from_record
from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.flows.duty import people
from bot.flows.duty.model import (
    HANDOVER_DEADLINE_KIND,
    HANDOVER_PLAN_AHEAD,
    HANDOVER_STEP_HANDLER,
    HANDOVER_SUBJECT,
    NOTE_MAX,
    DutyError,
)
from bot.flows.duty.transitions import handover as transitions
from bot.policy.model import Policy
from bot.timekeeping.rules import DurationRule
from bot.timekeeping.schedule import StepSpec
from storage.enums import CardStatus
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_handover import DutyHandover, DutyNote, HandoverStatus
from storage.models.machinery import CardRecord

# The product defaults, used when a deployment's override names a rule of another kind.
_DEFAULT_MINUTES = {"handover.ack": 15, "handover.remind": 30, "handover.prepare": 15}


def minutes(policy: Policy, rule_id: str) -> int:
    """A handover rule's length in minutes (they are wall-clock durations)."""
    rule = policy.deadlines.get(rule_id)
    if isinstance(rule, DurationRule):
        return rule.minutes
    return _DEFAULT_MINUTES[rule_id]


def schedule(policy: Policy) -> tuple[StepSpec, ...]:
    """The handover's steps: the deadline is due ``handover.ack`` after the change, so the
    steps before the change sit that much earlier; the escalation is the preset's
    ``handover`` schedule (duty lead at due, the unit head, then again until acknowledged)."""
    ack = minutes(policy, "handover.ack")
    before = (
        StepSpec.before_due("remind", ack + minutes(policy, "handover.remind"), "接班提醒"),
        StepSpec.before_due("prepare", ack + minutes(policy, "handover.prepare"), "交班清单"),
        StepSpec.before_due("change", ack, "交接班时间"),
    )
    return before + policy.schedule("handover")


async def plan_team(
    services: Services, conn: BaseDBAsyncClient, team: DutyTeam, now: datetime
) -> int:
    """A handover (and its countdown) for each shift change of ``team`` from now until
    ``HANDOVER_PLAN_AHEAD``; returns how many were created."""
    shifts = (
        await DutyShift.filter(
            team_id=team.id, starts_at__gt=now, starts_at__lte=now + HANDOVER_PLAN_AHEAD
        )
        .using_db(conn)
        .order_by("starts_at")
    )
    if not shifts:
        return 0
    planned = set(
        await DutyHandover.filter(team_id=team.id, change_at__in=[s.starts_at for s in shifts])
        .using_db(conn)
        .values_list("change_at", flat=True)
    )
    policy = services.timekeeping.policy
    created = 0
    for shift in shifts:
        if shift.starts_at in planned:
            continue
        h = await DutyHandover.create(
            using_db=conn,
            team_id=team.id,
            shift_id=shift.id,
            change_at=shift.starts_at,
            status=HandoverStatus.SCHEDULED,
            created_at=now,
        )
        deadline = await lifecycle.start(
            services,
            conn,
            kind=HANDOVER_DEADLINE_KIND,
            subject_type=HANDOVER_SUBJECT,
            subject_id=h.id,
            handler=HANDOVER_STEP_HANDLER,
            now=now,
            rule="handover.ack",
            start_at=shift.starts_at,
            schedule=schedule(policy),
            data={"handover": h.id},
        )
        h.deadline_id = deadline.id
        await h.save(using_db=conn, update_fields=["deadline_id"])
        created += 1
    return created


async def plan_all(services: Services) -> int:
    """The worker's cron: plan the handovers of every active team (one transaction each)."""
    now = services.clock.now()
    created = 0
    for team in await DutyTeam.filter(active=True).order_by("id"):
        async with in_transaction() as conn:
            # One planner per team at a time (the cron on two workers, or org load).
            locked = await DutyTeam.filter(id=team.id).using_db(conn).select_for_update().first()
            if locked is not None:
                created += await plan_team(services, conn, locked, now)
    return created


# ---- 交接班 and 记录 -------------------------------------------------------------------------


async def _team_of(ctx: HandlerContext) -> DutyTeam:
    """The team the person is acting for: the one they hold responsibility in now, else the
    first team whose rotation names them."""
    teams = await people.teams_of(ctx.conn, ctx.actor.id, ctx.now.astimezone(ctx.tz).date())
    for team in teams:
        holder = await people.responsible(ctx.conn, team, ctx.now)
        if holder is not None and holder.id == ctx.actor.id:
            return team
    if not teams:
        raise DutyError("您不在任何值班组的排班中。")
    return teams[0]


async def handover_command(ctx: HandlerContext, rest: str) -> None:
    """交接班: the outgoing officer gets the handover card now (early, or again); the
    incoming officer gets the card to acknowledge; anyone else sees where it stands."""
    try:
        team = await _team_of(ctx)
    except DutyError as exc:
        await ctx.reply(str(exc))
        return
    # The open handover this person is part of: the one under way, else the next change.
    rows = (
        await DutyHandover.filter(
            team_id=team.id,
            status__in=[
                HandoverStatus.SCHEDULED,
                HandoverStatus.PREPARING,
                HandoverStatus.SUBMITTED,
            ],
            change_at__lte=ctx.now + HANDOVER_PLAN_AHEAD,
        )
        .using_db(ctx.conn)
        .order_by("change_at")
    )
    holder = await people.responsible(ctx.conn, team, ctx.now)
    for h in rows:
        status = HandoverStatus(h.status)
        if status is HandoverStatus.SCHEDULED and holder is not None and holder.id == ctx.actor.id:
            # Handing over early: the card is prepared now instead of at its step.
            await transitions.prepare(ctx, h.id)
            await ctx.reply("已生成交班清单，请核对后点“提交交接”。")
            return
        card_id = None
        if status is HandoverStatus.PREPARING and h.outgoing_id == ctx.actor.id:
            card_id = h.outgoing_card_id
        elif status is HandoverStatus.SUBMITTED and await _incoming(ctx, h) == ctx.actor.id:
            card_id = h.incoming_card_id
        if card_id is not None and await _send_again(ctx, card_id):
            return
    if rows:
        h = rows[0]
        when = ctx.when(h.change_at)
        await ctx.reply(
            f"{team.name}下一次交接班：{when}，{HandoverStatus(h.status).label}。"
            f"现在负责：{holder.name if holder is not None else '无人'}。"
        )
        return
    await ctx.reply(f"{team.name}近期没有需要交接的班次。")


async def _incoming(ctx: HandlerContext, h: DutyHandover) -> int | None:
    """The incoming officer as the roster says now (a swap before the change moves it)."""
    shift = (
        await DutyShift.filter(team_id=h.team_id, starts_at=h.change_at).using_db(ctx.conn).first()
    )
    return shift.person_id if shift is not None else h.incoming_id


async def _send_again(ctx: HandlerContext, card_id: str) -> bool:
    record = await CardRecord.filter(id=card_id).using_db(ctx.conn).first()
    if record is None or record.status == CardStatus.CLOSED:
        return False
    await ctx.reply_privately(card=card_from_record(record))
    return True


async def note_command(ctx: HandlerContext, rest: str) -> None:
    """记录 …: a note for the shift's handover (listed on the handover card)."""
    text = rest.strip()
    if not text:
        await ctx.reply(
            "请在“记录”后写要记下的事，"
            "如“记录 临江文旅公众号留言区有网民反映办事难，已电话告知李科长”。"
        )
        return
    if len(text) > NOTE_MAX:
        await ctx.reply(f"记录太长了（{len(text)}字），请控制在{NOTE_MAX}字以内，分几条发送。")
        return
    try:
        team = await _team_of(ctx)
    except DutyError as exc:
        await ctx.reply(str(exc))
        return
    note = await DutyNote.create(
        using_db=ctx.conn, team_id=team.id, person_id=ctx.actor.id, text=text, created_at=ctx.now
    )
    await ctx.audit("duty.note_taken", HANDOVER_SUBJECT, f"note:{note.id}", {"team": team.id})
    count = (
        await DutyNote.filter(team_id=team.id, handover_id__isnull=True).using_db(ctx.conn).count()
    )
    await ctx.reply(f"已记录（{team.name}），交班时将列入交接清单（本班共{count}条记录）。")
