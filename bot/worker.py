"""The arq worker: outbox delivery and the reconcilers that make Redis a cache, never the truth."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from arq import cron
from arq.worker import Retry, Worker
from redis.exceptions import RedisError

from bot import dispatch, heartbeat, outbox
from bot.constants import (
    ARQ_QUEUE,
    INBOUND_RETENTION_DAYS,
    INBOUND_STUCK_SECONDS,
    SWEEP_SECONDS,
)
from bot.core import conversation
from bot.core.services import Services
from bot.deadlines.jobs import fire_deadline_step, reconcile_deadlines
from bot.flows.duty.activity import check_activity
from bot.flows.duty.planner import plan_all
from bot.flows.duty.start.handover import plan_all as plan_handovers_all
from bot.flows.duty.start.leaving import open_pending
from bot.flows.duty.start.patrol import open_patrols
from bot.flows.rectification.quarterly import scheduled_review
from bot.flows.reports.posting import scheduled_posts
from bot.handlers import load_all
from storage.enums import InboundStatus
from storage.models.machinery import InboundEvent

log = logging.getLogger(__name__)


def _services(ctx: dict[str, Any]) -> Services:
    services = ctx["services"]
    assert isinstance(services, Services)
    return services


async def deliver_outbox(ctx: dict[str, Any], platform: str, kind: str, target_id: int) -> int:
    """Deliver one target's pending rows in order (jobs queued by an earlier version)."""
    return await deliver_outbox_targets(ctx, [[platform, kind, target_id]])


async def deliver_outbox_targets(ctx: dict[str, Any], targets: list[list[Any]]) -> int:
    """Deliver the pending rows of the targets one unit of work wrote to, each in order.

    One job for all of them, not one each: an escalation reaches three or four people, and
    an arq job costs about ten Redis round trips before it delivers anything. The targets
    go out side by side, so a slow platform call for one does not hold up the others.
    """
    services = _services(ctx)
    results = await asyncio.gather(
        *(
            outbox.deliver_target(services, outbox.Target(str(p), str(k), int(t)))
            for p, k, t in targets
        ),
        return_exceptions=True,
    )
    sent = 0
    busy = False
    for result in results:
        if isinstance(result, outbox.TargetBusy):
            busy = True
        elif isinstance(result, BaseException):
            raise result
        else:
            sent += result
    if busy:
        # The loop holding a target may have looked for rows just before ours committed:
        # look again shortly rather than leave them to the sweeper (the targets already
        # delivered find nothing left and cost one query each).
        raise Retry(defer=0.5)
    return sent


async def process_inbound_batch(ctx: dict[str, Any], inbound_ids: list[int]) -> None:
    """Handle deliveries the web process recorded and acknowledged, in arrival order.

    Idempotent: a delivery already processed (a retried job, the sweeper first) is skipped.
    """
    services, router = _services(ctx), load_all()
    for inbound_id in inbound_ids:
        await dispatch.process(services, router, inbound_id)


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    """Deliver whatever is due and was not kicked (Redis lost the job, a worker died)."""
    return await outbox.drain(_services(ctx))


async def sweep_inbound(ctx: dict[str, Any]) -> int:
    """Process deliveries recorded but never processed (the web process died mid-way)."""
    services = _services(ctx)
    now = services.clock.now()
    stuck = (
        await InboundEvent.filter(
            status=InboundStatus.RECEIVED,
            received_at__lt=now - timedelta(seconds=INBOUND_STUCK_SECONDS),
        )
        .order_by("id")
        .limit(100)
        .values_list("id", flat=True)
    )
    router = load_all()
    for inbound_id in stuck:
        await dispatch.process(services, router, int(str(inbound_id)))
    await InboundEvent.filter(
        status=InboundStatus.PROCESSED,
        received_at__lt=now - timedelta(days=INBOUND_RETENTION_DAYS),
    ).delete()
    return len(stuck)


async def sweep_conversations(ctx: dict[str, Any]) -> tuple[int, int]:
    """Remind half-filled forms after a day, discard them with notice after a week."""
    return await conversation.sweep_stale(_services(ctx), load_all().flow_label)


async def review_quarter(ctx: dict[str, Any]) -> str | None:
    """The quarterly rectification review, once per quarter (a DB row is the claim)."""
    return await scheduled_review(_services(ctx))


async def post_reports(ctx: dict[str, Any]) -> list[str]:
    """The periodic reports on the preset's cadence, once per period (a DB row is the claim)."""
    return await scheduled_posts(_services(ctx))


async def plan_duty(ctx: dict[str, Any]) -> int:
    """Plan every duty team's shifts ahead (idempotent: an unchanged roster writes nothing)."""
    services = _services(ctx)
    results = await plan_all(services.timekeeping.calendar(), services.clock.now())
    return sum(1 for r in results.values() if r.changed)


async def plan_handovers(ctx: dict[str, Any]) -> int:
    """Plan each shift change's handover and its countdown ahead (idempotent)."""
    return await plan_handovers_all(_services(ctx))


async def duty_watch(ctx: dict[str, Any]) -> int:
    """Every minute: open each running shift's patrol round and close ended ones, and run the
    activity monitor (each warning and alert exactly once: flags are unique rows)."""
    services = _services(ctx)
    opened = await open_patrols(services)
    return opened + await check_activity(services)


async def open_leaving(ctx: dict[str, Any]) -> int:
    """Open the leaving checklists ``org load`` recorded (idempotent: a row lock and status)."""
    return await open_pending(_services(ctx))


FUNCTIONS: list[Any] = [
    deliver_outbox,
    deliver_outbox_targets,
    process_inbound_batch,
    fire_deadline_step,
]
CRON_JOBS: list[Any] = [
    cron(sweep_outbox, second=set(SWEEP_SECONDS), unique=True, run_at_startup=True),
    cron(sweep_inbound, second=set(SWEEP_SECONDS), unique=True, run_at_startup=True),
    cron(sweep_conversations, second={30}, unique=True),
    cron(reconcile_deadlines, second=set(SWEEP_SECONDS), unique=True, run_at_startup=True),
    # Every ten minutes: cheap when the last quarter is reviewed, and catches up after downtime.
    cron(review_quarter, minute=set(range(2, 60, 10)), second={15}, unique=True),
    # After the quarterly review's minutes, so a new quarter's report carries its flags.
    cron(post_reports, minute=set(range(6, 60, 10)), second={35}, unique=True),
    # Hourly: the roster reaches PLAN_AHEAD_DAYS ahead, and a calendar change is picked up.
    cron(plan_duty, minute={7}, second={45}, unique=True, run_at_startup=True),
    # Every five minutes: a handover is planned two days ahead, so a new or changed shift
    # gets its reminder and countdown long before it starts.
    cron(
        plan_handovers, minute=set(range(1, 60, 5)), second={50}, unique=True, run_at_startup=True
    ),
    # Every minute: patrol rounds of running shifts, and the activity monitor.
    cron(duty_watch, second={20}, unique=True, run_at_startup=True),
    # Every sweep: a person who left gets their checklist within seconds of ``org load``.
    cron(open_leaving, second=set(SWEEP_SECONDS), unique=True, run_at_startup=True),
]


def build_worker(
    services: Services, *, burst: bool = False, handle_signals: bool = True, poll_delay: float = 0.1
) -> Worker:
    """An arq worker sharing the process's services (DB, Redis, clock, channels).

    A burst worker (one pass over the queue, then stop) leaves the crons out: with them it
    would first run every ``run_at_startup`` job — planning five weeks of shifts and their
    handovers, opening patrols — which is the long-running worker's business, not a pass's.
    """
    return Worker(
        functions=FUNCTIONS,
        cron_jobs=[] if burst else CRON_JOBS,
        redis_pool=services.redis,
        queue_name=ARQ_QUEUE,
        ctx={"services": services},
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=poll_delay,
        max_jobs=20,
        job_timeout=300,
        keep_result=0,
        # Jobs are idempotent (leases, fencing) so a retried job is harmless.
        max_tries=5,
    )


SHUTDOWN_GRACE_SECONDS = 5.0


async def stop_worker(
    worker: Worker, task: asyncio.Task[None], grace: float = SHUTDOWN_GRACE_SECONDS
) -> None:
    """Stop a worker started with ``handle_signals=False``, letting jobs in flight finish.

    arq's ``close()`` cancels running jobs and then gathers them, which re-raises the
    ``CancelledError`` of a job it has just cancelled: a shutdown that happened to meet a
    sweep in flight ended the process with exit code 1. So stop picking jobs, give running
    ones a few seconds, and only then close; a job still cut short is safe because every job
    is idempotent and the crons pick up whatever it had not done.
    """
    worker.allow_pick_jobs = False
    running = [t for t in worker.tasks.values() if not t.done()]
    if running:
        await asyncio.wait(running, timeout=grace)
    current = asyncio.current_task()
    try:
        await worker.close()
    except asyncio.CancelledError:
        if current is not None and current.cancelling():
            raise  # we are being cancelled ourselves: not arq's leftover job
        log.info("a job was cut short by shutdown; the crons will redo it")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


# ---- running a worker that rides out Redis outages --------------------------------------------

RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 10.0


def redis_trouble(exc: BaseException) -> bool:
    """Redis unreachable, restarting (loading its data) or gone mid-command."""
    return isinstance(exc, RedisError | OSError | TimeoutError)


async def _beat_forever(services: Services, beat: heartbeat.Beat) -> None:
    home = services.settings.resolved_home
    while True:
        try:
            await heartbeat.write(beat, services.clock.now(), home)
        except Exception as exc:  # the database is down: the file still says we live
            heartbeat.touch_file(home)
            log.warning("could not write the worker heartbeat: %s", type(exc).__name__)
        await asyncio.sleep(heartbeat.BEAT_SECONDS)


async def _wait_for_redis(services: Services, stop: asyncio.Event) -> bool:
    """Ping with doubling waits until Redis answers (True) or we are told to stop (False)."""
    delay = RECONNECT_FIRST_SECONDS
    while not stop.is_set():
        try:
            await services.redis.ping()
            return True
        except Exception:  # any failure is "not yet"; logged once by the caller
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(RECONNECT_MAX_SECONDS, delay * 2)
    return False


async def _abandon(worker: Worker, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
    """Drop a worker whose loop died: let its jobs finish briefly, then cancel them.

    Not ``worker.close()``: that closes the Redis pool, which the process's services share.
    Jobs are idempotent; the crons redo whatever a cancelled one left.
    """
    worker.allow_pick_jobs = False
    running = [t for t in worker.tasks.values() if not t.done()]
    if running:
        await asyncio.wait(running, timeout=grace)
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def run_worker(services: Services, stop: asyncio.Event) -> None:
    """Run the arq worker until ``stop``, with a heartbeat, riding out Redis outages.

    arq's loop ends with an exception when Redis goes away (even for a second), and the process
    used to exit with it. Instead: log once, ping with backoff until Redis answers, start a
    fresh loop. Nothing is lost meanwhile: the rows are in the database and the sweeps at
    start-up deliver, fire and process whatever waited. The heartbeat goes on throughout.
    """
    beat = heartbeat.Beat(heartbeat.new_worker_id(), services.clock.now())
    beater = asyncio.create_task(_beat_forever(services, beat))
    try:
        while not stop.is_set():
            worker = build_worker(services, handle_signals=False)
            task = asyncio.create_task(worker.async_run())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if stop.is_set():
                await stop_worker(worker, task)
                return
            exc = task.exception()
            await _abandon(worker)
            if exc is not None and not redis_trouble(exc):
                log.error("the worker loop failed; restarting it", exc_info=exc)
            beat.redis_ok = False
            beat.note = f"Redis 不可达：{type(exc).__name__}: {exc}" if exc else "worker 循环结束"
            log.warning(
                "Redis unreachable (%s); the worker waits and reconnects with backoff",
                type(exc).__name__ if exc else "loop ended",
            )
            await _write_beat_now(services, beat)
            if not await _wait_for_redis(services, stop):
                return
            log.warning("Redis is reachable again; the worker resumes")
            beat.redis_ok, beat.note = True, ""
            await _write_beat_now(services, beat)
    finally:
        beater.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await beater
        with contextlib.suppress(Exception):
            await heartbeat.remove(beat.worker_id)


async def _write_beat_now(services: Services, beat: heartbeat.Beat) -> None:
    with contextlib.suppress(Exception):
        await heartbeat.write(beat, services.clock.now(), services.settings.resolved_home)
