"""The intelligent robot's message and event bodies → what the bot acts on; reply bodies.

The same JSON arrives in both transports: inside ``aibot_msg_callback`` /
``aibot_event_callback`` frames on the long connection, and decrypted from the ``encrypt``
field of a callback POST. Facts (WeCom docs 100719, 101027, 101463):

- in groups the robot hears only messages that @-mention it, and the mention stays in
  ``text.content`` (we strip it);
- ``msgid`` is the dedupe key ("可能因为网络等原因重复回调"), for events too;
- a card tap is ``msgtype: event`` with ``event.eventtype: template_card_event``; the only way
  to change the card is the answer to that event, within 5 seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.adapters.wecom.render import card_id_of_task, decode_button_key

# A leading "@名字" (WeCom puts a space or U+2005 after it), possibly repeated.
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\S+?(?:[\s\u2005]+|$))+")


class BadBody(ValueError):
    """A body without the fields every message has (no msgid, no sender)."""


@dataclass(frozen=True)
class BotText:
    msgid: str
    sender: str
    chat_type: Literal["group", "single"]
    # The group's chatid; for a single chat the conversation is the sender's userid.
    chatid: str
    text: str
    response_url: str | None = None

    @property
    def conversation(self) -> str:
        return self.chatid if self.chat_type == "group" else self.sender


@dataclass(frozen=True)
class BotTap:
    msgid: str
    sender: str
    chat_type: Literal["group", "single"]
    chatid: str
    task_id: str
    card_id: str | None
    action: str | None
    payload: dict[str, str]

    @property
    def conversation(self) -> str:
        return self.chatid if self.chat_type == "group" else self.sender


@dataclass(frozen=True)
class BotOther:
    """Everything we acknowledge and ignore: enter_chat, feedback, images in single chats…"""

    msgid: str
    sender: str
    kind: str


Parsed = BotText | BotTap | BotOther


def strip_mentions(content: str, bot_name: str = "") -> str:
    """The command without the @-mention(s) in front (and the bot's own anywhere)."""
    text = _LEADING_MENTIONS.sub("", content)
    if bot_name:
        text = text.replace(f"@{bot_name}", " ")
    return text.replace("\u2005", " ").strip()


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse(body: dict[str, Any], bot_name: str = "") -> Parsed:
    """Read one message or event body. Raises ``BadBody``."""
    msgid = _str(body.get("msgid"))
    sender_block = body.get("from")
    sender = _str(sender_block.get("userid")) if isinstance(sender_block, dict) else ""
    if not msgid or not sender:
        raise BadBody("消息缺少 msgid 或发送人")
    chat_type: Literal["group", "single"] = "group" if body.get("chattype") == "group" else "single"
    chatid = _str(body.get("chatid")) if chat_type == "group" else sender
    if chat_type == "group" and not chatid:
        raise BadBody("群消息缺少 chatid")
    msgtype = _str(body.get("msgtype"))
    response_url = _str(body.get("response_url")) or None
    if msgtype == "text":
        text_block = body.get("text")
        content = _str(text_block.get("content")) if isinstance(text_block, dict) else ""
        return BotText(
            msgid, sender, chat_type, chatid, strip_mentions(content, bot_name), response_url
        )
    if msgtype == "mixed":
        # 图文混排: the text parts are the command; pictures in a group command are ignored.
        mixed = body.get("mixed")
        items = mixed.get("msg_item") if isinstance(mixed, dict) else None
        parts = [
            _str(item.get("text", {}).get("content"))
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and item.get("msgtype") == "text"
        ]
        return BotText(
            msgid,
            sender,
            chat_type,
            chatid,
            strip_mentions(" ".join(parts), bot_name),
            response_url,
        )
    if msgtype == "event":
        event = body.get("event")
        event_type = _str(event.get("eventtype")) if isinstance(event, dict) else ""
        if event_type == "template_card_event" and isinstance(event, dict):
            tap = event.get("template_card_event")
            if not isinstance(tap, dict):
                raise BadBody("卡片事件缺少 template_card_event")
            task_id = _str(tap.get("task_id"))
            decoded = decode_button_key(_str(tap.get("event_key")))
            return BotTap(
                msgid=msgid,
                sender=sender,
                chat_type=chat_type,
                chatid=chatid,
                task_id=task_id,
                card_id=card_id_of_task(task_id),
                action=decoded[0] if decoded else None,
                payload=decoded[1] if decoded else {},
            )
        return BotOther(msgid, sender, event_type or "event")
    return BotOther(msgid, sender, msgtype or "unknown")


def markdown_body(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def card_body(card: dict[str, Any]) -> dict[str, Any]:
    return {"msgtype": "template_card", "template_card": card}


def update_body(card: dict[str, Any], userids: list[str] | None = None) -> dict[str, Any]:
    """The answer to a tap: the card's new rendering, for everyone or only ``userids``."""
    body: dict[str, Any] = {"response_type": "update_template_card", "template_card": card}
    if userids:
        body["userids"] = userids
    return body
