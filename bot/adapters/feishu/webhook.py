"""``POST /feishu/events``: events and card callbacks in webhook mode."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from aiohttp import web

from bot import metrics
from bot.adapters.feishu.inbound import FeishuInbound
from bot.adapters.feishu.payloads import BadPayload
from bot.adapters.feishu.verify import Rejected, open_request

log = logging.getLogger(__name__)

PATH = "/feishu/events"


@dataclass(frozen=True)
class WebhookConfig:
    inbound: FeishuInbound
    encrypt_key: str | None
    verification_token: str | None


WEBHOOK_KEY = web.AppKey("feishu_webhook", WebhookConfig)


def _refuse(status: int, reason: str) -> web.Response:
    metrics.INBOUND_REJECTED.inc("feishu")
    return web.json_response({"code": status, "msg": reason}, status=status)


async def feishu_events(request: web.Request) -> web.Response:
    config = request.app[WEBHOOK_KEY]
    body = await request.read()
    try:
        opened = open_request(
            body,
            request.headers,
            encrypt_key=config.encrypt_key,
            verification_token=config.verification_token,
            now=time.time(),  # signature timestamps are wall-clock by definition
        )
    except Rejected as exc:
        log.warning("feishu callback refused (%s): %s", exc.status, exc.reason)
        return _refuse(exc.status, exc.reason)
    if opened.challenge is not None:
        return web.json_response({"challenge": opened.challenge})
    try:
        answer = await config.inbound.handle(opened.payload)
    except BadPayload as exc:
        log.warning("feishu callback with a bad shape: %s", exc)
        return _refuse(400, f"事件格式不正确：{exc}")
    return web.json_response(answer)


def add_routes(app: web.Application, config: WebhookConfig) -> None:
    app[WEBHOOK_KEY] = config
    app.router.add_post(PATH, feishu_events)
