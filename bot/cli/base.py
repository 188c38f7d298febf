"""The ``dutybot`` command group and what its subcommands share (settings, running, failing)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError
from pydantic_settings import SettingsError
from tortoise.exceptions import DBConnectionError

from bot.config import Settings
from bot.logging_setup import configure

T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """政务新媒体值班机器人 dutybot。"""
    try:
        settings = Settings()
    except (SettingsError, ValidationError) as exc:
        fail(settings_error_text(exc))
        return
    configure(settings.log_level, settings.log_format, settings.log_sql)
    ctx.obj = settings


def settings_error_text(exc: Exception) -> str:
    """A configuration error in Chinese, naming the variable (pydantic's text is English)."""
    text = str(exc)
    detail = " ".join(text.split())[:300]
    for name in Settings.model_fields:
        if f'"{name}"' in text or f"\n{name}\n" in f"\n{text}\n":
            return f"配置有误：DUTYBOT_{name.upper()} 的值无法识别，请检查格式（详情：{detail}）"
    return f"配置有误，请检查 DUTYBOT_* 环境变量和 .env 文件（详情：{detail}）"


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def run_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with the database open (no Redis), closing it even on failure.

    A database that cannot be reached or is not migrated is a clear message, not a traceback.
    """

    async def runner() -> T:
        from storage.db import close_db, init_db, pending_migrations

        url = settings.effective_database_url
        try:
            pending = await pending_migrations(url)
        except (OSError, ConnectionError, DBConnectionError) as exc:
            fail(f"无法连接数据库：{exc}")
        if pending:
            waiting = "、".join(pending)
            fail(f"数据库结构不是最新（待执行：{waiting}），请先运行 dutybot db upgrade")
        await init_db(url)
        try:
            return await work()
        finally:
            await close_db()

    return asyncio.run(runner())


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)
