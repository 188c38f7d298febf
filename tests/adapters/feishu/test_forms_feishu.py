"""A multi-field form on Feishu: one form card, filled and submitted through card callbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core import forms
from bot.core.context import HandlerContext
from bot.core.forms import Choice, FormSpec, Question, QuestionKind
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.machinery import AuditEntry
from tests.fakes.feishu_server import FakeFeishu, card_text
from tests.support.travel import settle


async def _complete(ctx: HandlerContext, answers: dict[str, str], extra: dict[str, Any]) -> None:
    await ctx.audit("test.registered", "contact", 1, {"answers": answers})
    await ctx.reply(f"登记完成：{answers['name']}，{answers['start']} 起")


SPEC = forms.register(
    FormSpec(
        name="test.feishu_contact",
        label="账号登记",
        on_complete=_complete,
        questions=(
            Question("name", "账号名称", "请输入账号名称"),
            Question("platform", "平台", "请选择平台", kind=QuestionKind.CHOICE,
                     choices=(Choice("wechat", "微信"), Choice("weibo", "微博"))),
            Question("phone", "联系电话", "请输入联系电话", kind=QuestionKind.PHONE),
            Question("start", "开始日期", "从哪天开始？", kind=QuestionKind.DATE),
        ),
    )
)  # fmt: skip


@pytest.fixture
async def form_events_url(feishu: Services) -> AsyncIterator[str]:
    router = load_all().copy()

    @router.command("登记", "测试表单")
    async def begin(ctx: HandlerContext, rest: str) -> None:
        await forms.start(ctx, SPEC)

    app = create_app(feishu, router, console=False)
    async with TestClient(TestServer(app)) as client:
        yield str(client.make_url("/feishu/events"))


async def test_form_card_is_filled_checked_and_submitted(
    feishu: Services, fake_feishu: FakeFeishu, form_events_url: str
) -> None:
    url = form_events_url
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="登记")
    assert (await fake_feishu.post_to_bot(url, event))[0] == 200
    await settle(feishu)
    [form_card] = fake_feishu.sent("interactive")
    form = next(e for e in form_card.card["body"]["elements"] if e["tag"] == "form")
    assert form["name"] == "dutybot_form"

    # A wrong phone number: the card is answered with the problems marked, nothing saved.
    answer = await fake_feishu.tap(
        url,
        form_card.message_id,
        "下一步",
        operator_open_id="ou_xiaowang",
        form={"name": "临江文旅", "platform": "weibo", "phone": "123",
              "start": "2026-10-12 +0800"},
    )  # fmt: skip
    assert answer["toast"] == {"type": "warning", "content": "有几项需要修改"}
    assert "需修改" in card_text(answer["card"]["data"])
    await settle(feishu)
    marked = fake_feishu.sent("interactive")[-1]
    assert "联系方式格式不正确" in marked.text

    answer = await fake_feishu.tap(
        url,
        marked.message_id,
        "下一步",
        operator_open_id="ou_xiaowang",
        form={"name": "临江文旅", "platform": "weibo", "phone": "13812345678",
              "start": "2026-10-12 +0800"},
    )  # fmt: skip
    assert "已填写" in card_text(answer["card"]["data"])
    await settle(feishu)
    summary = fake_feishu.sent("interactive")[-1]
    assert "开始日期：2026-10-12" in summary.text

    answer = await fake_feishu.tap(url, summary.message_id, "提交", operator_open_id="ou_xiaowang")
    assert answer["toast"] == {"type": "success", "content": "已提交"}
    await settle(feishu)
    assert fake_feishu.sent("text")[-1].text == "登记完成：临江文旅，2026-10-12 起"
    entry = await AuditEntry.get(action="test.registered")
    assert entry.detail["answers"]["platform"] == "weibo"
