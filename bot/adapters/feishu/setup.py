"""Turning Feishu on for a process: the channel (every process) and the inbound side (web).

``install_feishu`` is called by ``bot.runtime.open_services`` only when the Feishu settings
are complete, so nothing Feishu-related is loaded otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.adapters.feishu.api import FeishuApi
from bot.adapters.feishu.channel import FeishuChannel
from bot.adapters.feishu.inbound import FeishuInbound
from bot.adapters.feishu.longconn import LongConnection
from bot.adapters.feishu.webhook import WebhookConfig, add_routes
from bot.config import Settings
from bot.core import files
from bot.core.services import Services
from bot.web.keys import ROUTER_KEY
from storage.enums import Platform

log = logging.getLogger(__name__)


@dataclass
class LongConnectionSlot:
    """Where the running long connection can be found (set during start-up)."""

    connection: LongConnection | None = None


LONG_CONNECTION_KEY = web.AppKey("feishu_long_connection", LongConnectionSlot)


def secret_value(value: object) -> str | None:
    """The text of a ``SecretStr`` setting, None when unset or empty."""
    getter = getattr(value, "get_secret_value", None)
    text = getter() if getter is not None else value
    return text if isinstance(text, str) and text else None


def make_api(settings: Settings, services: Services) -> FeishuApi:
    assert settings.feishu_app_id is not None
    return FeishuApi(
        base_url=settings.feishu_api_base,
        app_id=settings.feishu_app_id,
        app_secret=secret_value(settings.feishu_app_secret) or "",
        redis=services.redis,
    )


def route_setup(services: Services, api: FeishuApi) -> Callable[[web.Application], None]:
    """What ``create_app`` runs: the webhook route and/or the long connection."""
    settings = services.settings

    def setup(app: web.Application) -> None:
        from bot.adapters.feishu.signin import FeishuSignIn
        from bot.web.dash.signin import register_provider

        register_provider(app, FeishuSignIn(api))
        inbound = FeishuInbound(services, app[ROUTER_KEY], api)
        encrypt_key = secret_value(settings.feishu_encrypt_key)
        token = secret_value(settings.feishu_verification_token)
        # The webhook needs both keys to authenticate callbacks (signature + token). In
        # long-connection mode it stays available when they are set: card callbacks may still
        # be configured to arrive over HTTP.
        if encrypt_key and token:
            add_routes(app, WebhookConfig(inbound, encrypt_key, token))
        app.on_startup.append(_learn_bot_open_id(inbound))
        if settings.feishu_mode == "websocket":
            slot = LongConnectionSlot()
            app[LONG_CONNECTION_KEY] = slot
            app.cleanup_ctx.append(_long_connection(settings, inbound, slot))

    return setup


def _learn_bot_open_id(
    inbound: FeishuInbound,
) -> Callable[[web.Application], Awaitable[None]]:
    async def learn(app: web.Application) -> None:
        # In the background: a slow or unreachable Feishu must not delay start-up.
        task = asyncio.create_task(inbound.learn_bot_open_id())
        inbound.services.background.add(task)
        task.add_done_callback(inbound.services.background.discard)

    return learn


def _long_connection(
    settings: Settings, inbound: FeishuInbound, slot: LongConnectionSlot
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def run(app: web.Application) -> AsyncIterator[None]:
        assert settings.feishu_app_id is not None
        connection = LongConnection(
            app_id=settings.feishu_app_id,
            app_secret=secret_value(settings.feishu_app_secret) or "",
            domain=settings.feishu_api_base,
            handle=inbound.handle_frame,
        )
        slot.connection = connection
        await connection.start()
        log.info("feishu long connection started (no public callback URL needed)")
        try:
            yield
        finally:
            await connection.stop()
            slot.connection = None

    return run


def install_feishu(services: Services) -> None:
    """Turn Feishu on in this process: the channel, the routes, the session's cleanup."""
    api = make_api(services.settings, services)

    async def load_file(file_id: str) -> bytes | None:
        found = await files.read(services, file_id)
        return found[1] if found is not None else None

    services.channels[Platform.FEISHU] = FeishuChannel(
        api, services.redis, services.clock, load_file
    )
    services.web_routes.append(route_setup(services, api))
    services.on_close.append(api.close)
