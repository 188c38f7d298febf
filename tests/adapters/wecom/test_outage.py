"""A WeCom outage through the real outbox and the fake WeCom server going away: an hour of
network failure loses nothing (doubling, jittered backoff), a day and more gives the message up
and an admin is told in chat, and `dutybot outbox list/retry` let an operator send it again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import outbox, ratelimit
from bot.adapters.wecom.channel import MEMBER_BUDGET
from bot.clock import ManualClock
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import OutboxMessage
from tests.adapters.wecom.test_channel import emit, person_id
from tests.conftest import load_org_text
from tests.fakes.wecom_server import FakeWeCom
from tests.org.helpers import dutybot
from tests.support.orgs import WECOM_ORG

# The WeCom district plus an admin who has WeCom and (like everyone) the console.
ORG_WITH_ADMIN = WECOM_ORG.replace(
    "  - {key: wangwu,",
    "  - {key: guanli, name: 管理员, unit: qx, roles: [admin], wecom: GuanLi}\n  - {key: wangwu,",
)


async def _send_to_zhangsan(services: Services, text: str) -> int:
    zhang = await person_id("zhangsan")

    async def work(e: Emitter) -> None:
        await e.to_person(zhang, Message(text=text), Platform.WECOM)

    (row_id,) = await emit(services, work)
    return row_id


async def _retry_until(
    services: Services, clock: ManualClock, row_id: int, hours: float
) -> list[float]:
    """Let the worker retry the row as it comes due for ``hours``; the waits between attempts."""
    end = clock.now() + timedelta(hours=hours)
    waits: list[float] = []
    while True:
        row = await OutboxMessage.get(id=row_id)
        if row.status != OutboxStatus.PENDING or row.next_attempt_at > end:
            return waits
        wait = (row.next_attempt_at - clock.now()).total_seconds()
        if wait > 0:
            clock.advance(timedelta(seconds=wait))
            waits.append(wait)
        # The per-member send budget counts real seconds, and this loop compresses a day of
        # retries into a few: forget it, as the minutes between real attempts would.
        for key in await services.redis.keys(
            ratelimit.budget_key(MEMBER_BUDGET, "*", 0)[:-2] + "*"
        ):
            await services.redis.delete(key)
        await outbox.drain(services)


async def test_an_hour_of_network_failure_loses_nothing_and_backs_off(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    row_id = await _send_to_zhangsan(wecom, "请于今日下班前报送值班表")
    port = fake_wecom.port
    await fake_wecom.stop()  # WeCom unreachable: connection refused
    await outbox.drain(wecom)
    waits = await _retry_until(wecom, clock, row_id, hours=1)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.PENDING, row.last_error  # an hour lost nothing
    assert 5 <= row.attempts <= 20  # backing off, not hammering a dead platform every 15 s
    assert max(waits) >= 300  # the backoff grew to minutes
    assert waits[-1] <= outbox.MAX_BACKOFF_SECONDS
    assert row.failing_since is not None

    await fake_wecom.start(port)  # WeCom is back
    clock.advance(timedelta(seconds=outbox.MAX_BACKOFF_SECONDS))
    await outbox.drain(wecom)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.SENT
    assert row.failing_since is None
    texts = [m["text"]["content"] for m in fake_wecom.sent(touser="ZhangSan")]
    assert texts == ["请于今日下班前报送值班表"]  # once


async def test_once_one_message_gets_through_the_others_waiting_go_out_at_once(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    """Found trying a ten-minute outage by hand: after WeCom came back, the backlog trickled
    out over the next five minutes, each row waiting out its own ten-minute backoff."""
    rows = {}
    for key in ("zhangsan", "lisi"):
        pid = await person_id(key)

        async def work(e: Emitter, pid: int = pid, key: str = key) -> None:
            await e.to_person(pid, Message(text=f"{key}：请于今日下班前报送值班表"), Platform.WECOM)

        (rows[key],) = await emit(wecom, work)
    port = fake_wecom.port
    await fake_wecom.stop()
    for _ in range(12):  # half an hour of failure: every row's backoff grows to minutes
        await outbox.drain(wecom)
        clock.advance(timedelta(minutes=2.5))
    waiting = await OutboxMessage.filter(id__in=list(rows.values())).order_by("next_attempt_at")
    assert all(r.status == OutboxStatus.PENDING and r.failing_since for r in waiting)
    assert (waiting[-1].next_attempt_at - waiting[0].next_attempt_at).total_seconds() > 0

    await fake_wecom.start(port)
    clock.advance(waiting[0].next_attempt_at - clock.now())  # the first retry comes due
    assert await outbox.drain(wecom) == 1
    await outbox.drain(wecom)  # the sweeper's next round, a few seconds later
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2
    for key, userid in (("zhangsan", "ZhangSan"), ("lisi", "LiSi")):
        got = [m["text"]["content"] for m in fake_wecom.sent(touser=userid)]
        assert got == [f"{key}：请于今日下班前报送值班表"]


async def test_jitter_spreads_retries_of_rows_that_failed_together() -> None:
    waits = {round(outbox.backoff_seconds(6), 3) for _ in range(50)}
    assert len(waits) > 10
    assert all(32 <= w <= 64 for w in waits)
    assert outbox.retry_delay(2, 300.0) == 300.0  # a platform's hint is a floor
    assert 300 <= outbox.retry_delay(20, 15.0) <= outbox.MAX_BACKOFF_SECONDS


async def test_a_day_of_failure_gives_up_tells_the_admin_and_retry_sends_it(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock, test_home: Path, db: str
) -> None:
    await load_org_text(ORG_WITH_ADMIN, clock.now())
    row_id = await _send_to_zhangsan(wecom, "整改通知：请于三日内完成整改")
    port = fake_wecom.port
    await fake_wecom.stop()
    await outbox.drain(wecom)
    await _retry_until(wecom, clock, row_id, hours=23.5)
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.PENDING
    await _retry_until(wecom, clock, row_id, hours=2)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.FAILED
    assert row.given_up_at is not None
    assert row.failing_since is not None
    assert row.given_up_at - row.failing_since >= outbox.RETRY_BUDGET

    # The admin is told: one notice, naming the message, the person and why. The admin has
    # only WeCom (the console never takes a configured platform's deliveries), so the notice
    # waits for WeCom like everything else — and is itself never the subject of a notice.
    await outbox.drain(wecom)
    notices = await OutboxMessage.filter(idempotency_key__startswith=outbox.NOTICE_KEY_PREFIX)
    assert len(notices) == 1
    assert notices[0].target_id == await person_id("guanli")
    text = notices[0].payload["message"]["text"]
    assert "消息未送达" in text
    assert f"#{row_id}" in text
    assert "张三" in text
    # The sweeper runs every few seconds: it does not tell the same thing twice.
    clock.advance(timedelta(hours=1))
    await outbox.drain(wecom)
    assert await OutboxMessage.filter(idempotency_key__startswith="outbox-given-up").count() == 1

    listed = await dutybot(db, test_home, "outbox", "list", "--failed")
    assert listed.returncode == 0, listed.stderr
    assert f"#{row_id} [已放弃] 发给 张三（企业微信）" in listed.stdout
    assert "整改通知" in listed.stdout

    await fake_wecom.start(port)
    bad = await dutybot(db, test_home, "outbox", "retry", "999999")
    assert bad.returncode != 0
    assert "没有这条消息" in bad.stdout
    retried = await dutybot(db, test_home, "outbox", "retry", str(row_id))
    assert retried.returncode == 0, retried.stderr
    assert "放回发送队列" in retried.stdout
    clock.advance(timedelta(seconds=outbox.MAX_BACKOFF_SECONDS))
    await outbox.drain(wecom)
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.SENT
    texts = [m["text"]["content"] for m in fake_wecom.sent(touser="ZhangSan")]
    assert texts == ["整改通知：请于三日内完成整改"]
    told = [m["text"]["content"] for m in fake_wecom.sent(touser="GuanLi")]
    assert len(told) == 1
    assert "消息未送达" in told[0]


async def test_ten_minutes_of_5xx_and_429_then_expired_tokens_deliver_everything_once_in_order(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    people = {"zhangsan": "ZhangSan", "lisi": "LiSi"}
    texts = {key: [f"{key} 第{i}条" for i in range(1, 6)] for key in people}
    for key, lines in texts.items():
        pid = await person_id(key)

        async def work(e: Emitter, pid: int = pid, lines: list[str] = lines) -> None:
            for line in lines:
                await e.to_person(pid, Message(text=line), Platform.WECOM)

        await emit(wecom, work)

    async def run_for(minutes: float) -> None:
        end = clock.now() + timedelta(minutes=minutes)
        while clock.now() < end:
            for key in await wecom.redis.keys(
                ratelimit.budget_key(MEMBER_BUDGET, "*", 0)[:-2] + "*"
            ):
                await wecom.redis.delete(key)  # real-second budgets; see _retry_until
            await outbox.drain(wecom)
            due = await OutboxMessage.filter(status=OutboxStatus.PENDING).order_by(
                "next_attempt_at"
            )
            if not due:
                return
            step = min(max(1.0, (due[0].next_attempt_at - clock.now()).total_seconds()), 60.0)
            clock.advance(timedelta(seconds=step))

    fake_wecom.fail("message/send", status=502, times=10**6)
    await run_for(5)
    fake_wecom.faults.clear()
    fake_wecom.fail("message/send", status=429, retry_after="30", times=10**6)
    await run_for(5)
    assert fake_wecom.sent() == []  # ten minutes: nothing got through
    assert not await OutboxMessage.filter(status=OutboxStatus.FAILED).exists()

    fake_wecom.faults.clear()
    # A call that never answers in time (the client gives up after its 10 s timeout).
    fake_wecom.stall_seconds, fake_wecom.stall_times = 12.0, 1
    await run_for(1)
    assert fake_wecom.stall_times == 0  # it happened
    # Back, but the access token expires in the middle of the backlog (42001 twice).
    fake_wecom.fail("message/send", errcode=42001, times=2)
    await run_for(30)
    for key, userid in people.items():
        got = [m["text"]["content"] for m in fake_wecom.sent(touser=userid)]
        assert got == texts[key]  # every message, once, in order
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 10
