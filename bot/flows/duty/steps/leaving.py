"""The leaving checklist's countdown steps (half time, due, overdue every day): each reminds
the unit head of what is still open."""

from __future__ import annotations

from bot.deadlines.registry import StepContext, step_handler
from bot.flows.duty.model import LEAVING_STEP_HANDLER
from bot.flows.duty.transitions import leaving


@step_handler(LEAVING_STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    await leaving.remind(ctx, int(ctx.deadline.subject_id), ctx.name)
