"""Benchmark reading duty: many teams, a week of shifts, alerts escalating on the deadline engine.

    .venv/bin/python bench/duty.py --db postgres --live --workers 2   # the issue's set-up, 66 min
    .venv/bin/python bench/duty.py --db postgres                 # the same, raised beforehand
    .venv/bin/python bench/duty.py --db postgres --short         # 50 teams, 1,000 alerts, 2 min
    .venv/bin/python bench/duty.py --db sqlite --short

A fresh database is migrated; ``--teams`` duty teams are created, each with its own unit (two
accounts), three officers and a duty lead with console identities, a day/night rotation
and a week of shifts planned by the real planner. Then ``--alerts`` alerts are raised through
``raise_alert`` (the path of every source: the card, the outbox rows, the audit entry and the
acknowledgement countdown), spread over the teams, each one sent twice with the same external
id as a monitoring system's retry would. Their acknowledgement limits (``alert.ack``, 5 min
for 一般) fall evenly over ``--minutes``: each alert is raised "5 minutes before" its slot, so
the run does not wait the 5 minutes. With ``--live`` each is raised at that time instead, while
the workers run, as a monitoring system's requests would arrive (its messages then go out
before the escalations' to the same person, as in production; raised beforehand, they wait
until their time and hold up the later messages to that person). Nobody acknowledges: the
production worker (``bot.worker.build_worker``, arq jobs + crons) runs in this process, or in
``--workers`` separate ``dutybot worker`` processes, and escalates every alert to the duty lead
at its limit, then re-notifies, to the unit head, the supervisors.

Reported: escalation lag (``fired_at - fire_at`` of every ``duty_lead`` step), duplicates
(alerts beyond one per external id; escalations beyond one per alert and level), and the
p95 of the two queries a person waits for: the week's roster (``值班表``,
``records.roster.week``) and the handover pre-fill (``records.handover.open_items``, every
source: alerts, rectifications, patrols, notes), measured while the escalations run. Also:
the lag of every step fired (re-notifications included), the time from a firing to its
messages' sending, each worker process's CPU seconds, and (``--live``) a raising request's p95.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise.transactions import in_transaction  # noqa: E402

from bench.callbacks import cpu_seconds  # noqa: E402
from bench.deadlines import open_services, percentile  # noqa: E402
from bot.core.services import Services  # noqa: E402
from bot.core.work import Work  # noqa: E402
from bot.flows.duty.planner import plan_team  # noqa: E402
from bot.flows.duty.records.handover import open_items  # noqa: E402
from bot.flows.duty.records.roster import week, week_start  # noqa: E402
from bot.flows.duty.transitions.alerts import AlertRequest, raise_alert  # noqa: E402
from bot.handlers import load_all  # noqa: E402
from bot.redis_embedded import EmbeddedRedis  # noqa: E402
from bot.worker import build_worker  # noqa: E402
from storage.db import close_db  # noqa: E402
from storage.enums import IdentityKind, MediaPlatform, Platform, Role  # noqa: E402
from storage.models.deadlines import DeadlineStep, StepStatus  # noqa: E402
from storage.models.duty import (  # noqa: E402
    DutyRotation,
    DutyScope,
    DutyShift,
    DutyTeam,
    ShiftMode,
)
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource  # noqa: E402
from storage.models.machinery import AuditEntry, OutboxMessage  # noqa: E402
from storage.models.org import Account, Identity, Person, PersonRole, Unit  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
ACTOR = "基准测试"
ACK_MINUTES = 5  # the default preset's alert.ack for 一般
RAISE_BATCH = 100
SETTLE_SECONDS = 60


@dataclass
class Result:
    db: str
    teams: int
    shifts: int
    alerts: int
    window_minutes: float
    raise_seconds: float
    escalated: int
    unescalated: int
    duplicate_alerts: int
    duplicate_escalations: int
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    roster_p95_ms: float
    prefill_p95_ms: float
    prefill_items_mean: float
    workers: int = 0  # 0: the worker ran inside the benchmark process
    live: bool = False
    # Every step of the alerts (the lead, the unit head, the supervisor, re-notifications).
    steps_fired: int = 0
    steps_lag_p99_ms: float = float("nan")
    # The firings' messages, from the firing to their sending (console channel).
    messages_sent: int = 0
    messages_unsent: int = 0
    delivery_p50_ms: float = float("nan")
    delivery_p99_ms: float = float("nan")
    request_p95_ms: float = float("nan")  # --live: one raising request (an API call's work)
    worker_cpu_seconds: list[float] = field(default_factory=list)


async def seed(services: Services, teams: int, now: datetime) -> list[int]:
    """Teams with their people, accounts, rotation and a week of shifts; returns team ids."""
    ids: list[int] = []
    today = now.astimezone(TZ).date()
    calendar = services.timekeeping.calendar()
    for t in range(teams):
        unit = await Unit.create(key=f"u{t}", name=f"基准单位{t}")
        for platform in (MediaPlatform.WECHAT, MediaPlatform.WEIBO):
            await Account.create(
                key=f"u{t}-{platform.value}",
                name=f"基准账号{t}",
                platform=platform,
                owner_unit=unit,
            )
        people = []
        for p, role in enumerate(
            (Role.DUTY_OFFICER, Role.DUTY_OFFICER, Role.DUTY_OFFICER, Role.DUTY_LEAD)
        ):
            person = await Person.create(key=f"p{t}-{p}", name=f"值班{t}-{p}", unit=unit)
            await PersonRole.create(person=person, role=role)
            await Identity.create(
                person=person,
                platform=Platform.CONSOLE,
                kind=IdentityKind.HANDLE,
                value=person.key,
            )
            people.append(person.id)
        team = await DutyTeam.create(
            key=f"t{t}",
            name=f"基准值班组{t}",
            unit_id=unit.id,
            lead_id=people[3],
            mode=ShiftMode.DAY_NIGHT,
        )
        await DutyScope.create(team=team, unit_id=unit.id)
        await DutyRotation.create(
            team=team,
            holiday=False,
            effective_from=today - timedelta(days=1),
            people=people[:3],
            created_at=now,
            created_by="bench",
        )
        async with in_transaction() as conn:
            await plan_team(conn, team.id, calendar, now - timedelta(days=1), days=8)
        ids.append(team.id)
    return ids


def bench_request(team_ids: list[int], index: int) -> AlertRequest:
    return AlertRequest(
        team_id=team_ids[index % len(team_ids)],
        severity=AlertSeverity.ORDINARY,
        source=AlertSource.API,
        title=f"基准告警 {index}",
        source_name="bench",
        external_id=str(index),
        dedupe_key=f"api:bench:{index}",
    )


async def raise_live(
    services: Services, team_ids: list[int], count: int, minutes: float, start: datetime
) -> list[float]:
    """``--live``: raise each alert at its time, as a monitoring system's requests arrive —
    spread evenly over ``minutes`` from ``start``, each in its own transaction and sent twice
    (the retry its own request too), the outbox kicked after commit as ``POST /api/alerts``
    does. Returns each request's time in ms."""
    window = timedelta(minutes=minutes)
    took: list[float] = []
    for index in range(count):
        at = start + window * (index / max(1, count - 1))
        wait = (at - services.clock.now()).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
        for attempt in range(2):
            started = time.perf_counter()
            async with in_transaction() as conn:
                now = services.clock.now()
                key = f"bench:{index}:{attempt}"
                w = Work.system(services, conn, now=now, key_prefix=key, label=ACTOR)
                await raise_alert(w, bench_request(team_ids, index))
            if w.emit.outbox_ids and services.outbox_kick is not None:
                await services.outbox_kick(w.emit.outbox_ids)
            took.append((time.perf_counter() - started) * 1000)
    return took


async def raise_all(
    services: Services, team_ids: list[int], count: int, minutes: float, lead: float
) -> float:
    """Raise ``count`` alerts (each twice, as a retried request); returns how long it took."""
    started = time.monotonic()
    first_due = services.clock.now() + timedelta(seconds=lead)
    window = timedelta(minutes=minutes)
    for batch in range(0, count, RAISE_BATCH):
        async with in_transaction() as conn:
            for index in range(batch, min(count, batch + RAISE_BATCH)):
                due = first_due + window * (index / max(1, count - 1))
                raised_at = due - timedelta(minutes=ACK_MINUTES)
                key = f"bench:{index}"
                w = Work.system(services, conn, now=raised_at, key_prefix=key, label=ACTOR)
                request = bench_request(team_ids, index)
                await raise_alert(w, request)
                await raise_alert(w, request)  # the retry: finds the first
    return time.monotonic() - started


async def measure_queries(
    services: Services, team_ids: list[int], samples: int, interval: float
) -> tuple[float, float, float]:
    """p95 of 值班表 (the week) and of the handover pre-fill, and pre-fill items on average,
    one sample every ``interval`` seconds (spread over the run, among the escalations)."""
    teams = await DutyTeam.filter(id__in=team_ids).order_by("id")
    calendar = services.timekeeping.calendar()
    roster: list[float] = []
    prefill: list[float] = []
    items: list[int] = []
    for n in range(samples):
        team = teams[n % len(teams)]
        now = services.clock.now()
        started = time.perf_counter()
        async with in_transaction() as conn:
            await week(conn, team, week_start(now.astimezone(TZ).date()), calendar)
        roster.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with in_transaction() as conn:
            found = await open_items(conn, team, now - timedelta(hours=12), now, TZ)
        prefill.append((time.perf_counter() - started) * 1000)
        items.append(len(found))
        await asyncio.sleep(interval)
    return (
        round(percentile(sorted(roster), 0.95), 2),
        round(percentile(sorted(prefill), 0.95), 2),
        round(statistics.fmean(items), 1),
    )


@contextlib.asynccontextmanager
async def workers(
    args: argparse.Namespace, services: Services, db_url: str, redis_url: str, home: Path
) -> AsyncIterator[Callable[[], list[float]]]:
    """The production worker: in this process (``--workers 0``), or ``--workers`` separate
    ``dutybot worker`` processes on the same database and Redis, as a deployment runs them.
    Yields a function giving each worker process's CPU seconds so far."""
    if args.workers == 0:
        worker = build_worker(services, handle_signals=False)
        task = asyncio.create_task(worker.async_run())
        started = time.process_time()
        try:
            yield lambda: [round(time.process_time() - started, 1)]  # with the bench's own
        finally:
            # A job cut short by the close raises CancelledError out of arq's close: not ours.
            await asyncio.gather(worker.close(), return_exceptions=True)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return
    procs: list[subprocess.Popen[bytes]] = []
    for n in range(args.workers):
        worker_home = home / f"worker-{n + 1}"
        worker_home.mkdir()
        env = {
            **os.environ,
            "DUTYBOT_HOME": str(worker_home),
            "DUTYBOT_DATABASE_URL": db_url,
            "DUTYBOT_REDIS_URL": redis_url,
            "DUTYBOT_CONSOLE": "true",  # the channel the bench's people are reached on
            "DUTYBOT_LOG_LEVEL": "WARNING",
        }
        log = (home / f"worker-{n + 1}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        yield lambda: [round(cpu_seconds(p.pid), 1) for p in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


async def run(args: argparse.Namespace, db_url: str, redis_url: str, home: Path) -> Result:
    services = await open_services(args.db, db_url, redis_url, home)
    clock = services.clock
    load_all()
    try:
        team_ids = await seed(services, args.teams, clock.now())
        raising: asyncio.Task[list[float]] | None = None
        if args.live:
            raise_seconds = 0.0
            wait = ACK_MINUTES * 60.0  # the first limit: 5 minutes after the first request
        else:
            # Raising must be done before the first limit falls due (≈ 15–30 alerts a second).
            lead = args.lead if args.lead is not None else max(60.0, args.alerts * 0.1)
            raise_seconds = await raise_all(services, team_ids, args.alerts, args.minutes, lead)
            if raise_seconds > lead:
                raise SystemExit(f"raising took {raise_seconds:.0f} s > lead {lead:.0f} s")
            print(f"[{args.db}] raised {args.alerts} alerts in {raise_seconds:.1f} s", flush=True)
            wait = lead - raise_seconds
        async with workers(args, services, db_url, redis_url, home) as cpu:
            if args.live:
                start = clock.now() + timedelta(seconds=5)  # the workers' start-up
                raising = asyncio.create_task(
                    raise_live(services, team_ids, args.alerts, args.minutes, start)
                )
            interval = max(0.01, (wait + args.minutes * 60) / args.samples)
            queries = asyncio.create_task(
                measure_queries(services, team_ids, args.samples, interval)
            )
            give_up = time.monotonic() + wait + args.minutes * 60 + SETTLE_SECONDS
            while time.monotonic() < give_up:
                pending = await DeadlineStep.filter(
                    name="duty_lead", status=StepStatus.PENDING
                ).count()
                if pending == 0 and (raising is None or raising.done()):
                    break
                await asyncio.sleep(1.0)
            roster_p95, prefill_p95, items_mean = await queries
            worker_cpu = cpu()
            requests = await raising if raising is not None else []
        shifts = await DutyShift.all().count()
        result = await measure(args, shifts, raise_seconds, roster_p95, prefill_p95, items_mean)
        result.worker_cpu_seconds = worker_cpu
        if requests:
            result.request_p95_ms = round(percentile(sorted(requests), 0.95), 1)
        return result
    finally:
        await services.redis.flushdb()
        await services.redis.aclose()
        await close_db()


async def measure(
    args: argparse.Namespace,
    shifts: int,
    raise_seconds: float,
    roster_p95: float,
    prefill_p95: float,
    items_mean: float,
) -> Result:
    steps = await DeadlineStep.filter(name="duty_lead").values_list("fire_at", "fired_at")
    lags = sorted((f - due).total_seconds() * 1000 for due, f in steps if f is not None)
    alerts = await Alert.all().count()
    entries = await AuditEntry.filter(action="duty.alert_escalated").values_list(
        "subject_id", "detail"
    )
    details: list[tuple[str, dict[str, Any]]] = [(s, dict(d)) for s, d in entries]
    per_level = Counter((s, d["level"]) for s, d in details)
    every = await DeadlineStep.filter(fired_at__isnull=False).values_list("fire_at", "fired_at")
    all_lags = sorted((f - due).total_seconds() * 1000 for due, f in every)
    # What the people reached wait for: a firing's messages, from the firing to their sending.
    sent = await OutboxMessage.filter(
        idempotency_key__startswith="deadline:", sent_at__isnull=False
    ).values_list("created_at", "sent_at")
    delivery = sorted((b - a).total_seconds() * 1000 for a, b in sent)
    unsent = await OutboxMessage.filter(
        idempotency_key__startswith="deadline:", sent_at__isnull=True
    ).count()
    return Result(
        db=args.db,
        teams=args.teams,
        shifts=shifts,
        alerts=alerts,
        window_minutes=args.minutes,
        raise_seconds=round(raise_seconds, 1),
        escalated=len(lags),
        unescalated=len(steps) - len(lags),
        duplicate_alerts=alerts - args.alerts,
        duplicate_escalations=sum(n - 1 for n in per_level.values() if n > 1),
        lag_p50_ms=round(statistics.median(lags), 1) if lags else float("nan"),
        lag_p99_ms=round(percentile(lags, 0.99), 1) if lags else float("nan"),
        lag_max_ms=round(lags[-1], 1) if lags else float("nan"),
        roster_p95_ms=roster_p95,
        prefill_p95_ms=prefill_p95,
        prefill_items_mean=items_mean,
        workers=args.workers,
        live=args.live,
        steps_fired=len(all_lags),
        steps_lag_p99_ms=round(percentile(all_lags, 0.99), 1) if all_lags else float("nan"),
        messages_sent=len(delivery),
        messages_unsent=unsent,
        delivery_p50_ms=round(statistics.median(delivery), 1) if delivery else float("nan"),
        delivery_p99_ms=round(percentile(delivery, 0.99), 1) if delivery else float("nan"),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--short", action="store_true", help="50 teams, 1,000 alerts, 2 minutes")
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--samples", type=int, default=500, help="roster/pre-fill queries timed")
    parser.add_argument("--lead", type=float, default=None, help="seconds to raise them all")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/bench_duty")
    parser.add_argument("--redis-url", default=None, help="default: a private redis-server")
    parser.add_argument(
        "--live",
        action="store_true",
        help="raise each alert at its time (5 min before its limit), during the run",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="separate `dutybot worker` processes (0: in this one)",
    )
    parser.add_argument("--out", type=Path, default=None, help="append JSON lines here")
    args = parser.parse_args()
    if args.short:
        args.teams, args.alerts, args.minutes, args.samples = 50, 1_000, 2.0, 200
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
        home = Path(tmp)
        embedded: EmbeddedRedis | None = None
        redis_url = args.redis_url
        if redis_url is None:
            embedded = EmbeddedRedis(home)
            embedded.start()
            redis_url = embedded.url
        try:
            db_url = (
                f"sqlite://{home / 'bench-duty.sqlite3'}" if args.db == "sqlite" else args.pg_url
            )
            result = await run(args, db_url, redis_url, home)
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
