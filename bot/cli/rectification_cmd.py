"""dutybot rectification token create|list|revoke: tokens of monitoring systems."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import click

from bot.cli.base import fail, main, run_db, settings_of
from bot.clock import SystemClock

SOURCE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@main.group("rectification")
def rectification_group() -> None:
    """整改通知：监测系统接入令牌。"""


@rectification_group.group("token")
def token_group() -> None:
    """POST /api/rectifications 的接入令牌（每个来源一个）。"""


@token_group.command("create")
@click.argument("source")
@click.option("--replace", is_flag=True, help="更换该来源已有的令牌（旧令牌随即失效）")
@click.pass_context
def create(ctx: click.Context, source: str, replace: bool) -> None:
    """为监测系统 SOURCE 生成令牌；令牌只显示这一次，系统只保存其哈希。"""
    if not SOURCE_NAME.match(source):
        fail("来源名称只能由字母、数字、下划线、点和连字符组成（最多 64 个字符），如 web-monitor。")
    settings = settings_of(ctx)
    now = SystemClock(ZoneInfo(settings.timezone)).now()

    async def work() -> str:
        from bot.web.sources import create_token

        try:
            return await create_token(source, now, replace=replace)
        except ValueError as exc:
            fail(str(exc))

    token = run_db(settings, work)
    click.echo(f"来源 {source} 的令牌（只显示这一次，请妥善保存）：")
    click.echo(token)
    click.echo("调用时加请求头：Authorization: Bearer <令牌>")


@token_group.command("list")
@click.pass_context
def list_tokens(ctx: click.Context) -> None:
    """列出已登记的来源（不显示令牌）。"""

    async def work() -> list[tuple[str, str, bool]]:
        from storage.models.rectification import SourceToken

        rows = await SourceToken.all().order_by("source")
        return [(r.source, r.created_at.isoformat(timespec="minutes"), r.revoked) for r in rows]

    rows = run_db(settings_of(ctx), work)
    if not rows:
        click.echo("尚无来源。用 dutybot rectification token create SOURCE 生成。")
    for source, created, revoked in rows:
        click.echo(f"{source}\t生成于 {created}\t{'已停用' if revoked else '有效'}")


@token_group.command("revoke")
@click.argument("source")
@click.pass_context
def revoke(ctx: click.Context, source: str) -> None:
    """停用来源 SOURCE 的令牌。"""

    async def work() -> int:
        from storage.models.rectification import SourceToken

        return await SourceToken.filter(source=source, revoked=False).update(revoked=True)

    if run_db(settings_of(ctx), work) == 0:
        fail(f"没有有效的来源“{source}”。")
    click.echo(f"已停用来源 {source} 的令牌。")
