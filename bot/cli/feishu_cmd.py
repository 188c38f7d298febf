"""dutybot feishu check: are the Feishu settings right, and what to enter in the console."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from bot.cli.base import fail, main, settings_of


@main.group("feishu")
def feishu_group() -> None:
    """飞书相关工具。"""


@feishu_group.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """用当前配置连一次飞书：换取 tenant_access_token、读取机器人信息，并列出后台要填的内容。"""
    settings = settings_of(ctx)
    status = next(s for s in settings.channel_status() if s.name == "feishu")
    if not status.enabled:
        fail("飞书配置不完整，还缺：" + "、".join(status.missing))
    from bot.adapters.feishu.api import FeishuApi, FeishuApiError
    from bot.adapters.feishu.setup import secret_value
    from bot.handlers import load_all

    assert settings.feishu_app_id is not None
    api = FeishuApi(
        base_url=settings.feishu_api_base,
        app_id=settings.feishu_app_id,
        app_secret=secret_value(settings.feishu_app_secret) or "",
        redis=None,
    )

    async def probe() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        try:
            return await api.check_credentials()
        finally:
            await api.close()

    click.echo(f"飞书应用：{settings.feishu_app_id}（{settings.feishu_api_base}）")
    try:
        bot, chats = asyncio.run(probe())
    except FeishuApiError as exc:
        fail(
            f"连接飞书失败：{exc}\n请核对 DUTYBOT_FEISHU_APP_ID / DUTYBOT_FEISHU_APP_SECRET，"
            "并确认应用已发布、已开启“机器人”能力。"
        )
        return
    except OSError as exc:
        fail(f"无法连接 {settings.feishu_api_base}：{exc}（请检查网络或 DUTYBOT_FEISHU_API_BASE）")
        return
    click.echo("✔ 凭证有效，已换取 tenant_access_token")
    click.echo(f"✔ 机器人：{bot.get('app_name') or '（未命名）'}（open_id {bot.get('open_id')}）")
    if settings.feishu_mode == "websocket":
        click.echo(
            "接收方式：长连接（无需公网地址）。请在开发者后台“事件与回调”中选择“使用长连接接收”。"
        )
    else:
        base = (settings.public_url or "https://<您的域名>").rstrip("/")
        click.echo(f"接收方式：将事件发送至开发者服务器，请求地址：{base}/feishu/events")
        click.echo("          “回调配置”中的卡片回传交互也填同一地址。")
    if chats:
        click.echo("机器人所在的群（组织名单 chats[].feishu_chat_id 填这里的 chat_id）：")
        for chat in chats:
            click.echo(f"  {chat.get('chat_id')}  {chat.get('name') or ''}")
    else:
        click.echo("机器人还没有加入任何群：把机器人拉进审核群、值班群后再运行本命令查看 chat_id。")
    menu = [c for c in load_all().unique_commands() if c.menu_key]
    if menu:
        click.echo("机器人自定义菜单（推送事件）的事件 key：")
        for command in menu:
            click.echo(f"  {command.word:<8} {command.menu_key}")
