"""A tap whose work outlasts Feishu's 3 s callback budget still ends with the card updated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu import constants as c
from bot.app import create_app
from bot.core.services import Services
from tests.fakes.feishu_server import FakeFeishu
from tests.support.slow_tap import DONE, slow_export_router
from tests.support.travel import settle

# The slow work waits for the test to let it finish (after the test has seen the notice and
# no patch yet): a fixed sleep raced the test on a busy machine.
RELEASE = asyncio.Event()


@pytest.fixture
async def slow_url(feishu: Services, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    monkeypatch.setattr(c, "CALLBACK_DEADLINE_SECONDS", 0.2)
    RELEASE.clear()
    router = slow_export_router(RELEASE)

    app = create_app(feishu, router, console=False)
    async with TestClient(TestServer(app)) as client:
        yield str(client.make_url("/feishu/events"))


async def test_slow_tap_gets_a_notice_then_a_patch(
    feishu: Services, fake_feishu: FakeFeishu, slow_url: str
) -> None:
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="导出")
    assert (await fake_feishu.post_to_bot(slow_url, event))[0] == 200
    await settle(feishu)
    [card] = fake_feishu.sent("interactive")
    answer = await fake_feishu.tap(
        slow_url, card.message_id, "开始导出", operator_open_id="ou_xiaowang"
    )
    assert answer == {"toast": {"type": "info", "content": "正在处理，请稍候查看卡片更新。"}}
    assert card.updates == []
    RELEASE.set()
    # The patch is written by a second background step once the work ends, and under load it
    # was seen to land after one settle had returned (the sweeper would deliver it in a real
    # deployment): settle until it is there, for at most 15 s.
    deadline = time.monotonic() + 15
    while not card.updates and time.monotonic() < deadline:
        await settle(feishu)
        await asyncio.sleep(0.05)
    assert card.updates == ["patch"]
    assert f"状态：{DONE}" in card.text
