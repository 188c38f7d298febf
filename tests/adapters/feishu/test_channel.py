"""Delivery to Feishu through the outbox: tokens, limits, retries, idempotency, urgent, PATCH."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from bot import outbox, ratelimit, tokens
from bot.adapters.feishu import constants as c
from bot.cards.model import Button, Card, Mention, Tone
from bot.clock import ManualClock
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import CardDelivery, OutboxMessage
from storage.models.org import Chat, Person
from tests.fakes.feishu_server import FakeFeishu
from tests.support.travel import settle

MESSAGES = "/open-apis/im/v1/messages"


async def emit(services: Services, work: Callable[[Emitter], Awaitable[object]]) -> list[int]:
    """Write outbox rows the way a handler does (inside a transaction)."""
    async with in_transaction() as conn:
        now = services.clock.now()
        emitter = Emitter(services, conn, key_prefix=f"test:{uuid4().hex}", now=now)
        await work(emitter)
    return emitter.outbox_ids


async def pid(key: str) -> int:
    return (await Person.get(key=key)).id


async def say_to(services: Services, key: str, message: Message) -> list[int]:
    person = await pid(key)
    return await emit(services, lambda e: e.to_person(person, message, platform=Platform.FEISHU))


def advance(services: Services, seconds: float) -> None:
    clock = services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=seconds))


async def test_token_is_fetched_once_and_shared_through_redis(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    for key in ("xiaowang", "laozhou", "likz"):
        await say_to(feishu, key, Message(text="你好"))
    await settle(feishu)
    assert len(fake_feishu.calls_to("POST", c.TENANT_TOKEN_PATH)) == 1
    cached = await feishu.redis.get(tokens.token_key(c.token_name(fake_feishu.app_id)))
    assert cached is not None
    assert cached.decode() == fake_feishu.tokens_issued[0]
    receivers = {m.receive_id for m in fake_feishu.sent("text")}
    assert receivers == {"ou_xiaowang", "ou_laozhou", "u_likz"}


async def test_rejected_token_is_refetched_and_the_call_retried_once(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    await say_to(feishu, "xiaowang", Message(text="第一条"))
    await settle(feishu)
    fake_feishu.expire_tokens()  # e.g. the app secret was reset: old tokens stop working
    await say_to(feishu, "xiaowang", Message(text="第二条"))
    await settle(feishu)
    assert [m.text for m in fake_feishu.sent("text")] == ["第一条", "第二条"]
    assert len(fake_feishu.calls_to("POST", c.TENANT_TOKEN_PATH)) == 2
    refused = [call for call in fake_feishu.calls_to("POST", MESSAGES) if call.status == 400]
    assert [call.answer["code"] for call in refused] == [99991663]


async def test_429_postpones_without_using_up_retries_and_every_process_waits(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    fake_feishu.fail_next(
        "POST", MESSAGES, status=429, code=99991400, headers={"x-ogw-ratelimit-reset": "1"}
    )
    [row_id] = await say_to(feishu, "xiaowang", Message(text="告警"))
    await settle(feishu)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0
    assert "限流" in row.last_error
    # Shared cool-down: any process about to call Feishu sees it.
    assert 0 < await feishu.redis.pttl(c.cooldown_key("app:send")) <= 1000
    await asyncio.sleep(1.05)
    advance(feishu, 2)
    await settle(feishu)
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.SENT
    assert [m.text for m in fake_feishu.sent("text")] == ["告警"]


async def test_server_error_is_retried_later(feishu: Services, fake_feishu: FakeFeishu) -> None:
    fake_feishu.fail_next("POST", MESSAGES, status=500, code=1, msg="internal error")
    [row_id] = await say_to(feishu, "xiaowang", Message(text="稍后送达"))
    await settle(feishu)
    row = await OutboxMessage.get(id=row_id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    advance(feishu, 16)
    await settle(feishu)
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.SENT


async def test_wrong_app_secret_keeps_messages_until_it_is_fixed(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    fake_feishu.app_secret = "rotated-in-the-console"
    [row_id] = await say_to(feishu, "xiaowang", Message(text="别丢"))
    await settle(feishu)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.PENDING
    assert "tenant_access_token" in row.last_error
    fake_feishu.app_secret = "app-secret-for-tests"  # the admin fixed it
    advance(feishu, 61)
    await settle(feishu)
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.SENT


async def test_per_person_budget_postpones_the_excess(
    feishu: Services, fake_feishu: FakeFeishu, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Feishu allows 5 messages a second to one person; a one-minute window here keeps the
    # test independent of how fast this machine delivers.
    monkeypatch.setattr(c, "TARGET_LIMITS", [(5, 60.0)])
    ids = []
    for n in range(6):
        ids += await say_to(feishu, "xiaowang", Message(text=f"第{n + 1}条"))
    await settle(feishu)
    assert len(fake_feishu.sent("text")) == 5
    sixth = await OutboxMessage.get(id=ids[-1])
    assert (sixth.status, sixth.attempts) == (OutboxStatus.PENDING, 0)
    assert "频率" in sixth.last_error
    waits = (sixth.next_attempt_at - feishu.clock.now()).total_seconds()
    assert 50 < waits <= 60
    await feishu.redis.delete(ratelimit.budget_key("feishu", "open_id:ou_xiaowang", 60.0))
    advance(feishu, 61)
    await settle(feishu)
    assert [m.text for m in fake_feishu.sent("text")] == [f"第{n + 1}条" for n in range(6)]


async def test_a_retry_after_a_lost_answer_does_not_post_twice(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    card = Card(title="值班交接", body="请确认交接")
    [row_id] = await say_to(feishu, "xiaowang", Message(text="交接提醒", card=card))
    await settle(feishu)
    first = await OutboxMessage.get(id=row_id)
    # The worker died after Feishu accepted the messages but before the row was marked sent.
    await OutboxMessage.filter(id=row_id).update(status=OutboxStatus.PENDING, external_id=None)
    await outbox.drain(feishu)
    assert len(fake_feishu.calls_to("POST", MESSAGES)) == 4  # text + card, twice
    assert [m.msg_type for m in fake_feishu.sent()] == ["text", "interactive"]
    again = await OutboxMessage.get(id=row_id)
    assert again.external_id == first.external_id == fake_feishu.sent("interactive")[0].message_id
    uuids = {json.dumps(call.body["uuid"]) for call in fake_feishu.calls_to("POST", MESSAGES)}
    assert len(uuids) == 2
    assert all(len(json.loads(u)) <= 50 for u in uuids)


async def test_person_without_feishu_fails_with_a_reason(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    [row_id] = await say_to(feishu, "zhaofzr", Message(text="你好"))
    await settle(feishu)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.FAILED
    assert "没有飞书账号" in row.last_error
    assert fake_feishu.calls_to("POST", MESSAGES) == []


async def test_group_post_mentions_people_by_their_feishu_ids(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    chat = await Chat.get(key="wlw-review")
    message = Message(
        text="请初审《临江文旅》十月推文，请在飞书单聊中处理",
        mentions=(
            Mention(person_id=await pid("likz"), name="李科长"),
            Mention(person_id=await pid("zhaofzr"), name="赵副主任"),
        ),
    )
    await emit(feishu, lambda e: e.to_chat(chat.id, message))
    await settle(feishu)
    [post] = fake_feishu.sent("text")
    assert (post.receive_id_type, post.receive_id) == ("chat_id", "oc_wlw_review")
    assert post.text == (
        '<at user_id="u_likz">李科长</at> @赵副主任 请初审《临江文旅》十月推文，请在飞书单聊中处理'
    )


async def test_urgent_duty_alert_to_a_person_and_to_a_group(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    await say_to(feishu, "xiaowang", Message(text="【告警】账号疑似被盗", urgent=True))
    chat = await Chat.get(key="wlw-review")
    alert = Message(
        card=Card(title="值班告警", tone=Tone.RED, body="请立即处置"),
        mentions=(
            Mention(person_id=await pid("likz"), name="李科长"),
            Mention(person_id=await pid("laozhou"), name="老周"),
        ),
        urgent=True,
    )
    await emit(feishu, lambda e: e.to_chat(chat.id, alert))
    await settle(feishu)
    [dm] = fake_feishu.sent("text")
    assert dm.urgent == [["ou_xiaowang"]]
    [group_card] = fake_feishu.sent("interactive")
    # No words to carry them: the card @-mentions the people, then they are pushed urgently.
    assert "<at id=u_likz></at> <at id=ou_laozhou></at>" in group_card.content
    urgent = fake_feishu.calls_to("PATCH", f"{MESSAGES}/{group_card.message_id}/urgent_app")
    pushed = sorted((call.query["user_id_type"], call.body["user_id_list"]) for call in urgent)
    assert pushed == [
        ("open_id", ["ou_laozhou"]),
        ("user_id", ["u_likz"]),
    ]


async def test_urgent_quota_exhausted_still_delivers(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    fake_feishu.fail_next("PATCH", MESSAGES, status=400, code=230024, msg="quota exhausted")
    [row_id] = await say_to(feishu, "xiaowang", Message(text="告警", urgent=True))
    await settle(feishu)
    assert (await OutboxMessage.get(id=row_id)).status == OutboxStatus.SENT
    assert len(fake_feishu.sent("text")) == 1


async def _card_to_person_and_group(feishu: Services) -> Card:
    xiaowang = await pid("xiaowang")
    chat = await Chat.get(key="wlw-review")
    stored: list[Card] = []

    async def work(e: Emitter) -> None:
        card = await e.new_card(
            Card(title="送审：十月推文", buttons=(Button(label="撤回", action="review.withdraw"),)),
            kind="review",
            allowed_person_ids=[xiaowang],
        )
        stored.append(card)
        await e.to_person(xiaowang, Message(card=card), platform=Platform.FEISHU)
        await e.to_chat(chat.id, Message(card=card))

    await emit(feishu, work)
    await settle(feishu)
    return stored[0]


async def test_card_update_patches_it_everywhere_it_was_sent(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    card = await _card_to_person_and_group(feishu)
    assert card.card_id is not None
    sent = fake_feishu.sent("interactive")
    assert {m.receive_id for m in sent} == {"ou_xiaowang", "oc_wlw_review"}
    await emit(feishu, lambda e: e.update_card(card.card_id, card.closed("已撤回"), close=True))
    await settle(feishu)
    for message in sent:
        assert message.updates == ["patch"]
        assert "状态：已撤回" in message.text
        assert '"tag":"button"' not in message.content  # a closed card has no buttons


async def test_a_card_update_is_not_held_up_by_the_send_budget(
    feishu: Services, fake_feishu: FakeFeishu, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Feishu counts its app limits per API: sending messages at the limit must not stop a card
    # from being updated. (A budget per minute keeps this independent of the machine's speed.)
    card = await _card_to_person_and_group(feishu)
    assert card.card_id is not None
    monkeypatch.setattr(c, "APP_LIMITS", [(4, 60.0)])  # the card's two sends count too
    ids: list[int] = []
    for n in range(3):
        ids += await say_to(feishu, "laozhou", Message(text=f"第{n + 1}条"))
    await settle(feishu)
    assert [m.text for m in fake_feishu.sent("text")] == ["第1条", "第2条"]
    third = await OutboxMessage.get(id=ids[-1])
    assert (third.status, third.attempts) == (OutboxStatus.PENDING, 0)
    assert "应用发送频率" in third.last_error
    await emit(feishu, lambda e: e.update_card(card.card_id, card.closed("已撤回"), close=True))
    await settle(feishu)
    for message in fake_feishu.sent("interactive"):
        assert message.updates == ["patch"]
    assert (await OutboxMessage.get(id=ids[-1])).status == OutboxStatus.PENDING


async def test_card_older_than_14_days_is_sent_again_instead_of_patched(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    card = await _card_to_person_and_group(feishu)
    assert card.card_id is not None
    old = next(m for m in fake_feishu.sent("interactive") if m.receive_id == "ou_xiaowang")
    fake_feishu.age_message(old.message_id, 15)
    delivery = await CardDelivery.get(card_id=card.card_id, target_kind="person")
    await CardDelivery.filter(id=delivery.id).update(
        created_at=delivery.created_at - timedelta(days=15)
    )
    await emit(feishu, lambda e: e.update_card(card.card_id, card.closed("已撤回"), close=True))
    await settle(feishu)
    assert old.updates == []  # not PATCHed: Feishu would refuse
    fresh = fake_feishu.sent("interactive", receive_id="ou_xiaowang")[-1]
    assert fresh.message_id != old.message_id
    assert "状态：已撤回" in fresh.text
    assert (await CardDelivery.get(id=delivery.id)).external_id == fresh.message_id
    group = next(m for m in fake_feishu.sent("interactive") if m.receive_id == "oc_wlw_review")
    assert group.updates == ["patch"]


async def test_documents_are_uploaded_once_and_sent_as_files(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    from bot.core import files

    content = b"PK\x03\x04 docx bytes of the filled form"
    async with in_transaction() as conn:
        ref = await files.save(
            feishu, conn, name="临江文旅开设备案表.docx", data=content, now=feishu.clock.now()
        )
    card = Card(title="备案表已生成", body="请下载打印后盖章")
    await say_to(feishu, "xiaowang", Message(card=card, files=(ref,)))
    await say_to(feishu, "laozhou", Message(text="抄送：备案表", files=(ref,)))
    await settle(feishu)
    [(key, (name, file_type, data))] = fake_feishu.uploads.items()
    assert (name, file_type, data) == ("临江文旅开设备案表.docx", "doc", content)
    sent = [(m.receive_id, m.msg_type) for m in fake_feishu.sent()]
    assert sent == [
        ("ou_xiaowang", "interactive"),
        ("ou_xiaowang", "file"),
        ("ou_laozhou", "text"),
        ("ou_laozhou", "file"),
    ]
    assert all(json.loads(m.content) == {"file_key": key} for m in fake_feishu.sent("file"))
    # The card, not the file, is what later updates follow.
    row = await OutboxMessage.filter(target_id=await pid("xiaowang")).first()
    assert row is not None
    assert row.external_id == fake_feishu.sent("interactive")[0].message_id


async def test_a_missing_document_fails_with_a_reason(
    feishu: Services, fake_feishu: FakeFeishu
) -> None:
    from bot.core.outgoing import FileRef

    gone = FileRef(file_id="0" * 32, name="整改通知书.pdf", size=10)
    [row_id] = await say_to(feishu, "xiaowang", Message(text="整改通知", files=(gone,)))
    await settle(feishu)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.FAILED
    assert "整改通知书.pdf" in row.last_error
    assert "已不存在" in row.last_error
