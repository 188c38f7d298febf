"""A worker killed just before a notice's due time: after restart (two workers at once), the
overdue escalation happens exactly once. Real ``python -m bot worker`` processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.flows.rectification.start import NoticeRequest, issue_notice
from storage import audit
from storage.models.deadlines import DeadlineStep, StepStatus
from storage.models.machinery import AuditEntry, OutboxMessage
from storage.models.org import Account
from storage.models.rectification import RectCategory, Rectification, Severity
from tests.support.processes import System, system, wait_for

pytestmark = pytest.mark.slow

__all__ = ["system"]  # the fixture, shared with the engine's survival tests


async def step_fired(deadline_id: int, name: str) -> bool:
    return await DeadlineStep.filter(
        deadline_id=deadline_id, name=name, status=StepStatus.FIRED
    ).exists()


async def test_worker_killed_before_due_escalates_once(system: System, services: Services) -> None:
    worker = await system.worker()  # up before the countdown starts: it must see the 80 % step
    account = await Account.get(key="ljq-wlw-wechat")
    now = services.clock.now()
    async with in_transaction() as conn:
        emit = Emitter(services, conn, key_prefix="test:survival", now=now)
        rect = await issue_notice(
            services,
            conn,
            emit,
            now=now,
            request=NoticeRequest(
                owner_unit_id=account.owner_unit_id,
                account_id=account.id,
                problem="首页链接失效",
                evidence="",
                category=RectCategory.BROKEN_LINK,
                severity=Severity.SERIOUS,
                source="test",
            ),
            actor=audit.Actor.system("测试"),
        )
        assert rect.deadline_id is not None
        # A real limit is 30 minutes; bring the due time to a few seconds from now.
        await lifecycle.reschedule(
            services, conn, rect.deadline_id, now=now, due_at=now + timedelta(seconds=6)
        )
    deadline_id = rect.deadline_id
    await wait_for(lambda: step_fired(deadline_id, "late"), 30, system, "the 80 % reminder")
    assert not await step_fired(deadline_id, "due")
    await worker.kill()  # just before the due time
    await asyncio.sleep(3.0)  # the due time passes while no worker runs
    await asyncio.gather(system.worker(), system.worker())
    await wait_for(lambda: step_fired(deadline_id, "due"), 60, system, "the overdue escalation")
    await asyncio.sleep(2.0)  # give a duplicate every chance to happen
    assert (await Rectification.get(id=rect.id)).overdue
    assert await AuditEntry.filter(action="rectification.overdue").count() == 1
    rows = await OutboxMessage.filter(idempotency_key__startswith=f"deadline:{deadline_id}:")
    overdue_posts = [r for r in rows if "已逾期" in str(r.payload)]
    assert len(overdue_posts) >= 1
    # One group post and one message per supervisor for the single "due" firing.
    due_step = await DeadlineStep.get(deadline_id=deadline_id, name="due", status=StepStatus.FIRED)
    keys = {r.idempotency_key.split(":")[2] for r in overdue_posts}
    assert keys == {str(due_step.id)}
