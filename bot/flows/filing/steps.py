"""The step handler of the filing's countdowns (started and ended in ``countdowns``).

Before the due time the clerk is reminded; at it and after, the unit's 主要负责人 too. The end of
a closure notice is a transition (the account becomes 已关停), after which its countdown is done;
so is the date of an approved filing dated later (the registry changes then).
"""

from __future__ import annotations

from bot.core.directory import members_with_role
from bot.core.outgoing import Message
from bot.deadlines.registry import StepContext, step_handler
from bot.flows.filing import countdowns, transitions
from bot.flows.filing.model import (
    NOTICE_CLOSE,
    PURPOSE_TITLES,
    STEP_HANDLER,
    SUSPEND,
    TAKES_EFFECT,
)
from storage.enums import Role
from storage.models.org import Account


@step_handler(STEP_HANDLER)
async def on_step(step: StepContext) -> None:
    if step.deadline.kind == NOTICE_CLOSE:
        await transitions.end_closure_notice(step)
        await countdowns.end(step, step.deadline, "公告期届满")
        return
    if step.deadline.kind == TAKES_EFFECT:
        await transitions.take_effect(step)
        await countdowns.end(step, step.deadline, "已生效")
        return
    await _remind(step)


async def _remind(step: StepContext) -> None:
    """【上线时限】临江教育（微博）：… to the clerk; from the due time on, to the unit head too."""
    data = step.data
    shown = step.text()
    title = PURPOSE_TITLES.get(step.deadline.kind, "备案")
    account = (
        await Account.filter(id=int(data["account"])).using_db(step.conn).first()
        if data.get("account")
        else None
    )
    # A 恢复上线 already approved for a later day is what the offline's reminder asks for: the
    # clerk has done it, and the countdown ends when that day comes.
    resumed = account is not None and await countdowns.scheduled_effects(step.conn, [account.id])
    if step.deadline.kind == SUSPEND and resumed:
        await step.audit_step("filing.reminder_skipped", {"step": step.name})
        return
    subject = account.label if account is not None else f"备案 #{data.get('filing')}"
    text = f"【{title}】{subject}：{shown.due_line}，{shown.remaining}。"
    await step.emit.to_person(int(data["clerk"]), Message(text=text))
    if step.name in ("due", "overdue"):
        for head in await members_with_role(int(data["unit"]), Role.PRINCIPAL, step.conn):
            await step.emit.to_person(head.id, Message(text=f"{text}请督促经办人办理。"))
    await step.audit_step(
        "filing.reminded", {"step": step.name, "repeat": step.repeat, "text": text}
    )
