"""Turn outgoing intents into outbox rows inside the caller's transaction.

This is where a person or chat becomes a concrete (platform, target) pair: replies go back
where the person spoke; notifications go to the person's preferred enabled platform; group
posts go to every enabled platform the chat is bound to.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card, Tone
from bot.core.capabilities import capabilities
from bot.core.events import PlatformUser
from bot.core.outgoing import Message, OutboxPayload
from bot.core.services import Services
from storage.enums import CardStatus, OutboxStatus, Platform
from storage.models.machinery import CardRecord, OutboxMessage
from storage.models.org import Chat, Identity, Person

log = logging.getLogger(__name__)

PERSON = "person"
CHAT = "chat"
IDENTITY = "identity"


class Emitter:
    """Collects outbox rows for one unit of work; ``outbox_ids`` are kicked after commit."""

    def __init__(
        self, services: Services, conn: BaseDBAsyncClient, *, key_prefix: str, now: datetime
    ) -> None:
        self.services = services
        self.conn = conn
        self.key_prefix = key_prefix
        self.now = now
        self.outbox_ids: list[int] = []
        self._seq = 0
        # The tapped card's rendering at the place it was tapped, when the adapter updates it
        # in the callback response itself (Feishu, WeCom passive reply): no outbox row for it.
        self.inline_target: tuple[str, str, int] | None = None
        self.tapped_card_id: str | None = None
        self.tapped_card: Card | None = None

    def _next_key(self, suffix: str) -> str:
        self._seq += 1
        return f"{self.key_prefix}:{self._seq}:{suffix}"

    async def _enqueue(
        self, platform: Platform, target_kind: str, target_id: int, payload: OutboxPayload
    ) -> int:
        row = await OutboxMessage.create(
            using_db=self.conn,
            idempotency_key=self._next_key(f"{platform.value}:{target_kind}:{target_id}"),
            platform=platform.value,
            target_kind=target_kind,
            target_id=target_id,
            payload=payload.model_dump(mode="json"),
            status=OutboxStatus.PENDING,
            next_attempt_at=self.now,
            created_at=self.now,
        )
        row_id: int = row.id
        self.outbox_ids.append(row_id)
        if payload.message is not None and payload.message.card is not None:
            await self._remember_target(payload.message.card, platform, target_kind, target_id)
        return row_id

    async def _remember_target(
        self, card: Card, platform: Platform, target_kind: str, target_id: int
    ) -> None:
        if card.card_id is None:
            return
        record = await CardRecord.filter(id=card.card_id).using_db(self.conn).first()
        if record is None:
            return
        entry = [platform.value, target_kind, target_id]
        if entry not in record.targets:
            record.targets = [*record.targets, entry]
            await record.save(using_db=self.conn, update_fields=["targets"])

    async def person_platforms(self, person_id: int) -> list[Platform]:
        """Enabled platforms on which the person can be reached, best first."""
        return (await self.people_platforms([person_id]))[person_id]

    async def people_platforms(self, person_ids: list[int]) -> dict[int, list[Platform]]:
        """``person_platforms`` of several people in two queries (an escalation reaches
        several people while every other writer waits for its audit lock)."""
        ids = set(person_ids)
        if not ids:
            return {}
        have: dict[int, set[Platform]] = {i: set() for i in ids}
        rows = (
            await Identity.filter(person_id__in=ids)
            .using_db(self.conn)
            .values_list("person_id", "platform")
        )
        for person_id, platform in rows:
            have[int(str(person_id))].add(Platform(str(platform)))
        preferred = dict(
            await Person.filter(id__in=ids)
            .using_db(self.conn)
            .values_list("id", "preferred_platform")
        )
        enabled = self.services.notification_platforms
        found: dict[int, list[Platform]] = {}
        for person_id in ids:
            reachable = [p for p in enabled if p in have[person_id]]
            best = preferred.get(person_id)
            if best in reachable:
                reachable.remove(Platform(str(best)))
                reachable.insert(0, Platform(str(best)))
            found[person_id] = reachable
        return found

    async def to_person(
        self, person_id: int, message: Message, platform: Platform | None = None
    ) -> list[int]:
        """A 1:1 message on ``platform`` (a reply), else where the person is best reached."""
        if platform is not None:
            return [await self._enqueue_person(platform, person_id, message)]
        return await self.to_people([person_id], message)

    async def to_people(self, person_ids: list[int], message: Message) -> list[int]:
        """The same 1:1 message to each person, where each is best reached."""
        ids: list[int] = []
        platforms = await self.people_platforms(person_ids)
        for person_id in person_ids:
            if not platforms[person_id]:
                log.warning("person %s has no identity on any enabled platform", person_id)
                continue
            ids.append(await self._enqueue_person(platforms[person_id][0], person_id, message))
        return ids

    async def _enqueue_person(self, platform: Platform, person_id: int, message: Message) -> int:
        payload = OutboxPayload(kind="message", message=message)
        return await self._enqueue(platform, PERSON, person_id, payload)

    async def to_chat(
        self, chat_id: int, message: Message, platform: Platform | None = None
    ) -> list[int]:
        """A group post on every enabled platform the chat is bound to (or just ``platform``)."""
        chat = await Chat.filter(id=chat_id).using_db(self.conn).first()
        if chat is None:
            return []
        ids: list[int] = []
        services = self.services
        candidates = services.notification_platforms if platform is None else [platform]
        for candidate in candidates:
            if candidate not in services.channels:
                continue
            if not chat_reachable(chat, candidate):
                continue
            if candidate == Platform.WECOM and self.robot_serves(chat):
                # The intelligent robot posts there, with tappable cards; the group robot's
                # markdown copy would only say the same thing twice.
                continue
            payload = OutboxPayload(kind="message", message=message)
            ids.append(await self._enqueue(candidate, CHAT, chat.id, payload))
        return ids

    def robot_serves(self, chat: Chat) -> bool:
        """Whether WeCom people find tappable cards in this group (the intelligent robot)."""
        return Platform.WECOM_BOT in self.services.channels and chat_reachable(
            chat, Platform.WECOM_BOT
        )

    async def to_identity(self, user: PlatformUser, message: Message) -> list[int]:
        """Answer someone the directory does not know (only the refusal goes this way)."""
        payload = OutboxPayload(
            kind="message",
            message=message,
            identity={"kind": user.kind.value, "value": user.value},
        )
        return [await self._enqueue(user.platform, IDENTITY, 0, payload)]

    async def new_card(
        self,
        card: Card,
        *,
        kind: str,
        allowed_person_ids: list[int],
        subject_type: str = "",
        subject_id: str | int = "",
    ) -> Card:
        """Store a card so taps on it can be checked and routed; returns it with its id."""
        card_id = uuid.uuid4().hex
        stored = card.model_copy(update={"card_id": card_id})
        await CardRecord.create(
            using_db=self.conn,
            id=card_id,
            kind=kind,
            subject_type=subject_type,
            subject_id=str(subject_id),
            allowed_person_ids=sorted(set(allowed_person_ids)),
            content=stored.model_dump(mode="json"),
            status=CardStatus.OPEN,
            created_at=self.now,
            updated_at=self.now,
        )
        return stored

    async def update_card(
        self,
        card_id: str,
        card: Card,
        *,
        close: bool = False,
        allowed_person_ids: list[int] | None = None,
        courtesy: bool = False,
    ) -> Card:
        """Replace a card's content everywhere it was sent.

        ``courtesy``: a change nobody has to see at once (a review moving to its next level, a
        question card answered by typing). It is shown only where re-rendering a card is free;
        elsewhere (WeCom) the stored card changes, and the copy catches up on its next update
        or its next tap, which keeps WeCom's update code and sends no extra message."""
        record = await CardRecord.filter(id=card_id).using_db(self.conn).get()
        stored = card.model_copy(update={"card_id": card_id})
        record.content = stored.model_dump(mode="json")
        record.version += 1
        record.updated_at = self.now
        fields = ["content", "version", "updated_at"]
        if close:
            record.status = CardStatus.CLOSED
            fields.append("status")
        if allowed_person_ids is not None:
            record.allowed_person_ids = sorted(set(allowed_person_ids))
            fields.append("allowed_person_ids")
        await record.save(using_db=self.conn, update_fields=fields)
        payload = OutboxPayload(kind="card_update", card_id=card_id, card=stored)
        if card_id == self.tapped_card_id:
            self.tapped_card = stored
        for platform_value, target_kind, target_id in record.targets:
            platform = Platform(platform_value)
            if card_id == self.tapped_card_id and self.inline_target == (
                platform_value,
                str(target_kind),
                int(target_id),
            ):
                continue
            if courtesy and not capabilities(platform).free_card_updates:
                continue
            if platform in self.services.channels:
                await self._enqueue(platform, str(target_kind), int(target_id), payload)
        return stored

    async def close_card(
        self, card_id: str, status: str, tone: Tone | None = None, *, courtesy: bool = False
    ) -> Card | None:
        """A card whose moment has passed: its outcome as the status line, no buttons, closed
        to taps, everywhere it was sent (``courtesy``: see ``update_card``). None when no such
        card was stored."""
        record = await CardRecord.filter(id=card_id).using_db(self.conn).first()
        if record is None:
            return None
        closed = card_from_record(record).closed(status, tone)
        return await self.update_card(card_id, closed, close=True, courtesy=courtesy)


def chat_reachable(chat: Chat, platform: Platform) -> bool:
    if platform == Platform.CONSOLE:
        return True
    if platform == Platform.WECOM:
        return bool(chat.wecom_webhook_key)
    if platform == Platform.FEISHU:
        return bool(chat.feishu_chat_id)
    if platform == Platform.WECOM_BOT:
        return bool(chat.wecom_chat_id)
    return False


def card_from_record(record: CardRecord) -> Card:
    content: Any = record.content
    return Card.model_validate(content)
