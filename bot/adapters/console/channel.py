"""Console delivery: an outbox row becomes a line in the simulator's transcript."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from bot.clock import Clock
from bot.core.channels import Delivered, DeliveryError
from bot.core.outgoing import OutboxPayload
from storage.enums import Platform
from storage.models.machinery import ConsoleMessage, OutboxMessage
from storage.models.org import Chat, Person


def dm_chat(person_key: str) -> str:
    return f"dm:{person_key}"


def group_chat(chat_key: str) -> str:
    return f"group:{chat_key}"


def stranger_chat(handle: str) -> str:
    """Someone unknown typed in the console: the refusal lands in their own 1:1 view."""
    return dm_chat(handle)


class ConsoleChannel:
    """Writes bot messages into ``console_message``; the web page polls them."""

    platform = Platform.CONSOLE

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def _chat_key(self, row: OutboxMessage, payload: OutboxPayload) -> str:
        if row.target_kind == "person":
            person = await Person.filter(id=row.target_id).first()
            if person is None:
                raise DeliveryError("收件人不存在", retry_after=None)
            return dm_chat(person.key)
        if row.target_kind == "chat":
            chat = await Chat.filter(id=row.target_id).first()
            if chat is None:
                raise DeliveryError("群聊不存在", retry_after=None)
            return group_chat(chat.key)
        if row.target_kind == "identity" and payload.identity is not None:
            return stranger_chat(payload.identity["value"])
        raise DeliveryError(f"未知的收件类型 {row.target_kind}", retry_after=None)

    async def deliver(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        now = self.clock.now()
        if payload.kind == "card_update":
            if payload.card is None or payload.card_id is None:
                raise DeliveryError("卡片更新缺少内容", retry_after=None)
            chat = await self._chat_key(row, payload)
            await ConsoleMessage.filter(card_id=payload.card_id, chat=chat).update(
                card=payload.card.model_dump(mode="json"), updated_at=now
            )
            return Delivered()
        message = payload.message
        if message is None:
            raise DeliveryError("消息为空", retry_after=None)
        chat = await self._chat_key(row, payload)
        existing = await ConsoleMessage.filter(outbox_id=row.id).first()
        if existing is not None:  # redelivery after a lost acknowledgement
            return Delivered(external_id=str(existing.id))
        try:
            created = await ConsoleMessage.create(
                chat=chat,
                outbox_id=row.id,
                sender_person_id=None,
                text=message.text,
                card=message.card.model_dump(mode="json") if message.card else None,
                card_id=message.card.card_id if message.card else None,
                mentions=[m.model_dump(mode="json") for m in message.mentions],
                files=[f.model_dump(mode="json") for f in message.files],
                created_at=now,
                updated_at=now,
            )
        except IntegrityError:
            again = await ConsoleMessage.get(outbox_id=row.id)
            return Delivered(external_id=str(again.id))
        return Delivered(external_id=str(created.id))
