"""The same notice issued and acknowledged on WeCom: the supervisor fills the form in the app
(template cards and text), the unit gets the card 1:1 and the group robot @-mentions them, a tap
on 已接收 updates the card. Platform faked at the HTTP level only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.rectification import Rectification, RectStatus
from tests.fakes.wecom_callbacks import text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.dates import MONDAY_10
from tests.support.orgs import ROBOT_KEY, load_org_text
from tests.support.travel import settle
from tests.support.wecom import AGENT_ID, CORP_ID, aes_key, fake_wecom, platform, wecom_settings

__all__ = ["aes_key", "fake_wecom", "platform"]  # fixtures

ORG = f"""
units:
  - {{key: fzb, name: 临江区人民政府办公室, kind: government}}
  - {{key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: fzb}}
  - {{key: xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}}
people:
  - {{key: zhangzr, name: 张主任, unit: fzb, roles: [supervisor_staff], wecom: ZhangZR}}
  - {{key: xiaowang, name: 小王, unit: xck, roles: [editor], wecom: XiaoWang}}
  - {{key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: WangZR}}
chats:
  - key: wlw-duty
    name: 区文旅委值班群
    purpose: duty
    unit: wlw
    members: [xiaowang, wangzr]
    wecom_webhook_key: {ROBOT_KEY}
accounts:
  - {{key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: xck}}
"""

Client = TestClient[Any, Any]


@pytest.fixture
async def client(services: Services, fake_wecom: FakeWeCom, aes_key: str) -> AsyncIterator[Client]:
    services.settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    services.channels.clear()
    enable_wecom(services)
    services.clock.set(MONDAY_10)  # type: ignore[attr-defined]
    await load_org_text(ORG, MONDAY_10)
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await services.wait_background()
    await services.close()


class WeComUser:
    def __init__(self, client: Client, platform: WeComPlatform, services: Services) -> None:
        self.client, self.platform, self.services = client, platform, services
        self.msgid = 7000

    async def post(self, xml: str) -> None:
        signed = self.platform.signer.post(xml, agent_id=AGENT_ID)
        resp = await self.client.post(f"/wecom/callback?{signed.query}", data=signed.body)
        assert resp.status == 200
        await settle(self.services)

    async def say(self, userid: str, text: str) -> None:
        self.msgid += 1
        await self.post(text_xml(CORP_ID, userid, text, str(self.msgid)))

    async def tap(self, userid: str, card: dict[str, Any], button: str) -> None:
        await self.post(self.platform.tap(userid, card, button))

    def last_card(self, userid: str) -> dict[str, Any]:
        sent = self.platform.api.sent(msgtype="template_card", touser=userid)
        card: dict[str, Any] = sent[-1]["template_card"]
        return card


def button_starting(card: dict[str, Any], prefix: str) -> str:
    return next(b["text"] for b in card["button_list"] if b["text"].startswith(prefix))


async def test_notice_issued_and_acknowledged_on_wecom(
    client: Client, platform: WeComPlatform, services: Services, fake_wecom: FakeWeCom
) -> None:
    user = WeComUser(client, platform, services)
    await user.say("ZhangZR", "整改")
    card = user.last_card("ZhangZR")
    await user.tap("ZhangZR", card, button_starting(card, "临江文旅（微信）"))
    await user.tap("ZhangZR", user.last_card("ZhangZR"), "内容差错")
    await user.tap("ZhangZR", user.last_card("ZhangZR"), "严重")
    await user.say("ZhangZR", "推文标题把“临江”写成“林江”")
    await user.say("ZhangZR", "https://mp.weixin.qq.com/s/abc")
    summary = user.last_card("ZhangZR")
    assert "第十五条" in str(summary)
    await user.tap("ZhangZR", summary, "下发")

    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.ISSUED
    notice = user.last_card("XiaoWang")
    assert "整改通知 ZG2026-0001" in notice["main_title"]["title"]
    assert "剩余30分钟" in str(notice)
    (robot,) = fake_wecom.robot_posts(ROBOT_KEY)
    content = robot["markdown"]["content"]
    assert "<@XiaoWang>" in content
    assert "整改通知 ZG2026-0001" in content

    await user.tap("XiaoWang", notice, "已接收")
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    seen = fake_wecom.cards[("XiaoWang", notice["task_id"])]
    assert "整改中" in str(seen)
    # The supervisor is told in the app.
    told = fake_wecom.sent(msgtype="markdown", touser="ZhangZR") + fake_wecom.sent(
        msgtype="text", touser="ZhangZR"
    )
    assert any("已由小王接收" in str(m) for m in told)
