"""WeCom's intelligent robot (智能机器人, API mode): @-commands and tappable cards in groups.

A third channel beside the self-built app (``bot.adapters.wecom``): the app keeps the 1:1 work,
the robot serves groups. ``enable_wecom_bot(services)`` registers the channel the outbox uses and
what the web process runs: the long connection (default) or ``POST /wecom/bot/callback``.

Modules: ``frames`` (bodies in and out), ``longconn`` (the WebSocket client), ``relay`` (other
processes send through the process holding the connection), ``inbound`` (bodies → events),
``callback`` (the encrypted HTTP mode), ``channel`` (the outbox side: budgets, fallback).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.core.services import Services
from storage.enums import Platform


def enable_wecom_bot(services: Services) -> None:
    """Turn the robot channel on in this process (its settings must be complete)."""
    from bot.adapters.wecom_bot.channel import WeComBotChannel
    from bot.adapters.wecom_bot.relay import RobotLink

    settings = services.settings
    if not settings.wecom_bot_enabled:
        raise ValueError("企业微信智能机器人配置不完整")
    link = RobotLink(services)
    services.channels[Platform.WECOM_BOT] = WeComBotChannel(services, link)
    services.web_routes.append(_routes(services, link))
    services.on_close.append(link.close)


def _routes(services: Services, link: object) -> Callable[[web.Application], None]:
    from bot.adapters.wecom_bot.relay import RobotLink

    assert isinstance(link, RobotLink)

    def setup(app: web.Application) -> None:
        from bot.adapters.wecom_bot.callback import add_callback_route
        from bot.adapters.wecom_bot.inbound import RobotInbound
        from bot.web.keys import ROUTER_KEY

        settings = services.settings
        if settings.wecom_bot_mode == "callback":
            add_callback_route(app, services, link)
            return

        async def run(app: web.Application) -> AsyncIterator[None]:
            inbound = RobotInbound(services, app[ROUTER_KEY])
            await link.start_connection(inbound)
            try:
                yield
            finally:
                await link.stop_connection()

        app.cleanup_ctx.append(run)

    return setup
