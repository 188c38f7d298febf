"""Decrypted callback XML -> a small typed record -> a neutral event.

wechatpy parses the XML. It does not know ``template_card_event`` (it returns
``UnknownMessage``), so the event classes are registered here, and ``SelectedItems``, which
xmltodict gives as a dict for one item and a list for several, is normalised.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wechatpy import events as wx_events
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.events import register_event
from wechatpy.fields import IntegerField, StringField

from bot.adapters.wecom.codes import make_update_token
from bot.adapters.wecom.crypto import MalformedCallback
from bot.adapters.wecom.render import card_id_of_task, decode_button_key
from bot.core.events import (
    CardActionEvent,
    Event,
    FileEvent,
    MenuEvent,
    OpenedEvent,
    Place,
    PlatformUser,
    TextEvent,
)
from storage.enums import IdentityKind, Platform


@register_event("template_card_event")
class TemplateCardEvent(wx_events.BaseEvent):  # type: ignore[misc]  # wechatpy is untyped
    """A tap on a template card button (button / vote / multiple interaction cards)."""

    event = "template_card_event"
    agent = IntegerField("AgentID", 0)
    event_key = StringField("EventKey")
    task_id = StringField("TaskId")
    card_type = StringField("CardType")
    response_code = StringField("ResponseCode")


@register_event("template_card_menu_event")
class TemplateCardMenuEvent(wx_events.BaseEvent):  # type: ignore[misc]  # wechatpy is untyped
    """A tap on a card's action_menu (we render none; acknowledged and ignored)."""

    event = "template_card_menu_event"
    agent = IntegerField("AgentID", 0)
    event_key = StringField("EventKey")
    task_id = StringField("TaskId")


@dataclass(frozen=True)
class SelectedItem:
    question_key: str
    option_ids: tuple[str, ...]


# What people send that is not text: said back to them, never fed into a conversation.
NON_TEXT_LABELS = {
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "file": "文件",
    "location": "位置",
    "link": "链接",
}


@dataclass(frozen=True)
class Inbound:
    """One callback, as much as the bot needs of it."""

    kind: str  # text | menu | opened | card_tap | media | non_text | ignored
    sender: str
    create_time: int
    agent_id: int | None
    msg_id: str = ""
    text: str = ""
    event_key: str = ""
    task_id: str = ""
    response_code: str = ""
    selected: tuple[SelectedItem, ...] = ()
    raw_type: str = ""
    # image / file messages: what media/get fetches, and the file's name when WeCom gives it.
    media_id: str = ""
    file_name: str = ""

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; sender + CreateTime + event (+ key) for events (no MsgId).

        A tap also carries its ResponseCode: WeCom's retry repeats it, a second tap in the
        same second gets a new one.
        """
        if self.msg_id:
            return f"msg:{self.msg_id}"
        parts = [self.sender, str(self.create_time), self.raw_type, self.task_id, self.event_key]
        if self.response_code:
            parts.append(self.response_code)
        key = "evt:" + ":".join(parts)
        # Button keys can be long; the dedupe column holds 255 characters.
        return key if len(key) <= 200 else "evt:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def normalise_selected(value: Any) -> tuple[SelectedItem, ...]:
    """``<SelectedItems>`` as a tuple, whether xmltodict gave one item or several."""
    if not isinstance(value, dict):
        return ()
    items = value.get("SelectedItem")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return ()
    found: list[SelectedItem] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        options = item.get("OptionIds")
        ids: Any = options.get("OptionId") if isinstance(options, dict) else None
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list):
            ids = []
        found.append(
            SelectedItem(
                question_key=str(item.get("QuestionKey") or ""),
                option_ids=tuple(str(i) for i in ids if i is not None),
            )
        )
    return tuple(found)


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


def parse_callback(xml: str) -> Inbound:
    """Parse decrypted callback XML; raises ``MalformedCallback`` when it is not one."""
    try:
        msg: Any = parse_message(xml)
    except Exception as exc:
        raise MalformedCallback("回调消息不是有效的 XML") from exc
    data: Any = getattr(msg, "_data", None)
    if not isinstance(data, dict) or not data.get("FromUserName"):
        raise MalformedCallback("回调消息缺少发送人")
    sender = str(data["FromUserName"]).strip()
    create_time = _int(data.get("CreateTime"))
    agent_raw = data.get("AgentID")
    agent_id = _int(agent_raw) if agent_raw not in (None, "") else None
    msg_type = str(data.get("MsgType") or "").lower()
    base: dict[str, Any] = {"sender": sender, "create_time": create_time, "agent_id": agent_id}
    if msg_type == "text":
        return Inbound(
            kind="text",
            msg_id=str(data.get("MsgId") or ""),
            text=str(msg.content or ""),
            raw_type="text",
            **base,
        )
    if msg_type in ("image", "file") and data.get("MediaId"):
        return Inbound(
            kind="media",
            msg_id=str(data.get("MsgId") or ""),
            media_id=str(data["MediaId"]),
            file_name=str(data.get("FileName") or data.get("Title") or ""),
            raw_type=msg_type,
            **base,
        )
    if msg_type in NON_TEXT_LABELS:
        return Inbound(
            kind="non_text", msg_id=str(data.get("MsgId") or ""), raw_type=msg_type, **base
        )
    if msg_type != "event":
        return Inbound(kind="ignored", raw_type=msg_type, **base)
    event = str(data.get("Event") or "").lower()
    if isinstance(msg, TemplateCardEvent):
        return Inbound(
            kind="card_tap",
            event_key=str(msg.event_key or ""),
            task_id=str(msg.task_id or ""),
            response_code=str(msg.response_code or ""),
            selected=normalise_selected(data.get("SelectedItems")),
            raw_type=event,
            **base,
        )
    if event == "click":
        return Inbound(
            kind="menu", event_key=str(data.get("EventKey") or ""), raw_type=event, **base
        )
    if event == "enter_agent":
        return Inbound(kind="opened", raw_type=event, **base)
    return Inbound(
        kind="ignored", raw_type=event, event_key=str(data.get("EventKey") or ""), **base
    )


@dataclass
class Converted:
    """The neutral event for a callback, or why there is none."""

    event: Event | None = None
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def to_event(inbound: Inbound, now: datetime, issued_at: int) -> Converted:
    """The neutral event for a parsed callback (None for what the bot does not act on).

    ``issued_at`` (epoch seconds) is stamped on a tap's ResponseCode: it is valid 72 hours.
    """
    sender = PlatformUser(platform=Platform.WECOM, kind=IdentityKind.USERID, value=inbound.sender)
    place = Place(platform=Platform.WECOM, kind="dm")
    common: dict[str, Any] = {
        "key": inbound.dedupe_key,
        "sender": sender,
        "place": place,
        "received_at": now,
    }
    if inbound.kind == "text":
        return Converted(TextEvent(text=inbound.text, **common))
    if inbound.kind == "media":
        kind = "image" if inbound.raw_type == "image" else "file"
        return Converted(
            FileEvent(kind=kind, media=inbound.media_id, name=inbound.file_name, **common)
        )
    if inbound.kind == "menu":
        if not inbound.event_key:
            return Converted(reason="菜单事件缺少 EventKey")
        return Converted(MenuEvent(menu_key=inbound.event_key, **common))
    if inbound.kind == "opened":
        return Converted(OpenedEvent(**common))
    if inbound.kind == "card_tap":
        card_id = card_id_of_task(inbound.task_id)
        button = decode_button_key(inbound.event_key)
        if card_id is None or button is None:
            return Converted(reason="不是本应用发出的卡片按钮")
        action, payload = button
        code = inbound.response_code
        token = make_update_token(code, inbound.task_id, issued_at) if code else None
        # WeCom button cards carry no form: the dispatcher asks for inputs in the chat.
        return Converted(
            CardActionEvent(
                card_id=card_id, action=action, payload=payload, update_token=token, **common
            )
        )
    return Converted(reason=f"忽略的消息类型：{inbound.raw_type or inbound.kind}")
