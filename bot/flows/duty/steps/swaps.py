"""A swap's countdown: at the shift's start an unsettled swap expires."""

from __future__ import annotations

from bot.deadlines.registry import StepContext, step_handler
from bot.flows.duty.model import SWAP_STEP_HANDLER
from bot.flows.duty.transitions import swaps


@step_handler(SWAP_STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    await swaps.expire(ctx, int(ctx.data["swap"]))
