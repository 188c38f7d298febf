"""WeCom for tests: the fake WeCom API on loopback, a bot with the WeCom channel on, an org.

The fixtures here are imported by the conftest of every test directory that talks WeCom
(pytest finds fixtures by name)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.config import Settings
from bot.core.services import Services
from bot.handlers import load_all
from storage.enums import Platform
from tests.fakes.wecom_callbacks import CallbackSigner, random_aes_key, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import WECOM_ORG, load_org_text
from tests.support.travel import deliver_all

CORP_ID = "ww5b1d4e7c0fa1b2c3"
AGENT_ID = 1000002
SECRET = "app-secret-for-tests"
TOKEN = "CallbackToken0123"
ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


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
            # The fake serves the sign-in pages of both WeCom hosts too.
            "wecom_oauth_base": api_base,
            "wecom_login_base": api_base,
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


def wecom_channel(services: Services) -> object:
    return services.channels[Platform.WECOM]


# ---- talking to the bot through signed callbacks ----

Client = TestClient[object, object]


async def post_xml(client: Client, platform: WeComPlatform, xml: str) -> None:
    """Deliver a message callback (text, image, file) signed and encrypted as WeCom does."""
    signed = platform.signer.post(xml)
    resp = await client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status == 200


async def say(client: Client, platform: WeComPlatform, userid: str, text: str) -> None:
    await post_xml(client, platform, text_xml(CORP_ID, userid, text, uuid.uuid4().hex[:12]))


async def talk(
    services: Services, client: Client, platform: WeComPlatform, userid: str, *texts: str
) -> None:
    """Send each text in turn, delivering the bot's answers after each."""
    for text in texts:
        await say(client, platform, userid, text)
        await deliver_all(services)


async def tap(
    client: Client, platform: WeComPlatform, userid: str, card: dict[str, Any], label: str
) -> None:
    signed = platform.signer.post(platform.tap(userid, card, label), agent_id=AGENT_ID)
    resp = await client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status == 200


def cards_to(platform: WeComPlatform, userid: str, title: str) -> list[dict[str, Any]]:
    """Template cards the bot sent ``userid`` whose title contains ``title``, oldest first."""
    return [
        s["template_card"]
        for s in platform.api.sent(msgtype="template_card", touser=userid)
        if title in s["template_card"]["main_title"]["title"]
    ]


def last_card(fake: FakeWeCom, userid: str, title: str = "") -> dict[str, Any]:
    sent = [
        s
        for s in fake.sent(msgtype="template_card", touser=userid)
        if title in s["template_card"]["main_title"]["title"]
    ]
    assert sent, f"no card to {userid}"
    card: dict[str, Any] = sent[-1]["template_card"]
    return fake.cards.get((userid, card["task_id"]), card)
