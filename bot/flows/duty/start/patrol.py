"""How a patrol round comes to be: one per shift, opened when the shift starts (the worker's
``open_patrols`` cron) or when the officer sends ``巡查``, whichever is first.

The round holds the preset's checklist (``duty.checklist``) for every running account of the
team's scope, as they were when it opened. A round still open when its shift ends is closed
with what is left, which the handover lists.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.core.context import HandlerContext
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.core.work import Work
from bot.flows.duty.cards.patrol import patrol_card
from bot.flows.duty.model import PATROL_CARD, PATROL_SUBJECT
from bot.flows.duty.people import leads, on_duty, scope_units, teams_of
from bot.flows.duty.transitions.patrol import end_round, view_of
from storage.enums import AccountStatus
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_alerts import PatrolRound
from storage.models.org import Account

# Accounts a patrol does not visit: not yet open, or gone.
NOT_PATROLLED = (AccountStatus.PREPARING, AccountStatus.CLOSED, AccountStatus.CANCELLED)


async def open_round(w: Work, team: DutyTeam, shift: DutyShift) -> tuple[PatrolRound, bool]:
    """The shift's round, created (and its card sent to the officer) if it has none yet."""
    existing = await PatrolRound.filter(shift_id=shift.id).using_db(w.conn).first()
    if existing is not None:
        return existing, False
    units = await scope_units(w.conn, team)
    accounts = (
        await Account.filter(owner_unit_id__in=units)
        .exclude(status__in=NOT_PATROLLED)
        .using_db(w.conn)
        .order_by("owner_unit_id", "id")
        .values_list("id", flat=True)
    )
    patrol = await PatrolRound.create(
        using_db=w.conn,
        team_id=team.id,
        shift_id=shift.id,
        person_id=shift.person_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        checklist=list(w.policy.duty.checklist.items),
        account_ids=[int(str(a)) for a in accounts],
        created_at=w.now,
        # A team with nothing to patrol gets a closed round (not retried every minute) and
        # no card.
        closed_at=None if accounts else w.now,
    )
    if not accounts:
        return patrol, True
    card = await w.emit.new_card(
        patrol_card(await view_of(w, patrol)),
        kind=PATROL_CARD,
        allowed_person_ids=[shift.person_id] + [m.id for m in await leads(w.conn, team)],
        subject_type=PATROL_SUBJECT,
        subject_id=patrol.id,
    )
    patrol.card_id = card.card_id
    await patrol.save(using_db=w.conn, update_fields=["card_id"])
    await w.emit.to_person(
        shift.person_id,
        Message(
            text=f"本班读网巡查清单（{len(patrol.account_ids)} 个账号），请逐项记录。", card=card
        ),
    )
    await w.audit(
        "duty.patrol_opened",
        PATROL_SUBJECT,
        patrol.id,
        {"shift": shift.id, "accounts": len(patrol.account_ids)},
    )
    return patrol, True


async def patrol_command(ctx: HandlerContext, rest: str) -> None:
    """巡查: the officer's round of the current shift (opened now if the cron has not yet)."""
    day = ctx.now.astimezone(ctx.tz).date()
    for team in await teams_of(ctx.conn, ctx.actor.id, day):
        shift = await on_duty(ctx.conn, team, ctx.now)
        if shift is None or shift.person_id != ctx.actor.id:
            continue
        patrol, created = await open_round(ctx, team, shift)
        if not created and patrol.card_id is not None:
            view = await view_of(ctx, patrol)
            card = await ctx.emit.update_card(patrol.card_id, patrol_card(view))
            await ctx.reply("", card=card)
        return
    await ctx.reply("您现在不在班上，没有需要记录的巡查。发送“值班表”可查看排班。")


async def open_patrols(services: Services) -> int:
    """The worker's cron: every team's running shift gets its round; rounds whose shift ended
    are closed with what is left. Idempotent (one round per shift, closing once)."""
    now = services.clock.now()
    opened = 0
    for team in await DutyTeam.filter(active=True).order_by("id"):
        async with in_transaction() as conn:
            w = _work(services, conn, now, f"patrol:{team.id}:{now.isoformat()}")
            shift = await on_duty(conn, team, now)
            if shift is not None:
                _, created = await open_round(w, team, shift)
                opened += created
            ended = await PatrolRound.filter(
                team_id=team.id, closed_at__isnull=True, ends_at__lte=now
            ).using_db(conn)
            for patrol in ended:
                await end_round(w, patrol)
        if w.emit.outbox_ids and services.outbox_kick is not None:
            await services.outbox_kick(w.emit.outbox_ids)
    return opened


def _work(services: Services, conn: BaseDBAsyncClient, now: datetime, key: str) -> Work:
    return Work.system(services, conn, now=now, key_prefix=key, label="读网巡查")
