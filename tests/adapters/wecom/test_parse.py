"""Callback XML -> neutral events, including template_card_event that wechatpy does not know."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.wecom.crypto import MalformedCallback
from bot.adapters.wecom.parse import parse_callback, to_event
from bot.adapters.wecom.render import encode_button_key
from bot.core.events import CardActionEvent, FileEvent, MenuEvent, OpenedEvent, TextEvent
from tests.fakes.wecom_callbacks import (
    click_xml,
    enter_agent_xml,
    image_xml,
    template_card_event_xml,
    text_xml,
)

NOW = datetime(2026, 10, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CORP = "wwcorp"
CARD_ID = "0123456789abcdef0123456789abcdef"


def test_text_message_is_deduped_by_msgid() -> None:
    inbound = parse_callback(text_xml(CORP, "ZhangSan", " 帮助 ", "7001", create_time=1700000000))
    assert (inbound.kind, inbound.sender, inbound.text) == ("text", "ZhangSan", "帮助")
    event = to_event(inbound, NOW, 1700000000).event
    assert isinstance(event, TextEvent)
    assert event.key == "msg:7001"
    assert event.sender.value == "ZhangSan"
    assert event.place.kind == "dm"


def test_menu_click_and_enter_agent_are_deduped_by_sender_time_and_key() -> None:
    click = to_event(parse_callback(click_xml(CORP, "LiSi", "help", create_time=17)), NOW, 0).event
    assert isinstance(click, MenuEvent)
    assert click.menu_key == "help"
    assert click.key == "evt:LiSi:17:click::help"
    opened = to_event(parse_callback(enter_agent_xml(CORP, "LiSi", create_time=17)), NOW, 0).event
    assert isinstance(opened, OpenedEvent)
    assert opened.key != click.key


def test_template_card_event_becomes_a_card_action_with_the_exact_payload() -> None:
    key = encode_button_key("review.approve", {"step": "12", "名称": "国庆通知"})
    xml = template_card_event_xml(
        CORP,
        "LiSi",
        task_id=f"{CARD_ID}-42",
        event_key=key,
        response_code="RC-abc",
        create_time=1700000100,
    )
    inbound = parse_callback(xml)
    assert inbound.kind == "card_tap"
    assert inbound.response_code == "RC-abc"
    event = to_event(inbound, NOW, 1700000200).event
    assert isinstance(event, CardActionEvent)
    assert event.card_id == CARD_ID
    assert event.action == "review.approve"
    assert event.payload == {"step": "12", "名称": "国庆通知"}
    assert event.form == {}
    assert event.update_token == f"1700000200:{CARD_ID}-42:RC-abc"
    # Two different buttons tapped in the same second are two events.
    other = template_card_event_xml(
        CORP,
        "LiSi",
        task_id=f"{CARD_ID}-42",
        event_key=encode_button_key("review.return", {"step": "12"}),
        response_code="RC-def",
        create_time=1700000100,
    )
    other_event = to_event(parse_callback(other), NOW, 0).event
    assert other_event is not None
    assert other_event.key != event.key


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (None, ()),
        ([("q1", ["a"])], (("q1", ("a",)),)),
        ([("q1", ["a", "b"]), ("q2", ["c"])], (("q1", ("a", "b")), ("q2", ("c",)))),
    ],
)
def test_selected_items_are_normalised(
    selected: list[tuple[str, list[str]]] | None, expected: tuple[tuple[str, tuple[str, ...]], ...]
) -> None:
    xml = template_card_event_xml(
        CORP, "u", task_id="t-1", event_key="k", response_code="r", selected=selected
    )
    items = parse_callback(xml).selected
    assert tuple((i.question_key, i.option_ids) for i in items) == expected


def test_taps_on_keys_we_did_not_issue_are_not_events() -> None:
    for task_id, key in ((f"{CARD_ID}-1", "closed"), ("not a task id", encode_button_key("a", {}))):
        xml = template_card_event_xml(CORP, "u", task_id=task_id, event_key=key, response_code="r")
        assert to_event(parse_callback(xml), NOW, 0).event is None


def test_non_text_messages_are_marked_and_unknown_events_ignored() -> None:
    picture = parse_callback(image_xml(CORP, "u", "9"))
    assert (picture.kind, picture.media_id) == ("media", "media-1")
    event = to_event(picture, NOW, 0).event
    assert isinstance(event, FileEvent)
    assert (event.kind, event.media, event.key) == ("image", "media-1", "msg:9")
    unknown = (
        "<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>event</MsgType><Event>change_contact</Event></xml>"
    )
    inbound = parse_callback(unknown)
    assert inbound.kind == "ignored"
    assert to_event(inbound, NOW, 0).event is None


@pytest.mark.parametrize(
    "xml", ["", "<xml>", "<xml><MsgType>text</MsgType></xml>", "<root><a/></root>"]
)
def test_broken_inner_xml_is_malformed(xml: str) -> None:
    with pytest.raises(MalformedCallback):
        parse_callback(xml)


def test_long_button_keys_still_make_short_dedupe_keys() -> None:
    key = encode_button_key("review.approve", {"title": "很长的标题" * 40})
    xml = template_card_event_xml(
        CORP, "u", task_id=f"{CARD_ID}-1", event_key=key, response_code="r"
    )
    dedupe = parse_callback(xml).dedupe_key
    assert len(f"wecom:{dedupe}") <= 255
    assert dedupe.startswith("evt:sha256:")
