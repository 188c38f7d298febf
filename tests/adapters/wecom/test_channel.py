"""WeCom delivery through the real outbox: taps and card updates, tokens, limits, robots."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from tortoise.transactions import in_transaction

from bot import outbox
from bot.adapters.wecom.codes import make_update_token
from bot.cards.model import Button, Card, FormInput, Mention
from bot.clock import ManualClock
from bot.core.context import HandlerContext
from bot.core.emit import Emitter, card_from_record
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.handlers.registry import router
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import AuditEntry, CardDelivery, OutboxMessage
from storage.models.org import Chat, Person
from tests.fakes.wecom_callbacks import text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import ROBOT_KEY
from tests.support.travel import settle
from tests.support.wecom import AGENT_ID, CORP_ID

Client = TestClient[object, object]


async def person_id(key: str) -> int:
    return (await Person.get(key=key)).id


async def emit(services: Services, work: Callable[[Emitter], Awaitable[Any]]) -> list[int]:
    async with in_transaction() as conn:
        emitter = Emitter(
            services, conn, key_prefix=f"test:{uuid.uuid4().hex}", now=services.clock.now()
        )
        await work(emitter)
    return emitter.outbox_ids


async def say(client: Client, platform: WeComPlatform, userid: str, text: str) -> None:
    signed = platform.signer.post(text_xml(CORP_ID, userid, text, uuid.uuid4().hex[:12]))
    resp = await client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status == 200


async def tap(client: Client, platform: WeComPlatform, xml: str) -> None:
    signed = platform.signer.post(xml, agent_id=AGENT_ID)
    resp = await client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status == 200
    assert await resp.text() == ""


async def test_tap_updates_the_card_with_the_taps_response_code(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    await say(bot_client, platform, "ZhangSan", "帮助")
    await settle(wecom)
    (sent,) = fake_wecom.sent(msgtype="template_card", touser="ZhangSan")
    card = sent["template_card"]
    send_code = fake_wecom.calls_to("message/send")[-1].answer["response_code"]  # type: ignore[index]
    xml = platform.tap("ZhangSan", card, "我的信息")
    await tap(bot_client, platform, xml)
    await tap(bot_client, platform, xml)  # WeCom's retry of the same tap: processed once
    await settle(wecom)
    (update,) = fake_wecom.updates()
    assert update["response_code"] != send_code  # the tap's own code, one use each
    assert update["userids"] == ["ZhangSan"]
    new_card = fake_wecom.cards[("ZhangSan", card["task_id"])]
    assert new_card["horizontal_content_list"][0] == {
        "keyname": "状态",
        "value": "已开始：我的信息",
    }
    assert "我的信息" in [b["text"] for b in new_card["button_list"]]  # still usable
    replies = fake_wecom.sent(msgtype="markdown", touser="ZhangSan")
    assert len(replies) == 1
    assert "青溪区融媒体中心" in replies[0]["markdown"]["content"]
    # The used code is forgotten; a second tap brings a fresh one and updates again.
    delivery = await CardDelivery.get(platform="wecom")
    assert delivery.update_token is None
    await tap(bot_client, platform, platform.tap("ZhangSan", card, "我的信息"))
    await settle(wecom)
    assert len(fake_wecom.updates()) == 2


async def test_someone_elses_card_is_refused_with_a_notice_and_audited(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    await say(bot_client, platform, "ZhangSan", "帮助")
    await settle(wecom)
    (sent,) = fake_wecom.sent(msgtype="template_card", touser="ZhangSan")
    # 李四 replays a tap on 张三's card (a forwarded or forged callback).
    await tap(bot_client, platform, platform.tap("LiSi", sent["template_card"], "我的信息"))
    await settle(wecom)
    (notice,) = fake_wecom.sent(touser="LiSi")
    assert notice["text"]["content"] == "这张卡片由张三处理，您的操作未生效。"
    assert fake_wecom.updates() == []
    assert fake_wecom.sent(msgtype="markdown") == []  # 张三's info was not shown to anyone
    denied = await AuditEntry.filter(action="card.denied")
    assert [d.actor_label for d in denied] == ["李四"]


async def test_update_without_a_usable_code_sends_the_card_again(
    wecom: Services, fake_wecom: FakeWeCom
) -> None:
    lisi = await person_id("lisi")
    card = Card(title="请初审：《通知》", buttons=(Button(label="通过", action="help.run"),))

    async def send(em: Emitter) -> None:
        stored = await em.new_card(card, kind="test", allowed_person_ids=[lisi])
        await em.to_person(lisi, Message(card=stored), platform=Platform.WECOM)

    await emit(wecom, send)
    await settle(wecom)
    delivery = await CardDelivery.get(platform="wecom")
    # First update: the code from message/send works once.
    await emit(wecom, lambda em: em.update_card(delivery.card_id, card.closed("已撤回")))
    await settle(wecom)
    assert len(fake_wecom.updates()) == 1
    assert fake_wecom.updates()[0]["template_card"]["replace_text"] == "已撤回"
    # Second update: no code left, so the current card arrives as a new message.
    await emit(wecom, lambda em: em.update_card(delivery.card_id, card.closed("已恢复")))
    await settle(wecom)
    assert len(fake_wecom.updates()) == 1
    again = fake_wecom.sent(touser="LiSi")[-1]
    assert again["msgtype"] == "markdown"
    assert "有更新" in again["markdown"]["content"]
    assert "已恢复" in again["markdown"]["content"]


async def test_expired_or_refused_codes_fall_back_to_a_new_card(
    wecom: Services, fake_wecom: FakeWeCom
) -> None:
    lisi = await person_id("lisi")
    card = Card(title="值班交接", buttons=(Button(label="确认接班", action="help.run"),))

    async def send(em: Emitter) -> None:
        stored = await em.new_card(card, kind="test", allowed_person_ids=[lisi])
        await em.to_person(lisi, Message(card=stored), platform=Platform.WECOM)

    await emit(wecom, send)
    await settle(wecom)
    delivery = await CardDelivery.get(platform="wecom")
    # Issued 72 hours ago: not even tried.
    issued = delivery.created_at.timestamp() - 72 * 3600
    old = make_update_token("rc-old", str(delivery.external_id), issued_at=issued)
    await CardDelivery.filter(id=delivery.id).update(update_token=old)
    await emit(wecom, lambda em: em.update_card(delivery.card_id, card))
    await settle(wecom)
    assert fake_wecom.calls_to("message/update_template_card") == []
    assert len(fake_wecom.sent(msgtype="template_card", touser="LiSi")) == 2
    # The resent copy has a fresh code; WeCom refuses it (say it was used elsewhere).
    code = fake_wecom.calls_to("message/send")[-1].answer["response_code"]  # type: ignore[index]
    fake_wecom.codes[code].used = True
    await emit(wecom, lambda em: em.update_card(delivery.card_id, card))
    await settle(wecom)
    assert len(fake_wecom.calls_to("message/update_template_card")) == 1
    assert len(fake_wecom.sent(msgtype="template_card", touser="LiSi")) == 3
    assert await OutboxMessage.filter(status=OutboxStatus.FAILED).count() == 0


async def test_expired_token_is_refetched_and_the_call_retried_once(
    wecom: Services, fake_wecom: FakeWeCom
) -> None:
    zhang = await person_id("zhangsan")
    await emit(wecom, lambda em: em.to_person(zhang, Message(text="一"), platform=Platform.WECOM))
    await settle(wecom)
    fake_wecom.expire_tokens()
    await emit(wecom, lambda em: em.to_person(zhang, Message(text="二"), platform=Platform.WECOM))
    await settle(wecom)
    assert [m["text"]["content"] for m in fake_wecom.sent()] == ["一", "二"]
    assert len(fake_wecom.calls_to("gettoken")) == 2
    errors = [c.answer["errcode"] for c in fake_wecom.calls_to("message/send")]  # type: ignore[index]
    assert errors == [0, 42001, 0]


async def test_all_senders_share_one_token_fetch(wecom: Services, fake_wecom: FakeWeCom) -> None:
    ids = [await person_id("zhangsan"), await person_id("lisi")]
    for pid in ids:
        for n in range(3):
            await emit(
                wecom,
                lambda em, p=pid, n=n: em.to_person(
                    p, Message(text=f"{n}"), platform=Platform.WECOM
                ),
            )
    targets = await outbox.due_targets(wecom.clock.now())
    await asyncio.gather(*(outbox.deliver_target(wecom, t) for t in targets))
    assert len(fake_wecom.sent()) == 6
    assert len(fake_wecom.calls_to("gettoken")) == 1


async def test_rate_limit_answer_postpones_without_using_up_retries(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    zhang = await person_id("zhangsan")
    fake_wecom.fail("message/send", errcode=45009)
    await emit(wecom, lambda em: em.to_person(zhang, Message(text="稍后"), platform=Platform.WECOM))
    await settle(wecom)
    row = await OutboxMessage.get()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert "45009" in row.last_error
    clock.advance(timedelta(seconds=61))
    await settle(wecom)
    assert [m["text"]["content"] for m in fake_wecom.sent()] == ["稍后"]


async def test_server_errors_and_http_429_are_retried(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    zhang = await person_id("zhangsan")
    fake_wecom.fail("message/send", status=502)
    fake_wecom.fail("message/send", status=429, retry_after="7")
    await emit(wecom, lambda em: em.to_person(zhang, Message(text="重试"), platform=Platform.WECOM))
    await settle(wecom)
    row = await OutboxMessage.get()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    clock.advance(timedelta(seconds=20))
    await settle(wecom)
    row = await OutboxMessage.get()
    assert row.status == OutboxStatus.PENDING
    assert "429" in row.last_error
    assert row.next_attempt_at == clock.now() + timedelta(seconds=7)
    clock.advance(timedelta(seconds=8))
    await settle(wecom)
    assert [m["text"]["content"] for m in fake_wecom.sent()] == ["重试"]


async def test_member_budget_delays_instead_of_letting_wecom_drop(
    wecom: Services, fake_wecom: FakeWeCom
) -> None:
    zhang = await person_id("zhangsan")

    async def many(em: Emitter) -> None:
        for n in range(33):
            await em.to_person(zhang, Message(text=f"第{n + 1}条"), platform=Platform.WECOM)

    await emit(wecom, many)
    await settle(wecom)
    assert len(fake_wecom.sent(touser="ZhangSan")) == 30
    assert fake_wecom.dropped_messages == []
    waiting = await OutboxMessage.filter(status=OutboxStatus.PENDING).order_by("id")
    assert len(waiting) == 3
    assert "30 条/分钟" in waiting[0].last_error
    assert waiting[0].attempts == 0


async def test_group_robot_mentions_people_by_userid(
    wecom: Services, fake_wecom: FakeWeCom
) -> None:
    chat = await Chat.get(key="qx-review")
    lisi, wangwu = await person_id("lisi"), await person_id("wangwu")
    message = Message(
        text="请初审《国庆通知》。",
        mentions=(Mention(person_id=lisi, name="李四"), Mention(person_id=wangwu, name="王五")),
    )
    await emit(wecom, lambda em: em.to_chat(chat.id, message, platform=Platform.WECOM))
    await settle(wecom)
    (post,) = fake_wecom.robot_posts(ROBOT_KEY)
    assert post["text"]["mentioned_list"] == ["LiSi"]
    assert post["text"]["content"] == "@王五 请初审《国庆通知》，请在企业微信应用消息中处理"


async def test_group_robot_budget_is_20_per_minute(wecom: Services, fake_wecom: FakeWeCom) -> None:
    chat = await Chat.get(key="qx-review")

    async def many(em: Emitter) -> None:
        for n in range(21):
            await em.to_chat(chat.id, Message(text=f"通知{n}"), platform=Platform.WECOM)

    await emit(wecom, many)
    await settle(wecom)
    assert len(fake_wecom.robot_posts()) == 20
    pending = await OutboxMessage.filter(status=OutboxStatus.PENDING)
    assert len(pending) == 1
    assert "20 条/分钟" in pending[0].last_error
    # Only chats with a robot key are WeCom targets at all.
    plain = await Chat.get(key="qx-plain")
    assert (
        await emit(
            wecom, lambda em: em.to_chat(plain.id, Message(text="x"), platform=Platform.WECOM)
        )
        == []
    )


async def test_undeliverable_people_fail_with_a_reason(
    wecom: Services, fake_wecom: FakeWeCom
) -> None:
    wangwu = await person_id("wangwu")
    await emit(wecom, lambda em: em.to_person(wangwu, Message(text="x"), platform=Platform.WECOM))
    await settle(wecom)
    row = await OutboxMessage.get()
    assert row.status == OutboxStatus.FAILED
    assert "没有登记企业微信账号" in row.last_error
    assert fake_wecom.calls_to("message/send") == []


async def test_wrong_secret_keeps_messages_for_later(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    fake_wecom.secret = "rotated-by-admin"
    zhang = await person_id("zhangsan")
    await emit(
        wecom, lambda em: em.to_person(zhang, Message(text="等配置"), platform=Platform.WECOM)
    )
    await settle(wecom)
    row = await OutboxMessage.get()
    assert row.status == OutboxStatus.PENDING
    assert "40001" in row.last_error
    assert "配置" in row.last_error


@router.action("wecomtest")
async def _close_with_reason(ctx: HandlerContext) -> None:
    """Test-only action: close the tapped card, quoting the reason the person gave."""
    record = ctx.card_record
    assert record is not None
    reason = ctx.card_action.form.get("reason", "")
    status = f"已退回：{reason}" if reason else "已通过"
    closed = card_from_record(record).closed(status)
    ctx.updated_card = await ctx.emit.update_card(record.id, closed, close=True)
    ctx.notify_toast(status, "success")


async def test_a_button_that_needs_input_asks_in_the_chat_then_updates_the_card(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    lisi = await person_id("lisi")
    card = Card(
        title="请初审：《国庆通知》",
        inputs=(FormInput(name="reason", label="退回理由", required=True),),
        buttons=(
            Button(label="通过", action="wecomtest.ok"),
            Button(label="退回修改", action="wecomtest.return", needs=("reason",)),
        ),
    )

    async def send(em: Emitter) -> None:
        stored = await em.new_card(card, kind="test", allowed_person_ids=[lisi])
        await em.to_person(lisi, Message(card=stored), platform=Platform.WECOM)

    await emit(wecom, send)
    await settle(wecom)
    (sent,) = fake_wecom.sent(msgtype="template_card", touser="LiSi")
    await tap(bot_client, platform, platform.tap("LiSi", sent["template_card"], "退回修改"))
    await settle(wecom)
    prompt = fake_wecom.sent(msgtype="text", touser="LiSi")[-1]["text"]["content"]
    assert "请回复退回理由" in prompt
    assert fake_wecom.updates() == []
    await say(bot_client, platform, "LiSi", "标题有错别字")
    await settle(wecom)
    (update,) = fake_wecom.updates()
    assert update["template_card"]["replace_text"] == "已退回：标题有错别字"
    assert fake_wecom.cards[("LiSi", sent["template_card"]["task_id"])]["replace_text"] == (
        "已退回：标题有错别字"
    )


async def test_a_tap_on_an_older_copy_updates_that_copy(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    lisi = await person_id("lisi")
    card = Card(title="值班交接", buttons=(Button(label="通过", action="wecomtest.ok"),))

    async def send(em: Emitter) -> None:
        stored = await em.new_card(card, kind="test", allowed_person_ids=[lisi])
        await em.to_person(lisi, Message(card=stored), platform=Platform.WECOM)

    await emit(wecom, send)
    await settle(wecom)
    first = fake_wecom.sent(msgtype="template_card", touser="LiSi")[0]["template_card"]
    delivery = await CardDelivery.get(platform="wecom")
    # Two content changes: the first uses the send code, the second re-sends a new copy.
    for subtitle in ("第一次更新", "第二次更新"):
        changed = card.model_copy(update={"subtitle": subtitle})
        await emit(wecom, lambda em, c=changed: em.update_card(delivery.card_id, c))
        await settle(wecom)
    copies = fake_wecom.sent(msgtype="template_card", touser="LiSi")
    assert len(copies) == 2
    # 李四 taps the first copy: that copy is the one updated.
    await tap(bot_client, platform, platform.tap("LiSi", first, "通过"))
    await settle(wecom)
    last = fake_wecom.updates()[-1]
    assert last["template_card"]["task_id"] == first["task_id"]
    assert fake_wecom.cards[("LiSi", first["task_id"])]["replace_text"] == "已通过"


async def test_a_tap_recorded_before_a_crash_is_finished_by_the_worker(
    wecom: Services, fake_wecom: FakeWeCom, platform: WeComPlatform, clock: ManualClock
) -> None:
    from bot import dispatch, worker
    from bot.adapters.wecom.parse import parse_callback, to_event

    zhang = await person_id("zhangsan")
    card = Card(title="巡查提醒", buttons=(Button(label="已巡查", action="wecomtest.ok"),))

    async def send(em: Emitter) -> None:
        stored = await em.new_card(card, kind="test", allowed_person_ids=[zhang])
        await em.to_person(zhang, Message(card=stored), platform=Platform.WECOM)

    await emit(wecom, send)
    await settle(wecom)
    (sent,) = fake_wecom.sent(msgtype="template_card", touser="ZhangSan")
    # The web process records the tap and dies before processing it.
    inbound = parse_callback(platform.tap("ZhangSan", sent["template_card"], "已巡查"))
    # ResponseCodes age in wall time (WeCom's clock), not the bot's injected clock.
    event = to_event(inbound, clock.now(), int(time.time())).event
    assert event is not None
    assert await dispatch.accept(event) is not None
    clock.advance(timedelta(minutes=1))
    assert await worker.sweep_inbound({"services": wecom}) == 1
    await settle(wecom)
    (update,) = fake_wecom.updates()
    assert update["template_card"]["replace_text"] == "已通过"
