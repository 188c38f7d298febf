"""dutybot db upgrade / status / makemigrations."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click

from bot.cli.base import fail, main, run, settings_of
from bot.core import files
from storage.db import close_db, init_db, pending_migrations, upgrade


@main.group("db")
def db_group() -> None:
    """数据库结构管理。"""


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """把数据库结构升级到最新（SQLite 与 PostgreSQL 使用同一套迁移）。"""
    settings = settings_of(ctx)

    async def work() -> tuple[list[str], int]:
        try:
            applied = await upgrade(settings.effective_database_url)
            await close_db()
            await init_db(settings.effective_database_url)
            # Files earlier versions kept on this machine's disk move into the database,
            # where every replica reaches them (bot.core.files).
            return applied, await files.import_local(settings.resolved_home)
        finally:
            await close_db()

    try:
        applied, imported = run(work())
    except Exception as exc:  # connection refused, permission denied...
        fail(f"升级失败：{type(exc).__name__}: {exc}")
        return
    if applied:
        click.echo("已执行迁移：" + "、".join(applied))
    else:
        click.echo("数据库结构已是最新。")
    if imported:
        click.echo(
            f"已把 {imported} 个本机文件（{files.legacy_dir(settings.resolved_home)}）存入数据库。"
        )


@db_group.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """列出尚未执行的迁移。"""
    settings = settings_of(ctx)
    pending = run(pending_migrations(settings.effective_database_url))
    if pending:
        click.echo("待执行迁移：" + "、".join(pending))
        sys.exit(1)
    click.echo("数据库结构已是最新。")


@db_group.command("copy")
@click.option(
    "--to", "target", required=True, help="目标数据库地址，如 postgres://user:pass@host/db"
)
@click.option(
    "--from", "source", default=None, help="源数据库地址（默认：当前配置的数据库，如内置 SQLite）"
)
@click.pass_context
def db_copy(ctx: click.Context, target: str, source: str | None) -> None:
    """把全部数据复制到另一个数据库（从 SQLite 迁到 PostgreSQL）。

    先停止 dutybot serve / worker，目标数据库须为空（会先建好表结构）；编号、审计链原样保留。
    """
    from storage.copy import CopyError, copy_database

    settings = settings_of(ctx)
    source_url = source or settings.effective_database_url

    def progress(table: str, count: int) -> None:
        click.echo(f"  {table:<32} {count} 行")

    click.echo("正在复制……")
    try:
        counts = run(copy_database(source_url, target, progress))
    except CopyError as exc:
        fail(f"未复制：{exc}")
        return
    except Exception as exc:  # connection refused, permission denied...
        fail(f"复制失败（目标数据库中没有写入数据）：{type(exc).__name__}: {exc}")
        return
    click.echo(
        f"已复制 {sum(counts.values())} 行。把 DUTYBOT_DATABASE_URL 改为目标地址后重新启动，"
        "并运行 dutybot audit verify 确认审计链完整。"
    )


@db_group.command("makemigrations", hidden=True)
@click.argument("name")
def makemigrations(name: str) -> None:
    """(developers) write a migration for model changes, via tortoise's own CLI."""
    with tempfile.TemporaryDirectory() as tmp:
        settings_file = Path(tmp) / "dutybot_mkmig.py"
        settings_file.write_text(
            "from storage.db import tortoise_config\n"
            f"TORTOISE_ORM = tortoise_config('sqlite://{tmp}/scratch.sqlite3')\n"
        )
        cmd = [
            sys.executable, "-m", "tortoise", "-c", "dutybot_mkmig.TORTOISE_ORM",
            "makemigrations", "-n", name,
        ]  # fmt: skip
        env_path = f"{tmp}:{Path.cwd()}"
        import os

        env = {**os.environ, "PYTHONPATH": env_path}
        result = subprocess.run(cmd, env=env, check=False)
        if result.returncode:
            fail("makemigrations failed", result.returncode)
