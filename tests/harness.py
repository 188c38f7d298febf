"""The chat harness: talk to the real bot through the console adapter, as a person would.

Everything is real — router, flows, storage, Redis, outbox — only the transport is the
console's JSON API, driven through aiohttp's test client. After each step the outbox is
drained with the same code the worker runs, and the new messages are returned.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from bot import outbox
from bot.cards.model import Button, Card
from bot.clock import ManualClock
from bot.core.services import Services


@dataclass
class Said:
    """One message in a console chat, as the page shows it."""

    id: int
    sender: str | None  # person key, None for the bot
    text: str
    card: Card | None
    mentions: list[str] = field(default_factory=list)  # names
    files: list[dict[str, Any]] = field(default_factory=list)  # name, size, url

    def to_text(self) -> str:
        parts = []
        if self.mentions:
            parts.append(" ".join(f"@{m}" for m in self.mentions))
        if self.text:
            parts.append(self.text)
        if self.card is not None:
            parts.append(self.card.to_text())
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()


@dataclass
class Tapped:
    status: int
    ok: bool
    toast: str | None
    toast_kind: str | None
    card: Card | None
    replies: list[Said]
    duplicate: bool = False


class ChatHarness:
    def __init__(self, client: TestClient[Any, Any], services: Services) -> None:
        self.client = client
        self.services = services
        # Unique across harness instances: a second harness (a "restarted" app) must not
        # collide with the first one's client ids, which the server dedupes.
        self._ids = (f"{uuid.uuid4().hex[:8]}-{n}" for n in itertools.count(1))
        self._seen: dict[tuple[str, str], int] = {}

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.services.clock, ManualClock)
        return self.services.clock

    @staticmethod
    def dm(person: str) -> str:
        return f"dm:{person}"

    @staticmethod
    def group(chat_key: str) -> str:
        return f"group:{chat_key}"

    async def drain(self) -> int:
        """Deliver everything the outbox holds that is due now."""
        total = 0
        while True:
            sent = await outbox.drain(self.services)
            total += sent
            if sent == 0:
                return total

    async def messages(self, person: str, chat: str | None = None) -> list[Said]:
        chat = chat or self.dm(person)
        resp = await self.client.get(
            "/console/api/messages", params={"as": person, "chat": chat, "limit": "500"}
        )
        data = await resp.json()
        assert data["ok"], data
        return [_said(m) for m in data["messages"]]

    async def new_messages(self, person: str, chat: str | None = None) -> list[Said]:
        """Messages in the chat that this harness has not returned to ``person`` before."""
        chat = chat or self.dm(person)
        key = (person, chat)
        seen = self._seen.get(key, 0)
        found = [m for m in await self.messages(person, chat) if m.id > seen]
        if found:
            self._seen[key] = max(m.id for m in found)
        return [m for m in found if m.sender != person]

    async def mark_read(self, person: str, chat: str | None = None) -> None:
        await self.new_messages(person, chat)

    async def say(self, person: str, text: str, chat: str | None = None) -> list[Said]:
        """Send ``text`` as ``person`` and return the bot's new messages in that chat."""
        chat = chat or self.dm(person)
        await self.mark_read(person, chat)
        resp = await self.client.post(
            "/console/api/messages",
            json={"as": person, "chat": chat, "text": text, "client_id": next(self._ids)},
        )
        data = await resp.json()
        assert resp.status == 200, data
        await self.drain()
        return await self.new_messages(person, chat)

    async def send_file(
        self, person: str, name: str, data: bytes, chat: str | None = None
    ) -> list[Said]:
        """Upload a file as ``person`` (the console's 📎) and return the bot's new messages."""
        chat = chat or self.dm(person)
        await self.mark_read(person, chat)
        form = FormData()
        form.add_field("as", person)
        form.add_field("chat", chat)
        form.add_field("client_id", next(self._ids))
        form.add_field("file", data, filename=name, content_type="application/octet-stream")
        resp = await self.client.post("/console/api/files", data=form)
        answer = await resp.json()
        assert resp.status == 200, answer
        await self.drain()
        return await self.new_messages(person, chat)

    async def tap(
        self,
        person: str,
        card: Card | Said,
        button: str,
        *,
        form: dict[str, str] | None = None,
        chat: str | None = None,
        client_id: str | None = None,
    ) -> Tapped:
        """Tap the button labelled (or keyed) ``button`` on ``card`` as ``person``."""
        if isinstance(card, Said):
            assert card.card is not None, f"message has no card: {card}"
            card = card.card
        chosen = find_button(card, button)
        chat = chat or self.dm(person)
        await self.mark_read(person, chat)
        resp = await self.client.post(
            "/console/api/actions",
            json={
                "as": person,
                "chat": chat,
                "card_id": card.card_id,
                "action": chosen.action,
                "payload": chosen.payload,
                "form": form or {},
                "client_id": client_id or next(self._ids),
            },
        )
        data = await resp.json()
        await self.drain()
        toast = data.get("toast") or {}
        return Tapped(
            status=resp.status,
            ok=bool(data.get("ok")),
            toast=toast.get("text"),
            toast_kind=toast.get("kind"),
            card=Card.model_validate(data["card"]) if data.get("card") else None,
            replies=await self.new_messages(person, chat),
            duplicate=bool(data.get("duplicate")),
        )

    async def latest_card(self, person: str, chat: str | None = None, title: str = "") -> Card:
        """The newest card in the chat (optionally whose title contains ``title``)."""
        for message in reversed(await self.messages(person, chat)):
            if message.card is not None and title in message.card.title:
                return message.card
        raise AssertionError(f"no card{' titled ' + title if title else ''} in {chat or person}")


def find_button(card: Card, button: str) -> Button:
    for candidate in card.buttons:
        if button in (candidate.label, candidate.action):
            return candidate
    labels = [b.label for b in card.buttons]
    raise AssertionError(f"card 「{card.title}」 has no button {button!r}; it has {labels}")


def _said(data: dict[str, Any]) -> Said:
    sender = data.get("sender")
    return Said(
        id=int(data["id"]),
        sender=sender["key"] if sender else None,
        text=data.get("text") or "",
        card=Card.model_validate(data["card"]) if data.get("card") else None,
        mentions=[m["name"] for m in data.get("mentions") or []],
        files=list(data.get("files") or []),
    )
