"""整改, 整改记录, 整改季度 and the taps on notice cards (the rectification flow)."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.rectification import quarterly, records, start, transitions
from bot.flows.rectification.model import ACTIONS
from bot.flows.rectification.people import ISSUERS, RECORD_READERS
from bot.handlers.registry import router
from bot.handlers.taps import Tap, form_value, payload_id, run_tap
from storage.models.rectification import RectCategory, Severity

router.command(
    "整改",
    "向责任单位下发整改通知（限时整改）",
    roles=ISSUERS,
    menu_key="rectification",
    order=40,
)(start.open_form)

router.command(
    "整改记录",
    "查看整改通知的进展、时间线和统计",
    roles=RECORD_READERS,
    order=41,
)(records.show)

router.command(
    "整改季度",
    "季度整改复核：整改函、通报、排名后三位（如“整改季度 2026Q4”，默认上一季度）",
    roles=ISSUERS,
    order=42,
)(quarterly.review_requested)


def _answered_card(ctx: HandlerContext) -> str | None:
    """The decision card the supervisor tapped; it closes showing the decision."""
    return ctx.card_record.id if ctx.card_record is not None else None


async def _issue(ctx: HandlerContext) -> Outcome:
    payload = ctx.card_action.payload
    return await start.issue_from_finding(
        ctx,
        account_id=payload_id(ctx, "account"),
        category=RectCategory(payload.get("category", "other")),
        severity=Severity(payload.get("severity", "ordinary")),
        problem=payload.get("problem", ""),
        evidence=payload.get("evidence", ""),
    )


async def _ack(ctx: HandlerContext) -> Outcome:
    return await transitions.acknowledge(ctx, payload_id(ctx), ctx.actor)


async def _done(ctx: HandlerContext) -> Outcome:
    return await transitions.submit(
        ctx, payload_id(ctx), ctx.actor, form_value(ctx, "note"), form_value(ctx, "evidence")
    )


async def _extend(ctx: HandlerContext) -> Outcome:
    return await transitions.request_extension(
        ctx, payload_id(ctx), ctx.actor, form_value(ctx, "reason")
    )


async def _verify(ctx: HandlerContext) -> Outcome:
    return await transitions.verify(ctx, payload_id(ctx), ctx.actor, _answered_card(ctx))


async def _reject(ctx: HandlerContext) -> Outcome:
    return await transitions.reject(
        ctx, payload_id(ctx), ctx.actor, form_value(ctx, "reason"), _answered_card(ctx)
    )


async def _grant(ctx: HandlerContext) -> Outcome:
    return await transitions.grant_extension(
        ctx, payload_id(ctx), ctx.actor, form_value(ctx, "new_due"), _answered_card(ctx)
    )


async def _refuse(ctx: HandlerContext) -> Outcome:
    return await transitions.refuse_extension(
        ctx, payload_id(ctx), ctx.actor, form_value(ctx, "reason"), _answered_card(ctx)
    )


# Card action suffix (rect.ack …; stored cards carry these) → the transition it asks for.
TAPS: dict[str, Tap] = {
    "issue": _issue,
    "ack": _ack,
    "done": _done,
    "extend": _extend,
    "verify": _verify,
    "reject": _reject,
    "grant": _grant,
    "refuse": _refuse,
}


@router.action(ACTIONS)
async def on_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, TAPS)
