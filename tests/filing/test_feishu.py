"""开设 and 变更 through the Feishu fake: one form card, approval cards with a reason input,
the 备案表 uploaded as a file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu.setup import install_feishu
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.enums import AccountStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account
from tests.fakes.feishu_server import FakeFeishu, FakeMessage
from tests.support.feishu import close_feishu, feishu_settings
from tests.support.orgs import PLATFORM_ORG as ORG
from tests.support.orgs import load_org_text
from tests.support.travel import settle

OPEN_FORM = {
    "subject": "临江区文化和旅游发展委员会",
    "name": "临江文旅",
    "account_id": "ljwl_weibo",
    "platform": "weibo",
    "platform_name": "",
    "reason": "文旅宣传",
    "manager_name": "李科长",
    "manager_phone": "13900000034",
    "operator_name": "老周",
    "operator_phone": "13900000036",
    "plan_lead": "赵副主任分管",
    "plan_funding": "部门预算",
    "plan_rules": "三审三校",
    "plan_contact": "老周 13900000036",
}


class Feishu:
    def __init__(self, fake: FakeFeishu, url: str, services: Services) -> None:
        self.fake = fake
        self.url = url
        self.services = services
        # Cards already tapped are not handed out again by card(): after a return, the newest
        # card with a title must be the new round's, not the last round's still on screen.
        self.tapped: set[str] = set()

    async def say(self, open_id: str, text: str) -> None:
        event = self.fake.message_event(sender_open_id=open_id, text=text)
        assert (await self.fake.post_to_bot(self.url, event))[0] == 200
        await settle(self.services)

    async def tap(
        self, open_id: str, message: FakeMessage, button: str, form: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        answer = await self.fake.tap(
            self.url, message.message_id, button, operator_open_id=open_id, form=form
        )
        self.tapped.add(message.message_id)
        await settle(self.services)
        return answer

    async def card(self, open_id: str, title: str) -> FakeMessage:
        for _ in range(50):
            for message in reversed(self.fake.sent("interactive", receive_id=open_id)):
                if title in message.text and message.message_id not in self.tapped:
                    return message
            await self.wait()
        raise AssertionError(f"no card {title!r} for {open_id}")

    async def wait(self) -> None:
        """Feishu's per-chat rate limit holds some messages back for a moment: wait them out.
        The outbox retries on the (manual) clock, the limiter refills in real time."""
        self.services.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
        await asyncio.sleep(0.2)
        await settle(self.services)

    async def wait_for_text(self, open_id: str, text: str) -> None:
        for _ in range(50):
            if text in self.texts(open_id):
                return
            await self.wait()
        raise AssertionError(f"{text!r} never reached {open_id}: {self.texts(open_id)}")

    def texts(self, open_id: str) -> str:
        return "\n".join(m.text for m in self.fake.sent(receive_id=open_id))


@pytest.fixture
async def bot(services: Services) -> AsyncIterator[Feishu]:
    fake = FakeFeishu()
    await fake.start()
    services.settings = feishu_settings(services.settings, fake)
    services.channels.clear()
    install_feishu(services)
    await load_org_text(ORG, services.clock.now())
    app = create_app(services, load_all(), console=False)
    try:
        async with TestClient(TestServer(app)) as client:
            yield Feishu(fake, str(client.make_url("/feishu/events")), services)
    finally:
        await close_feishu(services)
        await fake.close()


async def test_open_filing_on_feishu(bot: Feishu) -> None:
    await bot.say("ou_laozhou", "备案")
    await bot.tap("ou_laozhou", await bot.card("ou_laozhou", "请选择备案类型"), "开设")
    form_card = await bot.card("ou_laozhou", "开设备案")
    # A wrong phone: the card comes back with the problem marked.
    bad = await bot.tap("ou_laozhou", form_card, "下一步", {**OPEN_FORM, "manager_phone": "139"})
    assert bad["toast"]["content"] == "有几项需要修改"
    marked = bot.fake.sent("interactive", receive_id="ou_laozhou")[-1]
    assert "联系方式格式不正确" in marked.text
    await bot.tap("ou_laozhou", marked, "下一步", OPEN_FORM)
    summary = await bot.card("ou_laozhou", "请核对开设备案")
    assert "所属平台：微博" in summary.text
    await bot.tap("ou_laozhou", summary, "提交备案")
    await bot.wait_for_text("ou_laozhou", "等待主办单位（王主任）审批")

    # The head's card is also in the unit's review group, with the head @-mentioned.
    in_group = await bot.card("oc_wlw_review", "请审批")
    assert "ou_wangzr" in in_group.content
    await bot.tap("ou_wangzr", await bot.card("ou_wangzr", "请审批"), "同意", {"reason": ""})
    sup = await bot.card("ou_zhangzr", "请审批")
    answer = await bot.tap("ou_zhangzr", sup, "同意", {"reason": ""})
    assert answer["toast"]["content"] == "已同意"
    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    assert (await Account.get(id=filing.account_id)).status == AccountStatus.PREPARING
    await bot.wait_for_text("ou_laozhou", "[文件]")  # the 备案表 as a Feishu file
    # The approval cards are closed where they were tapped.
    assert "张主任已同意" in bot.fake.messages[sup.message_id].text


async def test_change_filing_on_feishu_returned_then_approved(bot: Feishu) -> None:
    await bot.say("ou_laozhou", "备案 变更")
    await bot.tap(
        "ou_laozhou", await bot.card("ou_laozhou", "请选择本单位的账号"), "临江文旅（抖音）"
    )
    form_card = await bot.card("ou_laozhou", "变更备案")
    assert "ljwl2020" in form_card.content  # pre-filled from the registry (default values)
    change = {
        "changed": "运营人员",
        "operator_name": "小王",
        "operator_phone": "13900000035",
        "reason": "老周调岗",
        "effective": "2026-10-09 +0800",
    }
    await bot.tap("ou_laozhou", form_card, "下一步", change)
    await bot.tap("ou_laozhou", await bot.card("ou_laozhou", "请核对变更备案"), "提交备案")
    head = await bot.card("ou_wangzr", "请审批")
    no_reason = await bot.tap("ou_wangzr", head, "退回", {"reason": ""})
    assert (await Filing.get()).status == FilingStatus.PENDING
    assert no_reason.get("toast")
    await bot.tap("ou_wangzr", head, "退回", {"reason": "请写明生效日期依据"})
    assert (await Filing.get()).status == FilingStatus.RETURNED
    await bot.tap("ou_laozhou", await bot.card("ou_laozhou", "备案被退回"), "修改后重新提交")
    again = await bot.card("ou_laozhou", "变更备案")
    assert "小王" in again.content  # the returned answers are kept
    await bot.tap("ou_laozhou", again, "下一步", {**change, "reason": "老周调岗，即日生效"})
    await bot.tap("ou_laozhou", await bot.card("ou_laozhou", "请核对变更备案"), "提交备案")
    await bot.tap("ou_wangzr", await bot.card("ou_wangzr", "请审批"), "同意", {"reason": ""})
    await bot.tap("ou_zhangzr", await bot.card("ou_zhangzr", "请审批"), "同意", {"reason": ""})
    account = await Account.get(key="ljq-wlw-douyin")
    assert account.operators == [{"name": "小王", "phone": "13900000035"}]
    filing = await Filing.get()
    assert filing.round == 2
    assert filing.answers["reason"] == "老周调岗，即日生效"


async def test_a_wrong_start_date_on_the_form_card_is_marked_not_a_crash(bot: Feishu) -> None:
    await bot.say("ou_laozhou", "备案 临时下线")
    await bot.tap(
        "ou_laozhou", await bot.card("ou_laozhou", "请选择本单位的账号"), "临江文旅（抖音）"
    )
    form_card = await bot.card("ou_laozhou", "临时下线备案")
    form = {"reason": "系统升级", "start": "下周", "end": "2026-10-20 +0800"}
    answer = await bot.tap("ou_laozhou", form_card, "下一步", form)
    assert answer["toast"]["content"] == "有几项需要修改"
    marked = await bot.card("ou_laozhou", "有几项需要修改")
    assert "日期格式不正确" in marked.text
    assert "请先填写正确的下线日期" in marked.text
