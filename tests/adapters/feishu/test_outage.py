"""Feishu answering 5xx for an hour through the real outbox and the fake Feishu: the message
waits with a growing backoff (not a fixed 15 s), nothing is given up, and it arrives once."""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from bot import outbox, ratelimit
from bot.clock import ManualClock
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import OutboxMessage
from storage.models.org import Person
from tests.fakes.feishu_server import FakeFeishu


async def test_an_hour_of_feishu_5xx_loses_nothing_and_backs_off(
    feishu: Services, fake_feishu: FakeFeishu, clock: ManualClock
) -> None:
    person = await Person.get(key="xiaowang")
    async with in_transaction() as conn:
        emitter = Emitter(feishu, conn, key_prefix="feishu-outage", now=clock.now())
        await emitter.to_person(person.id, Message(text="飞书中断期间的通知"), Platform.FEISHU)
    (row_id,) = emitter.outbox_ids
    fake_feishu.fail_next("POST", "/open-apis/im/v1/messages", status=502, code=0, times=10**6)

    async def forget_send_budget() -> None:
        # The per-person send budget counts real seconds, and this test compresses an hour of
        # retries into a few: forget it, as the minutes between real attempts would.
        for key in await feishu.redis.keys(ratelimit.budget_key("feishu", "*", 0)[:-2] + "*"):
            await feishu.redis.delete(key)

    end = clock.now() + timedelta(hours=1)
    waits: list[float] = []
    await outbox.drain(feishu)
    while True:
        row = await OutboxMessage.get(id=row_id)
        if row.status != OutboxStatus.PENDING or row.next_attempt_at > end:
            break
        wait = max(0.0, (row.next_attempt_at - clock.now()).total_seconds())
        clock.advance(timedelta(seconds=wait))
        waits.append(wait)
        await forget_send_budget()
        await outbox.drain(feishu)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.PENDING, row.last_error
    assert 5 <= row.attempts <= 20
    assert max(waits) >= 300

    fake_feishu.failures.clear()
    clock.advance(timedelta(seconds=outbox.MAX_BACKOFF_SECONDS))
    await forget_send_budget()
    await outbox.drain(feishu)
    final = await OutboxMessage.get(id=row_id)
    assert final.status == OutboxStatus.SENT, final.last_error
    sent = [m for m in fake_feishu.sent(receive_id="ou_xiaowang") if "飞书中断期间" in m.content]
    assert len(sent) == 1
