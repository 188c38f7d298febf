"""Dispatch rules that every flow relies on, exercised with a small test flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import dispatch
from bot.app import create_app
from bot.cards.model import Button, Card, FormInput, InputKind
from bot.core.context import HandlerContext
from bot.core.events import Place, PlatformUser, TextEvent
from bot.core.routing import Router
from bot.core.services import Services
from bot.handlers import load_all
from bot.worker import sweep_inbound
from storage.enums import IdentityKind, InboundStatus, Platform
from storage.models.machinery import AuditEntry, Conversation, InboundEvent
from storage.models.org import Person
from tests.support.chat import ChatHarness, harness_on


def build_router() -> Router:
    router = load_all().copy()

    @router.command("报数", "测试用的两步表单")
    async def start(ctx: HandlerContext, rest: str) -> None:
        await ctx.start_conversation("count", "first", {})
        await ctx.reply("第一个数是？")

    @router.flow("count", "报数")
    async def step(ctx: HandlerContext, conv: Conversation, text: str) -> None:
        if conv.step == "first":
            await ctx.save_conversation(conv, "second", {"first": text})
            await ctx.reply("第二个数是？")
            return
        await ctx.end_conversation(conv)
        await ctx.audit("count.done", "count", 1, {"a": conv.data["first"], "b": text})
        await ctx.reply(f"记下了：{conv.data['first']} 和 {text}")

    @router.command("出错", "测试：处理中抛出异常")
    async def explode(ctx: HandlerContext, rest: str) -> None:
        await ctx.audit("should.roll.back", "x", 1)
        await ctx.reply("这条不该发出")
        raise RuntimeError("boom")

    @router.command("要理由", "测试：按钮需要填写理由")
    async def ask(ctx: HandlerContext, rest: str) -> None:
        card = Card(
            title="退回测试",
            inputs=(FormInput(name="reason", label="退回理由", kind=InputKind.TEXTAREA),),
            buttons=(Button(label="退回", action="t.back", needs=("reason",)),),
        )
        stored = await ctx.emit.new_card(card, kind="t", allowed_person_ids=[ctx.actor.id])
        await ctx.reply(card=stored)

    @router.action("t")
    async def back(ctx: HandlerContext) -> None:
        reason = ctx.card_action.form["reason"]
        assert ctx.card_record is not None
        card = Card.model_validate(ctx.card_record.content)
        await ctx.emit.update_card(ctx.card_record.id, card.closed(f"已退回：{reason}"), close=True)
        ctx.notify_toast("已退回", "success")

    return router


@pytest.fixture
async def test_harness(
    request: pytest.FixtureRequest, services: Services, demo_org: None
) -> AsyncIterator[ChatHarness]:
    app = create_app(services, build_router(), console=True)
    async with TestClient(TestServer(app)) as client, harness_on(request, client, services) as h:
        yield h


async def test_conversation_continues_on_next_text(test_harness: ChatHarness) -> None:
    h = test_harness
    assert (await h.say("xiaowang", "报数"))[0].text == "第一个数是？"
    assert (await h.say("xiaowang", "3"))[0].text == "第二个数是？"
    assert (await h.say("xiaowang", "5"))[0].text == "记下了：3 和 5"
    assert await Conversation.all().count() == 0


async def test_cancel_ends_it_and_other_commands_wait(test_harness: ChatHarness) -> None:
    h = test_harness
    await h.say("xiaowang", "报数")
    blocked = await h.say("xiaowang", "我的信息")
    assert "您正在办理「报数」" in blocked[0].text
    helped = await h.say("xiaowang", "帮助")
    assert "还有一件事没办完" in helped[0].to_text()
    assert (await h.say("xiaowang", "7"))[0].text == "第二个数是？"  # still in the flow
    cancelled = await h.say("xiaowang", "取消")
    assert "已取消「报数」" in cancelled[0].text
    assert await Conversation.all().count() == 0
    assert await AuditEntry.filter(action="conversation.cancelled").count() == 1


async def test_half_filled_form_survives_a_restart(services: Services, demo_org: None) -> None:
    router = build_router()
    app = create_app(services, router, console=True)
    async with TestClient(TestServer(app)) as client:
        h = ChatHarness(client, services)
        await h.say("xiaowang", "报数")
        await h.say("xiaowang", "42")
    # A new application (as after a restart) picks the conversation up from the database.
    app2 = create_app(services, build_router(), console=True)
    async with TestClient(TestServer(app2)) as client2:
        h2 = ChatHarness(client2, services)
        assert (await h2.say("xiaowang", "8"))[0].text == "记下了：42 和 8"


async def test_conversations_are_per_place(test_harness: ChatHarness) -> None:
    h = test_harness
    await h.say("likz", "报数")
    in_group = await h.say("likz", "我的信息", chat="group:ljq-wlw-review")
    assert "李科长" in in_group[0].to_text()  # the group is not inside the 1:1 form


async def test_failing_handler_rolls_back_and_apologises(test_harness: ChatHarness) -> None:
    h = test_harness
    replies = await h.say("xiaowang", "出错")
    assert len(replies) == 1
    assert "出错了" in replies[0].text
    assert "不该发出" not in replies[0].text
    assert await AuditEntry.filter(action="should.roll.back").count() == 0
    failed = await InboundEvent.get(status=InboundStatus.FAILED)
    assert "boom" in failed.error


async def test_card_input_is_asked_in_chat_when_the_tap_has_none(
    test_harness: ChatHarness,
) -> None:
    h = test_harness
    card = (await h.say("xiaowang", "要理由"))[0]
    tapped = await h.tap("xiaowang", card, "退回")  # like WeCom: a tap carries no form
    assert tapped.toast == "请在对话中填写退回理由"
    assert any("请回复退回理由" in r.text for r in tapped.replies)
    done = await h.say("xiaowang", "第二段有错别字")
    assert any("已退回" in r.text for r in done)
    final = await h.latest_card("xiaowang", title="退回测试")
    assert final.status == "已退回：第二段有错别字"
    assert final.buttons == ()


async def test_card_input_given_in_the_form_acts_at_once(test_harness: ChatHarness) -> None:
    h = test_harness
    card = (await h.say("xiaowang", "要理由"))[0]
    tapped = await h.tap("xiaowang", card, "退回", form={"reason": "标题不妥"})
    assert tapped.toast == "已退回"
    assert tapped.card is not None
    assert tapped.card.status == "已退回：标题不妥"
    again = await h.tap("xiaowang", card, "退回", form={"reason": "再点一次"})
    assert again.toast == "此事项已处理：已退回：标题不妥"


async def test_sweeper_processes_a_delivery_whose_process_died(
    services: Services, demo_org: None
) -> None:
    event = TextEvent(
        key="orphan-1",
        sender=PlatformUser(platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value="xiaowang"),
        place=Place(platform=Platform.CONSOLE, kind="dm"),
        received_at=services.clock.now(),
        text="帮助",
    )
    inbound = await dispatch.accept(event)  # recorded, then the process "died"
    assert inbound is not None
    ctx = {"services": services}
    assert await sweep_inbound(ctx) == 0  # too recent: the live process may still be on it
    services.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    assert await sweep_inbound(ctx) == 1
    row = await InboundEvent.get(id=inbound)
    assert row.status == InboundStatus.PROCESSED
    assert await sweep_inbound(ctx) == 0
    assert await Person.filter(key="xiaowang").exists()


async def test_concurrent_deliveries_are_recorded_once_each(services: Services) -> None:
    """The group insert: many deliveries at once, some of them repeats, each recorded once."""
    import asyncio

    def event(n: int) -> TextEvent:
        return TextEvent(
            key=f"burst-{n}",
            sender=PlatformUser(platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value="x"),
            place=Place(platform=Platform.CONSOLE, kind="dm"),
            received_at=services.clock.now(),
            text=f"第{n}条",
        )

    # 300 distinct deliveries, each sent twice, interleaved: more than one batch's worth.
    events = [event(n) for n in range(300)] * 2
    ids = await asyncio.gather(*(dispatch.accept(e) for e in events))
    recorded = [i for i in ids if i is not None]
    assert len(recorded) == 300
    assert len(set(recorded)) == 300
    assert await InboundEvent.all().count() == 300
    again = await dispatch.accept(event(7))
    assert again is None
    row = await InboundEvent.get(key="console:burst-7")
    assert row.payload["text"] == "第7条"
    assert row.received_at == services.clock.now()
    assert row.status == InboundStatus.RECEIVED
