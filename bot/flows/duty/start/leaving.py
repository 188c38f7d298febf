"""Personnel leaving: the worker opens the checklists ``org load`` recorded, and ``离岗`` shows
a unit head the open ones as cards to confirm on."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tortoise.transactions import in_transaction

from bot.core.context import HandlerContext
from bot.core.services import Services
from bot.core.work import Work
from bot.flows.duty.model import LEAVING_ACTOR
from bot.flows.duty.people import leaving_heads
from bot.flows.duty.records.leaving import view_of, visible_checklists
from bot.flows.duty.transitions import leaving
from storage.models.duty_leaving import LeavingChecklist, LeavingStatus

log = logging.getLogger(__name__)


async def open_pending(services: Services) -> int:
    """Withdraw the checklists of people ``org load`` put back, then open every checklist it
    recorded, one transaction each; how many were withdrawn or opened.

    Idempotent: the checklist's row lock and status make a second worker or a retried job
    open or withdraw nothing twice.
    """
    returned = (
        await LeavingChecklist.filter(
            status__in=[LeavingStatus.PENDING, LeavingStatus.OPEN], returned_at__isnull=False
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    withdrawn = 0
    for checklist_id in returned:
        if await _in_work(services, int(str(checklist_id)), "withdraw", leaving.withdraw):
            withdrawn += 1
    ids = (
        await LeavingChecklist.filter(status=LeavingStatus.PENDING, returned_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    opened = 0
    for checklist_id in ids:
        if await _in_work(services, int(str(checklist_id)), "open", leaving.open_checklist):
            opened += 1
    if opened or withdrawn:
        log.info("leaving checklists: %d opened, %d withdrawn", opened, withdrawn)
    return opened + withdrawn


async def _in_work(
    services: Services,
    checklist_id: int,
    what: str,
    transition: Callable[[Work, int], Awaitable[bool]],
) -> bool:
    """One transition of one checklist in its own transaction, its messages kicked after."""
    now = services.clock.now()
    async with in_transaction() as conn:
        w = Work.system(
            services,
            conn,
            now=now,
            key_prefix=f"leaving:{checklist_id}:{what}",
            label=LEAVING_ACTOR,
        )
        done = await transition(w, checklist_id)
    if w.emit.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(w.emit.outbox_ids)
    return done


async def show_open(ctx: HandlerContext, rest: str) -> None:
    """离岗: the open checklists of the units one heads, each as its live card (the same card,
    so a confirmation shows everywhere it was sent)."""
    rows = await visible_checklists(ctx.conn, ctx.actor, (LeavingStatus.OPEN,))
    pending = await visible_checklists(ctx.conn, ctx.actor, (LeavingStatus.PENDING,))
    if not rows:
        more = "（另有人员离岗已记录，清单将在一分钟内开出）" if pending else ""
        await ctx.reply(f"目前没有待办的离岗交接清单{more}。发送「离岗清单」查看记录。")
        return
    for checklist in rows:
        view = await view_of(ctx.conn, checklist)
        if checklist.card_id is None:
            continue
        card = leaving.render(ctx, view)
        # The unit's head now (it may have changed since the checklist opened) may confirm.
        heads = [h.id for h in await leaving_heads(ctx.conn, checklist.unit_id)]
        card = await ctx.emit.update_card(checklist.card_id, card, allowed_person_ids=heads)
        await ctx.reply(card=card)
    if len(rows) > 1:
        await ctx.reply(f"共 {len(rows)} 份离岗交接清单待办。")
