"""A tap whose work outlasts the robot's answer deadline: the tapper's copy says it is under
way at once, and the card the work ends with is posted in the group when it is done."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.adapters.wecom_bot import inbound
from bot.core.services import Services
from tests.fakes.wecom_robot import FakeRobot
from tests.fakes.wecom_server import FakeWeCom
from tests.support.slow_tap import DONE, slow_export_router
from tests.support.wecom_robot import ROBOT_ORG, running_robot


async def test_a_slow_tap_says_so_then_the_finished_card_is_posted(
    services: Services,
    fake_robot: FakeRobot,
    fake_wecom: FakeWeCom,
    aes_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inbound, "TAP_DEADLINE_SECONDS", 0.2)
    release = asyncio.Event()  # the work waits for the test: a fixed sleep races a busy machine
    router = slow_export_router(release)

    async with running_robot(services, fake_robot, fake_wecom, aes_key, ROBOT_ORG, router) as robot:
        await robot.say("LaoZhou", "导出")
        [posted] = [p for p in robot.group() if p.card is not None]
        tapped = await robot.fake.tap("LaoZhou", posted, "开始导出")
        # The answer comes after TAP_DEADLINE_SECONDS. (Not robot.settle(): it waits for the
        # background work, which waits for the test.)
        await asyncio.wait_for(tapped.answered.wait(), 5)
        assert inbound.SLOW_TAP_TEXT in posted.text("LaoZhou")
        assert "开始导出" in posted.text("LaoZhou")  # nothing has happened yet
        assert inbound.SLOW_TAP_TEXT not in posted.text("XiaoWang")  # the others' copy

        release.set()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            await robot.settle()
            later = [p for p in robot.group() if p is not posted]
            if later:
                break
        assert len(later) == 1, [p.text() for p in robot.group()]
        # Closed, so no buttons: WeCom shows it as markdown with its outcome.
        assert later[0].card is None
        assert "导出台账" in later[0].text()
        assert DONE in later[0].text()
        assert "开始导出" not in later[0].text()
