"""The chat harness: talk to the real bot through the console adapter, as a person would.

Everything is real — router, flows, storage, Redis, outbox — only the transport is the
console's JSON API, driven through aiohttp's test client. After each step the outbox is
drained with the same code the worker runs, and the new messages are returned.

Every bot message a test reads (``say``, ``tap``, ``new_messages``, ``expect``, ``messages``)
is marked seen. The ``harness`` fixture ends each test with ``assert_all_seen``: a message
delivered to someone the test never looked at fails the test, unless the test said it does
not care (``ignore``). Time moves with ``advance``.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from bot.cards.model import Button, Card
from bot.clock import ManualClock
from bot.core.services import Services
from storage.models.machinery import ConsoleMessage
from tests.support.travel import advance, drain


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


# ---- what the test has looked at -------------------------------------------------------------


class Transcript:
    """Which bot messages a test has looked at, per console chat, shared by every harness of
    the test (a test that "restarts" the app builds a second harness on the same services)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.seen: dict[str, int] = {}  # chat → highest message id looked at
        self.ignored: set[str] = set()  # chats whose unread messages the test does not care about
        self.ignore_all = False

    def saw(self, chat: str, message_ids: Iterable[int]) -> None:
        self.seen[chat] = max([self.seen.get(chat, 0), *message_ids])

    async def unseen(self) -> list[ConsoleMessage]:
        """Bot messages in chats the test never looked at (and did not say it ignores).

        A chat the test read at least once is its business: it asserted what it cared about
        there (``expect_nothing`` checks that nothing more came). A chat it never read is a
        person it never asked about — a message there is one nobody checked was meant to be.
        """
        if self.ignore_all:
            return []
        rows = await ConsoleMessage.filter(sender_person_id=None).order_by("id")
        return [row for row in rows if row.chat not in self.ignored and row.chat not in self.seen]


# The transcript of the test now running (set by the ``harness`` fixture via ``watching``).
_current: Transcript | None = None


def watching(services: Services) -> Transcript:
    """Start a test's transcript: every harness built on ``services`` from now on shares it."""
    global _current
    _current = Transcript(services)
    return _current


def stop_watching() -> None:
    global _current
    _current = None


# Set by tests/conftest.py's report hook: did the test body fail? Then the end-of-test check
# stays quiet (the first failure is the one to read).
BODY_FAILED = pytest.StashKey[bool]()


@asynccontextmanager
async def harness_on(
    request: pytest.FixtureRequest, client: TestClient[Any, Any], services: Services
) -> AsyncIterator[ChatHarness]:
    """A chat harness for a fixture (``harness``, or a test's own with another router or
    preset) that ends the test with the check on messages nobody looked at."""
    transcript = watching(services)
    h = ChatHarness(client, services)
    try:
        yield h
        if not request.node.stash.get(BODY_FAILED, True):
            await h.assert_all_seen()
    finally:
        if _current is transcript:
            stop_watching()


def _chat_of(who: str) -> str:
    return who if who.startswith(("dm:", "group:")) else f"dm:{who}"


class ChatHarness:
    def __init__(self, client: TestClient[Any, Any], services: Services) -> None:
        self.client = client
        self.services = services
        # Unique across harness instances: a second harness (a "restarted" app) must not
        # collide with the first one's client ids, which the server dedupes.
        self._ids = (f"{uuid.uuid4().hex[:8]}-{n}" for n in itertools.count(1))
        self._seen: dict[tuple[str, str], int] = {}
        transcript = _current
        if transcript is None or transcript.services is not services:
            transcript = Transcript(services)
        self.transcript = transcript

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

    # ---- time ------------------------------------------------------------------------------

    async def drain(self) -> int:
        """Deliver everything the outbox holds that is due now."""
        return await drain(self.services)

    async def advance(
        self,
        delta: timedelta | None = None,
        *,
        to: datetime | None = None,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
    ) -> int:
        """Move the clock, fire what became due, deliver it (see ``advance``)."""
        return await advance(self.services, delta, to=to, days=days, hours=hours, minutes=minutes)

    # ---- reading ---------------------------------------------------------------------------

    async def messages(self, person: str, chat: str | None = None) -> list[Said]:
        """The whole chat as ``person`` sees it (which marks all of it seen)."""
        chat = chat or self.dm(person)
        resp = await self.client.get(
            "/console/api/messages", params={"as": person, "chat": chat, "limit": "500"}
        )
        data = await resp.json()
        assert data["ok"], data
        said = [_said(m) for m in data["messages"]]
        self.transcript.saw(chat, (m.id for m in said))
        return said

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

    async def latest_card(self, person: str, chat: str | None = None, title: str = "") -> Card:
        """The newest card in the chat (optionally whose title contains ``title``)."""
        for message in reversed(await self.messages(person, chat)):
            if message.card is not None and title in message.card.title:
                return message.card
        raise AssertionError(f"no card{' titled ' + title if title else ''} in {chat or person}")

    # ---- expectations ----------------------------------------------------------------------

    async def expect(self, person: str, *texts: str, chat: str | None = None) -> list[Said]:
        """The new messages to ``person`` (in their 1:1 chat, or ``chat``); fails unless there
        is at least one and each of ``texts`` appears in one of them."""
        found = await self.new_messages(person, chat)
        where = chat or self.dm(person)
        assert found, f"expected a message in {where}, got none"
        for text in texts:
            assert any(text in m.to_text() for m in found), (
                f"expected {text!r} in {where}; got:\n" + "\n---\n".join(map(str, found))
            )
        return found

    async def expect_nothing(self, person: str, chat: str | None = None) -> None:
        """Fails if ``person`` got anything new (in their 1:1 chat, or ``chat``)."""
        found = await self.new_messages(person, chat)
        where = chat or self.dm(person)
        assert not found, f"expected nothing new in {where}; got:\n" + "\n---\n".join(
            map(str, found)
        )

    def ignore(self, *who: str) -> None:
        """Say the test does not care what these people (keys) or chats (``group:…``) get.
        With no arguments: the test does not care about any message it did not read."""
        if not who:
            self.transcript.ignore_all = True
        self.transcript.ignored.update(_chat_of(w) for w in who)

    async def assert_all_seen(self) -> None:
        """Fails on every bot message nobody looked at (the ``harness`` fixture's last step)."""
        unseen = await self.transcript.unseen()
        if unseen:
            lines = [f"{row.chat}: {_row_text(row)}" for row in unseen]
            raise AssertionError(
                f"{len(unseen)} message(s) went to chats this test never looked at (read them"
                " with h.expect / h.new_messages, or say the test does not care with"
                f" h.ignore(...)):\n" + "\n".join(lines)
            )

    # ---- acting ----------------------------------------------------------------------------

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


# ---- cards -----------------------------------------------------------------------------------


def card_of(messages: Iterable[Said], title: str = "") -> Card:
    """The newest card among ``messages`` whose title contains ``title``."""
    messages = list(messages)
    for message in reversed(messages):
        if message.card is not None and title in message.card.title:
            return message.card
    raise AssertionError(f"no card titled {title!r} in {[m.to_text() for m in messages]}")


def find_button(card: Card, button: str) -> Button:
    for candidate in card.buttons:
        if button in (candidate.label, candidate.action):
            return candidate
    labels = [b.label for b in card.buttons]
    raise AssertionError(f"card 「{card.title}」 has no button {button!r}; it has {labels}")


def button_starting(card: Card, prefix: str) -> str:
    """The label of the button on ``card`` that starts with ``prefix``."""
    for button in card.buttons:
        if button.label.startswith(prefix):
            return button.label
    raise AssertionError(f"no button starting {prefix!r}: {[b.label for b in card.buttons]}")


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


def _row_text(row: ConsoleMessage) -> str:
    text = row.text or ""
    if row.card:
        text = (text + " " if text else "") + f"[card 「{row.card.get('title', '')}」]"
    return text.replace("\n", " ")[:160]
