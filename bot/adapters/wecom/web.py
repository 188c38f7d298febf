"""``GET/POST /wecom/callback``: verify, decrypt, parse, dedupe, answer at once, work after.

WeCom waits 5 seconds and retries up to three times. Every POST is answered with an empty 200
as soon as the delivery is recorded; handling runs in the background (``sweep_inbound``
finishes it if this process dies first). Bad signatures get 403 and malformed bodies 400,
with nothing stored; nothing a caller can send produces a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot import dispatch, metrics
from bot.adapters.wecom.crypto import (
    MAX_BODY_BYTES,
    BadSignature,
    CallbackCrypto,
    CallbackError,
    MalformedCallback,
)
from bot.adapters.wecom.parse import NON_TEXT_LABELS, Inbound, parse_callback, to_event
from bot.core.directory import find_person
from bot.core.emit import Emitter
from bot.core.events import CardActionEvent, Place, PlatformUser, TextEvent, event_to_json
from bot.core.outgoing import Message
from bot.core.routing import Router
from bot.core.services import Services
from bot.core.text import stranger_text
from bot.web.keys import ROUTER_KEY, SERVICES_KEY
from storage.enums import IdentityKind, InboundStatus, Platform
from storage.models.machinery import InboundEvent

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]

# A signed request older than this is refused. Dedupe keys live 14 days, so a replay is
# either refused here or recognised as a duplicate; the window is generous because
# government intranet servers' clocks are not always right.
MAX_TIMESTAMP_SKEW = 24 * 3600

NON_TEXT_REPLY = "目前只能识别文字消息。请直接输入文字，或发送“帮助”查看可以办理的事项。"


@dataclass(frozen=True)
class WeComCallbackConfig:
    corp_id: str
    agent_id: int
    crypto: CallbackCrypto


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain", charset="utf-8")


def _signed_params(request: web.Request, *names: str) -> list[str]:
    values = [request.query.get(n, "") for n in ("msg_signature", "timestamp", "nonce", *names)]
    if not all(values):
        raise MalformedCallback("缺少签名参数（msg_signature、timestamp、nonce）")
    timestamp = values[1]
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        raise MalformedCallback("timestamp 不是整数") from None
    if skew > MAX_TIMESTAMP_SKEW:
        log.warning("WeCom callback timestamp is %.0f s away from this server's clock", skew)
        raise BadSignature("请求时间戳已过期，请检查服务器时间")
    return values


def make_handlers(config: WeComCallbackConfig) -> tuple[Handler, Handler]:
    """The GET (URL verification) and POST (callbacks) handlers for one app."""

    async def verify(request: web.Request) -> web.Response:
        try:
            sig, ts, nonce, echostr = _signed_params(request, "echostr")
            plain = config.crypto.verify_url(sig, ts, nonce, echostr)
        except CallbackError as exc:
            log.warning("WeCom URL verification refused: %s", exc.message)
            metrics.INBOUND_REJECTED.inc(Platform.WECOM.value)
            return _plain(exc.status, exc.message)
        # Exactly the plaintext: no quotes, no BOM, no newline.
        return web.Response(body=plain.encode("utf-8"), content_type="text/plain")

    async def receive(request: web.Request) -> web.Response:
        services = request.app[SERVICES_KEY]
        router = request.app[ROUTER_KEY]
        try:
            sig, ts, nonce = _signed_params(request)
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise MalformedCallback("回调内容过大")
            body = await request.read()
            xml = config.crypto.decrypt(sig, ts, nonce, body)
            inbound = parse_callback(xml)
        except CallbackError as exc:
            log.warning("WeCom callback refused (%s): %s", exc.status, exc.message)
            metrics.INBOUND_REJECTED.inc(Platform.WECOM.value)
            return _plain(exc.status, exc.message)
        if inbound.agent_id is not None and inbound.agent_id != config.agent_id:
            log.warning(
                "WeCom callback for agent %s ignored (ours: %s)", inbound.agent_id, config.agent_id
            )
            return _plain(200, "")
        await handle_inbound(services, router, inbound)
        return _plain(200, "")

    return verify, receive


async def handle_inbound(services: Services, router: Router, inbound: Inbound) -> None:
    """Record a parsed callback (dedupe) and start its processing; returns at once."""
    if inbound.kind == "non_text":
        await _answer_non_text(services, inbound)
        return
    converted = to_event(inbound, services.clock.now(), int(time.time()))
    event = converted.event
    if event is None:
        log.info("WeCom callback from %s ignored: %s", inbound.sender, converted.reason)
        return
    if isinstance(event, CardActionEvent):
        recorded = await dispatch.accept(event)
        if recorded is None:
            metrics.INBOUND_DUPLICATES.inc(Platform.WECOM.value)
            return
        metrics.INBOUND_EVENTS.inc(Platform.WECOM.value)
        task = asyncio.create_task(_process_tap(services, router, recorded, event))
        services.background.add(task)
        task.add_done_callback(services.background.discard)
        return
    await dispatch.accept_and_process_later(services, router, event)


async def _process_tap(
    services: Services, router: Router, inbound_id: int, event: CardActionEvent
) -> None:
    """Process a tap; what other platforms show as a toast is said in the 1:1 chat.

    The card itself is updated through the outbox with the tap's ResponseCode (see
    docs/decisions/wecom.md), so only refusals and warnings need words.
    """
    outcome = await dispatch.process(services, router, inbound_id)
    try:
        await _say_toast(services, event, outcome)
    except Exception:  # the tap itself is handled; only the notice is lost
        log.exception("could not send the notice for WeCom tap %s", event.key)


async def _say_toast(services: Services, event: CardActionEvent, outcome: dispatch.Outcome) -> None:
    toast = outcome.toast
    if (
        outcome.failed
        or outcome.duplicate
        or toast is None
        or toast.kind not in ("warning", "error")
    ):
        return
    now = services.clock.now()
    async with in_transaction() as conn:
        emitter = Emitter(services, conn, key_prefix=f"toast:wecom:{event.key}", now=now)
        person = await find_person(event.sender, conn)
        notice = Message(text=toast.text)
        if person is None:
            await emitter.to_identity(event.sender, notice)
        else:
            await emitter.to_person(person.id, notice, platform=Platform.WECOM)
    if emitter.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(emitter.outbox_ids)


async def _answer_non_text(services: Services, inbound: Inbound) -> None:
    """Images, voice, files...: say what the bot understands; never feed them to a flow."""
    label = NON_TEXT_LABELS.get(inbound.raw_type, inbound.raw_type)
    now = services.clock.now()
    sender = PlatformUser(platform=Platform.WECOM, kind=IdentityKind.USERID, value=inbound.sender)
    event = TextEvent(
        key=inbound.dedupe_key,
        sender=sender,
        place=Place(platform=Platform.WECOM, kind="dm"),
        received_at=now,
        text=f"[{label}]",
    )
    try:
        async with in_transaction() as conn:
            # Recorded as processed in the same transaction as the answer: dedupe and reply
            # commit together.
            await InboundEvent.create(
                using_db=conn,
                key=f"{Platform.WECOM.value}:{event.key}",
                platform=Platform.WECOM.value,
                payload=event_to_json(event),
                received_at=now,
                status=InboundStatus.PROCESSED,
                processed_at=now,
            )
            emitter = Emitter(services, conn, key_prefix=f"evt:{event.key}", now=now)
            person = await find_person(sender, conn)
            if person is None:
                await emitter.to_identity(sender, Message(text=stranger_text()))
            else:
                await emitter.to_person(
                    person.id, Message(text=NON_TEXT_REPLY), platform=Platform.WECOM
                )
    except IntegrityError:
        metrics.INBOUND_DUPLICATES.inc(Platform.WECOM.value)
        return
    if emitter.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(emitter.outbox_ids)


def setup_routes(app: web.Application, config: WeComCallbackConfig) -> None:
    verify, receive = make_handlers(config)
    app.router.add_get("/wecom/callback", verify)
    app.router.add_post("/wecom/callback", receive)
