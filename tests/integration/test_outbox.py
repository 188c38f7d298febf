"""The outbox: ordered per target, retried with backoff, rate limits delay without loss,
a lost lease is recovered without a duplicate, and the real arq worker delivers kicked rows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from arq.worker import Retry
from tortoise.transactions import in_transaction

from bot import outbox
from bot.clock import ManualClock
from bot.constants import outbox_lock_key
from bot.core.channels import Delivered, DeliveryError, RateLimited
from bot.core.emit import Emitter
from bot.core.outgoing import Message, OutboxPayload
from bot.core.services import Services
from bot.outbox import Target
from bot.worker import build_worker, deliver_outbox_targets
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import ConsoleMessage, OutboxMessage
from storage.models.org import Person


async def _emit(services: Services, person_key: str, *texts: str) -> list[int]:
    person = await Person.get(key=person_key)
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix=f"t:{texts[0]}", now=services.clock.now())
        for text in texts:
            await emitter.to_person(person.id, Message(text=text))
    return emitter.outbox_ids


async def _transcript(person_key: str) -> list[str]:
    rows = await ConsoleMessage.filter(chat=f"dm:{person_key}").order_by("id")
    return [r.text for r in rows]


async def test_rows_for_one_person_arrive_in_order(services: Services, demo_org: None) -> None:
    await _emit(services, "xiaowang", "一", "二", "三", "四")
    assert await outbox.drain(services) == 4
    assert await _transcript("xiaowang") == ["一", "二", "三", "四"]
    statuses = {r.status for r in await OutboxMessage.all()}
    assert statuses == {OutboxStatus.SENT}


@dataclass
class FlakyChannel:
    """A stand-in transport whose failures the test scripts (the outbox logic is under test)."""

    platform: Platform = Platform.CONSOLE
    script: list[Exception | None] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)

    async def deliver(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        assert payload.message is not None
        self.delivered.append(payload.message.text)
        return Delivered(external_id=f"x{row.id}")


async def test_transient_failure_is_retried_with_backoff_and_order_kept(
    services: Services, demo_org: None, clock: ManualClock
) -> None:
    flaky = FlakyChannel(script=[DeliveryError("502 from platform", retry_after=5)])
    services.channels[Platform.CONSOLE] = flaky
    await _emit(services, "xiaowang", "先", "后")
    assert await outbox.drain(services) == 0
    first, second = await OutboxMessage.all().order_by("id")
    assert first.status == OutboxStatus.PENDING
    assert first.attempts == 1
    assert "502" in first.last_error
    assert second.status == OutboxStatus.PENDING
    assert second.attempts == 0  # waits behind the first, never overtakes it
    clock.advance(timedelta(seconds=4))
    assert await outbox.drain(services) == 0  # not yet due
    clock.advance(timedelta(seconds=2))
    assert await outbox.drain(services) == 2
    assert flaky.delivered == ["先", "后"]


async def test_rate_limit_waits_without_using_the_retry_budget(
    services: Services, demo_org: None, clock: ManualClock
) -> None:
    flaky = FlakyChannel(script=[RateLimited("45009", retry_after=60)] * 20)
    services.channels[Platform.CONSOLE] = flaky
    await _emit(services, "xiaowang", "限流中的消息")
    for _ in range(20):
        await outbox.drain(services)
        clock.advance(timedelta(seconds=61))
    row = await OutboxMessage.get()
    assert row.status == OutboxStatus.PENDING  # 20 rate-limit waits: still not given up
    assert row.attempts == 0
    flaky.script.clear()
    assert await outbox.drain(services) == 1
    assert flaky.delivered == ["限流中的消息"]


async def test_permanent_failure_and_exhausted_retries_mark_failed(
    services: Services, demo_org: None, clock: ManualClock
) -> None:
    flaky = FlakyChannel(script=[DeliveryError("用户不存在", retry_after=None)])
    services.channels[Platform.CONSOLE] = flaky
    (row_id,) = await _emit(services, "xiaowang", "发不出去")
    await outbox.drain(services)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "用户不存在"
    # Never silently: the admin (何管理员) is told which message and why.
    await outbox.drain(services)
    assert "发不出去" in flaky.delivered[0]
    assert "用户不存在" in flaky.delivered[0]
    assert "消息未送达" in flaky.delivered[0]

    # A transient error is retried (backoff up to 10 min) until the budget from its first
    # failure is spent, and only then given up.
    flaky.script = [DeliveryError("超时", retry_after=1)] * 1000
    await _emit(services, "laozhou", "一直超时")
    laozhou = (await Person.get(key="laozhou")).id
    started = clock.now()
    while clock.now() - started < outbox.RETRY_BUDGET + timedelta(hours=1):
        await outbox.drain(services)
        row = await OutboxMessage.filter(target_id=laozhou).get()
        if row.status == OutboxStatus.FAILED:
            break
        clock.advance(row.next_attempt_at - clock.now())
    assert row.status == OutboxStatus.FAILED
    assert row.given_up_at is not None
    assert row.given_up_at - started >= outbox.RETRY_BUDGET
    assert 100 < row.attempts < 400


async def test_expired_lease_is_redelivered_once(
    services: Services, demo_org: None, clock: ManualClock
) -> None:
    """A worker died after claiming (and maybe sending): the row goes again, the console
    transcript still shows it once."""
    [row_id] = await _emit(services, "xiaowang", "只显示一次")
    now = services.clock.now()
    # Simulate: claimed and delivered by a worker that died before recording success.
    row = await OutboxMessage.get(id=row_id)
    channel = services.channels[Platform.CONSOLE]
    await channel.deliver(row, OutboxPayload.model_validate(row.payload))
    await OutboxMessage.filter(id=row_id).update(
        status=OutboxStatus.SENDING, lease_until=now + timedelta(seconds=30), attempts=1
    )
    assert await outbox.drain(services) == 0  # lease still held
    clock.advance(timedelta(seconds=31))
    assert await outbox.drain(services) == 1
    assert await _transcript("xiaowang") == ["只显示一次"]
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.SENT


async def test_arq_worker_delivers_kicked_rows(services: Services, demo_org: None) -> None:
    ids = await _emit(services, "xiaowang", "经由 arq 发送")
    assert services.outbox_kick is not None
    await services.outbox_kick(ids)
    worker = build_worker(services, burst=True, handle_signals=False, poll_delay=0.05)
    # Burst mode stops when the queue is empty; cron sweeps are not needed for this row.
    await asyncio.wait_for(worker.main(), timeout=30)
    await worker.close()
    assert await _transcript("xiaowang") == ["经由 arq 发送"]
    assert worker.jobs_complete >= 1


async def test_one_job_delivers_every_target_of_a_unit_of_work(
    services: Services, demo_org: None
) -> None:
    """An escalation writes to several people: one arq job delivers to all of them."""
    people = [await Person.get(key=k) for k in ("xiaowang", "xiaochen", "laoliu")]
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix="t:many", now=services.clock.now())
        ids = await emitter.to_people([p.id for p in people], Message(text="告警升级"))
    assert len(ids) == 3
    assert services.outbox_kick is not None
    await services.outbox_kick(ids)
    worker = build_worker(services, burst=True, handle_signals=False, poll_delay=0.05)
    await asyncio.wait_for(worker.main(), timeout=30)
    await worker.close()
    assert worker.jobs_complete == 1
    for key in ("xiaowang", "xiaochen", "laoliu"):
        assert await _transcript(key) == ["告警升级"]


async def test_a_busy_target_in_a_many_target_job_is_tried_again(
    services: Services, demo_org: None
) -> None:
    """The free targets go out at once; the job comes back for the one another loop held."""
    wang, chen = [await Person.get(key=k) for k in ("xiaowang", "xiaochen")]
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix="t:busy", now=services.clock.now())
        ids = await emitter.to_people([wang.id, chen.id], Message(text="再次提醒"))
    held = Target(Platform.CONSOLE.value, "person", chen.id)
    lock = services.redis.lock(outbox_lock_key(held.key), timeout=30)
    assert await lock.acquire(blocking=False)
    targets = [[t.platform, t.kind, t.id] for t in await outbox.targets_for(ids)]
    ctx = {"services": services, "job_try": 1}
    try:
        with pytest.raises(Retry):
            await deliver_outbox_targets(ctx, targets)
        assert await _transcript("xiaowang") == ["再次提醒"]
        assert await _transcript("xiaochen") == []
    finally:
        await lock.release()
    assert await deliver_outbox_targets(ctx, targets) == 1  # the retry: only 小陈's is left
    assert await _transcript("xiaochen") == ["再次提醒"]
    assert await _transcript("xiaowang") == ["再次提醒"]


async def test_a_busy_target_is_not_waited_for(services: Services, demo_org: None) -> None:
    """A second loop for the same target gives way at once; the holder delivers everything."""
    await _emit(services, "xiaowang", "甲", "乙")
    [target] = await outbox.due_targets(services.clock.now())
    lock = services.redis.lock(outbox_lock_key(target.key), timeout=30)
    assert await lock.acquire(blocking=False)
    try:
        with pytest.raises(outbox.TargetBusy):
            await outbox.deliver_target(services, target)
        assert await outbox.drain(services) == 0  # the sweeper skips it too
    finally:
        await lock.release()
    assert await outbox.drain(services) == 2
    assert await _transcript("xiaowang") == ["甲", "乙"]
