"""A tap whose work outlasts the robot's answer deadline: the tapper's copy says it is under
way at once, and the card the work ends with is posted in the group when it is done."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.adapters.wecom_bot import inbound
from bot.cards.model import Button, Card
from bot.core.context import HandlerContext
from bot.core.emit import card_from_record
from bot.core.services import Services
from bot.handlers import load_all
from tests.fakes.wecom_robot import FakeRobot
from tests.fakes.wecom_server import FakeWeCom
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
    router = load_all().copy()

    @router.command("导出", "测试：慢操作")
    async def export(ctx: HandlerContext, rest: str) -> None:
        card = await ctx.emit.new_card(
            Card(title="导出台账", buttons=(Button(label="开始导出", action="slow.export"),)),
            kind="test.slow",
            allowed_person_ids=[ctx.actor.id],
        )
        await ctx.reply(card=card)

    @router.action("slow")
    async def run(ctx: HandlerContext) -> None:
        await asyncio.wait_for(release.wait(), 30)
        record = ctx.card_record
        assert record is not None
        done = card_from_record(record).closed("已导出 12 个账号")
        await ctx.emit.update_card(record.id, done, close=True)
        ctx.notify_toast("导出完成", "success")

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
        assert "已导出 12 个账号" in later[0].text()
        assert "开始导出" not in later[0].text()
