"""The filing countdowns (5): report to the supervisor, closure notice, go-live, offline.

Each is a deadline-engine row whose steps run ``on_step`` in the firing transaction:
reminders go to the clerk before the due time, and the unit's 主要负责人 is told after it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.context import HandlerContext
from bot.core.directory import members_with_role
from bot.core.outgoing import Message
from bot.deadlines import lifecycle, present
from bot.deadlines.builtin import NOTIFY, notify_data
from bot.deadlines.registry import StepContext, step_handler
from bot.flows.filing.common import REPORT_RULE, policy_of, start_of_day
from storage.enums import AccountStatus, Role
from storage.models.deadlines import Deadline
from storage.models.filing import AccountHistory, Filing, FilingKind
from storage.models.org import Account

HANDLER = "filing"
REPORT = "filing.report"
NOTICE_CLOSE = "filing.notice_close"
GOLIVE = "filing.golive"
SUSPEND = "filing.suspend"
NOTICE_OPEN = "filing.notice_open"

PURPOSE_TITLES = {
    REPORT: "备案报送主管单位",
    NOTICE_CLOSE: "关停公告期",
    GOLIVE: "上线时限",
    SUSPEND: "临时下线恢复上线",
}


async def start_report(ctx: HandlerContext, filing: Filing) -> None:
    """The filing must reach the supervisor within the preset's time of the effective date."""
    assert filing.effective_on is not None
    policy = policy_of(ctx.services)
    await lifecycle.start(
        ctx.services,
        ctx.conn,
        kind=REPORT,
        subject_type="filing",
        subject_id=filing.id,
        handler=HANDLER,
        now=ctx.now,
        rule=REPORT_RULE[FilingKind(filing.kind)],
        start_at=start_of_day(filing.effective_on, ctx.services),
        schedule=policy.schedule("filing"),
        data={"filing": filing.id, "clerk": filing.clerk_id, "unit": filing.unit_id},
    )


async def _report(ctx: HandlerContext, filing: Filing) -> Deadline | None:
    found = await lifecycle.for_subject(ctx.conn, "filing", filing.id, kind=REPORT)
    return found[0] if found else None


async def report_line(ctx: HandlerContext, filing: Filing) -> str:
    deadline = await _report(ctx, filing)
    if deadline is None:
        return ""
    return f"报送主管单位时限：{deadline.explanation}（{present.remaining(deadline, ctx.now)}）"


async def restart_report(ctx: HandlerContext, filing: Filing, *, moved: bool) -> None:
    """A resubmission: count from a moved effective date; after a return by the supervisor
    (the countdown had ended when the filing reached them) it has to reach them again."""
    if filing.effective_on is None or FilingKind(filing.kind) not in REPORT_RULE:
        return
    deadline = await _report(ctx, filing)
    if deadline is None:
        await start_report(ctx, filing)
    elif moved:
        start = start_of_day(filing.effective_on, ctx.services)
        await lifecycle.reschedule(ctx.services, ctx.conn, deadline.id, now=ctx.now, start_at=start)


async def reached_supervisor(ctx: HandlerContext, filing: Filing) -> None:
    deadline = await _report(ctx, filing)
    if deadline is not None:
        await lifecycle.complete(
            ctx.services, ctx.conn, deadline.id, now=ctx.now, reason="已报送主管单位"
        )


async def close_report(ctx: HandlerContext, filing: Filing, reason: str) -> None:
    deadline = await _report(ctx, filing)
    if deadline is not None:
        await lifecycle.cancel(ctx.services, ctx.conn, deadline.id, now=ctx.now, reason=reason)


async def after_approval(ctx: HandlerContext, filing: Filing, account: Account | None) -> None:
    if account is None:
        return
    kind = FilingKind(filing.kind)
    policy = policy_of(ctx.services)
    data = {
        "filing": filing.id,
        "clerk": filing.clerk_id,
        "unit": filing.unit_id,
        "account": account.id,
    }
    start: dict[str, Any]
    if kind == FilingKind.OPEN:
        start = {
            "kind": GOLIVE,
            "rule": "golive.after_approval",
            "start_at": ctx.now,
            "schedule": policy.schedule("filing"),
        }
    elif kind == FilingKind.CLOSE:
        effective = filing.effective_on or ctx.now.astimezone(ctx.services.tz).date()
        start = {
            "kind": NOTICE_CLOSE,
            "rule": "notice.close",
            "start_at": start_of_day(max(effective, _today(ctx)), ctx.services),
            "schedule": policy.schedule("notice"),
        }
    elif kind == FilingKind.SUSPEND:
        begin = date.fromisoformat(str(filing.answers["start"]))
        start = {
            "kind": SUSPEND,
            "rule": "suspend.max_duration",
            "start_at": start_of_day(begin, ctx.services),
            "schedule": policy.schedule("filing"),
        }
    else:
        if kind == FilingKind.RESUME:
            for open_one in await lifecycle.for_subject(
                ctx.conn, "account", account.id, kind=SUSPEND
            ):
                await lifecycle.complete(
                    ctx.services, ctx.conn, open_one.id, now=ctx.now, reason="已恢复上线"
                )
        return
    await lifecycle.start(
        ctx.services,
        ctx.conn,
        subject_type="account",
        subject_id=account.id,
        handler=HANDLER,
        now=ctx.now,
        data=data,
        **start,
    )


def _today(ctx: HandlerContext) -> date:
    return ctx.now.astimezone(ctx.services.tz).date()


async def after_approval_line(ctx: HandlerContext, filing: Filing, account: Account | None) -> str:
    if account is None:
        return ""
    lines = []
    for deadline in await lifecycle.for_subject(ctx.conn, "account", account.id):
        title = PURPOSE_TITLES.get(deadline.kind, "")
        if title:
            lines.append(f"{title}：{deadline.explanation}")
    return "\n".join(lines)


async def went_live(ctx: HandlerContext, account: Account) -> None:
    """The clerk says the new account is online: stop the go-live countdown, start the
    opening-notice period."""
    for deadline in await lifecycle.for_subject(ctx.conn, "account", account.id, kind=GOLIVE):
        await lifecycle.complete(ctx.services, ctx.conn, deadline.id, now=ctx.now, reason="已上线")
    await lifecycle.start(
        ctx.services,
        ctx.conn,
        kind=NOTICE_OPEN,
        subject_type="account",
        subject_id=account.id,
        handler=NOTIFY,
        now=ctx.now,
        rule="notice.open",
        schedule=policy_of(ctx.services).schedule("notice"),
        data=notify_data(
            f"「{account.name}」开通公告",
            persons=[ctx.actor.id],
            texts={"due": "{title}期已满：{explanation}。现在可以撤下开通公告。"},
        ),
    )


# ---- the step handler -------------------------------------------------------------------


@step_handler(HANDLER)
async def on_step(ctx: StepContext) -> None:
    data = ctx.data
    shown = ctx.text()
    title = PURPOSE_TITLES.get(ctx.deadline.kind, "备案")
    clerk = int(data["clerk"])
    account = (
        await Account.filter(id=int(data["account"])).using_db(ctx.conn).first()
        if data.get("account")
        else None
    )
    subject = f"「{account.name}」" if account is not None else f"备案 #{data.get('filing')}"
    if ctx.deadline.kind == NOTICE_CLOSE:
        await _notice_over(ctx, account, clerk)
        return
    text = f"【{title}】{subject}：{shown.due_line}，{shown.remaining}。"
    await ctx.emit.to_person(clerk, Message(text=text))
    if ctx.name in ("due", "overdue"):
        for head in await members_with_role(int(data["unit"]), Role.PRINCIPAL, ctx.conn):
            await ctx.emit.to_person(head.id, Message(text=f"{text}请督促经办人办理。"))
    await ctx.audit_step("filing.reminded", {"step": ctx.name, "repeat": ctx.repeat, "text": text})


async def _notice_over(ctx: StepContext, account: Account | None, clerk: int) -> None:
    """The closure notice has run: the account is closed and may now be cancelled."""
    if account is not None and account.status == AccountStatus.CLOSING:
        account.status = AccountStatus.CLOSED
        await account.save(using_db=ctx.conn, update_fields=["status", "updated_at"])
        await AccountHistory.create(
            using_db=ctx.conn,
            account_id=account.id,
            filing_id=ctx.data.get("filing"),
            status_before=AccountStatus.CLOSING.value,
            status_after=AccountStatus.CLOSED.value,
            changes={},
            note="关停公告期届满",
            at=ctx.now,
        )
    name = account.name if account is not None else ""
    await ctx.emit.to_person(
        clerk,
        Message(
            text=f"「{name}」关停公告期已届满（{ctx.deadline.explanation}），台账已更新为“已关停”。"
            "现在可以发送“备案 注销”办理注销备案。"
        ),
    )
    await ctx.audit_step("filing.notice_over", {"account": account.id if account else None})
    await lifecycle.complete(
        ctx.services, ctx.conn, ctx.deadline.id, now=ctx.now, reason="公告期届满"
    )
