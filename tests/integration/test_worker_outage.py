"""The worker rides out Redis going away (and coming back empty), reports its liveness in a
heartbeat, and /healthz tells a dead worker from a live one (``?scope=web`` ignores it)."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from tortoise.transactions import in_transaction

from bot import heartbeat
from bot.clock import ManualClock, SystemClock
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.worker import run_worker
from storage.enums import OutboxStatus
from storage.models.machinery import ConsoleMessage, OutboxMessage, WorkerHeartbeat
from storage.models.org import Person
from tests.conftest import SHANGHAI
from tests.private_redis import PrivateRedis, free_port
from tests.proc import ROOT, run_dutybot
from tests.support.processes import System

Client = TestClient[object, object]


async def _until(check: object, seconds: float, what: str, system: System | None = None) -> None:
    assert callable(check)
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > seconds:
            logs = system.logs_text() if system is not None else ""
            raise AssertionError(f"{what} not within {seconds:.0f} s\n{logs}")
        await asyncio.sleep(0.1)


async def test_healthz_needs_a_live_worker_and_scope_web_does_not(
    client: Client, services: Services, clock: ManualClock
) -> None:
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 503
    assert body["checks"]["worker"].startswith("error: no live worker")
    assert (await client.get("/healthz?scope=web")).status == 200

    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(services, stop))

    async def beating() -> bool:
        return await WorkerHeartbeat.exists()

    await _until(beating, 10, "a heartbeat")
    resp = await client.get("/healthz")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["checks"]["worker"] == "ok: 1 alive"
    assert heartbeat.file_age_seconds(services.settings.resolved_home) is not None

    # A worker that stops beating (hung, or killed without a goodbye) is found out.
    clock.advance(heartbeat.STALE_AFTER + timedelta(seconds=heartbeat.BEAT_SECONDS * 2))
    resp = await client.get("/healthz")
    assert resp.status == 503
    assert "last heartbeat" in (await resp.json())["checks"]["worker"]

    stop.set()
    await _stopped(task, 60)
    assert not await WorkerHeartbeat.exists()  # a clean stop says goodbye


async def _stopped(task: asyncio.Task[None], seconds: float) -> None:
    """Wait for the worker to stop; when it does not, say where every task is stuck (a CI run
    on a loaded machine once timed out here at 20 s, and the bare timeout told nothing)."""
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        task.result()
        return
    stacks = io.StringIO()
    for other in asyncio.all_tasks():
        other.print_stack(limit=8, file=stacks)
    task.cancel()
    raise AssertionError(f"the worker did not stop within {seconds:.0f} s\n{stacks.getvalue()}")


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def system_on_private_redis(
    services: Services, demo_org: None, db_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> AsyncIterator[System]:
    """dutybot processes on the test database and the private Redis, on the wall clock."""
    services.clock = SystemClock(SHANGHAI)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": private_redis.url,
        "DUTYBOT_CONSOLE": "true",
        "DUTYBOT_HTTP_PORT": str(free_port()),
        "DUTYBOT_LOG_LEVEL": "INFO",
    }
    system = System(env=env, logs=tmp_path, port=int(env["DUTYBOT_HTTP_PORT"]))
    try:
        yield system
    finally:
        await system.close()


async def _emit(services: Services, person_key: str, text: str) -> int:
    person = await Person.get(key=person_key)
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix=f"t:{text}", now=services.clock.now())
        await emitter.to_person(person.id, Message(text=text))
    (row_id,) = emitter.outbox_ids
    return row_id


async def _delivered(row_id: int) -> bool:
    row = await OutboxMessage.get(id=row_id)
    return row.status == OutboxStatus.SENT


@pytest.mark.slow
async def test_worker_rides_out_redis_stopped_for_30_s_and_coming_back_empty(
    system_on_private_redis: System, private_redis: PrivateRedis, services: Services
) -> None:
    system = system_on_private_redis
    worker = await system.worker()
    first = await _emit(services, "xiaowang", "Redis 停止之前")
    await _until(lambda: _delivered(first), 20, "delivery before the outage", system)

    await private_redis.stop()

    async def redis_down_noted() -> bool:
        return await WorkerHeartbeat.filter(redis_ok=False).exists()

    await _until(redis_down_noted, 15, "the heartbeat saying Redis is down", system)
    # The container health check asks the worker, not HTTP: alive while riding it out.
    check = await run_dutybot("worker", "--check", env={"DUTYBOT_HOME": system.env["DUTYBOT_HOME"]})
    assert check.returncode == 0, check.stderr
    assert "worker 正常" in check.stdout
    during = await _emit(services, "xiaowang", "Redis 停止期间写入")
    # doctor tells the truth meanwhile: Redis down, the worker alive but cut off.
    settings = {k: v for k, v in system.env.items() if k.startswith("DUTYBOT_")}
    doctor = await run_dutybot("doctor", "--offline", env=settings, inherit_settings=False)
    assert doctor.returncode == 1
    assert "✘ Redis" in doctor.stdout, doctor.stdout
    assert "连不上 Redis" in doctor.stdout, doctor.stdout
    await asyncio.sleep(30)
    assert worker.proc.returncode is None, worker.output()  # alive, waiting
    assert worker.output().count("Redis unreachable") == 1  # said once, not per retry

    await private_redis.start()  # back, and empty (no persistence): every job is gone
    await _until(lambda: _delivered(during), 30, "delivery after Redis came back", system)

    async def redis_up_noted() -> bool:
        beats = await WorkerHeartbeat.all()
        return bool(beats) and all(b.redis_ok for b in beats)

    await _until(redis_up_noted, 15, "the heartbeat saying Redis is back", system)

    # FLUSHALL while running: the sweeps still deliver what the lost jobs would have.
    await private_redis.flushall()
    after = await _emit(services, "xiaowang", "清空 Redis 之后")
    await _until(lambda: _delivered(after), 30, "delivery after FLUSHALL", system)
    assert worker.proc.returncode is None, worker.output()

    texts = [m.text for m in await ConsoleMessage.filter(chat="dm:xiaowang").order_by("id")]
    assert texts == ["Redis 停止之前", "Redis 停止期间写入", "清空 Redis 之后"]  # each once
    await worker.stop()
    assert worker.proc.returncode == 0, worker.output()


async def test_worker_check_fails_without_a_fresh_heartbeat(tmp_path: Path) -> None:
    env = {"DUTYBOT_HOME": str(tmp_path)}
    never = await run_dutybot("worker", "--check", env=env)
    assert never.returncode == 1
    assert "没有心跳" in never.stderr
    heartbeat.touch_file(tmp_path)
    old = time.time() - 120
    os.utime(tmp_path / heartbeat.file_name(), (old, old))
    stale = await run_dutybot("worker", "--check", env=env)
    assert stale.returncode == 1
    assert "秒没有心跳" in stale.stderr
