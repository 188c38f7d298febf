"""Neutral messages and cards -> WeCom wire JSON (app messages, template cards, group robot).

Only this module knows the shape of a ``template_card``. Limits are from WeCom's API
reference (发送应用消息, 模板卡片): at most 6 buttons and 6 horizontal items, button key
<= 1024 bytes, task_id <= 128 bytes of ``[0-9a-zA-Z_-@]``, text <= 2048 bytes, robot markdown
<= 4096 bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from bot.cards.model import ButtonStyle, Card, Tone
from bot.core.outgoing import Message

log = logging.getLogger(__name__)

SOURCE_DESC = "政务新媒体值班助手"
MAX_BUTTONS = 6
MAX_HORIZONTAL = 6
MAX_BUTTON_KEY_BYTES = 1024
MAX_TASK_ID_BYTES = 128
MAX_TEXT_BYTES = 2048
MAX_ROBOT_MARKDOWN_BYTES = 4096
# A horizontal item shows about this many characters; longer values go into the body text.
HORIZONTAL_VALUE_CHARS = 26
TITLE_CHARS = 36
SUBTITLE_CHARS = 44
BUTTON_TEXT_CHARS = 10
REPLACE_TEXT_CHARS = 20
# The greyed-out button of a closed card; its key is never acted on.
CLOSED_KEY = "closed"
BUTTON_KEY_PREFIX = "b1."
ACT_IN_APP_HINT = "请在企业微信应用消息中处理"

_TASK_ID = re.compile(r"^([0-9A-Za-z]{1,64})-(\d{1,20})$")
_TONE_COLOUR = {Tone.GREY: 0, Tone.BLUE: 1, Tone.RED: 2, Tone.ORANGE: 2, Tone.GREEN: 3}
_BUTTON_STYLE = {ButtonStyle.PRIMARY: 1, ButtonStyle.DEFAULT: 2, ButtonStyle.DANGER: 3}


class RenderError(ValueError):
    """The card cannot be expressed on WeCom (a bug in the card, not a delivery problem)."""


def clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def clip_bytes(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut on a character boundary, marked when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = "…（内容过长，已截断）"
    room = limit - len(marker.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + marker


def task_id_for(card_id: str, delivery_ref: int) -> str:
    """A task_id unique per sent copy of a card (WeCom refuses a task_id twice per app)."""
    task_id = f"{card_id}-{delivery_ref}"
    if not _TASK_ID.match(task_id) or len(task_id.encode()) > MAX_TASK_ID_BYTES:
        raise RenderError(f"卡片编号不能用作 task_id：{card_id!r}")
    return task_id


def card_id_of_task(task_id: str) -> str | None:
    match = _TASK_ID.match(task_id.strip())
    return match.group(1) if match else None


def encode_button_key(action: str, payload: Mapping[str, str]) -> str:
    """The button's ``key``: the action and payload themselves, so a tap on an old copy of a
    card is still checked against the card's current buttons rather than a position."""
    raw = json.dumps([action, dict(payload)], ensure_ascii=False, separators=(",", ":"))
    key = BUTTON_KEY_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    if len(key.encode()) > MAX_BUTTON_KEY_BYTES:
        raise RenderError(f"按钮「{action}」的数据超过 {MAX_BUTTON_KEY_BYTES} 字节")
    return key


def decode_button_key(key: str) -> tuple[str, dict[str, str]] | None:
    if not key.startswith(BUTTON_KEY_PREFIX):
        return None
    body = key[len(BUTTON_KEY_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        value: Any = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in value[1].items())
    ):
        return None
    return value[0], dict(value[1])


def _mention_line(names: list[str]) -> str:
    return " ".join(f"@{n}" for n in names)


def _body_lines(card: Card, lead_text: str, mention_names: list[str]) -> list[str]:
    lines: list[str] = []
    if lead_text:
        lines.append(lead_text)
    if mention_names:
        lines.append(_mention_line(mention_names))
    if card.body:
        lines.append(card.body)
    return lines


def template_card(
    card: Card, task_id: str, *, lead_text: str = "", update: bool = False
) -> dict[str, Any]:
    """A ``button_interaction`` template card.

    A card without buttons cannot be a button card; for a new message it is sent as markdown
    (``card_markdown``), for an update (a closed card) it keeps one greyed-out button
    showing the final status (``replace_text``).
    """
    horizontal: list[dict[str, str]] = []
    overflow: list[str] = []
    if card.status:
        horizontal.append({"keyname": "状态", "value": clip(card.status, HORIZONTAL_VALUE_CHARS)})
    for item in card.fields:
        if len(horizontal) < MAX_HORIZONTAL and len(item.value) <= HORIZONTAL_VALUE_CHARS:
            horizontal.append({"keyname": item.label, "value": item.value})
        else:
            overflow.append(f"{item.label}：{item.value}")
    lines = _body_lines(card, lead_text, [m.name for m in card.mentions])
    lines.extend(overflow)
    for button in card.buttons:
        labels = [i.label for n in button.needs if (i := card.input(n)) is not None]
        if labels:
            lines.append(f"点「{button.label}」后，请在对话中填写{'、'.join(labels)}。")
    buttons = list(card.buttons)
    if len(buttons) > MAX_BUTTONS:
        log.warning(
            "card %s has %d buttons; WeCom shows %d", card.card_id, len(buttons), MAX_BUTTONS
        )
        hidden = "、".join(b.label for b in buttons[MAX_BUTTONS:])
        lines.append(f"另有操作（{hidden}）无法在企业微信卡片上显示，请联系管理员。")
        buttons = buttons[:MAX_BUTTONS]
    result: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": SOURCE_DESC, "desc_color": _TONE_COLOUR[card.tone]},
        "main_title": {"title": clip(card.title, TITLE_CHARS)},
        "task_id": task_id,
    }
    if card.subtitle:
        result["main_title"]["desc"] = clip(card.subtitle, SUBTITLE_CHARS)
    if lines:
        result["sub_title_text"] = "\n".join(lines)
    if horizontal:
        result["horizontal_content_list"] = horizontal
    if buttons:
        result["button_list"] = [
            {
                "text": clip(b.label, BUTTON_TEXT_CHARS),
                "style": _BUTTON_STYLE[b.style],
                "key": encode_button_key(b.action, b.payload),
            }
            for b in buttons
        ]
    elif update:
        final = card.status or "已处理"
        result["button_list"] = [
            {"text": clip(final, BUTTON_TEXT_CHARS), "style": 2, "key": CLOSED_KEY}
        ]
        result["replace_text"] = clip(final, REPLACE_TEXT_CHARS)
    else:
        raise RenderError("没有按钮的卡片应以 markdown 发送")
    return result


def card_markdown(
    card: Card,
    *,
    lead_text: str = "",
    mention_names: list[str] | None = None,
    mention_ids: list[str] | None = None,
    hint: str = "",
) -> str:
    """A card as WeCom markdown: for cards without buttons and for group robots.

    ``mention_ids`` become ``<@userid>`` (robot markdown @-mentions people that way);
    mentions without a WeCom id are written as plain ``@name``.
    """
    lines: list[str] = []
    if lead_text:
        lines.append(lead_text)
    if mention_ids:
        lines.append(" ".join(f"<@{u}>" for u in mention_ids))
    if mention_names:
        lines.append(_mention_line(mention_names))
    lines.append(f"**{card.title}**")
    if card.subtitle:
        lines.append(f'<font color="comment">{card.subtitle}</font>')
    if card.body:
        lines.append(card.body)
    lines.extend(f"> {f.label}：{f.value}" for f in card.fields)
    if card.status:
        colour = "warning" if card.tone in (Tone.RED, Tone.ORANGE) else "info"
        lines.append(f'状态：<font color="{colour}">{card.status}</font>')
    if hint:
        lines.append(f'<font color="comment">{hint}</font>')
    return "\n".join(lines)


def app_text(userid: str, agent_id: int, content: str) -> dict[str, Any]:
    return {
        "touser": userid,
        "msgtype": "text",
        "agentid": agent_id,
        "text": {"content": clip_bytes(content, MAX_TEXT_BYTES)},
        "safe": 0,
    }


def app_message(
    userid: str, agent_id: int, message: Message, task_id: str | None
) -> dict[str, Any]:
    """The ``message/send`` body for one person (1:1 app message).

    A card is a template card when it has buttons and a ``task_id`` (it was stored, so taps
    can be routed); otherwise it is markdown.
    """
    names = [m.name for m in message.mentions]
    card = message.card
    if card is None:
        text = "\n".join(p for p in (_mention_line(names), message.text) if p)
        return app_text(userid, agent_id, text)
    if card.buttons and task_id is not None:
        lead = "\n".join(p for p in (_mention_line(names), message.text) if p)
        return {
            "touser": userid,
            "msgtype": "template_card",
            "agentid": agent_id,
            "template_card": template_card(card, task_id, lead_text=lead),
        }
    content = card_markdown(card, lead_text=message.text, mention_names=names)
    return {
        "touser": userid,
        "msgtype": "markdown",
        "agentid": agent_id,
        "markdown": {"content": clip_bytes(content, MAX_TEXT_BYTES)},
    }


def robot_message(message: Message, mentions: list[tuple[str, str | None]]) -> dict[str, Any]:
    """A group robot (webhook) body. ``mentions``: (name, WeCom userid or None if unknown).

    Group robots cannot post interactive cards: a card becomes markdown and, when it has
    buttons, says where to act. A message that @-mentions people says so too, since the
    interactive card goes to each of them 1:1.
    """
    with_id = [uid for _, uid in mentions if uid]
    without_id = [name for name, uid in mentions if not uid]
    card = message.card
    needs_hint = bool(mentions) or (card is not None and bool(card.buttons))
    hint = ACT_IN_APP_HINT if needs_hint and ACT_IN_APP_HINT not in message.text else ""
    if card is None:
        parts = [_mention_line(without_id), message.text]
        text = " ".join(p for p in parts if p)
        if hint:
            text = f"{text.rstrip('。')}，{hint}" if text else hint
        body: dict[str, Any] = {"content": clip_bytes(text, MAX_TEXT_BYTES)}
        if with_id:
            body["mentioned_list"] = with_id
        return {"msgtype": "text", "text": body}
    content = card_markdown(
        card,
        lead_text=message.text,
        mention_names=without_id,
        mention_ids=with_id,
        hint=hint,
    )
    return {
        "msgtype": "markdown",
        "markdown": {"content": clip_bytes(content, MAX_ROBOT_MARKDOWN_BYTES)},
    }
