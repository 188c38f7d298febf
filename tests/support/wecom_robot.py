"""WeCom's intelligent robot for tests: the fake long-connection server, a bot with the robot
channel (and the self-built app) on, an org whose review group the robot serves.

Fixtures here are imported by the conftest of the directories that talk to the robot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.adapters.wecom import enable_wecom
from bot.adapters.wecom_bot import enable_wecom_bot
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from tests.fakes.wecom_robot import FakeRobot, Posted
from tests.fakes.wecom_server import FakeWeCom
from tests.support.orgs import REVIEW_WECOM_ORG, load_org_text
from tests.support.travel import settle
from tests.support.wecom import wecom_settings

BOT_ID = "aibVf7xTestBot0001"
BOT_SECRET = "robot-long-connection-secret"
REVIEW_CHATID = "wrkSFfCgAAxxReviewGroup01"
# The org of the review tests, its review group also served by the intelligent robot.
ROBOT_ORG = REVIEW_WECOM_ORG.replace(
    "    purpose: review\n", f"    purpose: review\n    wecom_chat_id: {REVIEW_CHATID}\n", 1
)


@pytest.fixture
async def fake_robot() -> AsyncIterator[FakeRobot]:
    fake = FakeRobot(BOT_ID, BOT_SECRET)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@dataclass
class Robot:
    """The running bot (web process with the long connection) and the fake WeCom it talks to."""

    services: Services
    fake: FakeRobot
    app_fake: FakeWeCom

    async def say(
        self, userid: str, text: str, chatid: str | None = REVIEW_CHATID, **kw: str
    ) -> None:
        await self.fake.say(userid, text, chatid, **kw)
        await self.settle()

    async def settle(self) -> None:
        # Frames are handled in tasks of the connection; give them a moment to be recorded.
        for _ in range(3):
            await asyncio.sleep(0.05)
            await settle(self.services)

    def group(self, chatid: str = REVIEW_CHATID) -> list[Posted]:
        return self.fake.chat(chatid)


@pytest.fixture
async def robot(
    services: Services, fake_robot: FakeRobot, fake_wecom: FakeWeCom, aes_key: str
) -> AsyncIterator[Robot]:
    settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    services.settings = settings.model_copy(
        update={
            "wecom_bot_id": BOT_ID,
            "wecom_bot_secret": SecretStr(BOT_SECRET),
            "wecom_bot_ws_url": fake_robot.url,
        }
    )
    enable_wecom(services)
    enable_wecom_bot(services)
    await load_org_text(ROBOT_ORG, services.clock.now())
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)):
        await asyncio.wait_for(fake_robot.connected.wait(), 10)
        try:
            yield Robot(services, fake_robot, fake_wecom)
        finally:
            await services.wait_background()
    await services.close()
