"""The roster and a swap on WeCom (fake WeCom API, real signatures and AES): the 值班 menu
entry, the week with its PNG as a file message, a swap asked, accepted and approved by taps
on template cards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.duty import DutyShift, DutyTeam, ShiftSlot, ShiftSource
from tests.duty.support import person_key, replan
from tests.fakes.wecom_callbacks import click_xml, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import load_org_text
from tests.support.travel import settle
from tests.support.wecom import (
    AGENT_ID,
    CORP_ID,
    ROBOT_KEY,
    aes_key,
    fake_wecom,
    platform,
    wecom_settings,
)

__all__ = ["aes_key", "fake_wecom", "platform"]  # fixtures

ORG = f"""
units:
  - {{key: zfb, name: 临江区人民政府办公室}}
  - {{key: zx, name: 临江区政务新媒体中心, kind: institution, parent: zfb, supervisor: zfb}}
people:
  - {{key: xiaochen, name: 小陈, unit: zx, roles: [duty_officer], wecom: XiaoChen}}
  - {{key: laoliu, name: 老刘, unit: zx, roles: [duty_officer], wecom: LaoLiu}}
  - {{key: xiaoma, name: 小马, unit: zx, roles: [duty_officer], wecom: XiaoMa}}
  - {{key: fengzz, name: 冯组长, unit: zx, roles: [duty_lead], wecom: FengZZ}}
chats:
  - key: zx-duty
    name: 新媒体中心值班群
    purpose: duty
    unit: zx
    members: [xiaochen, laoliu, xiaoma, fengzz]
    wecom_webhook_key: {ROBOT_KEY}
duty_teams:
  - key: zx
    name: 区政务新媒体中心读网值班
    unit: zx
    scope: [zfb]
    lead: fengzz
    chat: zx-duty
    rotation: [xiaochen, laoliu, xiaoma]
"""

Client = TestClient[Any, Any]


@pytest.fixture
async def client(services: Services, fake_wecom: FakeWeCom, aes_key: str) -> AsyncIterator[Client]:
    services.settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    services.channels.clear()
    enable_wecom(services)
    await load_org_text(ORG, services.clock.now())
    await replan(services, await DutyTeam.get(key="zx"), days=21)
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await services.wait_background()
    await services.close()


class WeComUser:
    def __init__(self, client: Client, platform: WeComPlatform, services: Services) -> None:
        self.client, self.platform, self.services = client, platform, services
        self.msgid = 8000

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


async def test_the_duty_menu_entry_and_the_week_with_its_image(
    client: Client, platform: WeComPlatform, services: Services, fake_wecom: FakeWeCom
) -> None:
    user = WeComUser(client, platform, services)
    await user.post(click_xml(CORP_ID, "XiaoChen", "duty"))
    status = user.last_card("XiaoChen")
    assert status["main_title"]["title"] == "值班 · 区政务新媒体中心读网值班"
    assert "小陈（白班" in str(status)
    await user.tap("XiaoChen", status, "本周值班表")
    # A card without buttons goes as markdown (every day's line fits; no template limits).
    (week,) = fake_wecom.sent(msgtype="markdown", touser="XiaoChen")
    content = week["markdown"]["content"]
    assert content.startswith("**值班表 · 区政务新媒体中心读网值班**")
    assert "10月10日（周六）【调休上班】：白班 小马；夜班 小陈" in content
    # The PNG follows as an image message (shown in the chat), uploaded as an image.
    (picture,) = fake_wecom.sent(msgtype="image", touser="XiaoChen")
    name, data = fake_wecom.media[picture["image"]["media_id"]]
    assert name == "值班表-zx-20261005.png"
    assert data.startswith(b"\x89PNG")
    (upload,) = fake_wecom.calls_to("media/upload")
    assert upload.query["type"] == "image"


async def test_a_swap_asked_accepted_and_approved_on_wecom(
    client: Client, platform: WeComPlatform, services: Services, fake_wecom: FakeWeCom
) -> None:
    user = WeComUser(client, platform, services)
    await user.say("XiaoChen", "换班 10月12日白班 老刘")
    request = user.last_card("LaoLiu")
    assert request["main_title"]["title"] == "换班申请"
    await user.tap("LaoLiu", request, "接受")
    approval = user.last_card("FengZZ")
    assert approval["main_title"]["title"] == "换班审批"
    await user.tap("FengZZ", approval, "同意")
    shift = await DutyShift.get(duty_date=date(2026, 10, 12), slot=ShiftSlot.DAY)
    assert await person_key(shift.person_id) == "laoliu"
    assert shift.source == ShiftSource.SWAP
    # The approval card now shows the outcome and no buttons; the group robot tells everyone.
    seen = fake_wecom.cards[("FengZZ", approval["task_id"])]
    assert "已换班" in str(seen)
    posts = fake_wecom.robot_posts(ROBOT_KEY)
    assert any("由老刘值班" in str(p) for p in posts)
