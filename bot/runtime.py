"""Opening and closing a process's services: database, Redis, clock and channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from arq.connections import ArqRedis, RedisSettings, create_pool
from tortoise import connections

from bot import outbox
from bot.adapters.console.channel import ConsoleChannel
from bot.clock import Clock, OffsetClock, SystemClock
from bot.config import Settings, mask_url_password
from bot.constants import ARQ_QUEUE, inbound_job_id, outbox_job_id
from bot.core.services import Services
from bot.deadlines.reconciler import reconcile
from bot.flows.duty.planner import plan_all
from bot.handlers import load_all
from bot.policy.runtime import load_timekeeping
from bot.system_state import load_demo_offset
from storage.db import close_db, init_db, pending_migrations, upgrade
from storage.enums import Platform

log = logging.getLogger(__name__)


class NotMigratedError(RuntimeError):
    pass


class DatabaseUnreachableError(NotMigratedError):
    """The database cannot be reached at all (a start-up failure like a missing migration,
    but the operator must fix the connection, not run ``db upgrade``)."""


def _where(db_url: str) -> str:
    """host:port/name of a database URL (never its password), or the SQLite file."""
    parts = urlsplit(db_url)
    if parts.scheme.startswith("sqlite"):
        return db_url.split("://", 1)[-1]
    return f"{parts.hostname or ''}:{parts.port or ''}{parts.path}"


async def check_reachable(db_url: str) -> None:
    """Connect once and run ``SELECT 1``; raise ``DatabaseUnreachableError`` saying where."""
    try:
        await init_db(db_url)
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        reason = mask_url_password(f"{type(exc).__name__}: {exc}")
        raise DatabaseUnreachableError(
            f"无法连接数据库（{_where(db_url)}）：{reason}\n"
            "请检查 DUTYBOT_DATABASE_URL 以及数据库服务是否在运行、网络是否可达。"
        ) from exc
    finally:
        await close_db()


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # A restarting Redis should not kill the process: arq retries the connection meanwhile.
    settings.conn_retries = 10
    settings.conn_retry_delay = 1
    return settings


async def connect_redis(url: str) -> ArqRedis:
    return await create_pool(redis_settings(url), default_queue_name=ARQ_QUEUE)


def make_outbox_kick(services: Services) -> None:
    """After a commit, ask the worker to deliver the new rows (the sweeper is the safety net)."""

    async def kick(row_ids: list[int]) -> None:
        try:
            targets = await outbox.targets_for(row_ids)
            if targets:
                await services.redis.enqueue_job(
                    "deliver_outbox_targets",
                    [[t.platform, t.kind, t.id] for t in targets],
                    _job_id=outbox_job_id(min(row_ids)),
                )
        except Exception:  # Redis down: rows stay pending and the sweeper delivers them
            log.warning("could not enqueue outbox delivery; the sweeper will pick it up")

    services.outbox_kick = kick


class InboundKicker:
    """Hands acknowledged deliveries to the worker, many per arq job under load.

    Enqueueing an arq job costs several Redis round trips; under a burst of callbacks the web
    process would spend more time enqueueing than answering. Ids are collected for a few
    milliseconds and sent as one ``process_inbound_batch`` job. A crash before the flush loses
    nothing: the rows stay ``received`` and ``sweep_inbound`` processes them.
    """

    WINDOW_SECONDS = 0.005
    MAX_BATCH = 200

    def __init__(self, services: Services) -> None:
        self.services = services
        self.pending: list[int] = []
        self.flusher: asyncio.Task[None] | None = None

    async def kick(self, inbound_id: int) -> None:
        self.pending.append(inbound_id)
        if len(self.pending) >= self.MAX_BATCH:
            await self.flush()
        elif self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush_soon())
            self.services.background.add(self.flusher)
            self.flusher.add_done_callback(self.services.background.discard)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.WINDOW_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            await self.services.redis.enqueue_job(
                "process_inbound_batch", batch, _job_id=inbound_job_id(batch[0])
            )
        except Exception:  # Redis down: the rows stay `received`; sweep_inbound processes them
            log.warning(
                "could not enqueue %d deliveries; the sweeper will process them", len(batch)
            )


def make_inbound_kick(services: Services) -> None:
    """Acknowledged deliveries are processed by the worker, not the web process."""
    services.inbound_kick = InboundKicker(services).kick


def wire_demo_clock(services: Services) -> None:
    """In the demo, fire what became due as soon as the console moves the clock.

    Deferred arq jobs wait in real time; after a jump of the demo clock the duty planner fills
    the roster up to the new date and the reconciler fires everything that is now due at once.
    """

    async def on_clock_change() -> None:
        # The duty roster first: a jump of days must find the shifts there (the hourly cron
        # runs in real time), then whatever became due fires.
        await plan_all(services.timekeeping.calendar(), services.clock.now())
        await reconcile(services, wait=True)

    services.on_clock_change = on_clock_change


DEMO_CLOCK_POLL_SECONDS = 1.0


async def follow_demo_clock(clock: OffsetClock) -> None:
    """``DUTYBOT_DEMO_CLOCK``: keep this process's clock on the offset stored in the database,
    so a separate ``serve`` and ``worker`` share one demo clock. The worker's reconcile cron
    then fires whatever a jump made due (within its sweep interval)."""
    while True:
        await asyncio.sleep(DEMO_CLOCK_POLL_SECONDS)
        try:
            offset = await load_demo_offset()
        except Exception:  # the database is away: keep the last offset, try again
            log.warning("could not read the demo clock offset", exc_info=True)
            continue
        if offset != clock.offset:
            log.info("demo clock moved: offset %s", offset)
            clock.offset = offset


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    redis_url: str,
    demo: bool = False,
    migrate: bool = False,
    clock: Clock | None = None,
) -> AsyncIterator[Services]:
    """Everything a web or worker process needs, closed again on exit."""
    # Policy preset, overrides and calendar file are checked before anything else starts.
    timekeeping = load_timekeeping(settings)
    load_all()  # every command, card action and step handler, before any event or step
    db_url = settings.effective_database_url
    if migrate:
        await upgrade(db_url)
        await close_db()
    else:
        await check_reachable(db_url)
        pending = await pending_migrations(db_url)
        if pending:
            raise NotMigratedError(
                "数据库结构不是最新（待执行："
                + "、".join(pending)
                + "），请先运行 dutybot db upgrade"
            )
    await init_db(db_url)
    redis: ArqRedis | None = None
    try:
        redis = await connect_redis(redis_url)
        tz = ZoneInfo(settings.timezone)
        if clock is None:
            shared = demo or settings.demo_clock
            clock = OffsetClock(tz, await load_demo_offset()) if shared else SystemClock(tz)
        services = Services(settings=settings, clock=clock, redis=redis, demo=demo)
        if settings.console_enabled(demo):
            services.channels[Platform.CONSOLE] = ConsoleChannel(clock)
        if settings.wecom_enabled:
            from bot.adapters.wecom import enable_wecom

            enable_wecom(services)
        if settings.wecom_bot_enabled:
            from bot.adapters.wecom_bot import enable_wecom_bot

            enable_wecom_bot(services)
        if settings.feishu_enabled:
            # Imported only when configured: nothing Feishu-related loads otherwise.
            from bot.adapters.feishu.setup import install_feishu

            install_feishu(services)
        make_outbox_kick(services)
        make_inbound_kick(services)
        services.timekeeping = timekeeping
        if demo:
            wire_demo_clock(services)
        follower = (
            asyncio.create_task(follow_demo_clock(clock))
            if settings.demo_clock and not demo and isinstance(clock, OffsetClock)
            else None
        )
        try:
            yield services
        finally:
            if follower is not None:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
            await services.wait_background()
            await services.close()
    finally:
        if redis is not None:
            await redis.aclose()
        await close_db()
