"""Review cards posted in a WeCom group by the robot, tapped there."""

from __future__ import annotations

import asyncio

from storage.models.review import ReviewStep
from tests.support.review import TEXT
from tests.support.wecom_robot import REVIEW_CHATID, Robot


async def submit_by_robot(robot: Robot) -> None:
    """小王 writes 送审 to the robot 1:1 and taps 送审 on the summary card."""
    for answer in ("送审", "桃花节开幕", TEXT, "无", "无", "1", "原创"):
        await robot.say("XiaoWang", answer, chatid=None)
    summary = robot.fake.cards("XiaoWang", "请核对送审稿件")[-1]
    await robot.fake.tap("XiaoWang", summary, "送审")
    await robot.settle()


async def test_review_approved_by_taps_in_the_group_wrong_person_refused(robot: Robot) -> None:
    await robot.say("LaoZhou", "帮助")  # someone has written in the group: it is open
    await submit_by_robot(robot)
    first = robot.fake.cards(REVIEW_CHATID, "初审：《桃花节开幕》")
    assert len(first) == 1
    card = first[0]
    assert card.text().count("@李科长") == 1
    # The section chief's app chat says where the card is (no second tappable copy).
    pointers = robot.app_fake.sent(touser="LiKZ")
    assert [p["msgtype"] for p in pointers] == ["text"]
    assert "审核卡片在群“文旅委审核群”中" in pointers[0]["text"]["content"]

    # 老周 is in the group but not the reviewer: his copy says why, nobody else's changes.
    refused = await robot.fake.tap("LaoZhou", card, "通过")
    await robot.settle()
    assert refused.answers[0]["cmd"] == "aibot_respond_update_msg"
    assert refused.answers[0]["body"]["userids"] == ["LaoZhou"]
    assert "当前由李科长初审，您的操作未生效。" in card.text("LaoZhou")
    assert "未生效" not in card.text("LiKZ")
    assert await ReviewStep.filter(status="approved").count() == 0

    approved = await robot.fake.tap("LiKZ", card, "通过")
    await robot.settle()
    assert "userids" not in approved.answers[0]["body"]
    assert "通过" not in [b["text"] for b in card.card["button_list"]]  # type: ignore[index]
    assert "状态：初审：李科长 已通过（10月9日 10:00）" in card.text("LiKZ")
    # The update for everyone replaced 老周's refused copy too.
    assert card.text("LaoZhou") == card.text("LiKZ")
    second = robot.fake.cards(REVIEW_CHATID, "复审：《桃花节开幕》")
    assert len(second) == 1
    assert "@赵副主任" in second[0].text()


async def test_two_taps_at_once_record_one_decision(robot: Robot) -> None:
    await robot.say("LaoZhou", "帮助")
    await submit_by_robot(robot)
    card = robot.fake.cards(REVIEW_CHATID, "初审：《桃花节开幕》")[0]
    taps = await asyncio.gather(
        robot.fake.tap("LiKZ", card, "通过"), robot.fake.tap("LiKZ", card, "通过")
    )
    await robot.settle()
    assert await ReviewStep.filter(status="approved").count() == 1
    assert len(robot.fake.cards(REVIEW_CHATID, "复审：《桃花节开幕》")) == 1
    assert sum(1 for t in taps if t.answers) >= 1
