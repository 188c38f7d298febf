"""What a person typed, as the bot reads it: @-mentions, rich text, non-text messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.adapters.feishu import payloads
from tests.fakes.feishu_server import FakeFeishu

BOT = "ou_bot_dutybot"


def _text(content: dict[str, Any], mentions: list[dict[str, Any]], kind: str = "text") -> str:
    message = {
        "message_type": kind,
        "content": json.dumps(content, ensure_ascii=False),
        "mentions": mentions,
    }
    return payloads.message_text(message, BOT)


def _mention(key: str, open_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "id": {"open_id": open_id}, "name": name, **extra}


def test_bot_mention_is_removed_and_others_are_named() -> None:
    text = _text(
        {"text": "@_user_1 送审 请 @_user_2 看一下"},
        [_mention("@_user_1", BOT, "值班助手"), _mention("@_user_2", "ou_likz", "李科长")],
    )
    assert text == "送审 请 @李科长 看一下"


def test_bot_recognised_by_mentioned_type_without_its_open_id() -> None:
    message = {
        "message_type": "text",
        "content": json.dumps({"text": "@_user_2 @_user_1 帮助"}),
        "mentions": [
            _mention("@_user_1", "ou_unknown", "值班助手", mentioned_type="bot"),
            _mention("@_user_2", "ou_likz", "李科长", mentioned_type="user"),
        ],
    }
    assert payloads.message_text(message, None) == "@李科长 帮助"


def test_leading_mention_is_the_bot_when_nothing_else_tells() -> None:
    message = {
        "message_type": "text",
        "content": json.dumps({"text": "@_user_1 帮助"}),
        "mentions": [_mention("@_user_1", "ou_whoever", "值班助手")],
    }
    assert payloads.message_text(message, None) == "帮助"


def test_rich_text_post_is_read_as_text() -> None:
    post = {
        "title": "送审",
        "content": [[{"tag": "at", "user_id": "@_user_1"}, {"tag": "text", "text": " 关于国庆"}],
                    [{"tag": "text", "text": "第二段"}]],
    }  # fmt: skip
    assert _text(post, [_mention("@_user_1", BOT, "值班助手")], "post") == "送审\n关于国庆\n第二段"
    localized = {"zh_cn": post}
    assert _text(localized, [_mention("@_user_1", BOT, "值班助手")], "post").startswith("送审")


@pytest.mark.parametrize(
    ("kind", "label"), [("image", "[图片]"), ("file", "[文件]"), ("x", "[消息]")]
)
def test_non_text_messages_are_named(kind: str, label: str) -> None:
    assert payloads.message_text({"message_type": kind, "content": "{}"}, BOT) == label


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-10-12 +0800", "2026-10-12"),
        ("2026-10-12 09:30 +0800", "2026-10-12 09:30"),
        ("2026-10-12", "2026-10-12"),
        (["a", "b"], "a,b"),
        (None, ""),
        (3, "3"),
    ],
)
def test_form_values_become_text(value: object, text: str) -> None:
    assert payloads.form_text(value) == text


def test_bot_sent_messages_and_other_chat_types_are_ignored() -> None:
    fake = FakeFeishu()
    event = fake.message_event(sender_open_id="ou_x", text="hi")
    event["event"]["sender"]["sender_type"] = "app"
    assert isinstance(payloads.parse(event), payloads.Unsupported)
    event = fake.message_event(sender_open_id="ou_x", text="hi", chat_type="topic")
    assert isinstance(payloads.parse(event), payloads.Unsupported)


def test_p2p_chat_entered_and_menu() -> None:
    fake = FakeFeishu()
    entered = {
        "schema": "2.0",
        "header": fake.header(payloads.P2P_ENTERED, "evt-1"),
        "event": {"chat_id": "oc_1", "operator_id": {"open_id": "ou_x"}},
    }
    parsed = payloads.parse(entered)
    assert parsed == payloads.ChatEntered(
        key="evt:evt-1", sender=payloads.UserIds(open_id="ou_x"), chat_id="oc_1"
    )
    menu = payloads.parse(fake.menu_event(operator_open_id="ou_x", event_key="help"))
    assert isinstance(menu, payloads.MenuClick)
    assert menu.menu_key == "help"
