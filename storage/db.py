"""Database configuration, start-up and migrations (tortoise native migrations).

The same migration files apply to SQLite and PostgreSQL: they are operation-based, not SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

MODEL_MODULES: list[str] = [
    "storage.models.org",
    "storage.models.machinery",
    "storage.models.deadlines",
    "storage.models.filing",
    "storage.models.review",
    "storage.models.rectification",
    "storage.models.duty",
    "storage.models.duty_handover",
    "storage.models.duty_alerts",
    "storage.models.duty_leaving",
    "storage.models.reports",
]


def normalise_url(url: str) -> str:
    """Accept the DSN spellings people use (postgresql://, postgresql+asyncpg://).

    SQLite runs in WAL mode (tortoise's default) with synchronous=NORMAL: a commit no longer
    waits for an fsync, which is what makes SQLite fast enough for the bot; the database
    cannot be corrupted by a crash, and only a power loss can drop the last commits.
    """
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres+asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    if url.startswith("sqlite://") and "synchronous=" not in url:
        return url + ("&" if "?" in url else "?") + "synchronous=NORMAL"
    return url


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalise_url(db_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "storage.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(db_url: str) -> None:
    """Open the connection pool for this process (call once, on the loop that will use it)."""
    if db_url.startswith("sqlite://"):
        from pathlib import Path

        path = db_url[len("sqlite://") :].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)


async def close_db() -> None:
    """Close every connection and drop the global context, so ``init_db`` can run again."""
    await Tortoise.close_connections()


async def upgrade(db_url: str) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    if db_url.startswith("sqlite://"):
        from pathlib import Path

        path = db_url[len("sqlite://") :].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    await migrate(config=tortoise_config(db_url), progress=progress)
    return applied


async def pending_migrations(db_url: str) -> list[str]:
    """Migrations on disk not yet applied to the database (empty when up to date)."""
    from tortoise.connection import get_connection
    from tortoise.migrations.executor import MigrationExecutor

    config = tortoise_config(db_url)
    await Tortoise.init(config=config, init_connections=False)
    try:
        executor = MigrationExecutor(get_connection("default"), config["apps"])
        steps = await executor.plan(None)
        return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]
    finally:
        await close_db()


@asynccontextmanager
async def database(db_url: str, *, run_migrations: bool = True) -> AsyncIterator[None]:
    """Migrate (optionally), open, and always close the database."""
    if run_migrations:
        await upgrade(db_url)
        await close_db()
    await init_db(db_url)
    try:
        yield
    finally:
        await close_db()
