"""交接班, 交接记录, 记录 and the taps on handover cards (the duty flow's handover area)."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.duty.model import HANDOVER_ACTIONS
from bot.flows.duty.people import OFFICERS, ROSTER_READERS
from bot.flows.duty.records import handover as records
from bot.flows.duty.start import handover as start
from bot.flows.duty.steps import handover as steps  # noqa: F401  (registers the step handler)
from bot.flows.duty.transitions import handover as transitions
from bot.handlers.registry import router
from bot.handlers.taps import Tap, form_value, payload_id, run_tap

router.command(
    "交接班",
    "交班：查看并提交交班清单；接班：查看交接内容并确认接班",
    roles=OFFICERS,
    order=52,
)(start.handover_command)

router.command(
    "记录",
    "值班中记下要交代的事（如“记录 某账号留言未回复，已告知李科长”），交班时列入交接清单",
    roles=OFFICERS,
    order=53,
)(start.note_command)

router.command(
    "交接记录",
    "查看近几天的交接班与各时段的值班责任人（如“交接记录 7”）",
    roles=ROSTER_READERS,
    order=54,
)(records.show_log)


async def _submit(ctx: HandlerContext) -> Outcome:
    return await transitions.submit(ctx, payload_id(ctx), ctx.actor, form_value(ctx, "note"))


async def _ack(ctx: HandlerContext) -> Outcome:
    return await transitions.acknowledge(ctx, payload_id(ctx), ctx.actor)


# Card action suffix (handover.submit …; stored cards carry these) → the transition.
TAPS: dict[str, Tap] = {"submit": _submit, "ack": _ack}


@router.action(HANDOVER_ACTIONS)
async def on_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, TAPS)
