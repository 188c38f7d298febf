"""Issuing rectification (整改) notices: through the 整改 form as a supervisor would, or through
the seam every source of notices uses."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.flows.rectification.start import NoticeRequest, issue_notice
from storage import audit
from storage.models.org import Account
from storage.models.rectification import RectCategory, Severity
from tests.support.chat import ChatHarness, Said, button_starting, card_of


async def issue(
    h: ChatHarness,
    *,
    account: str = "临江文旅（微信）",
    category: str = "内容差错",
    severity: str = "严重",
    problem: str = "11月23日推文标题把“临江”错写成“林江”",
    evidence: str = "https://mp.weixin.qq.com/s/abc",
    person: str = "zhangzr",
    received: str = "无",  # asked for 网民纠错 only
) -> list[Said]:
    """Fill the 整改 form as a supervisor would; returns the bot's last replies."""
    said = await h.say(person, "整改")
    question = card_of(said, "整改通知")
    tapped = await h.tap(person, question, button_starting(question, account))
    question = card_of(tapped.replies, "整改通知")
    tapped = await h.tap(person, question, category)
    question = card_of(tapped.replies, "整改通知")
    tapped = await h.tap(person, question, severity)
    if category == "网民纠错":
        await h.say(person, received)
    await h.say(person, problem)
    await h.say(person, evidence)
    said = await h.say(person, "无")  # no screenshots
    summary = card_of(said, "整改通知")
    tapped = await h.tap(person, summary, "下发")
    return tapped.replies


async def notice(h: ChatHarness, account_key: str, when: datetime, overdue: bool) -> int:
    """A notice through the seam every source uses, issued at ``when``; with ``overdue`` the
    clock then travels past its due time. Returns the notice's id."""
    h.clock.set(when)
    account = await Account.get(key=account_key)
    async with in_transaction() as conn:
        emit = Emitter(h.services, conn, key_prefix=f"test:{when.isoformat()}", now=when)
        rect = await issue_notice(
            h.services,
            conn,
            emit,
            now=when,
            request=NoticeRequest(
                owner_unit_id=account.owner_unit_id,
                account_id=account.id,
                problem="栏目长期未更新",
                evidence="",
                category=RectCategory.NOT_UPDATED,
                severity=Severity.ORDINARY,
            ),
            actor=audit.Actor.system("测试"),
        )
    if overdue:
        await h.advance(to=rect.due_at + timedelta(minutes=1))
    else:
        await h.drain()
    return rect.id


# Who gets a notice for the demo district's 文旅委 and 教委: the unit's people 1:1 and its duty
# group; and the supervisor staff of 区政府办, who hear of acknowledgements and overdue notices.
# Tests about something else (limits, numbering, consequences) say they ignore these.
WLW_UNIT = ("likz", "laozhou", "xiaowang", "group:ljq-wlw-duty")
JW_UNIT = ("huangkz", "xiaoxu", "group:ljq-jw-duty")
SUPERVISORS = ("zhangzr", "zhoufzr", "hegly")
