"""End to end through real ``python -m bot serve`` and ``python -m bot worker`` processes and the
fake WeCom: a monitoring system posts a notice to the server, the worker delivers the card to
the unit in WeCom, the unit taps 已接收 and the card is updated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.web.sources import create_token
from storage.models.rectification import Rectification, RectStatus
from tests.fakes.wecom_server import WeComPlatform
from tests.support.dates import DEFAULT_NOW
from tests.support.orgs import RECT_WECOM_ORG as ORG
from tests.support.orgs import ROBOT_KEY
from tests.support.processes import Processes, eventually, running_stack
from tests.support.wecom import aes_key

pytestmark = pytest.mark.slow

__all__ = ["aes_key"]  # fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def stack(
    db: str, redis_url: str, tmp_path: Path, aes_key: str
) -> AsyncIterator[tuple[str, WeComPlatform, Processes]]:
    calendar = {"DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml")}
    async with running_stack(
        db, redis_url, tmp_path, aes_key, org=ORG, robot_keys={ROBOT_KEY}, extra_env=calendar
    ) as running:
        yield running


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
