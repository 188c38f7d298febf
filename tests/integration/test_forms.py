"""The chat form engine: one question at a time, validation, 上一步, 同上, summary, restart,
reminders, and the single form card some platforms prefer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core import conversation, forms
from bot.core.capabilities import CAPABILITIES, Capabilities
from bot.core.context import HandlerContext
from bot.core.forms import Choice, FormError, FormSpec, Question, QuestionKind
from bot.core.routing import Router
from bot.core.services import Services
from bot.handlers import load_all
from storage.enums import Platform
from storage.models.machinery import AuditEntry, Conversation
from tests.support.chat import ChatHarness, harness_on


async def _no_test_accounts(ctx: HandlerContext, value: str, answers: dict[str, str]) -> str:
    if "测试" in value:
        raise FormError("名称里不能有“测试”（依据某办法第七条）。")
    return value


async def _complete(ctx: HandlerContext, answers: dict[str, str], extra: dict[str, Any]) -> None:
    await ctx.audit("contact.registered", "contact", 1, {"answers": answers, "extra": extra})
    await ctx.reply(f"登记完成：{answers['name']}")


SPEC = forms.register(
    FormSpec(
        name="test.contact",
        label="联系人登记",
        on_complete=_complete,
        questions=(
            Question("name", "账号名称", "请输入账号名称", validate=_no_test_accounts),
            Question(
                "platform",
                "平台",
                "请选择平台",
                kind=QuestionKind.CHOICE,
                choices=(
                    Choice("wechat", "微信"),
                    Choice("weibo", "微博"),
                    Choice("other", "其他"),
                ),
            ),
            Question(
                "platform_name",
                "平台名称",
                "请写明平台名称",
                when=lambda a: a.get("platform") == "other",
            ),
            Question("phone", "联系电话", "请输入联系电话", kind=QuestionKind.PHONE),
            Question("note", "备注", "有什么要说明的吗？", required=False),
            Question("start", "开始日期", "从哪天开始？", kind=QuestionKind.DATE),
        ),
    )
)


def build_router() -> Router:
    router = load_all().copy()

    @router.command("登记", "测试表单")
    async def begin(ctx: HandlerContext, rest: str) -> None:
        await forms.start(ctx, SPEC, extra={"source": "test"})

    @router.command("改登记", "测试表单（带原登记内容）")
    async def begin_prefilled(ctx: HandlerContext, rest: str) -> None:
        await forms.start(
            ctx,
            SPEC,
            answers={"platform": "weibo"},
            prefill={"name": "临江文旅", "phone": "023-49888888"},
        )

    return router


@pytest.fixture
async def h(
    request: pytest.FixtureRequest, services: Services, demo_org: None
) -> AsyncIterator[ChatHarness]:
    app = create_app(services, build_router(), console=True)
    async with TestClient(TestServer(app)) as client, harness_on(request, client, services) as h:
        yield h


async def test_one_question_at_a_time_to_a_summary_and_submit(h: ChatHarness) -> None:
    first = await h.say("xiaowang", "登记")
    # The platform still to choose may add a question: no total promised yet (it was 1/5, then 3/6).
    assert "联系人登记（第1题）请输入账号名称" in first[0].text
    refused = await h.say("xiaowang", "测试号")
    assert "不能有“测试”（依据某办法第七条）" in refused[0].text
    assert "请重新回复账号名称" in refused[0].text
    choice = await h.say("xiaowang", "临江文旅")
    card = choice[0].card
    assert card is not None
    assert [b.label for b in card.buttons] == ["微信", "微博", "其他"]
    tapped = await h.tap("xiaowang", choice[0], "其他")
    assert any("（3/6）请写明平台名称" in r.text for r in tapped.replies)  # conditional question
    closed = await h.latest_card("xiaowang", title="联系人登记")
    assert closed.status == "已选择：其他"
    await h.say("xiaowang", "小红书")
    bad_phone = await h.say("xiaowang", "12345")
    assert "联系方式格式不正确" in bad_phone[0].text
    await h.say("xiaowang", "13812345678")
    await h.say("xiaowang", "无")  # optional
    summary = await h.say("xiaowang", "10月12日")
    card = summary[0].card
    assert card is not None
    fields = {f.label: f.value for f in card.fields}
    assert fields == {
        "账号名称": "临江文旅",
        "平台": "其他",
        "平台名称": "小红书",
        "联系电话": "13812345678",
        "备注": "无",
        "开始日期": "2026-10-12",
    }
    done = await h.tap("xiaowang", summary[0], "提交")
    assert done.toast == "已提交"
    assert any("登记完成：临江文旅" in r.text for r in done.replies)
    entry = await AuditEntry.get(action="contact.registered")
    assert entry.detail["answers"]["platform_name"] == "小红书"
    assert entry.detail["extra"] == {"source": "test"}
    assert await Conversation.all().count() == 0


async def test_back_goes_to_the_previous_question(h: ChatHarness) -> None:
    await h.say("xiaowang", "登记")
    await h.say("xiaowang", "临江文旅")
    back = await h.say("xiaowang", "上一步")
    assert "请输入账号名称" in back[0].text
    again = await h.say("xiaowang", "临江文旅新号")
    assert again[0].card is not None  # the platform question again
    await h.say("xiaowang", "微信")  # typed label works as well as the button
    ask_phone = await h.messages("xiaowang")
    assert "请输入联系电话" in ask_phone[-1].text


async def test_a_changed_answer_drops_answers_that_no_longer_apply(h: ChatHarness) -> None:
    await h.say("xiaowang", "登记")
    await h.say("xiaowang", "临江文旅")
    await h.say("xiaowang", "3")  # numbered choice: 其他
    await h.say("xiaowang", "小红书")
    await h.say("xiaowang", "上一步")  # back to 平台名称
    await h.say("xiaowang", "上一步")  # back to 平台
    await h.say("xiaowang", "微信")
    for answer in ("13812345678", "无"):
        await h.say("xiaowang", answer)
    summary = await h.say("xiaowang", "2026-10-12")
    card = summary[0].card
    assert card is not None
    assert "平台名称" not in {f.label for f in card.fields}


async def test_prefill_and_keep_word(h: ChatHarness) -> None:
    first = await h.say("xiaowang", "改登记")
    assert "当前登记为：临江文旅" in first[0].text
    assert "同上" in first[0].text
    phone_q = await h.say("xiaowang", "同上")
    assert "（2/4）请输入联系电话" in phone_q[0].text  # platform was settled up front: not asked
    await h.say("xiaowang", "同上")
    await h.say("xiaowang", "无")
    summary = await h.say("xiaowang", "明天")
    card = summary[0].card
    assert card is not None
    fields = {f.label: f.value for f in card.fields}
    assert fields["账号名称"] == "临江文旅"
    assert fields["联系电话"] == "023-49888888"
    assert fields["平台"] == "微博"
    assert fields["开始日期"] == "2026-10-10"


async def test_edit_from_the_summary_and_stale_taps(h: ChatHarness) -> None:
    await h.say("xiaowang", "登记")
    name_reply = await h.say("xiaowang", "临江文旅")
    await h.tap("xiaowang", name_reply[0], "微信")
    stale = await h.tap("xiaowang", name_reply[0], "微博")
    assert stale.toast == "此事项已处理：已选择：微信"
    for answer in ("13812345678", "无"):
        await h.say("xiaowang", answer)
    summary = await h.say("xiaowang", "2026-10-12")
    edit = await h.tap("xiaowang", summary[0], "修改")
    assert any("从头核对" in r.text for r in edit.replies)
    assert any("当前登记为：临江文旅" in r.text for r in edit.replies)
    await h.say("xiaowang", "同上")
    await h.say("xiaowang", "同上")  # platform: keep 微信
    await h.say("xiaowang", "13900000000")
    await h.say("xiaowang", "同上")
    summary2 = await h.say("xiaowang", "同上")
    card = summary2[0].card
    assert card is not None
    fields = {f.label: f.value for f in card.fields}
    assert fields["联系电话"] == "13900000000"
    assert fields["平台"] == "微信"
    old_submit = await h.tap("xiaowang", summary[0], "提交")
    assert old_submit.toast == "此事项已处理：修改中"  # the first summary was closed by 修改


async def test_form_survives_restart_and_is_reminded_then_discarded(
    services: Services, demo_org: None
) -> None:
    app = create_app(services, build_router(), console=True)
    async with TestClient(TestServer(app)) as client:
        first = ChatHarness(client, services)
        await first.say("xiaowang", "登记")
        await first.say("xiaowang", "临江文旅")
    labels = {"test.contact": "联系人登记"}.__getitem__
    services.clock.advance(timedelta(hours=23))  # type: ignore[attr-defined]
    assert await conversation.sweep_stale(services, labels) == (0, 0)
    services.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    assert await conversation.sweep_stale(services, labels) == (1, 0)
    assert await conversation.sweep_stale(services, labels) == (0, 0)  # reminded once only
    app2 = create_app(services, build_router(), console=True)
    async with TestClient(TestServer(app2)) as client2:
        second = ChatHarness(client2, services)
        await second.drain()
        reminder = await second.messages("xiaowang")
        assert "您的「联系人登记」还没填完" in reminder[-1].text
        resumed = await second.say("xiaowang", "微博")  # answers the pending question
        assert "请输入联系电话" in resumed[0].text
        services.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
        assert await conversation.sweep_stale(services, labels) == (0, 1)
        await second.drain()
        assert "已超过 7 天未完成，已自动作废" in (await second.messages("xiaowang"))[-1].text
    assert await Conversation.all().count() == 0
    assert await AuditEntry.filter(action="conversation.discarded").count() == 1


async def test_single_form_card_where_the_platform_prefers_it(
    h: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        CAPABILITIES,
        Platform.CONSOLE,
        Capabilities(buttons=True, max_buttons=8, forms=True, single_form_card=True),
    )
    first = await h.say("xiaowang", "登记")
    card = first[0].card
    assert card is not None
    assert [i.name for i in card.inputs] == [
        "name",
        "platform",
        "platform_name",
        "phone",
        "note",
        "start",
    ]
    errors = await h.tap(
        "xiaowang",
        first[0],
        "下一步",
        form={"name": "临江文旅", "platform": "other", "phone": "123", "start": "10月12日"},
    )
    assert errors.toast == "有几项需要修改"
    marked = await h.latest_card("xiaowang", title="联系人登记")
    labels = {i.name: i.label for i in marked.inputs}
    assert "联系方式格式不正确" in labels["phone"]
    assert "不能为空" in labels["platform_name"]
    assert {i.name: i.default for i in marked.inputs}["name"] == "临江文旅"
    ok = await h.tap(
        "xiaowang",
        marked,
        "下一步",
        form={
            "name": "临江文旅",
            "platform": "other",
            "platform_name": "小红书",
            "phone": "13812345678",
            "start": "10月12日",
        },
    )
    summary = ok.replies[-1].card
    assert summary is not None
    assert {f.label: f.value for f in summary.fields}["平台名称"] == "小红书"
    done = await h.tap("xiaowang", summary, "提交")
    assert any("登记完成" in r.text for r in done.replies)
