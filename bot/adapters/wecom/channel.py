"""WeCom delivery: 1:1 app messages and card updates, and group robot posts.

Rate budgets are shared through Redis so all workers together stay under WeCom's limits:
WeCom silently drops app messages over 30/min or 1000/h per member, and a group robot takes
20/min. Over budget, a row is postponed (``RateLimited``), never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from bot import ratelimit
from bot.adapters.wecom.api import WeComApi, WeComError
from bot.adapters.wecom.codes import make_update_token, read_update_token
from bot.adapters.wecom.render import (
    RenderError,
    app_message,
    card_id_of_task,
    robot_message,
    task_id_for,
    template_card,
)
from bot.cards.model import Card
from bot.clock import Clock
from bot.core.channels import Delivered, DeliveryError, RateLimited
from bot.core.directory import identity_for
from bot.core.outgoing import FileRef, Message, OutboxPayload
from storage.enums import Platform
from storage.models.machinery import CardDelivery, OutboxMessage
from storage.models.org import Chat

log = logging.getLogger(__name__)

# Reads a stored document's bytes (None when it is gone); see bot/files.py.
LoadFile = Callable[[str], Awaitable[bytes | None]]
MAX_FILE_BYTES = 20 * 1024 * 1024
# Image messages: JPG/PNG up to 2 MB; anything else goes as a file.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_MIMES = frozenset({"image/png", "image/jpeg"})


def shows_as_image(ref: FileRef) -> bool:
    return ref.inline and ref.mime in IMAGE_MIMES and 0 < ref.size <= MAX_IMAGE_BYTES


MEMBER_BUDGET = "wecom-member"
MEMBER_LIMITS = [(30, 60.0), (1000, 3600.0)]
ROBOT_BUDGET = "wecom-robot"
ROBOT_LIMITS = [(20, 60.0)]
# Errors an administrator fixes in the app's settings (secret, agent id, trusted IP):
# keep the rows and retry slowly rather than fail them.
CONFIG_ERRORS = frozenset({40001, 40013, 40056, 40091, 48002, 60020})
# The access token was refused twice in a row (it expired again while being refetched, or
# WeCom rotated it early): a moment later a fresh token works, so retry, never give up.
TOKEN_ERRORS = frozenset({40014, 42001})
UPDATED_LEAD = "（之前发给您的卡片有更新，以这张为准）"


def is_task_id_taken(exc: WeComError) -> bool:
    """WeCom refused a card because its ``task_id`` was used before in this app.

    WeCom documents no error code of its own for this (it answers with a generic "invalid
    parameter" code), so the message is read; anything else stays an error.
    """
    text = str(exc).lower()
    return "task_id" in text and any(w in text for w in ("exist", "duplicate", "重复", "已存在"))


def delivery_error(exc: WeComError) -> DeliveryError:
    """Map a WeCom failure onto the outbox's retry rules."""
    if exc.rate_limited:
        return RateLimited(str(exc), retry_after=exc.retry_after or 60.0)
    if exc.transient:
        return DeliveryError(str(exc), retry_after=exc.retry_after or 15.0)
    if exc.errcode in TOKEN_ERRORS:
        return DeliveryError(str(exc), retry_after=5.0)
    if exc.errcode in CONFIG_ERRORS:
        return DeliveryError(f"{exc}（请检查企业微信应用配置）", retry_after=300.0)
    return DeliveryError(str(exc), retry_after=None)


class WeComChannel:
    """The outbox's WeCom channel."""

    platform = Platform.WECOM

    def __init__(
        self, api: WeComApi, redis: Redis, clock: Clock, load_file: LoadFile | None = None
    ) -> None:
        self.api = api
        self.redis = redis
        self.clock = clock
        self.load_file = load_file

    async def aclose(self) -> None:
        await self.api.aclose()

    async def fetch_media(self, media: str, kind: str) -> tuple[bytes, str]:
        """What a person sent (``media`` is its MediaId; see bot/core/media.py)."""
        return await self.api.download_media(media)

    async def deliver(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        try:
            if row.target_kind == "chat":
                return await self._to_chat(row, payload)
            userid = await self._userid(row, payload)
            if payload.kind == "card_update":
                return await self._update_card(row, payload, userid)
            if payload.message is None:
                raise DeliveryError("消息为空", retry_after=None)
            return await self._send(row, payload.message, userid)
        except WeComError as exc:
            raise delivery_error(exc) from exc
        except RenderError as exc:
            raise DeliveryError(f"卡片无法在企业微信显示：{exc}", retry_after=None) from exc

    async def _userid(self, row: OutboxMessage, payload: OutboxPayload) -> str:
        if row.target_kind == "identity":
            if payload.identity is None or not payload.identity.get("value"):
                raise DeliveryError("收件人不明", retry_after=None)
            return payload.identity["value"]
        if row.target_kind != "person":
            raise DeliveryError(f"未知的收件类型 {row.target_kind}", retry_after=None)
        identity = await identity_for(row.target_id, Platform.WECOM)
        if identity is None:
            raise DeliveryError(
                "此人没有登记企业微信账号（组织名单的 wecom 字段）", retry_after=None
            )
        return identity.value

    async def _take_member(self, userid: str) -> None:
        subject = f"{self.api.agent_id}:{userid}"
        wait = await ratelimit.take(self.redis, MEMBER_BUDGET, subject, MEMBER_LIMITS)
        if wait > 0:
            raise RateLimited(
                f"发给 {userid} 的消息已达企业微信每人限额（30 条/分钟、1000 条/小时），稍后发送",
                retry_after=wait,
            )

    async def _send(self, row: OutboxMessage, message: Message, userid: str) -> Delivered:
        delivered = Delivered()
        if message.text or message.card is not None or not message.files:
            delivered = await self._send_one(row, message, userid)
        # Documents follow as file messages, pictures meant to be seen (``FileRef.inline``: the
        # duty roster's PNG) as image messages (uploaded as temporary media, reused for 2 days).
        for ref in message.files:
            kind = "image" if shows_as_image(ref) else "file"
            body = {
                "touser": userid,
                "msgtype": kind,
                "agentid": self.api.agent_id,
                kind: {"media_id": await self._media_id(ref, kind)},
            }
            await self._take_member(userid)
            await self.api.send_message(body)
        return delivered

    async def _media_id(self, ref: FileRef, kind: str = "file") -> str:
        suffix = "" if kind == "file" else f":{kind}"
        cache = f"wecom:media:{self.api.agent_id}:{ref.file_id}{suffix}"
        cached = await self.redis.get(cache)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        data = await self.load_file(ref.file_id) if self.load_file is not None else None
        if not data:
            raise DeliveryError(f"文件「{ref.name}」已不存在，无法发送", retry_after=None)
        if len(data) > MAX_FILE_BYTES:
            raise DeliveryError(f"文件「{ref.name}」超过企业微信 20MB 上限", retry_after=None)
        media_id = await self.api.upload_file(ref.name, data, kind)
        # Temporary media lives 3 days; reuse it for 2.
        await self.redis.set(cache, media_id, ex=2 * 24 * 3600)
        return media_id

    async def _send_one(self, row: OutboxMessage, message: Message, userid: str) -> Delivered:
        card = message.card
        task_id = None
        if card is not None and card.buttons and card.card_id is not None:
            task_id = task_id_for(card.card_id, row.id)
        body = app_message(userid, self.api.agent_id, message, task_id)
        await self._take_member(userid)
        try:
            data = await self.api.send_message(body)
        except WeComError as exc:
            if task_id is None or not is_task_id_taken(exc):
                raise
            # The task_id names this row's copy of the card and nothing else, so WeCom knows it
            # only because an earlier attempt of this row got through although its answer never
            # reached us (a timeout). The person has the card: done, not sent twice. Its
            # ResponseCode was in the lost answer, so an update will send a fresh copy.
            log.info("WeCom already has card %s for %s: an earlier attempt landed", task_id, userid)
            return Delivered(external_id=task_id)
        invalid = {u for u in str(data.get("invaliduser") or "").split("|") if u}
        if userid in invalid:
            raise DeliveryError(
                f"企业微信成员 {userid} 不存在或不在应用的可见范围内", retry_after=None
            )
        code = str(data.get("response_code") or "")
        return Delivered(
            external_id=task_id or str(data.get("msgid") or "") or None,
            update_token=make_update_token(code, task_id) if code and task_id else None,
        )

    async def _update_card(
        self, row: OutboxMessage, payload: OutboxPayload, userid: str
    ) -> Delivered:
        card, card_id = payload.card, payload.card_id
        if card is None or card_id is None:
            raise DeliveryError("卡片更新缺少内容", retry_after=None)
        delivery = (
            await CardDelivery.filter(
                card_id=card_id,
                platform=Platform.WECOM.value,
                target_kind=row.target_kind,
                target_id=row.target_id,
            )
            .order_by("-id")
            .first()
        )
        if delivery is not None:
            updated = await self._update_in_place(delivery, card, userid)
            if updated is not None:
                return updated
        # No usable ResponseCode (used up, expired, or the copy was markdown): the person
        # gets the current card as a new message, which becomes the copy to update next.
        sent = await self._send(row, Message(text=UPDATED_LEAD, card=card), userid)
        if delivery is None:
            await CardDelivery.create(
                card_id=card_id,
                platform=Platform.WECOM.value,
                target_kind=row.target_kind,
                target_id=row.target_id,
                external_id=sent.external_id,
                update_token=sent.update_token,
                created_at=self.clock.now(),
            )
        else:
            await CardDelivery.filter(id=delivery.id).update(
                external_id=sent.external_id, update_token=sent.update_token
            )
        return sent

    async def _update_in_place(
        self, delivery: CardDelivery, card: Card, userid: str
    ) -> Delivered | None:
        credential = read_update_token(delivery.update_token)
        if credential is None or not credential.usable():
            return None
        # The code belongs to the copy it came with (a tap on an older copy updates that one).
        task_id, code = credential.task_id, credential.code
        if card_id_of_task(task_id) is None:
            return None
        body = {
            "userids": [userid],
            "agentid": self.api.agent_id,
            "response_code": code,
            "template_card": template_card(card, task_id, update=True),
        }
        await self._take_member(userid)
        try:
            await self.api.update_template_card(body)
        except WeComError as exc:
            if exc.transient:
                raise
            # The code was refused (used, expired early): never try it again.
            log.warning("WeCom refused card update for %s: %s", userid, exc)
            await CardDelivery.filter(id=delivery.id).update(update_token=None)
            return None
        await CardDelivery.filter(id=delivery.id).update(update_token=None)
        return Delivered(external_id=delivery.external_id)

    async def _to_chat(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        chat = await Chat.filter(id=row.target_id).first()
        if chat is None or not chat.wecom_webhook_key:
            raise DeliveryError(
                "该群没有配置企业微信群机器人（wecom_webhook_key）", retry_after=None
            )
        if payload.kind == "card_update":
            # A robot cannot edit what it posted, and reposting every change would flood the
            # group; the interactive copies in 1:1 chats are the ones kept current.
            return Delivered()
        message = payload.message
        if message is None:
            raise DeliveryError("消息为空", retry_after=None)
        mentions: list[tuple[str, str | None]] = []
        for mention in message.mentions:
            identity = await identity_for(mention.person_id, Platform.WECOM)
            mentions.append((mention.name, identity.value if identity else None))
        body = robot_message(message, mentions)
        key = chat.wecom_webhook_key
        # The webhook key is a credential: budget by its hash, never by the key itself.
        subject = hashlib.sha256(key.encode()).hexdigest()[:16]
        wait = await ratelimit.take(self.redis, ROBOT_BUDGET, subject, ROBOT_LIMITS)
        if wait > 0:
            raise RateLimited(
                f"群「{chat.name}」的机器人已达 20 条/分钟上限，稍后发送", retry_after=wait
            )
        await self.api.robot_send(key, body)
        return Delivered()
