"""离岗, 离岗清单 and the taps on the leaving checklist card (the duty flow's personnel leaving)."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.duty.model import LEAVING_ACTIONS
from bot.flows.duty.people import LEAVING_READERS
from bot.flows.duty.records import leaving as records
from bot.flows.duty.start import leaving as start
from bot.flows.duty.steps import leaving as _steps  # noqa: F401  (registers the step handler)
from bot.flows.duty.transitions import leaving as transitions
from bot.handlers.registry import router
from bot.handlers.taps import Tap, payload_id, run_tap

router.command(
    "离岗",
    "人员离岗或调岗的交接清单：逐项确认工作移交、保密承诺、口令更换",
    roles=LEAVING_READERS,
    order=80,
)(start.show_open)

router.command(
    "离岗清单",
    "查看本单位的离岗交接记录（办理中与已完成）",
    roles=LEAVING_READERS,
    order=81,
)(records.show)


async def _confirm(ctx: HandlerContext) -> Outcome:
    return await transitions.confirm_item(ctx, payload_id(ctx), payload_id(ctx, "item"), ctx.actor)


TAPS: dict[str, Tap] = {"confirm": _confirm}


@router.action(LEAVING_ACTIONS)
async def on_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, TAPS)
