"""The countdown of a notice on the deadline engine: starting it, and its steps.

The preset's ``rectification`` schedule reminds at its thresholds (50 %, 80 %), and at due
(then hourly) the notice goes overdue (``transitions.go_overdue``) and escalates: the unit head
is @-mentioned and the supervisors are told once. Pausing (已整改), resuming and rescheduling
(驳回, 同意延期) and completing (通过) the countdown belong to the transitions that do them.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.outgoing import Message
from bot.core.work import Work
from bot.deadlines import lifecycle
from bot.deadlines.registry import StepContext, step_handler
from bot.flows.rectification import transitions
from bot.flows.rectification.model import (
    DEADLINE_KIND,
    SCHEDULE,
    STEP_HANDLER,
    SUBJECT,
    lock,
    number,
    unit_name,
)
from bot.flows.rectification.people import names, people_of
from storage.models.deadlines import Deadline
from storage.models.rectification import Rectification, RectStatus

# The steps at and after the due time; the others are reminders before it.
OVERDUE_STEPS = ("due", "overdue")

REMINDER_LABELS = {
    "half": "时限过半提醒",
    "late": "临近截止提醒",
    "due": "已到期",
    "overdue": "逾期催办",
}


async def start_countdown(w: Work, rect: Rectification, start_at: datetime) -> Deadline:
    """The notice's deadline under its rule, counted from ``start_at`` (when the problem was
    received, else now)."""
    return await lifecycle.start(
        w.services,
        w.conn,
        kind=DEADLINE_KIND,
        subject_type=SUBJECT,
        subject_id=rect.id,
        handler=STEP_HANDLER,
        now=w.now,
        rule=rect.rule_id,
        start_at=start_at,
        schedule=w.policy.schedule(SCHEDULE),
        data={"rectification": rect.id},
    )


@step_handler(STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    """Reminders at the preset's thresholds; at due the notice becomes 逾期 and escalates."""
    rect_id = int(ctx.data["rectification"])
    at_or_after_due = ctx.name in OVERDUE_STEPS
    if at_or_after_due:
        await transitions.go_overdue(ctx, rect_id, step=ctx.name)
    rect = await lock(ctx.conn, rect_id)
    if rect is None or RectStatus(rect.status) in (RectStatus.SUBMITTED, RectStatus.VERIFIED):
        return
    if not at_or_after_due and ctx.now >= ctx.deadline.due_at:
        # A reminder before due that fires after it (the system was down, or the demo clock
        # jumped) would say "剩余…" of a deadline already missed: the due step speaks instead.
        return
    await _remind(ctx, rect)


async def _remind(ctx: StepContext, rect: Rectification) -> None:
    people = await people_of(ctx.conn, rect)
    shown = ctx.text()
    head = f"整改通知 {number(rect)}"
    if rect.account_label:
        head += f"（{rect.account_label}）"
    mentions = tuple(m.mention() for m in people.workers)
    if ctx.name in OVERDUE_STEPS:
        mentions += tuple(
            m.mention() for m in people.heads if m.id not in {w.id for w in people.workers}
        )
        label = "已逾期" if ctx.name == "due" else f"逾期催办（第{ctx.repeat + 1}次）"
        text = (
            f"【{label}】{head}未在时限内完成整改：{shown.due_line}，{shown.remaining}。"
            f"请{names(people.heads)}督促尽快整改。"
        )
        if ctx.name == "due" or ctx.repeat == 0:
            for supervisor in people.supervisors:
                await ctx.emit.to_person(
                    supervisor.id,
                    Message(
                        text=f"【整改逾期】{head}，责任单位"
                        f"{await unit_name(ctx.conn, rect.owner_unit_id)}，"
                        f"{shown.due_line}，{shown.remaining}。"
                    ),
                )
    else:
        label = REMINDER_LABELS.get(ctx.name, "整改提醒")
        state = "尚未接收" if rect.status == RectStatus.ISSUED else "正在整改"
        text = f"【{label}】{head}{state}，{shown.due_line}，{shown.remaining}。"
    if people.chat is not None:
        await ctx.emit.to_chat(people.chat.id, Message(text=text, mentions=mentions))
    else:
        for member_id in {m.person_id for m in mentions}:
            await ctx.emit.to_person(member_id, Message(text=text))
    await transitions.refresh_unit_card(ctx, rect)
    await ctx.audit_step(
        "rectification.reminded",
        {"step": ctx.name, "repeat": ctx.repeat},
        subject_type=SUBJECT,
        subject_id=rect.id,
    )
