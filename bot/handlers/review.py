"""送审 and the review cards: command words, the card-action table, errors as toasts or replies.

The flow itself is the ``bot/flows/review`` package.
"""

from __future__ import annotations

from collections.abc import Awaitable

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.review import people, records, start, steps, transitions
from bot.flows.review.model import (
    ACTION,
    LINK_IN_TEXT,
    STEP_CARD,
    WITHDRAWABLE,
    ReviewError,
    find_post,
)
from bot.handlers.registry import router
from bot.handlers.taps import Tap, form_value, payload_id, run_tap
from storage.enums import Decision
from storage.models.machinery import CardRecord
from storage.models.review import Post, PostStatus


# A tap on a level's card by someone else says why (author, or who decides this level now).
@router.denial(STEP_CARD)
async def _step_denied(ctx: HandlerContext, record: CardRecord) -> str | None:
    return await people.step_denial(ctx.conn, record, ctx.actor.id)


# ---- commands -----------------------------------------------------------------------------------

# A level's deadline fires this when its steps come due (registered with the engine on import).
STEP_HANDLERS = (steps.on_step,)

router.command(
    "送审", "提交稿件进行三审三校", roles=people.AUTHOR_ROLES, menu_key="review", order=20
)(start.start_submission)


async def _reply_outcome(ctx: HandlerContext, post: Post, transition: Awaitable[Outcome]) -> None:
    """A typed command's transition: 《标题》已撤回。, or why not."""
    try:
        outcome = await transition
    except ReviewError as exc:
        await ctx.reply(str(exc))
        return
    await ctx.reply(f"《{post.title}》{outcome.toast}。")


@router.command("撤回", "撤回已送审、尚未终审的稿件", roles=people.AUTHOR_ROLES, order=21)
async def withdraw_command(ctx: HandlerContext, rest: str) -> None:
    post = await find_post(ctx.conn, ctx.actor.id, rest, WITHDRAWABLE)
    if post is None:
        await ctx.reply("您没有可以撤回的稿件。")
        return
    await _reply_outcome(ctx, post, transitions.withdraw(ctx, ctx.actor, post.id))


@router.command("催办", "提醒审核人尽快审核您的稿件", roles=people.AUTHOR_ROLES, order=22)
async def urge_command(ctx: HandlerContext, rest: str) -> None:
    post = await find_post(ctx.conn, ctx.actor.id, rest, (PostStatus.IN_REVIEW,))
    if post is None:
        await ctx.reply("您没有正在审核中的稿件。")
        return
    await _reply_outcome(ctx, post, transitions.urge(ctx, ctx.actor, post.id))


@router.command("已发布", "审核通过的稿件发布后回报链接", roles=people.AUTHOR_ROLES, order=23)
async def published_command(ctx: HandlerContext, rest: str) -> None:
    link = LINK_IN_TEXT.search(rest)
    if link is None:
        await ctx.reply("请连同发布链接一起发送，如：已发布 https://mp.weixin.qq.com/s/xxxx")
        return
    post = await records.post_to_publish(ctx, rest.replace(link.group(), ""))
    if post is None:
        return
    try:
        outcome = await transitions.publish(ctx, ctx.actor, post.id, link.group())
    except ReviewError as exc:
        await ctx.reply(str(exc))
        return
    await ctx.reply(outcome.toast)


router.command("审核记录", "查看稿件的版本、自检和各级审核意见", order=24)(records.show_trail)
router.command("待审核", "查看等待您审核的稿件", roles=people.REVIEWER_ROLES, order=25)(
    records.show_pending
)


# ---- card actions -------------------------------------------------------------------------------


def _decision(decision: Decision) -> Tap:
    async def tap(ctx: HandlerContext) -> Outcome:
        return await transitions.decide(
            ctx, ctx.actor, payload_id(ctx, "step"), decision, form_value(ctx, "comment")
        )

    return tap


async def _closing(ctx: HandlerContext, outcome: Outcome) -> Outcome:
    """The tapped card's moment has passed: it shows what the tap did."""
    await ctx.close_tapped(outcome.toast)
    return outcome


async def _delegate(ctx: HandlerContext) -> Outcome:
    return await people.offer_delegates(ctx, payload_id(ctx, "step"))


async def _delegate_to(ctx: HandlerContext) -> Outcome:
    outcome = await transitions.hand_over(
        ctx, ctx.actor, payload_id(ctx, "step"), payload_id(ctx, "to")
    )
    return await _closing(ctx, outcome)


async def _full(ctx: HandlerContext) -> Outcome:
    return await records.send_full_text(ctx, payload_id(ctx, "step"))


async def _urge(ctx: HandlerContext) -> Outcome:
    return await transitions.urge(ctx, ctx.actor, payload_id(ctx, "post"))


async def _withdraw(ctx: HandlerContext) -> Outcome:
    return await _closing(ctx, await transitions.withdraw(ctx, ctx.actor, payload_id(ctx, "post")))


async def _trail(ctx: HandlerContext) -> Outcome:
    return await records.send_trail(ctx, payload_id(ctx, "post"))


async def _edit(ctx: HandlerContext) -> Outcome:
    return await start.edit(ctx, payload_id(ctx, "post"), PostStatus.DRAFT)


async def _revise(ctx: HandlerContext) -> Outcome:
    return await start.edit(ctx, payload_id(ctx, "post"), PostStatus.RETURNED)


async def _override(ctx: HandlerContext) -> Outcome:
    return await start.submit_anyway(ctx, payload_id(ctx, "post"), form_value(ctx, "reason"))


async def _published(ctx: HandlerContext) -> Outcome:
    outcome = await transitions.publish(
        ctx, ctx.actor, payload_id(ctx, "post"), form_value(ctx, "link")
    )
    await ctx.close_tapped(outcome.toast)
    # The link's confirmation stays in the chat too (a toast disappears).
    await ctx.reply_privately(outcome.toast)
    return outcome


TAPS: dict[str, Tap] = {
    "approve": _decision(Decision.APPROVE),
    "return": _decision(Decision.RETURN),
    "reject": _decision(Decision.REJECT),
    "delegate": _delegate,
    "delegate_to": _delegate_to,
    "full": _full,
    "urge": _urge,
    "withdraw": _withdraw,
    "trail": _trail,
    "edit": _edit,
    "revise": _revise,
    "override": _override,
    "published": _published,
}


@router.action(ACTION)
async def on_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, TAPS)
