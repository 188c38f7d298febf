"""dutybot wecom menu show / push: the WeCom app menu."""

from __future__ import annotations

import json
from typing import Any

import click

from bot.cli.base import fail, main, run, settings_of
from bot.config import Settings


@main.group("wecom")
def wecom_group() -> None:
    """企业微信：应用菜单等。"""


@wecom_group.group("menu")
def menu_group() -> None:
    """企业微信应用菜单（备案 / 送审 / 值班 / 整改 / 帮助）。"""


def _unhandled_items() -> list[str]:
    from bot.adapters.wecom.menu import MENU_ITEMS
    from bot.handlers import load_all

    router = load_all()
    return [f"{label}（{key}）" for label, key in MENU_ITEMS.items() if not router.by_menu_key(key)]


@menu_group.command("show")
def show() -> None:
    """显示将要安装的菜单（JSON）。"""
    from bot.adapters.wecom.menu import app_menu

    click.echo(json.dumps(app_menu(), ensure_ascii=False, indent=2))


async def _push(settings: Settings) -> dict[str, Any]:
    from redis.asyncio import Redis

    from bot.adapters.wecom.api import WeComApi
    from bot.adapters.wecom.menu import app_menu

    assert settings.wecom_corp_id
    assert settings.wecom_secret
    assert settings.wecom_agent_id is not None
    # Share the servers' token cache when Redis is configured; otherwise fetch one token.
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    api = WeComApi(
        settings.wecom_api_base,
        settings.wecom_corp_id,
        settings.wecom_agent_id,
        settings.wecom_secret.get_secret_value(),
        redis,
    )
    try:
        return await api.create_menu(app_menu())
    finally:
        await api.aclose()
        if redis is not None:
            await redis.aclose()


@menu_group.command("push")
@click.pass_context
def push(ctx: click.Context) -> None:
    """把应用菜单安装到企业微信（需要 CORP_ID、AGENT_ID、SECRET）。"""
    from bot.adapters.wecom.api import WeComError

    settings = settings_of(ctx)
    missing = [
        name
        for name, value in (
            ("DUTYBOT_WECOM_CORP_ID", settings.wecom_corp_id),
            ("DUTYBOT_WECOM_AGENT_ID", settings.wecom_agent_id),
            ("DUTYBOT_WECOM_SECRET", settings.wecom_secret),
        )
        if value in (None, "")
    ]
    if missing:
        fail(f"缺少企业微信配置：{'、'.join(missing)}")
    try:
        run(_push(settings))
    except WeComError as exc:
        fail(f"安装菜单失败：{exc}。请检查应用的 Secret、AgentId 和企业可信 IP 设置。")
    click.echo(
        f"已安装企业微信应用菜单（应用 {settings.wecom_agent_id}）：备案、送审、整改、值班、帮助。"
    )
    unhandled = _unhandled_items()
    if unhandled:
        click.echo(
            "注意：以下菜单项暂无对应功能，点击后机器人会提示查看帮助：" + "、".join(unhandled)
        )
