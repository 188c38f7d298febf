"""A verified Feishu callback → neutral event → dispatch; the same for webhook and long connection.

Messages, menu clicks and "chat entered" are recorded (dedupe) and processed after the answer;
card taps are processed at once, because Feishu shows the toast and the updated card from the
callback answer and never retries a callback.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import dispatch, metrics
from bot.adapters.feishu import constants as c
from bot.adapters.feishu import payloads, people
from bot.adapters.feishu.api import FeishuApi
from bot.adapters.feishu.payloads import CardTap
from bot.adapters.feishu.render import fit_card
from bot.cards.model import Card
from bot.core.directory import chat_by_ref
from bot.core.events import CardActionEvent, FileEvent, MenuEvent, OpenedEvent, Place, TextEvent
from bot.core.outgoing import Toast
from bot.core.routing import Router
from bot.core.services import Services
from bot.dispatch.inline import current_card, tap_within
from storage.enums import Platform

log = logging.getLogger(__name__)

DM = Place(platform=Platform.FEISHU, kind="dm")


async def callback_answer(toast: Toast | None, card: Card | None) -> dict[str, Any]:
    """The JSON a card callback is answered with: a toast and the card's new JSON 2.0."""
    answer: dict[str, Any] = {}
    if toast is not None:
        answer["toast"] = {"type": toast.kind, "content": toast.text}
    if card is not None:
        at = await people.at_ids(m.person_id for m in card.mentions)
        answer["card"] = {"type": "raw", "data": fit_card(card, at)}
    return answer


class FeishuInbound:
    """Turns verified callback bodies into dispatched events and callback answers."""

    def __init__(self, services: Services, router: Router, api: FeishuApi | None = None) -> None:
        self.services = services
        self.router = router
        self.api = api
        self.bot_open_id: str | None = None

    async def learn_bot_open_id(self) -> None:
        """Ask Feishu who the bot is, to tell its @-mention from others (best effort)."""
        if self.api is None:
            return
        try:
            self.bot_open_id = await self.api.bot_open_id()
        except Exception as exc:
            log.warning("could not read the Feishu bot's open_id (%s); using the fallback", exc)

    async def handle(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Act on one verified callback body; returns the JSON answer. Raises ``BadPayload``."""
        parsed = payloads.parse(payload, self.bot_open_id)
        now = self.services.clock.now()
        if isinstance(parsed, payloads.Unsupported):
            log.info("feishu callback of type %s acknowledged and ignored", parsed.event_type)
            return {}
        if isinstance(parsed, CardTap):
            return await self._tap(parsed)
        sender = await people.platform_user(parsed.sender)
        event: TextEvent | MenuEvent | OpenedEvent | FileEvent
        if isinstance(parsed, payloads.IncomingMessage):
            place = (
                DM
                if parsed.chat_type == "p2p"
                else Place(platform=Platform.FEISHU, kind="group", chat_ref=parsed.chat_id)
            )
            if parsed.file_key:
                event = FileEvent(
                    key=parsed.key,
                    sender=sender,
                    place=place,
                    received_at=now,
                    kind="image" if parsed.file_kind == "image" else "file",
                    name=parsed.file_name,
                    media=f"{parsed.message_id}/{parsed.file_key}",
                )
            else:
                event = TextEvent(
                    key=parsed.key, sender=sender, place=place, received_at=now, text=parsed.text
                )
        elif isinstance(parsed, payloads.MenuClick):
            event = MenuEvent(
                key=parsed.key, sender=sender, place=DM, received_at=now, menu_key=parsed.menu_key
            )
        else:
            event = OpenedEvent(key=parsed.key, sender=sender, place=DM, received_at=now)
        accepted = await dispatch.accept_and_process_later(self.services, self.router, event)
        if not accepted:
            log.info("duplicate feishu delivery %s acknowledged and ignored", parsed.key)
        return {}

    async def handle_frame(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``handle`` for long-connection frames: a malformed one is logged and acknowledged
        (a failed ack would only make Feishu push the same bad frame again)."""
        try:
            return await self.handle(payload)
        except payloads.BadPayload as exc:
            metrics.INBOUND_REJECTED.inc("feishu")
            log.warning("feishu long-connection frame with a bad shape ignored: %s", exc)
            return {}

    async def _tap_place(self, open_chat_id: str | None) -> Place:
        if open_chat_id and await chat_by_ref(Platform.FEISHU, open_chat_id) is not None:
            return Place(platform=Platform.FEISHU, kind="group", chat_ref=open_chat_id)
        return DM

    async def _tap(self, tap: CardTap) -> dict[str, Any]:
        if not tap.card_id:
            return await callback_answer(
                Toast(kind="warning", text="这张卡片不是值班助手发出的，或已失效。"), None
            )
        event = CardActionEvent(
            key=tap.key,
            sender=await people.platform_user(tap.sender),
            place=await self._tap_place(tap.open_chat_id),
            received_at=self.services.clock.now(),
            card_id=tap.card_id,
            action=tap.action,
            payload=tap.payload,
            form=tap.form,
        )
        outcome = await tap_within(self.services, self.router, event, c.CALLBACK_DEADLINE_SECONDS)
        if outcome is None:
            # Too slow for the 3 s answer: the card reaches the tapped place when it is done.
            return await callback_answer(
                Toast(kind="info", text="正在处理，请稍候查看卡片更新。"), None
            )
        if outcome.duplicate:
            return await callback_answer(
                Toast(kind="info", text="这次操作已经处理过了。"), await current_card(tap.card_id)
            )
        card = outcome.card
        if card is not None and card.card_id is None:
            card = card.model_copy(update={"card_id": tap.card_id})
        return await callback_answer(outcome.toast, card)
