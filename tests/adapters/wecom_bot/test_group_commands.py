"""@-commands in a WeCom group through the robot's long connection."""

from __future__ import annotations

from storage.models.machinery import InboundEvent
from tests.support.wecom_robot import REVIEW_CHATID, Robot


async def test_help_in_the_group_is_answered_in_the_group(robot: Robot) -> None:
    await robot.say("LiKZ", "帮助")
    posted = robot.group()
    assert len(posted) == 1
    text = posted[0].text()
    assert "李科长" in text
    assert "科室负责人" in text


async def test_the_mention_is_stripped_before_routing(robot: Robot) -> None:
    await robot.say("LiKZ", "  帮助  ", mention="值班助手")
    assert len(robot.group()) == 1
    row = await InboundEvent.filter(platform="wecom_bot").get()
    assert row.payload["text"] == "帮助"


async def test_a_repeated_msgid_is_answered_once(robot: Robot) -> None:
    await robot.say("LiKZ", "帮助", msgid="dup-1")
    await robot.say("LiKZ", "帮助", msgid="dup-1")
    assert len(robot.group()) == 1


async def test_an_unregistered_group_is_told_its_chatid(robot: Robot) -> None:
    await robot.say("LiKZ", "帮助", chatid="wrkUnknownGroup")
    posted = robot.group("wrkUnknownGroup")
    assert len(posted) == 1
    assert posted[0].reply_to is not None
    assert "wecom_chat_id: wrkUnknownGroup" in posted[0].text()
    assert robot.group(REVIEW_CHATID) == []
