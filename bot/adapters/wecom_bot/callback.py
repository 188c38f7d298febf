"""Callback mode: ``GET/POST /wecom/bot/callback``, encrypted JSON (WeCom docs 101033, 101039).

The robot's HTTP mode encrypts like the self-built app (signature over token, timestamp, nonce
and the ciphertext; AES-256-CBC), with the receive id ``""`` and JSON instead of XML: the POST
body is ``{"encrypt": …}`` and a passive answer is
``{"encrypt", "msgsignature", "timestamp", "nonce"}`` (nonce = the request's). A POST is
answered within WeCom's 5 seconds: a message with an empty 200 once it is recorded (the work
runs after), a tap with the card's update.

There is no push API in this mode: the outbox delivers through the newest message's
``response_url`` of a conversation (one use, one hour), and otherwise through the app 1:1
(``channel.py``; the sender here is ``ResponseUrlSender``).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot import metrics
from bot.adapters.wecom.crypto import (
    MAX_BODY_BYTES,
    BadSignature,
    CallbackCrypto,
    CallbackError,
    MalformedCallback,
    signature,
)
from bot.adapters.wecom_bot.channel import SendFailed
from bot.adapters.wecom_bot.inbound import RobotInbound
from bot.core.services import Services
from bot.web.keys import ROUTER_KEY
from storage.enums import Platform
from storage.models.machinery import BotConversation

log = logging.getLogger(__name__)

MAX_TIMESTAMP_SKEW = 24 * 3600
# A response_url is valid for an hour; leave a margin for the trip.
RESPONSE_URL_LIFETIME = timedelta(minutes=55)


def robot_crypto(services: Services) -> CallbackCrypto:
    settings = services.settings
    token, key = settings.wecom_bot_token, settings.wecom_bot_aes_key
    if token is None or key is None:
        raise ValueError("回调模式需要 DUTYBOT_WECOM_BOT_TOKEN 和 DUTYBOT_WECOM_BOT_AES_KEY")
    # "企业内部智能机器人场景中，ReceiveId为空字符串" (doc 101033).
    return CallbackCrypto(token.get_secret_value(), key.get_secret_value(), "")


def seal(crypto: CallbackCrypto, answer: dict[str, Any], nonce: str) -> dict[str, Any]:
    """A passive answer, encrypted and signed as WeCom expects."""
    from wechatpy.enterprise.crypto import PrpCrypto

    plain = json.dumps(answer, ensure_ascii=False)
    encrypt = PrpCrypto(crypto.key).encrypt(plain, crypto.receive_id).decode()
    timestamp = str(int(time.time()))
    return {
        "encrypt": encrypt,
        "msgsignature": signature(crypto.token, timestamp, nonce, encrypt),
        "timestamp": int(timestamp),
        "nonce": nonce,
    }


def _params(request: web.Request, *extra: str) -> list[str]:
    values = [request.query.get(n, "") for n in ("msg_signature", "timestamp", "nonce", *extra)]
    if not all(values):
        raise MalformedCallback("缺少签名参数（msg_signature、timestamp、nonce）")
    try:
        skew = abs(time.time() - int(values[1]))
    except ValueError:
        raise MalformedCallback("timestamp 不是整数") from None
    if skew > MAX_TIMESTAMP_SKEW:
        raise BadSignature("请求时间戳已过期，请检查服务器时间")
    return values


def add_callback_route(app: web.Application, services: Services, link: object) -> None:
    crypto = robot_crypto(services)

    async def verify(request: web.Request) -> web.Response:
        try:
            sig, ts, nonce, echostr = _params(request, "echostr")
            plain = crypto.verify_url(sig, ts, nonce, echostr)
        except CallbackError as exc:
            metrics.INBOUND_REJECTED.inc(Platform.WECOM_BOT.value)
            return web.Response(status=exc.status, text=exc.message)
        return web.Response(body=plain.encode("utf-8"), content_type="text/plain")

    async def receive(request: web.Request) -> web.Response:
        try:
            sig, ts, nonce = _params(request)
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise MalformedCallback("回调内容过大")
            raw = await request.read()
            try:
                envelope: Any = json.loads(raw)
            except ValueError:
                raise MalformedCallback("回调内容不是 JSON") from None
            encrypt = envelope.get("encrypt") if isinstance(envelope, dict) else None
            if not isinstance(encrypt, str) or not encrypt:
                raise MalformedCallback("回调内容缺少 encrypt 字段")
            crypto.check(sig, ts, nonce, encrypt)
            body: Any = json.loads(crypto.open(encrypt))
            if not isinstance(body, dict):
                raise MalformedCallback("解密后的内容不是 JSON 对象")
        except CallbackError as exc:
            log.warning("wecom robot callback refused (%s): %s", exc.status, exc.message)
            metrics.INBOUND_REJECTED.inc(Platform.WECOM_BOT.value)
            return web.Response(status=exc.status, text=exc.message)
        except ValueError:
            metrics.INBOUND_REJECTED.inc(Platform.WECOM_BOT.value)
            return web.Response(status=400, text="解密后的内容不是 JSON")
        inbound = RobotInbound(services, request.app[ROUTER_KEY])
        answer = await inbound.handle(body)
        if answer is None:
            return web.Response(status=200, text="")
        return web.json_response(seal(crypto, answer.body, nonce))

    app.router.add_get("/wecom/bot/callback", verify)
    app.router.add_post("/wecom/bot/callback", receive)


class ResponseUrlSender:
    """Callback mode's only way to post later: a conversation's unused ``response_url``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, chatid: str, body: dict[str, Any]) -> dict[str, Any]:
        now = self.services.clock.now()
        conversation = await BotConversation.filter(conversation_id=chatid).first()
        if (
            conversation is None
            or not conversation.response_url
            or conversation.response_url_at is None
            or now - conversation.response_url_at > RESPONSE_URL_LIFETIME
        ):
            raise SendFailed("该会话没有可用的 response_url", errcode=NO_RESPONSE_URL)
        url = conversation.response_url
        # One use per response_url: take it before the call, so two rows never share one.
        taken = await BotConversation.filter(conversation_id=chatid, response_url=url).update(
            response_url=None
        )
        if not taken:
            raise SendFailed("该会话没有可用的 response_url", errcode=NO_RESPONSE_URL)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(url, json=body) as resp:
                data: Any = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SendFailed(f"调用 response_url 失败：{exc}") from exc
        errcode = int(data.get("errcode", 0)) if isinstance(data, dict) else -1
        if errcode:
            raise SendFailed(f"企业微信拒绝：{errcode}", errcode=errcode)
        return {}


# Our own code for "no usable response_url": the channel falls back to the app 1:1.
NO_RESPONSE_URL = -2
