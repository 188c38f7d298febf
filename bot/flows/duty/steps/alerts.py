"""The acknowledgement countdown of an alert: its step handler.

The preset's ``alert`` schedule fires ``duty_lead`` at the acknowledgement limit of the
alert's severity (``alert.ack``, ``alert.ack.serious``, ``alert.ack.opinion``), ``unit_head``
and ``supervisor`` at ``alert.escalate`` and ``alert.supervise``, and ``renotify`` every few
minutes after the limit, until someone acknowledges (which completes the deadline).
"""

from __future__ import annotations

from bot.deadlines.registry import StepContext, step_handler
from bot.flows.duty.model import ALERT_STEP_HANDLER
from bot.flows.duty.transitions import alerts as transitions


@step_handler(ALERT_STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    await transitions.escalate(ctx, int(ctx.data["alert"]), step=ctx.name)
