"""dutybot dash token create|list|revoke: operators' sign-in tokens for /dash."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import click

from bot.cli.base import fail, main, run_db, settings_of
from bot.clock import SystemClock

TOKEN_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")


@main.group("dash")
def dash_group() -> None:
    """监管看板（/dash）。"""


@dash_group.group("token")
def token_group() -> None:
    """运维令牌：没有企业微信/飞书身份的运维人员登录看板（全区只读）。"""


@token_group.command("create")
@click.argument("name")
@click.option("--replace", is_flag=True, help="更换同名令牌（旧令牌随即失效）")
@click.pass_context
def create(ctx: click.Context, name: str, replace: bool) -> None:
    """生成名为 NAME 的看板令牌；令牌只显示这一次，系统只保存其哈希。"""
    if not TOKEN_NAME.match(name):
        fail("名称只能由中文、字母、数字、下划线、点和连字符组成（最多 64 个字符），如 运维-老何。")
    settings = settings_of(ctx)
    now = SystemClock(ZoneInfo(settings.timezone)).now()

    async def work() -> str:
        from bot.web.dash.signin import create_token

        try:
            return (await create_token(name, now, replace=replace)).token
        except ValueError as exc:
            fail(str(exc))

    token = run_db(settings, work)
    click.echo(f"看板令牌“{name}”（只显示这一次，请妥善保存）：")
    click.echo(token)
    click.echo("在 /dash/login 的“运维令牌”处输入即可登录（全区只读）。")


@token_group.command("list")
@click.pass_context
def list_tokens(ctx: click.Context) -> None:
    """列出看板令牌（不显示令牌本身）。"""

    async def work() -> list[tuple[str, str, str, bool]]:
        from storage.models.dash import DashToken

        rows = await DashToken.all().order_by("name")
        return [
            (
                r.name,
                r.created_at.isoformat(timespec="minutes"),
                r.last_used_at.isoformat(timespec="minutes") if r.last_used_at else "从未",
                r.revoked,
            )
            for r in rows
        ]

    rows = run_db(settings_of(ctx), work)
    if not rows:
        click.echo("尚无看板令牌。用 dutybot dash token create 名称 生成。")
    for name, created, used, revoked in rows:
        click.echo(f"{name}\t生成于 {created}\t最近使用 {used}\t{'已吊销' if revoked else '有效'}")


@token_group.command("revoke")
@click.argument("name")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """吊销看板令牌 NAME（用它登录的会话随即失效）。"""
    settings = settings_of(ctx)
    now = SystemClock(ZoneInfo(settings.timezone)).now()

    async def work() -> bool:
        from bot.web.dash.signin import revoke_token

        return await revoke_token(name, now)

    if not run_db(settings, work):
        fail(f"没有有效的看板令牌“{name}”。")
    click.echo(f"已吊销看板令牌“{name}”。")
