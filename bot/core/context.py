"""What a handler gets: the event, the person, and the unit of work with ways to answer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card, Mention, Tone
from bot.core import conversation as conversations
from bot.core import files
from bot.core.directory import Member, chat_by_ref
from bot.core.emit import Emitter
from bot.core.events import CardActionEvent, Event, FileEvent, MenuEvent, OpenedEvent, TextEvent
from bot.core.media import Fetched, MediaError, default_name
from bot.core.outgoing import FileRef, Message, Toast
from bot.core.services import Services
from bot.core.work import Outcome, ToastKind, Work
from storage import audit
from storage.models.machinery import CardRecord, Conversation, StoredFile


class HandlerContext(Work):
    """A person's event as a unit of work: everything written through it commits (or rolls
    back) together, and the person gets a reply, a toast or an updated card."""

    def __init__(
        self,
        *,
        services: Services,
        conn: BaseDBAsyncClient,
        event: Event,
        actor: Member,
        now: datetime,
    ) -> None:
        super().__init__(
            services=services,
            conn=conn,
            now=now,
            emit=Emitter(services, conn, key_prefix=f"evt:{event.key}", now=now),
            by=audit.Actor(person_id=actor.id, label=actor.name),
        )
        self.event = event
        self.actor = actor
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

    def notify_toast(self, text: str, kind: ToastKind = "info") -> None:
        self.toast = Toast(kind=kind, text=text)

    async def close_tapped(self, status: str, tone: Tone | None = None) -> Card | None:
        """Close the card that was tapped, showing ``status`` (see ``Emitter.close_card``)."""
        if self.card_record is None:
            return None
        closed = await self.emit.close_card(self.card_record.id, status, tone)
        self.updated_card = closed
        return closed

    def show(self, outcome: Outcome) -> None:
        """Let the person see what their tap did: the toast and the card's new rendering."""
        if outcome.toast:
            self.notify_toast(outcome.toast, outcome.kind)
        if outcome.card is not None:
            self.updated_card = outcome.card

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

    # ---- files people send ---------------------------------------------------------------

    async def keep_file(self, event: FileEvent, *, subject_type: str, subject_id: str) -> FileRef:
        """Store the sent image or file and return its reference; raises ``MediaError``."""
        if event.file_id:
            row = await StoredFile.filter(id=event.file_id).using_db(self.conn).first()
            if row is None:
                raise MediaError("没有找到您上传的文件，请重新上传。")
            return FileRef(file_id=row.id, name=row.name, size=row.size, mime=row.mime)
        fetched = self.media
        if isinstance(fetched, MediaError):
            raise fetched
        if fetched is None:
            # Not fetched before the transaction (the conversation reached this step in the
            # meantime): fetching now would hold the transaction open, so ask for it again.
            raise MediaError("这个文件没能收下，请再发送一次。")
        name = Path(default_name(event, fetched.suggested)).name[:120] or "附件"
        return await files.save(
            self.services,
            self.conn,
            name=name,
            data=fetched.data,
            now=self.now,
            subject_type=subject_type,
            subject_id=subject_id,
            created_by=self.actor.id,
        )

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
