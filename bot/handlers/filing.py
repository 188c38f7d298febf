"""备案, 撤回备案, 台账, 我的备案, 下载, and the taps on filing cards (``bot/flows/filing``)."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.filing import (
    records,
    start,
    steps,  # noqa: F401  (imported to register its step handler)
    transitions,
)
from bot.flows.filing.model import ACTION, PICK_FLOW, WITHDRAW_WORD, FilingError, Stage
from bot.handlers.registry import router
from bot.handlers.taps import Tap, form_value, payload_id, run_tap
from storage.enums import Role
from storage.models.filing import FilingKind

CLERKS = frozenset({Role.CLERK})
# Who looks at accounts and filing forms: the clerk, the unit's leaders, the supervisors.
READERS = frozenset(
    {
        Role.CLERK,
        Role.PRINCIPAL,
        Role.DEPUTY_LEADER,
        Role.SECTION_CHIEF,
        Role.SUPERVISOR_STAFF,
        Role.ADMIN,
    }
)

router.command(
    "备案", "办理账号开设、变更、关停、注销等备案", roles=CLERKS, menu_key="filing", order=10
)(start.begin)
router.flow(PICK_FLOW, "备案")(start.continue_pick)


@router.command(WITHDRAW_WORD, "终审前撤回自己提交的备案，如“撤回备案 12”", roles=CLERKS, order=14)
async def withdraw(ctx: HandlerContext, rest: str) -> None:
    """The filing the words mean, then the transition; what refuses it is the reply."""
    try:
        filing_id = await records.filing_to_withdraw(ctx, ctx.actor, rest)
        outcome = await transitions.withdraw(ctx, filing_id, ctx.actor)
    except FilingError as exc:
        await ctx.reply(str(exc))
        return
    await ctx.reply(outcome.toast)


router.command("台账", "查看本单位的政务新媒体账号", roles=READERS, order=11)(records.show_registry)
router.command("我的备案", "查看我提交的备案和进度", roles=CLERKS, order=12)(records.my_filings)
router.command("下载", "下载备案表，如“下载 12”", roles=READERS, order=13)(records.download)


# ---- taps -------------------------------------------------------------------------------------


def _stage(ctx: HandlerContext) -> Stage:
    return Stage(payload_id(ctx, "filing"), payload_id(ctx, "step"), payload_id(ctx, "round"))


async def _approve(ctx: HandlerContext) -> Outcome:
    return await transitions.approve(ctx, _stage(ctx), ctx.actor, form_value(ctx, "reason"))


async def _send_back(ctx: HandlerContext) -> Outcome:
    return await transitions.send_back(ctx, _stage(ctx), ctx.actor, form_value(ctx, "reason"))


async def _reject(ctx: HandlerContext) -> Outcome:
    return await transitions.reject(ctx, _stage(ctx), ctx.actor, form_value(ctx, "reason"))


async def _resubmit(ctx: HandlerContext) -> Outcome:
    return await start.reopen(ctx, payload_id(ctx, "filing"))


async def _kind(ctx: HandlerContext) -> Outcome:
    return await start.kind_tapped(ctx, ctx.card_action.payload.get("kind", ""))


async def _account(ctx: HandlerContext) -> Outcome:
    kind = FilingKind(ctx.card_action.payload["kind"])
    return await start.account_tapped(ctx, kind, payload_id(ctx, "account"))


async def _golive(ctx: HandlerContext) -> Outcome:
    return await transitions.go_live(ctx, payload_id(ctx, "account"), ctx.actor)


TAPS: dict[str, Tap] = {
    "approve": _approve,
    "return": _send_back,
    "reject": _reject,
    "resubmit": _resubmit,
    "kind": _kind,
    "account": _account,
    "golive": _golive,
}


@router.action(ACTION)
async def on_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, TAPS)
