"""值班表 on Feishu (fake Feishu API): the week as a card, then its PNG as an image message
that shows in the chat (uploaded through im/v1/images)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu.setup import install_feishu
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.duty import DutyTeam
from tests.duty.support import replan
from tests.fakes.feishu_server import FakeFeishu
from tests.support.feishu import close_feishu, fake_feishu, feishu_settings
from tests.support.orgs import load_org_text
from tests.support.travel import settle

__all__ = ["fake_feishu"]  # fixture

ORG = """
units:
  - {key: zx, name: 临江区政务新媒体中心, kind: institution}
people:
  - {key: xiaochen, name: 小陈, unit: zx, roles: [duty_officer], feishu_open_id: ou_xiaochen}
  - {key: laoliu, name: 老刘, unit: zx, roles: [duty_officer], feishu_open_id: ou_laoliu}
  - {key: fengzz, name: 冯组长, unit: zx, roles: [duty_lead], feishu_open_id: ou_fengzz}
duty_teams:
  - {key: zx, name: 区政务新媒体中心读网值班, unit: zx, lead: fengzz, rotation: [xiaochen, laoliu]}
"""


@pytest.fixture
async def events_url(services: Services, fake_feishu: FakeFeishu) -> AsyncIterator[str]:
    services.settings = feishu_settings(services.settings, fake_feishu)
    services.channels.clear()
    install_feishu(services)
    await load_org_text(ORG, services.clock.now())
    await replan(services, await DutyTeam.get(key="zx"))
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield str(client.make_url("/feishu/events"))
    await close_feishu(services)


async def test_the_week_comes_with_a_picture_on_feishu(
    services: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaochen", text="值班表")
    assert (await fake_feishu.post_to_bot(events_url, event))[0] == 200
    await settle(services)
    (card,) = fake_feishu.sent("interactive", receive_id="ou_xiaochen")
    assert "值班表 · 区政务新媒体中心读网值班" in card.text
    assert "10月10日（周六）【调休上班】" in card.text
    (image,) = fake_feishu.sent("image", receive_id="ou_xiaochen")
    key = image.text.removeprefix("[图片] ")
    assert fake_feishu.images[key].startswith(b"\x89PNG")
    assert not fake_feishu.sent("file", receive_id="ou_xiaochen")
