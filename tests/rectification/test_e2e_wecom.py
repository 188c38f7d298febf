"""End to end through real ``python -m bot serve`` and ``python -m bot worker`` processes and the
fake WeCom: a monitoring system posts a notice to the server, the worker delivers the card to
the unit in WeCom, the unit taps 已接收 and the card is updated."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.flows.rectification_api import create_token
from bot.runtime import connect_redis
from storage.models.rectification import Rectification, RectStatus
from tests.adapters.wecom.conftest import AGENT_ID, CORP_ID, ROBOT_KEY, SECRET, TOKEN, aes_key
from tests.adapters.wecom.test_e2e import Processes, eventually, free_port
from tests.conftest import DEFAULT_NOW, load_org_text
from tests.fakes.wecom_callbacks import CallbackSigner
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.rectification.test_wecom import ORG

pytestmark = pytest.mark.slow

__all__ = ["aes_key"]  # fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def stack(
    db: str, redis_url: str, tmp_path: Path, aes_key: str
) -> AsyncIterator[tuple[str, WeComPlatform, Processes]]:
    redis = await connect_redis(redis_url)
    await redis.flushdb()
    await redis.aclose()
    await load_org_text(ORG)
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, robot_keys={ROBOT_KEY})
    await fake.start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")},
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": db,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_HTTP_HOST": "127.0.0.1",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_CONSOLE": "false",
        "DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml"),
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_SECRET": SECRET,
        "DUTYBOT_WECOM_TOKEN": TOKEN,
        "DUTYBOT_WECOM_AES_KEY": aes_key,
        "DUTYBOT_WECOM_API_BASE": fake.url,
    }
    procs = Processes(tmp_path)
    procs.start("serve", env)
    procs.start("worker", env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 40
            while True:
                try:
                    async with session.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("dutybot serve did not come up\n" + procs.logs())
                await asyncio.sleep(0.2)
        yield base, WeComPlatform(api=fake, signer=CallbackSigner(TOKEN, aes_key, CORP_ID)), procs
    finally:
        codes = procs.stop()
        await fake.stop()
    assert codes == [0, 0], procs.logs()


async def test_monitoring_notice_delivered_and_acknowledged_in_wecom(
    stack: tuple[str, WeComPlatform, Processes], tmp_path: Path
) -> None:
    base, platform, procs = stack
    fake = platform.api
    token = await create_token("web-monitor", DEFAULT_NOW)
    body = {
        "account": "wlw-wechat",
        "problem": "首页“旅游攻略”栏目链接返回 404",
        "category": "broken_link",
        "severity": "serious",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/api/rectifications",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        answer = await resp.json()
        assert resp.status == 201, answer
    assert answer["number"] == "ZG2026-0001"

    sent = await eventually(
        lambda: [
            s
            for s in fake.sent(msgtype="template_card", touser="XiaoWang")
            if "ZG2026-0001" in s["template_card"]["main_title"]["title"]
        ],
        "the notice card in WeCom",
        procs,
    )
    card = sent[0]["template_card"]
    await eventually(lambda: fake.robot_posts(ROBOT_KEY), "the group post", procs)
    assert "<@XiaoWang>" in fake.robot_posts(ROBOT_KEY)[0]["markdown"]["content"]

    tap = platform.tap("XiaoWang", card, "已接收")
    assert (await platform.post(base, tap))[0] == 200
    assert (await platform.post(base, tap))[0] == 200  # WeCom's retry changes nothing
    await eventually(fake.updates, "the card update", procs)
    seen = fake.cards[("XiaoWang", card["task_id"])]
    assert "整改中" in str(seen)

    async def acknowledged() -> bool:
        rect = await Rectification.get(id=answer["id"])
        return rect.status == RectStatus.ACKNOWLEDGED

    deadline = time.monotonic() + 20
    while not await acknowledged():
        assert time.monotonic() < deadline, procs.logs()
        await asyncio.sleep(0.2)
