"""Benchmark the deadline engine: N open deadlines due over M minutes; firing lag and duplicates.

    /work/venv/bin/python bench/deadlines.py --db sqlite
    /work/venv/bin/python bench/deadlines.py --db postgres

For each mode a fresh database is migrated, one console person is created, and ``--count``
deadlines (one step each, the built-in ``notify`` handler: an outbox message and an audit
entry per firing) are planted with due times spread evenly over ``--minutes``. Then the
production worker (``bot.worker.build_worker``: arq jobs + crons) runs in this process until
every step has fired.

- ``arq``: the deferred job of each step fires it; the reconciler runs as in production.
- ``reconciler``: Redis is flushed after planting, as if it had been lost; only the
  reconciler cron (every 5 s) fires.

Lag = ``fired_at - fire_at`` of each step (``fired_at`` is taken when the firing starts).
Duplicates = audit entries of ``deadline.reminded`` beyond one per step.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise.transactions import in_transaction  # noqa: E402

from bot.adapters.console.channel import ConsoleChannel  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.services import Services  # noqa: E402
from bot.deadlines import lifecycle  # noqa: E402
from bot.deadlines.builtin import NOTIFY, notify_data  # noqa: E402
from bot.policy.runtime import TimeKeeping  # noqa: E402
from bot.redis_embedded import EmbeddedRedis  # noqa: E402
from bot.runtime import connect_redis, make_outbox_kick  # noqa: E402
from bot.worker import build_worker  # noqa: E402
from storage.db import close_db, init_db, normalise_url, upgrade  # noqa: E402
from storage.enums import IdentityKind, Platform  # noqa: E402
from storage.models.deadlines import DeadlineStep, StepStatus  # noqa: E402
from storage.models.machinery import AuditEntry  # noqa: E402
from storage.models.org import Identity, Person, Unit  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
PLANT_BATCH = 200
SETTLE_SECONDS = 60  # after the last due time, wait at most this long for stragglers


@dataclass
class Result:
    db: str
    mode: str
    count: int
    people: int
    window_minutes: float
    plant_seconds: float
    fired: int
    unfired: int
    duplicates: int
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    # p99 lag per minute of the window, to see whether lag grows or comes in bursts
    lag_p99_by_minute_ms: list[float]


async def reset_postgres(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    dsn = normalise_url(url).replace("postgres://", "postgresql://", 1)
    base, _, name = dsn.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def people(count: int) -> list[int]:
    """Console people to remind (reminders are spread over them, as over a district's staff)."""
    unit = await Unit.create(key="bench", name="基准测试单位")
    ids: list[int] = []
    for index in range(count):
        who = await Person.create(key=f"bench{index}", name=f"基准测试{index}", unit=unit)
        await Identity.create(
            person=who, platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value=f"bench{index}"
        )
        ids.append(who.id)
    return ids


async def plant(
    services: Services, count: int, minutes: float, lead: float, pids: list[int]
) -> float:
    """Plant the deadlines; returns how long it took."""
    started = time.monotonic()
    now = services.clock.now()
    first_due = now + timedelta(seconds=lead)
    window = timedelta(minutes=minutes)
    for batch in range(0, count, PLANT_BATCH):
        async with in_transaction() as conn:
            for index in range(batch, min(count, batch + PLANT_BATCH)):
                await lifecycle.start(
                    services,
                    conn,
                    kind="bench",
                    subject_type="bench",
                    subject_id=index,
                    handler=NOTIFY,
                    now=now,
                    due_at=first_due + window * (index / max(1, count - 1)),
                    data=notify_data("基准测试", persons=[pids[index % len(pids)]]),
                )
    return time.monotonic() - started


async def open_services(db: str, db_url: str, redis_url: str, home: Path) -> Services:
    """A fresh, migrated database and an empty Redis db, and the services of a process on
    them: the system clock and the console channel (what the benchmarks deliver through)."""
    if db == "postgres":
        await reset_postgres(db_url)
    await upgrade(db_url)
    await close_db()
    await init_db(db_url)
    settings = Settings(
        home=home,
        database_url=db_url,
        redis_url=redis_url,
        console=True,
        calendar_file=home / "calendar.toml",
        _env_file=None,
    )
    redis = await connect_redis(redis_url)
    await redis.flushdb()
    clock = SystemClock(TZ)
    services = Services(settings=settings, clock=clock, redis=redis)
    services.channels[Platform.CONSOLE] = ConsoleChannel(clock)
    make_outbox_kick(services)
    services.timekeeping = TimeKeeping.from_settings(settings)
    return services


async def run_mode(
    db: str,
    db_url: str,
    redis_url: str,
    mode: str,
    count: int,
    minutes: float,
    home: Path,
    people_count: int,
) -> Result:
    services = await open_services(db, db_url, redis_url, home)
    try:
        pids = await people(people_count)
        # Planting 10,000 takes a while; due times start after it is surely done.
        lead = max(30.0, count * 0.012)
        plant_seconds = await plant(services, count, minutes, lead, pids)
        if plant_seconds > lead:
            raise SystemExit(f"planting took {plant_seconds:.0f} s > lead {lead:.0f} s")
        if mode == "reconciler":
            await (
                services.redis.flushdb()
            )  # the deferred jobs are lost; only the reconciler remains
        print(f"[{db}/{mode}] planted {count} in {plant_seconds:.1f} s", flush=True)
        worker = build_worker(services, handle_signals=False)
        task = asyncio.create_task(worker.async_run())
        give_up = time.monotonic() + lead - plant_seconds + minutes * 60 + SETTLE_SECONDS
        while time.monotonic() < give_up:
            pending = await DeadlineStep.filter(status=StepStatus.PENDING).count()
            if pending == 0:
                break
            await asyncio.sleep(1.0)
        await worker.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return await measure(db, mode, count, people_count, minutes, plant_seconds)
    finally:
        await services.redis.flushdb()
        await services.redis.aclose()
        await close_db()


async def measure(
    db: str, mode: str, count: int, people: int, minutes: float, plant_seconds: float
) -> Result:
    steps = await DeadlineStep.all().values_list("fire_at", "fired_at", "status")
    timeline = sorted(
        (due, (fired - due).total_seconds() * 1000) for due, fired, _ in steps if fired is not None
    )
    lags = sorted(lag for _, lag in timeline)
    by_minute: list[float] = []
    if timeline:
        start = timeline[0][0]
        buckets: dict[int, list[float]] = {}
        for due, lag in timeline:
            buckets.setdefault(int((due - start).total_seconds() // 60), []).append(lag)
        by_minute = [round(percentile(sorted(b), 0.99), 1) for _, b in sorted(buckets.items())]
    fired = len(lags)
    entries = await AuditEntry.filter(action="deadline.reminded").values_list("detail", flat=True)
    details: list[dict[str, Any]] = [dict(d) for d in entries]
    per_step = Counter((d["deadline"], d["step"], d.get("repeat", 0)) for d in details)
    duplicates = sum(n - 1 for n in per_step.values() if n > 1)
    return Result(
        db=db,
        mode=mode,
        count=count,
        people=people,
        window_minutes=minutes,
        plant_seconds=round(plant_seconds, 1),
        fired=fired,
        unfired=len(steps) - fired,
        duplicates=duplicates,
        lag_p50_ms=round(statistics.median(lags), 1) if lags else float("nan"),
        lag_p99_ms=round(percentile(lags, 0.99), 1) if lags else float("nan"),
        lag_max_ms=round(lags[-1], 1) if lags else float("nan"),
        lag_p99_by_minute_ms=by_minute,
    )


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ordered list."""
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--mode", choices=["both", "arq", "reconciler"], default="both")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--people", type=int, default=100, help="people the reminders go to")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/bench_time")
    parser.add_argument("--redis-url", default=None, help="default: a private redis-server")
    parser.add_argument("--out", type=Path, default=None, help="append JSON lines here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    modes = ["arq", "reconciler"] if args.mode == "both" else [args.mode]
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
        home = Path(tmp)
        embedded: EmbeddedRedis | None = None
        redis_url = args.redis_url
        if redis_url is None:
            embedded = EmbeddedRedis(home)
            embedded.start()
            redis_url = embedded.url
        try:
            for mode in modes:
                db_url = (
                    f"sqlite://{home / f'bench-{mode}.sqlite3'}"
                    if args.db == "sqlite"
                    else args.pg_url
                )
                result = await run_mode(
                    args.db, db_url, redis_url, mode, args.count, args.minutes, home, args.people
                )
                line = json.dumps(asdict(result), ensure_ascii=False)
                print(line, flush=True)
                if args.out is not None:
                    with args.out.open("a", encoding="utf-8") as handle:
                        handle.write(line + "\n")
        finally:
            if embedded is not None:
                embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
