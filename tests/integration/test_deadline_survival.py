"""Survival: real ``python -m bot worker`` / ``serve`` processes, real Redis, real database.

A worker killed with SIGKILL in the middle of firing, a flushed Redis, a restart of web and
worker, two workers at once: every due step still fires exactly once, within 60 s of the
system being back. "Exactly once" is checked on what people get: one audit entry and one
outbox message per step, written by the ``notify`` handler in the firing transaction.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from tortoise.transactions import in_transaction

from bot.clock import SystemClock
from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.deadlines.builtin import NOTIFY, notify_data
from bot.policy.runtime import TimeKeeping
from bot.timekeeping.schedule import StepSpec
from storage.models.deadlines import DeadlineStep, StepStatus
from storage.models.machinery import AuditEntry, OutboxMessage
from storage.models.org import Person
from tests.conftest import SHANGHAI
from tests.proc import ROOT

pytestmark = pytest.mark.slow

BACK_WITHIN = 60.0  # seconds: the requirement


@dataclass
class Process:
    name: str
    proc: asyncio.subprocess.Process
    log: Path
    started: float = field(default_factory=time.monotonic)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=20)
            except TimeoutError:
                await self.kill()


@dataclass
class System:
    """Starts dutybot processes against the test's database and Redis."""

    env: dict[str, str]
    logs: Path
    port: int
    running: list[Process] = field(default_factory=list)
    count: int = 0

    async def spawn(self, command: str, ready: str) -> Process:
        self.count += 1
        log = self.logs / f"{self.count:02d}-{command}.log"
        handle = log.open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", command,
            env=self.env, stdout=handle, stderr=asyncio.subprocess.STDOUT, cwd=str(ROOT),
        )  # fmt: skip
        handle.close()
        process = Process(f"{command}#{self.count}", proc, log)
        self.running.append(process)
        deadline = time.monotonic() + 60
        while ready not in process.output():
            if proc.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"{process.name} did not start:\n{process.output()}")
            await asyncio.sleep(0.05)
        return process

    async def worker(self) -> Process:
        return await self.spawn("worker", "dutybot worker 已启动")

    async def web(self) -> Process:
        return await self.spawn("serve", "dutybot 已在")

    async def close(self) -> None:
        for process in self.running:
            await process.stop()

    def logs_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in self.running)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def system(
    services: Services, demo_org: None, db_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[System]:
    services.clock = SystemClock(SHANGHAI)
    settings = services.settings.model_copy(update={"calendar_file": tmp_path / "calendar.toml"})
    services.timekeeping = TimeKeeping.from_settings(settings)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_CONSOLE": "true",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml"),
        "DUTYBOT_LOG_LEVEL": "INFO",
    }
    env.pop("DUTYBOT_POLICY", None)
    env.pop("DUTYBOT_POLICY_OVERRIDES", None)
    system = System(env=env, logs=tmp_path, port=port)
    try:
        yield system
    finally:
        await system.close()


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


async def wait_for(
    check: Callable[[], Awaitable[bool]], seconds: float, system: System, what: str
) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what} not within {seconds:.0f} s\n{system.logs_text()}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


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
