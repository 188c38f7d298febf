"""Survival: real ``python -m bot worker`` / ``serve`` processes, real Redis, real database.

A worker killed with SIGKILL in the middle of firing, a flushed Redis, a restart of web and
worker, two workers at once: every due step still fires exactly once, within 60 s of the
system being back. "Exactly once" is checked on what people get: one audit entry and one
outbox message per step, written by the ``notify`` handler in the firing transaction.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import aiohttp
import pytest
from tortoise.transactions import in_transaction

from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.deadlines.builtin import NOTIFY, notify_data
from bot.timekeeping.schedule import StepSpec
from storage.models.deadlines import DeadlineStep, StepStatus
from storage.models.machinery import AuditEntry, OutboxMessage
from storage.models.org import Person
from tests.support.processes import System, system, wait_for

pytestmark = pytest.mark.slow

__all__ = ["system"]  # the fixture

BACK_WITHIN = 60.0  # seconds: the requirement


async def plant(services: Services, count: int, first: float, last: float) -> list[int]:
    """``count`` deadlines due between ``first`` and ``last`` seconds from now, each with a
    half-time step and a due step, each reminding xiaowang."""
    person = await Person.get(key="xiaowang")
    now = services.clock.now()
    ids: list[int] = []
    async with in_transaction() as conn:
        for index in range(count):
            offset = first + (last - first) * index / max(1, count - 1)
            deadline = await lifecycle.start(
                services,
                conn,
                kind="survival",
                subject_type="survival",
                subject_id=index,
                handler=NOTIFY,
                now=now,
                due_at=now + timedelta(seconds=offset),
                schedule=[StepSpec.at_fraction("half", 0.5), StepSpec.at_due()],
                data=notify_data(f"测试{index}", persons=[person.id]),
            )
            ids.append(deadline.id)
    return ids


async def fired_steps(ids: list[int]) -> int:
    return await DeadlineStep.filter(deadline_id__in=ids, status=StepStatus.FIRED).count()


async def assert_each_step_fired_once(ids: list[int], back_at: datetime) -> None:
    steps = await DeadlineStep.filter(deadline_id__in=ids).order_by("id")
    assert len(steps) == 2 * len(ids)
    assert {s.status for s in steps} == {StepStatus.FIRED}
    entries = await AuditEntry.filter(action="deadline.reminded")
    per_step = Counter(
        (e.detail["deadline"], e.detail["step"]) for e in entries if e.detail["deadline"] in ids
    )
    assert len(per_step) == 2 * len(ids)
    assert set(per_step.values()) == {1}, [k for k, v in per_step.items() if v != 1]
    for deadline_id in ids:
        rows = await OutboxMessage.filter(idempotency_key__startswith=f"deadline:{deadline_id}:")
        assert len(rows) == 2, (deadline_id, [r.idempotency_key for r in rows])
    # Everything that came due while the system was down fired within 60 s of it being back.
    latest = max(s.fired_at for s in steps if s.fired_at is not None)
    assert latest - back_at < timedelta(seconds=BACK_WITHIN)


async def flush_redis(services: Services, redis_url: str) -> None:
    # The embedded server is ours alone: FLUSHALL. On a shared external Redis, other people's
    # test databases live beside ours, so only our database is flushed (same effect for us).
    if redis_url.startswith("unix://"):
        await services.redis.flushall()
    else:
        await services.redis.flushdb()


async def test_a_worker_killed_mid_run(system: System, services: Services) -> None:
    first = await system.worker()
    ids = await plant(services, 60, first=3.0, last=8.0)
    total = 2 * len(ids)
    await wait_for(lambda: _at_least(ids, total // 3), 30, system, "a third of the steps")
    await first.kill()  # in the middle of the run: firings are going on right now
    killed_with = await fired_steps(ids)
    assert killed_with < total
    await asyncio.sleep(3.0)  # more steps come due while no worker runs
    back_at = services.clock.now()
    await system.worker()
    await wait_for(lambda: _at_least(ids, total), BACK_WITHIN, system, "every step")
    await assert_each_step_fired_once(ids, back_at)


async def test_redis_flushed_while_jobs_wait(
    system: System, services: Services, redis_url: str
) -> None:
    await system.worker()
    ids = await plant(services, 40, first=4.0, last=10.0)
    assert await services.redis.zcard("dutybot:queue") > 0  # the deferred jobs
    await flush_redis(services, redis_url)
    assert await services.redis.zcard("dutybot:queue") == 0
    back_at = services.clock.now()
    await wait_for(lambda: _at_least(ids, 2 * len(ids)), BACK_WITHIN + 10, system, "every step")
    await assert_each_step_fired_once(ids, back_at)


async def test_web_and_worker_restarted(system: System, services: Services) -> None:
    web = await system.web()
    worker = await system.worker()
    ids = await plant(services, 40, first=3.0, last=9.0)
    await wait_for(lambda: _at_least(ids, 1), 30, system, "a first firing")
    await asyncio.gather(web.stop(), worker.stop())
    await asyncio.sleep(3.0)
    back_at = services.clock.now()
    await system.web()
    await system.worker()
    await wait_for(lambda: _at_least(ids, 2 * len(ids)), BACK_WITHIN, system, "every step")
    await assert_each_step_fired_once(ids, back_at)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{system.port}/healthz") as resp,
    ):
        assert resp.status == 200


async def test_two_workers_fire_each_step_once(system: System, services: Services) -> None:
    await asyncio.gather(system.worker(), system.worker())
    ids = await plant(services, 80, first=2.0, last=6.0)
    back_at = services.clock.now()
    await wait_for(lambda: _at_least(ids, 2 * len(ids)), BACK_WITHIN, system, "every step")
    await assert_each_step_fired_once(ids, back_at)


async def _at_least(ids: list[int], count: int) -> bool:
    return await fired_steps(ids) >= count
