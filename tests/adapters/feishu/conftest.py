"""Fixtures for the Feishu adapter: a fake Feishu on loopback, the bot configured for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import outbox
from bot.adapters.feishu import people
from bot.adapters.feishu.setup import install_feishu
from bot.app import create_app
from bot.config import Settings
from bot.core.services import Services
from bot.handlers import load_all
from tests.conftest import load_org_text
from tests.fakes.feishu_server import FakeFeishu

# 文旅委宣传科 on Feishu: 小王 is known by open_id, 李科长 only by user_id (the org file may
# carry either), 老周 by both, 赵副主任 is not on Feishu at all.
FEISHU_ORG = """
units:
  - {key: ljq-wlw, name: 临江区文化和旅游发展委员会, kind: government}
  - {key: ljq-wlw-xck, name: 区文旅委宣传科, kind: government, parent: ljq-wlw,
     internal_office: true}
people:
  - {key: xiaowang, name: 小王, unit: ljq-wlw-xck, roles: [editor], feishu_open_id: ou_xiaowang}
  - {key: likz, name: 李科长, unit: ljq-wlw-xck, roles: [section_chief], feishu_user_id: u_likz}
  - {key: laozhou, name: 老周, unit: ljq-wlw-xck, roles: [clerk, editor],
     feishu_open_id: ou_laozhou, feishu_user_id: u_laozhou}
  - {key: zhaofzr, name: 赵副主任, unit: ljq-wlw, roles: [deputy_leader]}
chats:
  - {key: wlw-review, name: 文旅委审核群, purpose: review, unit: ljq-wlw,
     members: [xiaowang, likz, laozhou], feishu_chat_id: oc_wlw_review}
"""


def feishu_settings(base: Settings, fake: FakeFeishu, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "feishu_app_id": fake.app_id,
        "feishu_app_secret": fake.app_secret,
        "feishu_verification_token": fake.verification_token,
        "feishu_encrypt_key": fake.encrypt_key,
        "feishu_api_base": fake.base_url,
        "feishu_mode": "webhook",
        "console": False,
    }
    values.update(overrides)
    return base.model_copy(update=values)


@pytest.fixture
async def fake_feishu() -> AsyncIterator[FakeFeishu]:
    fake = FakeFeishu()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def feishu(services: Services, fake_feishu: FakeFeishu) -> AsyncIterator[Services]:
    """The test services with Feishu switched on (as ``open_services`` does when configured)."""
    services.settings = feishu_settings(services.settings, fake_feishu)
    # Which Feishu ids are on file is cached per process; each test has its own directory.
    people._known_cache.clear()
    services.channels.clear()
    install_feishu(services)
    await load_org_text(FEISHU_ORG, services.clock.now())
    try:
        yield services
    finally:
        await close_feishu(services)


@pytest.fixture
async def bot_client(feishu: Services) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(feishu, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def events_url(bot_client: TestClient[object, object]) -> str:
    return str(bot_client.make_url("/feishu/events"))


async def close_feishu(services: Services) -> None:
    """What ``open_services`` does at shutdown: finish background work, close sessions."""
    await services.wait_background()
    await services.close()


async def settle(services: Services) -> None:
    """Let background processing finish, then deliver the outbox as the worker would."""
    while services.background:
        await services.wait_background()
    while await outbox.drain(services):
        pass
