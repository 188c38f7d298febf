"""The outbox's channel for WeCom's intelligent robot: pushes into groups and single chats.

WeCom's rules for the robot (doc 101463), and what this channel does about them:

- a conversation (a whole group, or one person's single chat) takes 30 messages a minute and
  1,000 an hour, replies and pushes together: a shared Redis budget per conversation; over it,
  the row waits (``RateLimited``), it is never dropped;
- the robot may push into a conversation only after someone wrote to it there: until then a
  row for it goes to the self-built app 1:1 instead (the people @-mentioned and those who may tap
  the card), or waits when the app is off or nobody in particular is addressed;
- robot cards cannot be edited later (the only update is the 5-second answer to a tap, made by
  the inbound side): a later change of a card is posted as a new card saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from bot import ratelimit
from bot.adapters.wecom.render import (
    MAX_ROBOT_MARKDOWN_BYTES,
    RenderError,
    card_markdown,
    clip_bytes,
    task_id_for,
)
from bot.adapters.wecom.render import template_card as render_card
from bot.adapters.wecom_bot.frames import card_body, markdown_body
from bot.cards.model import Card
from bot.core.channels import Delivered, DeliveryError, RateLimited
from bot.core.directory import identity_for
from bot.core.outgoing import Message, OutboxPayload
from bot.core.services import Services
from storage.enums import Platform
from storage.models.machinery import BotConversation, CardRecord, OutboxMessage
from storage.models.org import Chat

log = logging.getLogger(__name__)

BUDGET = "wecom_bot"
# WeCom: "总共给某个会话发消息的限制为 30 条/分钟，1000 条/小时".
CONVERSATION_LIMITS = ((30, 60.0), (1000, 3600.0))
# How often a row for a conversation nobody has opened yet looks again.
UNOPENED_RECHECK_SECONDS = 300.0
UPDATED_HEADER = "卡片有更新，以这张为准"
# errcodes: over the frequency limit; the conversation does not allow a push (yet).
RATE_ERRCODES = {45009, 45033}


class Sender(Protocol):
    async def send(self, chatid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Push one message into a conversation; raises on failure."""
        ...


class SendFailed(Exception):
    def __init__(self, message: str, *, errcode: int | None = None, transient: bool = True):
        super().__init__(message)
        self.errcode = errcode
        self.transient = transient


Kick = Callable[[list[int]], Awaitable[None]]


class WeComBotChannel:
    platform = Platform.WECOM_BOT

    def __init__(self, services: Services, sender: Sender) -> None:
        self.services = services
        self.sender = sender

    async def deliver(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        conversation = await self._conversation(row, payload)
        opened = await BotConversation.filter(conversation_id=conversation).exists()
        if not opened:
            return await self._fall_back(row, payload, conversation)
        try:
            body, task_id = await self._render(row, payload)
        except RenderError as exc:
            raise DeliveryError(f"卡片无法在企业微信显示：{exc}", retry_after=None) from exc
        wait = await ratelimit.take(self.services.redis, BUDGET, conversation, CONVERSATION_LIMITS)
        if wait > 0:
            raise RateLimited(
                "该会话已达企业微信智能机器人限额（30 条/分钟、1000 条/小时），稍后发送",
                retry_after=wait,
            )
        try:
            await self.sender.send(conversation, body)
        except SendFailed as exc:
            if exc.errcode in RATE_ERRCODES:
                raise RateLimited(f"企业微信限频：{exc}", retry_after=60.0) from exc
            raise DeliveryError(str(exc), retry_after=15.0 if exc.transient else 300.0) from exc
        return Delivered(external_id=task_id)

    # ---- where ----------------------------------------------------------------------------

    async def _conversation(self, row: OutboxMessage, payload: OutboxPayload) -> str:
        if row.target_kind == "chat":
            chat = await Chat.filter(id=row.target_id).first()
            if chat is None or not chat.wecom_chat_id:
                raise DeliveryError(
                    "该群没有登记智能机器人的群 ID（wecom_chat_id）", retry_after=None
                )
            return chat.wecom_chat_id
        if row.target_kind == "identity":
            value = (payload.identity or {}).get("value")
            if not value:
                raise DeliveryError("收件人不明", retry_after=None)
            return value
        identity = await identity_for(row.target_id, Platform.WECOM)
        if identity is None:
            raise DeliveryError(
                "此人没有登记企业微信账号（组织名单的 wecom 字段）", retry_after=None
            )
        return identity.value

    # ---- what -----------------------------------------------------------------------------

    async def _render(
        self, row: OutboxMessage, payload: OutboxPayload
    ) -> tuple[dict[str, Any], str | None]:
        if payload.kind == "card_update":
            if payload.card is None:
                raise DeliveryError("卡片更新缺少内容", retry_after=None)
            card = payload.card
            if card.buttons:
                return self._message_body(row, Message(text=UPDATED_HEADER, card=card))
            return self._message_body(row, Message(card=card))
        if payload.message is None:
            raise DeliveryError("消息为空", retry_after=None)
        return self._message_body(row, payload.message)

    def _message_body(
        self, row: OutboxMessage, message: Message
    ) -> tuple[dict[str, Any], str | None]:
        card = message.card
        # A card names its own mentions (template_card / card_markdown): not twice.
        on_card = {m.person_id for m in card.mentions} if card is not None else set()
        mentions = [m.name for m in message.mentions if m.person_id not in on_card]
        lead = " ".join(p for p in (" ".join(f"@{n}" for n in mentions), message.text) if p)
        if card is not None and card.buttons and card.card_id is not None:
            task_id = task_id_for(card.card_id, row.id)
            return card_body(render_card(card, task_id, lead_text=lead)), task_id
        if card is not None:
            content = card_markdown(card, lead_text=message.text, mention_names=mentions)
        else:
            content = lead
        files = "\n".join(f"[文件] {f.name}（请在应用消息或控制台查看）" for f in message.files)
        content = "\n".join(p for p in (content, files) if p)
        return markdown_body(clip_bytes(content, MAX_ROBOT_MARKDOWN_BYTES)), None

    # ---- a conversation nobody opened -----------------------------------------------------

    async def _fall_back(
        self, row: OutboxMessage, payload: OutboxPayload, conversation: str
    ) -> Delivered:
        """The robot may not push here yet: the app 1:1 for the people concerned, or wait."""
        services = self.services
        if Platform.WECOM not in services.channels:
            raise RateLimited(
                "还没有人在该会话中给智能机器人发过消息，机器人暂不能主动发送；"
                "请在群里 @机器人 说一句话（企业微信应用未开启，无法改为单聊发送）",
                retry_after=UNOPENED_RECHECK_SECONDS,
            )
        people, message = await self._fallback_people(row, payload)
        if not people:
            raise RateLimited(
                "还没有人在该群给智能机器人发过消息，机器人暂不能在群里发送；"
                "请在群里 @机器人 说一句话",
                retry_after=UNOPENED_RECHECK_SECONDS,
            )
        from bot.core.emit import Emitter

        async with in_transaction() as conn:
            emitter = Emitter(
                services, conn, key_prefix=f"botfallback:{row.id}", now=services.clock.now()
            )
            for person_id in people:
                await emitter.to_person(person_id, message, platform=Platform.WECOM)
        if emitter.outbox_ids and services.outbox_kick is not None:
            await services.outbox_kick(emitter.outbox_ids)
        log.info(
            "wecom robot cannot push to %s yet; row %s sent 1:1 through the app to %d people",
            conversation,
            row.id,
            len(people),
        )
        return Delivered(external_id="fallback:wecom")

    async def _fallback_people(
        self, row: OutboxMessage, payload: OutboxPayload
    ) -> tuple[list[int], Message]:
        if row.target_kind == "person":
            message = payload.message or (
                Message(text=UPDATED_HEADER, card=payload.card) if payload.card else Message()
            )
            return [row.target_id], message
        if row.target_kind != "chat":
            return [], Message()
        card: Card | None
        if payload.kind == "card_update":
            card = payload.card
            message = Message(text=UPDATED_HEADER, card=card) if card is not None else Message()
        else:
            assert payload.message is not None
            message = payload.message
            card = message.card
        wanted = {m.person_id for m in message.mentions}
        if card is not None and card.card_id is not None:
            record = await CardRecord.filter(id=card.card_id).first()
            if record is not None:
                wanted |= {int(p) for p in record.allowed_person_ids}
        return sorted(wanted), message
