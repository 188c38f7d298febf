"""WeCom (企业微信) self-built app: callbacks, app messages, template cards, group robots.

``enable_wecom(services)`` is all a process needs: it registers the channel the outbox uses,
the ``/wecom/callback`` routes and the cleanup of the HTTP session. The callback crypto is
importable on its own (``bot.adapters.wecom.crypto.CallbackCrypto``).
"""

from __future__ import annotations

from aiohttp import web

from bot.core.services import Services
from storage.enums import Platform


def enable_wecom(services: Services) -> None:
    """Turn the WeCom channel on in this process (settings must be complete)."""
    from bot.adapters.wecom.api import WeComApi
    from bot.adapters.wecom.channel import WeComChannel
    from bot.adapters.wecom.crypto import CallbackCrypto
    from bot.adapters.wecom.web import WeComCallbackConfig, setup_routes

    settings = services.settings
    corp_id, agent_id = settings.wecom_corp_id, settings.wecom_agent_id
    secret, token, aes_key = settings.wecom_secret, settings.wecom_token, settings.wecom_aes_key
    if not corp_id or agent_id is None or secret is None or token is None or aes_key is None:
        raise ValueError("企业微信配置不完整")
    api = WeComApi(
        settings.wecom_api_base,
        corp_id,
        agent_id,
        secret.get_secret_value(),
        services.redis,
    )

    async def load_file(file_id: str) -> bytes | None:
        from bot.core import files

        found = await files.read(services, file_id)
        return found[1] if found is not None else None

    channel = WeComChannel(api, services.redis, services.clock, load_file)
    services.channels[Platform.WECOM] = channel
    config = WeComCallbackConfig(
        corp_id=corp_id,
        agent_id=agent_id,
        crypto=CallbackCrypto(token.get_secret_value(), aes_key.get_secret_value(), corp_id),
    )

    def routes(app: web.Application) -> None:
        from bot.adapters.wecom.signin import WeComSignIn
        from bot.web.dash.signin import register_provider

        setup_routes(app, config)
        register_provider(
            app, WeComSignIn(api, settings.wecom_oauth_base, settings.wecom_login_base)
        )

    services.web_routes.append(routes)
    services.on_close.append(channel.aclose)
