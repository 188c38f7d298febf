"""The quarterly review on a schedule: the worker's cron reviews the quarter that just ended,
exactly once (two workers, a retried job, a supervisor's 整改季度), and tells the supervisors."""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.flows.rectification import quarterly
from bot.flows.rectification.consequences import Quarter
from bot.worker import CRON_JOBS, review_quarter
from storage.models.machinery import AuditEntry, OutboxMessage
from storage.models.org import Person
from storage.models.rectification import RectFlag, RectQuarterRun
from tests.support.chat import ChatHarness
from tests.support.dates import at
from tests.support.rectification import WLW_UNIT, notice

SUPERVISORS = (
    "zhangzr",
    "zhoufzr",
    "hegly",
)  # supervisor staff of 区政府办, which supervises 文旅委
LETTER = "临江区文化和旅游发展委员会2026年第四季度整改函.docx"


def worker_ctx(h: ChatHarness) -> dict[str, Any]:
    return {"services": h.services}


async def two_repeated_notices(h: ChatHarness) -> None:
    """Repeated problems at 文旅委 in 2026Q4: it earns a kunming letter."""
    await notice(h, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    await notice(h, "ljq-wlw-weibo", at(2026, 11, 24, 10), overdue=False)
    for person in SUPERVISORS:
        await h.mark_read(person)


async def letter_messages(h: ChatHarness, person: str) -> list[list[str]]:
    resp = await h.client.get(
        "/console/api/messages", params={"as": person, "chat": f"dm:{person}", "limit": "50"}
    )
    messages = (await resp.json())["messages"]
    return [
        [f["name"] for f in m["files"]]
        for m in messages
        if "2026年第四季度整改情况复核完成" in m["text"]
    ]


async def test_the_worker_runs_the_review_when_the_quarter_turns(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "wangzr")  # the notices and the letter to the head
    h = kunming
    assert any(job.coroutine is review_quarter for job in CRON_JOBS)
    await two_repeated_notices(h)
    # The last minutes of the quarter: the cron looks, catches up on 2026Q3 (which had no
    # notice: recorded, nobody messaged) and leaves 2026Q4 alone.
    h.clock.set(at(2026, 12, 31, 23, 50))
    assert await review_quarter(worker_ctx(h)) == "2026Q3"
    await h.drain()
    assert not await RectFlag.exists()
    for person in SUPERVISORS:
        assert await h.new_messages(person) == []
    # Just after midnight on 1 January (Shanghai time) it reviews 2026Q4.
    h.clock.set(at(2027, 1, 1, 0, 2))
    assert await review_quarter(worker_ctx(h)) == "2026Q4"
    await h.drain()
    letter = await RectFlag.get(kind="letter", period="2026Q4")
    for person in SUPERVISORS:
        said = await h.new_messages(person)
        assert len(said) == 1, (person, [m.text for m in said])
        assert "印发季度整改函：临江区文化和旅游发展委员会" in said[0].text
        assert await letter_messages(h, person) == [[LETTER]]
    # The unit's principal received the letter itself.
    to_head = [
        row
        for row in await OutboxMessage.filter(target_kind="person")
        if "【季度整改函】" in str(row.payload)
    ]
    assert len(to_head) == 1
    assert str(letter.file_id) in str(to_head[0].payload)
    run = await RectQuarterRun.get(period="2026Q4")
    assert run.trigger == "cron"
    assert run.person_id is None
    # The cron keeps running all quarter (and a retried job): nothing happens again.
    h.clock.set(at(2027, 1, 1, 0, 12))
    assert await review_quarter(worker_ctx(h)) is None
    h.clock.set(at(2027, 2, 14, 9))
    assert await review_quarter(worker_ctx(h)) is None
    await h.drain()
    for person in SUPERVISORS:
        assert await h.new_messages(person) == []
    assert await RectFlag.filter(kind="letter").count() == 1
    reviewed = await AuditEntry.filter(action="rectification.quarter_reviewed").count()
    assert reviewed == 2  # 2026Q3 and 2026Q4, once each

    # 整改季度 afterwards does not review again: it reports what the cron did, with the letter.
    said = await h.say("zhangzr", "整改季度 2026Q4")
    text = "\n".join(m.text for m in said)
    assert "已于2027年01月01日 00:02按计划自动复核" in text
    assert "印发季度整改函：临江区文化和旅游发展委员会" in text
    assert await letter_messages(h, "zhangzr") == [[LETTER], [LETTER]]
    assert await RectFlag.filter(kind="letter").count() == 1
    for person in ("zhoufzr", "hegly"):
        assert await h.new_messages(person) == []


async def test_two_workers_at_once_review_the_quarter_once(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "wangzr")  # the notices and the letter to the head
    h = kunming
    await two_repeated_notices(h)
    h.clock.set(at(2027, 1, 1, 0, 2))
    done = await asyncio.gather(*(review_quarter(worker_ctx(h)) for _ in range(3)))
    assert done.count("2026Q4") == 1
    assert done.count(None) == 2
    await h.drain()
    assert await RectQuarterRun.filter(period="2026Q4").count() == 1
    assert await RectFlag.filter(kind="letter", period="2026Q4").count() == 1
    for person in SUPERVISORS:
        said = await h.new_messages(person)
        assert len(said) == 1, (person, [m.text for m in said])


async def test_the_claim_holds_without_the_early_check(kunming: ChatHarness) -> None:
    """Two transactions that both got past the cheap "already done?" look: one reviews."""
    kunming.ignore(*WLW_UNIT, "wangzr")  # the notices and the letter to the head
    h = kunming
    await two_repeated_notices(h)
    now = at(2027, 1, 1, 0, 2)
    h.clock.set(now)

    async def attempt(n: int) -> bool:
        async with in_transaction() as conn:
            emit = Emitter(h.services, conn, key_prefix=f"race:{n}", now=now)
            outcome = await quarterly.review_once(
                h.services, conn, emit, Quarter(2026, 4), now, trigger=quarterly.CRON
            )
            if outcome.ran:
                await quarterly.tell_supervisors(emit, outcome)
            return outcome.ran

    ran = await asyncio.gather(attempt(1), attempt(2))
    assert sorted(ran) == [False, True]
    await h.drain()
    assert await RectFlag.filter(kind="letter", period="2026Q4").count() == 1
    for person in SUPERVISORS:
        assert len(await letter_messages(h, person)) == 1


async def test_a_manual_review_first_means_the_cron_does_nothing(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "wangzr")  # the notices and the letter to the head
    h = kunming
    await two_repeated_notices(h)
    # Before the quarter ends the command refuses: reviewing now would skip its last weeks.
    said = await h.say("zhangzr", "整改季度 2026Q4")
    assert any("还没有结束" in m.text for m in said)
    assert not await RectQuarterRun.filter(period="2026Q4").exists()
    h.clock.set(at(2027, 1, 1, 0, 1))
    said = await h.say("zhangzr", "整改季度")  # the previous quarter by default
    text = "\n".join(m.text for m in said)
    assert "2026年第四季度整改情况复核完成" in text
    assert "印发季度整改函：临江区文化和旅游发展委员会" in text
    # The other supervisors are told as the cron would have told them, once.
    for person in ("zhoufzr", "hegly"):
        assert await letter_messages(h, person) == [[LETTER]]
    run = await RectQuarterRun.get(period="2026Q4")
    assert run.trigger == "chat"
    assert run.person_id == (await Person.get(key="zhangzr")).id  # who asked for it
    h.clock.set(at(2027, 1, 1, 0, 2))
    assert await review_quarter(worker_ctx(h)) is None
    await h.drain()
    for person in SUPERVISORS:
        assert len(await letter_messages(h, person)) == 1
    assert await RectFlag.filter(kind="letter").count() == 1
    # Another supervisor asking again hears who did it, and gets the letter.
    said = await h.say("hegly", "整改季度 2026Q4")
    text = "\n".join(m.text for m in said)
    assert "由张主任发起复核" in text
    assert "每季度只复核一次" in text
    assert await letter_messages(h, "hegly") == [[LETTER], [LETTER]]
