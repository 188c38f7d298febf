"""What a handler gets: the event, the person, the time, the transaction and ways to answer."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card, Mention
from bot.core import conversation as conversations
from bot.core.emit import Emitter
from bot.core.events import CardActionEvent, Event, MenuEvent, OpenedEvent, TextEvent
from bot.core.outgoing import FileRef, Message, Toast
from bot.directory import Member, chat_by_ref
from bot.services import Services
from storage import audit
from storage.models.machinery import CardRecord, Conversation

if TYPE_CHECKING:  # bot.core.media imports this module
    from bot.core.media import Fetched, MediaError


class HandlerContext:
    """One unit of work: everything written through it commits (or rolls back) together."""

    def __init__(
        self,
        *,
        services: Services,
        conn: BaseDBAsyncClient,
        event: Event,
        actor: Member,
        now: datetime,
    ) -> None:
        self.services = services
        self.conn = conn
        self.event = event
        self.actor = actor
        self.now = now
        self.emit = Emitter(services, conn, key_prefix=f"evt:{event.key}", now=now)
        self.toast: Toast | None = None
        # The card the tapped card became, returned to platforms that update it inline.
        self.updated_card: Card | None = None
        self.card_record: CardRecord | None = None
        # A sent image or file, fetched from its platform before the transaction opened.
        self.media: Fetched | MediaError | None = None

    # ---- answering -------------------------------------------------------------------------

    async def reply(
        self, text: str = "", *, card: Card | None = None, mentions: tuple[Mention, ...] = ()
    ) -> None:
        """Answer where the person spoke (their 1:1 chat or the group), on the same platform."""
        message = Message(text=text, card=card, mentions=mentions)
        place = self.event.place
        if place.kind == "group" and place.chat_ref is not None:
            chat = await chat_by_ref(place.platform, place.chat_ref, self.conn)
            if chat is not None:
                await self.emit.to_chat(chat.id, message, platform=place.platform)
                return
        await self.emit.to_person(self.actor.id, message, platform=place.platform)

    async def reply_privately(
        self, text: str = "", *, card: Card | None = None, files: tuple[FileRef, ...] = ()
    ) -> None:
        """Answer in the person's 1:1 chat on this platform, even if they spoke in a group."""
        await self.emit.to_person(
            self.actor.id,
            Message(text=text, card=card, files=files),
            platform=self.event.place.platform,
        )

    def notify_toast(
        self, text: str, kind: Literal["info", "success", "warning", "error"] = "info"
    ) -> None:
        self.toast = Toast(kind=kind, text=text)

    async def audit(
        self,
        action: str,
        subject_type: str,
        subject_id: str | int,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await audit.record(
            self.conn,
            actor=audit.Actor(person_id=self.actor.id, label=self.actor.name),
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            at=self.now,
            detail=detail,
        )

    # ---- conversations ---------------------------------------------------------------------

    @property
    def place_key(self) -> str:
        return self.event.place.key

    async def conversation(self, *, lock: bool = True) -> Conversation | None:
        return await conversations.load(self.conn, self.actor.id, self.place_key, lock=lock)

    async def start_conversation(self, flow: str, step: str, data: dict[str, Any]) -> Conversation:
        return await conversations.start(
            self.conn,
            person_id=self.actor.id,
            place=self.place_key,
            flow=flow,
            step=step,
            data=data,
            now=self.now,
        )

    async def save_conversation(self, conv: Conversation, step: str, data: dict[str, Any]) -> None:
        await conversations.save(self.conn, conv, step=step, data=data, now=self.now)

    async def end_conversation(self, conv: Conversation) -> None:
        await conversations.finish(self.conn, conv)

    # ---- event shape helpers -----------------------------------------------------------------

    @property
    def text(self) -> str:
        return self.event.text.strip() if isinstance(self.event, TextEvent) else ""

    @property
    def card_action(self) -> CardActionEvent:
        if not isinstance(self.event, CardActionEvent):
            raise TypeError("not a card action")
        return self.event

    @property
    def is_interactive_event(self) -> bool:
        return isinstance(self.event, TextEvent | MenuEvent | OpenedEvent)
