"""值班, 值班表, 调班 (and the lead's sentence "12月5日白班由老刘值"), 换班 and the taps on
the roster's and the swaps' cards (action prefix ``duty``)."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.duty import people
from bot.flows.duty.forms.roster import OVERRIDE
from bot.flows.duty.model import ACTIONS
from bot.flows.duty.start import roster as start
from bot.flows.duty.steps import swaps as _swap_steps  # registers the swap expiry handler
from bot.flows.duty.transitions import swaps
from bot.handlers.registry import router
from bot.handlers.taps import Tap, form_value, payload_id, run_tap
from storage.enums import Role

del _swap_steps

router.command(
    "值班",
    "查看现在谁在值班、我的下一个班",
    roles=people.ROSTER_READERS,
    menu_key="duty",
    order=50,
)(start.show_status)

router.command(
    "值班表",
    "查看本周值班表（“值班表 下周”看下周），附图片",
    roles=people.ROSTER_READERS,
    order=51,
)(start.show_week)

router.command(
    "换班",
    "请同事替我值一个班（如“换班 12月5日白班 老刘”）",
    roles=people.OFFICERS,
    order=52,
)(start.request_swap)

router.command(
    "调班",
    "值班长调整排班（如“12月5日白班由老刘值”）",
    roles=frozenset({Role.DUTY_LEAD}),
    order=53,
    pattern=OVERRIDE.pattern,
)(start.override)


async def _week(ctx: HandlerContext) -> Outcome:
    return await start.week_tapped(
        ctx, payload_id(ctx, "team"), ctx.card_action.payload.get("next") == "1"
    )


async def _accept(ctx: HandlerContext) -> Outcome:
    return await swaps.accept(ctx, payload_id(ctx, "swap"), ctx.actor)


async def _decline(ctx: HandlerContext) -> Outcome:
    return await swaps.decline(ctx, payload_id(ctx, "swap"), ctx.actor)


async def _approve(ctx: HandlerContext) -> Outcome:
    return await swaps.approve(ctx, payload_id(ctx, "swap"), ctx.actor)


async def _refuse(ctx: HandlerContext) -> Outcome:
    return await swaps.refuse(ctx, payload_id(ctx, "swap"), ctx.actor, form_value(ctx, "reason"))


async def _cancel(ctx: HandlerContext) -> Outcome:
    return await swaps.cancel(ctx, payload_id(ctx, "swap"), ctx.actor)


TAPS: dict[str, Tap] = {
    "week": _week,
    "accept": _accept,
    "decline": _decline,
    "approve": _approve,
    "refuse": _refuse,
    "cancel": _cancel,
}


@router.action(ACTIONS)
async def on_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, TAPS)
