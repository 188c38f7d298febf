"""POST /feishu/events: verification, decryption, dedupe, messages, menus and card taps."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp.test_utils import TestClient

from bot.core.services import Services
from storage.models.machinery import AuditEntry, CardRecord, InboundEvent, OutboxMessage
from tests.fakes.feishu_server import FakeFeishu, card_text
from tests.support.travel import settle

pytestmark = pytest.mark.usefixtures("bot_client")

MESSAGES = "/open-apis/im/v1/messages"


async def _nothing_stored() -> None:
    assert await InboundEvent.all().count() == 0
    assert await OutboxMessage.all().count() == 0


async def test_url_verification_echoes_the_challenge(
    fake_feishu: FakeFeishu, events_url: str
) -> None:
    # Feishu sends the challenge encrypted but unsigned.
    status, answer = await fake_feishu.post_to_bot(
        events_url, fake_feishu.url_verification("ajls384kdj"), sign=False
    )
    assert (status, answer) == (200, {"challenge": "ajls384kdj"})
    status, answer = await fake_feishu.post_to_bot(
        events_url, fake_feishu.url_verification("x", token="wrong"), sign=False
    )
    assert status == 403
    assert "Verification Token" in answer["msg"]


async def test_message_gets_a_help_card(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    status, answer = await fake_feishu.post_to_bot(events_url, event)
    assert (status, answer) == (200, {})
    await settle(feishu)
    [card] = fake_feishu.sent("interactive", receive_id="ou_xiaowang")
    assert card.receive_id_type == "open_id"
    assert card.card["schema"] == "2.0"
    assert "小王，我能帮您做什么" in card.text
    assert "我的信息" in card.text


async def test_redelivered_message_is_processed_once(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    first = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    # Feishu retries with the same message_id (and sometimes a new event_id).
    again = json.loads(json.dumps(first))
    again["header"]["event_id"] = "another-event-id"
    for payload in (first, first, again):
        status, _ = await fake_feishu.post_to_bot(events_url, payload)
        assert status == 200
    await settle(feishu)
    assert len(fake_feishu.sent("interactive")) == 1
    assert await InboundEvent.all().count() == 1


@pytest.mark.parametrize(
    ("build", "status", "reason"),
    [
        ({"encrypt_key": "someone else's key"}, 401, "签名校验失败"),
        ({"seconds_off": -301}, 401, "5 分钟"),
        ({"seconds_off": 400}, 401, "5 分钟"),
        ({"sign": False}, 401, "缺少签名"),
    ],
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(
    fake_feishu: FakeFeishu,
    events_url: str,
    build: dict[str, object],
    status: int,
    reason: str,
) -> None:
    audit_before = await AuditEntry.all().count()
    if "seconds_off" in build:
        # Stamped when the request is built, not when tests are collected: on a busy machine
        # minutes pass between the two, and the window is only five.
        build = {"timestamp": str(int(time.time()) + int(str(build["seconds_off"])))}
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    got, answer = await fake_feishu.post_to_bot(events_url, event, **build)
    assert got == status
    assert reason in answer["msg"]
    await _nothing_stored()
    assert await AuditEntry.all().count() == audit_before


async def test_tampered_body_fails_the_signature(
    fake_feishu: FakeFeishu, bot_client: TestClient[object, object]
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    headers, _ = fake_feishu.build_request(event)
    _, other_body = fake_feishu.build_request(
        fake_feishu.message_event(sender_open_id="ou_laozhou", text="帮助")
    )
    resp = await bot_client.post("/feishu/events", data=other_body, headers=headers)
    assert resp.status == 401
    await _nothing_stored()


async def test_wrong_verification_token_is_forbidden(
    fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    event["header"]["token"] = "not-our-token"
    status, _ = await fake_feishu.post_to_bot(events_url, event)
    assert status == 403
    await _nothing_stored()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "不是有效的 JSON"),
        (b"[1, 2]", "JSON 对象"),
        (b'{"encrypt": "%%% not base64"}', "base64"),
    ],
)
async def test_malformed_bodies_are_400(
    bot_client: TestClient[object, object], body: bytes, reason: str
) -> None:
    resp = await bot_client.post("/feishu/events", data=body)
    assert resp.status == 400
    assert reason in (await resp.json())["msg"]
    await _nothing_stored()


async def test_plaintext_body_is_refused_when_encryption_is_configured(
    fake_feishu: FakeFeishu, bot_client: TestClient[object, object]
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    resp = await bot_client.post("/feishu/events", json=event)
    assert resp.status == 401
    await _nothing_stored()


async def test_signed_but_misshapen_event_is_400(fake_feishu: FakeFeishu, events_url: str) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    del event["event"]["message"]["message_id"]
    status, answer = await fake_feishu.post_to_bot(events_url, event)
    assert status == 400
    assert "message_id" in answer["msg"]
    await _nothing_stored()


async def test_unknown_event_types_are_acknowledged_and_ignored(
    fake_feishu: FakeFeishu, events_url: str
) -> None:
    payload = {
        "schema": "2.0",
        "header": fake_feishu.header("contact.user.updated_v3"),
        "event": {"object": {"open_id": "ou_x"}},
    }
    assert await fake_feishu.post_to_bot(events_url, payload) == (200, {})
    old_style = {"uuid": "u1", "token": fake_feishu.verification_token, "ts": "1",
                 "type": "event_callback", "event": {"type": "message"}}  # fmt: skip
    assert await fake_feishu.post_to_bot(events_url, old_style) == (200, {})
    await _nothing_stored()


async def test_stranger_gets_a_polite_refusal(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_unknown_person", text="帮助")
    assert (await fake_feishu.post_to_bot(events_url, event))[0] == 200
    await settle(feishu)
    [reply] = fake_feishu.sent(receive_id="ou_unknown_person")
    assert reply.receive_id_type == "open_id"
    assert "系统里还没有您的信息" in reply.text


async def test_person_known_by_user_id_only(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    # 李科长's entry has only feishu_user_id; Feishu sends user_id when the app has the scope.
    event = fake_feishu.message_event(
        sender_open_id="ou_likz", sender_user_id="u_likz", text="我的信息"
    )
    assert (await fake_feishu.post_to_bot(events_url, event))[0] == 200
    await settle(feishu)
    [reply] = fake_feishu.sent("interactive")
    assert (reply.receive_id_type, reply.receive_id) == ("user_id", "u_likz")
    assert "李科长" in reply.text
    assert "科室负责人" in reply.text


async def test_group_message_mentioning_the_bot_is_answered_in_the_group(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(
        sender_open_id="ou_laozhou",
        text="@_user_1 我的信息",
        chat_type="group",
        chat_id="oc_wlw_review",
        mentions=[fake_feishu.bot_mention()],
    )
    assert (await fake_feishu.post_to_bot(events_url, event))[0] == 200
    await settle(feishu)
    [reply] = fake_feishu.sent("interactive")
    # Threaded under the message it answers, in that group.
    assert reply.reply_to == event["event"]["message"]["message_id"]
    assert reply.chat_id == "oc_wlw_review"
    assert "老周" in reply.text
    stored = await InboundEvent.get()
    assert stored.payload["text"] == "我的信息"


async def test_bot_menu_click_runs_the_command(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.menu_event(operator_open_id="ou_xiaowang", event_key="help")
    assert await fake_feishu.post_to_bot(events_url, event) == (200, {})
    await settle(feishu)
    [card] = fake_feishu.sent("interactive", receive_id="ou_xiaowang")
    assert "我能帮您做什么" in card.text


async def _help_card(feishu: Services, fake: FakeFeishu, url: str, open_id: str) -> str:
    event = fake.message_event(sender_open_id=open_id, text="帮助")
    assert (await fake.post_to_bot(url, event))[0] == 200
    await settle(feishu)
    return fake.sent("interactive", receive_id=open_id)[-1].message_id


async def test_tap_is_answered_with_a_toast_and_the_updated_card(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    message_id = await _help_card(feishu, fake_feishu, events_url, "ou_xiaowang")
    answer = await fake_feishu.tap(
        events_url, message_id, "我的信息", operator_open_id="ou_xiaowang"
    )
    assert answer["toast"] == {"type": "success", "content": "开始：我的信息"}
    assert answer["card"]["type"] == "raw"
    assert "已开始：我的信息" in card_text(answer["card"]["data"])
    help_card = fake_feishu.messages[message_id]
    assert help_card.updates == ["callback"]  # the tapped place was updated by the answer
    await settle(feishu)
    # Not also PATCHed: that one place was updated inline.
    assert fake_feishu.calls_to("PATCH", f"/open-apis/im/v1/messages/{message_id}") == []
    info = fake_feishu.sent("interactive", receive_id="ou_xiaowang")[-1]
    assert "我的信息" in info.text
    assert "区文旅委宣传科" in info.text


async def test_replayed_tap_is_processed_once(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    message_id = await _help_card(feishu, fake_feishu, events_url, "ou_xiaowang")
    tap = fake_feishu.tap_event(message_id, "我的信息", operator_open_id="ou_xiaowang")
    first = await fake_feishu.post_to_bot(events_url, tap)
    second = await fake_feishu.post_to_bot(events_url, tap)
    assert first[0] == second[0] == 200
    assert second[1]["toast"]["content"] == "这次操作已经处理过了。"
    # The replay still shows the card as it now is.
    assert "已开始：我的信息" in card_text(second[1]["card"]["data"])
    await settle(feishu)
    titles = [m.card["header"]["title"]["content"] for m in fake_feishu.sent("interactive")]
    assert titles.count("我的信息") == 1


async def test_tap_by_someone_else_is_refused_and_audited(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    message_id = await _help_card(feishu, fake_feishu, events_url, "ou_xiaowang")
    # 老周 got hold of 小王's card (forwarded): the tap arrives with 老周 as operator.
    tap = fake_feishu.tap_event(message_id, "我的信息", operator_open_id="ou_laozhou")
    status, answer = await fake_feishu.post_to_bot(events_url, tap)
    assert status == 200
    assert answer["toast"]["type"] == "warning"
    assert answer["toast"]["content"] == "这张卡片由小王处理，您的操作未生效。"
    assert "card" not in answer
    [denied] = await AuditEntry.filter(action="card.denied")
    assert denied.actor_label == "老周"
    await settle(feishu)
    assert len(fake_feishu.sent("interactive")) == 1  # nothing ran for 老周


async def test_tap_on_a_foreign_card_gets_a_notice(
    fake_feishu: FakeFeishu, events_url: str
) -> None:
    tap = fake_feishu.card_action_event(
        operator_open_id="ou_xiaowang",
        value={"some": "other system"},
        message_id="om_x",
        chat_id="oc_x",
    )
    status, answer = await fake_feishu.post_to_bot(events_url, tap)
    assert status == 200
    assert "不是值班助手发出的" in answer["toast"]["content"]
    await _nothing_stored()


async def test_tap_on_a_deleted_card(fake_feishu: FakeFeishu, events_url: str) -> None:
    tap = fake_feishu.card_action_event(
        operator_open_id="ou_xiaowang",
        value={"card_id": "0" * 32, "action": "help.run", "payload": {"command": "我的信息"}},
        message_id="om_x",
        chat_id="oc_x",
    )
    status, answer = await fake_feishu.post_to_bot(events_url, tap)
    assert status == 200
    assert answer["toast"]["content"] == "这张卡片已失效，请查看最新消息。"
    assert await CardRecord.all().count() == 0


async def test_tap_in_a_group_updates_that_group_card_inline(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(
        sender_open_id="ou_laozhou",
        text="@_user_1 帮助",
        chat_type="group",
        chat_id="oc_wlw_review",
        mentions=[fake_feishu.bot_mention()],
    )
    assert (await fake_feishu.post_to_bot(events_url, event))[0] == 200
    await settle(feishu)
    [card] = fake_feishu.sent("interactive")
    assert card.chat_id == "oc_wlw_review"
    # Another member of the group taps 老周's card: refused, the card unchanged.
    refused = await fake_feishu.tap(
        events_url, card.message_id, "我的信息", operator_open_id="ou_xiaowang"
    )
    assert refused["toast"]["content"] == "这张卡片由老周处理，您的操作未生效。"
    assert card.updates == []
    answer = await fake_feishu.tap(
        events_url, card.message_id, "我的信息", operator_open_id="ou_laozhou"
    )
    assert answer["toast"]["type"] == "success"
    assert card.updates == ["callback"]
    await settle(feishu)
    assert fake_feishu.calls_to("PATCH", MESSAGES) == []
    info = fake_feishu.sent("interactive")[-1]
    assert (info.chat_id, info.card["header"]["title"]["content"]) == ("oc_wlw_review", "我的信息")
