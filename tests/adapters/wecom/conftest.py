"""WeCom fixtures: the fake WeCom API on loopback, a bot with the WeCom channel on, an org."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot import outbox
from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.config import Settings
from bot.core.services import Services
from bot.handlers import load_all
from storage.enums import Platform
from tests.conftest import load_org_text
from tests.fakes.wecom_callbacks import CallbackSigner, random_aes_key
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform

CORP_ID = "ww5b1d4e7c0fa1b2c3"
AGENT_ID = 1000002
SECRET = "app-secret-for-tests"
TOKEN = "CallbackToken0123"
ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

# A small district: 张三 (editor) and 李四 (section chief) have WeCom accounts; 王五 has not.
WECOM_ORG = f"""
units:
  - {{key: qx, name: 青溪区融媒体中心, kind: institution}}
people:
  - {{key: zhangsan, name: 张三, unit: qx, roles: [editor, clerk], wecom: ZhangSan}}
  - {{key: lisi, name: 李四, unit: qx, roles: [section_chief], wecom: LiSi}}
  - {{key: wangwu, name: 王五, unit: qx, roles: [editor]}}
chats:
  - key: qx-review
    name: 青溪区审核群
    purpose: review
    unit: qx
    members: [zhangsan, lisi, wangwu]
    wecom_webhook_key: {ROBOT_KEY}
  - {{key: qx-plain, name: 未配机器人的群, unit: qx, members: [zhangsan]}}
"""


@pytest.fixture
def aes_key() -> str:
    return random_aes_key()


@pytest.fixture
async def fake_wecom() -> AsyncIterator[FakeWeCom]:
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, robot_keys={ROBOT_KEY})
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def wecom_settings(base: Settings, api_base: str, aes_key: str) -> Settings:
    return base.model_copy(
        update={
            "wecom_corp_id": CORP_ID,
            "wecom_agent_id": AGENT_ID,
            "wecom_secret": SecretStr(SECRET),
            "wecom_token": SecretStr(TOKEN),
            "wecom_aes_key": SecretStr(aes_key),
            "wecom_api_base": api_base,
        }
    )


@pytest.fixture
async def wecom(services: Services, fake_wecom: FakeWeCom, aes_key: str) -> AsyncIterator[Services]:
    """The test services with the WeCom channel on, pointed at the fake, and the org loaded."""
    services.settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    enable_wecom(services)
    await load_org_text(WECOM_ORG, services.clock.now())
    try:
        yield services
    finally:
        await services.wait_background()
        await services.close()


@pytest.fixture
def platform(fake_wecom: FakeWeCom, aes_key: str) -> WeComPlatform:
    return WeComPlatform(api=fake_wecom, signer=CallbackSigner(TOKEN, aes_key, CORP_ID))


@pytest.fixture
async def bot_client(wecom: Services) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(wecom, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def settle(services: Services) -> int:
    """Finish background processing, then deliver everything due (what the worker does)."""
    total = 0
    while True:
        await services.wait_background()
        sent = await outbox.drain(services)
        total += sent
        if sent == 0 and not services.background:
            return total


def wecom_channel(services: Services) -> object:
    return services.channels[Platform.WECOM]
