"""The neutral card rendered for WeCom, compared with golden files.

Regenerate after an intended change with ``DUTYBOT_UPDATE_GOLDEN=1 pytest tests/adapters/wecom``
and review the diff of ``tests/adapters/wecom/golden/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.wecom.render import (
    MAX_BUTTONS,
    RenderError,
    app_message,
    clip_bytes,
    decode_button_key,
    encode_button_key,
    robot_message,
    task_id_for,
    template_card,
)
from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Mention,
    Tone,
)
from bot.core.outgoing import Message

GOLDEN = Path(__file__).parent / "golden"
CARD_ID = "5f0c3c2e9d8b4a7f8e6d5c4b3a291807"

REVIEW_CARD = Card(
    title="请初审：《关于国庆假期景区开放时间的通知》",
    subtitle="青溪区文旅委 · 微信公众号“青溪文旅”",
    tone=Tone.ORANGE,
    body="编辑张三提交了稿件，请在 1 个工作小时内完成初审初校。",
    fields=(
        CardField(label="送审人", value="张三"),
        CardField(label="截止", value="10月9日 11:00"),
        CardField(
            label="依据", value="《青溪区政务新媒体信息发布审核办法》第八条：初审由科室负责人负责"
        ),
    ),
    mentions=(Mention(person_id=2, name="李四"),),
    inputs=(FormInput(name="reason", label="退回理由", kind=InputKind.TEXTAREA, required=True),),
    buttons=(
        Button(
            label="通过", action="review.approve", payload={"step": "12"}, style=ButtonStyle.PRIMARY
        ),
        Button(label="退回修改", action="review.return", payload={"step": "12"}, needs=("reason",)),
        Button(
            label="不予发布",
            action="review.reject",
            payload={"step": "12"},
            style=ButtonStyle.DANGER,
        ),
    ),
    card_id=CARD_ID,
)


def check_golden(name: str, value: Any) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("DUTYBOT_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path.name} missing: run with DUTYBOT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_review_card_as_button_interaction() -> None:
    body = app_message("LiSi", 1000002, Message(card=REVIEW_CARD), task_id_for(CARD_ID, 7))
    check_golden("review_card_message", body)
    card = body["template_card"]
    assert len(card["button_list"]) == 3
    # The long field does not fit a horizontal item; it moves into the text, nothing is lost.
    assert "第八条" in card["sub_title_text"]
    assert "点「退回修改」后，请在对话中填写退回理由。" in card["sub_title_text"]
    keys = [decode_button_key(b["key"]) for b in card["button_list"]]
    assert keys == [(b.action, b.payload) for b in REVIEW_CARD.buttons]


def test_closed_card_update_keeps_a_grey_button_with_the_outcome() -> None:
    closed = REVIEW_CARD.closed("已通过（李四 10:32）", Tone.GREEN)
    rendered = template_card(closed, task_id_for(CARD_ID, 7), update=True)
    check_golden("review_card_closed_update", rendered)
    assert rendered["replace_text"] == "已通过（李四 10:32）"
    assert rendered["horizontal_content_list"][0] == {
        "keyname": "状态",
        "value": "已通过（李四 10:32）",
    }


def test_card_without_buttons_is_markdown() -> None:
    info = Card(
        title="我的信息",
        fields=(
            CardField(label="姓名", value="张三"),
            CardField(label="单位", value="青溪区融媒体中心"),
        ),
        card_id=None,
    )
    body = app_message("ZhangSan", 1000002, Message(text="这是您的信息：", card=info), None)
    check_golden("info_card_markdown", body)
    with pytest.raises(RenderError):
        template_card(info, "x-1")


def test_group_robot_text_mentions_people_and_says_where_to_act() -> None:
    message = Message(
        text="请初审《关于国庆假期景区开放时间的通知》。",
        mentions=(Mention(person_id=2, name="李四"), Mention(person_id=3, name="王五")),
    )
    body = robot_message(message, [("李四", "LiSi"), ("王五", None)])
    check_golden("robot_text_mentions", body)
    assert body["text"]["mentioned_list"] == ["LiSi"]
    assert body["text"]["content"].startswith("@王五 请初审")
    assert body["text"]["content"].endswith("，请在企业微信应用消息中处理")


def test_group_robot_card_is_markdown_with_mentions() -> None:
    body = robot_message(Message(card=REVIEW_CARD), [("李四", "LiSi")])
    check_golden("robot_card_markdown", body)
    assert "<@LiSi>" in body["markdown"]["content"]


def test_more_than_six_buttons_are_cut_and_said() -> None:
    many = REVIEW_CARD.model_copy(
        update={"buttons": tuple(Button(label=f"操作{i}", action=f"x.a{i}") for i in range(8))}
    )
    card = template_card(many, "t-1")
    assert len(card["button_list"]) == MAX_BUTTONS
    assert "操作6、操作7" in card["sub_title_text"]


def test_limits_of_keys_task_ids_and_text() -> None:
    with pytest.raises(RenderError):
        encode_button_key("x.y", {"blob": "长" * 400})
    with pytest.raises(RenderError):
        task_id_for("bad id!", 1)
    cut = clip_bytes("值" * 1000, 2048)
    assert len(cut.encode()) <= 2048
    assert cut.endswith("（内容过长，已截断）")
    assert decode_button_key("b1.%%%") is None
    assert decode_button_key("b1." + "W10") is None  # "[]": wrong shape
