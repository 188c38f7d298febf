"""The duty centre on one platform, for the WeCom and Feishu duty tests: its team and the app
wired to the fake WeCom (``wecom_client``) or the fake Feishu (``events_url``), the clock at
Monday 10:00. Test modules import the fixtures by name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu.setup import install_feishu
from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.duty import DutyTeam
from tests.duty.handover_support import DAY, at
from tests.duty.support import DUTY_FEISHU_ORG, DUTY_WECOM_ORG, make_team
from tests.fakes.feishu_server import FakeFeishu
from tests.fakes.wecom_server import FakeWeCom
from tests.support.feishu import close_feishu, feishu_settings
from tests.support.orgs import load_org_text
from tests.support.wecom import wecom_settings

Client = TestClient[Any, Any]


async def centre_team(services: Services) -> DutyTeam:
    """小陈 and 老刘 on day/night shifts from Monday, lead 冯组长, the centre's duty group."""
    return await make_team(
        services,
        key="zx",
        name="新媒体中心读网值班",
        unit="xmtzx",
        people=("xiaochen", "laoliu"),
        lead="fengzz",
        chat="zx-duty",
        scope=(),
        start=DAY,
    )


@pytest.fixture
async def wecom_client(
    services: Services, fake_wecom: FakeWeCom, aes_key: str
) -> AsyncIterator[Client]:
    services.settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    services.channels.clear()
    enable_wecom(services)
    services.clock.set(at(10))  # type: ignore[attr-defined]
    await load_org_text(DUTY_WECOM_ORG, at(10))
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await services.wait_background()
    await services.close()


@pytest.fixture
async def events_url(services: Services, fake_feishu: FakeFeishu) -> AsyncIterator[str]:
    services.settings = feishu_settings(services.settings, fake_feishu)
    services.channels.clear()
    install_feishu(services)
    services.clock.set(at(10))  # type: ignore[attr-defined]
    await load_org_text(DUTY_FEISHU_ORG, at(10))
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield str(client.make_url("/feishu/events"))
    await close_feishu(services)
