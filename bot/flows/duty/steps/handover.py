"""The handover's deadline steps: each calls a transition (or reminds).

``remind`` (the incoming officer, before the shift) · ``prepare`` (the outgoing officer's
card) · ``change`` (the outgoing officer is told they stay responsible) · ``lead`` and
``head`` (the escalation levels) · ``renotify`` (everyone reached, again, until someone
acknowledges). The deadline completes when the handover is acknowledged, so no step fires
after that; a step that fires late (the system was down) still acts, except the reminder.
"""

from __future__ import annotations

from bot.core.directory import load_member
from bot.core.outgoing import Message
from bot.deadlines.registry import StepContext, step_handler
from bot.flows.duty.model import HANDOVER_STEP_HANDLER, HANDOVER_SUBJECT, lock_handover, shift_label
from bot.flows.duty.transitions import handover as transitions
from storage.models.duty import DutyShift
from storage.models.duty_handover import HandoverStatus


@step_handler(HANDOVER_STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    handover_id = int(ctx.data["handover"])
    if ctx.name == "remind":
        await _remind(ctx, handover_id)
    elif ctx.name == "prepare":
        await transitions.prepare(ctx, handover_id)
    elif ctx.name == "change":
        await transitions.at_change(ctx, handover_id)
    else:  # lead, head, renotify (and any escalation level a preset adds)
        await transitions.escalate(ctx, handover_id, ctx.name, ctx.repeat)


async def _remind(ctx: StepContext, handover_id: int) -> None:
    """The incoming officer, before the shift: when it starts and that a handover follows."""
    h = await lock_handover(ctx.conn, handover_id)
    if h is None or not HandoverStatus(h.status).open or ctx.now >= h.change_at:
        # A reminder that fires after the change (an outage, a jump of the demo clock) would
        # announce a shift already begun: the change step speaks instead.
        return
    shift = (
        await DutyShift.filter(team_id=h.team_id, starts_at=h.change_at).using_db(ctx.conn).first()
    )
    if shift is None:
        return
    member = await load_member(shift.person_id, ctx.conn)
    if member is None or not member.person.active:
        return
    await ctx.emit.to_person(
        member.id,
        Message(
            text=f"【接班提醒】您将于{ctx.when(h.change_at)}接班（{shift_label(shift, ctx.tz)}）。"
            "交班人提交交接后，请核对交接内容并点“确认接班”。"
        ),
    )
    await ctx.audit_step(
        "duty.handover_reminded", {"person": member.id}, subject_type=HANDOVER_SUBJECT
    )
