"""Decrypted Feishu callbacks → plain records. Pure: no database, no network.

Only ``im.message.receive_v1``, ``card.action.trigger``, the bot menu and "p2p chat entered"
mean anything to the bot; every other type is ``Unsupported`` and gets acknowledged (a 5xx
would make Feishu retry it for seven hours).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core import untrusted

MESSAGE_RECEIVED = "im.message.receive_v1"
CARD_ACTION = "card.action.trigger"
BOT_MENU = "application.bot.menu_v6"
P2P_ENTERED = "im.chat.access_event.bot_p2p_chat_entered_v1"

# What a person sent that is not text: said back to them so "没有看懂" makes sense.
NON_TEXT_LABELS = {
    "image": "[图片]",
    "file": "[文件]",
    "audio": "[语音]",
    "media": "[视频]",
    "sticker": "[表情]",
    "interactive": "[卡片]",
    "share_chat": "[群名片]",
    "share_user": "[个人名片]",
    "location": "[位置]",
}

_DATE_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?) [+-]\d{4}$")


class BadPayload(ValueError):
    """A verified callback whose shape is wrong for its declared type."""


@dataclass(frozen=True)
class UserIds:
    """The ids Feishu gives for a person; which one the directory knows is decided later."""

    open_id: str | None = None
    user_id: str | None = None
    union_id: str | None = None

    @classmethod
    def from_json(cls, data: object) -> UserIds:
        if not isinstance(data, dict):
            raise BadPayload("缺少用户标识")
        ids = cls(
            open_id=_opt_str(data.get("open_id")),
            user_id=_opt_str(data.get("user_id")),
            union_id=_opt_str(data.get("union_id")),
        )
        if not (ids.open_id or ids.user_id or ids.union_id):
            raise BadPayload("缺少用户标识")
        return ids


@dataclass(frozen=True)
class IncomingMessage:
    key: str
    sender: UserIds
    chat_type: Literal["p2p", "group"]
    chat_id: str
    message_id: str
    text: str
    # image / file messages: "image" or "file", and the key the resource API fetches it by.
    file_kind: str = ""
    file_key: str = ""
    file_name: str = ""


@dataclass(frozen=True)
class MenuClick:
    key: str
    sender: UserIds
    menu_key: str


@dataclass(frozen=True)
class ChatEntered:
    key: str
    sender: UserIds
    chat_id: str


@dataclass(frozen=True)
class CardTap:
    key: str
    sender: UserIds
    open_chat_id: str | None
    open_message_id: str | None
    # Empty when the card is not one of ours (no dutybot value on the button).
    card_id: str
    action: str
    payload: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unsupported:
    event_type: str


Parsed = IncomingMessage | MenuClick | ChatEntered | CardTap | Unsupported


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _need_str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise BadPayload(f"缺少字段 {name}")
    return value


def _need_dict(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise BadPayload(f"缺少字段 {name}")
    return value


def event_type(payload: Mapping[str, Any]) -> str:
    """``header.event_type`` for v2 callbacks, ``event.type`` for the old v1 format."""
    header = payload.get("header")
    if isinstance(header, dict) and isinstance(header.get("event_type"), str):
        return str(header["event_type"])
    event = payload.get("event")
    if isinstance(event, dict) and isinstance(event.get("type"), str):
        return "v1:" + str(event["type"])
    return ""


def parse(payload: Mapping[str, Any], bot_open_id: str | None = None) -> Parsed:
    """Turn a verified callback body into a record, or raise ``BadPayload``."""
    kind = event_type(payload)
    if payload.get("schema") != "2.0" or kind not in (
        MESSAGE_RECEIVED,
        CARD_ACTION,
        BOT_MENU,
        P2P_ENTERED,
    ):
        return Unsupported(event_type=kind or "unknown")
    header = _need_dict(payload, "header")
    event_id = _need_str(header, "event_id")
    event = _need_dict(payload, "event")
    if kind == MESSAGE_RECEIVED:
        return _message(event, bot_open_id)
    if kind == CARD_ACTION:
        return _card_tap(event, event_id)
    if kind == BOT_MENU:
        operator = _need_dict(event, "operator")
        return MenuClick(
            key=f"evt:{event_id}",
            sender=UserIds.from_json(operator.get("operator_id")),
            menu_key=_need_str(event, "event_key"),
        )
    return ChatEntered(
        key=f"evt:{event_id}",
        sender=UserIds.from_json(event.get("operator_id")),
        chat_id=_need_str(event, "chat_id"),
    )


def _message(event: dict[str, Any], bot_open_id: str | None) -> IncomingMessage | Unsupported:
    sender = _need_dict(event, "sender")
    if sender.get("sender_type") not in (None, "user"):
        return Unsupported(event_type=f"{MESSAGE_RECEIVED}:{sender.get('sender_type')}")
    message = _need_dict(event, "message")
    message_id = _need_str(message, "message_id")
    chat_type = message.get("chat_type")
    if chat_type not in ("p2p", "group"):
        return Unsupported(event_type=f"{MESSAGE_RECEIVED}:{chat_type}")
    text = message_text(message, bot_open_id if chat_type == "group" else None)
    file_kind, file_key, file_name = _file_of(message)
    return IncomingMessage(
        # Feishu: "如有幂等需求请使用 message_id 去重，不要依赖 event_id".
        key=f"msg:{message_id}",
        sender=UserIds.from_json(sender.get("sender_id")),
        chat_type=chat_type,
        chat_id=_need_str(message, "chat_id"),
        message_id=message_id,
        text=text,
        file_kind=file_kind,
        file_key=file_key,
        file_name=file_name,
    )


def _file_of(message: Mapping[str, Any]) -> tuple[str, str, str]:
    """(kind, key, name) of an image (``image_key``) or file (``file_key``) message."""
    kind = message.get("message_type")
    if kind not in ("image", "file"):
        return "", "", ""
    raw = message.get("content")
    try:
        content = untrusted.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        raise BadPayload("消息内容不是有效的 JSON") from None
    if not isinstance(content, dict):
        raise BadPayload("消息内容格式不正确")
    key = content.get("image_key" if kind == "image" else "file_key")
    if not isinstance(key, str) or not key:
        raise BadPayload("图片或文件消息缺少 key")
    return str(kind), key, str(content.get("file_name") or "")


def message_text(message: Mapping[str, Any], bot_open_id: str | None) -> str:
    """The words a person typed, with the bot's @-mention removed and others as ``@名字``."""
    kind = message.get("message_type")
    raw = message.get("content")
    if kind not in ("text", "post"):
        return NON_TEXT_LABELS.get(str(kind), "[消息]")
    if not isinstance(raw, str):
        raise BadPayload("消息内容缺失")
    try:
        content = untrusted.loads(raw)  # BadJson is a ValueError: deep nesting too
    except ValueError:
        raise BadPayload("消息内容不是有效的 JSON") from None
    if not isinstance(content, dict):
        raise BadPayload("消息内容格式不正确")
    text = _post_text(content) if kind == "post" else str(content.get("text") or "")
    mentions = message.get("mentions")
    return _resolve_mentions(text, mentions if isinstance(mentions, list) else [], bot_open_id)


def _post_text(content: dict[str, Any]) -> str:
    """Plain text of a rich-text (post) message; it may or may not be keyed by locale."""
    body = content
    if "content" not in body:
        localized = next((v for v in content.values() if isinstance(v, dict)), {})
        body = localized
    lines: list[str] = []
    title = body.get("title")
    if isinstance(title, str) and title:
        lines.append(title)
    for paragraph in body.get("content") or []:
        if not isinstance(paragraph, list):
            continue
        parts: list[str] = []
        for item in paragraph:
            if not isinstance(item, dict):
                continue
            if item.get("tag") in ("text", "a", "code_block"):
                parts.append(str(item.get("text") or ""))
            elif item.get("tag") == "at":
                # In received posts @-mentions carry the same @_user_N placeholders.
                parts.append(str(item.get("user_id") or ""))
        lines.append("".join(parts))
    return "\n".join(lines)


def _is_bot(mention: Mapping[str, Any], bot_open_id: str | None) -> bool:
    if mention.get("mentioned_type") == "bot":
        return True
    ids = mention.get("id")
    return bool(bot_open_id) and isinstance(ids, dict) and ids.get("open_id") == bot_open_id


def _resolve_mentions(text: str, mentions: list[Any], bot_open_id: str | None) -> str:
    known_bot = bot_open_id is not None or any(
        isinstance(m, dict) and "mentioned_type" in m for m in mentions
    )
    for mention in mentions:
        if not isinstance(mention, dict) or not isinstance(mention.get("key"), str):
            continue
        placeholder = str(mention["key"])
        if _is_bot(mention, bot_open_id) or (
            # Without a way to tell the bot apart, the leading mention is the bot:
            # in groups the bot only receives messages that @-mention it.
            not known_bot and text.lstrip().startswith(placeholder)
        ):
            text = text.replace(placeholder, "", 1)
        else:
            text = text.replace(placeholder, f"@{mention.get('name') or ''}")
    collapsed = re.sub(r"[ \t\u00a0]+", " ", text)
    return "\n".join(line.strip() for line in collapsed.splitlines()).strip()


def _card_tap(event: dict[str, Any], event_id: str) -> CardTap:
    operator = UserIds.from_json(event.get("operator"))
    action = _need_dict(event, "action")
    context = event.get("context") if isinstance(event.get("context"), dict) else {}
    assert isinstance(context, dict)
    value = action.get("value")
    card_id = ""
    action_key = ""
    payload: dict[str, str] = {}
    if isinstance(value, dict) and isinstance(value.get("card_id"), str):
        card_id = str(value["card_id"])
        action_key = str(value.get("action") or "")
        raw_payload = value.get("payload")
        if isinstance(raw_payload, dict):
            payload = {str(k): str(v) for k, v in raw_payload.items()}
    form_value = action.get("form_value")
    form = (
        {str(k): form_text(v) for k, v in form_value.items()}
        if isinstance(form_value, dict)
        else {}
    )
    return CardTap(
        key=f"evt:{event_id}",
        sender=operator,
        open_chat_id=_opt_str(context.get("open_chat_id")),
        open_message_id=_opt_str(context.get("open_message_id")),
        card_id=card_id,
        action=action_key,
        payload=payload,
        form=form,
    )


def form_text(value: object) -> str:
    """A submitted form value as text: lists joined, date pickers without their UTC offset."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(form_text(v) for v in value)
    text = value if isinstance(value, str) else str(value)
    matched = _DATE_WITH_OFFSET.match(text.strip())
    return matched.group(1) if matched else text
