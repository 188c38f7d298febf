"""Notice numbers run per year (ZG2026-0001), stay put, and never repeat, even issued at once."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.flows.rectification.model import number
from bot.flows.rectification.start import NoticeRequest, issue_notice
from storage import audit
from storage.models.org import Account
from storage.models.rectification import RectCategory, Rectification, Severity
from tests.support.chat import ChatHarness
from tests.support.dates import at
from tests.support.rectification import WLW_UNIT, issue


async def issue_at(h: ChatHarness, when: datetime, tag: str) -> Rectification:
    account = await Account.get(key="ljq-wlw-wechat")
    async with in_transaction() as conn:
        emit = Emitter(h.services, conn, key_prefix=f"test:{tag}", now=when)
        return await issue_notice(
            h.services,
            conn,
            emit,
            now=when,
            request=NoticeRequest(
                owner_unit_id=account.owner_unit_id,
                account_id=account.id,
                problem=f"问题{tag}",
                evidence="",
                category=RectCategory.CONTENT_ERROR,
                severity=Severity.ORDINARY,
            ),
            actor=audit.Actor.system("测试"),
        )


async def test_numbers_are_per_year_and_unique_when_issued_at_once(
    kunming: ChatHarness,
) -> None:
    h = kunming
    when = at(2026, 11, 23, 10)
    issued = await asyncio.gather(*(issue_at(h, when, f"a{n}") for n in range(4)))
    assert sorted(number(r) for r in issued) == [
        "ZG2026-0001",
        "ZG2026-0002",
        "ZG2026-0003",
        "ZG2026-0004",
    ]
    # New Year's Day in Shanghai (still 31 December in UTC) starts 2027 at 0001.
    h.clock.set(at(2027, 1, 1, 0, 30))
    first_of_2027 = await issue_at(h, at(2027, 1, 1, 0, 30), "b")
    assert number(first_of_2027) == "ZG2027-0001"
    # The number is stored: it does not change as other notices come and go.
    again = await Rectification.get(id=issued[0].id)
    assert number(again) == number(issued[0])


async def test_a_person_finds_a_notice_by_its_number(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "wangzr")  # notices, overdue reports, the quarterly letter
    h = kunming
    replies = await issue(h)
    assert any("整改通知 ZG2026-0001 已下发" in m.text for m in replies)
    for typed in ("ZG2026-0001", "zg2026-1", "2026-0001"):
        said = await h.say("zhangzr", f"整改记录 {typed}")
        assert any("整改通知 ZG2026-0001" in m.text for m in said), typed
    said = await h.say("zhangzr", "整改记录 ZG2025-0001")
    assert any("没有找到整改通知" in m.text and "ZG2026-0001" in m.text for m in said)
