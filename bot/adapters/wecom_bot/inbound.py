"""A verified robot body → neutral event → dispatch, for both transports.

``RobotInbound.handle`` returns the passive answer, if any, that the transport sends back
(``aibot_respond_*`` on the long connection, the encrypted HTTP response in callback mode):

- an @-command in a known group, or a message in a single chat: recorded (dedupe on msgid) and
  processed after the answer; the conversation is marked open, so the outbox may push there;
- an @-mention in a group the org file does not list: answered at once with the group's chatid,
  for the administrator to put in the org file (nothing else can be done there);
- a card tap: processed at once, because the card can only change in the answer to the tap,
  within 5 seconds. A refusal changes the card for the tapper only (``userids``), saying why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from tortoise.exceptions import IntegrityError

from bot import dispatch, metrics
from bot.adapters.wecom.render import RenderError, template_card
from bot.adapters.wecom_bot.frames import (
    BadBody,
    BotTap,
    BotText,
    parse,
    stream_body,
    update_body,
)
from bot.cards.model import Card
from bot.core.directory import chat_by_ref
from bot.core.events import CardActionEvent, Place, PlatformUser, TextEvent
from bot.core.routing import Router
from bot.core.services import Services
from bot.dispatch.inline import current_card, tap_within
from storage.enums import IdentityKind, Platform
from storage.models.machinery import BotConversation

log = logging.getLogger(__name__)

# WeCom drops a tap's answer after 5 s; leave room for the answer's own trip.
TAP_DEADLINE_SECONDS = 3.5
SLOW_TAP_TEXT = "【正在处理】请稍候，处理完成后会发出更新后的卡片。"


@dataclass(frozen=True)
class Answer:
    """A passive answer: a reply to a message, or the tapped card's update."""

    kind: Literal["msg", "update"]
    body: dict[str, Any]


def unknown_group_text(chatid: str) -> str:
    return (
        "本群还没有登记到值班助手，暂时不能在这里办理。\n"
        f"请管理员在组织名单该群的条目中填写 `wecom_chat_id: {chatid}`，"
        "然后运行 `dutybot org load`。"
    )


class RobotInbound:
    def __init__(self, services: Services, router: Router, bot_name: str = "") -> None:
        self.services = services
        self.router = router
        self.bot_name = bot_name

    async def handle(self, body: dict[str, Any]) -> Answer | None:
        try:
            parsed = parse(body, self.bot_name)
        except BadBody as exc:
            metrics.INBOUND_REJECTED.inc(Platform.WECOM_BOT.value)
            log.warning("wecom robot body ignored: %s", exc)
            return None
        if isinstance(parsed, BotText):
            return await self._text(parsed)
        if isinstance(parsed, BotTap):
            return await self._tap(parsed)
        log.info("wecom robot %s from %s acknowledged and ignored", parsed.kind, parsed.sender)
        return None

    def _sender(self, userid: str) -> PlatformUser:
        # The robot's people are the corp's userids, the same as the self-built app's.
        return PlatformUser(platform=Platform.WECOM, kind=IdentityKind.USERID, value=userid)

    def _place(self, chat_type: str, chatid: str) -> Place:
        if chat_type == "group":
            return Place(platform=Platform.WECOM_BOT, kind="group", chat_ref=chatid)
        return Place(platform=Platform.WECOM_BOT, kind="dm")

    async def _text(self, text: BotText) -> Answer | None:
        await self._mark_open(text)
        if text.chat_type == "group" and await chat_by_ref(Platform.WECOM_BOT, text.chatid) is None:
            log.info("wecom robot @-mentioned in unregistered group %s", text.chatid)
            return Answer("msg", stream_body(unknown_group_text(text.chatid)))
        event = TextEvent(
            key=text.msgid,
            sender=self._sender(text.sender),
            place=self._place(text.chat_type, text.chatid),
            received_at=self.services.clock.now(),
            text=text.text or "帮助",
        )
        accepted = await dispatch.accept_and_process_later(self.services, self.router, event)
        if not accepted:
            metrics.INBOUND_DUPLICATES.inc(Platform.WECOM_BOT.value)
            log.info("duplicate wecom robot message %s ignored", text.msgid)
        return None

    async def _mark_open(self, text: BotText) -> None:
        """The robot may push into this conversation from now on (WeCom's rule)."""
        now = self.services.clock.now()
        values: dict[str, Any] = {"last_message_at": now, "last_sender": text.sender}
        if text.response_url:
            values |= {"response_url": text.response_url, "response_url_at": now}
        updated = await BotConversation.filter(conversation_id=text.conversation).update(**values)
        if updated:
            return
        try:
            await BotConversation.create(
                conversation_id=text.conversation,
                chat_type=text.chat_type,
                first_message_at=now,
                **values,
            )
        except IntegrityError:  # a concurrent first message created it
            await BotConversation.filter(conversation_id=text.conversation).update(**values)

    async def _tap(self, tap: BotTap) -> Answer | None:
        if tap.card_id is None or tap.action is None:
            log.info("wecom robot tap on a card that is not ours (task %s)", tap.task_id)
            return None
        event = CardActionEvent(
            key=tap.msgid,
            sender=self._sender(tap.sender),
            place=self._place(tap.chat_type, tap.chatid),
            received_at=self.services.clock.now(),
            card_id=tap.card_id,
            action=tap.action,
            payload=tap.payload,
        )
        # Read before the work starts: on SQLite the work's transaction holds the only
        # connection, and a read after the deadline would wait for the work to end.
        before = await current_card(tap.card_id)
        outcome = await tap_within(self.services, self.router, event, TAP_DEADLINE_SECONDS)
        if outcome is None:
            # Too slow for the only update the robot has: the card is posted anew when the
            # work is done; meanwhile the tapper's copy says it is under way.
            if before is None:
                return None
            return self._update(before, tap, only_tapper=True, note=SLOW_TAP_TEXT)
        if outcome.duplicate or outcome.failed:
            return None
        toast = outcome.toast
        if toast is not None and toast.kind in ("warning", "error"):
            # Nobody else's card changes; the tapper's copy says why nothing happened.
            current = outcome.card or await current_card(tap.card_id)
            if current is None:
                return None
            # The whole reason, on top (a status line is clipped to 26 characters).
            return self._update(current, tap, only_tapper=True, note=f"【未生效】{toast.text}")
        if outcome.card is None:
            return None
        return self._update(outcome.card, tap, only_tapper=False)

    def _update(
        self, card: Card, tap: BotTap, *, only_tapper: bool, note: str = ""
    ) -> Answer | None:
        try:
            rendered = template_card(card, tap.task_id, lead_text=note, update=True)
        except RenderError as exc:
            log.warning("tapped card %s cannot be rendered for WeCom: %s", tap.card_id, exc)
            return None
        # userids only make sense on group cards (WeCom ignores them elsewhere).
        userids = [tap.sender] if only_tapper and tap.chat_type == "group" else None
        return Answer("update", update_body(rendered, userids))
