"""What a level's deadline does when its steps fire.

A level's deadline (rule ``review.escalate``, schedule ``review`` of the preset, started and
closed by the transitions that open and decide the level) reminds the approver at
``review.remind`` and escalates at its due time; each step runs one transition.
"""

from __future__ import annotations

from bot.deadlines.registry import StepContext, step_handler
from bot.flows.review import transitions
from bot.flows.review.model import REMIND_STEP, STEP_HANDLER, ReviewError


@step_handler(STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    step_id = int(ctx.data["step"])
    try:
        # Every step but the reminder escalates (the preset's schedule calls it "escalate").
        if ctx.name == REMIND_STEP:
            await transitions.remind_approver(ctx, step_id)
        else:
            await transitions.escalate(ctx, step_id)
    except ReviewError:
        return  # the level was decided, handed over or withdrawn meanwhile
