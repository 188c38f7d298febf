"""Shared fixtures: a real database (SQLite, or PostgreSQL when configured), a real Redis
(embedded, or external when configured), a manual clock and the chat harness.

Set ``DUTYBOT_TEST_DATABASE_URL`` (e.g. postgres://postgres@127.0.0.1:5432/test) and
``DUTYBOT_TEST_REDIS_URL`` (e.g. redis://127.0.0.1:6379/15) to run against external services.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tortoise import Tortoise, connections

from bot.adapters.console.channel import ConsoleChannel
from bot.app import create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.core.services import Services
from bot.handlers import load_all
from bot.org.seed import demo_org_text
from bot.redis_embedded import EmbeddedRedis
from bot.runtime import connect_redis, make_outbox_kick
from storage.db import close_db, init_db, normalise_url, upgrade
from storage.enums import Platform
from tests.support.chat import BODY_FAILED, ChatHarness, harness_on
from tests.support.dates import DEFAULT_NOW, SHANGHAI
from tests.support.orgs import load_org_text

# Re-exported for branches written before tests/support existed (import from tests.support).
__all__ = ["DEFAULT_NOW", "SHANGHAI", "load_org_text"]


@pytest.fixture(scope="session")
def test_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dutybot-home")


@pytest.fixture(scope="session")
def redis_url(test_home: Path) -> Iterator[str]:
    external = os.environ.get("DUTYBOT_TEST_REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(test_home)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _reset_postgres(url: str) -> None:
    async def reset() -> None:
        import asyncpg

        conn = await asyncpg.connect(normalise_url(url).replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()

    asyncio.run(reset())


@pytest.fixture(scope="session")
def db_url(test_home: Path) -> str:
    """A migrated, empty database for the session (migrations are part of what is tested)."""
    external = os.environ.get("DUTYBOT_TEST_DATABASE_URL")
    url = external or f"sqlite://{test_home / 'test.sqlite3'}"
    if url.startswith(("postgres", "postgresql")):
        _reset_postgres(url)

    async def migrate() -> None:
        await upgrade(url)
        await close_db()

    asyncio.run(migrate())
    return url


async def _truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in Tortoise.apps["models"].values()]
    if conn.capabilities.dialect == "postgres":
        # DELETE with the foreign-key triggers off, and the sequences set back, rather than
        # TRUNCATE … RESTART IDENTITY: TRUNCATE gives every table and index a new file, about
        # 160 ms a test here — over three minutes of the PostgreSQL pass — where this takes 3 ms.
        await conn.execute_script(
            "BEGIN; SET LOCAL session_replication_role = replica;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'S' AND n.nspname = current_schema(); COMMIT;"
        )
    else:
        # Foreign keys are enforced; switching them off for the wipe avoids ordering tables.
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "PRAGMA foreign_keys=ON;"
        )
        await conn.execute_script("DELETE FROM sqlite_sequence;")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[str]:
    """An open, empty database for one test."""
    await init_db(db_url)
    await _truncate_all()
    try:
        yield db_url
    finally:
        await close_db()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DEFAULT_NOW)


@pytest.fixture
def settings(test_home: Path, db_url: str, redis_url: str) -> Settings:
    return Settings(
        home=test_home,
        database_url=db_url,
        redis_url=redis_url,
        console=True,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def services(
    db: str, redis_url: str, settings: Settings, clock: ManualClock
) -> AsyncIterator[Services]:
    load_all()  # every flow's step handlers, as the processes register them at start
    redis = await connect_redis(redis_url)
    await redis.flushdb()
    svc = Services(settings=settings, clock=clock, redis=redis, demo=False)
    svc.channels[Platform.CONSOLE] = ConsoleChannel(clock)
    make_outbox_kick(svc)
    try:
        yield svc
    finally:
        await redis.flushdb()
        await redis.aclose()


@pytest.fixture
async def demo_org(services: Services) -> None:
    """The demo district (临江区) loaded into the test database."""
    await load_org_text(demo_org_text(), services.clock.now())


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    """Remember whether the test body failed: the harness's end-of-test check then stays quiet
    (the first failure is the one to read)."""
    report = yield
    if report.when == "call":
        item.stash[BODY_FAILED] = report.failed
    return report


@pytest.fixture
async def harness(
    request: pytest.FixtureRequest,
    client: TestClient[object, object],
    services: Services,
    demo_org: None,
) -> AsyncIterator[ChatHarness]:
    """The chat harness on the demo district. The test fails at the end if a message went to
    someone it never looked at (see ``ChatHarness.ignore``)."""
    async with harness_on(request, client, services) as h:
        yield h
