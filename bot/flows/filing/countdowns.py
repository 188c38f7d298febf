"""The filing's countdowns (5): starting, moving and ending them as the filing moves.

Report to the supervisor (from the effective date), the closure notice, go-live, the temporary
offline and the opening notice are deadline-engine rows; the transitions call these in their
transaction, ``steps.on_step`` runs their steps. They are apart from ``steps`` because the step
handler calls the transitions, which call these: one module would be an import circle.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.work import Work
from bot.deadlines import lifecycle, present
from bot.deadlines.builtin import NOTIFY, notify_data
from bot.flows.filing.model import (
    GOLIVE,
    NOTICE_CLOSE,
    NOTICE_OPEN,
    PURPOSE_TITLES,
    REPORT,
    REPORT_RULE,
    STEP_HANDLER,
    SUBJECT,
    SUSPEND,
    TAKES_EFFECT,
    day_text,
    start_of_day,
    what_takes_effect,
)
from storage.models.deadlines import Deadline
from storage.models.filing import Filing, FilingKind
from storage.models.org import Account

ACCOUNT = "account"


async def start_report(w: Work, filing: Filing) -> None:
    """The filing must reach the supervisor within the preset's time of the effective date."""
    assert filing.effective_on is not None
    await lifecycle.start(
        w.services,
        w.conn,
        kind=REPORT,
        subject_type=SUBJECT,
        subject_id=filing.id,
        handler=STEP_HANDLER,
        now=w.now,
        rule=REPORT_RULE[FilingKind(filing.kind)],
        start_at=start_of_day(filing.effective_on, w.tz),
        schedule=w.policy.schedule("filing"),
        data={"filing": filing.id, "clerk": filing.clerk_id, "unit": filing.unit_id},
    )


async def _report(w: Work, filing: Filing) -> Deadline | None:
    found = await lifecycle.for_subject(w.conn, SUBJECT, filing.id, kind=REPORT)
    return found[0] if found else None


async def report_line(w: Work, filing: Filing) -> str:
    """报送主管单位时限：… with what is left, or "" without a report countdown."""
    deadline = await _report(w, filing)
    if deadline is None:
        return ""
    return f"报送主管单位时限：{deadline.explanation}（{present.remaining(deadline, w.now)}）"


async def restart_report(w: Work, filing: Filing, *, moved: bool) -> None:
    """A resubmission: count from a moved effective date; after a return by the supervisor
    (the countdown had ended when the filing reached them) it has to reach them again."""
    if filing.effective_on is None or FilingKind(filing.kind) not in REPORT_RULE:
        return
    deadline = await _report(w, filing)
    if deadline is None:
        await start_report(w, filing)
    elif moved:
        start = start_of_day(filing.effective_on, w.tz)
        await lifecycle.reschedule(w.services, w.conn, deadline.id, now=w.now, start_at=start)


async def reached_supervisor(w: Work, filing: Filing) -> None:
    deadline = await _report(w, filing)
    if deadline is not None:
        await lifecycle.complete(
            w.services, w.conn, deadline.id, now=w.now, reason="已报送主管单位"
        )


async def close_report(w: Work, filing: Filing, reason: str) -> None:
    deadline = await _report(w, filing)
    if deadline is not None:
        await lifecycle.cancel(w.services, w.conn, deadline.id, now=w.now, reason=reason)


async def after_approval(w: Work, filing: Filing, account: Account | None) -> None:
    """What an approval starts on the account: go-live (开设), the closure notice (关停), the
    temporary offline (临时下线); a 恢复上线 ends the offline."""
    if account is None:
        return
    kind = FilingKind(filing.kind)
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
            "start_at": w.now,
            "schedule": w.policy.schedule("filing"),
        }
    elif kind == FilingKind.CLOSE:
        today = w.now.astimezone(w.tz).date()
        effective = filing.effective_on or today
        start = {
            "kind": NOTICE_CLOSE,
            "rule": "notice.close",
            "start_at": start_of_day(max(effective, today), w.tz),
            "schedule": w.policy.schedule("notice"),
        }
    elif kind == FilingKind.SUSPEND:
        begin = date.fromisoformat(str(filing.answers["start"]))
        start = {
            "kind": SUSPEND,
            "rule": "suspend.max_duration",
            "start_at": start_of_day(begin, w.tz),
            "schedule": w.policy.schedule("filing"),
        }
    else:
        if kind == FilingKind.RESUME and not await scheduled_effects(w.conn, [account.id]):
            await back_online(w, account)
        return
    await lifecycle.start(
        w.services,
        w.conn,
        subject_type=ACCOUNT,
        subject_id=account.id,
        handler=STEP_HANDLER,
        now=w.now,
        data=data,
        **start,
    )


async def back_online(w: Work, account: Account) -> None:
    """The account is back online: the temporary offline's countdown has done its work. Not on
    the approval of a 恢复上线 dated later: until that day the account is still offline."""
    for open_one in await lifecycle.for_subject(w.conn, ACCOUNT, account.id, kind=SUSPEND):
        await lifecycle.complete(w.services, w.conn, open_one.id, now=w.now, reason="已恢复上线")


async def schedule_effect(w: Work, filing: Filing, account: Account) -> Deadline:
    """An approved filing dated later changes the registry at 00:00 of its date: a deadline-engine
    row, so it survives restarts and fires once whichever worker sees it first."""
    assert filing.effective_on is not None
    return await lifecycle.start(
        w.services,
        w.conn,
        kind=TAKES_EFFECT,
        subject_type=ACCOUNT,
        subject_id=account.id,
        handler=STEP_HANDLER,
        now=w.now,
        due_at=start_of_day(filing.effective_on, w.tz),
        data={
            "filing": filing.id,
            "clerk": filing.clerk_id,
            "unit": filing.unit_id,
            "account": account.id,
        },
    )


async def scheduled_effects(conn: BaseDBAsyncClient, account_ids: list[int]) -> list[Deadline]:
    """Approved filings of these accounts still waiting for their date, soonest first."""
    if not account_ids:
        return []
    return (
        await Deadline.filter(
            subject_type=ACCOUNT,
            subject_id__in=[str(i) for i in account_ids],
            kind=TAKES_EFFECT,
            status__in=lifecycle.OPEN_STATES,
        )
        .using_db(conn)
        .order_by("due_at", "id")
    )


async def scheduled_text(conn: BaseDBAsyncClient, effect: Deadline, today: date) -> str:
    """将于12月5日起临时下线（临时下线备案 #3）: what the registry shows of a scheduled change."""
    filing = await Filing.filter(id=int(effect.data["filing"])).using_db(conn).first()
    if filing is None or filing.effective_on is None:
        return ""
    day = day_text(filing.effective_on, today)
    kind = FilingKind(filing.kind).label
    return f"将于{day}起{what_takes_effect(filing)}（{kind}备案 #{filing.id}）"


async def after_approval_line(w: Work, account: Account | None) -> str:
    """The account's countdowns with their explanation, for the approval's result card."""
    if account is None:
        return ""
    lines = []
    for deadline in await lifecycle.for_subject(w.conn, ACCOUNT, account.id):
        title = PURPOSE_TITLES.get(deadline.kind, "")
        if title:
            lines.append(f"{title}：{deadline.explanation}")
    return "\n".join(lines)


async def went_live(w: Work, account: Account, clerk_id: int) -> None:
    """The new account is online: stop the go-live countdown, start the opening-notice period
    (the engine's plain notifier tells the clerk when it is over)."""
    for deadline in await lifecycle.for_subject(w.conn, ACCOUNT, account.id, kind=GOLIVE):
        await lifecycle.complete(w.services, w.conn, deadline.id, now=w.now, reason="已上线")
    await lifecycle.start(
        w.services,
        w.conn,
        kind=NOTICE_OPEN,
        subject_type=ACCOUNT,
        subject_id=account.id,
        handler=NOTIFY,
        now=w.now,
        rule="notice.open",
        schedule=w.policy.schedule("notice"),
        data=notify_data(
            f"{account.label}开通公告",
            persons=[clerk_id],
            texts={"due": "{title}期已满：{explanation}。现在可以撤下开通公告。"},
        ),
    )


async def closure_notices(conn: BaseDBAsyncClient, account_id: int) -> list[Deadline]:
    """The account's closure notice countdowns still running (注销 waits for them)."""
    return await lifecycle.for_subject(conn, ACCOUNT, account_id, kind=NOTICE_CLOSE)


async def end(w: Work, deadline: Deadline, reason: str) -> None:
    """A countdown whose purpose is fulfilled (its last step has done what it was for)."""
    await lifecycle.complete(w.services, w.conn, deadline.id, now=w.now, reason=reason)
