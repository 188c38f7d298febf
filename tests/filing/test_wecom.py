"""开设 and 变更 through the WeCom fake: callbacks in, template cards and files out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.enums import AccountStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account
from tests.fakes.wecom_callbacks import CallbackSigner, click_xml, random_aes_key, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import PLATFORM_OPEN_ANSWERS as OPEN_ANSWERS
from tests.support.orgs import PLATFORM_ORG as ORG
from tests.support.orgs import load_org_text
from tests.support.travel import settle
from tests.support.wecom import AGENT_ID, CORP_ID, SECRET, TOKEN, wecom_settings

Client = TestClient[object, object]


class WeCom:
    def __init__(self, client: Client, platform: WeComPlatform, services: Services) -> None:
        self.client = client
        self.platform = platform
        self.services = services
        self.seq = 7000
        # Tapped cards are not handed out again by card() (see tests/filing/test_feishu.py).
        self.tapped: set[str] = set()

    async def post(self, xml: str) -> None:
        signed = self.platform.signer.post(xml, agent_id=AGENT_ID)
        resp = await self.client.post(f"/wecom/callback?{signed.query}", data=signed.body)
        assert resp.status == 200, await resp.text()
        await settle(self.services)

    async def say(self, user: str, text: str) -> None:
        self.seq += 1
        await self.post(text_xml(CORP_ID, user, text, str(self.seq)))

    async def tap(self, user: str, card: dict[str, Any], button: str) -> None:
        self.tapped.add(card["task_id"])
        await self.post(self.platform.tap(user, card, button))

    def cards(self, user: str) -> list[dict[str, Any]]:
        sent = self.platform.api.sent(msgtype="template_card", touser=user)
        return [s["template_card"] for s in sent]

    def card(self, user: str, title: str) -> dict[str, Any]:
        for card in reversed(self.cards(user)):
            if title in card["main_title"]["title"] and card["task_id"] not in self.tapped:
                return card
        raise AssertionError(f"no card {title!r} for {user}: {self.texts(user)}")

    def texts(self, user: str) -> str:
        return "\n".join(
            json.dumps(s, ensure_ascii=False) for s in self.platform.api.sent(touser=user)
        )


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, robot_keys={"ROBOTKEY"})
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def bot(services: Services, wecom: FakeWeCom) -> AsyncIterator[WeCom]:
    aes_key = random_aes_key()
    settings = wecom_settings(services.settings, wecom.url, aes_key)
    services.settings = settings.model_copy(update={"public_url": "https://bot.example.gov.cn"})
    services.channels.clear()  # people are reached on WeCom only, as in a WeCom deployment
    enable_wecom(services)
    await load_org_text(ORG, services.clock.now())
    app = create_app(services, load_all(), console=False)
    platform = WeComPlatform(api=wecom, signer=CallbackSigner(TOKEN, aes_key, CORP_ID))
    try:
        async with TestClient(TestServer(app)) as client:
            yield WeCom(client, platform, services)
    finally:
        await services.wait_background()
        await services.close()


async def test_open_filing_on_wecom(bot: WeCom) -> None:
    await bot.post(click_xml(CORP_ID, "LaoZhou", "filing"))  # the app menu's 办事 ▸ 备案
    # Seven kinds do not fit WeCom's six buttons: a numbered list.
    assert "1. 开设" in bot.texts("LaoZhou")
    await bot.say("LaoZhou", "1")
    for answer in OPEN_ANSWERS:
        await bot.say("LaoZhou", answer)
    summary = bot.card("LaoZhou", "请核对开设备案")
    await bot.tap("LaoZhou", summary, "提交备案")
    assert "等待主办单位（王主任）审批" in bot.texts("LaoZhou")
    # The group robot @-mentions the head; the card comes 1:1.
    assert any("WangZR" in json.dumps(p) for p in bot.platform.api.robot_posts("ROBOTKEY"))
    await bot.tap("WangZR", bot.card("WangZR", "请审批"), "同意")
    await bot.tap("ZhangZR", bot.card("ZhangZR", "请审批"), "同意")
    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    account = await Account.get(id=filing.account_id)
    assert account.status == AccountStatus.PREPARING
    # The 备案表 as a WeCom file message (uploaded as temporary media), and as a signed link.
    (sent,) = bot.platform.api.sent(msgtype="file", touser="LaoZhou")
    name, data = bot.platform.api.media[sent["file"]["media_id"]]
    assert name.endswith(".docx")
    assert data[:2] == b"PK"
    assert "下载链接（7天内有效）：https://bot.example.gov.cn/files/" in bot.texts("LaoZhou")


async def test_change_filing_on_wecom_with_a_return(bot: WeCom) -> None:
    await bot.say("LaoZhou", "备案 变更")
    await bot.tap("LaoZhou", bot.card("LaoZhou", "变更备案"), "临江文旅（抖音）")
    for answer in ["6", "小王", "13900000035", "老周调岗", "今天"]:
        await bot.say("LaoZhou", answer)
    await bot.tap("LaoZhou", bot.card("LaoZhou", "请核对变更备案"), "提交备案")
    # 退回 needs a reason and WeCom cards have no inputs: the bot asks in the chat.
    await bot.tap("WangZR", bot.card("WangZR", "请审批"), "退回")
    assert "退回" in bot.texts("WangZR")
    await bot.say("WangZR", "电话写错了")
    filing = await Filing.get()
    assert filing.status == FilingStatus.RETURNED
    assert filing.opinions[-1]["reason"] == "电话写错了"
    await bot.tap("LaoZhou", bot.card("LaoZhou", "备案被退回"), "修改后重新提交")
    for answer in ["同上", "同上", "13900000055", "同上", "同上"]:
        await bot.say("LaoZhou", answer)
    await bot.tap("LaoZhou", bot.card("LaoZhou", "请核对变更备案"), "提交备案")
    await bot.tap("WangZR", bot.card("WangZR", "请审批"), "同意")
    await bot.tap("ZhangZR", bot.card("ZhangZR", "请审批"), "同意")
    account = await Account.get(key="ljq-wlw-douyin")
    assert account.operators == [{"name": "小王", "phone": "13900000055"}]
    assert (await Filing.get()).round == 2
