"""WeCom's intelligent robot for tests: the fake long-connection server, a bot with the robot
channel (and the self-built app) on, an org whose review group the robot serves.

Fixtures here are imported by the conftest of the directories that talk to the robot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.adapters.wecom import enable_wecom
from bot.adapters.wecom_bot import enable_wecom_bot
from bot.app import create_app
from bot.core.routing import Router
from bot.core.services import Services
from bot.handlers import load_all
from storage.enums import Platform
from tests.fakes.wecom_callbacks import random_aes_key
from tests.fakes.wecom_robot import FakeRobot, Posted
from tests.fakes.wecom_robot_callbacks import RobotCallbackSender
from tests.fakes.wecom_server import FakeWeCom
from tests.support.orgs import load_org_text
from tests.support.travel import settle
from tests.support.wecom import wecom_settings

BOT_ID = "aibVf7xTestBot0001"
BOT_SECRET = "robot-long-connection-secret"
REVIEW_CHATID = "wrkSFfCgAAxxReviewGroup01"
# The 文旅委 of the review tests, its review group also served by the intelligent robot, and
# the 区府办 supervising it (rectification notices need one).
ROBOT_ORG = f"""
units:
  - {{key: zfb, name: 临江区人民政府办公室, kind: government}}
  - {{key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: zfb}}
  - {{key: wlw-xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}}
people:
  - {{key: xiaowang, name: 小王, unit: wlw-xck, roles: [editor], wecom: XiaoWang}}
  - {{key: laozhou, name: 老周, unit: wlw-xck, roles: [editor, clerk], wecom: LaoZhou}}
  - {{key: likz, name: 李科长, unit: wlw-xck, roles: [section_chief], wecom: LiKZ}}
  - {{key: zhaofzr, name: 赵副主任, unit: wlw, roles: [deputy_leader], wecom: ZhaoFZR}}
  - {{key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: WangZR}}
  - {{key: zhangzr, name: 张主任, unit: zfb, roles: [supervisor_staff], wecom: ZhangZR}}
chats:
  - key: wlw-review
    name: 文旅委审核群
    purpose: review
    unit: wlw
    members: [xiaowang, laozhou, likz, zhaofzr, wangzr]
    wecom_chat_id: {REVIEW_CHATID}
accounts:
  - {{key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: wlw-xck}}
"""


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
    client: TestClient[object, object]

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

    async def until_connected(self) -> None:
        """Both ends agree the connection is up (the fake's subscribe answer has been read)."""
        await asyncio.wait_for(self.fake.connected.wait(), 10)
        link = self.services.channels[Platform.WECOM_BOT].sender  # type: ignore[attr-defined]
        for _ in range(100):
            if link.connection is not None and link.connection.connected:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the robot's connection did not come up")

    def group(self, chatid: str = REVIEW_CHATID) -> list[Posted]:
        return self.fake.chat(chatid)


@asynccontextmanager
async def running_robot(
    services: Services,
    fake_robot: FakeRobot,
    fake_wecom: FakeWeCom,
    aes_key: str,
    org: str,
    router: Router | None = None,
) -> AsyncIterator[Robot]:
    """The web process with the app and the robot (long connection) on, ``org`` loaded
    (``router``: the bot's commands and actions, when a test adds its own)."""
    settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    services.settings = settings.model_copy(
        update={
            "wecom_bot_id": BOT_ID,
            "wecom_bot_secret": SecretStr(BOT_SECRET),
            "wecom_bot_ws_url": fake_robot.url,
        }
    )
    services.channels.clear()
    enable_wecom(services)
    enable_wecom_bot(services)
    await load_org_text(org, services.clock.now())
    app = create_app(services, router or load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        running = Robot(services, fake_robot, fake_wecom, client)
        await running.until_connected()
        try:
            yield running
        finally:
            await services.wait_background()
    await services.close()


@pytest.fixture
async def robot(
    services: Services, fake_robot: FakeRobot, fake_wecom: FakeWeCom, aes_key: str
) -> AsyncIterator[Robot]:
    async with running_robot(services, fake_robot, fake_wecom, aes_key, ROBOT_ORG) as running:
        yield running


CALLBACK_TOKEN = "RobotCallbackToken01"


@dataclass
class CallbackRobot:
    """The bot in callback mode: WeCom POSTs encrypted JSON to /wecom/bot/callback."""

    services: Services
    fake: FakeRobot
    app_fake: FakeWeCom
    client: TestClient[object, object]
    sender: RobotCallbackSender

    async def post(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Deliver one callback; the decrypted passive answer, or None for an empty 200."""
        query, data, nonce = self.sender.post(body)
        resp = await self.client.post(f"/wecom/bot/callback?{query}", data=data)
        assert resp.status == 200, await resp.text()
        raw = await resp.read()
        await settle(self.services)
        if not raw:
            return None
        return self.sender.decrypt_answer(json.loads(raw), nonce)

    async def say(
        self, userid: str, text: str, chatid: str | None = REVIEW_CHATID, **kw: Any
    ) -> dict[str, Any] | None:
        return await self.post(self.fake.message_body(userid, text, chatid, **kw))


@pytest.fixture
async def callback_robot(
    services: Services, fake_robot: FakeRobot, fake_wecom: FakeWeCom, aes_key: str
) -> AsyncIterator[CallbackRobot]:
    settings = wecom_settings(services.settings, fake_wecom.url, aes_key)
    robot_key = random_aes_key()
    services.settings = settings.model_copy(
        update={
            "wecom_bot_id": BOT_ID,
            "wecom_bot_mode": "callback",
            "wecom_bot_token": SecretStr(CALLBACK_TOKEN),
            "wecom_bot_aes_key": SecretStr(robot_key),
        }
    )
    enable_wecom(services)
    enable_wecom_bot(services)
    await load_org_text(ROBOT_ORG, services.clock.now())
    app = create_app(services, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        try:
            yield CallbackRobot(
                services,
                fake_robot,
                fake_wecom,
                client,
                RobotCallbackSender(CALLBACK_TOKEN, robot_key),
            )
        finally:
            await services.wait_background()
    await services.close()
